package matcher

import (
	"math"
	"sync"

	"github.com/whorlafis/whorl/minutiae"
)

// Pair is one matched pair of minutiae: indexes into the probe's and the
// candidate's minutiae, in the order of the templates given to Prepare.
type Pair struct {
	Probe, Candidate int
}

// Result is the outcome of a 1:1 comparison.
type Result struct {
	// Score grows with the evidence that both templates come from the same
	// finger; 0 means no evidence beyond what chance gives. Map it to an
	// estimated false match rate with FMR.
	Score float64
	// Pairs are the matched minutiae, root pair first.
	Pairs []Pair
}

// root is a root pair: where a pairing starts.
type root struct {
	votes uint16
	p, c  uint8
}

// candidate is a pair waiting in the priority queue of the pairing's growth,
// ordered by how badly the edge that proposed it matched.
type candidate struct {
	err  float32
	p, c uint8
}

// Matcher compares prepared templates with reusable scratch memory, so that a
// comparison allocates nothing. A Matcher is not safe for concurrent use: use
// one per goroutine, or the package functions Compare and Score, which take
// one from a pool.
type Matcher struct {
	votes   []uint16 // probe × candidate minutia pairs: matching edges through them
	covered []bool   // probe × candidate pairs already part of a grown pairing
	roots   []root
	hot     []uint16 // probe × candidate pairs with at least minRootVotes
	matches []uint32 // findRoots' buffer of matching edges: both vote indexes
	heap    []candidate
	pToC    [minutiaeCap]int16
	cToP    [minutiaeCap]int16
	support [minutiaeCap]uint8 // per probe minutia: matched edges at it
	pairs   []Pair
	best    []Pair
	tol     *tolerances // the current comparison's: the probe's
	// cos and sin are of the current pairing's rotation, for aligned.
	cos, sin float32
}

const minutiaeCap = 256

// matchBuf is the size of findRoots' buffer of matching edges; it is
// emptied whenever a bucket might not fit. A bucket always fits: it holds
// each of at most MaxMinutiae·rootNeighbors edges once.
const matchBuf = 1 << 14

// A compile-time check that a bucket fits in the buffer.
const _ = uint(matchBuf - minutiae.MaxMinutiae*rootNeighbors)

// NewMatcher returns a Matcher with its scratch memory allocated.
func NewMatcher() *Matcher {
	m := &Matcher{
		votes:   make([]uint16, minutiaeCap*minutiaeCap),
		covered: make([]bool, minutiaeCap*minutiaeCap),
		roots:   make([]root, 0, maxRoots),
		tol:     printTolerances,
		hot:     make([]uint16, minutiaeCap*minutiaeCap),
		matches: make([]uint32, matchBuf),
		heap:    make([]candidate, 0, 1024),
		pairs:   make([]Pair, 0, minutiaeCap),
		best:    make([]Pair, 0, minutiaeCap),
	}
	for i := range m.pToC {
		m.pToC[i] = -1
		m.cToP[i] = -1
	}
	return m
}

var pool = sync.Pool{New: func() any { return NewMatcher() }}

// Compare compares a probe with a candidate. It is safe for concurrent use.
// The returned Pairs are a fresh slice owned by the caller; Score, or a
// Matcher of one's own, compares without allocating.
func Compare(probe, candidate *Prepared) Result {
	m := pool.Get().(*Matcher)
	r := m.Compare(probe, candidate)
	if len(r.Pairs) > 0 {
		r.Pairs = append([]Pair(nil), r.Pairs...)
	} else {
		r.Pairs = nil
	}
	pool.Put(m)
	return r
}

// Score returns the score of Compare without the pairs. It is safe for
// concurrent use and does not allocate.
func Score(probe, candidate *Prepared) float64 {
	m := pool.Get().(*Matcher)
	s := m.Compare(probe, candidate).Score
	pool.Put(m)
	return s
}

// fixedDiff returns the absolute difference of two fixed-point angles, at
// most half a turn.
func fixedDiff(a, b uint16) int32 {
	d := int32(int16(a - b))
	if d < 0 {
		d = -d
	}
	return d
}

