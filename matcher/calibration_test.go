package matcher

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCalibrationTableIsMonotonic(t *testing.T) {
	if len(calibrationTable) == 0 {
		t.Skip("no calibration table")
	}
	assert.Equal(t, 1.0, calibrationTable[0].FMR)
	for i := 1; i < len(calibrationTable); i++ {
		assert.Greater(t, calibrationTable[i].Score, calibrationTable[i-1].Score)
		assert.Less(t, calibrationTable[i].FMR, calibrationTable[i-1].FMR)
	}
	assert.InDelta(t, 1/float64(calibrationImpostors), calibrationTable[len(calibrationTable)-1].FMR, 1e-9)
}

func TestFMRAndThreshold(t *testing.T) {
	if len(calibrationTable) == 0 {
		t.Skip("no calibration table")
	}
	assert.Equal(t, 1.0, FMR(0))
	assert.Equal(t, 1.0, FMR(-1))
	prev := 1.0
	for s := 0.0; s < 100; s += 0.25 {
		f := FMR(s)
		assert.LessOrEqual(t, f, prev, "FMR must not rise with the score")
		prev = f
	}
	for _, f := range []float64{0.5, 0.1, 0.01, 1e-3, 1e-4} {
		th, ok := ThresholdAtFMR(f)
		assert.True(t, ok, "FMR %g", f)
		assert.InDelta(t, f, FMR(th), f*1e-6, "FMR %g", f)
	}
	_, ok := ThresholdAtFMR(1e-7)
	assert.False(t, ok, "FMR 1e-7 is far below what the table resolves")
	assert.False(t, math.IsInf(DecisionThreshold, 0))
	assert.LessOrEqual(t, FMR(DecisionThreshold), DecisionFMR*(1+1e-9))
}
