package matcher

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/whorlafis/whorl/minutiae"
)

// SearchOptions tune a search. The zero value searches with the defaults.
type SearchOptions struct {
	// Top is how many candidates to return (DefaultTop when 0).
	Top int
	// Shortlist is how many entries the first stage hands to the precise
	// matcher; when 0, ShortlistFraction of the entries searched, at least
	// MinShortlist.
	Shortlist int
	// SamePositionOnly restricts a probe of unknown position to gallery
	// fingers of unknown position. By default a probe whose position is
	// unknown is compared with every finger, and a probe of known position
	// with the fingers of that position and those of unknown position.
	SamePositionOnly bool
	// AnyPosition compares the probe with every finger whatever the
	// positions (latent prints, doubtful positions).
	AnyPosition bool
	// Exhaustive skips the first stage and compares every entry with the
	// precise matcher: slow, for measuring what the first stage loses.
	Exhaustive bool
}

// Defaults of a search.
const (
	DefaultTop = 10
	// MinShortlist and ShortlistFraction size the shortlist. Measured on
	// FVC2002 with our extractor (TestIndexSelectivity, every ordered pair
	// of prints of all four sets): of the 1,810 mated pairs the precise
	// matcher scores at least 1.7 times the score of FMR 1e-4, the first
	// stage ranks 1 below the top 0.2% of impostor pairs; of the 1,921
	// scoring 1.4 times it, 14; of the 2,070 at FMR 1e-4 or less, 66. The
	// weak mates count little: in a large gallery a distractor outscores
	// them anyway (the search suite on DB1-3_B: of the mates the shortlist
	// loses, two would have ranked first at 20,000 fingers, none at
	// 100,000 and one at 1,000,000), and every thousand entries more costs
	// about 30 ms (the search suite on DB1-3_B, median: at a million
	// fingers a shortlist of 12,000 took 1,010 ms against 722 ms for the
	// 2,000 of 0.2%, and lost none of the mates, rank-1 91.43 against
	// 90.95%; at 100,000, 11,000 took 440 ms against 96 for 1,000). The
	// two at 20,000 are impressions of one heavily distorted finger that
	// the first stage ranks in the middle of the impostors; no shortlist
	// size recovers them.
	// The minimum keeps small galleries' shortlists generous (1% at 100,000
	// fingers), where precise comparisons are cheap.
	MinShortlist      = 1000
	ShortlistFraction = 0.002
	// maxTop bounds Top and Shortlist.
	maxTop = 100_000
)

// Candidate is one finger a search returns.
type Candidate struct {
	Key Key
	// Score is the precise matcher's score and FMR its estimated false
	// match rate (see FMR).
	Score float64
	FMR   float64
	// Pairs are the matched minutiae: Probe indexes the probe template's
	// minutiae, Candidate the enrolled template's, in the order they were
	// enrolled.
	Pairs []Pair
}

// Search looks for the probe's finger in the gallery (a probe of fewer than
// 2 minutiae is ErrNoMinutiae): a first stage scores
// every eligible finger cheaply (see index.go), the precise matcher
// compares the best of them, and the Top best are returned, best first.
// Both stages run on GOMAXPROCS goroutines. Search honours ctx: cancelled
// or past its deadline, it stops within a few milliseconds and returns
// ctx.Err().
func (g *Gallery) Search(ctx context.Context, probe minutiae.Template, opt SearchOptions) ([]Candidate, error) {
	s := g.load()
	q := newQuery(probe)
	if q == nil {
		return nil, ErrNoMinutiae
	}
	elig := eligibility(probe.Position, opt)
	hits, err := s.search(ctx, q, elig, opt.Shortlist, opt.Exhaustive)
	if err != nil {
		return nil, err
	}
	return s.candidates(ctx, q, hits, opt.Top)
}

// candidates turns the best top (DefaultTop when 0) of the ranked hits
// into Candidates.
func (s *snapshot) candidates(ctx context.Context, q *query, hits []hit, top int) ([]Candidate, error) {
	if top <= 0 {
		top = DefaultTop
	}
	top = min(top, maxTop)
	if len(hits) > top {
		hits = hits[:top]
	}
	out := make([]Candidate, len(hits))
	for i, h := range hits {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = s.candidate(q, h)
	}
	return out, nil
}

