package minutiae

// The tunable constants of the extraction pipeline (Extract). Every length
// is in pixels at 500 ppi, every angle in radians. Most values were set on
// FVC2002 set B by eye and by agreement with the SecuGen templates of all
// four sets (TestExtractAgreesWithOtherExtractors), where they sit on a
// plateau (±0.3 points when halved or doubled); freqMinAmplitude,
// islandMaxLength and minMinutiaQuality were then set by matching accuracy
// (go run ./benchmarks accuracy), as their comments say. Any change must be
// measured on all four sets (see ../shared/data/README.md).

// Blocks.
const (
	// blockSize is the side of the square blocks in which the orientation,
	// the mask, the ridge frequency and the quality are computed (about one
	// ridge period).
	blockSize = 8
)

// Segmentation mask (stage_mask.go).
const (
	// maskWindowBlocks is the radius, in blocks, of the window over which a
	// block's grey-level contrast is measured (1: 3 × 3 blocks, 24 pixels).
	maskWindowBlocks = 1
	// maskMinStdDev is the smallest grey-level standard deviation (0–255
	// scale) of a foreground block, whatever the rest of the image.
	maskMinStdDev = 3.0
	// maskRelStdDev is the smallest standard deviation of a foreground
	// block relative to the image's high (maskStdPercentile) block standard
	// deviation: it adapts the threshold to dry, wet and low-contrast prints.
	maskRelStdDev = 0.30
	// maskStdPercentile is the percentile of block standard deviations used
	// as the image's "good contrast" reference for maskRelStdDev.
	maskStdPercentile = 0.90
	// maskOtsuShare scales the Otsu threshold between the low (background)
	// and high (print) block standard deviations; the share of it a
	// foreground block must reach cuts textured sensor backgrounds (the
	// column stripes and blotches of capacitive sensors).
	maskOtsuShare = 0.7
	// maskMinCoherence is the smallest orientation coherence (0–1) of a
	// foreground block; blocks with clear contrast but no ridge flow
	// (smudges, text, the sensor's edge) fall below it.
	maskMinCoherence = 0.12
	// maskSmoothPasses is the number of 3 × 3 majority-vote passes that
	// smooth the block mask before the largest region is kept.
	maskSmoothPasses = 2
	// maskKeepRatio keeps, besides the largest foreground region, every
	// region at least this share of its size (a print split by a crease).
	maskKeepRatio = 0.25
)

// Orientation field (stage_orientation.go).
const (
	// orientWindowBlocks is the radius, in blocks, of the window whose
	// gradient moments give a block's raw orientation (1: 24 × 24 pixels).
	orientWindowBlocks = 1
	// orientSmoothSigma is the standard deviation, in blocks, of the
	// Gaussian that smooths the doubled-angle vector field.
	orientSmoothSigma = 1.5
	// orientSmoothRadius is the radius, in blocks, of that Gaussian.
	orientSmoothRadius = 3
)

// Ridge frequency (stage_frequency.go), after Hong, Wan and Jain (1998).
const (
	// freqSignatureLength is the length l, across the ridges, of the
	// oriented window whose x-signature gives a block's ridge period.
	freqSignatureLength = 32
	// freqSignatureWidth is the width w, along the ridges, over which each
	// x-signature sample is averaged.
	freqSignatureWidth = 16
	// periodMin and periodMax bound a plausible ridge period (inter-ridge
	// distance) at 500 ppi; measured periods outside are invalid.
	periodMin = 4.0
	periodMax = 16.0
	// periodDefault is used when no block of the print yields a valid
	// period (about 9 pixels at 500 ppi for adult fingers).
	periodDefault = 9.0
	// freqMinAmplitude is the smallest peak-to-valley amplitude of an
	// x-signature, in normalised grey units, for its period to be believed.
	// It is low (it was 0.25) so that the low-contrast prints of capacitive
	// sensors (DB3) keep their measured periods instead of filled ones; the
	// peak-spacing and periodMin/periodMax checks still reject noise.
	// Accuracy is flat from 0.05 to 0.15.
	freqMinAmplitude = 0.10
	// freqFillPasses bounds the passes that fill invalid blocks from their
	// valid neighbours.
	freqFillPasses = 16
	// freqSmoothRadius is the radius, in blocks, of the box filter that
	// smooths the period field after filling.
	freqSmoothRadius = 2
)

