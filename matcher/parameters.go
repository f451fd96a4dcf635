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
//	scoreEdge·(matched edges) + scorePair·n + scoreType·(pairs of the same kind)
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

// maxRotationDrift is how far the direction difference of a new pair may
// stray from the root pair's: it keeps a pairing, grown through local
// edges, from drifting into a different rotation.
const maxRotationDrift = math.Pi / 7

// Tolerances of a hand-marked latent probe (impression
// minutiae.LatentTracing): an examiner places a minutia a few pixels off and
// reads its direction by eye, to about 10° (the latent suite's
// simulateMarking models it: 2.5 px and 10° standard deviation), where our
// extractor's directions on the exemplar vary by a few degrees. An edge's
// relative angle then varies by about 11° on the marked side alone, and
// the image probe's tolerances (angleTolerance, maxRotationDrift, tuned
// for extractor noise) refuse a large share of the marked latent's true
// edges. The comparison applies the probe's tolerances (see tolerances in
// compare.go); gallery entries and their edge tables are the same for
// both.
const (
	// markedAngleTolerance is angleTolerance for a marked probe, in root
	// finding (looking in the neighbouring cells of the edge table, see
	// findRootsWide) and in growth.
	markedAngleTolerance = math.Pi / 12
	// markedRotationDrift is maxRotationDrift for a marked probe.
	markedRotationDrift = math.Pi / 7
	// markedIndexAngleTol is indexAngleTol for a marked probe.
	markedIndexAngleTol = math.Pi / 18
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
