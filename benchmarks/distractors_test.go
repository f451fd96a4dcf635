package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/matcher"
	"github.com/whorlafis/whorl/minutiae"
)

// fakeRealTemplates stands in for real templates where the tests need no
// realism: prints of 388×374 with 20 to 60 minutiae spread over an ellipse.
func fakeRealTemplates(rng *rand.Rand, n int) []minutiae.Template {
	ts := make([]minutiae.Template, n)
	for i := range ts {
		t := minutiae.Template{Width: 388, Height: 374, Quality: 90}
		for range 20 + rng.IntN(41) {
			a, r := 2*math.Pi*rng.Float64(), math.Sqrt(rng.Float64())
			t.Minutiae = append(t.Minutiae, minutiae.Minutia{
				X:         float32(194 + 100*r*math.Cos(a)),
				Y:         float32(187 + 150*r*math.Sin(a)),
				Direction: minutiae.NormalizeAngle(2 * math.Pi * rng.Float64()),
				Kind:      minutiae.Kind(1 + rng.IntN(2)),
				Quality:   uint8(40 + rng.IntN(61)),
			})
		}
		ts[i] = t
	}
	return ts
}

func TestDistractorTemplateValidAndDeterministic(t *testing.T) {
	model := fitDistractorModel(fakeRealTemplates(rand.New(rand.NewPCG(1, 2)), 50))
	a, b := rand.New(rand.NewPCG(3, 4)), rand.New(rand.NewPCG(3, 4))
	for i := range 2000 {
		ta, tb := model.Template(a), model.Template(b)
		require.NoError(t, ta.Validate(), "template %d", i)
		require.Equal(t, ta, tb, "template %d differs for the same seed", i)
		require.GreaterOrEqual(t, len(ta.Minutiae), 2)
		for _, m := range ta.Minutiae {
			require.True(t, m.X <= float32(ta.Width) && m.Y <= float32(ta.Height), "minutia outside the sensor")
		}
	}
	other := model.Template(rand.New(rand.NewPCG(5, 6)))
	assert.NotEqual(t, model.Template(rand.New(rand.NewPCG(3, 4))), other, "different seeds, same template")
}

func TestDistractorCountDistribution(t *testing.T) {
	real := fakeRealTemplates(rand.New(rand.NewPCG(7, 8)), 200)
	model := fitDistractorModel(real)
	rng := rand.New(rand.NewPCG(9, 10))
	synthetic := make([]minutiae.Template, 5000)
	for i := range synthetic {
		synthetic[i] = model.Template(rng)
	}
	want, got := summariseCounts(real), summariseCounts(synthetic)
	assert.InDelta(t, want.Mean, got.Mean, 0.05*want.Mean, "mean minutia count")
	assert.InDelta(t, want.P10, got.P10, 0.15*float64(want.P10), "10th percentile of the count")
	assert.InDelta(t, want.P90, got.P90, 0.15*float64(want.P90), "90th percentile of the count")
}

func TestDistractorModelCopiesNoMinutia(t *testing.T) {
	real := fakeRealTemplates(rand.New(rand.NewPCG(11, 12)), 20)
	seen := map[[2]float32]bool{}
	for _, r := range real {
		for _, m := range r.Minutiae {
			seen[[2]float32{m.X, m.Y}] = true
		}
	}
	model := fitDistractorModel(real)
	rng := rand.New(rand.NewPCG(13, 14))
	for range 500 {
		for _, m := range model.Template(rng).Minutiae {
			require.False(t, seen[[2]float32{m.X, m.Y}], "a real minutia's position was copied")
		}
	}
}

func TestRealismReportCounts(t *testing.T) {
	ts := fakeRealTemplates(rand.New(rand.NewPCG(15, 16)), 6)
	fingers := []int{1, 1, 2, 2, 3, 3}
	var calls atomic.Int64
	score := func(p, c minutiae.Template) float64 { calls.Add(1); return float64(len(c.Minutiae)) }
	r := distractorRealism(score, ts[:2], fingers[:2], ts, fingers, ts[2:])
	assert.Equal(t, 2*4, r.Real.Count, "two probes against the four templates of other fingers")
	assert.Equal(t, 2*4, r.Synthetic.Count)
	assert.EqualValues(t, 16, calls.Load())
	assert.Equal(t, 1.0, r.Real.AboveZero)
	var b strings.Builder
	r.print(&b)
	assert.Contains(t, b.String(), "p99.9")
}