// fixedAngle converts an angle in radians to fixed point, unwrapped.
func fixedAngle(a float64) int32 { return int32(math.Round(a / (2 * math.Pi) * fixedTurn)) }

// maxRotationDrift16 is maxRotationDrift in fixed point.
var maxRotationDrift16 = fixedAngle(maxRotationDrift)

// angleTolerance16 is angleTolerance in fixed point.
var angleTolerance16 = fixedAngle(angleTolerance)

// tolerances are how a comparison treats its probe's kind: the angle
// tolerances, in fixed point, and the weights of a matched edge's
// closeness (see Prepared.tolerances). The candidate's edge table is filed
// for angleTolerance whatever the probe.
type tolerances struct {
	// angle is the tolerated difference of each relative angle of an edge
	// (angleTolerance), invAngle its inverse for edgeError.
	angle    int32
	invAngle float32
	// drift is maxRotationDrift.
	drift int32
	// wide is set when angle exceeds angleTolerance16, for which the edge
	// table files its edges: root finding must then look in the
	// neighbouring cells too (findRootsWide).
	wide bool
	// index is the first stage's angle tolerance, in 256ths of a turn.
	index int
	// edgeDrift, when not 0, is how far an edge's own direction may
	// differ between the templates from the pairing's rotation, which is
	// then estimated from edge directions (see edgeRotation).
	edgeDrift int32
	// align and alignRel, when align is not 0, bound how far a new pair's
	// candidate minutia may lie from where the pairing's rotation and the
	// root put its probe minutia (see aligned): absolute pixels plus a
	// fraction of its distance from the root.
	align, alignRel float32
	// weights weigh a matched edge's closeness (see edgeCloseness).
	weights edgeWeights
}

func newTolerances(angle, drift, index, edgeDrift float64, align, alignRel float32, weights edgeWeights) *tolerances {
	a := fixedAngle(angle)
	// invAngle is the inverse of the unrounded tolerance, as the constant
	// it replaced was: edgeError orders a pairing's growth, and a change in
	// its last bit changes scores.
	return &tolerances{angle: a, invAngle: float32(1 / (angle / (2 * math.Pi) * fixedTurn)), drift: fixedAngle(drift),
		wide: a > angleTolerance16, index: int(math.Round(index / (2 * math.Pi) * 256)), edgeDrift: fixedAngle(edgeDrift),
		align: align, alignRel: alignRel, weights: weights}
}

// printTolerances are those of a print; latentTolerances those of an image
// latent, the same but for the edges' weights (latentClosenessScale);
// markedTolerances those of a hand-marked latent (see
// markedAngleTolerance).
var (
	printTolerances  = newTolerances(angleTolerance, maxRotationDrift, indexAngleTol, 0, 0, 0, printWeights)
	latentTolerances = newTolerances(angleTolerance, maxRotationDrift, indexAngleTol, 0, 0, 0, latentWeights)
	markedTolerances = newTolerances(markedAngleTolerance, markedRotationDrift, markedIndexAngleTol, markedEdgeDrift, markedAlign, markedAlignRel, printWeights)
)

// edgeDiffs tells how far apart the shapes of two edges that match are:
// the length difference in pixels (b's tolerance bounds it), and the sum of
// the two relative angles' differences in fixed point.
func edgeDiffs(a, b *edge) (length float32, angles int32) {
	dl := a.length - b.length
	if dl < 0 {
		dl = -dl
	}
	return dl, fixedDiff(a.refAngle, b.refAngle) + fixedDiff(a.nbrAngle, b.nbrAngle)
}

// edgeError orders a pairing's growth: from 0 for edges of the same shape
// up to 3 at the limit of every tolerance (invAngle is the inverse of the
// angle tolerance).
func edgeError(a, b *edge, invAngle float32) float32 {
	dl, da := edgeDiffs(a, b)
	return dl/b.tol + float32(da)*invAngle
}

