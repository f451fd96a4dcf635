package matcher

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

// latentOf keeps the share of a template's minutiae nearest its centroid:
// a compact, latent-sized piece of the print, of unknown position.
func latentOf(t minutiae.Template, share float64) minutiae.Template {
	var cx, cy float32
	for _, m := range t.Minutiae {
		cx += m.X
		cy += m.Y
	}
	cx, cy = cx/float32(len(t.Minutiae)), cy/float32(len(t.Minutiae))
	ms := slices.Clone(t.Minutiae)
	d := func(m minutiae.Minutia) float32 { return (m.X-cx)*(m.X-cx) + (m.Y-cy)*(m.Y-cy) }
	slices.SortStableFunc(ms, func(a, b minutiae.Minutia) int { return cmp.Compare(d(a), d(b)) })
	l := t
	l.Minutiae = ms[:max(2, int(share*float64(len(ms))))]
	l.Position = minutiae.UnknownFinger
	l.Impression = minutiae.Latent
	return l
}

var latentSets = []string{"DB1_B", "DB2_B", "DB3_B"}

func TestSearchLatentFindsMates(t *testing.T) {
	if _, err := os.Stat(dataDir); err != nil {
		t.Skipf("reference data absent (%s): skipping", dataDir)
	}
	var g Gallery
	fillGallery(t, &g, rand.New(rand.NewPCG(3, 4)), 500)
	for _, set := range latentSets {
		for f := 101; f <= 110; f++ {
			tpl := loadISO(t, set, fmt.Sprintf("%d_1", f))
			tpl.Position = minutiae.FingerPosition(f - 100) // fingers 1..10
			require.NoError(t, g.AddSubject(fmt.Sprintf("%s-%d", set, f), []minutiae.Template{tpl}))
		}
	}
	ctx := context.Background()
	rank1, probes := 0, 0
	for _, set := range latentSets {
		for f := 101; f <= 110; f++ {
			latent := latentOf(loadISO(t, set, fmt.Sprintf("%d_2", f)), 0.4)
			got, err := g.SearchLatent(ctx, latent, LatentOptions{Top: 10})
			require.NoError(t, err)
			require.NotEmpty(t, got)
			probes++
			mate := fmt.Sprintf("%s-%d", set, f)
			if got[0].Key.Subject == mate {
				rank1++
				assert.NotEmpty(t, got[0].Pairs)
				// The latent's own calibration, by its size, not the
				// full-print table's.
				assert.InDelta(t, LatentFMR(got[0].Score, len(latent.Minutiae)), got[0].FMR, 1e-12)
			}
			// A hint of another position leaves the mate out.
			other := minutiae.FingerPosition((f-100)%10 + 1)
			hinted, err := g.SearchLatent(ctx, latent, LatentOptions{Top: 50, Positions: []minutiae.FingerPosition{other}})
			require.NoError(t, err)
			for _, c := range hinted {
				assert.Contains(t, []minutiae.FingerPosition{other, minutiae.UnknownFinger}, c.Key.Position)
				assert.NotEqual(t, mate, c.Key.Subject)
			}
		}
	}
	t.Logf("latent rank-1: %d of %d", rank1, probes)
	assert.Greater(t, rank1, probes*2/3)
}

// TestLatentFMR checks both latent tables, image and hand-marked.
func TestLatentFMR(t *testing.T) {
	for _, c := range []struct {
		name      string
		fmr       func(score float64, n int) float64
		threshold func(fmr float64, n int) (float64, bool)
	}{
		{"image", LatentFMR, LatentThresholdAtFMR},
		{"marked", MarkedLatentFMR, MarkedLatentThresholdAtFMR},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, n := range []int{5, 8, 10, 14, 30} {
				// Falls as the score rises, from 1 at no score.
				assert.Equal(t, 1.0, c.fmr(0, n))
				prev := 1.0
				for s := 5.0; s < 60; s += 5 {
					f := c.fmr(s, n)
					assert.LessOrEqual(t, f, prev, "%d minutiae, score %v", n, s)
					prev = f
				}
				th, ok := c.threshold(1e-3, n)
				require.True(t, ok)
				assert.InDelta(t, 1e-3, c.fmr(th, n), 2e-4, "%d minutiae", n)
			}
			// Past the last class the full-print table applies.
			assert.Equal(t, FMR(20), c.fmr(20, 1000))
		})
	}
	// The resolution covers the marked classes too.
	for _, c := range markedCalibration {
		assert.GreaterOrEqual(t, LatentFMRResolution(), 1/float64(c.impostors))
	}
}

