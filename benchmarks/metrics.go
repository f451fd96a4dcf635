package main

import (
	"math"
	"slices"
)

// Error rates of a score-based decision. A comparison is a match when its
// score is at least the threshold t:
//
//	FMR(t)  = impostor scores ≥ t / impostor comparisons
//	FNMR(t) = genuine scores < t / genuine comparisons
//
// All rates here are fractions in [0, 1]; the report prints percent.

// ratePoint is the (FMR, FNMR) operating point of one threshold.
type ratePoint struct {
	threshold float64
	fmr, fnmr float64
}

// operatingPoints returns the operating points of every threshold that
// changes either rate (each distinct score), lowest threshold first, and a
// final point above every score (FMR 0, FNMR 1). Below the lowest score
// FMR is 1 and FNMR 0.
func operatingPoints(genuine, impostor []float64) []ratePoint {
	g := slices.Clone(genuine)
	im := slices.Clone(impostor)
	slices.Sort(g)
	slices.Sort(im)
	all := append(slices.Clone(g), im...)
	slices.Sort(all)
	all = slices.Compact(all)
	pts := make([]ratePoint, 0, len(all)+1)
	for _, t := range all {
		pts = append(pts, pointAt(g, im, t))
	}
	pts = append(pts, pointAt(g, im, math.Inf(1)))
	return pts
}

func pointAt(sortedGen, sortedImp []float64, t float64) ratePoint {
	p := ratePoint{threshold: t}
	if n := len(sortedGen); n > 0 {
		below, _ := slices.BinarySearch(sortedGen, t) // scores < t
		p.fnmr = float64(below) / float64(n)
	}
	if n := len(sortedImp); n > 0 {
		below, _ := slices.BinarySearch(sortedImp, t)
		p.fmr = float64(n-below) / float64(n)
	}
	if math.IsInf(t, 1) {
		p.fmr, p.fnmr = 0, 1
		if len(sortedGen) == 0 {
			p.fnmr = 0
		}
	}
	return p
}

// EER returns the equal error rate: the rate where FMR and FNMR cross.
//
// Method: FMR falls and FNMR rises as the threshold goes up, in steps at
// each distinct score. Walking the operating points from the lowest
// threshold (FMR 1, FNMR 0 before the first) to the highest (FMR 0, FNMR
// 1), the first point where FNMR ≥ FMR and the point before it bracket the
// crossing. If they meet exactly, that is the EER; otherwise the EER is
// where the straight segment joining the two points, in the (FMR, FNMR)
// plane, meets the line FMR = FNMR. This is the intersection of the
// piecewise-linear ROC curve with the diagonal; it lies between FVC's
// EER_low and EER_high and needs no choice among tied thresholds.
func EER(genuine, impostor []float64) float64 {
	if len(genuine) == 0 || len(impostor) == 0 {
		return math.NaN()
	}
	prev := ratePoint{threshold: math.Inf(-1), fmr: 1, fnmr: 0}
	for _, p := range operatingPoints(genuine, impostor) {
		if p.fnmr >= p.fmr {
			return crossing(prev, p)
		}
		prev = p
	}
	return math.NaN() // unreachable: the last point has FNMR 1, FMR 0
}

// crossing returns the rate where the segment from a (FNMR < FMR) to b
// (FNMR ≥ FMR) meets FMR = FNMR.
func crossing(a, b ratePoint) float64 {
	da := a.fmr - a.fnmr // > 0
	db := b.fmr - b.fnmr // ≤ 0
	if db == 0 {
		return b.fmr
	}
	lambda := da / (da - db)
	return a.fmr + lambda*(b.fmr-a.fmr)
}

// FNMRAtFMR returns the lowest FNMR over the thresholds whose FMR is at
// most maxFMR: FMR100 is FNMRAtFMR(g, i, 0.01), FMR1000 FNMRAtFMR(g, i,
// 0.001) and ZeroFMR FNMRAtFMR(g, i, 0). With n impostor comparisons, an
// FMR below 1/n cannot be told from 0: FMR1000 needs n ≥ 1000 to mean what
// it says.
func FNMRAtFMR(genuine, impostor []float64, maxFMR float64) float64 {
	if len(genuine) == 0 {
		return math.NaN()
	}
	best := 1.0
	for _, p := range operatingPoints(genuine, impostor) {
		if p.fmr <= maxFMR && p.fnmr < best {
			best = p.fnmr
		}
	}
	return best
}
