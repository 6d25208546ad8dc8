package layer

import (
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/huff0"
)

// hufScratch holds one worker's huff0 state.
type hufScratch struct{ s *huff0.Scratch }

func (h *hufScratch) scratch() *huff0.Scratch {
	if h.s == nil {
		h.s = &huff0.Scratch{Reuse: huff0.ReusePolicyNone}
	}
	return h.s
}

// encodeBlock appends one sub-block; entropy coding is tried only when try
// is set.
func (h *hufScratch) encodeBlock(out, blk []byte, try bool) []byte {
	if try {
		s := h.scratch()
		s.Out = s.Out[:0]
		comp, _, err := huff0.Compress4X(blk, s)
		switch {
		case err == nil && len(comp) < len(blk):
			out = append(out, modeHuff)
			out = binary.LittleEndian.AppendUint32(out, uint32(len(comp)))
			return append(out, comp...)
		case err == huff0.ErrUseRLE:
			out = append(out, modeRLE)
			out = binary.LittleEndian.AppendUint32(out, 1)
			return append(out, blk[0])
		}
	}
	out = append(out, modeRaw)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(blk)))
	return append(out, blk...)
}

// decodeBlock fills dst from the sub-block at the start of in and returns
// the rest of in.
func (h *hufScratch) decodeBlock(dst, in []byte) ([]byte, error) {
	if len(in) < 5 {
		return nil, ErrCorrupt
	}
	mode, n := in[0], binary.LittleEndian.Uint32(in[1:5])
	in = in[5:]
	if uint64(n) > uint64(len(in)) {
		return nil, ErrCorrupt
	}
	data, rest := in[:n], in[n:]
	switch mode {
	case modeRaw:
		if len(data) != len(dst) {
			return nil, ErrCorrupt
		}
		copy(dst, data)
	case modeRLE:
		if len(data) != 1 {
			return nil, ErrCorrupt
		}
		for i := range dst {
			dst[i] = data[0]
		}
	case modeHuff:
		if err := h.huffDecode(dst, data); err != nil {
			return nil, err
		}
	default:
		return nil, ErrCorrupt
	}
	return rest, nil
}

func (h *hufScratch) huffDecode(dst, data []byte) error {
	s, rem, err := huff0.ReadTable(data, h.scratch())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	h.s = s
	out, err := s.Decoder().Decompress4X(dst[:0:len(dst)], rem)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if len(out) != len(dst) {
		return ErrCorrupt
	}
	return nil
}
