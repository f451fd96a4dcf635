package minutiae

import "math"

// orientation is the ridge orientation field on the block grid.
type orientation struct {
	// theta is the ridge orientation of each block, radians in [0, π), in
	// image coordinates (y down): the ridge runs along (cos θ, sin θ).
	// It is the raw estimate until smoothOrientation replaces it.
	theta []float32
	// coherence is how consistently the gradients agree in the block's
	// window, 0 (no flow) to 1 (perfectly parallel ridges).
	coherence []float32
	// cos2, sin2 are the coherence-weighted doubled-angle vectors of the
	// gradient direction (c·cos 2φ, c·sin 2φ), φ = θ − π/2.
	cos2, sin2 []float32
}

// orientationField estimates the ridge orientation of every block by least
// squares on the image gradients (Sobel): with the moments Gxx = Σgx²,
// Gyy = Σgy², Gxy = Σgx·gy over a window, the dominant gradient direction is
// φ = ½·atan2(2Gxy, Gxx − Gyy) and the ridges run at θ = φ + π/2. The
// coherence is |(Gxx − Gyy, 2Gxy)| / (Gxx + Gyy).
func orientationField(p *plane, tr Trace) *orientation {
	w, h, bw, bh := p.w, p.h, p.bw, p.bh
	nb := bw * bh
	sxx := make([]float32, nb)
	syy := make([]float32, nb)
	sxy := make([]float32, nb)
	f := p.f
	for y := 1; y < h-1; y++ {
		row := (y / blockSize) * bw
		up, mid, down := f[(y-1)*w:y*w], f[y*w:(y+1)*w], f[(y+1)*w:(y+2)*w]
		for x := 1; x < w-1; x++ {
			gx := (up[x+1] + 2*mid[x+1] + down[x+1]) - (up[x-1] + 2*mid[x-1] + down[x-1])
			gy := (down[x-1] + 2*down[x] + down[x+1]) - (up[x-1] + 2*up[x] + up[x+1])
			b := row + x/blockSize
			sxx[b] += gx * gx
			syy[b] += gy * gy
			sxy[b] += gx * gy
		}
	}
	o := &orientation{
		theta:     make([]float32, nb),
		coherence: make([]float32, nb),
		cos2:      make([]float32, nb),
		sin2:      make([]float32, nb),
	}
	const r = orientWindowBlocks
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			var gxx, gyy, gxy float32
			for yy := max(by-r, 0); yy <= min(by+r, bh-1); yy++ {
				for xx := max(bx-r, 0); xx <= min(bx+r, bw-1); xx++ {
					k := yy*bw + xx
					gxx += sxx[k]
					gyy += syy[k]
					gxy += sxy[k]
				}
			}
			b := by*bw + bx
			vx, vy := float64(gxx-gyy), float64(2*gxy)
			energy := float64(gxx + gyy)
			mag := math.Hypot(vx, vy)
			if energy <= 1e-9 || mag <= 1e-12 {
				continue // flat: theta 0, coherence 0
			}
			c := mag / energy
			o.coherence[b] = float32(c)
			o.cos2[b] = float32(c * vx / mag)
			o.sin2[b] = float32(c * vy / mag)
			o.theta[b] = ridgeAngle(vx, vy)
		}
	}
	traceField(tr, StageOrientation, bw, bh, blockSize, o.theta)
	traceField(tr, StageCoherence, bw, bh, blockSize, o.coherence)
	return o
}

// ridgeAngle turns a doubled-angle gradient vector into a ridge orientation
// in [0, π).
func ridgeAngle(vx, vy float64) float32 {
	t := 0.5*math.Atan2(vy, vx) + math.Pi/2
	if t >= math.Pi {
		t -= math.Pi
	}
	if t < 0 {
		t += math.Pi
	}
	r := float32(t)
	if r >= math.Pi {
		r = 0
	}
	return r
}