// Compare compares a probe with a candidate. The returned Pairs belong to
// the Matcher and are valid until its next comparison.
//
// The method follows the idea of SourceAFIS: edges (minutia pairs, described
// by their length and the two minutiae's directions relative to the edge)
// do not change under rotation and translation. Edges of the probe that
// match edges of the candidate vote for the minutia pairs at their ends;
// the pairs with the most votes become roots. From each root, a pairing
// grows along the nearest-neighbour edges of both templates, best-matching
// edge first, so that distortion only needs to be small locally. The best
// pairing gives the score.
func (m *Matcher) Compare(probe, cand *Prepared) Result {
	np, nc := len(probe.points), len(cand.points)
	if np < 2 || nc < 2 {
		return Result{}
	}
	m.tol = probe.tolerances()
	if m.tol.wide {
		m.findRootsWide(probe, cand)
	} else {
		m.findRoots(probe, cand)
	}
	covered := m.covered[:np*nc]
	clear(covered)
	bestScore := 0.0
	m.best = m.best[:0]
	for _, r := range m.roots {
		if covered[int(r.p)*nc+int(r.c)] {
			continue
		}
		closeness := m.grow(probe, cand, r)
		for _, pr := range m.pairs {
			covered[pr.Probe*nc+pr.Candidate] = true
		}
		s := score(len(m.pairs), m.supported(), m.sameKind(probe, cand), float64(closeness), np, nc, probe.latent)
		if s > bestScore {
			bestScore = s
			m.best = append(m.best[:0], m.pairs...)
		}
	}
	m.resetPairs()
	if bestScore == 0 {
		return Result{}
	}
	bestScore *= 1 - consistencyWeight + consistencyWeight*consistency(probe, cand, m.best)
	return Result{Score: bestScore, Pairs: m.best}
}

// score rates a pairing of n minutiae, between templates of np and nc
// minutiae; closeness is summed over its matched edges (see
// edgeCloseness); latent when the probe is a latent.
func score(n, supported, sameKind int, closeness float64, np, nc int, latent bool) float64 {
	if n < minPairs {
		return 0
	}
	fraction := 2 * float64(supported) / float64(np+nc)
	if latent {
		// A latent is a piece of the print: the candidate's minutiae
		// outside it say nothing, so only the latent's share counts.
		// Measured with `benchmarks calibrate --latent` (FVC2002 DB1-4,
		// FNMR at FMR 1e-4 by latent size class ≤8, 9-11, 12-15, 16-30
		// minutiae): 72.0, 55.5, 43.4, 31.8% against 78.6, 58.7, 45.0,
		// 32.1% with the two-sided share.
		fraction = float64(supported) / float64(np)
	}
	return scorePair*float64(n) + scoreEdge*closeness + scoreFraction*fraction + scoreType*float64(sameKind)
}

// edgeWeights weigh a matched edge's closeness (see scoreEdgeExact): what
// an exact match counts, less length times its length difference and angle
// times its angle differences, each as a share of its tolerance.
type edgeWeights struct{ exact, length, angle float32 }

// printWeights weigh the edges of prints and marked latents;
// latentWeights an image latent's, latentClosenessScale of the way from
// counting every edge as 1 (scale 0) to printWeights (scale 1).
var (
	printWeights  = edgeWeights{scoreEdgeExact, scoreEdgeLength, scoreEdgeAngle}
	latentWeights = edgeWeights{1 + latentClosenessScale*(scoreEdgeExact-1), latentClosenessScale * scoreEdgeLength, latentClosenessScale * scoreEdgeAngle}
)

// edgeCloseness rates a matched edge by how closely its shape agrees in
// the two templates: a (the probe's) and b (the candidate's), invAngle the
// inverse of the probe's angle tolerance, w the probe's weights.
func edgeCloseness(a, b *edge, invAngle float32, w *edgeWeights) float32 {
	dl, da := edgeDiffs(a, b)
	return w.exact - w.length*dl/b.tol - w.angle*float32(da)*invAngle
}

