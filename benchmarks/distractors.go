package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/whorlafis/whorl/minutiae"
)

// The 1:N search benchmark fills a gallery of a million fingers with a few
// real FVC fingers and synthetic distractors. A distractor is only worth
// having if the matcher finds it as hard to reject as a real impostor: the
// model below therefore reproduces what the matcher looks at, the local
// shapes of minutia pairs (distances, and directions relative to the edge
// between them), which follow from a smooth ridge orientation field with
// singular points, realistic spacing, density and print size.
//
// Tunable constants of the distractor model. Distances are in pixels at 500
// ppi, angles in radians.
const (
	// Pattern class frequencies (Henry classes in the general population);
	// arches take the remainder, split between plain and tented.
	loopShare       = 0.60
	whorlShare      = 0.30
	tentedArchShare = 0.05

	// coreOffsetSD is the spread of the core (or whorl centre) around the
	// centre of the print: plain impressions are centred on the core only
	// roughly. coreRaise moves it up from the print's centre as a fraction of
	// the print's half-height (the core sits above the middle of a fingertip).
	coreOffsetSD = 35.0
	coreRaise    = 0.1
	// loopDeltaMin and loopDeltaMax bound a loop's core-to-delta distance
	// (about 6 to 18 ridges); loopDeltaAngle is the greatest angle of the
	// delta from straight below the core.
	loopDeltaMin   = 60.0
	loopDeltaMax   = 180.0
	loopDeltaAngle = 1.0
	// whorlCoreMin and whorlCoreMax bound the distance between a whorl's two
	// cores; whorlDeltaX and whorlDeltaY place its deltas to either side,
	// below, each with relative jitter whorlDeltaJitter.
	whorlCoreMin     = 10.0
	whorlCoreMax     = 40.0
	whorlDeltaX      = 120.0
	whorlDeltaY      = 110.0
	whorlDeltaJitter = 0.3
	// A tented arch is a core with a delta close below it.
	tentedDeltaMin = 25.0
	tentedDeltaMax = 60.0
	// A plain arch has no singular point on the print: it is modelled as a
	// core-delta pair archSeparation apart, archDepth below the print's
	// centre (as a fraction of its half-height), which bends the ridges
	// above it into an arch.
	archSeparation = 40.0
	archDepth      = 1.2

	// fingerRotationSD is the spread of the finger's rotation on the sensor.
	fingerRotationSD = 0.25
	// The low-frequency perturbation of the orientation field (what the
	// zero-pole model cannot express: each finger's own ridge flow) is a sum
	// of perturbationWaves plane waves of wavelength between
	// perturbationMinWave and perturbationMaxWave and amplitude up to
	// perturbationAmplitude each.
	perturbationWaves     = 3
	perturbationMinWave   = 200.0
	perturbationMaxWave   = 500.0
	perturbationAmplitude = 0.4
	// The ridges of a fingertip follow its rounded outline above and to the
	// sides of the core, which the zero-pole model (horizontal far away)
	// misses: the field also turns by arcWeight × the angle seen from a point
	// arcDepth below the print's centre (as a fraction of its half-height),
	// as ridges concentric around that point would.
	arcWeightMin = 0.3
	arcWeightMax = 1.0
	arcDepth     = 1.5

	// Minutiae mostly point the way the ridges spread apart: ridges are
	// inserted (a bifurcation opens, a ridge begins) where the flow widens.
	// divergenceShare is the fraction that does.
	divergenceShare = 0.9
	// A minutia with another within facingDistance on its ridge line
	// (within facingAngle of it) points towards it with probability
	// facingShare, whatever the divergence says.
	facingDistance = 40.0
	facingAngle    = 0.3
	facingShare    = 0.8

	// countJitter is the relative spread of the minutia count around the
	// count of the real print whose profile is drawn, so that counts are not
	// restricted to the real ones.
	countJitter = 0.12
	// regionJitter is the relative spread of the print region's half-axes
	// and centre (as a fraction of the half-axes).
	regionJitter = 0.08
	// regionScale widens the ellipse fitted to the real minutiae's second
	// moments to the region they cover: for points uniform in an ellipse,
	// the half-axis is twice the standard deviation.
	regionScale = 2.0
	// spacingQuantile is the quantile of the real nearest-neighbour
	// distances used as the hard minimum spacing of synthetic minutiae.
	spacingQuantile = 0.02
	// placementTries bounds the darts thrown per minutia; a crowded region
	// gets fewer minutiae rather than an endless loop.
	placementTries = 30
	// A minutia's direction is the ridge orientation plus the extractor's
	// error, which is heavy-tailed: small (directionNoiseSD) for most
	// minutiae, any direction at all for directionOutlierShare of them
	// (spurious minutiae, directions traced over a crease). Fitted to the
	// orientation differences of neighbours 12–50 px apart in FVC2002 with
	// our extractor: 30 % within 0.1 rad and 9 % beyond 0.8 rad at 12–25 px
	// (these values: 29 % and 7 %; the former single Gaussian of SD 0.2: 23 %
	// and 3 %). Closer direction agreement makes distractors harder to
	// reject: p99 of impostor scores 0.82 → 0.85 of the real one.
	directionNoiseSD      = 0.12
	directionOutlierShare = 0.06
	// minProfileMinutiae: real templates with fewer minutiae (failed or
	// nearly failed extractions) say nothing about a print's extent.
	minProfileMinutiae = 5
)

