package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/matcher"
	"github.com/whorlafis/whorl/minutiae"
)

// TestExhaustiveRanks checks the streamed exhaustive ranks against the
// gallery's own exhaustive search of the same entries (the mates, and the
// distractors addDistractors enrols), on DB3_B, where other fingers and
// distractors outrank some mates.
func TestExhaustiveRanks(t *testing.T) {
	set := filepath.Join(dataDir, "DB3_B")
	if _, err := os.Stat(set); err != nil {
		t.Skipf("reference data absent (%s): skipping", set)
	}
	prints, err := loadSet(set, extractTemplate)
	require.NoError(t, err)
	var mates, probes []int
	for i, s := range prints {
		switch {
		case s.failed:
		case s.impression == 1:
			mates = append(mates, i)
		default:
			probes = append(probes, i)
		}
	}
	var real []minutiae.Template
	for _, s := range prints {
		real = append(real, s.template)
	}
	model := fitDistractorModel(real)
	// The last synthetic subject has 3 fingers, not 10.
	const seed, distractors = 7, 10*distractorFingers + 3
	size := len(mates) + distractors

	got := exhaustiveRanks(prints, mates, probes, model, seed, size)
	matesOnly := exhaustiveRanks(prints, mates, probes, model, seed, len(mates))

	var g matcher.Gallery
	for _, i := range mates {
		tpl := prints[i].template
		tpl.Position = minutiae.UnknownFinger
		require.NoError(t, g.AddSubject(subjectOf(prints[i]), []minutiae.Template{tpl}))
	}
	require.NoError(t, addDistractors(&g, model, seed, distractors))
	below, byDistractors := 0, 0
	for k, i := range probes {
		cs, err := g.Search(context.Background(), prints[i].template, matcher.SearchOptions{Exhaustive: true, Top: size})
		require.NoError(t, err)
		want := rankOf(cs, subjectOf(prints[i]))
		if want == math.MaxInt {
			want = size + 1 // the mate scored 0
		}
		assert.Equal(t, want, got[k], "probe %s", prints[i].path)
		if got[k] > 1 {
			below++
		}
		if got[k] != matesOnly[k] {
			byDistractors++
		}
	}
	// Not only ranks of 1: some mates rank below other fingers, and the
	// distractors move some ranks.
	assert.Positive(t, below)
	assert.Positive(t, byDistractors)
}
