package matcher

import "math"

// Tunable constants of the matcher. Distances are in pixels at 500 ppi
// (about 0.05 mm); angles are in radians. Change them only with a full run
// of the accuracy harness over all four FVC2002 sets (never tune on one set).
const (
	// maxNeighbors is how many nearest neighbours of each minutia are kept
	// as its local edges, the edges along which a pairing grows.
	maxNeighbors = 9
	// maxNeighborDistance drops neighbour edges longer than this: long edges
	// suffer most from skin distortion.
	maxNeighborDistance = 180

	// minRootEdge and maxRootEdge bound the length of the edges (minutia
	// pairs) used to find root pairs, where a pairing starts. Very short
	// edges have unstable angles; long ones are distorted.
	minRootEdge = 12
	maxRootEdge = 180

	// lengthTolerance is the absolute part of the tolerated length
	// difference between two edges; lengthToleranceRel is the part
	// proportional to the edge length (skin stretches proportionally).
	lengthTolerance    = 8
	lengthToleranceRel = 0.06
	// angleTolerance is the tolerated difference of each of an edge's two
	// relative angles (edge direction against each end's minutia direction).
	angleTolerance = math.Pi / 12

	// rootLengthBins and rootAngleBins quantise edge shapes into the cells
	// of a prepared template's edge table. An edge is stored in every cell a
	// matching probe edge can fall in: angle cells are twice the angle
	// tolerance wide, so at most two per angle; the length tolerance grows
	// with the length and passes half a length cell (20 pixels) above about
	// 24 pixels, so up to three length cells.
	rootLengthBins = 9
	rootAngleBins  = 12

	// maxRoots is how many root pairs (those with the most votes from
	// matching edges) are each grown into a pairing; the best pairing wins.
	maxRoots = 10
	// minRootVotes is the least number of matching edges a root pair needs
	// to be tried.
	minRootVotes = 2
)

// Score weights. The score of a pairing of n minutia pairs is
//
//	scoreEdge·Σ closeness(matched edge) + scorePair·n + scoreType·(pairs of the same kind)
//	  + scoreFraction·2·(supported pairs)/(probe minutiae + candidate minutiae)
//
// where a matched edge joins two paired minutiae with the same shape in both
// templates, and a supported pair has at least minSupport matched edges.
// Matched edges carry most of the evidence (measured: counting pairs alone
// is clearly worse); the fraction term rewards pairings that cover much of
// both templates. The absolute scale means nothing by itself: scores are
// calibrated to false match rates by the table in calibration_table.go.
const (
	scoreEdge     = 1.5
	scorePair     = 0
	scoreType     = 0.5
	scoreFraction = 30
	// minPairs is the least number of paired minutiae for a non-zero score.
	minPairs = 3
)

// A matched edge's closeness is
//
//	scoreEdgeExact − scoreEdgeLength·|Δlength|/(length tolerance)
//	  − scoreEdgeAngle·(|Δ relative angle| + |Δ other relative angle|)/(angle tolerance)
//
// from 1.5 for an edge of the same shape in both templates down to −1 for
// one at the limit of every tolerance (the angle term sums two shares), so
// that a pairing of near-limit edges can score 0. (scoreEdge multiplies
// the sum: an exact edge is worth 2.25.) A genuine pairing's edges agree
// closely; a chance pairing's fall anywhere within the tolerances, so
// counting them alike (closeness 1, as until this was measured) gave an
// impostor's edges the same weight as a mate's. Measured on FVC2002 DB1-4
// (full protocol, our extractor; mean EER, FMR100, FMR1000, ZeroFMR in %):
// counting 2.68, 3.57, 5.89, 7.68; these weights 2.43, 3.12, 4.91, 5.45,
// and every set better or equal on every figure (ZeroFMR DB1 6.07 → 3.93,
// DB2 4.29 → 2.86, DB3 14.29 → 9.64, DB4 6.07 → 5.36). Other weights
// (exact, length, angle): 1.5, 1.5, 0 gave 2.68, 3.30, 5.09, 6.16; 1.5, 0,
// 0.5 gave 2.86, 3.57, 5.54, 6.96; heavier penalties or a lighter exact
// edge make a distorted mate's many near-limit edges count against it:
// 1, 1.5, 0.5 gave 2.80, 3.75, 6.07, 7.77; 1.5, 2, 0.5 gave 2.78, 3.48,
// 4.91, 6.88.
const (
	scoreEdgeExact  = 1.5
	scoreEdgeLength = 1.5
	scoreEdgeAngle  = 0.5
)

