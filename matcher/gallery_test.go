package matcher

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

// fillGallery enrols n synthetic single-finger subjects "d<i>".
func fillGallery(t testing.TB, g *Gallery, rng *rand.Rand, n int) {
	t.Helper()
	for i := range n {
		require.NoError(t, g.AddSubject(fmt.Sprintf("d%d", i), []minutiae.Template{syntheticTemplate(rng, 25+rng.IntN(30))}))
	}
}

func TestGallerySearchFindsRealMates(t *testing.T) {
	if _, err := os.Stat(dataDir); err != nil {
		t.Skipf("reference data absent (%s): skipping", dataDir)
	}
	var g Gallery
	fillGallery(t, &g, rand.New(rand.NewPCG(1, 2)), 1000)
	sets := []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"}
	for _, set := range sets {
		for f := 101; f <= 110; f++ {
			require.NoError(t, g.AddSubject(fmt.Sprintf("%s-%d", set, f), []minutiae.Template{loadISO(t, set, fmt.Sprintf("%d_1", f))}))
		}
	}
	fingers, subjects := g.Len()
	assert.Equal(t, 1040, fingers)
	assert.Equal(t, 1040, subjects)
	ctx := context.Background()
	found, agree, probes := 0, 0, 0
	for _, set := range sets {
		for f := 101; f <= 110; f++ {
			for imp := 2; imp <= 8; imp += 4 {
				probe := loadISO(t, set, fmt.Sprintf("%d_%d", f, imp))
				mate := fmt.Sprintf("%s-%d", set, f)
				indexed, err := g.Search(ctx, probe, SearchOptions{Top: 1, Shortlist: 50})
				require.NoError(t, err)
				exhaustive, err := g.Search(ctx, probe, SearchOptions{Top: 1, Exhaustive: true})
				require.NoError(t, err)
				require.Len(t, indexed, 1)
				require.Len(t, exhaustive, 1)
				probes++
				if indexed[0].Key.Subject == mate {
					found++
					assert.NotEmpty(t, indexed[0].Pairs)
					assert.InDelta(t, FMR(indexed[0].Score), indexed[0].FMR, 1e-12)
				}
				if exhaustive[0].Key.Subject == mate {
					// The shortlist of 50 out of 1,040 must keep every mate
					// the exhaustive search ranks first.
					if assert.Equal(t, mate, indexed[0].Key.Subject, "probe %s %d_%d", set, f, imp) {
						agree++
						assert.Equal(t, exhaustive[0].Score, indexed[0].Score)
					}
				}
			}
		}
	}
	t.Logf("rank-1 %d of %d probes; all %d exhaustive rank-1 mates kept", found, probes, agree)
	assert.Greater(t, found, probes*3/4)
}

func TestGalleryReplaceAndRemove(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var g Gallery
	ctx := context.Background()
	a, b := syntheticTemplate(rng, 40), syntheticTemplate(rng, 40)
	a.Position, b.Position = minutiae.RightIndex, minutiae.LeftIndex
	require.NoError(t, g.AddSubject("s1", []minutiae.Template{a, b}))
	fillGallery(t, &g, rng, 50)
	find := func(probe minutiae.Template) []Candidate {
		cs, err := g.Search(ctx, probe, SearchOptions{Top: 3, AnyPosition: true})
		require.NoError(t, err)
		return cs
	}
	cs := find(a)
	require.NotEmpty(t, cs)
	assert.Equal(t, Key{"s1", minutiae.RightIndex}, cs[0].Key)

	// Replacing the right index with another template: the old one is gone.
	c := syntheticTemplate(rng, 40)
	require.NoError(t, g.Add(Key{"s1", minutiae.RightIndex}, c))
	fingers, subjects := g.Len()
	assert.Equal(t, 52, fingers)
	assert.Equal(t, 51, subjects)
	for _, cand := range find(a) {
		assert.NotEqual(t, "s1", cand.Key.Subject, "replaced finger returned")
	}
	assert.Equal(t, Key{"s1", minutiae.RightIndex}, find(c)[0].Key)
	assert.Equal(t, Key{"s1", minutiae.LeftIndex}, find(b)[0].Key, "the other finger is kept")

	assert.True(t, g.Remove(Key{"s1", minutiae.LeftIndex}))
	assert.False(t, g.Remove(Key{"s1", minutiae.LeftIndex}))
	assert.False(t, g.Has(Key{"s1", minutiae.LeftIndex}))
	assert.True(t, g.Has(Key{"s1", minutiae.RightIndex}))
	for _, cand := range find(b) {
		assert.NotEqual(t, "s1", cand.Key.Subject, "removed finger returned")
	}
	assert.True(t, g.RemoveSubject("s1"))
	assert.False(t, g.RemoveSubject("s1"))
	for _, cand := range find(c) {
		assert.NotEqual(t, "s1", cand.Key.Subject, "removed subject returned")
	}
	fingers, subjects = g.Len()
	assert.Equal(t, 50, fingers)
	assert.Equal(t, 50, subjects)
}

func TestGalleryRejectsBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var g Gallery
	a := syntheticTemplate(rng, 30)
	a.Position = minutiae.RightThumb
	assert.ErrorIs(t, g.AddSubject("", []minutiae.Template{a}), ErrEmptySubject)
	assert.ErrorIs(t, g.AddSubject("x", []minutiae.Template{a, a}), ErrDuplicateFinger)
	assert.ErrorIs(t, g.AddSubject("x", []minutiae.Template{{}}), ErrNoMinutiae)
	assert.ErrorIs(t, g.AddSubject("x", make([]minutiae.Template, maxFingersPerSubject+1)), ErrTooManyFingers)
	assert.ErrorIs(t, g.AddSubject("x", nil), ErrNoFingers)
	bad := a
	bad.Position = minutiae.MaxFingerPosition + 1
	assert.ErrorIs(t, g.AddSubject("x", []minutiae.Template{bad}), ErrBadPosition)
	_, err := g.Search(context.Background(), minutiae.Template{}, SearchOptions{})
	assert.ErrorIs(t, err, ErrNoMinutiae)
	fingers, _ := g.Len()
	assert.Zero(t, fingers, "a refused subject leaves nothing behind")
	cs, err := g.Search(context.Background(), a, SearchOptions{})
	require.NoError(t, err)
	assert.Empty(t, cs, "an empty gallery finds no one")
}

func TestSearchPositions(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var g Gallery
	tpl := syntheticTemplate(rng, 40)
	for _, p := range []minutiae.FingerPosition{minutiae.UnknownFinger, minutiae.RightThumb, minutiae.LeftThumb} {
		t2 := tpl
		t2.Position = p
		require.NoError(t, g.AddSubject(fmt.Sprintf("p%d", p), []minutiae.Template{t2}))
	}
	keys := func(probePos minutiae.FingerPosition, opt SearchOptions) []string {
		probe := tpl
		probe.Position = probePos
		cs, err := g.Search(context.Background(), probe, opt)
		require.NoError(t, err)
		var ks []string
		for _, c := range cs {
			ks = append(ks, c.Key.Subject)
		}
		return ks
	}
	assert.ElementsMatch(t, []string{"p0", "p1"}, keys(minutiae.RightThumb, SearchOptions{}))
	assert.ElementsMatch(t, []string{"p0", "p1", "p6"}, keys(minutiae.RightThumb, SearchOptions{AnyPosition: true}))
	assert.ElementsMatch(t, []string{"p0", "p1", "p6"}, keys(minutiae.UnknownFinger, SearchOptions{}))
	assert.ElementsMatch(t, []string{"p0"}, keys(minutiae.UnknownFinger, SearchOptions{SamePositionOnly: true}))
}