// query is a probe made ready for a search.
type query struct {
	prepared *Prepared
	index    *probeIndex // nil when the search is exhaustive
	// fmr estimates the false match rate of a score against this probe.
	fmr func(score float64) float64
	// reverse compares each entry, as the probe, with the query (reverse
	// search: the entries are latents, the query an exemplar).
	reverse bool
	// shortlist sizes the first stage's shortlist.
	shortlist shortlistSize
}

// shortlistSize is a fraction of the entries searched, at least min and,
// when max is not 0, at most max.
type shortlistSize struct {
	min      int
	fraction float64
	max      int
}

func newQuery(t minutiae.Template) *query {
	if len(t.Minutiae) < 2 {
		return nil
	}
	p := Prepare(t)
	return &query{prepared: p, index: newProbeIndex(p), fmr: FMR, shortlist: shortlistSize{MinShortlist, ShortlistFraction, 0}}
}

// eligible tells which gallery positions a probe finger is compared with:
// bit p set for position p.
type eligible uint64

func eligibility(probe minutiae.FingerPosition, opt SearchOptions) eligible {
	const unknown = 1 << minutiae.UnknownFinger
	switch {
	case opt.AnyPosition:
		return ^eligible(0)
	case probe == minutiae.UnknownFinger && opt.SamePositionOnly:
		return unknown
	case probe == minutiae.UnknownFinger:
		return ^eligible(0)
	}
	return unknown | 1<<(probe&63)
}

func (e eligible) has(p minutiae.FingerPosition) bool { return e>>(p&63)&1 != 0 }

// hit is an entry found by a search: where it is in the snapshot and its
// score (first stage or precise).
type hit struct {
	score float64
	seg   int32
	entry uint32
}

// better orders hits: higher score first; ties in gallery order, so that a
// search's result does not depend on how work was split.
func better(a, b *hit) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.seg != b.seg {
		return a.seg < b.seg
	}
	return a.entry < b.entry
}

func compareHits(a, b hit) int {
	if better(&a, &b) {
		return -1
	}
	if better(&b, &a) {
		return 1
	}
	return 0
}

// topHits keeps the k best hits seen, in a min-heap on better (the worst
// on top, replaced when a better one arrives).
type topHits struct {
	k int
	h []hit
}

func (t *topHits) worse(i, j int) bool { return better(&t.h[j], &t.h[i]) }

