package main

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEERSeparated(t *testing.T) {
	gen := []float64{10, 11, 12, 13}
	imp := []float64{1, 2, 3, 4}
	assert.Equal(t, 0.0, EER(gen, imp))
	assert.Equal(t, 0.0, FNMRAtFMR(gen, imp, 0))
	assert.Equal(t, 0.0, FNMRAtFMR(gen, imp, 0.01))
}

func TestEERExactCrossing(t *testing.T) {
	// Threshold 5: FNMR = 1/4 (genuine 4 below), FMR = 1/4 (impostor 6).
	gen := []float64{4, 7, 8, 9}
	imp := []float64{1, 2, 3, 6}
	assert.InDelta(t, 0.25, EER(gen, imp), 1e-12)
}

func TestEERInterpolated(t *testing.T) {
	// Thresholds: 1 → (FMR 1, FNMR 0); 2 → (FMR 1/2, FNMR 0);
	// 3 → (FMR 1/2, FNMR 1/2)... Completely overlapping: genuine {2, 3},
	// impostor {2, 3}: points t=2 (1, 0), t=3 (1/2, 1/2): EER 1/2 exactly.
	assert.InDelta(t, 0.5, EER([]float64{2, 3}, []float64{2, 3}), 1e-12)

	// Genuine {1, 3}, impostor {2}: t=1 (FMR 1, FNMR 0); t=2 (FMR 1,
	// FNMR 1/2); t=3 (FMR 0, FNMR 1/2): the crossing is on the segment
	// from (1, 1/2) to (0, 1/2), at 1/2.
	assert.InDelta(t, 0.5, EER([]float64{1, 3}, []float64{2}), 1e-12)

	// Genuine {5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, impostor {0…8} with
	// one impostor at 9.5: the segment from t=6 (FMR 3/10, FNMR 1/10) to
	// t=7 (FMR 2/10, FNMR 2/10) crosses at exactly 0.2.
	gen := []float64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
	imp := []float64{0, 1, 2, 3, 4, 4.5, 5.5, 6.5, 8.5, 9.5}
	e := EER(gen, imp)
	assert.InDelta(t, 0.2, e, 1e-12)
}

func TestEERSegment(t *testing.T) {
	// Two points straddling the diagonal: (FMR 0.4, FNMR 0.1) then (0.1,
	// 0.3). The segment meets FMR = FNMR at λ = 0.3/0.5 = 0.6: 0.4 - 0.18.
	a := ratePoint{fmr: 0.4, fnmr: 0.1}
	b := ratePoint{fmr: 0.1, fnmr: 0.3}
	assert.InDelta(t, 0.22, crossing(a, b), 1e-12)
}

func TestFNMRAtFMR(t *testing.T) {
	// 10 impostors 0..9, genuine 5..14 (10).
	var gen, imp []float64
	for i := range 10 {
		imp = append(imp, float64(i))
		gen = append(gen, float64(i+5))
	}
	// FMR ≤ 10%: threshold 9 (FMR 1/10) → FNMR 4/10 (5,6,7,8 below).
	assert.InDelta(t, 0.4, FNMRAtFMR(gen, imp, 0.1), 1e-12)
	// FMR 0: threshold 10 (above every impostor) → FNMR 5/10.
	assert.InDelta(t, 0.5, FNMRAtFMR(gen, imp, 0), 1e-12)
	// FMR ≤ 100%: FNMR 0.
	assert.Equal(t, 0.0, FNMRAtFMR(gen, imp, 1))
	// Ties: an impostor tied with the best genuine forces ZeroFMR to 100%.
	assert.Equal(t, 1.0, FNMRAtFMR([]float64{3, 3}, []float64{3}, 0))
}

func TestMetricsEmpty(t *testing.T) {
	assert.True(t, math.IsNaN(EER(nil, []float64{1})))
	assert.True(t, math.IsNaN(EER([]float64{1}, nil)))
	assert.True(t, math.IsNaN(FNMRAtFMR(nil, []float64{1}, 0)))
}

func TestCalibrationTable(t *testing.T) {
	// 100 impostor scores 0..99: FMR(s) = (100 - s)/100.
	var imp []float64
	for i := range 100 {
		imp = append(imp, float64(i))
	}
	pts := calibrationTable(imp)
	assert.Equal(t, calPoint{0, 1}, pts[0])
	assert.Equal(t, calPoint{99, 0.01}, pts[len(pts)-1])
	for i := 1; i < len(pts); i++ {
		assert.Greater(t, pts[i].score, pts[i-1].score)
		assert.Less(t, pts[i].fmr, pts[i-1].fmr)
		assert.InDelta(t, (100-pts[i].score)/100, pts[i].fmr, 1e-12)
	}
	// Ties: FMR counts every score at least as high.
	pts = calibrationTable([]float64{5, 5, 5, 1})
	assert.Equal(t, []calPoint{{1, 1}, {5, 0.75}}, pts)
}
