package mistral

import "fmt"

// Basis is the row order of the q/k projections: native Mistral rotary
// (interleaved pairs) or HF rotate_half.
type Basis string

// Bases.
const (
	BasisNative Basis = "native"
	BasisHF     Basis = "hf"
)

// SourceRow returns the row of a tensor in basis from that lands on row
// (in the other basis) when converting: per head of headDim rows, native
// row 2i+s is HF row s·headDim/2+i.
func SourceRow(row, headDim int, from Basis) int {
	head, r := row/headDim, row%headDim
	half := headDim / 2
	if from == BasisNative { // dst is HF: r = s·half + i
		s, i := r/half, r%half
		return head*headDim + 2*i + s
	}
	// dst is native: r = 2i + s
	i, s := r/2, r%2
	return head*headDim + s*half + i
}

// PermuteRows converts the rows of a row-major [rows, rowBytes] matrix with
// nHeads rotary heads from basis from to the other basis (mistral-inference
// ↔ transformers permute_for_rope). It returns a new slice.
func PermuteRows(src []byte, rows, nHeads int, from Basis) ([]byte, error) {
	if rows <= 0 || nHeads <= 0 || rows%nHeads != 0 || (rows/nHeads)%2 != 0 || len(src)%rows != 0 {
		return nil, fmt.Errorf("cannot permute %d rows in %d rotary heads", rows, nHeads)
	}
	rb := len(src) / rows
	hd := rows / nHeads
	dst := make([]byte, len(src))
	for r := 0; r < rows; r++ {
		s := SourceRow(r, hd, from)
		copy(dst[r*rb:(r+1)*rb], src[s*rb:(s+1)*rb])
	}
	return dst, nil
}
