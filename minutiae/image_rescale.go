package minutiae

import (
	"image"
	"math"

	"github.com/disintegration/imaging"
)

// rescaledSize returns the size of a w × h image of the given resolution
// once rescaled to StandardPPI, and whether it needs rescaling at all: not
// when ppi is within PPITolerance of StandardPPI. Each side is rounded to the
// nearest pixel and is at least 1.
func rescaledSize(w, h int, ppi float64) (outW, outH int, resize bool) {
	if near(ppi, StandardPPI) {
		return w, h, false
	}
	f := StandardPPI / ppi
	side := func(n int) int { return max(1, int(math.Round(float64(n)*f))) }
	return side(w), side(h), true
}

// rescaleGray resamples g to w × h pixels.
//
// The filter is Catmull-Rom (the cubic with B = 0, C = 0.5). Ridges at 500
// ppi are 8–12 pixels apart, far below the Nyquist limit, so a sharper,
// wider filter such as Lanczos-3 would keep nothing more of them; it would
// only ring more (ripples beside strong edges such as a sensor's border,
// which look like faint ridges) and cost more (6 taps a side against 4).
// Catmull-Rom keeps ridge contrast better than the smoother cubics
// (Mitchell, B-spline) or bilinear. When shrinking, imaging widens the
// filter by the scale factor, so downscaling is properly low-pass filtered
// and does not alias ridges into moiré.
//
// imaging works in 8-bit NRGBA; for a grey opaque input the red, green and
// blue results are equal, and red is kept.
func rescaleGray(g *image.Gray, w, h int) *image.Gray {
	n := imaging.Resize(g, w, h, imaging.CatmullRom)
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		row := n.Pix[y*n.Stride:]
		for x := range w {
			out.Pix[y*out.Stride+x] = row[4*x]
		}
	}
	return out
}