// findRoots fills m.roots with the best-voted root pairs, most votes first.
func (m *Matcher) findRoots(probe, cand *Prepared) {
	nc := len(cand.points)
	clear(m.votes[:len(probe.points)*nc])
	// votes and hot are indexed by uint16: a probe × candidate pair index is
	// below 255·256, so the compiler drops the bounds checks.
	votes := (*[minutiaeCap * minutiaeCap]uint16)(m.votes)
	hot := (*[minutiaeCap * minutiaeCap]uint16)(m.hot)
	nhot := 0 // hot[:nhot] are the pairs that reached minRootVotes, each once
	// Two passes over a buffer of matching edges: the scan of the edge
	// table has no dependency from one entry to the next except the
	// buffer's end, and only the matches (a quarter of the entries) pay
	// for the read-modify-write of the votes.
	matches := (*[matchBuf]uint32)(m.matches)
	n := 0
	vote := func() {
		for _, kk := range matches[:n] {
			for _, k := range [2]uint16{uint16(kk), uint16(kk >> 16)} {
				v := votes[k] + 1
				votes[k] = v
				if v == minRootVotes {
					hot[uint16(nhot)] = k
					nhot++
				}
			}
		}
		n = 0
	}
	cs := cand.cellStart
	// An angle difference d is within tolerance when uint16(d + tol) <= 2·tol:
	// one subtraction and one unsigned compare, no absolute value.
	tol := uint16(m.tol.angle)
	for i := range probe.lookups {
		pe := &probe.lookups[i]
		bucket := cand.rootEdges[cs[pe.cell]:cs[pe.cell+1]]
		if n+len(bucket) > matchBuf {
			vote()
		}
		lo, hi := pe.lo, pe.hi
		ref, nbr := pe.refAngle+tol, pe.nbrAngle+tol
		kf, kt := uint32(int(pe.from)*nc), uint32(int(pe.to)*nc)<<16
		for j := range bucket {
			ce := &bucket[j]
			if ce.length > hi {
				break // the bucket is sorted by length
			}
			// Branch-free: whether the edge matches is about a coin toss
			// for the predictor, so the pair of vote indexes is always
			// written and the buffer's end only advances on a match.
			ok := b2u(ce.length >= lo) & b2u(ref-ce.refAngle <= 2*tol) & b2u(nbr-ce.nbrAngle <= 2*tol)
			matches[n&(matchBuf-1)] = kf + uint32(ce.from) + kt + uint32(ce.to)<<16
			n += int(ok)
		}
	}
	vote()
	m.selectRoots(hot[:nhot], nc)
}

// findRootsWide is findRoots for a probe whose angle tolerance is wider
// than the edge table's filing (tolerances.wide): each probe edge looks in
// every angle cell its tolerance overlaps, and counts there only the
// entries whose own cells those are, so that an entry filed in several
// cells votes once.
func (m *Matcher) findRootsWide(probe, cand *Prepared) {
	nc := len(cand.points)
	clear(m.votes[:len(probe.points)*nc])
	votes := (*[minutiaeCap * minutiaeCap]uint16)(m.votes)
	hot := (*[minutiaeCap * minutiaeCap]uint16)(m.hot)
	nhot := 0
	cs := cand.cellStart
	tol := uint16(m.tol.angle)
	for i := range probe.lookups {
		pe := &probe.lookups[i]
		lcell := int(pe.cell) / (rootAngleBins * rootAngleBins)
		a0, _ := angleCells(pe.refAngle - tol)
		a1, _ := angleCells(pe.refAngle + tol)
		b0, _ := angleCells(pe.nbrAngle - tol)
		b1, _ := angleCells(pe.nbrAngle + tol)
		ref, nbr := pe.refAngle+tol, pe.nbrAngle+tol
		kf, kt := int(pe.from)*nc, int(pe.to)*nc
		for a := a0; ; a = (a + 1) % rootAngleBins {
			for b := b0; ; b = (b + 1) % rootAngleBins {
				cell := (lcell*rootAngleBins+a)*rootAngleBins + b
				for j := cs[cell]; j < cs[cell+1]; j++ {
					ce := &cand.rootEdges[j]
					if ce.length > pe.hi {
						break // the bucket is sorted by length
					}
					if ce.length < pe.lo || ref-ce.refAngle > 2*tol || nbr-ce.nbrAngle > 2*tol {
						continue
					}
					if ca, _ := angleCells(ce.refAngle); ca != a {
						continue
					}
					if cb, _ := angleCells(ce.nbrAngle); cb != b {
						continue
					}
					for _, k := range [2]uint16{uint16(kf + int(ce.from)), uint16(kt + int(ce.to))} {
						v := votes[k] + 1
						votes[k] = v
						if v == minRootVotes {
							hot[uint16(nhot)] = k
							nhot++
						}
					}
				}
				if b == b1 {
					break
				}
			}
			if a == a1 {
				break
			}
		}
	}
	m.selectRoots(hot[:nhot], nc)
}

