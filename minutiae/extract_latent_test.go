package minutiae

import (
	"math"
	"math/rand/v2"
	"testing"
)

// latentDisc is a synthetic latent: the pattern of base (its grey levels
// around 128) inside a disc of radius r around (ox, oy), its contrast
// scaled by contrast and fading to nothing over the disc's outer fade
// pixels, on a surface of grey 170 with Gaussian noise of deviation noise
// (seeded: the same image every run).
func latentDisc(base *Image, ox, oy, r, fade, contrast, noise float64) *Image {
	rng := rand.New(rand.NewPCG(7, 11))
	g := base.Gray
	return grayImage(g.Rect.Dx(), g.Rect.Dy(), func(x, y int) uint8 {
		d := math.Hypot(float64(x)-ox, float64(y)-oy)
		w := min(max((r-d)/fade, 0), 1)
		v := 170 + w*contrast*(float64(g.Pix[y*g.Stride+x])-128) + noise*rng.NormFloat64()
		return uint8(min(max(math.Round(v), 0), 255))
	})
}

// On a latent, a minutia 8 pixels inside the faded rim of the deposit is
// kept (latentBorderMargin); the full-print path, whose border margin is
// for a sensor's edge, drops most of them. Bifurcations (the inverted
// pattern) are kept whatever their direction; an ending too when its ridge
// runs along the rim, not out of it.
func TestExtractLatentKeepsRimMinutiae(t *testing.T) {
	const ox, oy, r = 150.0, 150.0, 80.0
	const cx, cy = ox, oy - r + 8 // 8 px inside the rim, at the top
	latentKept, fullKept := 0, 0
	for _, tc := range []struct {
		name   string
		dir    float64 // model convention, counter-clockwise
		invert bool
	}{
		{"bifurcation pointing out", math.Pi / 2, true},
		{"bifurcation pointing in", -math.Pi / 2, true},
		{"bifurcation along the rim", 0, true},
		{"ending along the rim", math.Pi, false},
	} {
		img := latentDisc(spiralImage(300, 300, cx, cy, tc.dir, tc.invert), ox, oy, r, 6, 0.25, 3)
		lat, err := Extract(img, &ExtractOptions{Impression: LatentPhoto})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if m, d := nearest(lat, cx, cy); d > 5 {
			t.Errorf("%s: latent: no minutia within 5 px of (%g, %g); nearest %+v at %.1f px", tc.name, cx, cy, m, d)
		} else {
			latentKept++
		}
		full, err := Extract(img, &ExtractOptions{Impression: LivePlain})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if _, d := nearest(full, cx, cy); d <= 5 {
			fullKept++
		}
	}
	if fullKept >= latentKept {
		t.Errorf("the full-print path kept %d of the rim's minutiae, the latent path %d", fullKept, latentKept)
	}
}

// Parallel ridges that fade out at a latent's rim give no endings there:
// the ridges do not end, the deposit does (fadedEnding).
func TestExtractLatentFadedRidgesAreNotEndings(t *testing.T) {
	const ox, oy, r = 150.0, 150.0, 80.0
	for _, deg := range []float64{0, 30, 90, 135} {
		a := deg * math.Pi / 180
		ux, uy := math.Cos(a), math.Sin(a)
		stripes := grayImage(300, 300, func(x, y int) uint8 {
			across := -float64(x)*uy + float64(y)*ux
			return uint8(128 - 90*math.Cos(2*math.Pi*across/9))
		})
		img := latentDisc(stripes, ox, oy, r, 6, 0.25, 8)
		tpl, err := Extract(img, &ExtractOptions{Impression: Latent})
		if err != nil {
			t.Fatalf("%g°: %v", deg, err)
		}
		for _, m := range tpl.Minutiae {
			if m.Kind == KindEnding {
				t.Errorf("%g°: ending %+v, %.0f px from the centre of a disc of radius %g without any", deg, m, math.Hypot(float64(m.X)-ox, float64(m.Y)-oy), r)
			}
		}
	}
}
