package main

import (
	"math"
	"testing"
)

// regionDepth is the chessboard distance from the region's outside; the
// image's edge counts as outside (the latent ends there).
func TestRegionDepth(t *testing.T) {
	const w, h = 7, 5
	region := make([]bool, w*h)
	for y := range h {
		for x := 1; x < w; x++ { // column 0 is outside
			region[y*w+x] = true
		}
	}
	region[2*w+4] = false // a hole
	d := regionDepth(region, w, h)
	for _, tc := range []struct{ x, y, want int }{
		{0, 0, 0}, {1, 0, 1}, {2, 2, 2}, {2, 1, 2}, {3, 2, 1}, {4, 2, 0}, {6, 4, 1}, {6, 2, 1},
	} {
		if got := d[tc.y*w+tc.x]; got != tc.want {
			t.Errorf("depth at (%d, %d) = %d, want %d", tc.x, tc.y, got, tc.want)
		}
	}
}

func TestAngleBetween(t *testing.T) {
	for _, tc := range []struct{ a, b, want float64 }{
		{0, 0, 0}, {0.1, 2*math.Pi - 0.1, 0.2}, {0, math.Pi, math.Pi}, {-math.Pi / 2, math.Pi / 2, math.Pi}, {5, 5 + 4*math.Pi, 0},
	} {
		if got := angleBetween(tc.a, tc.b); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("angleBetween(%g, %g) = %g, want %g", tc.a, tc.b, got, tc.want)
		}
	}
}
