package matcher

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

// referenceRoots is findRoots written plainly: every probe lookup against
// every candidate table entry, votes counted, the maxRoots pairs with the
// most votes (ties by probe, then candidate minutia) at least minRootVotes.
func referenceRoots(probe, cand *Prepared) []root {
	nc := len(cand.points)
	votes := make([]int, len(probe.points)*nc)
	for _, pe := range probe.lookups {
		bucket := cand.rootEdges[cand.cellStart[pe.cell]:cand.cellStart[pe.cell+1]]
		for _, ce := range bucket {
			if ce.length < pe.lo || ce.length > pe.hi ||
				fixedDiff(pe.refAngle, ce.refAngle) > angleTolerance16 ||
				fixedDiff(pe.nbrAngle, ce.nbrAngle) > angleTolerance16 {
				continue
			}
			votes[int(pe.from)*nc+int(ce.from)]++
			votes[int(pe.to)*nc+int(ce.to)]++
		}
	}
	return referenceSelect(votes, len(probe.lookups)*2, nc)
}

// referenceSelect picks the roots from the votes of every probe ×
// candidate minutia pair (at most most each): the maxRoots pairs with the
// most votes, ties by probe, then candidate minutia, at least
// minRootVotes.
func referenceSelect(votes []int, most, nc int) []root {
	var roots []root
	for v := most; v >= minRootVotes && len(roots) < maxRoots; v-- {
		for k, n := range votes {
			if n == v && len(roots) < maxRoots {
				roots = append(roots, root{votes: uint16(n), p: uint8(k / nc), c: uint8(k % nc)})
			}
		}
	}
	return roots
}

// The branch-free vote counting and the packed-key selection of findRoots
// give the roots of the plain reference, ties included.
func TestFindRootsMatchesReference(t *testing.T) {
	checkRoots(t, rand.New(rand.NewPCG(21, 22)), func(a minutiae.Template) *Prepared { return Prepare(a) },
		(*Matcher).findRoots, referenceRoots)
}

// checkRoots compares a root finder with its reference on 40 pairs: a
// probe made from a random template, and a distorted copy of that
// template or, half the time, an unrelated one.
func checkRoots(t *testing.T, rng *rand.Rand, probe func(minutiae.Template) *Prepared, find func(m *Matcher, p, c *Prepared), reference func(p, c *Prepared) []root) {
	t.Helper()
	m := NewMatcher()
	for range 40 {
		a := syntheticTemplate(rng, 10+rng.IntN(60))
		b := distorted(rng, a)
		if rng.IntN(2) == 0 {
			b = syntheticTemplate(rng, 10+rng.IntN(60))
		}
		p, c := probe(a), Prepare(b)
		m.tol = p.tolerances()
		find(m, p, c)
		want := reference(p, c)
		if len(want) == 0 {
			require.Empty(t, m.roots)
			continue
		}
		require.Equal(t, want, m.roots)
	}
}

// The edge table is complete: a probe edge finds, in its own cell, every
// candidate edge that matches it within tolerance, wherever that edge is
// filed. The reference scans every table entry of the candidate.
func TestEdgeTableFindsEveryMatchingEdge(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	type pair struct{ from, to uint8 }
	matches := func(pe *lookup, ce *tableEdge) bool {
		return ce.length >= pe.lo && ce.length <= pe.hi &&
			fixedDiff(pe.refAngle, ce.refAngle) <= angleTolerance16 &&
			fixedDiff(pe.nbrAngle, ce.nbrAngle) <= angleTolerance16
	}
	found, missed := 0, 0
	for range 50 {
		a := syntheticTemplate(rng, 20+rng.IntN(50))
		p, c := Prepare(a), Prepare(distorted(rng, a))
		for i := range p.lookups {
			pe := &p.lookups[i]
			inCell := map[pair]bool{}
			for _, ce := range c.rootEdges[c.cellStart[pe.cell]:c.cellStart[pe.cell+1]] {
				if matches(pe, &ce) {
					inCell[pair{ce.from, ce.to}] = true
				}
			}
			for _, ce := range c.rootEdges {
				if matches(pe, &ce) {
					if inCell[pair{ce.from, ce.to}] {
						found++
					} else {
						missed++
						inCell[pair{ce.from, ce.to}] = true // count each edge once
					}
				}
			}
		}
	}
	require.Positive(t, found)
	require.Zero(t, missed, "matching edges the table lookup does not find (found %d)", found)
}
