package matcher

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

// marked is t as an examiner would mark it: each minutia moved by about
// 2.5 pixels and turned by about 10°, as the latent suite's marking
// noise; the impression a latent tracing.
func marked(rng *rand.Rand, t minutiae.Template) minutiae.Template {
	out := t
	out.Impression = minutiae.LatentTracing
	out.Minutiae = make([]minutiae.Minutia, len(t.Minutiae))
	for i, m := range t.Minutiae {
		m.X += float32(2.5 * rng.NormFloat64())
		m.Y += float32(2.5 * rng.NormFloat64())
		m.Direction = minutiae.NormalizeAngle(float64(m.Direction) + 10*math.Pi/180*rng.NormFloat64())
		out.Minutiae[i] = m
	}
	return out
}

// referenceRootsWide is findRootsWide written plainly: every probe lookup
// against every distinct edge of the candidate's table (an edge is filed
// in several cells), within the probe's tolerances.
func referenceRootsWide(probe, cand *Prepared) []root {
	tol := probe.tolerances().angle
	nc := len(cand.points)
	type pair struct{ from, to uint8 }
	seen := map[pair]bool{}
	var edges []tableEdge
	for _, ce := range cand.rootEdges {
		if !seen[pair{ce.from, ce.to}] {
			seen[pair{ce.from, ce.to}] = true
			edges = append(edges, ce)
		}
	}
	votes := make([]int, len(probe.points)*nc)
	for _, pe := range probe.lookups {
		for _, ce := range edges {
			if ce.length < pe.lo || ce.length > pe.hi ||
				fixedDiff(pe.refAngle, ce.refAngle) > tol || fixedDiff(pe.nbrAngle, ce.nbrAngle) > tol {
				continue
			}
			votes[int(pe.from)*nc+int(ce.from)]++
			votes[int(pe.to)*nc+int(ce.to)]++
		}
	}
	return referenceSelect(votes, len(probe.lookups)*2, nc)
}

// A marked probe's root finding, wider than the edge table's filing, finds
// every matching edge once, as the plain reference does.
func TestFindRootsWideMatchesReference(t *testing.T) {
	require.True(t, markedTolerances.wide, "the marked angle tolerance is wider than the table's")
	rng := rand.New(rand.NewPCG(31, 32))
	probe := func(a minutiae.Template) *Prepared {
		p := Prepare(marked(rng, a))
		require.True(t, p.marked)
		return p
	}
	checkRoots(t, rng, probe, (*Matcher).findRootsWide, referenceRootsWide)
}

// Only a latent tracing is compared as marked; other latents are compared
// with the image tolerances and the latent edge weights, every other
// impression as a print.
func TestMarkedProbeByImpression(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	tpl := syntheticTemplate(rng, 20)
	for imp := minutiae.Impression(0); imp <= minutiae.LatentLift; imp++ {
		tpl.Impression = imp
		p := Prepare(tpl)
		assert.Equal(t, imp == minutiae.LatentTracing, p.marked, "impression %v", imp)
		switch {
		case imp == minutiae.LatentTracing:
			assert.Same(t, markedTolerances, p.tolerances(), "impression %v", imp)
		case imp.IsLatent():
			assert.Same(t, latentTolerances, p.tolerances(), "impression %v", imp)
		default:
			assert.Same(t, printTolerances, p.tolerances(), "impression %v", imp)
		}
	}
}

func TestProbeFMR(t *testing.T) {
	tpl := minutiae.Template{Minutiae: make([]minutiae.Minutia, 10)}
	for _, c := range []struct {
		imp  minutiae.Impression
		want float64
	}{
		{minutiae.LivePlain, FMR(30)},
		{minutiae.Latent, LatentFMR(30, 10)},
		{minutiae.LatentLift, LatentFMR(30, 10)},
		{minutiae.LatentTracing, MarkedLatentFMR(30, 10)},
	} {
		tpl.Impression = c.imp
		assert.Equal(t, c.want, ProbeFMR(30, tpl), "impression %v", c.imp)
	}
}

// A marked latent is searched with the marked tolerances and its FMRs are
// the marked calibration's, forwards and in the reverse search; and on
// latents marked with an examiner's noise the marked mode finds more mates
// first than the image mode does.
func TestSearchMarkedLatent(t *testing.T) {
	if _, err := os.Stat(dataDir); err != nil {
		t.Skipf("reference data absent (%s): skipping", dataDir)
	}
	var g Gallery
	fillGallery(t, &g, rand.New(rand.NewPCG(3, 4)), 500)
	file := Gallery{LatentFile: true}
	sizes := map[string]int{} // latent on file → its minutiae
	rng := rand.New(rand.NewPCG(35, 36))
	for i := range 300 {
		s := syntheticTemplate(rng, 6+rng.IntN(10))
		s.Impression = minutiae.LatentTracing
		key := Key{Subject: fmt.Sprintf("synthetic-%d", i)}
		require.NoError(t, file.Add(key, s))
		sizes[key.Subject] = len(s.Minutiae)
	}
	for _, set := range latentSets {
		for f := 101; f <= 110; f++ {
			tpl := loadISO(t, set, fmt.Sprintf("%d_1", f))
			require.NoError(t, g.AddSubject(fmt.Sprintf("%s-%d", set, f), []minutiae.Template{tpl}))
		}
	}
	ctx := context.Background()
	rank1 := map[minutiae.Impression]int{}
	probes := 0
	for _, set := range latentSets {
		for f := 101; f <= 110; f++ {
			mate := fmt.Sprintf("%s-%d", set, f)
			latent := marked(rng, latentOf(loadISO(t, set, fmt.Sprintf("%d_2", f)), 0.4))
			probes++
			for _, imp := range []minutiae.Impression{minutiae.Latent, minutiae.LatentTracing} {
				latent.Impression = imp
				got, err := g.SearchLatent(ctx, latent, LatentOptions{Top: 10})
				require.NoError(t, err)
				require.NotEmpty(t, got)
				want := LatentFMR(got[0].Score, len(latent.Minutiae))
				if imp == minutiae.LatentTracing {
					want = MarkedLatentFMR(got[0].Score, len(latent.Minutiae))
				}
				assert.InDelta(t, want, got[0].FMR, 1e-12)
				if got[0].Key.Subject == mate {
					rank1[imp]++
				}
			}
			latent.Impression = minutiae.LatentTracing
			require.NoError(t, file.Add(Key{Subject: "latent-" + mate}, latent))
			sizes["latent-"+mate] = len(latent.Minutiae)
		}
	}
	t.Logf("marked latents first: %d of %d searched as marked, %d as images", rank1[minutiae.LatentTracing], probes, rank1[minutiae.Latent])
	assert.Greater(t, rank1[minutiae.LatentTracing], rank1[minutiae.Latent])

	// The reverse search reads each latent on file with its own
	// calibration: the marked one, by the latent's size.
	for _, set := range latentSets {
		hits, err := file.SearchReverse(ctx, loadISO(t, set, "103_1"), 1, 20)
		require.NoError(t, err)
		require.NotEmpty(t, hits)
		for _, h := range hits {
			n, ok := sizes[h.Key.Subject]
			require.True(t, ok, h.Key.Subject)
			assert.InDelta(t, MarkedLatentFMR(h.Score, n), h.FMR, 1e-12, h.Key.Subject)
		}
	}
}
