package gguf

import "encoding/binary"

type q4kScratch struct {
	L       [QK_K]uint8
	Laux    [32]uint8
	weights [32]float32
	mins    [QK_K / 32]float32
	scales  [QK_K / 32]float32
}

// block is quantize_row_q4_K_ref for one super-block of 256 values into
// 144 bytes: d, dmin (fp16), 12 bytes of 6-bit scales and mins, 128 of nibbles.
func (s *q4kScratch) block(x []float32, y []byte) {
	maxScale, maxMin := float32(0), float32(0)
	for j := 0; j < QK_K/32; j++ {
		xs := x[32*j:][:32]
		sumX2 := float32(0)
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := sqrt32(sumX2 / 32)
		for l, v := range xs {
			s.weights[l] = avX + abs32(v)
		}
		s.scales[j] = makeQKX2Quants(xs, s.weights[:], s.L[32*j:][:32], &s.mins[j], s.Laux[:])
		maxScale = max(maxScale, s.scales[j])
		maxMin = max(maxMin, s.mins[j])
	}
	invScale, invMin := float32(0), float32(0)
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	sc := y[4:16]
	clear(sc)
	for j := 0; j < QK_K/32; j++ {
		ls := min(63, uint8(nearestInt(float32(invScale*s.scales[j]))))
		lm := min(63, uint8(nearestInt(float32(invMin*s.mins[j]))))
		if j < 4 {
			sc[j], sc[j+4] = ls, lm
		} else {
			sc[j+4] = ls&0xf | (lm&0xf)<<4
			sc[j-4] |= (ls >> 4) << 6
			sc[j] |= (lm >> 4) << 6
		}
	}
	dh, mh := fp16(maxScale/63), fp16(maxMin/63)
	binary.LittleEndian.PutUint16(y[0:], dh)
	binary.LittleEndian.PutUint16(y[2:], mh)
	for j := 0; j < QK_K/32; j++ {
		scj, mj := scaleMinK4(j, sc)
		d := float32(fp32(dh) * float32(scj))
		if d == 0 {
			continue
		}
		dm := float32(fp32(mh) * float32(mj))
		for ii := 0; ii < 32; ii++ {
			l := nearestInt((x[32*j+ii] + dm) / d)
			s.L[32*j+ii] = uint8(max(0, min(15, l)))
		}
	}
	q := y[16:]
	for j := 0; j < QK_K; j += 64 {
		for l := 0; l < 32; l++ {
			q[l] = s.L[j+l] | s.L[j+l+32]<<4
		}
		q = q[32:]
	}
}