// printProfile is the shape of one real print: its sensor, the ellipse its
// minutiae cover and how many it has. Distractors draw a whole profile, so
// that size, density and sensor stay consistent with one another.
type printProfile struct {
	width, height int
	cx, cy        float64 // centre of the minutiae's region
	rx, ry        float64 // its half-axes
	count         int
	quality       uint8
}

// distractorModel generates synthetic templates from aggregate statistics of
// real ones. It holds no real minutia.
type distractorModel struct {
	profiles []printProfile
	// minSpacing is the least distance between two synthetic minutiae.
	minSpacing float64
	// kindCDF[k] is the fraction of real minutiae of kind ≤ k.
	kindCDF [3]float64
	// qualityCDF[q] is the fraction of real minutiae of quality ≤ q.
	qualityCDF [101]float64
}

// fitDistractorModel learns only aggregate statistics from real templates:
// per print its sensor size, the extent of its minutiae as an ellipse,
// the count and overall quality; and over all prints the kind ratio, the
// quality distribution and the minimum spacing of minutiae. It never copies
// a real template's minutiae.
func fitDistractorModel(real []minutiae.Template) *distractorModel {
	m := &distractorModel{}
	var kinds [3]float64
	var qualities [101]float64
	var nearest []float64
	for _, t := range real {
		if len(t.Minutiae) < minProfileMinutiae {
			continue
		}
		var sx, sy, sxx, syy float64
		for i, a := range t.Minutiae {
			x, y := float64(a.X), float64(a.Y)
			sx, sy, sxx, syy = sx+x, sy+y, sxx+x*x, syy+y*y
			if a.Kind.Valid() {
				kinds[a.Kind]++
			}
			qualities[min(a.Quality, 100)]++
			best := math.Inf(1)
			for j, b := range t.Minutiae {
				if i != j {
					best = min(best, math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y)))
				}
			}
			nearest = append(nearest, best)
		}
		n := float64(len(t.Minutiae))
		cx, cy := sx/n, sy/n
		m.profiles = append(m.profiles, printProfile{
			width: t.Width, height: t.Height,
			cx: cx, cy: cy,
			rx:      regionScale * math.Sqrt(max(sxx/n-cx*cx, 1)),
			ry:      regionScale * math.Sqrt(max(syy/n-cy*cy, 1)),
			count:   len(t.Minutiae),
			quality: t.Quality,
		})
	}
	if len(m.profiles) == 0 {
		panic("fitDistractorModel: no real template with enough minutiae")
	}
	slices.Sort(nearest)
	m.minSpacing = nearest[int(spacingQuantile*float64(len(nearest)-1))]
	cumulative(kinds[:], m.kindCDF[:])
	cumulative(qualities[:], m.qualityCDF[:])
	return m
}

// cumulative writes the normalised running sum of counts to cdf.
func cumulative(counts, cdf []float64) {
	total := 0.0
	for _, c := range counts {
		total += c
	}
	run := 0.0
	for i, c := range counts {
		run += c
		cdf[i] = run / max(total, 1)
	}
	cdf[len(cdf)-1] = 1
}