// TestGalleryConcurrent adds, replaces and removes subjects while searches
// run (run it with -race): no search fails, and none returns a subject
// removed before it started.
func TestGalleryConcurrent(t *testing.T) {
	// Tiny segments, so that writes seal and compact them while searches
	// read older snapshots.
	defer func(e, r int) { segmentEntries, segmentRecords = e, r }(segmentEntries, segmentRecords)
	segmentEntries, segmentRecords = 64, 16
	rng := rand.New(rand.NewPCG(9, 10))
	var g Gallery
	probes := make([]minutiae.Template, 8)
	for i := range probes {
		probes[i] = syntheticTemplate(rng, 35)
		require.NoError(t, g.AddSubject(fmt.Sprintf("m%d", i), []minutiae.Template{probes[i]}))
	}
	fillGallery(t, &g, rng, 300)
	var removed sync.Map // subject → true, stored after RemoveSubject returns
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		wrng := rand.New(rand.NewPCG(11, 12))
		for i := 0; !stop.Load() && i < 400; i++ {
			switch i % 4 {
			case 0:
				assert.NoError(t, g.AddSubject(fmt.Sprintf("n%d", i), []minutiae.Template{syntheticTemplate(wrng, 30)}))
			case 1:
				// Removing most of the distractors empties sealed segments:
				// they are compacted or dropped.
				g.RemoveSubject(fmt.Sprintf("d%d", i))
				g.RemoveSubject(fmt.Sprintf("d%d", i+1))
			case 2:
				assert.NoError(t, g.Add(Key{fmt.Sprintf("d%d", i), minutiae.UnknownFinger}, syntheticTemplate(wrng, 30)))
			case 3:
				s := fmt.Sprintf("m%d", (i/4)%len(probes))
				if g.RemoveSubject(s) {
					removed.Store(s, true)
				}
			}
		}
		stop.Store(true)
	}()
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; !stop.Load(); i++ {
				var gone []string
				removed.Range(func(k, _ any) bool { gone = append(gone, k.(string)); return true })
				cs, err := g.Search(context.Background(), probes[i%len(probes)], SearchOptions{Top: 20, AnyPosition: true})
				if !assert.NoError(t, err) {
					return
				}
				for _, c := range cs {
					assert.NotContains(t, gone, c.Key.Subject, "a subject removed before the search began was returned")
				}
			}
		}()
	}
	wg.Wait()
	// Every live subject is still where the writer side thinks it is.
	fingers, subjects := g.Len()
	assert.Equal(t, fingers, subjects)
	for s := range g.subjects {
		assert.True(t, g.Has(Key{s, minutiae.UnknownFinger}), s)
	}
}

func TestSearchHonoursContext(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var g Gallery
	fillGallery(t, &g, rng, 3000)
	probe := syntheticTemplate(rng, 40)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := g.Search(ctx, probe, SearchOptions{Exhaustive: true})
	assert.ErrorIs(t, err, context.Canceled)
	_, err = g.Identify(ctx, []minutiae.Template{probe}, SearchOptions{})
	assert.ErrorIs(t, err, context.Canceled)

	// Cancelled in the middle of an exhaustive search (3,000 precise
	// comparisons, far more than the few milliseconds before the cancel):
	// it returns the context's error instead of finishing.
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := g.Search(ctx, probe, SearchOptions{Exhaustive: true})
		done <- err
	}()
	time.Sleep(5 * time.Millisecond)
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)

	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err = g.Search(ctx, probe, SearchOptions{Exhaustive: true})
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
}

func TestIdentifyFusesFingers(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	var g Gallery
	// Ten-finger subjects; the probe is subject t3's fingers, distorted.
	var probe []minutiae.Template
	for s := range 20 {
		var fs []minutiae.Template
		for p := minutiae.RightThumb; p <= minutiae.LeftLittle; p++ {
			f := syntheticTemplate(rng, 30+rng.IntN(20))
			f.Position = p
			fs = append(fs, f)
			if s == 3 {
				d := distorted(rng, f)
				d.Position = p
				probe = append(probe, d)
			}
		}
		require.NoError(t, g.AddSubject(fmt.Sprintf("t%d", s), fs))
	}
	ctx := context.Background()
	for _, n := range []int{1, 2, 10} {
		cs, err := g.Identify(ctx, probe[:n], SearchOptions{Top: 5})
		require.NoError(t, err)
		require.NotEmpty(t, cs)
		assert.Equal(t, "t3", cs[0].Subject, "%d fingers", n)
		assert.Len(t, cs[0].Fingers, n)
		for _, f := range cs[0].Fingers {
			assert.Equal(t, probe[f.Probe].Position, f.Position, "each finger matched with its own position")
		}
		assert.InDelta(t, -math.Log10(cs[0].FMR), cs[0].Score, 1e-9)
		for i := 1; i < len(cs); i++ {
			assert.GreaterOrEqual(t, cs[i-1].Score, cs[i].Score)
		}
	}
	one, _ := g.Identify(ctx, probe[:1], SearchOptions{Top: 1})
	ten, _ := g.Identify(ctx, probe, SearchOptions{Top: 1})
	assert.Less(t, ten[0].FMR, one[0].FMR, "ten fingers are stronger evidence than one")
}

