package layer

import "encoding/binary"

// Byte-lane masks of the plane split: a 16-bit word lo|hi<<8 has the
// exponent byte E = hi<<1 | lo>>7 and the sign/mantissa byte
// S = hi&0x80 | lo&0x7f.
const (
	lanes80 = 0x8080808080808080
	lanes7f = 0x7f7f7f7f7f7f7f7f
	lanes01 = 0x0101010101010101
	lanesFE = 0xfefefefefefefefe
	words   = 0x00ff00ff00ff00ff
)

// split writes the exponent plane e and sign/mantissa plane s of the
// little-endian 16-bit words in in: 16 words at a time with SIMD where
// there is an assembly version (splitSIMD), the rest in Go.
func split(e, s, in []byte) {
	n := len(in) / 2
	i := splitSIMD(e[:n], s[:n], in[:2*n])
	splitGo(e[i:n], s[i:n], in[2*i:2*n])
}

// join is the inverse of split.
func join(out, e, s []byte) {
	n := len(e)
	i := joinSIMD(out[:2*n], e, s[:n])
	joinGo(out[2*i:2*n], e[i:], s[i:n])
}

// splitGo is split in Go, eight words (two 8-byte loads) at a time: the
// low and high bytes are gathered into 8-byte lanes first and the planes
// computed on whole lanes.
func splitGo(e, s, in []byte) {
	n := len(in) / 2
	e, s = e[:n], s[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		src := in[2*i : 2*i+16]
		v := binary.LittleEndian.Uint64(src)
		w := binary.LittleEndian.Uint64(src[8:])
		lo := uint64(pack(v&words)) | uint64(pack(w&words))<<32
		hi := uint64(pack(v>>8&words)) | uint64(pack(w>>8&words))<<32
		binary.LittleEndian.PutUint64(e[i:i+8], hi<<1&lanesFE|lo>>7&lanes01)
		binary.LittleEndian.PutUint64(s[i:i+8], hi&lanes80|lo&lanes7f)
	}
	for ; i < n; i++ {
		lo, hi := in[2*i], in[2*i+1]
		e[i] = hi<<1 | lo>>7
		s[i] = hi&0x80 | lo&0x7f
	}
}

// joinGo is the inverse of splitGo, eight words at a time.
func joinGo(out, e, s []byte) {
	n := len(e)
	out, s = out[:2*n], s[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		x := binary.LittleEndian.Uint64(e[i : i+8])
		y := binary.LittleEndian.Uint64(s[i : i+8])
		lo := x<<7&lanes80 | y&lanes7f
		hi := y&lanes80 | x>>1&lanes7f
		dst := out[2*i : 2*i+16]
		binary.LittleEndian.PutUint64(dst, spread(uint32(lo))|spread(uint32(hi))<<8)
		binary.LittleEndian.PutUint64(dst[8:], spread(uint32(lo>>32))|spread(uint32(hi>>32))<<8)
	}
	for ; i < n; i++ {
		x, y := e[i], s[i]
		out[2*i] = x<<7 | y&0x7f
		out[2*i+1] = y&0x80 | x>>1
	}
}

// pack gathers the low bytes of four 16-bit lanes into 32 bits.
func pack(v uint64) uint32 {
	v = (v | v>>8) & 0x0000ffff0000ffff
	return uint32(v | v>>16)
}

// spread is the inverse of pack.
func spread(x uint32) uint64 {
	v := uint64(x)
	v = (v | v<<16) & 0x0000ffff0000ffff
	return (v | v<<8) & words
}