// drawCDF returns the first index whose cumulative fraction reaches u.
func drawCDF(cdf []float64, u float64) int {
	i, _ := slices.BinarySearch(cdf, u)
	return min(i, len(cdf)-1)
}

// orientationField is a zero-pole (Sherlock–Monro) model: the ridge
// orientation at z is base + ½Σ arg(z−core) − ½Σ arg(z−delta) + a smooth
// perturbation. Angles are measured as templates measure them, counter-
// clockwise as the image is viewed (y down), hence the −y in every arg.
type orientationField struct {
	base          float64
	cores, deltas [2][2]float64 // x, y
	nCores        int
	nDeltas       int
	waves         [perturbationWaves]wave
	// arcX, arcY is the centre of the fingertip's outline arcs.
	arcX, arcY, arcWeight float64
}

// wave is one term amp·sin(kx·x + ky·y + phase) of a smooth random field.
type wave struct{ kx, ky, phase, amp float64 }

func randomWave(rng *rand.Rand, minLength, maxLength, maxAmp float64) wave {
	length := minLength + (maxLength-minLength)*rng.Float64()
	dir := 2 * math.Pi * rng.Float64()
	s, c := math.Sincos(dir)
	return wave{
		kx: 2 * math.Pi / length * c, ky: 2 * math.Pi / length * s,
		phase: 2 * math.Pi * rng.Float64(),
		amp:   maxAmp * rng.Float64(),
	}
}

// at returns the orientation at (x, y) and its gradient (du, dv) in the
// viewed frame (u = x, v = −y), where the angles live.
func (f *orientationField) at(x, y float64) (o, du, dv float64) {
	o = f.base
	// ∇arg(z−c) = (−Δv, Δu)/|Δ|², with Δv = c.y − y in the viewed frame.
	term := func(cx, cy, weight float64) {
		dx, dy := x-cx, cy-y
		o += weight * math.Atan2(dy, dx)
		r2 := max(dx*dx+dy*dy, 1)
		du -= weight * dy / r2
		dv += weight * dx / r2
	}
	for _, c := range f.cores[:f.nCores] {
		term(c[0], c[1], 0.5)
	}
	for _, d := range f.deltas[:f.nDeltas] {
		term(d[0], d[1], -0.5)
	}
	// Straight above the arc centre the angle is π/2: the arc's ridges are
	// horizontal there, as the zero-pole model's.
	term(f.arcX, f.arcY, f.arcWeight)
	o -= f.arcWeight * math.Pi / 2
	for _, w := range f.waves {
		s, c := math.Sincos(w.kx*x + w.ky*y + w.phase)
		o += w.amp * s
		du += w.amp * w.kx * c
		dv -= w.amp * w.ky * c
	}
	return o, du, dv
}

// direction returns a minutia direction along the orientation at (x, y):
// with probability divergenceShare the way in which the
// ridges spread apart, where new ridges begin, else the other way.
func (f *orientationField) direction(rng *rand.Rand, x, y float64) float64 {
	o, du, dv := f.at(x, y)
	// Ridges spread towards +t where the orientation turns counter-
	// clockwise on moving to the left of t, n = (−sin o, cos o).
	s, c := math.Sincos(o)
	if -s*du+c*dv < 0 {
		o += math.Pi
	}
	if rng.Float64() >= divergenceShare {
		o += math.Pi
	}
	return o
}