// Enhancement (stage_enhance.go): an oriented, separable Gabor filter, a
// Gaussian along the ridges followed by an even Gabor profile across them.
const (
	// enhanceAngleBins is the number of orientations the filters are
	// precomputed for (over π).
	enhanceAngleBins = 32
	// enhancePeriodStep is the step, in pixels, between the ridge periods
	// the across-ridge profiles are precomputed for.
	enhancePeriodStep = 0.5
	// enhanceAlongSigma is the standard deviation of the Gaussian that
	// smooths along the ridges (it bridges small breaks and pores).
	enhanceAlongSigma = 4.0
	// enhanceAlongRadius is its radius in pixels.
	enhanceAlongRadius = 8
	// enhanceAcrossSigmaRatio is the standard deviation of the
	// across-ridge Gabor envelope as a share of the local ridge period.
	enhanceAcrossSigmaRatio = 0.50
	// enhanceAcrossMaxRadius caps the across-ridge profile's radius.
	enhanceAcrossMaxRadius = 9
)

// Minutia detection (stage_detect.go).
const (
	// directionTraceLength is how far, in skeleton steps, a ridge is
	// followed from a minutia to measure its direction.
	directionTraceLength = 10
	// directionTraceMin is the shortest traced ridge whose end still gives
	// a direction; shorter traces fall back to the orientation field.
	directionTraceMin = 4
	// walkMaxLength is how far ridges are followed from a minutia to find
	// spurs, islands and bridges: at least the longest of spurMaxLength,
	// islandMaxLength and bridgeMaxLength. It is also the largest hole (two
	// branches of a bifurcation that meet again) that is removed.
	walkMaxLength = 20
)

// False-minutia removal (stage_filter.go).
const (
	// borderMargin is the least distance from a kept minutia to the edge
	// of the mask or of the image: ridges are cut there, not ended.
	borderMargin = 16
	// spurMaxLength: an ending whose ridge meets a bifurcation within this
	// many steps is a spur (a hair on the skeleton). Thinning prunes such
	// branches from the skeleton (stage_thin.go); the filter removes any
	// left, with their bifurcation.
	spurMaxLength = 10
	// islandMaxLength: two endings joined by a ridge this short are an
	// island or a dot (noise); both go. It is under one ridge period (it
	// was 18): longer fragments are mostly real short ridges, which the
	// small, broken prints of capacitive sensors (DB3) need. EER is flat
	// from 4 to 12.
	islandMaxLength = 8
	// bridgeMaxLength: two bifurcations joined by a ridge this short are a
	// bridge between two ridges or the two sides of a hole; both go. (Two
	// branches of one bifurcation that meet again within walkMaxLength
	// are a hole whatever their length.)
	bridgeMaxLength = 10
	// breakMaxDistance: two endings closer than this, facing each other
	// along the ridge flow, are one broken ridge; both go.
	breakMaxDistance = 16.0
	// breakMaxAngle is the largest difference from exactly opposite
	// directions for a break, and the largest angle between an ending's
	// backward direction and the line to the other ending.
	breakMaxAngle = 0.8 // about 45°
	// clusterRadius and clusterMaxOthers: a minutia with more than
	// clusterMaxOthers others within clusterRadius lies in a noisy cluster;
	// all of them go.
	clusterRadius    = 10.0
	clusterMaxOthers = 2
	// minDistance: two minutiae closer than this go together (holes, tiny
	// loops).
	minDistance = 5.0
)

