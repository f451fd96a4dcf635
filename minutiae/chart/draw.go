package chart

import (
	"image"
	"image/color"
	"math"

	"github.com/whorlafis/whorl/minutiae"
)

// The primitives below colour every pixel whose centre lies within a
// half-width of a shape's outline: no anti-aliasing, so the output is exact
// and tests can look for the colours themselves. Every one clips to a
// rectangle first, so coordinates far outside the picture cost nothing and
// never index outside it.

// fill colours the pixels of bbox ∩ clip ∩ dst whose centre is within hw of
// the shape whose distance function is dist.
func fill(dst *image.RGBA, clip image.Rectangle, x0, y0, x1, y1, hw float64, dist func(x, y float64) float64, c color.RGBA) {
	clip = clip.Intersect(dst.Bounds())
	if clip.Empty() || math.IsNaN(x0+y0+x1+y1) {
		return
	}
	fx0 := math.Max(math.Floor(x0-hw), float64(clip.Min.X))
	fy0 := math.Max(math.Floor(y0-hw), float64(clip.Min.Y))
	fx1 := math.Min(math.Ceil(x1+hw), float64(clip.Max.X))
	fy1 := math.Min(math.Ceil(y1+hw), float64(clip.Max.Y))
	if fx0 >= fx1 || fy0 >= fy1 {
		return
	}
	for y := int(fy0); y < int(fy1); y++ {
		for x := int(fx0); x < int(fx1); x++ {
			if dist(float64(x)+0.5, float64(y)+0.5) <= hw {
				dst.SetRGBA(x, y, c)
			}
		}
	}
}

// drawSegment draws the segment (x0, y0)–(x1, y1), hw either side.
func drawSegment(dst *image.RGBA, clip image.Rectangle, x0, y0, x1, y1, hw float64, c color.RGBA) {
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	dist := func(x, y float64) float64 {
		t := 0.0
		if l2 > 0 {
			t = math.Min(1, math.Max(0, ((x-x0)*dx+(y-y0)*dy)/l2))
		}
		return math.Hypot(x-(x0+t*dx), y-(y0+t*dy))
	}
	// A long line's bounding box is mostly empty: walk it in short pieces
	// so that the work grows with the line's length, not its box's area.
	steps := max(1, int(math.Min(math.Sqrt(l2), 1e5)/16))
	for i := range steps {
		a, b := float64(i)/float64(steps), float64(i+1)/float64(steps)
		xa, ya, xb, yb := x0+a*dx, y0+a*dy, x0+b*dx, y0+b*dy
		fill(dst, clip, math.Min(xa, xb), math.Min(ya, yb), math.Max(xa, xb), math.Max(ya, yb), hw, dist, c)
	}
}

// drawMark draws a minutia at (x, y): its kind's outline and a tick along
// its direction, starting at the outline.
func drawMark(dst *image.RGBA, clip image.Rectangle, x, y float64, m minutiae.Minutia, c color.RGBA) {
	r := markRadius
	var dist func(px, py float64) float64
	edge := r // where the tick starts: on the circle, within the square's and diamond's outline
	switch m.Kind {
	case minutiae.KindEnding:
		dist = func(px, py float64) float64 { return math.Abs(math.Hypot(px-x, py-y) - r) }
	case minutiae.KindBifurcation:
		dist = func(px, py float64) float64 { return math.Abs(math.Max(math.Abs(px-x), math.Abs(py-y)) - r) }
	default:
		// A diamond |dx| + |dy| = a, scaled so its stroke is as wide as
		// the others'.
		a := r * 1.3
		dist = func(px, py float64) float64 { return math.Abs(math.Abs(px-x)+math.Abs(py-y)-a) / math.Sqrt2 }
	}
	fill(dst, clip, x-r-1, y-r-1, x+r+1, y+r+1, markHalfW, dist, c)
	// Directions are counter-clockwise as the image is viewed, with y
	// pointing down (ISO/IEC 19794-2, minutiae.Minutia).
	ux, uy := math.Cos(float64(m.Direction)), -math.Sin(float64(m.Direction))
	drawSegment(dst, clip, x+edge*ux, y+edge*uy, x+(edge+tickLength)*ux, y+(edge+tickLength)*uy, markHalfW, c)
}

// fillRect paints r ∩ clip.
func fillRect(dst *image.RGBA, clip, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(clip).Intersect(dst.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			dst.SetRGBA(x, y, c)
		}
	}
}