// newField draws a pattern class and places its singular points around the
// print centre (cx, cy) of half-height ry, rotated with the finger.
func newField(rng *rand.Rand, cx, cy, ry float64) orientationField {
	var f orientationField
	rot := fingerRotationSD * rng.NormFloat64()
	f.base = rot
	// Core position, before rotation, relative to the print centre.
	kx := coreOffsetSD * rng.NormFloat64()
	ky := -coreRaise*ry + coreOffsetSD*rng.NormFloat64()
	add := func(list *[2][2]float64, n *int, dx, dy float64) {
		s, c := math.Sincos(rot)
		// Rotating counter-clockwise as viewed, with y down.
		list[*n] = [2]float64{cx + c*dx + s*dy, cy - s*dx + c*dy}
		*n++
	}
	switch u := rng.Float64(); {
	case u < loopShare:
		side := 1.0
		if rng.IntN(2) == 0 {
			side = -1
		}
		d := loopDeltaMin + (loopDeltaMax-loopDeltaMin)*rng.Float64()
		a := loopDeltaAngle * rng.Float64()
		add(&f.cores, &f.nCores, kx, ky)
		add(&f.deltas, &f.nDeltas, kx+side*d*math.Sin(a), ky+d*math.Cos(a))
	case u < loopShare+whorlShare:
		d := whorlCoreMin + (whorlCoreMax-whorlCoreMin)*rng.Float64()
		a := math.Pi * rng.Float64()
		dx, dy := 0.5*d*math.Cos(a), 0.5*d*math.Sin(a)
		add(&f.cores, &f.nCores, kx+dx, ky+dy)
		add(&f.cores, &f.nCores, kx-dx, ky-dy)
		for _, side := range [2]float64{-1, 1} {
			jx := 1 + whorlDeltaJitter*rng.NormFloat64()
			jy := 1 + whorlDeltaJitter*rng.NormFloat64()
			add(&f.deltas, &f.nDeltas, kx+side*whorlDeltaX*jx, ky+whorlDeltaY*jy)
		}
	case u < loopShare+whorlShare+tentedArchShare:
		d := tentedDeltaMin + (tentedDeltaMax-tentedDeltaMin)*rng.Float64()
		add(&f.cores, &f.nCores, kx, ky)
		add(&f.deltas, &f.nDeltas, kx, ky+d)
	default:
		y := archDepth * ry
		add(&f.cores, &f.nCores, kx, y)
		add(&f.deltas, &f.nDeltas, kx, y+archSeparation)
	}
	for i := range f.waves {
		f.waves[i] = randomWave(rng, perturbationMinWave, perturbationMaxWave, perturbationAmplitude)
	}
	// The arc centre lies below the print, turned with the finger.
	s, c := math.Sincos(rot)
	f.arcX, f.arcY = cx+s*arcDepth*ry, cy+c*arcDepth*ry
	f.arcWeight = arcWeightMin + (arcWeightMax-arcWeightMin)*rng.Float64()
	return f
}

// Template returns one synthetic template. The result depends only on the
// state of rng.
func (m *distractorModel) Template(rng *rand.Rand) minutiae.Template {
	p := m.profiles[rng.IntN(len(m.profiles))]
	jitter := func(sd float64) float64 { return math.Exp(sd * rng.NormFloat64()) }
	rx, ry := p.rx*jitter(regionJitter), p.ry*jitter(regionJitter)
	cx := p.cx + regionJitter*p.rx*rng.NormFloat64()
	cy := p.cy + regionJitter*p.ry*rng.NormFloat64()
	n := min(max(int(math.Round(float64(p.count)*jitter(countJitter))), 2), minutiae.MaxMinutiae)
	field := newField(rng, cx, cy, ry)

	// The region is the ellipse clipped to the sensor.
	x0, x1 := max(cx-rx, 0), min(cx+rx, float64(p.width))
	y0, y1 := max(cy-ry, 0), min(cy+ry, float64(p.height))
	t := minutiae.Template{
		Width: p.width, Height: p.height,
		Impression: minutiae.LivePlain,
		Quality:    p.quality,
		Minutiae:   make([]minutiae.Minutia, 0, n),
	}
	spacing2 := m.minSpacing * m.minSpacing
	inside := func(x, y float64) bool {
		ex, ey := (x-cx)/rx, (y-cy)/ry
		return ex*ex+ey*ey <= 1 && x >= x0 && x <= x1 && y >= y0 && y <= y1 &&
			!tooClose(t.Minutiae, x, y, spacing2)
	}
	add := func(x, y, dir float64) {
		t.Minutiae = append(t.Minutiae, minutiae.Minutia{
			X: float32(x), Y: float32(y),
			Direction: minutiae.NormalizeAngle(noisyDirection(rng, dir)),
			Kind:      minutiae.Kind(drawCDF(m.kindCDF[:], rng.Float64())),
			Quality:   uint8(drawCDF(m.qualityCDF[:], rng.Float64())),
		})
	}
	for tries := 0; len(t.Minutiae) < n && tries < n*placementTries; tries++ {
		x := x0 + (x1-x0)*rng.Float64()
		y := y0 + (y1-y0)*rng.Float64()
		if !inside(x, y) {
			continue
		}
		dir := field.direction(rng, x, y)
		// Along a ridge, a close minutia is more often the other end of a
		// short ridge (the two facing each other) than across a gap (back to
		// back): extractors bridge small gaps and keep short ridges.
		if k := alongRidge(t.Minutiae, x, y, dir); k >= 0 && rng.Float64() < facingShare {
			o := t.Minutiae[k]
			if math.Cos(math.Atan2(y-float64(o.Y), float64(o.X)-x)-dir) < 0 {
				dir += math.Pi
			}
		}
		add(x, y, dir)
	}
	return t
}

