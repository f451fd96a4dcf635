// Package matcher compares fingerprint templates: 1:1 comparison with a
// score, the matched minutia pairs, and the calibration of scores to false
// match rates.
//
// # Use
//
// Prepare each template once; compare prepared templates many times:
//
//	p, c := matcher.Prepare(probe), matcher.Prepare(candidate)
//	r := matcher.Compare(p, c)                    // score and matched pairs
//	match := r.Score >= matcher.DecisionThreshold // decide at FMR 1e-4
//	fmr := matcher.FMR(r.Score)                   // or report the estimated FMR
//
// Compare and Score are safe for concurrent use; Score does not allocate.
// A goroutine that compares much keeps its own Matcher (NewMatcher), whose
// Compare neither allocates nor copies the pairs.
//
// For 1:N search, enrol templates in a Gallery and search it:
//
//	var g matcher.Gallery
//	g.AddSubject("subject-1", fingers)            // positions from the templates
//	cs, err := g.Search(ctx, probe, matcher.SearchOptions{Top: 10})
//	subjects, err := g.Identify(ctx, tenprint, matcher.SearchOptions{})
//
// A search runs in two stages on GOMAXPROCS goroutines: a first stage
// scores every eligible finger from a compact index (index.go: a Hough vote
// on rotation and translation over matching edge shapes, about 1 KB per
// finger), and the precise comparison below ranks the shortlist. Identify
// fuses the fingers of a tenprint per subject (Fisher's rule over
// calibrated FMRs; see Identify). The gallery is safe for concurrent use and
// each search sees one snapshot (see Gallery).
//
// # Method
//
// The comparison is invariant to rotation and translation and tolerates
// skin distortion, because it only ever compares local shapes. Its idea
// follows SourceAFIS (Robert Važan) and the pair-table matchers before it
// (BOZORTH3); the code is Whorl's own.
//
//   - An edge is a directed pair of minutiae, described by its length and by
//     the edge's direction relative to each end's minutia direction. These
//     three numbers do not change when the print is rotated or shifted.
//   - Prepare keeps, for each minutia, the edges to its nearest neighbours
//     (maxNeighbors within maxNeighborDistance), sorted by length, and a
//     table of the shortest rootNeighbors of them indexed by quantised shape
//     (length × two angles; an edge near a cell boundary is also stored in
//     the neighbouring cells, so one lookup finds every edge within
//     tolerance). Table entries are 8 bytes, angles fixed point.
//   - Root pairs: every probe edge is looked up in the candidate's table
//     (in cell order, so the candidate's memory is read forwards); each
//     candidate edge that matches within tolerance (lengthTolerance,
//     lengthToleranceRel, angleTolerance) votes for the two minutia pairs at
//     its ends. The maxRoots pairs with the most votes are roots.
//   - Growth: from each root, a pairing grows like a minimum spanning tree:
//     the neighbour edges of each newly paired minutia are compared with the
//     neighbour edges of its partner, matching edges propose new pairs into
//     a priority queue, and the best-matching proposal whose two minutiae
//     are both still free is paired next. A pair whose direction difference
//     strays from the root's by more than maxRotationDrift is refused, and
//     so is one whose distance to the root differs between the templates by
//     more than rootDistanceTolerance (+ rootDistanceToleranceRel × the
//     distance).
//     Only local shapes are compared, so distortion that bends the print
//     gradually is tolerated. Edges that join two minutiae already paired
//     to each other are counted as matched edges (support).
//   - Score: mostly the matched edges, each weighed by how closely its
//     shape agrees in the two templates (a chance match falls anywhere
//     within the tolerances, a mate's close to exact), plus the fraction
//     of both templates' minutiae in supported pairs and a little for
//     pairs of the same kind (see the weights in parameters.go), from the
//     best pairing over all roots; 0 if it has fewer than minPairs pairs.
//     A root already inside an earlier pairing is skipped.
//   - Consistency: the best pairing's score is scaled by the fraction of all
//     pairs of its pairs whose distances agree in both templates (a check
//     of global shape the local growth cannot make), which pushes down
//     impostor pairings that only hold together locally.
//   - Hand-marked latents: a probe of impression minutiae.LatentTracing (the
//     server gives it to minutiae an examiner submits) has directions read
//     by eye, to about 10°. It is compared with wider angle tolerances
//     (markedAngleTolerance; root finding then looks in the neighbouring
//     cells of the candidate's table, findRootsWide), its pairing's rotation
//     is taken from the directions of the root's edges, which depend on the
//     minutiae's positions only, and a new pair must lie where that rotation
//     about the root puts it. Its scores are read with their own calibration
//     (MarkedLatentFMR). An image latent's matched edges are weighed by
//     their closeness less steeply than a full print's (latentClosenessScale):
//     its minutiae, found in a degraded deposit, sit less exactly. Every
//     other probe is compared as above.
//
// All tunable constants are in parameters.go.
//
// # Calibration
//
// Scores have no meaning by themselves. `go run ./benchmarks calibrate`
// scores every impostor pair of the FVC2002 sets (different fingers,
// 11,520 comparisons over four sets) and writes calibration_table.go: the
// fraction of impostors scoring at least each of a set of scores. FMR maps a
// score to that estimated false match rate (log-linear interpolation), and
// ThresholdAtFMR maps back. FMRs below one over the number of impostor
// comparisons cannot be measured; DecisionThreshold, at FMR 1e-4, is right
// at that limit. The table depends on the template source: regenerate it
// whenever the extractor or the matcher changes.
package matcher