// smoothOrientation replaces the raw orientations by those of the
// doubled-angle vectors smoothed with a Gaussian (orientSmoothSigma blocks).
// Inside the mask only foreground blocks contribute, so that the background
// does not bend the ridges near the print's edge.
func smoothOrientation(o *orientation, m *mask, tr Trace) {
	bw, bh := m.bw, m.bh
	const r = orientSmoothRadius
	var kern [2*r + 1]float32
	for i := -r; i <= r; i++ {
		kern[i+r] = float32(math.Exp(-float64(i*i) / (2 * orientSmoothSigma * orientSmoothSigma)))
	}
	nb := bw * bh
	cx := make([]float32, nb)
	cy := make([]float32, nb)
	for b := range nb {
		if m.bits[b] != 0 {
			cx[b], cy[b] = o.cos2[b], o.sin2[b]
		}
	}
	tx := make([]float32, nb)
	ty := make([]float32, nb)
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			var sx, sy float32
			for i := max(bx-r, 0); i <= min(bx+r, bw-1); i++ {
				k := kern[i-bx+r]
				sx += k * cx[by*bw+i]
				sy += k * cy[by*bw+i]
			}
			tx[by*bw+bx], ty[by*bw+bx] = sx, sy
		}
	}
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			var sx, sy float32
			for i := max(by-r, 0); i <= min(by+r, bh-1); i++ {
				k := kern[i-by+r]
				sx += k * tx[i*bw+bx]
				sy += k * ty[i*bw+bx]
			}
			if sx*sx+sy*sy > 1e-12 {
				o.theta[by*bw+bx] = ridgeAngle(float64(sx), float64(sy))
			}
		}
	}
	traceField(tr, StageSmoothOrient, bw, bh, blockSize, o.theta)
}

// pixelAngleBins returns, for every pixel, the enhancement filter's angle
// bin of the ridge orientation interpolated bilinearly (as doubled angles)
// between the centres of the four nearest blocks, so that the filters
// follow curved ridges without steps at block edges.
func pixelAngleBins(p *plane, o *orientation) []uint8 {
	bw, bh := p.bw, p.bh
	c2 := make([]float32, bw*bh)
	s2 := make([]float32, bw*bh)
	for b, t := range o.theta {
		c2[b] = float32(math.Cos(2 * float64(t)))
		s2[b] = float32(math.Sin(2 * float64(t)))
	}
	bins := make([]uint8, p.w*p.h)
	const half = blockSize / 2
	for y := range p.h {
		fy := (float32(y) - half + 0.5) / blockSize
		by0 := int(fy+1) - 1 // floor for fy ≥ −1
		ty := fy - float32(by0)
		by0c, by1c := min(max(by0, 0), bh-1), min(max(by0+1, 0), bh-1)
		for x := range p.w {
			fx := (float32(x) - half + 0.5) / blockSize
			bx0 := int(fx+1) - 1
			tx := fx - float32(bx0)
			bx0c, bx1c := min(max(bx0, 0), bw-1), min(max(bx0+1, 0), bw-1)
			i00, i01 := by0c*bw+bx0c, by0c*bw+bx1c
			i10, i11 := by1c*bw+bx0c, by1c*bw+bx1c
			vc := (c2[i00]*(1-tx)+c2[i01]*tx)*(1-ty) + (c2[i10]*(1-tx)+c2[i11]*tx)*ty
			vs := (s2[i00]*(1-tx)+s2[i01]*tx)*(1-ty) + (s2[i10]*(1-tx)+s2[i11]*tx)*ty
			bins[y*p.w+x] = angleBinLUT[int((vc+1)*angleLUTHalf+0.5)*angleLUTSize+int((vs+1)*angleLUTHalf+0.5)]
		}
	}
	return bins
}

// angleBinLUT maps a doubled-angle vector (cos 2θ, sin 2θ), each component
// quantised to angleLUTSize steps over [−1, 1], to the angle bin of θ
// without an arctangent per pixel.
const (
	angleLUTSize = 129
	angleLUTHalf = (angleLUTSize - 1) / 2
)

var angleBinLUT = func() (lut [angleLUTSize * angleLUTSize]uint8) {
	for i := range angleLUTSize {
		for j := range angleLUTSize {
			c := float64(i)/angleLUTHalf - 1
			s := float64(j)/angleLUTHalf - 1
			t := 0.5 * math.Atan2(s, c)
			if t < 0 {
				t += math.Pi
			}
			lut[i*angleLUTSize+j] = uint8(int(t/math.Pi*enhanceAngleBins+0.5) % enhanceAngleBins)
		}
	}
	return lut
}()