// noisyDirection returns dir with the extractor's error.
func noisyDirection(rng *rand.Rand, dir float64) float64 {
	if rng.Float64() < directionOutlierShare {
		return 2 * math.Pi * rng.Float64()
	}
	return dir + directionNoiseSD*rng.NormFloat64()
}

// alongRidge returns the index of a minutia within facingDistance of (x, y)
// on the ridge line through it (within facingAngle of direction dir either
// way), or -1.
func alongRidge(ms []minutiae.Minutia, x, y, dir float64) int {
	s, c := math.Sincos(dir)
	for k, o := range ms {
		// Along and across the ridge, in the viewed frame (y up).
		dx, dy := float64(o.X)-x, y-float64(o.Y)
		along, across := dx*c+dy*s, dy*c-dx*s
		if along*along+across*across < facingDistance*facingDistance &&
			math.Abs(across) < math.Abs(along)*math.Tan(facingAngle) {
			return k
		}
	}
	return -1
}

func tooClose(ms []minutiae.Minutia, x, y, d2 float64) bool {
	for _, o := range ms {
		dx, dy := float64(o.X)-x, float64(o.Y)-y
		if dx*dx+dy*dy < d2 {
			return true
		}
	}
	return false
}

// realismPercentiles are the percentiles reported side by side.
var realismPercentiles = []float64{50, 90, 99, 99.9}

// scoreSummary describes one distribution of impostor scores.
type scoreSummary struct {
	Count       int
	Mean        float64
	AboveZero   float64   // fraction of scores above 0
	Percentiles []float64 // at realismPercentiles
	Max         float64
	sorted      []float64
}

// realismReport sets the scores of probes against real impostors beside
// their scores against synthetic distractors.
type realismReport struct {
	Real, Synthetic scoreSummary
	// RealCounts and SyntheticCounts are the templates' minutia counts.
	RealCounts, SyntheticCounts countSummary
}

// countSummary describes a distribution of minutia counts.
type countSummary struct {
	Mean     float64
	P10, P90 int
}

func summariseCounts(ts []minutiae.Template) countSummary {
	if len(ts) == 0 {
		return countSummary{}
	}
	counts := make([]int, len(ts))
	var c countSummary
	for i, t := range ts {
		counts[i] = len(t.Minutiae)
		c.Mean += float64(counts[i]) / float64(len(ts))
	}
	slices.Sort(counts)
	c.P10, c.P90 = counts[len(counts)/10], counts[len(counts)*9/10]
	return c
}

// distractorRealism scores every probe against every real template of a
// different finger (finger ids are unique across sets) and against every
// synthetic template.
func distractorRealism(score func(probe, candidate minutiae.Template) float64, probes []minutiae.Template, probeFinger []int, real []minutiae.Template, realFinger []int, synthetic []minutiae.Template) realismReport {
	same := func(t minutiae.Template) minutiae.Template { return t }
	return distractorRealismPrepared(same, score, probes, probeFinger, real, realFinger, synthetic)
}