func TestSearchReverseFindsTheLatent(t *testing.T) {
	if _, err := os.Stat(dataDir); err != nil {
		t.Skipf("reference data absent (%s): skipping", dataDir)
	}
	// The unsolved latent file: a latent of every finger's second
	// impression, plus latent-sized synthetic ones.
	file := Gallery{LatentFile: true}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 500 {
		require.NoError(t, file.Add(Key{Subject: fmt.Sprintf("synthetic-%d", i)}, syntheticTemplate(rng, 6+rng.IntN(10))))
	}
	for _, set := range latentSets {
		for f := 101; f <= 110; f++ {
			require.NoError(t, file.Add(Key{Subject: fmt.Sprintf("latent-%s-%d", set, f)}, latentOf(loadISO(t, set, fmt.Sprintf("%d_2", f)), 0.4)))
		}
	}
	ctx := context.Background()
	found, exemplars := 0, 0
	for _, set := range latentSets {
		for f := 101; f <= 110; f++ {
			exemplar := loadISO(t, set, fmt.Sprintf("%d_1", f))
			exemplar.Position = minutiae.RightThumb
			hits, err := file.SearchReverse(ctx, exemplar, 1e-3, 5)
			require.NoError(t, err)
			exemplars++
			for i, h := range hits {
				assert.LessOrEqual(t, h.FMR, 1e-3)
				if i > 0 {
					assert.LessOrEqual(t, hits[i-1].FMR, h.FMR)
				}
				for _, p := range h.Pairs {
					assert.Less(t, p.Probe, len(exemplar.Minutiae))
				}
			}
			if len(hits) > 0 && hits[0].Key.Subject == fmt.Sprintf("latent-%s-%d", set, f) {
				found++
			}
		}
	}
	t.Logf("reverse search: the mate's latent first for %d of %d exemplars", found, exemplars)
	assert.Greater(t, found, exemplars/2)

	// A retired latent is never returned.
	require.True(t, file.Remove(Key{Subject: "latent-DB1_B-101"}))
	hits, err := file.SearchReverse(ctx, loadISO(t, "DB1_B", "101_1"), 1, 1000)
	require.NoError(t, err)
	for _, h := range hits {
		assert.NotEqual(t, "latent-DB1_B-101", h.Key.Subject)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = file.SearchReverse(cancelled, loadISO(t, "DB1_B", "101_1"), 1, 10)
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
}

// TestLatentFileKeepsPreparedLatents checks that a latent file's kept
// prepared latents give exactly what preparing them again gives, through
// appends, replacements, removals, sealed segments and compaction.
func TestLatentFileKeepsPreparedLatents(t *testing.T) {
	defer func(e, r int) { segmentEntries, segmentRecords = e, r }(segmentEntries, segmentRecords)
	segmentEntries, segmentRecords = 16, 8 // seal and compact often
	rng := rand.New(rand.NewPCG(7, 8))
	kept := Gallery{LatentFile: true}
	var plain Gallery
	both := func(f func(g *Gallery)) { f(&kept); f(&plain) }
	for i := range 200 {
		tpl := syntheticTemplate(rng, 6+rng.IntN(10))
		both(func(g *Gallery) { require.NoError(t, g.Add(Key{Subject: fmt.Sprintf("l%d", i%150)}, tpl)) })
		if i%7 == 3 {
			gone := Key{Subject: fmt.Sprintf("l%d", rng.IntN(150))}
			both(func(g *Gallery) { g.Remove(gone) })
		}
	}
	ctx := context.Background()
	for range 10 {
		exemplar := syntheticTemplate(rng, 35)
		a, err := kept.SearchReverse(ctx, exemplar, 1, 1000)
		require.NoError(t, err)
		b, err := plain.SearchReverse(ctx, exemplar, 1, 1000)
		require.NoError(t, err)
		require.Equal(t, b, a)
	}
}
