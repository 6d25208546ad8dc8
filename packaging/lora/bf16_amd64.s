#include "textflag.h"

// func bf16ToF32AVX(dst *float32, src *uint16, n int)
// n a positive multiple of 8.
TEXT ·bf16ToF32AVX(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

dloop:
	VPMOVZXWD (SI), Y0
	VPSLLD    $16, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       dloop
	VZEROUPPER
	RET

// func f32ToBF16AVX(dst *uint16, src *float32, n int)
// Round to nearest even; NaN stays a quiet NaN. n a positive multiple of 8.
TEXT ·f32ToBF16AVX(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVL $1, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15     // 1
	MOVL $0x7fff, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14     // 0x7fff
	MOVL $0x7f800000, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13     // +Inf bits
	MOVL $0x7fffffff, AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12     // abs mask
	MOVL $0x40, AX
	VMOVD AX, X11
	VPBROADCASTD X11, Y11     // quiet bit

eloop:
	VMOVDQU   (SI), Y0
	VPSRLD    $16, Y0, Y1      // x >> 16
	VPAND     Y15, Y1, Y2      // lsb
	VPADDD    Y14, Y2, Y2      // 0x7fff + lsb
	VPADDD    Y0, Y2, Y2       // x + bias
	VPSRLD    $16, Y2, Y2      // rounded
	VPAND     Y12, Y0, Y3      // |x|
	VPCMPGTD  Y13, Y3, Y3      // NaN mask
	VPOR      Y11, Y1, Y1      // NaN result
	VPBLENDVB Y3, Y1, Y2, Y2
	VPACKUSDW Y2, Y2, Y2
	VPERMQ    $0x08, Y2, Y2
	VMOVDQU   X2, (DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	SUBQ      $8, CX
	JNZ       eloop
	VZEROUPPER
	RET