// distractorRealismPrepared is distractorRealism for a matcher that prepares
// templates: each template is prepared once (synthetic ones in chunks, so
// memory stays bounded for large galleries), then compared many times.
func distractorRealismPrepared[P any](prepare func(minutiae.Template) P, score func(probe, candidate P) float64, probes []minutiae.Template, probeFinger []int, real []minutiae.Template, realFinger []int, synthetic []minutiae.Template) realismReport {
	prepared := parallelMap(probes, prepare)
	var realScores []float64
	{
		cands := parallelMap(real, prepare)
		// Every probe scores against every real template of another finger;
		// offsets say where each probe's scores go.
		offsets := make([]int, len(probes)+1)
		for i := range probes {
			k := 0
			for _, f := range realFinger {
				if f != probeFinger[i] {
					k++
				}
			}
			offsets[i+1] = offsets[i] + k
		}
		realScores = make([]float64, offsets[len(probes)])
		parallelFor(len(probes), func(i int) {
			k := offsets[i]
			for j, c := range cands {
				if realFinger[j] != probeFinger[i] {
					realScores[k] = score(prepared[i], c)
					k++
				}
			}
		})
	}
	synthScores := make([]float64, 0, len(probes)*len(synthetic))
	const chunk = 4096
	for start := 0; start < len(synthetic); start += chunk {
		cands := parallelMap(synthetic[start:min(start+chunk, len(synthetic))], prepare)
		out := make([]float64, len(probes)*len(cands))
		parallelFor(len(probes), func(i int) {
			for j, c := range cands {
				out[i*len(cands)+j] = score(prepared[i], c)
			}
		})
		synthScores = append(synthScores, out...)
	}
	return realismReport{
		Real: summarise(realScores), Synthetic: summarise(synthScores),
		RealCounts: summariseCounts(real), SyntheticCounts: summariseCounts(synthetic),
	}
}

// parallelFor calls f(0) … f(n-1) spread over GOMAXPROCS goroutines.
func parallelFor(n int, f func(i int)) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

func parallelMap[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	parallelFor(len(in), func(i int) { out[i] = f(in[i]) })
	return out
}

func summarise(scores []float64) scoreSummary {
	slices.Sort(scores)
	s := scoreSummary{Count: len(scores), sorted: scores}
	above := 0
	for _, v := range scores {
		s.Mean += v
		if v > 0 {
			above++
		}
	}
	if len(scores) > 0 {
		s.Mean /= float64(len(scores))
		s.AboveZero = float64(above) / float64(len(scores))
		s.Max = scores[len(scores)-1]
	}
	for _, p := range realismPercentiles {
		s.Percentiles = append(s.Percentiles, s.percentile(p))
	}
	return s
}

// percentile interpolates linearly between the order statistics.
func (s scoreSummary) percentile(p float64) float64 {
	if len(s.sorted) == 0 {
		return 0
	}
	r := p / 100 * float64(len(s.sorted)-1)
	i := int(r)
	if i+1 >= len(s.sorted) {
		return s.sorted[len(s.sorted)-1]
	}
	return s.sorted[i] + (r-float64(i))*(s.sorted[i+1]-s.sorted[i])
}

// print writes the two distributions side by side. The maximum of a sample
// grows with its size, so the synthetic distribution's value at the rank of
// the real maximum is given too: that is the figure to compare with the
// real maximum.
func (r realismReport) print(w io.Writer) {
	fmt.Fprintf(w, "%-22s %12s %12s %7s\n", "impostor scores", "real", "synthetic", "ratio")
	row := func(name string, a, b float64) {
		ratio := "-"
		if a != 0 {
			ratio = fmt.Sprintf("%.2f", b/a)
		}
		fmt.Fprintf(w, "%-22s %12.3f %12.3f %7s\n", name, a, b, ratio)
	}
	fmt.Fprintf(w, "%-22s %12d %12d\n", "comparisons", r.Real.Count, r.Synthetic.Count)
	row("mean", r.Real.Mean, r.Synthetic.Mean)
	row("fraction above 0", r.Real.AboveZero, r.Synthetic.AboveZero)
	for i, p := range realismPercentiles {
		row(fmt.Sprintf("p%g", p), r.Real.Percentiles[i], r.Synthetic.Percentiles[i])
	}
	if n := r.Real.Count; n > 0 {
		atRank := 100 * float64(n) / float64(n+1)
		row(fmt.Sprintf("max (synthetic p%.3f)", atRank), r.Real.Max, r.Synthetic.percentile(atRank))
	}
	row("max", r.Real.Max, r.Synthetic.Max)
	row("minutiae: mean", r.RealCounts.Mean, r.SyntheticCounts.Mean)
	row("minutiae: p10", float64(r.RealCounts.P10), float64(r.SyntheticCounts.P10))
	row("minutiae: p90", float64(r.RealCounts.P90), float64(r.SyntheticCounts.P90))
}
