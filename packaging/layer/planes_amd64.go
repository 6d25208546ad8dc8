//go:build amd64 && !purego

package layer

// splitSSE2 splits the first len(e)&^15 words of in (SSE2, 16 words per
// step); len(s) >= len(e) and len(in) >= 2*len(e).
//
//go:noescape
func splitSSE2(e, s, in []byte)

// joinSSE2 joins the first len(e)&^15 words into out (SSE2, 16 words per
// step); len(s) >= len(e) and len(out) >= 2*len(e).
//
//go:noescape
func joinSSE2(out, e, s []byte)

// splitSIMD splits a multiple of 16 words of in (all but at most 15) and
// returns how many. e and s have len(in)/2 bytes.
func splitSIMD(e, s, in []byte) int {
	n := len(e) &^ 15
	if n > 0 {
		splitSSE2(e[:n], s[:n], in[:2*n])
	}
	return n
}

// joinSIMD joins a multiple of 16 words (all but at most 15) and returns
// how many. s has len(e) bytes, out twice that.
func joinSIMD(out, e, s []byte) int {
	n := len(e) &^ 15
	if n > 0 {
		joinSSE2(out[:2*n], e[:n], s[:n])
	}
	return n
}