// selectRoots fills m.roots from the pairs that reached minRootVotes.
func (m *Matcher) selectRoots(hot []uint16, nc int) {
	votes := (*[minutiaeCap * minutiaeCap]uint16)(m.votes)
	// The maxRoots best by insertion: most votes first, ties in the order
	// of the probe's and then the candidate's minutiae, which is the order
	// of the pair index k. So one uint32 key, votes above and k reversed
	// below, orders the pairs: the greater key goes first.
	var keys [maxRoots]uint32
	nkeys := 0
	for _, k := range hot {
		key := uint32(votes[k])<<16 | uint32(^k)
		if nkeys == maxRoots {
			if key <= keys[maxRoots-1] {
				continue // the common case once the list is full
			}
		} else {
			nkeys++
		}
		i := nkeys - 1
		for ; i > 0 && keys[i-1] < key; i-- {
			keys[i] = keys[i-1]
		}
		keys[i] = key
	}
	roots := m.roots[:0]
	for _, key := range keys[:nkeys] {
		k := int(^uint16(key))
		roots = append(roots, root{votes: uint16(key >> 16), p: uint8(k / nc), c: uint8(k % nc)})
	}
	m.roots = roots
}

// b2u is 1 for true and 0 for false; the compiler makes it a SETcc, not a
// branch.
func b2u(b bool) uint16 {
	var u uint16
	if b {
		u = 1
	}
	return u
}

// consistency returns the fraction of pairs of pairs whose distance agrees
// in both templates within the edge tolerance scaled by
// consistencyTolerance: a pairing grown through local edges can bend,
// a genuine one only as far as skin stretches.
func consistency(probe, cand *Prepared, pairs []Pair) float64 {
	ok, all := 0, 0
	for i := range pairs {
		a, b := &probe.points[pairs[i].Probe], &cand.points[pairs[i].Candidate]
		for j := i + 1; j < len(pairs); j++ {
			c, d := &probe.points[pairs[j].Probe], &cand.points[pairs[j].Candidate]
			dp := float32(math.Sqrt(float64((a.x-c.x)*(a.x-c.x) + (a.y-c.y)*(a.y-c.y))))
			dc := float32(math.Sqrt(float64((b.x-d.x)*(b.x-d.x) + (b.y-d.y)*(b.y-d.y))))
			all++
			if diff := dp - dc; diff <= consistencyTolerance*lengthTol(dp) && -diff <= consistencyTolerance*lengthTol(dp) {
				ok++
			}
		}
	}
	if all == 0 {
		return 1
	}
	return float64(ok) / float64(all)
}

// supported counts the pairs of the current pairing with at least
// minSupport matched edges.
func (m *Matcher) supported() int {
	n := 0
	for _, pr := range m.pairs {
		if m.support[pr.Probe] >= minSupport {
			n++
		}
	}
	return n
}

// sameKind counts the pairs of the current pairing whose minutiae are of
// the same kind.
func (m *Matcher) sameKind(probe, cand *Prepared) int {
	n := 0
	for _, pr := range m.pairs {
		if probe.points[pr.Probe].kind == cand.points[pr.Candidate].kind {
			n++
		}
	}
	return n
}

