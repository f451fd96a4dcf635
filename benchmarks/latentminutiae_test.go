package main

import (
	"math"
	"strings"
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

// The calibration line sums the latents' impostor comparisons and sets
// each count against what its estimated FMR promises.
func TestLatentMinutiaeCalibrationLine(t *testing.T) {
	stats := []latentMinutiaStats{
		{latentScores: latentScores{impostors: 1000, impostorsAt: [len(calibrationChecks)]int{10, 1, 0}}},
		{latentScores: latentScores{impostors: 500, impostorsAt: [len(calibrationChecks)]int{5, 0, 0}}},
	}
	var b strings.Builder
	printLatentMinutiae(&b, stats)
	want := "calibration against real prints of other fingers (1500 comparisons): impostors at estimated FMR ≤ 0.01: 15 (expected 15.0); ≤ 0.001: 1 (expected 1.5); ≤ 0.0001: 0 (expected 0.1);"
	if !strings.Contains(b.String(), want) {
		t.Errorf("report lacks\n%s\ngot\n%s", want, b.String())
	}
}