func scaleMinK4(j int, q []byte) (d, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// makeQKX2Quants is make_qkx2_quants(32, 15, x, w, L, &min, Laux, -1, 0.1, 20, false).
// min moves when a trial wins, so x − min is recomputed as the C code does;
// fixed-size arrays drop the bounds checks.
func makeQKX2Quants(xs, ws []float32, Ls []uint8, theMin *float32, Lauxs []uint8) float32 {
	const nmax, rmin, rdelta, nstep = 15, float32(-1), float32(0.1), 20
	x, w := (*[32]float32)(xs), (*[32]float32)(ws)
	L, Laux := (*[32]uint8)(Ls), (*[32]uint8)(Lauxs)
	mn, mx := x[0], x[0]
	sumW := w[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < 32; i++ {
		mn, mx = min(mn, x[i]), max(mx, x[i])
		sumW += w[i]
		sumX += float32(w[i] * x[i])
	}
	if mn > 0 {
		mn = 0
	}
	if mx == mn {
		clear(L[:])
		*theMin = -mn
		return 0
	}
	iscale := nmax / (mx - mn)
	scale := 1 / iscale
	bestError := float32(0)
	for i := range 32 {
		l := nearestInt(float32(iscale * (x[i] - mn)))
		L[i] = uint8(max(0, min(nmax, l)))
		diff := float32(float32(scale*float32(L[i]))+mn) - x[i]
		bestError += float32(w[i] * float32(diff*diff))
	}
	for is := 0; is <= nstep; is++ {
		iscale = (float32(rmin+float32(rdelta*float32(is))) + nmax) / (mx - mn)
		var sumL, sumL2, sumXL float32
		var fl32 [32]float32
		for i := range 32 {
			l := max(0, min(nmax, nearestInt(float32(iscale*(x[i]-mn)))))
			Laux[i] = uint8(l)
			fl := float32(l)
			fl32[i] = fl
			wl := float32(w[i] * fl)
			sumL += wl
			sumL2 += float32(wl * fl)
			sumXL += float32(wl * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D <= 0 {
			continue
		}
		thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
		thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
		if thisMin > 0 {
			thisMin = 0
			thisScale = sumXL / sumL2
		}
		curError := float32(0)
		for i := range 32 {
			diff := float32(float32(thisScale*fl32[i])+thisMin) - x[i]
			curError += float32(w[i] * float32(diff*diff))
		}
		if curError < bestError {
			*L = *Laux
			bestError, scale, mn = curError, thisScale, thisMin
		}
	}
	*theMin = -mn
	return scale
}

// quantizeQ6_KBlock is quantize_row_q6_K_ref for one super-block into 210
// bytes: ql[128], qh[64], int8 scales[16], d (fp16).
func quantizeQ6_KBlock(x []float32, y []byte) {
	var L [QK_K]int8
	var scales [QK_K / 16]float32
	maxScale, maxAbsScale := float32(0), float32(0)
	for ib := 0; ib < QK_K/16; ib++ {
		s := makeQXQuants(x[16*ib:][:16], L[16*ib:][:16])
		scales[ib] = s
		if abs32(s) > maxAbsScale {
			maxAbsScale, maxScale = abs32(s), s
		}
	}
	clear(y)
	if maxAbsScale < groupMaxEps {
		return
	}
	iscale := -128 / maxScale
	dh := fp16(1 / iscale)
	binary.LittleEndian.PutUint16(y[208:], dh)
	sc := y[192:208]
	for ib := range scales {
		sc[ib] = byte(int8(min(127, nearestInt(float32(iscale*scales[ib])))))
	}
	for j := 0; j < QK_K/16; j++ {
		d := float32(fp32(dh) * float32(int8(sc[j])))
		if d == 0 {
			continue
		}
		for ii := 0; ii < 16; ii++ {
			l := nearestInt(x[16*j+ii] / d)
			L[16*j+ii] = int8(max(-32, min(31, l)) + 32)
		}
	}
	ql, qh := y[0:128], y[128:192]
	for j := 0; j < QK_K; j += 128 {
		for l := 0; l < 32; l++ {
			q1, q2 := uint8(L[j+l])&0xf, uint8(L[j+l+32])&0xf
			q3, q4 := uint8(L[j+l+64])&0xf, uint8(L[j+l+96])&0xf
			ql[l] = q1 | q3<<4
			ql[l+32] = q2 | q4<<4
			qh[l] = uint8(L[j+l])>>4 | (uint8(L[j+l+32])>>4)<<2 | (uint8(L[j+l+64])>>4)<<4 | (uint8(L[j+l+96])>>4)<<6
		}
		ql, qh = ql[64:], qh[32:]
	}
}

// makeQXQuants is make_qx_quants(16, 32, x, L, 1, NULL).
func makeQXQuants(x []float32, L []int8) float32 {
	const nmax = 32
	mx, amax := float32(0), float32(0)
	for _, v := range x {
		if abs32(v) > amax {
			amax, mx = abs32(v), v
		}
	}
	if amax < groupMaxEps {
		clear(L)
		return 0
	}
	iscale := -nmax / mx
	sums := func(iscale float32, store bool) (sumlx, suml2 float32) {
		for i, v := range x {
			l := max(-nmax, min(nmax-1, nearestInt(float32(iscale*v))))
			if store {
				L[i] = int8(l + nmax)
			}
			w := float32(v * v)
			fl := float32(l)
			sumlx += float32(float32(w*v) * fl)
			suml2 += float32(float32(w*fl) * fl)
		}
		return
	}
	sumlx, suml2 := sums(iscale, true)
	scale := float32(0)
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := float32(scale * sumlx)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(nmax + float32(0.1*float32(is))) / mx
		sumlx, suml2 = sums(iscale, false)
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			sums(iscale, true)
			scale = sumlx / suml2
			best = float32(scale * sumlx)
		}
	}
	return scale
}