// Quality (stage_quality.go).
const (
	// qualityGoodStdDev is the block grey-level standard deviation (0–255)
	// above which contrast counts as fully good.
	qualityGoodStdDev = 30.0
	// qualityGoodCoherence is the orientation coherence above which ridge
	// flow counts as fully clear.
	qualityGoodCoherence = 0.6
	// qualityBorderRange is the distance from the mask's edge within which
	// a minutia's quality is scaled down (to half at borderMargin).
	qualityBorderRange = 40
	// qualityMinArea is the mask area, in pixels, below which the print's
	// quality is scaled down in proportion (too little to match on).
	qualityMinArea = 150 * 150
	// minMinutiaQuality is the lowest minutia quality (1–100) Extract
	// keeps. Dropping the weakest (low contrast or incoherent flow, often
	// near the edge) lowers FNMR at FMR 0.1% on DB3 (11.8 → 10.4 %) and
	// leaves EER unchanged; from 35 up DB4 starts to lose.
	minMinutiaQuality = 30
)

// Latents (Extract with an impression that IsLatent). A latent is a small
// part of a finger, faint on a textured surface, whose ridges fade out at
// its edge instead of stopping at a sensor's; much of it is near that edge.
// Measured on the latent suite's simulated latents (210, from FVC2002
// DB1-3 impressions 2-8, seed 1) with `go run ./benchmarks latentminutiae
// DB1_B DB2_B DB3_B`, against the minutiae the full-print path finds on the
// source impression inside each latent's region (2,707; half of them
// within 20 px of the region's edge). With the full-print constants: mask
// 98 % of the region, recall 54.7 %, precision 86.3 %, median 8 minutiae a
// latent, 9 with fewer than 2; of the reference minutiae lost, 436 went to
// the border filter, 377 to the other filters, 242 were not detected and
// 49 were outside the mask. With these: recall 65.1 %, precision 78.3 %,
// median 10, 2 with fewer than 2. Changing the other filters' lengths, the
// orientation smoothing, the along-ridge smoothing or trimming the mask to
// the enhanced ridges' energy did not help the search (each within a latent
// or two, or worse).
const (
	// latentBorderMargin replaces borderMargin: the endings that the mask's
	// edge cuts are caught by latentFadedRange instead, so this small a
	// margin keeps the minutiae of the deposit's rim. Margins of 0, 4 and
	// 8 px: recall 65.4, 65.1, 63.7 %, precision 72.6, 78.3, 81.6 %, the
	// search proxy (latentminutiae) 48.6, 48.6, 50.0 % (one latent is
	// 0.5 %); the full-print 16 px gave 41.0 %.
	latentBorderMargin = 4
	// latentFadedRange: an ending whose ridge, continued past it, leaves
	// the mask within this many pixels is where the print fades out
	// (fadedEnding). Off (0), 8, 16 and 24 px: recall 66.4, 66.2, 65.1,
	// 63.2 %, precision 73.7, 76.3, 78.3, 79.2 %, search proxy 47.6, 48.6,
	// 48.6, 47.1 %.
	latentFadedRange = 16
	// latentQualityBorderRange replaces qualityBorderRange: a latent
	// minutia's quality falls to half from here to latentBorderMargin.
	latentQualityBorderRange = 24
	// latentMinMinutiaQuality replaces minMinutiaQuality: 1 drops none (a
	// quality is at least 1). A latent's contrast is low everywhere, so
	// the full-print floor of 30 mostly drops true minutiae: recall 62.9
	// against 65.1 %, precision 83.0 against 78.3 %, the search proxy the
	// same; the matcher does not weigh minutiae by quality.
	latentMinMinutiaQuality = 1
)

// tuning holds the constants that differ between full prints and latents;
// Extract picks fullPrintTuning or, for an impression that IsLatent,
// latentTuning.
type tuning struct {
	// borderMargin: see the constant of that name.
	borderMargin int
	// fadedRange, when not 0: see latentFadedRange.
	fadedRange int
	// qualityBorderRange, minQuality: see the constants qualityBorderRange
	// and minMinutiaQuality.
	qualityBorderRange int
	minQuality         int
}

// fullPrintTuning is the tuning of every impression but latents.
var fullPrintTuning = tuning{
	borderMargin:       borderMargin,
	qualityBorderRange: qualityBorderRange,
	minQuality:         minMinutiaQuality,
}

// latentTuning is the tuning of latent impressions.
var latentTuning = tuning{
	borderMargin:       latentBorderMargin,
	fadedRange:         latentFadedRange,
	qualityBorderRange: latentQualityBorderRange,
	minQuality:         latentMinMinutiaQuality,
}