func (m *Matcher) resetPairs() {
	for _, pr := range m.pairs {
		m.support[pr.Probe] = 0
		m.pToC[pr.Probe] = -1
		m.cToP[pr.Candidate] = -1
	}
	m.pairs = m.pairs[:0]
}

// grow builds a pairing from a root and returns the closeness summed over
// the edges between paired minutiae that matched (see edgeCloseness). The
// pairing is left in m.pairs.
func (m *Matcher) grow(probe, cand *Prepared, r root) (closeness float32) {
	m.resetPairs()
	m.heap = m.heap[:0]
	rotation := cand.points[r.c].dir16 - probe.points[r.p].dir16
	if m.tol.edgeDrift > 0 {
		rotation = m.edgeRotation(probe, cand, int(r.p), int(r.c), rotation)
	}
	if m.tol.align > 0 {
		sin, cos := math.Sincos(float64(fromFixed(rotation)))
		m.cos, m.sin = float32(cos), float32(sin)
	}
	closeness = m.add(probe, cand, int(r.p), int(r.c), rotation)
	for len(m.heap) > 0 {
		c := m.pop()
		if m.pToC[c.p] >= 0 || m.cToP[c.c] >= 0 {
			continue
		}
		closeness += m.add(probe, cand, int(c.p), int(c.c), rotation)
	}
	return closeness
}

// edgeRotation estimates a pairing's rotation from its root pair (p, c)
// by the directions of the edges, not of the minutiae: the mean difference
// of the edges' own directions between the templates, over the root's
// neighbour edges that match (within the probe's tolerances, the minutia
// directions' difference within drift of rotation, their estimate). An
// edge's direction depends on the positions of its minutiae only, which a
// hand-marked latent places better than it reads directions. Without a
// matching edge it returns rotation.
func (m *Matcher) edgeRotation(probe, cand *Prepared, p, c int, rotation uint16) uint16 {
	tl := m.tol
	tol := uint16(tl.angle)
	pe := probe.neighbors[probe.nbrStart[p]:probe.nbrStart[p+1]]
	ce := cand.neighbors[cand.nbrStart[c]:cand.nbrStart[c+1]]
	dp, dc := probe.points[p].dir16, cand.points[c].dir16
	sum, n := int32(0), int32(0)
	for i := range pe {
		e1 := &pe[i]
		ref, nbr := e1.refAngle+tol, e1.nbrAngle+tol
		for j := range ce {
			e2 := &ce[j]
			dl := e1.length - e2.length
			if dl > e2.tol || -dl > e2.tol || ref-e2.refAngle > 2*tol || nbr-e2.nbrAngle > 2*tol {
				continue
			}
			if fixedDiff(cand.points[e2.to].dir16-probe.points[e1.to].dir16, rotation) > tl.drift {
				continue
			}
			sum += int32(int16((e2.refAngle + dc) - (e1.refAngle + dp) - rotation))
			n++
		}
	}
	if n == 0 {
		return rotation
	}
	return rotation + uint16(int16(sum/n))
}

// aligned tells whether candidate minutia d lies where probe minutia q
// lands when the probe is turned by the pairing's rotation (m.cos, m.sin)
// about the root pair and moved onto it: within tolerances.align plus
// alignRel of q's distance from the root.
func (m *Matcher) aligned(probe, cand *Prepared, q, d uint8) bool {
	rp, rc := &probe.points[m.pairs[0].Probe], &cand.points[m.pairs[0].Candidate]
	a, b := &probe.points[q], &cand.points[d]
	x, y := a.x-rp.x, a.y-rp.y
	// Counter-clockwise as viewed, y pointing down.
	ex, ey := rc.x+x*m.cos+y*m.sin, rc.y-x*m.sin+y*m.cos
	dx, dy := b.x-ex, b.y-ey
	tol := m.tol.align + m.tol.alignRel*float32(math.Sqrt(float64(x*x+y*y)))
	return dx*dx+dy*dy <= tol*tol
}

