package matcher

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/whorlafis/whorl/minutiae"
	"github.com/whorlafis/whorl/minutiae/fmr"
)

const dataDir = "../../shared/data/fvc2002"

// syntheticTemplate scatters n minutiae over a 300×400 print, at least 10
// pixels apart, with random directions.
func syntheticTemplate(rng *rand.Rand, n int) minutiae.Template {
	t := minutiae.Template{Width: 300, Height: 400}
	for len(t.Minutiae) < n {
		m := minutiae.Minutia{
			X:         20 + 260*rng.Float32(),
			Y:         20 + 360*rng.Float32(),
			Direction: minutiae.NormalizeAngle(2 * math.Pi * rng.Float64()),
			Kind:      minutiae.Kind(1 + rng.IntN(2)),
		}
		ok := true
		for _, o := range t.Minutiae {
			if math.Hypot(float64(o.X-m.X), float64(o.Y-m.Y)) < 10 {
				ok = false
			}
		}
		if ok {
			t.Minutiae = append(t.Minutiae, m)
		}
	}
	return t
}

// transform rotates t by angle (counter-clockwise as the image is viewed)
// about (cx, cy), shifts it by (dx, dy), and moves each minutia by up to
// jitter pixels and jitter/20 radians.
func transform(rng *rand.Rand, t minutiae.Template, angle, cx, cy, dx, dy, jitter float64) minutiae.Template {
	out := t
	out.Minutiae = make([]minutiae.Minutia, len(t.Minutiae))
	s, c := math.Sincos(angle)
	for i, m := range t.Minutiae {
		// In y-up coordinates (x, -y) a CCW rotation is the usual one.
		x, y := float64(m.X)-cx, -(float64(m.Y) - cy)
		x, y = c*x-s*y, s*x+c*y
		j := func() float64 { return jitter * (2*rng.Float64() - 1) }
		m.X = float32(x + cx + dx + j())
		m.Y = float32(-y + cy + dy + j())
		m.Direction = minutiae.NormalizeAngle(float64(m.Direction) + angle + j()/20)
		out.Minutiae[i] = m
	}
	return out
}

// distorted is a genuine-like impression of t: rotated, shifted, jittered,
// with some minutiae missing and some spurious ones added.
func distorted(rng *rand.Rand, t minutiae.Template) minutiae.Template {
	d := transform(rng, t, 0.3, 150, 200, 15, -10, 3)
	var kept []minutiae.Minutia
	for _, m := range d.Minutiae {
		if rng.Float64() < 0.8 {
			kept = append(kept, m)
		}
	}
	extra := syntheticTemplate(rng, 6)
	d.Minutiae = append(kept, extra.Minutiae...)
	return d
}

func TestRotatedAndShiftedSelfMatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tpl := syntheticTemplate(rng, 40)
	rot := transform(rng, tpl, math.Pi/2, 150, 200, 37, -21, 0)
	r := Compare(Prepare(tpl), Prepare(rot))
	assert.Greater(t, r.Score, 0.0)
	assert.GreaterOrEqual(t, len(r.Pairs), 36, "most minutiae should be paired")
	for _, p := range r.Pairs {
		assert.Equal(t, p.Probe, p.Candidate, "a minutia must pair with its own rotated copy")
	}
}

func TestSyntheticGenuineOutscoresImpostor(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := syntheticTemplate(rng, 40)
	b := syntheticTemplate(rng, 40)
	pa := Prepare(a)
	genuine := Score(pa, Prepare(distorted(rng, a)))
	impostor := Score(pa, Prepare(b))
	assert.Greater(t, genuine, impostor)
	assert.Greater(t, genuine, 2*impostor)
}

func loadISO(t testing.TB, set, name string) minutiae.Template {
	t.Helper()
	path := filepath.Join(dataDir, set, "iso_templates", name+".iso")
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("reference data absent (%s): skipping", path)
	}
	require.NoError(t, err)
	rec, err := fmr.Decode(data)
	require.NoError(t, err)
	tpl, err := rec.Template(0)
	require.NoError(t, err)
	return tpl
}

func TestRealGenuineOutscoresImpostor(t *testing.T) {
	for _, set := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		probe := Prepare(loadISO(t, set, "101_1"))
		genuine := Compare(probe, Prepare(loadISO(t, set, "101_2")))
		impostor := Compare(probe, Prepare(loadISO(t, set, "102_1")))
		assert.Greater(t, genuine.Score, impostor.Score, set)
		assert.GreaterOrEqual(t, len(genuine.Pairs), 10, set)
	}
}

func TestPairsAreOneToOneAndInRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a := syntheticTemplate(rng, 50)
	pa, pb := Prepare(a), Prepare(distorted(rng, a))
	r := Compare(pa, pb)
	require.NotEmpty(t, r.Pairs)
	seenP, seenC := map[int]bool{}, map[int]bool{}
	for _, p := range r.Pairs {
		assert.False(t, seenP[p.Probe])
		assert.False(t, seenC[p.Candidate])
		seenP[p.Probe], seenC[p.Candidate] = true, true
		assert.Less(t, p.Probe, pa.Len())
		assert.Less(t, p.Candidate, pb.Len())
	}
}

