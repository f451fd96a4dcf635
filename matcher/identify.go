package matcher

import (
	"cmp"
	"context"
	"math"
	"runtime"
	"slices"

	"github.com/whorlafis/whorl/minutiae"
)

// SubjectCandidate is one subject an identification returns.
type SubjectCandidate struct {
	Subject string
	// Score is the fused evidence, -log10 FMR, and FMR the estimated
	// probability that a subject who is not the probe's person scores as
	// high (see Identify for the rule).
	Score float64
	FMR   float64
	// Fingers are the probe fingers' best matches among the subject's
	// fingers, in the order of the probe's fingers; a probe finger that
	// matched nothing is left out.
	Fingers []FingerMatch
}

// FingerMatch is one probe finger's best match within a candidate subject.
type FingerMatch struct {
	// Probe is the index of the probe finger in the fingers given to
	// Identify; Position the matched gallery finger's position.
	Probe    int
	Position minutiae.FingerPosition
	Score    float64
	FMR      float64
	Pairs    []Pair
}

// Identify searches a tenprint (or any set of one person's fingers, each
// with its Position) and returns the Top most likely subjects, best first.
//
// Each probe finger is searched like Search would (same position, with the
// fallback to all positions for a finger of unknown position unless
// opt.SamePositionOnly). The subjects found by any finger are then scored on
// every probe finger: for finger f, s_f is the best precise score against
// the subject's eligible fingers, p_f = min(1, m_f·FMR(s_f)) its false match
// rate corrected for the m_f fingers it was compared with. The fused rule
// treats the fingers as independent evidence (Fisher's method): with P the
// product of the p_f over the k probe fingers, the subject's FMR is the
// probability that k independent uniform rates have a product as small,
//
//	FMR = P · Σ_{i<k} (−ln P)^i / i!
//
// and Score = −log10 FMR. Every subject is rated on all k probe fingers
// (p_f = 1 for a finger with no eligible finger in the subject), so that
// subjects compare on the same terms; a finger without evidence still
// counts in k, as Fisher's method requires: one strong finger among ten
// probe fingers is weaker evidence than the same finger searched alone.
// (The calibration cannot resolve single-finger FMRs below its floor, about
// 1e-4, so two strong fingers already say "below 1e-8"; ties between such
// subjects are broken by the sum of their precise scores.)
func (g *Gallery) Identify(ctx context.Context, fingers []minutiae.Template, opt SearchOptions) ([]SubjectCandidate, error) {
	if len(fingers) > maxFingersPerSubject {
		return nil, ErrTooManyFingers
	}
	s := g.load()
	top := opt.Top
	if top <= 0 {
		top = DefaultTop
	}
	top = min(top, maxTop)
	queries := make([]*query, len(fingers))
	eligs := make([]eligible, len(fingers))
	// subjects found by any finger: segment and record.
	type subjectRef struct {
		seg    int32
		record uint32
	}
	found := map[subjectRef]bool{}
	for f, t := range fingers {
		queries[f] = newQuery(t)
		if queries[f] == nil {
			continue
		}
		eligs[f] = eligibility(t.Position, opt)
		// The fingers share the minimum shortlist: fusion, not any one
		// finger's shortlist, carries a tenprint search.
		queries[f].shortlist.min = max(MinShortlist/len(fingers), identifyPerFinger)
		hits, err := s.search(ctx, queries[f], eligs[f], opt.Shortlist, opt.Exhaustive)
		if err != nil {
			return nil, err
		}
		// The subjects of the best hits of each finger go on; how many is
		// bounded so that the fill-in below stays a small number of
		// comparisons.
		for _, h := range hits[:min(len(hits), max(2*top, identifyPerFinger))] {
			if h.score <= 0 {
				continue
			}
			e := &s.segs[h.seg].entries[h.entry]
			ref := subjectRef{h.seg, e.record}
			found[ref] = true
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	refs := make([]subjectRef, 0, len(found))
	for r := range found {
		refs = append(refs, r)
	}
	out := make([]SubjectCandidate, len(refs))
	sums := make([]float64, len(refs))
	err := parallel(ctx, max(runtime.GOMAXPROCS(0), 1), len(refs), func(_, i int) {
		if ctx.Err() != nil {
			return
		}
		ref := refs[i]
		v := &s.segs[ref.seg]
		rec := v.records[ref.record]
		c := SubjectCandidate{Subject: v.ids[ref.record]}
		// Each of the subject's fingers is prepared once, when first
		// compared.
		prepared := make([]*Prepared, rec.count)
		var pfs []float64
		for f, q := range queries {
			if q == nil {
				continue
			}
			best, bestPos, m := 0.0, minutiae.UnknownFinger, 0
			var bestPairs []Pair
			for j := rec.first; j < rec.first+uint32(rec.count); j++ {
				e := &v.entries[j]
				if !eligs[f].has(e.position) {
					continue
				}
				m++
				k := j - rec.first
				if prepared[k] == nil {
					prepared[k] = s.prepared(ref.seg, j, false)
				}
				r := Compare(q.prepared, prepared[k])
				if r.Score > best {
					best, bestPos, bestPairs = r.Score, e.position, r.Pairs
				}
			}
			pf := 1.0 // no eligible finger in this subject: no evidence
			if m > 0 {
				pf = min(1, float64(m)*FMR(best))
			}
			pfs = append(pfs, pf)
			sums[i] += best
			if best > 0 {
				c.Fingers = append(c.Fingers, FingerMatch{Probe: f, Position: bestPos, Score: best, FMR: pf, Pairs: bestPairs})
			}
		}
		// pfs has one rate per usable probe finger, for every subject.
		logFMR := fisher(pfs)
		c.FMR = math.Exp(logFMR)
		c.Score = -logFMR / math.Ln10
		out[i] = c
	})
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		return cmp.Or(cmp.Compare(out[b].Score, out[a].Score), cmp.Compare(sums[b], sums[a]), cmp.Compare(out[a].Subject, out[b].Subject))
	})
	res := make([]SubjectCandidate, 0, min(top, len(idx)))
	for _, i := range idx[:min(top, len(idx))] {
		res = append(res, out[i])
	}
	return res, nil
}

// identifyPerFinger is how many of each probe finger's best hits at least
// put their subject forward for fusion.
const identifyPerFinger = 50

// fisher combines independent false match rates: it returns the natural
// log of the probability that as many independent uniform rates have a
// product at most theirs. (The log, because ten strong fingers make the
// probability itself underflow.)
func fisher(ps []float64) float64 {
	if len(ps) == 0 {
		return 0
	}
	logP := 0.0
	for _, p := range ps {
		logP += math.Log(max(p, math.SmallestNonzeroFloat64))
	}
	if logP >= 0 {
		return 0
	}
	// P · Σ_{i<k} (−ln P)^i / i!, summed in logs to stay finite.
	sum, term := 0.0, 1.0
	for i := range len(ps) {
		if i > 0 {
			term *= -logP / float64(i)
		}
		sum += term
	}
	return min(0, logP+math.Log(sum))
}