// latentClosenessScale scales the closeness weights above for an image
// latent probe (1 weighs its edges as a full print's, 0 counts them): its
// minutiae, found in a blurred, distorted deposit, sit less exactly, and
// full weights measured worse than half. Measured with `go run
// ./benchmarks latent --gallery 20000 --unsolved 0 DB1_B DB2_B DB3_B`
// (image latents, rank-1, 10, 100 in %): 0 gave 56.67, 68.10, 73.33; 0.25
// gave 57.14, 68.10, 74.29; 0.5 gave 58.57, 68.57, 75.71; 0.75 gave 58.10,
// 68.10, 75.71; 1 gave 56.67, 67.14, 74.29. Marked latents keep the full
// weights: at half, marked rank-1, 10, 100 were 46.67, 54.76, 62.86
// against 46.19, 56.19, 62.86. (Crops of full-print templates, which
// `benchmarks calibrate --latent` measures, sit as exactly as a full
// print and prefer full weights: image FNMR at FMR 1e-3 by size class
// 58.0, 40.4, 31.8, 19.8% at 1 against 60.2, 42.1, 33.5, 22.8% at 0.5,
// and 62.7, 45.0, 36.0, 26.1% counting; the latent suite's latents are
// extracted from degraded images, as a scene's are.)
const latentClosenessScale = 0.5

// maxRotationDrift is how far the direction difference of a new pair may
// stray from the root pair's: it keeps a pairing, grown through local
// edges, from drifting into a different rotation.
const maxRotationDrift = math.Pi / 7

// Tolerances of a hand-marked latent probe (impression
// minutiae.LatentTracing): an examiner places a minutia a few pixels off and
// reads its direction by eye, to about 10° (the latent suite's
// simulateMarking models it: 2.5 px and 10° standard deviation), where our
// extractor's directions vary by a few degrees. An edge's relative angle
// then varies by about 11° on the marked side alone, and the image probe's
// tolerances (angleTolerance, maxRotationDrift, tuned for extractor noise)
// refuse a large share of a marked latent's true edges. A comparison
// applies its probe's tolerances (tolerances in compare.go); gallery
// entries and their edge tables are the same for both kinds of probe.
//
// Measured with `go run ./benchmarks calibrate --latent` on FVC2002 DB1-4
// (marked crops against other impressions of their finger, FNMR at FMR
// 1e-3 by size class ≤8, 9-11, 12-15, 16-30 minutiae, each setting
// against its own impostors), starting from the image tolerances: 92.0,
// 79.4, 67.1, 53.7%. Angle 20°: 92.2, 77.7, 64.5, 48.4; 25°: 92.6, 78.5,
// 64.6, 45.8; 20° and drift 35°: 91.6, 76.2, 61.8, 46.4; 25° and drift
// 45°: 92.2, 76.6, 60.7, 41.9; 25°, drift 35° and the edge rotation
// (markedEdgeDrift 12°): 91.0, 74.3, 59.9, 43.4; and the alignment check
// (markedAlign 10 px + 5%), the settings kept: 90.1, 73.5, 58.3, 44.4
// (at 1e-4: 95.7, 83.4, 70.7, 56.5, against 96.7, 88.6, 77.7, 63.3); at 15
// px + 7%: 90.6, 74.3, 59.6, 43.2. More roots (25) or more root neighbours
// on the probe's side (8, 9) gained nothing; smoothing the marked
// directions with their neighbours' lost. What remains is mostly the
// marking's missed and spurious minutiae, which no tolerance recovers: on
// 12 crops a print of DB1 and DB3 against every other print of the set
// (pooled sizes), FNMR at FMR 1e-3 is 79% marked with these settings
// (84% with the image tolerances), 67% without the missed minutiae, 70%
// without the spurious ones, 77% without the direction jitter, 75%
// without the position jitter, and 56% for the crops unmarked.
const (
	// markedAngleTolerance is angleTolerance for a marked probe, in root
	// finding (which then looks in the neighbouring cells of the edge
	// table, see findRootsWide) and in growth.
	markedAngleTolerance = 25 * math.Pi / 180
	// markedRotationDrift is maxRotationDrift for a marked probe, measured
	// from the rotation the edges give (see markedEdgeDrift).
	markedRotationDrift = 35 * math.Pi / 180
	// markedEdgeDrift: a marked probe's pairing takes its rotation from
	// the directions of the root's matching edges, which depend on the
	// minutiae's positions only, rather than from the root's minutia
	// directions (see edgeRotation); an edge that proposes a new pair must
	// turn by that rotation within markedEdgeDrift.
	markedEdgeDrift = 12 * math.Pi / 180
	// markedAlign and markedAlignRel: a marked probe's new pair must lie
	// where the pairing's rotation about the root puts it, within
	// markedAlign pixels plus markedAlignRel of its distance from the root
	// (see aligned): positions are what an examiner marks best.
	markedAlign    = 10
	markedAlignRel = 0.05
	// markedIndexAngleTol is indexAngleTol for a marked probe: the first
	// stage's votes need the wider angle too. Measured with `go run
	// ./benchmarks latent --gallery 20000 --unsolved 0 DB1_B DB2_B DB3_B`
	// (the settings above; marked rank-1, 10, 100): π/18 (the image
	// probe's) 44.3, 50.5, 57.6%; π/12 45.2, 52.9, 62.9%.
	markedIndexAngleTol = math.Pi / 12
)

