//go:build !amd64 || purego

package layer

func splitSIMD(e, s, in []byte) int { return 0 }

func joinSIMD(out, e, s []byte) int { return 0 }