func TestFisher(t *testing.T) {
	assert.Equal(t, 0.0, fisher(nil))
	assert.InDelta(t, 0.01, math.Exp(fisher([]float64{0.01})), 1e-12)
	assert.Equal(t, 0.0, fisher([]float64{1, 1}))
	// Two rates whose product is P: P(1 − ln P).
	p := 0.01 * 0.02
	assert.InDelta(t, p*(1-math.Log(p)), math.Exp(fisher([]float64{0.01, 0.02})), 1e-12)
	// Far below what a float64 holds, the log still orders the evidence.
	assert.Less(t, fisher([]float64{1e-300, 1e-300, 1e-300}), fisher([]float64{1e-300, 1e-300}))
}

// TestStoredGivesTheSearchScore: comparing with Prepare(Stored(t)) gives
// exactly the score a search gives the entry made from t.
func TestStoredGivesTheSearchScore(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	var g Gallery
	a := syntheticTemplate(rng, 40)
	require.NoError(t, g.AddSubject("a", []minutiae.Template{a}))
	probe := distorted(rng, a)
	cs, err := g.Search(context.Background(), probe, SearchOptions{Exhaustive: true})
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, Score(Prepare(probe), Prepare(Stored(a))), cs[0].Score)
	assert.Positive(t, cs[0].Score)
}

func TestCompareSubject(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	var g Gallery
	a, b := syntheticTemplate(rng, 40), syntheticTemplate(rng, 40)
	a.Position, b.Position = minutiae.RightThumb, minutiae.LeftThumb
	require.NoError(t, g.AddSubject("s", []minutiae.Template{a, b}))
	fillGallery(t, &g, rng, 20)
	probe := distorted(rng, b)
	probe.Position = minutiae.UnknownFinger
	cs, err := g.CompareSubject("s", probe, SearchOptions{})
	require.NoError(t, err)
	require.Len(t, cs, 2, "a probe of unknown position is compared with every finger")
	assert.Equal(t, minutiae.LeftThumb, cs[0].Key.Position)
	assert.Greater(t, cs[0].Score, cs[1].Score)
	probe.Position = minutiae.RightThumb
	cs, err = g.CompareSubject("s", probe, SearchOptions{})
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, minutiae.RightThumb, cs[0].Key.Position)
	_, err = g.CompareSubject("nobody", probe, SearchOptions{})
	assert.ErrorIs(t, err, ErrUnknownSubject)
}

// A shortlist is its fraction of the entries searched, at least its
// minimum and, for latents, at most its maximum.
func TestShortlistSize(t *testing.T) {
	finger := shortlistSize{MinShortlist, ShortlistFraction, 0}
	latent := shortlistSize{MinLatentShortlist, LatentShortlistFraction, MaxLatentShortlist}
	for _, tc := range []struct {
		size    shortlistSize
		entries int
		want    int
	}{
		{finger, 20_000, 1000},
		{finger, 1_000_000, 2000},
		{finger, 10_000_000, 20_000},
		{latent, 10_000, 5000},
		{latent, 100_000, 20_000},
		{latent, 1_000_000, 50_000},
	} {
		assert.Equal(t, tc.want, tc.size.of(tc.entries), "%+v of %d entries", tc.size, tc.entries)
	}
}