// minSupport is how many matched edges a pair needs to count as supported
// in the score's paired fraction.
const minSupport = 1

// rootDistanceTolerance and rootDistanceToleranceRel bound how much a new
// pair's distance to the root pair may differ between the two templates
// (absolute pixels plus a fraction of the distance): a pairing grows
// through local edges, and this keeps it from drifting away from a
// globally consistent shape while still allowing for skin distortion.
const (
	rootDistanceTolerance    = 15
	rootDistanceToleranceRel = 0.07
)

// rootNeighbors is how many of each minutia's nearest-neighbour edges go
// into root finding (the edge table and the probe's lookups); growth uses
// all maxNeighbors.
const rootNeighbors = 6

// The best pairing's score is finally multiplied by 1 - consistencyWeight +
// consistencyWeight × c, where c is the fraction of all pairs of its pairs
// whose distances agree between the templates within consistencyTolerance
// times the edge length tolerance. A pairing grows through local edges and
// can bend; a genuine one bends only as far as skin stretches. Measured on
// FVC2002 DB1-DB4 with our extractor (full protocol, mean of the four sets,
// weight 1 against 0): EER 2.68 against 2.77 %, FNMR at FMR 0.1% 5.89
// against 6.34 %, at FMR 0 7.68 against 7.86 %; DB3 alone is slightly worse
// at FMR 0.1% (10.36 against 10.00, one genuine pair).
const (
	consistencyTolerance = 1.5
	consistencyWeight    = 1.0
)

// First stage of a search (index.go): the cheap score every gallery entry
// gets before the shortlist is compared precisely.
const (
	// indexNeighbors is how many nearest-neighbour edges of each minutia a
	// gallery entry keeps for the first stage (4 bytes each); measured, 4
	// or 5 rank mates clearly worse.
	indexNeighbors = 6
	// indexMinEdge is the shortest edge the first stage votes with: short
	// edges have unstable angles and look alike in every print.
	indexMinEdge = 20
	// indexProbeNeighbors is how many nearest-neighbour edges of each
	// probe minutia go into the probe's index table.
	indexProbeNeighbors = rootNeighbors
	// indexAngleTol and indexLengthTol are the first stage's tolerances of
	// an edge's shape: tighter than the precise matcher's, because a
	// looser match adds chance votes faster than it finds the mate's
	// (measured: π/12 and lengthTol lose several times more mates).
	indexAngleTol = math.Pi / 18
	// indexRotationBin (256ths of a turn) and indexShiftBin (pixels) are
	// the sizes of the first stage's cells of rotation and translation.
	indexRotationBin = 16
	indexShiftBin    = 24
	// indexGrids is how many grids of those cells, each offset from the
	// last, the votes go to (see score).
	indexGrids = 2
	// indexNormPower: a first-stage vote count is divided by the entry's
	// number of index edges to this power (see indexNorm).
	indexNormPower = 0.375
)

// indexLengthTol is the first stage's tolerance of an edge's length (see
// indexAngleTol).
func indexLengthTol(l float32) float32 { return 4 + 0.03*l }
