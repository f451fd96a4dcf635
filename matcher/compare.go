package matcher

import (
	"math"
	"sync"
)

// Pair is one matched pair of minutiae: indexes into the probe's and the
// candidate's minutiae, in the order of the templates given to Prepare.
type Pair struct {
	Probe, Candidate int
}

// Result is the outcome of a 1:1 comparison.
type Result struct {
	// Score grows with the evidence that both templates come from the same
	// finger; 0 means no evidence at all. Map it to an estimated false
	// match rate with FMR.
	Score float64
	// Pairs are the matched minutiae, root pair first.
	Pairs []Pair
}

// root is a root pair: where a pairing starts.
type root struct {
	votes uint16
	p, c  uint8
}

// before tells whether r is tried before s.
func (r root) before(s root) bool {
	if r.votes != s.votes {
		return r.votes > s.votes
	}
	return r.p < s.p || r.p == s.p && r.c < s.c
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
	hot     []int32 // probe × candidate pairs with at least minRootVotes
	heap    []candidate
	pToC    [minutiaeCap]int16
	cToP    [minutiaeCap]int16
	support [minutiaeCap]uint8 // per probe minutia: matched edges at it
	pairs   []Pair
	best    []Pair
}

const minutiaeCap = 256

// NewMatcher returns a Matcher with its scratch memory allocated.
func NewMatcher() *Matcher {
	m := &Matcher{
		votes:   make([]uint16, minutiaeCap*minutiaeCap),
		covered: make([]bool, minutiaeCap*minutiaeCap),
		roots:   make([]root, 0, maxRoots),
		hot:     make([]int32, 0, 1024),
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

// maxRotationDrift16 is maxRotationDrift in fixed point.
var maxRotationDrift16 = int32(math.Round(maxRotationDrift / (2 * math.Pi) * fixedTurn))

// angleTolerance16 is angleTolerance in fixed point.
var angleTolerance16 = int32(math.Round(angleTolerance / (2 * math.Pi) * fixedTurn))

const invAngleTolerance16 = 1 / (angleTolerance / (2 * math.Pi) * fixedTurn)

// sameShape tells whether edge a has the shape of edge b within the
// tolerances (tol16 is angleTolerance16, passed in to keep it in a
// register). It is small enough to be inlined in the hot loops.
func sameShape(a, b *edge, tol16 int32) bool {
	dl := a.length - b.length
	return dl <= b.tol && -dl <= b.tol &&
		fixedDiff(a.refAngle, b.refAngle) <= tol16 &&
		fixedDiff(a.nbrAngle, b.nbrAngle) <= tol16
}

// edgeError tells how far apart the shapes of two edges that match are,
// from 0 for identical up to 3 at the limit of every tolerance.
func edgeError(a, b *edge) float32 {
	dl := a.length - b.length
	if dl < 0 {
		dl = -dl
	}
	return dl/b.tol + float32(fixedDiff(a.refAngle, b.refAngle)+fixedDiff(a.nbrAngle, b.nbrAngle))*invAngleTolerance16
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
	m.findRoots(probe, cand)
	covered := m.covered[:np*nc]
	clear(covered)
	bestScore := 0.0
	m.best = m.best[:0]
	for _, r := range m.roots {
		if covered[int(r.p)*nc+int(r.c)] {
			continue
		}
		edges := m.grow(probe, cand, r)
		for _, pr := range m.pairs {
			covered[pr.Probe*nc+pr.Candidate] = true
		}
		s := score(len(m.pairs), m.supported(), m.sameKind(probe, cand), edges, np, nc)
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

// score rates a pairing of n minutiae joined by edges matched edges, between
// templates of np and nc minutiae.
func score(n, supported, sameKind, edges, np, nc int) float64 {
	if n < minPairs {
		return 0
	}
	fraction := 2 * float64(supported) / float64(np+nc)
	return scorePair*float64(n) + scoreEdge*float64(edges) + scoreFraction*fraction + scoreType*float64(sameKind)
}

// findRoots fills m.roots with the best-voted root pairs, most votes first.
func (m *Matcher) findRoots(probe, cand *Prepared) {
	nc := len(cand.points)
	votes := m.votes[:len(probe.points)*nc]
	clear(votes)
	cs := cand.cellStart
	tol16 := angleTolerance16
	hot := m.hot[:0] // pairs that reached minRootVotes
	for i := range probe.lookups {
		pe := &probe.lookups[i]
		bucket := cand.rootEdges[cs[pe.cell]:cs[pe.cell+1]]
		for j := range bucket {
			ce := &bucket[j]
			if ce.length > pe.hi {
				break // the bucket is sorted by length
			}
			if ce.length < pe.lo || fixedDiff(pe.refAngle, ce.refAngle) > tol16 || fixedDiff(pe.nbrAngle, ce.nbrAngle) > tol16 {
				continue
			}
			for _, k := range [2]int{int(pe.from)*nc + int(ce.from), int(pe.to)*nc + int(ce.to)} {
				votes[k]++
				if votes[k] == minRootVotes {
					hot = append(hot, int32(k))
				}
			}
		}
	}
	m.hot = hot
	roots := m.roots[:0]
	// The maxRoots best by insertion: most votes first, ties in the order
	// of the probe's and then the candidate's minutiae.
	for _, k := range hot {
		r := root{votes: votes[k], p: uint8(int(k) / nc), c: uint8(int(k) % nc)}
		if len(roots) == maxRoots && !r.before(roots[maxRoots-1]) {
			continue
		}
		if len(roots) < maxRoots {
			roots = append(roots, r)
		} else {
			roots[maxRoots-1] = r
		}
		for i := len(roots) - 1; i > 0 && roots[i].before(roots[i-1]); i-- {
			roots[i], roots[i-1] = roots[i-1], roots[i]
		}
	}
	m.roots = roots
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

// grow builds a pairing from a root and returns how many edges between
// paired minutiae matched. The pairing is left in m.pairs.
func (m *Matcher) grow(probe, cand *Prepared, r root) int {
	m.resetPairs()
	m.heap = m.heap[:0]
	rotation := cand.points[r.c].dir16 - probe.points[r.p].dir16
	edges := m.add(probe, cand, int(r.p), int(r.c), rotation)
	for len(m.heap) > 0 {
		c := m.pop()
		if m.pToC[c.p] >= 0 || m.cToP[c.c] >= 0 {
			continue
		}
		edges += m.add(probe, cand, int(c.p), int(c.c), rotation)
	}
	return edges
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

// add pairs probe minutia p with candidate minutia c, counts the matched
// edges to minutiae already paired, and queues the pairs its edges propose.
func (m *Matcher) add(probe, cand *Prepared, p, c int, rotation uint16) int {
	m.pToC[p] = int16(c)
	m.cToP[c] = int16(p)
	m.pairs = append(m.pairs, Pair{Probe: p, Candidate: c})
	edges := 0
	tol16 := angleTolerance16
	pe := probe.neighbors[probe.nbrStart[p]:probe.nbrStart[p+1]]
	ce := cand.neighbors[cand.nbrStart[c]:cand.nbrStart[c+1]]
	for i := range pe {
		e1 := &pe[i]
		q := e1.to
		qc := m.pToC[q]
		for j := range ce {
			e2 := &ce[j]
			if e2.length-e2.tol > e1.length {
				break // neighbours are sorted by length
			}
			d := e2.to
			if qc >= 0 && qc != int16(d) {
				continue
			}
			if !sameShape(e1, e2, tol16) {
				continue
			}
			if qc >= 0 {
				edges++
				m.support[p]++
				m.support[q]++
				continue
			}
			if m.cToP[d] >= 0 {
				continue
			}
			if fixedDiff(cand.points[d].dir16-probe.points[q].dir16, rotation) > maxRotationDrift16 {
				continue
			}
			if !m.rootDistanceAgrees(probe, cand, q, d) {
				continue
			}
			m.push(candidate{err: edgeError(e1, e2), p: q, c: d})
		}
	}
	return edges
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
