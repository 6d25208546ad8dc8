//go:build amd64 && !purego

#include "textflag.h"

// func splitSSE2(e, s, in []byte)
TEXT ·splitSSE2(SB), NOSPLIT, $0-72
	MOVQ e_base+0(FP), DI
	MOVQ e_len+8(FP), CX
	MOVQ s_base+24(FP), DX
	MOVQ in_base+48(FP), SI
	SHRQ $4, CX
	JZ   splitdone
	MOVQ $0x8080808080808080, AX
	MOVQ AX, X8
	PUNPCKLQDQ X8, X8             // 0x80 in every byte
	MOVQ $0x7f7f7f7f7f7f7f7f, AX
	MOVQ AX, X9
	PUNPCKLQDQ X9, X9             // 0x7f in every byte
	MOVQ $0x00ff00ff00ff00ff, AX
	MOVQ AX, X10
	PUNPCKLQDQ X10, X10           // low byte of every word
	MOVQ $0x0101010101010101, AX
	MOVQ AX, X11
	PUNPCKLQDQ X11, X11           // 0x01 in every byte

splitloop:
	MOVOU (SI), X0                // words 0..7
	MOVOU 16(SI), X1              // words 8..15
	MOVO  X0, X2
	PAND  X10, X2
	MOVO  X1, X3
	PAND  X10, X3
	PACKUSWB X3, X2               // X2: the 16 low bytes
	PSRLW $8, X0
	PSRLW $8, X1
	PACKUSWB X1, X0               // X0: the 16 high bytes
	MOVO  X0, X4
	PADDB X0, X4                  // hi<<1
	MOVO  X2, X5
	PSRLW $7, X5
	PAND  X11, X5                 // lo>>7
	POR   X5, X4                  // E
	PAND  X8, X0                  // hi&0x80
	PAND  X9, X2                  // lo&0x7f
	POR   X2, X0                  // S
	MOVOU X4, (DI)
	MOVOU X0, (DX)
	ADDQ  $32, SI
	ADDQ  $16, DI
	ADDQ  $16, DX
	DECQ  CX
	JNZ   splitloop

splitdone:
	RET

// func joinSSE2(out, e, s []byte)
TEXT ·joinSSE2(SB), NOSPLIT, $0-72
	MOVQ out_base+0(FP), DI
	MOVQ e_base+24(FP), SI
	MOVQ e_len+32(FP), CX
	MOVQ s_base+48(FP), DX
	SHRQ $4, CX
	JZ   joindone
	MOVQ $0x8080808080808080, AX
	MOVQ AX, X8
	PUNPCKLQDQ X8, X8             // 0x80 in every byte
	MOVQ $0x7f7f7f7f7f7f7f7f, AX
	MOVQ AX, X9
	PUNPCKLQDQ X9, X9             // 0x7f in every byte

joinloop:
	MOVOU (SI), X0                // E
	MOVOU (DX), X1                // S
	MOVO  X0, X2
	PSLLW $7, X2
	PAND  X8, X2                  // E<<7 & 0x80
	MOVO  X1, X3
	PAND  X9, X3                  // S & 0x7f
	POR   X3, X2                  // low bytes
	PSRLW $1, X0
	PAND  X9, X0                  // E>>1 & 0x7f
	PAND  X8, X1                  // S & 0x80
	POR   X1, X0                  // high bytes
	MOVO  X2, X4
	PUNPCKLBW X0, X2              // words 0..7
	PUNPCKHBW X0, X4              // words 8..15
	MOVOU X2, (DI)
	MOVOU X4, 16(DI)
	ADDQ  $16, SI
	ADDQ  $16, DX
	ADDQ  $32, DI
	DECQ  CX
	JNZ   joinloop

joindone:
	RET
