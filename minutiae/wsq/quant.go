package wsq

import "math"

// Scalar quantization of the wavelet subbands. Subband k has a bin width
// Q_k and a wider zero bin Z_k (coefficients with |x| ≤ Z_k/2 become 0); a
// coefficient in bin p ≠ 0 is reconstructed at a fraction C (the "bin
// centre", 0.44 in practice) of the way into its bin:
//
//	p > 0:  x = Q_k·(p − C) + Z_k/2
//	p < 0:  x = Q_k·(p + C) − Z_k/2
//
// Subbands with Q_k = 0 are not coded at all and reconstruct as zeros.

// codedCoefficients is the number of coefficients the coded subbands of q
// hold: the most a file may carry.
func codedCoefficients(t *trees, q *quantTable) int {
	n := 0
	for k := 0; k < numSubbands; k++ {
		if q.q[k] != 0 {
			n += t.q[k].w * t.q[k].h
		}
	}
	return n
}

// unquantize places the coefficients (in coding order) into the wavelet
// plane f (width pixels a row), which must be zero where nothing is coded.
//
// The arithmetic is NBIS's, step by step: p − C and the product with Q_k are
// float32 operations; Z_k/2.0 is computed in double (2.0 is a double literal
// in C), so the sum is done in double and rounded to float32 once.
func unquantize(f []float32, width int, coeffs []int16, t *trees, q *quantTable) {
	c := q.binCenter
	i := 0
	for k := 0; k < numSubbands; k++ {
		qk := q.q[k]
		if qk == 0 {
			continue
		}
		// The conversion keeps Go from fusing the halving (as ×0.5) into
		// the additions below.
		halfZ := float64(float64(q.z[k]) / 2.0)
		r := t.q[k]
		for y := r.y; y < r.y+r.h; y++ {
			row := f[y*width+r.x : y*width+r.x+r.w]
			for x := range row {
				p := coeffs[i]
				i++
				switch {
				case p > 0:
					row[x] = float32(float64(float32(qk*float32(float32(p)-c))) + halfZ)
				case p < 0:
					row[x] = float32(float64(float32(qk*float32(float32(p)+c))) - halfZ)
				default:
					row[x] = 0
				}
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Quantization (Encode)
//
// The encoder picks the bin widths from the subbands' variances and the
// target bitrate by the specification's procedure (Annex A of the FBI
// specification, as NBIS implements it): every subband with enough variance
// gets a width proportional to 1/log(variance) (or 1 for the four coarsest),
// and one global factor q is solved so that the estimated bitrate matches
// the target, leaving out of the estimate, iteratively, the subbands whose
// estimated bitrate would be negative. The arithmetic mirrors NBIS's, so
// that files match what NIST's cwsq writes as closely as possible.

// varianceThreshold is the variance below which a subband is not coded.
const varianceThreshold = 1.01

// binWidths is the encoder's quantizer: bin width q and zero-bin width z per
// subband (q = 0: not coded).
type binWidths struct {
	q, z [numQSubbands]float32
}

// subbandVariances estimates each subband's variance. For the four coarsest
// subbands, and for all the others when those four vary a lot, only a
// central window is used (the specification's choice: 3/4 of the width
// starting 1/8 in, 7/16 of the height starting 9/32 down), which leaves out
// the blank margins of a fingerprint card.
//
// In images under about 256 pixels a side, the window of a small subband
// can hold fewer than two samples; NBIS then computes 0/0 and codes garbage
// (cwsq refuses such images). Here the whole subband is used instead.
func subbandVariances(f []float32, width int, t *trees) [numSubbands]float32 {
	var v [numSubbands]float32
	cropped := func(k int) float32 {
		r := t.q[k]
		cw, ch := (3*r.w)/4, (7*r.h)/16
		if cw*ch < 2 {
			return regionVariance(f, width, r.x, r.y, r.w, r.h)
		}
		return regionVariance(f, width, r.x+r.w/8, r.y+(9*r.h)/32, cw, ch)
	}
	var vsum float32
	for k := 0; k < 4; k++ {
		v[k] = cropped(k)
		vsum += v[k]
	}
	if float64(vsum) < 20000.0 {
		for k := 0; k < numSubbands; k++ {
			r := t.q[k]
			v[k] = regionVariance(f, width, r.x, r.y, r.w, r.h)
		}
	} else {
		for k := 4; k < numSubbands; k++ {
			v[k] = cropped(k)
		}
	}
	return v
}

// regionVariance is the sample variance of a w × h region of f, computed in
// float32 as NBIS does (sums, then (Σx² − (Σx)²/n)/(n − 1) with the last
// division in double). Regions of fewer than two samples have variance 0.
func regionVariance(f []float32, width, x, y, w, h int) float32 {
	n := w * h
	if n < 2 {
		return 0
	}
	var sum, ssq float32
	for r := y; r < y+h; r++ {
		for _, p := range f[r*width+x : r*width+x+w] {
			sum += p
			ssq = ssq + float32(p*p)
		}
	}
	sum2 := float32(float32(sum*sum) / float32(n))
	return float32(float64(ssq-sum2) / (float64(n) - 1.0))
}

// chooseBinWidths computes the bin widths for a target bitrate (bits a
// pixel) from the subband variances.
func chooseBinWidths(v *[numSubbands]float32, bitrate float32) *binWidths {
	// Relative weights of the 8 finest subbands (the specification's A_k;
	// 1 elsewhere) and each subband's share of the image (1/m_k: the four
	// coarsest are 1/1024 of it, 4–50 are 1/256, 51–59 are 1/16).
	var weight [numSubbands]float32
	for k := range weight {
		weight[k] = 1
	}
	copy(weight[52:], []float32{1.32, 1.08, 1.42, 1.08, 1.32, 1.42, 1.08, 1.08})
	share := func(k int) float32 {
		switch {
		case k < 4:
			return 1.0 / 1024
		case k < 51:
			return 1.0 / 256
		}
		return 1.0 / 16
	}

	b := new(binWidths)
	var sigma [numSubbands]float32
	var coded []int // the subbands with enough variance (the specification's K0)
	for k := 0; k < numSubbands; k++ {
		if float64(v[k]) < varianceThreshold {
			continue
		}
		if k < 4 {
			b.q[k] = 1
		} else {
			b.q[k] = float32(10.0 / float64(weight[k]*float32(math.Log(float64(v[k])))))
		}
		sigma[k] = float32(math.Sqrt(float64(v[k])))
		coded = append(coded, k)
	}

	// Solve for q over the set K of subbands with positive estimated
	// bitrate, dropping from K those whose bitrate comes out negative, until
	// none does.
	set := append([]int(nil), coded...)
	var q float32
	for {
		var s float32 // the fraction of the image K covers
		for _, k := range set {
			s += share(k)
		}
		p := float32(1)
		for _, k := range set {
			p = float32(float64(p) * math.Pow(float64(sigma[k]/b.q[k]), float64(share(k))))
		}
		q = float32((math.Pow(2, float64(bitrate/s)-1.0) / 2.5) / math.Pow(float64(p), 1.0/float64(s)))
		kept := set[:0]
		for _, k := range set {
			if float64(b.q[k]/q) < 5.0*float64(sigma[k]) {
				kept = append(kept, k)
			}
		}
		if len(kept) == len(set) {
			break
		}
		set = kept
	}

	// Every subband of K0 (not only the final K) is coded with width Q_k/q.
	var inK0 [numSubbands]bool
	for _, k := range coded {
		inK0[k] = true
	}
	for k := 0; k < numSubbands; k++ {
		if inK0[k] {
			b.q[k] /= q
		} else {
			b.q[k] = 0
		}
		b.z[k] = float32(1.2 * float64(b.q[k]))
		// A width the DQT cannot store (16-bit field), infinite or NaN
		// (from an absurd bitrate) would quantize every coefficient to 0
		// anyway: do not code the subband at all.
		if !(b.q[k] > 0 && b.q[k] < 65535 && b.z[k] < 65535) {
			b.q[k], b.z[k] = 0, 0
		}
	}
	return b
}

// quantize maps the wavelet plane to quantized coefficients in coding order
// (the coded subbands in order, each in raster order) and returns them with
// the number in each of the three blocks.
func quantize(f []float32, width int, t *trees, b *binWidths) (coeffs []int16, blockLen [3]int) {
	for k := 0; k < numSubbands; k++ {
		if b.q[k] != 0 {
			blockLen[blockOf(k)] += t.q[k].w * t.q[k].h
		}
	}
	coeffs = make([]int16, 0, blockLen[0]+blockLen[1]+blockLen[2])
	for k := 0; k < numSubbands; k++ {
		qk := b.q[k]
		if qk == 0 {
			continue
		}
		zbin := float32(float64(b.z[k]) / 2.0)
		r := t.q[k]
		for y := r.y; y < r.y+r.h; y++ {
			for _, x := range f[y*width+r.x : y*width+r.x+r.w] {
				var p float64
				switch {
				case -zbin <= x && x <= zbin:
					p = 0
				case x > 0:
					p = math.Trunc(float64((x-zbin)/qk) + 1.0)
				default:
					p = math.Trunc(float64((x+zbin)/qk) - 1.0)
				}
				coeffs = append(coeffs, int16(max(-32767, min(32767, p))))
			}
		}
	}
	return coeffs, blockLen
}

// blockOf returns the block (0, 1 or 2) that codes subband k.
func blockOf(k int) int {
	switch {
	case k < firstSubbandBlock2:
		return 0
	case k < firstSubbandBlock3:
		return 1
	}
	return 2
}
