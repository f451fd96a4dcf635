package matcher

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/whorlafis/whorl/minutiae"
)

// BenchmarkSearch searches a gallery of 100,000 synthetic fingers in ten-
// finger subjects. (Random templates: the speed is realistic, the
// first stage's selectivity is not; the harness measures that on real
// prints.)
func BenchmarkSearch(b *testing.B) {
	rng := rand.New(rand.NewPCG(21, 22))
	var g Gallery
	for s := range 10_000 {
		fs := make([]minutiae.Template, 10)
		for p := range fs {
			fs[p] = syntheticTemplate(rng, 20+rng.IntN(30))
			fs[p].Position = minutiae.FingerPosition(p + 1)
		}
		if err := g.AddSubject(fmt.Sprintf("s%d", s), fs); err != nil {
			b.Fatal(err)
		}
	}
	probes := make([]minutiae.Template, 16)
	for i := range probes {
		probes[i] = syntheticTemplate(rng, 35)
	}
	ctx := context.Background()
	b.Run("first-stage", func(b *testing.B) {
		s := g.load()
		k := 0
		for b.Loop() {
			q := newQuery(probes[k%len(probes)])
			if _, err := s.firstStage(ctx, q, ^eligible(0), 0); err != nil {
				b.Fatal(err)
			}
			k++
		}
	})
	b.Run("search", func(b *testing.B) {
		k := 0
		for b.Loop() {
			if _, err := g.Search(ctx, probes[k%len(probes)], SearchOptions{}); err != nil {
				b.Fatal(err)
			}
			k++
		}
	})
}

// BenchmarkSearchReverse searches an unsolved latent file of 10,000
// latent-sized synthetic templates with one exemplar finger: what every
// finger of every enrolment costs.
func BenchmarkSearchReverse(b *testing.B) {
	rng := rand.New(rand.NewPCG(23, 24))
	g := Gallery{LatentFile: true}
	for i := range 10_000 {
		if err := g.Add(Key{Subject: fmt.Sprintf("l%d", i)}, syntheticTemplate(rng, 8+rng.IntN(10))); err != nil {
			b.Fatal(err)
		}
	}
	exemplars := make([]minutiae.Template, 16)
	for i := range exemplars {
		exemplars[i] = syntheticTemplate(rng, 35)
	}
	ctx := context.Background()
	k := 0
	for b.Loop() {
		if _, err := g.SearchReverse(ctx, exemplars[k%len(exemplars)], 1e-4, 20); err != nil {
			b.Fatal(err)
		}
		k++
	}
}