// rootDistanceAgrees tells whether probe minutia q and candidate minutia d
// are about as far from their sides of the root pair.
func (m *Matcher) rootDistanceAgrees(probe, cand *Prepared, q, d uint8) bool {
	rp, rc := &probe.points[m.pairs[0].Probe], &cand.points[m.pairs[0].Candidate]
	a, b := &probe.points[q], &cand.points[d]
	dp := float32(math.Sqrt(float64((a.x-rp.x)*(a.x-rp.x) + (a.y-rp.y)*(a.y-rp.y))))
	dc := float32(math.Sqrt(float64((b.x-rc.x)*(b.x-rc.x) + (b.y-rc.y)*(b.y-rc.y))))
	diff := dp - dc
	if diff < 0 {
		diff = -diff
	}
	return diff <= rootDistanceTolerance+rootDistanceToleranceRel*dp
}

// add pairs probe minutia p with candidate minutia c, sums the closeness of
// the matched edges to minutiae already paired, and queues the pairs its
// edges propose.
func (m *Matcher) add(probe, cand *Prepared, p, c int, rotation uint16) (closeness float32) {
	m.pToC[p] = int16(c)
	m.cToP[c] = int16(p)
	m.pairs = append(m.pairs, Pair{Probe: p, Candidate: c})
	tl := m.tol
	tol := uint16(tl.angle)
	pe := probe.neighbors[probe.nbrStart[p]:probe.nbrStart[p+1]]
	ce := cand.neighbors[cand.nbrStart[c]:cand.nbrStart[c+1]]
	for i := range pe {
		e1 := &pe[i]
		q := e1.to
		qc := m.pToC[q]
		l1 := e1.length
		// Angle differences within tolerance as in findRoots: uint16(d+tol) <= 2·tol.
		ref, nbr := e1.refAngle+tol, e1.nbrAngle+tol
		// Every candidate edge is tested for the same shape (length
		// within e2.tol, both angles within angleTolerance), branch-free,
		// and only the rare match (one test in fifteen) is branched on.
		// The loop has a fixed length (nearly always maxNeighbors), which
		// the predictor learns; skipping the edges too short and stopping
		// at the first too long (they are sorted by length) measured no
		// faster.
		for j := range ce {
			e2 := &ce[j]
			dl := l1 - e2.length
			same := b2u(dl <= e2.tol) & b2u(-dl <= e2.tol) & b2u(ref-e2.refAngle <= 2*tol) & b2u(nbr-e2.nbrAngle <= 2*tol)
			if same == 0 {
				continue
			}
			d := e2.to
			if qc >= 0 {
				// q is paired already: the edge is matched if it joins
				// the same two pairs in both templates.
				if qc == int16(d) {
					closeness += edgeCloseness(e1, e2, tl.invAngle, &tl.weights)
					m.support[p]++
					m.support[q]++
				}
				continue
			}
			if m.cToP[d] >= 0 {
				continue
			}
			if fixedDiff(cand.points[d].dir16-probe.points[q].dir16, rotation) > tl.drift {
				continue
			}
			if tl.edgeDrift > 0 && fixedDiff((e2.refAngle+cand.points[c].dir16)-(e1.refAngle+probe.points[p].dir16), rotation) > tl.edgeDrift {
				continue
			}
			if !m.rootDistanceAgrees(probe, cand, q, d) {
				continue
			}
			if tl.align > 0 && !m.aligned(probe, cand, q, d) {
				continue
			}
			m.push(candidate{err: edgeError(e1, e2, tl.invAngle), p: q, c: d})
		}
	}
	return closeness
}

func (m *Matcher) push(c candidate) {
	h := append(m.heap, c)
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent].err <= h[i].err {
			break
		}
		h[parent], h[i] = h[i], h[parent]
		i = parent
	}
	m.heap = h
}

func (m *Matcher) pop() candidate {
	h := m.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		small := l
		if r := l + 1; r < len(h) && h[r].err < h[l].err {
			small = r
		}
		if h[i].err <= h[small].err {
			break
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
	m.heap = h
	return top
}
