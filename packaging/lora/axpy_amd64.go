//go:build amd64 && !purego

package lora

import "golang.org/x/sys/cpu"

// hasFMA reports AVX2 + FMA support, checked once per call site (cheap).
func hasFMA() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

//go:noescape
func axpy4FMA(row, a0, a1, a2, a3 *float32, n int, b *[4]float32)

// axpy4 adds b[0]·a0 + … + b[3]·a3 to row (all of len(row)).
func axpy4(row, a0, a1, a2, a3 []float32, b *[4]float32) {
	n := len(row) &^ 7
	if n > 0 {
		a0, a1, a2, a3 = a0[:len(row)], a1[:len(row)], a2[:len(row)], a3[:len(row)]
		axpy4FMA(&row[0], &a0[0], &a1[0], &a2[0], &a3[0], n, b)
	}
	axpy4Go(row[n:], a0[n:], a1[n:], a2[n:], a3[n:], b)
}
