package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

// markCrop marks a crop with the latent suite's noise: about markMiss of
// its minutiae missed, the rest moved by about markJitter and turned by
// about markDirJitter, markSpuriousMin to markSpuriousMax spurious ones
// inside the ellipse; a latent tracing, reproducible from its seed.
func TestMarkCrop(t *testing.T) {
	var extra []float64 // per crop: marks beyond the expected share of kept ones
	var moved, turned []float64
	crops := 0
	for k, tpl := range fakeRealTemplates(rand.New(rand.NewPCG(41, 42)), 60) {
		for c := range 5 {
			crop, e, ok := cropTemplate(tpl, rand.New(rand.NewPCG(uint64(k), uint64(c))), 0.3)
			if !ok {
				continue
			}
			mk := markCrop(crop, e, rand.New(rand.NewPCG(43, uint64(k*5+c))))
			require.Equal(t, mk, markCrop(crop, e, rand.New(rand.NewPCG(43, uint64(k*5+c)))), "reproducible")
			assert.Equal(t, minutiae.LatentTracing, mk.Impression)
			require.NoError(t, mk.Validate())
			crops++
			extra = append(extra, float64(len(mk.Minutiae))-(1-markMiss)*float64(len(crop.Minutiae)))
			// A mark near a crop minutia of its kind is taken for its
			// jittered copy (a spurious one is, now and then: medians).
			for _, m := range mk.Minutiae {
				best, bd := -1, math.Inf(1)
				for i, o := range crop.Minutiae {
					if d := math.Hypot(float64(m.X-o.X), float64(m.Y-o.Y)); o.Kind == m.Kind && d < bd {
						best, bd = i, d
					}
				}
				if best >= 0 && bd < 4*markJitter {
					moved = append(moved, bd)
					turned = append(turned, math.Abs(math.Remainder(float64(m.Direction-crop.Minutiae[best].Direction), 2*math.Pi)))
					continue
				}
				assert.True(t, e.inside(float64(m.X), float64(m.Y)), "a spurious mark at (%v, %v) outside the crop's ellipse", m.X, m.Y)
			}
		}
	}
	require.Greater(t, crops, 100)
	assert.InDelta(t, float64(markSpuriousMin+markSpuriousMax)/2, medianFloat(extra), 1, "spurious marks per crop, and the share missed")
	assert.InDelta(t, float64(markSpuriousMin+markSpuriousMax)/2, mean(extra), 0.4, "spurious marks per crop, and the share missed")
	// The distance of a 2-D Gaussian jitter has median σ·√(2 ln 2); the
	// turn of a Gaussian one has median 0.674σ.
	assert.InDelta(t, markJitter*math.Sqrt(2*math.Ln2), medianFloat(moved), 0.3)
	assert.InDelta(t, 0.674*markDirJitter, medianFloat(turned), 0.03)
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func medianFloat(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
