package minutiae

import (
	"math"
	"sync"
)

// enhancePad is the margin of zeros around the padded working images, so
// that no filter tap needs a bounds check.
const enhancePad = max(enhanceAlongRadius, enhanceAcrossMaxRadius)

// enhancePeriodBins is the number of precomputed across-ridge profiles.
const enhancePeriodBins = int((periodMax-periodMin)/enhancePeriodStep) + 1

// enhanceKernels are the precomputed filter taps.
type enhanceKernels struct {
	// along[a] and across[a] are the (dx, dy) of the taps for angle bin a,
	// from −radius to +radius along and across the ridges.
	along  [enhanceAngleBins][2*enhanceAlongRadius + 1][2]int
	across [enhanceAngleBins][2*enhanceAcrossMaxRadius + 1][2]int
	// alongW are the Gaussian weights along the ridges (sum 1).
	alongW [2*enhanceAlongRadius + 1]float32
	// acrossW[p] is the zero-mean even Gabor profile for period bin p.
	acrossW [enhancePeriodBins][2*enhanceAcrossMaxRadius + 1]float32
}

var (
	enhanceOnce sync.Once
	enhanceK    *enhanceKernels
)

func kernels() *enhanceKernels {
	enhanceOnce.Do(func() {
		k := &enhanceKernels{}
		for a := range enhanceAngleBins {
			t := float64(a) * math.Pi / enhanceAngleBins
			ux, uy := math.Cos(t), math.Sin(t)
			for i := -enhanceAlongRadius; i <= enhanceAlongRadius; i++ {
				k.along[a][i+enhanceAlongRadius] = [2]int{roundInt(float64(i) * ux), roundInt(float64(i) * uy)}
			}
			for i := -enhanceAcrossMaxRadius; i <= enhanceAcrossMaxRadius; i++ {
				k.across[a][i+enhanceAcrossMaxRadius] = [2]int{roundInt(float64(i) * -uy), roundInt(float64(i) * ux)}
			}
		}
		var s float64
		for i := -enhanceAlongRadius; i <= enhanceAlongRadius; i++ {
			s += math.Exp(-float64(i*i) / (2 * enhanceAlongSigma * enhanceAlongSigma))
		}
		for i := -enhanceAlongRadius; i <= enhanceAlongRadius; i++ {
			k.alongW[i+enhanceAlongRadius] = float32(math.Exp(-float64(i*i)/(2*enhanceAlongSigma*enhanceAlongSigma)) / s)
		}
		for pb := range enhancePeriodBins {
			T := periodMin + float64(pb)*enhancePeriodStep
			sigma := enhanceAcrossSigmaRatio * T
			r := min(enhanceAcrossMaxRadius, int(math.Ceil(2.5*sigma)))
			var g, env [2*enhanceAcrossMaxRadius + 1]float64
			var sg, se float64
			for i := -r; i <= r; i++ {
				e := math.Exp(-float64(i*i) / (2 * sigma * sigma))
				env[i+enhanceAcrossMaxRadius] = e
				g[i+enhanceAcrossMaxRadius] = e * math.Cos(2*math.Pi*float64(i)/T)
				sg += g[i+enhanceAcrossMaxRadius]
				se += e
			}
			var norm float64
			for i := range g {
				g[i] -= sg / se * env[i]
				norm += math.Abs(g[i])
			}
			for i := range g {
				k.acrossW[pb][i] = float32(g[i] / norm)
			}
		}
		enhanceK = k
	})
	return enhanceK
}

func roundInt(v float64) int { return int(math.Floor(v + 0.5)) }

// angleBin quantises a ridge orientation in [0, π) to an angle bin.
func angleBin(theta float32) int {
	return int(float64(theta)/math.Pi*enhanceAngleBins+0.5) % enhanceAngleBins
}

// periodBin quantises a ridge period to a profile bin.
func periodBin(t float32) int {
	b := int((float64(t)-periodMin)/enhancePeriodStep + 0.5)
	return min(max(b, 0), enhancePeriodBins-1)
}

// enhance filters the normalised image with an oriented Gabor filter tuned
// to each block's orientation and period, separably: first a Gaussian along
// the ridges (over every pixel), then, in the foreground, an even Gabor
// profile across them. Ridges come out negative, valleys positive, and the
// background of the mask is 0.
func enhance(p *plane, o *orientation, period []float32, m *mask, tr Trace) []float32 {
	k := kernels()
	const pad = enhancePad
	w, h := p.w, p.h
	pw := w + 2*pad
	src := make([]float32, pw*(h+2*pad))
	for y := range h {
		copy(src[(y+pad)*pw+pad:], p.f[y*w:(y+1)*w])
	}
	tmp := make([]float32, len(src))
	enh := make([]float32, w*h)
	var offA [enhanceAngleBins][2*enhanceAlongRadius + 1]int
	var offC [enhanceAngleBins][2*enhanceAcrossMaxRadius + 1]int
	for a := range enhanceAngleBins {
		for i, d := range k.along[a] {
			offA[a][i] = d[1]*pw + d[0]
		}
		for i, d := range k.across[a] {
			offC[a][i] = d[1]*pw + d[0]
		}
	}
	bins := pixelAngleBins(p, o)
	// The along-ridge pass is needed where the across-ridge pass reads: the
	// mask grown by the profile's radius.
	near := m.dilated((enhanceAcrossMaxRadius + blockSize - 1) / blockSize)
	for y := range h {
		row := (y+pad)*pw + pad
		brow := (y / blockSize) * p.bw
		for x, a := range bins[y*w : (y+1)*w] {
			if near[brow+x/blockSize] == 0 {
				continue
			}
			i := row + x
			var s float32
			for t, off := range &offA[a] {
				s += k.alongW[t] * src[i+off]
			}
			tmp[i] = s
		}
	}
	for y := range h {
		row := (y+pad)*pw + pad
		brow := (y / blockSize) * p.bw
		out := enh[y*w : (y+1)*w]
		for x, a := range bins[y*w : (y+1)*w] {
			b := brow + x/blockSize
			if m.bits[b] == 0 {
				continue
			}
			wc := &k.acrossW[periodBin(period[b])]
			i := row + x
			var s float32
			for t, off := range &offC[a] {
				s += wc[t] * tmp[i+off]
			}
			out[x] = s
		}
	}
	traceField(tr, StageEnhance, w, h, 1, enh)
	return enh
}
