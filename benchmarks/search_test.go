package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/matcher"
	"github.com/whorlafis/whorl/minutiae"
)

// TestExhaustiveRanks checks the streamed exhaustive ranks against the
// plainest count: every entry prepared at once, each probe's mate score,
// and the entries of other subjects above it.
func TestExhaustiveRanks(t *testing.T) {
	set := filepath.Join(dataDir, "DB1_B")
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
		case s.impression <= 3:
			probes = append(probes, i)
		}
	}
	var real []minutiae.Template
	for _, s := range prints {
		real = append(real, s.template)
	}
	model := fitDistractorModel(real)
	const seed, size = 7, 10 + 253 // the last synthetic subject has 3 fingers

	got, err := exhaustiveRanks(prints, mates, probes, model, seed, size)
	require.NoError(t, err)

	var gallery []*matcher.Prepared
	var subject []string
	for _, i := range mates {
		gallery = append(gallery, matcher.Prepare(matcher.Stored(prints[i].template)))
		subject = append(subject, subjectOf(prints[i]))
	}
	for k := 0; len(gallery) < size; k++ {
		rng := rand.New(rand.NewPCG(seed, uint64(k)))
		for range min(distractorFingers, size-len(gallery)) {
			gallery = append(gallery, matcher.Prepare(matcher.Stored(model.Template(rng))))
			subject = append(subject, "synthetic")
		}
	}
	require.Len(t, gallery, size)
	firsts := 0
	for k, i := range probes {
		probe := matcher.Prepare(prints[i].template)
		want := subjectOf(prints[i])
		mate := 0.0
		for j, e := range gallery {
			if subject[j] == want {
				mate = max(mate, matcher.Score(probe, e))
			}
		}
		rank := 1
		for j, e := range gallery {
			if subject[j] != want && matcher.Score(probe, e) > mate {
				rank++
			}
		}
		if mate == 0 {
			rank = size + 1
		}
		assert.Equal(t, rank, got[k], "probe %s", prints[i].path)
		if rank == 1 {
			firsts++
		}
	}
	// Ranks of 1 compared, not only misses: most probes find their mate
	// first.
	assert.Greater(t, firsts, len(probes)/2)
}
