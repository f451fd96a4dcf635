package matcher

import (
	"cmp"
	"context"
	"slices"

	"github.com/whorlafis/whorl/minutiae"
)

// LatentOptions tune a latent search. The zero value searches every finger
// with the defaults.
type LatentOptions struct {
	// Top is how many candidates to return (DefaultTop when 0).
	Top int
	// Positions, when given, is the examiner's hint of which fingers the
	// latent may be: only fingers of these positions (and of unknown
	// position) are searched. Empty searches every finger.
	Positions []minutiae.FingerPosition
	// Shortlist is how many entries the first stage hands to the precise
	// matcher; when 0, LatentShortlistFraction of the entries searched, at
	// least MinLatentShortlist and at most MaxLatentShortlist.
	Shortlist int
	// Exhaustive compares every entry with the precise matcher.
	Exhaustive bool
}

// The latent shortlist is a larger share of the gallery than a tenprint
// finger's: a latent's few minutiae give the first stage few edges to vote
// with, and an examiner waits seconds, not the booking station's
// fraction of one. Measured with `go run ./benchmarks latent --gallery
// 100000 --unsolved 0 DB1_B DB2_B DB3_B` (rank-1, 10, 100 in %): with
// 5% (5,000) image latents 54.76, 62.86, 67.14 and marked 40.95, 45.71,
// 49.52, median 249 ms; with 20% (20,000) image 54.76, 64.29, 70.00 and
// marked 40.95, 49.52, 56.67, median 730 ms, p99 1.3 s. At 20,000
// fingers (a 25% shortlist) comparing every entry adds little: marked
// rank-10 57.62 against 56.19. The cap holds a million-finger search to
// the 50,000 precise comparisons that 5% gave it; its time there has not
// been measured.
const (
	MinLatentShortlist      = 5000
	LatentShortlistFraction = 0.2
	MaxLatentShortlist      = 50_000
)

// SearchLatent looks for a latent's finger among every finger of every
// subject (or those of the hinted positions): the first stage picks a
// shortlist and the precise matcher ranks it, as Search does. Candidates'
// FMRs come from the latent calibration of the probe's size (LatentFMR),
// not the full-print table. A probe of fewer than 2 minutiae is
// ErrNoMinutiae. It honours ctx as Search does.
func (g *Gallery) SearchLatent(ctx context.Context, probe minutiae.Template, opt LatentOptions) ([]Candidate, error) {
	s := g.load()
	if !probe.Impression.IsLatent() {
		probe.Impression = minutiae.Latent // scored as a latent, whatever it was marked as
	}
	q := newQuery(probe)
	if q == nil {
		return nil, ErrNoMinutiae
	}
	q.fmr = q.prepared.latentFMR
	q.shortlist = shortlistSize{MinLatentShortlist, LatentShortlistFraction, MaxLatentShortlist}
	elig := ^eligible(0)
	if len(opt.Positions) > 0 {
		elig = 1 << minutiae.UnknownFinger
		for _, p := range opt.Positions {
			elig |= 1 << (p & 63)
		}
	}
	hits, err := s.search(ctx, q, elig, opt.Shortlist, opt.Exhaustive)
	if err != nil {
		return nil, err
	}
	return s.candidates(ctx, q, hits, opt.Top)
}

// SearchReverse is the search of the unsolved latent file: g holds latents
// (each keyed by its latent id, at its hinted position or unknown), and an
// exemplar finger, newly enrolled, is compared with every latent it may be,
// each latent as the probe (the direction the latent's calibration was
// measured in). It returns the latents whose estimated FMR is at most
// maxFMR, best first, at most top (DefaultTop when 0); their Pairs index
// the exemplar as Probe and the latent as Candidate. Latent files are
// thousands, not millions, of entries, so the comparison is exhaustive: no
// first stage can lose a hit.
func (g *Gallery) SearchReverse(ctx context.Context, exemplar minutiae.Template, maxFMR float64, top int) ([]Candidate, error) {
	s := g.load()
	if len(exemplar.Minutiae) < 2 {
		return nil, ErrNoMinutiae
	}
	q := &query{prepared: Prepare(exemplar), reverse: true}
	hits, err := s.search(ctx, q, eligibility(exemplar.Position, SearchOptions{}), 0, true)
	if err != nil {
		return nil, err
	}
	if top <= 0 {
		top = DefaultTop
	}
	// Latents differ in size, so scores are ranked by their FMRs, each
	// read with its latent's calibration.
	type found struct {
		h   hit
		fmr float64
	}
	var kept []found
	for _, h := range hits {
		if h.score <= 0 {
			break
		}
		// A latent file keeps each latent prepared, marked or not; another
		// gallery's entries are read as image latents (its points do not
		// say how they were made).
		var fmr float64
		if v := &s.segs[h.seg]; v.latents != nil {
			fmr = v.latents[h.entry].latentFMR(h.score)
		} else {
			fmr = LatentFMR(h.score, int(v.entries[h.entry].nPoints))
		}
		if fmr <= maxFMR {
			kept = append(kept, found{h, fmr})
		}
	}
	slices.SortStableFunc(kept, func(a, b found) int { return cmp.Compare(a.fmr, b.fmr) })
	out := make([]Candidate, 0, min(len(kept), top))
	for _, k := range kept[:min(len(kept), top)] {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = append(out, s.candidate(q, k.h))
	}
	return out, nil
}