func (t *topHits) offer(x hit) {
	if len(t.h) < t.k {
		t.h = append(t.h, x)
		for i := len(t.h) - 1; i > 0; {
			p := (i - 1) / 2
			if !t.worse(i, p) {
				break
			}
			t.h[i], t.h[p] = t.h[p], t.h[i]
			i = p
		}
		return
	}
	if !better(&x, &t.h[0]) {
		return
	}
	t.h[0] = x
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(t.h) && t.worse(l, m) {
			m = l
		}
		if r < len(t.h) && t.worse(r, m) {
			m = r
		}
		if m == i {
			break
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// chunk is a unit of a scan's work: entries [from, to) of one segment.
type chunk struct {
	seg      int
	from, to int
}

// chunkEntries is how many entries a worker scans between checks of the
// context: a few milliseconds of work at most.
const chunkEntries = 2048

func (s *snapshot) chunks() []chunk {
	var cs []chunk
	for i := range s.segs {
		n := len(s.segs[i].entries)
		for from := 0; from < n; from += chunkEntries {
			cs = append(cs, chunk{i, from, min(from+chunkEntries, n)})
		}
	}
	return cs
}

// parallel runs work(worker, i) for i in [0, n) on the given number of
// goroutines (worker < workers), and stops handing out work once ctx is
// done. Callers read GOMAXPROCS once and size their per-worker scratch with
// the same number: the runtime may change GOMAXPROCS while a search runs.
func parallel(ctx context.Context, workers, n int, work func(worker, i int)) error {
	workers = min(workers, max(n, 1))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if ctx.Err() != nil {
					return
				}
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				work(w, i)
				// A search keeps every core busy; yielding between work
				// items (a millisecond or so each) lets the server's other
				// goroutines in promptly, so that a request refused at
				// admission, say, is answered in milliseconds, not after
				// several 10 ms preemption slices.
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// search returns the eligible entries ranked by the precise matcher, best
// first: all of them when exhaustive, else the first stage's shortlist
// (shortlist entries, or when 0 as q.shortlist says).
func (s *snapshot) search(ctx context.Context, q *query, elig eligible, shortlist int, exhaustive bool) ([]hit, error) {
	var short []hit
	if exhaustive || q.index == nil {
		for i := range s.segs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			v := &s.segs[i]
			for j := range v.entries {
				if e := &v.entries[j]; elig.has(e.position) && !v.isDeleted(e.record) {
					short = append(short, hit{seg: int32(i), entry: uint32(j)})
				}
			}
		}
	} else {
		var err error
		short, err = s.firstStage(ctx, q, elig, shortlist)
		if err != nil {
			return nil, err
		}
	}
	return s.rank(ctx, q, short)
}

// firstStage scores every eligible entry with the index and returns the
// shortlist, best first: shortlist entries, or when 0 q.shortlist's
// fraction of the eligible entries, at least its minimum.
func (s *snapshot) firstStage(ctx context.Context, q *query, elig eligible, shortlist int) ([]hit, error) {
	k := shortlist
	if k <= 0 {
		// The eligible count is known only after the scan: keep enough for
		// the case that every entry is eligible, cut below.
		k = q.shortlist.of(s.fingers)
	}
	k = min(k, maxTop)
	cs := s.chunks()
	workers := max(runtime.GOMAXPROCS(0), 1)
	tops := make([]topHits, workers)
	scratch := make([]*hough, workers)
	counts := make([]int, workers)
	for w := range tops {
		tops[w].k = k
		scratch[w] = new(hough)
	}
	err := parallel(ctx, workers, len(cs), func(w, i int) {
		c := cs[i]
		v := &s.segs[c.seg]
		top, h := &tops[w], scratch[w]
		n := 0
		for j := c.from; j < c.to; j++ {
			e := &v.entries[j]
			if !elig.has(e.position) || v.isDeleted(e.record) {
				continue
			}
			n++
			votes := q.index.score(v.edges[e.edges:e.edges+uint32(e.nEdges)], v.points[e.points:e.points+uint32(e.nPoints)], h)
			if votes == 0 {
				continue
			}
			score := float64(votes) * indexNorm(int(e.nEdges))
			if len(top.h) == top.k && score < top.h[0].score {
				continue // the common case once the shortlist is full
			}
			top.offer(hit{score: score, seg: int32(c.seg), entry: uint32(j)})
		}
		counts[w] += n
	})
	if err != nil {
		return nil, err
	}
	var all []hit
	eligibleEntries := 0
	for w := range tops {
		all = append(all, tops[w].h...)
		eligibleEntries += counts[w]
	}
	if shortlist <= 0 {
		k = min(k, q.shortlist.of(eligibleEntries))
	}
	slices.SortFunc(all, compareHits)
	return all[:min(len(all), k)], nil
}

// of returns the shortlist's size for n entries searched.
func (z shortlistSize) of(n int) int {
	k := int(math.Ceil(z.fraction * float64(n)))
	if z.max > 0 {
		k = min(k, z.max)
	}
	return max(z.min, k)
}

// indexNorm scales a first-stage vote count by the gallery entry's number
// of index edges: a random peak grows with it, a mate's with the overlap.
// Measured on FVC2002 (all four sets, mates the precise matcher scored
// above 50 before it weighed edges by closeness, a shortlist of 0.1% of
// impostors): dividing by edges^0.375 loses 26 of 1,845 mates, the raw
// count 93, edges^0.5 83.
func indexNorm(edges int) float64 {
	if edges <= 0 {
		return 0
	}
	if edges < len(indexNorms) {
		return indexNorms[edges]
	}
	return math.Pow(float64(edges), -indexNormPower)
}

// indexNorms tabulates indexNorm: math.Pow for every entry of a scan costs
// as much as a tenth of the scan.
var indexNorms = func() (t [maxIndexEdges + 1]float64) {
	for n := 1; n < len(t); n++ {
		t[n] = math.Pow(float64(n), -indexNormPower)
	}
	return t
}()

// rank compares the probe with every hit precisely and returns them ranked
// by the precise score, best first. (The pairs are not kept: only the few
// candidates returned need them, and candidate compares those again.)
func (s *snapshot) rank(ctx context.Context, q *query, hits []hit) ([]hit, error) {
	workers := max(runtime.GOMAXPROCS(0), 1)
	matchers := make([]*Matcher, workers)
	bufs := make([][]minutiae.Minutia, workers)
	for w := range matchers {
		matchers[w] = pool.Get().(*Matcher)
		defer pool.Put(matchers[w])
	}
	const batch = 32
	err := parallel(ctx, workers, (len(hits)+batch-1)/batch, func(w, b int) {
		m := matchers[w]
		for i := b * batch; i < min((b+1)*batch, len(hits)); i++ {
			h := &hits[i]
			v := &s.segs[h.seg]
			if q.reverse && v.latents != nil {
				h.score = m.Compare(v.latents[h.entry], q.prepared).Score
				continue
			}
			e := &v.entries[h.entry]
			t := galleryTemplate(v.points[e.points:e.points+uint32(e.nPoints)], bufs[w])
			bufs[w] = t.Minutiae
			if q.reverse {
				t.Impression = minutiae.Latent // entries of a latent file are latents
				h.score = m.Compare(Prepare(t), q.prepared).Score
			} else {
				h.score = m.Compare(q.prepared, Prepare(t)).Score
			}
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(hits, compareHits)
	return hits, nil
}

// prepared rebuilds and prepares the template of a hit's entry, as a
// latent if latent.
func (s *snapshot) prepared(seg int32, entry uint32, latent bool) *Prepared {
	v := &s.segs[seg]
	if latent && v.latents != nil {
		return v.latents[entry]
	}
	e := &v.entries[entry]
	if latent {
		return prepareLatent(v.points[e.points:e.points+uint32(e.nPoints)], minutiae.Latent)
	}
	return Prepare(galleryTemplate(v.points[e.points:e.points+uint32(e.nPoints)], nil))
}

// prepareLatent prepares a latent file's entry for comparison as the
// probe, from the points the gallery keeps and the latent's impression
// (Latent unless it was marked by hand, LatentTracing; the points do not
// keep it).
func prepareLatent(pts []galleryPoint, impression minutiae.Impression) *Prepared {
	t := galleryTemplate(pts, nil)
	t.Impression = impression
	if !impression.IsLatent() {
		t.Impression = minutiae.Latent
	}
	return Prepare(t)
}

// key returns the Key of an entry.
func (s *snapshot) key(seg int32, entry uint32) Key {
	v := &s.segs[seg]
	e := &v.entries[entry]
	return Key{Subject: v.ids[e.record], Position: e.position}
}

// candidate turns a ranked hit into a Candidate, comparing it once more for
// its pairs.
func (s *snapshot) candidate(q *query, h hit) Candidate {
	c := Candidate{Key: s.key(h.seg, h.entry), Score: h.score}
	entry := s.prepared(h.seg, h.entry, q.reverse)
	if q.reverse {
		// The entry was the probe: its size decides the calibration, and
		// the pairs are turned round to index the query as Probe.
		c.FMR = entry.latentFMR(h.score)
		if h.score > 0 {
			c.Pairs = Compare(entry, q.prepared).Pairs
			for i, p := range c.Pairs {
				c.Pairs[i] = Pair{Probe: p.Candidate, Candidate: p.Probe}
			}
		}
		return c
	}
	c.FMR = q.fmr(h.score)
	if h.score > 0 {
		c.Pairs = Compare(q.prepared, entry).Pairs
	}
	return c
}
