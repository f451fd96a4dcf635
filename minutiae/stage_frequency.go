package minutiae

import (
	"math"
	"slices"
)

// ridgePeriod estimates the ridge period (inter-ridge distance in pixels,
// the inverse of the ridge frequency) of every foreground block, after Hong,
// Wan and Jain (1998): the x-signature of an oriented window, l pixels
// across the ridges and w along them, centred on the block, averages the
// grey levels along the ridges; its peaks (valleys, bright) are one period
// apart. Blocks without a plausible period are filled from their valid
// neighbours, then the field is smoothed. Background blocks get the median.
func ridgePeriod(p *plane, o *orientation, m *mask, tr Trace) []float32 {
	bw, bh := p.bw, p.bh
	nb := bw * bh
	period := make([]float32, nb)
	// The windows are sampled at precomputed offsets, one table per
	// quantised orientation, in a copy of the image padded with zeros (the
	// mean) so that no sample needs a bounds check.
	const pad = freqPad
	pw := p.w + 2*pad
	src := make([]float32, pw*(p.h+2*pad))
	for y := range p.h {
		copy(src[(y+pad)*pw+pad:], p.f[y*p.w:(y+1)*p.w])
	}
	offs := signatureOffsets(pw)
	var sig [freqSignatureLength]float32
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			b := by*bw + bx
			if m.bits[b] == 0 {
				continue
			}
			cx := min(bx*blockSize+blockSize/2, p.w-1)
			cy := min(by*blockSize+blockSize/2, p.h-1)
			centre := (cy+pad)*pw + cx + pad
			off := &offs[angleBin(o.theta[b])]
			for k := range sig {
				var s float32
				for _, d := range off[k] {
					s += src[centre+int(d)]
				}
				sig[k] = s / freqSignatureWidth
			}
			period[b] = signaturePeriod(sig[:])
		}
	}
	fillPeriods(period, m)
	traceField(tr, StageFrequency, bw, bh, blockSize, period)
	return period
}

// freqPad is the margin the signature windows may reach beyond the image:
// half the window's diagonal.
const freqPad = (freqSignatureLength+freqSignatureWidth)/2 + 1

// signatureOffsets returns, for every angle bin, the flat offsets (in an
// image of stride pw) of the x-signature samples: for each of the
// freqSignatureLength positions across the ridges, the freqSignatureWidth
// pixels along them.
func signatureOffsets(pw int) *[enhanceAngleBins][freqSignatureLength][freqSignatureWidth]int32 {
	var offs [enhanceAngleBins][freqSignatureLength][freqSignatureWidth]int32
	for a := range enhanceAngleBins {
		t := float64(a) * math.Pi / enhanceAngleBins
		ux, uy := math.Cos(t), math.Sin(t) // along the ridges
		nx, ny := -uy, ux                  // across
		for k := range freqSignatureLength {
			d := float64(k) - freqSignatureLength/2 + 0.5
			for j := range freqSignatureWidth {
				e := float64(j) - freqSignatureWidth/2 + 0.5
				offs[a][k][j] = int32(roundInt(d*ny+e*uy)*pw + roundInt(d*nx+e*ux))
			}
		}
	}
	return &offs
}

// signaturePeriod returns the period of an x-signature, or 0 when it has
// none: the mean distance between its successive peaks, and between its
// successive troughs, after a light smoothing.
func signaturePeriod(sig []float32) float32 {
	l := len(sig)
	// Light smoothing [1 2 1] against pores and noise.
	prev := sig[0]
	for k := 1; k < l-1; k++ {
		cur := sig[k]
		sig[k] = (prev + 2*cur + sig[k+1]) / 4
		prev = cur
	}
	lo, hi := slices.Min(sig[1:l-1]), slices.Max(sig[1:l-1])
	if hi-lo < freqMinAmplitude {
		return 0
	}
	var t float64
	n := 0
	for _, sign := range [2]float32{1, -1} {
		first, last, peaks := -1, -1, 0
		for k := 1; k < l-1; k++ {
			a, c, z := sign*sig[k-1], sign*sig[k], sign*sig[k+1]
			if c > a && c >= z {
				if first < 0 {
					first = k
				}
				last = k
				peaks++
			}
		}
		if peaks >= 2 {
			t += float64(last-first) / float64(peaks-1)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	t /= float64(n)
	if t < periodMin || t > periodMax {
		return 0
	}
	return float32(t)
}

// fillPeriods replaces the invalid (0) periods of foreground blocks by the
// mean of their valid neighbours, pass by pass, then smooths the foreground
// with a box filter; whatever is still unknown gets the median period.
func fillPeriods(period []float32, m *mask) {
	bw, bh := m.bw, m.bh
	var valid []float32
	for _, v := range period {
		if v > 0 {
			valid = append(valid, v)
		}
	}
	median := float32(periodDefault)
	if len(valid) > 0 {
		slices.Sort(valid)
		median = valid[len(valid)/2]
	}
	next := make([]float32, len(period))
	for range freqFillPasses {
		copy(next, period)
		changed, missing := false, false
		for by := 0; by < bh; by++ {
			for bx := 0; bx < bw; bx++ {
				b := by*bw + bx
				if m.bits[b] == 0 || period[b] > 0 {
					continue
				}
				var s float32
				n := 0
				for yy := max(by-1, 0); yy <= min(by+1, bh-1); yy++ {
					for xx := max(bx-1, 0); xx <= min(bx+1, bw-1); xx++ {
						if v := period[yy*bw+xx]; v > 0 {
							s += v
							n++
						}
					}
				}
				if n > 0 {
					next[b] = s / float32(n)
					changed = true
				} else {
					missing = true
				}
			}
		}
		copy(period, next)
		if !changed || !missing {
			break
		}
	}
	for b := range period {
		if period[b] <= 0 {
			period[b] = median
		}
	}
	const r = freqSmoothRadius
	copy(next, period)
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			b := by*bw + bx
			if m.bits[b] == 0 {
				period[b] = median
				continue
			}
			var s float32
			n := 0
			for yy := max(by-r, 0); yy <= min(by+r, bh-1); yy++ {
				for xx := max(bx-r, 0); xx <= min(bx+r, bw-1); xx++ {
					if m.bits[yy*bw+xx] != 0 {
						s += next[yy*bw+xx]
						n++
					}
				}
			}
			period[b] = min(max(s/float32(n), periodMin), periodMax)
		}
	}
}
