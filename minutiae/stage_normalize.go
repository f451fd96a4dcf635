package minutiae

import "math"

// normalize fills p.f with the grey levels scaled to mean 0 and standard
// deviation 1 over the whole image (ridges, dark, are negative). Local
// brightness changes are left to the zero-mean enhancement filter.
func normalize(p *plane, tr Trace) {
	n := len(p.gray)
	var hist [256]int
	for _, v := range p.gray {
		hist[v]++
	}
	var sum, sum2 float64
	for v, c := range hist {
		sum += float64(v * c)
		sum2 += float64(v*v) * float64(c)
	}
	mean := sum / float64(n)
	variance := sum2/float64(n) - mean*mean
	scale := 0.0
	if variance > 1e-6 {
		scale = 1 / math.Sqrt(variance)
	}
	var lut [256]float32
	for v := range lut {
		lut[v] = float32((float64(v) - mean) * scale)
	}
	p.f = make([]float32, n)
	for i, v := range p.gray {
		p.f[i] = lut[v]
	}
	traceField(tr, StageNormalize, p.w, p.h, 1, p.f)
}
