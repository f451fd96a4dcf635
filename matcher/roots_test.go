package matcher

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
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
	var roots []root
	for v := len(probe.lookups) * 2; v >= minRootVotes && len(roots) < maxRoots; v-- {
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
	rng := rand.New(rand.NewPCG(21, 22))
	m := NewMatcher()
	for range 40 {
		a := syntheticTemplate(rng, 10+rng.IntN(60))
		b := distorted(rng, a)
		if rng.IntN(2) == 0 {
			b = syntheticTemplate(rng, 10+rng.IntN(60))
		}
		p, c := Prepare(a), Prepare(b)
		m.findRoots(p, c)
		want := referenceRoots(p, c)
		if len(want) == 0 {
			require.Empty(t, m.roots)
			continue
		}
		require.Equal(t, want, m.roots)
	}
}
