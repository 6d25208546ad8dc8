//go:build !amd64 || purego

package merge

func hasFMA() bool { return false }

func axpy4(row, a0, a1, a2, a3 []float32, b *[4]float32) { axpy4Go(row, a0, a1, a2, a3, b) }
