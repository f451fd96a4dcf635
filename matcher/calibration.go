package matcher

import (
	"math"
	"slices"

	"github.com/whorlafis/whorl/minutiae"
)

// calibrationPoint is one point of the score → FMR table: the fraction of
// impostor comparisons that scored at least Score.
type calibrationPoint struct {
	Score float64
	FMR   float64
}

// calibration is a score → FMR table, scores ascending, FMRs descending.
type calibration []calibrationPoint

// FMR returns the estimated false match rate of a score: the fraction of
// impostor comparisons (pairs of different fingers) expected to score at
// least as high. It reads the table in calibration_table.go, measured by
// `go run ./benchmarks calibrate` on impostor pairs, interpolating
// log(FMR) linearly between its points. Below the first point it returns
// 1; above the highest impostor score measured it returns the table's
// floor, one over the number of impostor comparisons, which is then an
// upper bound rather than an estimate (see calibrationImpostors).
//
// The table holds for probes the size of a full plain impression. A latent
// has fewer minutiae, and so fewer chances to pair with an impostor's: its
// scores are read with LatentFMR.
func FMR(score float64) float64 { return calibration(calibrationTable).fmr(score) }

// ThresholdAtFMR returns the lowest score whose estimated FMR is at most
// fmr, so that deciding "match" at Score ≥ threshold has that FMR. ok is
// false when fmr is below what the calibration measured (one over the
// number of impostor comparisons): the threshold returned is then the
// highest point of the table, whose FMR is only known to be at most the
// table's floor.
func ThresholdAtFMR(fmr float64) (threshold float64, ok bool) {
	return calibration(calibrationTable).threshold(fmr)
}

// LatentFMR is FMR for a latent-sized probe of probeMinutiae minutiae (a
// quarter to two fifths of a print): the table of the probe's size class,
// measured by `go run ./benchmarks calibrate --latent` on impostor pairs
// of cropped prints (calibration_latent_table.go). Probes larger than the
// largest class are read with the full-print table.
func LatentFMR(score float64, probeMinutiae int) float64 {
	return latentCalibrationFor(probeMinutiae).fmr(score)
}

// LatentThresholdAtFMR is ThresholdAtFMR for a latent-sized probe of
// probeMinutiae minutiae.
func LatentThresholdAtFMR(fmr float64, probeMinutiae int) (threshold float64, ok bool) {
	return latentCalibrationFor(probeMinutiae).threshold(fmr)
}

// MarkedLatentFMR is LatentFMR for a latent whose minutiae an examiner
// marked by hand (impression minutiae.LatentTracing). Such a probe is
// compared with wider tolerances (see markedAngleTolerance), which let
// impostors pair more minutiae too, so its scores have their own tables,
// measured by `go run ./benchmarks calibrate --latent` on crops of the
// prints given the latent suite's marking noise
// (calibration_marked_table.go).
func MarkedLatentFMR(score float64, probeMinutiae int) float64 {
	return markedCalibrationFor(probeMinutiae).fmr(score)
}

// MarkedLatentThresholdAtFMR is ThresholdAtFMR for a marked latent of
// probeMinutiae minutiae.
func MarkedLatentThresholdAtFMR(fmr float64, probeMinutiae int) (threshold float64, ok bool) {
	return markedCalibrationFor(probeMinutiae).threshold(fmr)
}

// ProbeFMR is the FMR of a score of a comparison with probe as the probe,
// read with the calibration its impression calls for: MarkedLatentFMR for
// a hand-marked latent (LatentTracing), LatentFMR for any other latent,
// FMR for a print.
func ProbeFMR(score float64, probe minutiae.Template) float64 {
	switch {
	case probe.Impression == minutiae.LatentTracing:
		return MarkedLatentFMR(score, len(probe.Minutiae))
	case probe.Impression.IsLatent():
		return LatentFMR(score, len(probe.Minutiae))
	}
	return FMR(score)
}

// latentFMR is ProbeFMR for a prepared latent probe.
func (p *Prepared) latentFMR(score float64) float64 {
	if p.marked {
		return MarkedLatentFMR(score, len(p.points))
	}
	return LatentFMR(score, len(p.points))
}

// LatentFMRResolution is the smallest FMR that every latent size class,
// of image and of marked latents, states from measurement: one over the
// impostor comparisons of the class measured on the fewest. Below it a
// class's FMRs are only bounds, so a threshold below it is never met by
// latents of that class.
func LatentFMRResolution() float64 {
	r := 0.0
	for _, c := range slices.Concat(latentCalibration, markedCalibration) {
		r = max(r, 1/float64(c.impostors))
	}
	return r
}

// latentClass is the calibration of latent-sized probes of at most
// maxMinutiae minutiae (and more than the class before).
type latentClass struct {
	maxMinutiae int
	impostors   int // comparisons measured; FMRs below 1/impostors are bounds
	table       calibration
}

func latentCalibrationFor(probeMinutiae int) calibration {
	return classFor(latentCalibration, probeMinutiae)
}

func markedCalibrationFor(probeMinutiae int) calibration {
	return classFor(markedCalibration, probeMinutiae)
}

// classFor returns the table of the class of a probe's size, or the
// full-print table for a probe larger than every class.
func classFor(classes []latentClass, probeMinutiae int) calibration {
	for _, c := range classes {
		if probeMinutiae <= c.maxMinutiae {
			return c.table
		}
	}
	return calibrationTable
}

func (t calibration) fmr(score float64) float64 {
	if len(t) == 0 || score <= t[0].Score {
		return 1
	}
	for i := 1; i < len(t); i++ {
		if score <= t[i].Score {
			a, b := t[i-1], t[i]
			if b.Score == a.Score {
				return b.FMR
			}
			f := (score - a.Score) / (b.Score - a.Score)
			return math.Exp(math.Log(a.FMR) + f*(math.Log(b.FMR)-math.Log(a.FMR)))
		}
	}
	return t[len(t)-1].FMR
}

func (t calibration) threshold(fmr float64) (threshold float64, ok bool) {
	if len(t) == 0 {
		return math.Inf(1), false
	}
	if fmr >= t[0].FMR {
		return t[0].Score, true
	}
	for i := 1; i < len(t); i++ {
		a, b := t[i-1], t[i]
		if fmr >= b.FMR {
			if a.FMR == b.FMR || a.Score == b.Score {
				return b.Score, true
			}
			f := (math.Log(fmr) - math.Log(a.FMR)) / (math.Log(b.FMR) - math.Log(a.FMR))
			return a.Score + f*(b.Score-a.Score), true
		}
	}
	return t[len(t)-1].Score, false
}

// DecisionFMR is the false match rate at which Whorl decides "same finger"
// unless told otherwise.
const DecisionFMR = 1e-4

// DecisionThreshold is the score at DecisionFMR according to the
// calibration table: Score ≥ DecisionThreshold is a match. With the table
// measured on 11,520 impostor comparisons, FMR 1e-4 is at the limit of what
// it resolves (1/11,520 ≈ 8.7e-5): the threshold sits between the two
// highest impostor scores seen, and a larger impostor set is needed to
// state it with confidence.
var DecisionThreshold, _ = ThresholdAtFMR(DecisionFMR)