func TestDegenerateTemplates(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	full := Prepare(syntheticTemplate(rng, 30))
	empty := Prepare(minutiae.Template{})
	one := Prepare(minutiae.Template{Minutiae: []minutiae.Minutia{{X: 10, Y: 10, Direction: 1}}})
	two := Prepare(minutiae.Template{Minutiae: []minutiae.Minutia{{X: 10, Y: 10, Direction: 1}, {X: 40, Y: 30, Direction: 2}}})
	// Same position twice: a zero-length edge.
	dup := Prepare(minutiae.Template{Minutiae: []minutiae.Minutia{{X: 10, Y: 10}, {X: 10, Y: 10}, {X: 10, Y: 10}}})
	for _, a := range []*Prepared{empty, one, two, dup, full} {
		for _, b := range []*Prepared{empty, one, two, dup} {
			r := Compare(a, b)
			assert.Equal(t, 0.0, r.Score)
			assert.Empty(t, r.Pairs)
			r = Compare(b, a)
			assert.Equal(t, 0.0, r.Score)
			assert.Empty(t, r.Pairs)
		}
	}
}

func TestTooManyMinutiae(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	tpl := minutiae.Template{Width: 2000, Height: 2000}
	for range 400 {
		tpl.Minutiae = append(tpl.Minutiae, minutiae.Minutia{X: 2000 * rng.Float32(), Y: 2000 * rng.Float32(), Direction: 6 * rng.Float32()})
	}
	p := Prepare(tpl)
	assert.Equal(t, minutiae.MaxMinutiae, p.Len())
	r := Compare(p, p)
	assert.Greater(t, r.Score, 0.0)
}

func TestConcurrentCompare(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var ps []*Prepared
	for range 6 {
		a := syntheticTemplate(rng, 35)
		ps = append(ps, Prepare(a), Prepare(distorted(rng, a)))
	}
	want := make([]float64, len(ps)*len(ps))
	for i, a := range ps {
		for j, b := range ps {
			want[i*len(ps)+j] = Score(a, b)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 3 * len(want) {
				i := (k + g) % len(want)
				r := Compare(ps[i/len(ps)], ps[i%len(ps)])
				if r.Score != want[i] {
					t.Errorf("comparison %d: score %v, want %v", i, r.Score, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCompareDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	a := syntheticTemplate(rng, 45)
	pa, pb := Prepare(a), Prepare(distorted(rng, a))
	m := NewMatcher()
	m.Compare(pa, pb)
	assert.Equal(t, 0.0, testing.AllocsPerRun(100, func() { m.Compare(pa, pb) }))
	if raceEnabled {
		t.Log("race detector on: sync.Pool drops items at random; not checking Score")
		return
	}
	Score(pa, pb)
	assert.Equal(t, 0.0, testing.AllocsPerRun(100, func() { Score(pa, pb) }))
}

// BenchmarkCompare compares prepared templates as a search would: each
// template of DB1_B against every other (mostly impostors, as
// in a search), or synthetic templates where the data is absent.
func BenchmarkCompare(b *testing.B) {
	var ps []*Prepared
	if _, err := os.Stat(dataDir); err == nil {
		for f := 101; f <= 110; f++ {
			for i := 1; i <= 8; i++ {
				ps = append(ps, Prepare(loadISO(b, "DB1_B", fmt.Sprintf("%d_%d", f, i))))
			}
		}
	} else {
		rng := rand.New(rand.NewPCG(15, 16))
		for range 80 {
			ps = append(ps, Prepare(syntheticTemplate(rng, 40)))
		}
	}
	m := NewMatcher()
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		// One probe against the whole gallery, then the next probe.
		i, j := (k/len(ps))%len(ps), k%len(ps)
		if i == j {
			j = (j + 1) % len(ps)
		}
		m.Compare(ps[i], ps[j])
		k++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "comparisons/s")
}

func BenchmarkPrepare(b *testing.B) {
	var ts []minutiae.Template
	if _, err := os.Stat(dataDir); err == nil {
		for f := 101; f <= 110; f++ {
			ts = append(ts, loadISO(b, "DB1_B", fmt.Sprintf("%d_1", f)))
		}
	} else {
		rng := rand.New(rand.NewPCG(17, 18))
		for range 10 {
			ts = append(ts, syntheticTemplate(rng, 40))
		}
	}
	k := 0
	for b.Loop() {
		Prepare(ts[k%len(ts)])
		k++
	}
}

func TestOddValuesDoNotPanic(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	odd := minutiae.Template{Minutiae: []minutiae.Minutia{
		{X: nan, Y: 10, Direction: 1},
		{X: inf, Y: -inf, Direction: nan},
		{X: -50, Y: -50, Direction: -7},
		{X: 1e30, Y: 1e30, Direction: 100},
		{X: 10, Y: 10, Direction: 0},
		{X: 12, Y: 30, Direction: 6.2831},
		{X: 40, Y: 20, Direction: 3},
	}}
	rng := rand.New(rand.NewPCG(19, 20))
	p, q := Prepare(odd), Prepare(syntheticTemplate(rng, 30))
	assert.NotPanics(t, func() {
		Compare(p, p)
		Compare(p, q)
		Compare(q, p)
	})
}