// loadFVC extracts the templates of the given impressions of each set. Finger
// ids are unique across sets: 1000 × (the set's place in dbs + 1) + finger.
func loadFVC(t testing.TB, dbs []string, impressionsWanted []int) ([]minutiae.Template, []int) {
	type job struct {
		path   string
		finger int
	}
	var jobs []job
	for d, db := range dbs {
		for f := firstFinger; f < firstFinger+fingers; f++ {
			for _, i := range impressionsWanted {
				jobs = append(jobs, job{filepath.Join(dataDir, db, fmt.Sprintf("%d_%d.tif", f, i)), 1000*(d+1) + f})
			}
		}
	}
	ts := parallelMap(jobs, func(j job) minutiae.Template {
		tp, err := extractTemplate(j.path)
		if err != nil {
			t.Errorf("%s: %v", j.path, err)
		}
		return tp
	})
	if t.Failed() {
		t.FailNow()
	}
	ids := make([]int, len(jobs))
	for i, j := range jobs {
		ids[i] = j.finger
	}
	return ts, ids
}

func requireFVC(t testing.TB) {
	if _, err := os.Stat(filepath.Join(dataDir, "DB1_B")); err != nil {
		t.Skipf("reference data absent (%s): skipping", dataDir)
	}
}

var allSets = []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"}

func prepareForRealism(t minutiae.Template) *matcher.Prepared { return matcher.Prepare(t) }
func scoreForRealism(p, c *matcher.Prepared) float64          { return matcher.Score(p, c) }

func syntheticGallery(model *distractorModel, seed uint64, n int) []minutiae.Template {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	ts := make([]minutiae.Template, n)
	for i := range ts {
		ts[i] = model.Template(rng)
	}
	return ts
}

// TestDistractorRealism checks on real data, quickly, that distractors are
// about as hard to reject as real impostors: probes from DB1 and DB3 against
// every real template of another finger and against 1,500 distractors.
func TestDistractorRealism(t *testing.T) {
	requireFVC(t)
	real, realFinger := loadFVC(t, allSets, []int{1, 2, 3, 4, 5, 6, 7, 8})
	var probes []minutiae.Template
	var probeFinger []int
	for i, tp := range real {
		db, impression := realFinger[i]/1000, i%impressions+1
		if (db == 1 || db == 3) && impression >= 2 && impression%2 == 0 {
			probes = append(probes, tp)
			probeFinger = append(probeFinger, realFinger[i])
		}
	}
	model := fitDistractorModel(real)
	synthetic := syntheticGallery(model, 21, 1500)
	r := distractorRealismPrepared(prepareForRealism, scoreForRealism, probes, probeFinger, real, realFinger, synthetic)
	var b strings.Builder
	r.print(&b)
	t.Log("\n" + b.String())
	// Measured: synthetic/real 0.92 at p90 and 0.90 at p99 (0.91 and 0.88 in
	// the search suite's run); the bands leave room for the small sample.
	for _, c := range []struct{ p, lo, hi float64 }{{90, 0.8, 1.2}, {99, 0.75, 1.25}} {
		i := slices.Index(realismPercentiles, c.p)
		ratio := r.Synthetic.Percentiles[i] / r.Real.Percentiles[i]
		assert.GreaterOrEqual(t, ratio, c.lo, "distractors much easier to reject than real impostors at p%g", c.p)
		assert.LessOrEqual(t, ratio, c.hi, "distractors much harder to reject than real impostors at p%g", c.p)
	}
	assert.Greater(t, r.Synthetic.AboveZero, 0.5*r.Real.AboveZero, "distractors trivially rejected")
}

// TestDistractorRealismFull is the full measurement, run on demand
// (WHORL_DISTRACTOR_REALISM=1, about a minute on two cores): probes are
// impressions 2–8 of DB1–DB3, real impostors every template of DB1–DB4 of
// another finger, against 20,000 distractors.
func TestDistractorRealismFull(t *testing.T) {
	if os.Getenv("WHORL_DISTRACTOR_REALISM") == "" {
		t.Skip("set WHORL_DISTRACTOR_REALISM=1 to run the full realism measurement")
	}
	requireFVC(t)
	real, realFinger := loadFVC(t, allSets, []int{1, 2, 3, 4, 5, 6, 7, 8})
	var probes []minutiae.Template
	var probeFinger []int
	for i, tp := range real {
		if realFinger[i] < 4000 && i%impressions != 0 {
			probes = append(probes, tp)
			probeFinger = append(probeFinger, realFinger[i])
		}
	}
	model := fitDistractorModel(real)
	synthetic := syntheticGallery(model, 31, 20000)
	r := distractorRealismPrepared(prepareForRealism, scoreForRealism, probes, probeFinger, real, realFinger, synthetic)
	var b strings.Builder
	r.print(&b)
	t.Log("\n" + b.String())
}

func BenchmarkDistractorTemplate(b *testing.B) {
	model := fitDistractorModel(fakeRealTemplates(rand.New(rand.NewPCG(1, 2)), 50))
	if _, err := os.Stat(filepath.Join(dataDir, "DB1_B")); err == nil {
		real, _ := loadFVC(b, allSets, []int{1, 2, 3, 4, 5, 6, 7, 8})
		model = fitDistractorModel(real)
	}
	rng := rand.New(rand.NewPCG(41, 42))
	b.ReportAllocs()
	for b.Loop() {
		model.Template(rng)
	}
}
