package main

import (
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/whorlafis/whorl/minutiae"
)

// The latent suite has no real latents: it makes them from the FVC
// impressions. A latent is a small, distorted, faint part of a finger left
// on a surface; an examiner then marks the minutiae they can see on it. The
// simulation below reproduces both: a latent image (a random part of an
// impression, distorted, blurred, noisy and faded into the surface), and a
// marking made from the minutiae our extractor found on the whole
// impression, moved with the same distortion, jittered, some missed and a
// few added, as an examiner's would be.
//
// Every constant of the simulation. Distances are pixels at 500 ppi (the
// images are rescaled to it when decoded), grey levels 0–255, angles
// radians.
const (
	// The latent's region covers between areaMin and areaMax of the print's
	// foreground: the part of a finger a surface typically holds.
	areaMin = 0.25
	areaMax = 0.40
	// The region is an ellipse of aspect ratio (minor/major half-axis)
	// between aspectMin and 1, turned at random, whose radius is perturbed
	// by the harmonics 2..blobHarmonics of the angle, each of relative
	// amplitude up to blobPerturbation: an irregular blob, not a clean
	// ellipse. It is scaled to the drawn area fraction.
	aspectMin        = 0.55
	blobHarmonics    = 4
	blobPerturbation = 0.12
	// The blob's centre lies in the inner part of the foreground: at
	// least centreDepth of the deepest foreground block's distance from
	// the background, so that the latent is ridges, not blank border.
	centreDepth = 0.5

	// The foreground is found from the image itself: blocks of fgBlock
	// pixels whose grey standard deviation is at least fgStdFraction of
	// the fgStdQuantile quantile of all blocks' (ridges vary; the blank
	// background of a sensor does not).
	fgBlock       = 16
	fgStdFraction = 0.35
	fgStdQuantile = 0.9

	// Elastic distortion: a smooth random displacement field, the sum of
	// distortionWaves plane waves per axis of wavelength between
	// distortionMinWave and distortionMaxWave, scaled so that its largest
	// displacement over the image is drawn between distortionMin and
	// distortionMax pixels. With those wavelengths the strain stays below
	// about 2π·distortionMax/distortionMinWave ≈ 0.2, and is mostly well
	// under 0.1: skin stretched and pushed on a surface, not torn.
	distortionWaves   = 3
	distortionMinWave = 300.0
	distortionMaxWave = 600.0
	distortionMin     = 3.0
	distortionMax     = 10.0

	// Gaussian blur of standard deviation between blurMin and blurMax: a
	// smudged deposit, or a photograph slightly out of focus.
	blurMin = 0.6
	blurMax = 1.6
	// Contrast loss: the print's grey deviations, normalised by their local
	// mean and standard deviation over localSigma (a few ridge periods),
	// are scaled to between contrastMin and contrastMax times
	// ridgeSD grey levels, around a background level raised to between
	// backgroundMin and backgroundMax.
	localSigma    = 8.0
	ridgeSD       = 40.0
	contrastMin   = 0.25
	contrastMax   = 0.5
	backgroundMin = 150.0
	backgroundMax = 200.0
	// Additive Gaussian noise of standard deviation between noiseMin and
	// noiseMax grey levels, over the whole image (the surface's texture).
	noiseMin = 4.0
	noiseMax = 10.0
	// The region's edge fades into the background over about 2·fadeSigma
	// pixels: the weight of the ridges is 2Φ(d/fadeSigma)−1 at depth d
	// inside the region (a blurred region mask).
	fadeSigma = 6.0

	// Marking: each exemplar minutia inside the region is missed with
	// probability markMiss, else marked with positional jitter of standard
	// deviation markJitter and direction jitter markDirJitter (10°);
	// between markSpuriousMin and markSpuriousMax spurious minutiae are
	// added at random places of the region.
	markMiss        = 0.2
	markJitter      = 2.5
	markDirJitter   = 10 * math.Pi / 180
	markSpuriousMin = 1
	markSpuriousMax = 3
	// markDirStep is the length of the step along a minutia's direction
	// that is distorted with it to find its direction on the latent.
	markDirStep = 4.0
	// inverseIterations solve p = q + d(q) for q by fixed-point iteration,
	// which converges since the field's strain is well below 1.
	inverseIterations = 8
)

// latentSim is one simulated latent of an impression.
type latentSim struct {
	// Image is the latent image, the size of the source impression, at
	// the source's resolution (500 ppi).
	Image *minutiae.Image
	// Region is true for the pixels (row by row) of the latent's region:
	// the part of the print the latent shows.
	Region []bool
	// AreaFraction is the region's share of the print's foreground.
	AreaFraction float64
	// dx, dy is the displacement field: latent pixel q shows the source
	// point q + d(q).
	dx, dy []float32
	width  int
	height int
}

// inRegion reports whether the point (x, y) of the latent lies in its
// region.
func (l *latentSim) inRegion(x, y float64) bool {
	i, j := int(math.Round(x)), int(math.Round(y))
	return i >= 0 && j >= 0 && i < l.width && j < l.height && l.Region[j*l.width+i]
}

// maxDisplacement is the largest displacement of the field.
func (l *latentSim) maxDisplacement() float64 {
	m := 0.0
	for i := range l.dx {
		m = max(m, math.Hypot(float64(l.dx[i]), float64(l.dy[i])))
	}
	return m
}

// latentSeed is the stream of random numbers of one impression: the same
// seed and impression give the same latent and marking, whatever the order
// in which impressions are simulated.
func latentSeed(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// simulateLatent makes a latent of the impression src (at 500 ppi) with
// the random numbers of rng; see the constants above for each step.
func simulateLatent(src *minutiae.Image, rng *rand.Rand) (*latentSim, error) {
	if src == nil || src.Gray == nil {
		return nil, errors.New("simulate latent: no image")
	}
	if src.PPI != minutiae.StandardPPI {
		return nil, fmt.Errorf("simulate latent: image at %g ppi, want %d", src.PPI, minutiae.StandardPPI)
	}
	w, h := src.Gray.Rect.Dx(), src.Gray.Rect.Dy()
	if w < 3*fgBlock || h < 3*fgBlock {
		return nil, fmt.Errorf("simulate latent: %d × %d image, smaller than %d × %d", w, h, 3*fgBlock, 3*fgBlock)
	}
	pix := make([]float32, w*h)
	for y := range h {
		for x := range w {
			pix[y*w+x] = float32(src.Gray.Pix[y*src.Gray.Stride+x])
		}
	}
	fg, depth := foreground(pix, w, h)
	l := &latentSim{width: w, height: h}
	l.dx, l.dy = displacementField(rng, w, h)

	// The foreground as the latent shows it (moved by the distortion) and
	// the warped source.
	fgOut := make([]bool, w*h)
	warped := make([]float32, w*h)
	fgArea := 0
	for y := range h {
		for x := range w {
			i := y*w + x
			sx, sy := float64(x)+float64(l.dx[i]), float64(y)+float64(l.dy[i])
			warped[i] = bilinear(pix, w, h, sx, sy)
			if fg.at(sx, sy) {
				fgOut[i] = true
				fgArea++
			}
		}
	}
	if fgArea == 0 {
		return nil, errors.New("simulate latent: no foreground in the image")
	}

	// The region: a blob centred in the inner foreground, scaled so that
	// its part of the foreground is the drawn fraction of it.
	cx, cy := fg.centre(rng, depth)
	b := newBlob(rng, cx, cy)
	target := areaMin + (areaMax-areaMin)*rng.Float64()
	// Each foreground pixel enters the blob at the scale of its ratio; the
	// region is the want pixels that enter first.
	ratio := make([]float64, w*h)
	var ratios []float64
	for y := range h {
		for x := range w {
			i := y*w + x
			if fgOut[i] {
				ratio[i] = b.ratio(float64(x), float64(y))
				ratios = append(ratios, ratio[i])
			}
		}
	}
	slices.Sort(ratios)
	want := max(1, int(math.Ceil(target*float64(fgArea))))
	scale := ratios[want-1]
	l.Region = make([]bool, w*h)
	n := 0
	for i, in := range fgOut {
		if in && ratio[i] <= scale {
			l.Region[i] = true
			n++
		}
	}
	l.AreaFraction = float64(n) / float64(fgArea)

	// Grey levels: the ridges, the print's local deviations from its
	// local mean over its local deviation (so that the sensor's uneven
	// background and pressure do not show), blurred, faded at the region's
	// edge, compressed around a raised background, plus noise.
	blurred := gaussianBlur(warped, w, h, blurMin+(blurMax-blurMin)*rng.Float64())
	localMean := gaussianBlur(blurred, w, h, localSigma)
	dev := make([]float32, w*h)
	for i, v := range blurred {
		dev[i] = (v - localMean[i]) * (v - localMean[i])
	}
	localSD := gaussianBlur(dev, w, h, localSigma)
	weight := make([]float32, w*h)
	for i, in := range l.Region {
		if in {
			weight[i] = 1
		}
	}
	weight = gaussianBlur(weight, w, h, fadeSigma)
	contrast := ridgeSD * (contrastMin + (contrastMax-contrastMin)*rng.Float64())
	background := backgroundMin + (backgroundMax-backgroundMin)*rng.Float64()
	noise := noiseMin + (noiseMax-noiseMin)*rng.Float64()
	out := image.NewGray(image.Rect(0, 0, w, h))
	for i := range out.Pix {
		v := background + noise*rng.NormFloat64()
		if l.Region[i] {
			fade := max(2*float64(weight[i])-1, 0)
			v += fade * contrast * float64(blurred[i]-localMean[i]) / (math.Sqrt(float64(localSD[i])) + 1)
		}
		out.Pix[i] = uint8(max(0, min(255, math.Round(v))))
	}
	l.Image = &minutiae.Image{Gray: out, PPI: src.PPI, SourcePPI: src.PPI, Format: "raw"}
	return l, nil
}

// simulateMarking marks the latent l as an examiner would, from the
// template our extractor made of the whole source impression: its minutiae
// that fall in the region, moved as the distortion moved the ridges, with
// jitter, some missed and a few spurious ones added. The finger's position
// is unknown, the impression a latent tracing (LatentTracing: marked by
// hand), as the server labels an examiner's minutiae, so that the matcher
// compares and calibrates it as a marked latent.
func simulateMarking(l *latentSim, exemplar minutiae.Template, rng *rand.Rand) minutiae.Template {
	t := minutiae.Template{
		Width: l.width, Height: l.height,
		Position:   minutiae.UnknownFinger,
		Impression: minutiae.LatentTracing,
	}
	for _, r := range l.regionMinutiae(exemplar) {
		if rng.Float64() < markMiss {
			continue
		}
		t.Minutiae = append(t.Minutiae, markMinutia(r.x, r.y, r.dir, r.kind, l.width, l.height, rng))
	}
	var region []int
	for i, in := range l.Region {
		if in {
			region = append(region, i)
		}
	}
	if len(region) == 0 {
		return t
	}
	for range spuriousMarks(rng) {
		i := region[rng.IntN(len(region))]
		t.Minutiae = append(t.Minutiae, spuriousMark(float64(i%l.width), float64(i/l.width), rng))
	}
	// An examiner's marks come in no particular order: shuffle, so that
	// the spurious ones are not recognisable by their place at the end.
	rng.Shuffle(len(t.Minutiae), func(i, j int) { t.Minutiae[i], t.Minutiae[j] = t.Minutiae[j], t.Minutiae[i] })
	if len(t.Minutiae) > minutiae.MaxMinutiae {
		t.Minutiae = t.Minutiae[:minutiae.MaxMinutiae]
	}
	return t
}

// noiseFreeMarking is simulateMarking without the examiner's noise: the
// minutiae of the source impression's template (our extractor's, with its
// own misses and false minutiae) that fall in the region, where the
// distortion moved them; none missed, none added, none jittered. Searched
// (the latent suite's --noise-free), it shows how much of the marked
// latents' misses the marking's noise causes.
func noiseFreeMarking(l *latentSim, source minutiae.Template) minutiae.Template {
	t := minutiae.Template{
		Width: l.width, Height: l.height,
		Position:   minutiae.UnknownFinger,
		Impression: minutiae.LatentTracing,
	}
	for _, r := range l.regionMinutiae(source) {
		t.Minutiae = append(t.Minutiae, minutiae.Minutia{
			X: float32(clampTo(r.x, l.width)), Y: float32(clampTo(r.y, l.height)),
			Direction: minutiae.NormalizeAngle(r.dir),
			Kind:      r.kind,
		})
	}
	return t
}

// regionMinutia is a minutia of the source impression that falls in the
// latent's region, at its place and direction on the latent.
type regionMinutia struct {
	x, y, dir float64
	kind      minutiae.Kind
}

// regionMinutiae lists the minutiae of the source impression's template
// that fall in the latent's region (see onLatent), in the template's order.
func (l *latentSim) regionMinutiae(source minutiae.Template) []regionMinutia {
	var rs []regionMinutia
	for _, m := range source.Minutiae {
		if x, y, dir, ok := l.onLatent(m); ok {
			rs = append(rs, regionMinutia{x, y, dir, m.Kind})
		}
	}
	return rs
}

// onLatent is where a minutia of the source impression lies on the latent,
// moved as the distortion moved the ridges, and its direction there: where
// a step of markDirStep along its direction lands (angles
// counter-clockwise as viewed, y down). ok is false when it lies outside
// the latent's region.
func (l *latentSim) onLatent(m minutiae.Minutia) (x, y, dir float64, ok bool) {
	px, py := float64(m.X), float64(m.Y)
	x, y = l.inverse(px, py)
	if !l.inRegion(x, y) {
		return 0, 0, 0, false
	}
	s, c := math.Sincos(float64(m.Direction))
	ax, ay := l.inverse(px+markDirStep*c, py-markDirStep*s)
	return x, y, math.Atan2(y-ay, ax-x), true
}

// markMinutia is an examiner's mark of a minutia of the latent at (x, y)
// with direction dir: jittered by markJitter and markDirJitter, kept on
// the image of width w and height h. The marking of the latent suite and
// of the marked latent calibration (calibrate_latent.go) share it.
func markMinutia(x, y, dir float64, kind minutiae.Kind, w, h int, rng *rand.Rand) minutiae.Minutia {
	dir += markDirJitter * rng.NormFloat64()
	x += markJitter * rng.NormFloat64()
	y += markJitter * rng.NormFloat64()
	return minutiae.Minutia{
		X: float32(clampTo(x, w)), Y: float32(clampTo(y, h)),
		Direction: minutiae.NormalizeAngle(dir),
		Kind:      kind,
	}
}

// spuriousMarks draws how many spurious minutiae an examiner marks on a
// latent: markSpuriousMin to markSpuriousMax.
func spuriousMarks(rng *rand.Rand) int {
	return markSpuriousMin + rng.IntN(markSpuriousMax-markSpuriousMin+1)
}

// spuriousMark is a spurious mark at (x, y): a random direction and kind.
func spuriousMark(x, y float64, rng *rand.Rand) minutiae.Minutia {
	return minutiae.Minutia{
		X: float32(x), Y: float32(y),
		Direction: minutiae.NormalizeAngle(2 * math.Pi * rng.Float64()),
		Kind:      minutiae.KindEnding + minutiae.Kind(rng.IntN(2)),
	}
}

func clampTo(v float64, size int) float64 { return max(0, min(float64(size-1), v)) }

// inverse returns the latent point q that shows the source point p: the
// solution of p = q + d(q).
func (l *latentSim) inverse(px, py float64) (qx, qy float64) {
	qx, qy = px, py
	for range inverseIterations {
		qx = px - float64(bilinear(l.dx, l.width, l.height, qx, qy))
		qy = py - float64(bilinear(l.dy, l.width, l.height, qx, qy))
	}
	return qx, qy
}

// displacementField draws the elastic distortion (see the constants).
func displacementField(rng *rand.Rand, w, h int) (dx, dy []float32) {
	var waves [2][distortionWaves]wave
	for a := range waves {
		for k := range waves[a] {
			waves[a][k] = randomWave(rng, distortionMinWave, distortionMaxWave, 1)
		}
	}
	dx, dy = make([]float32, w*h), make([]float32, w*h)
	peak := 0.0
	for y := range h {
		for x := range w {
			var v [2]float64
			for a := range waves {
				for _, wv := range waves[a] {
					v[a] += wv.amp * math.Sin(wv.kx*float64(x)+wv.ky*float64(y)+wv.phase)
				}
			}
			dx[y*w+x], dy[y*w+x] = float32(v[0]), float32(v[1])
			peak = max(peak, math.Hypot(v[0], v[1]))
		}
	}
	scale := (distortionMin + (distortionMax-distortionMin)*rng.Float64()) / max(peak, 1e-9)
	for i := range dx {
		dx[i] = float32(float64(dx[i]) * scale)
		dy[i] = float32(float64(dy[i]) * scale)
	}
	return dx, dy
}

// blob is the latent's irregular region before scaling: an ellipse turned
// by rot, of half-axes 1 and aspect, its radius perturbed by harmonics of
// the angle.
type blob struct {
	cx, cy, rot, aspect float64
	amp, phase          [blobHarmonics + 1]float64
}

func newBlob(rng *rand.Rand, cx, cy float64) blob {
	b := blob{cx: cx, cy: cy, rot: math.Pi * rng.Float64(), aspect: aspectMin + (1-aspectMin)*rng.Float64()}
	for k := 2; k <= blobHarmonics; k++ {
		b.amp[k] = blobPerturbation * rng.Float64()
		b.phase[k] = 2 * math.Pi * rng.Float64()
	}
	return b
}

// ratio is the least scale of the blob that holds the point (x, y).
func (b *blob) ratio(x, y float64) float64 {
	dx, dy := x-b.cx, y-b.cy
	r := math.Hypot(dx, dy)
	if r == 0 {
		return 0
	}
	phi := math.Atan2(dy, dx)
	s, c := math.Sincos(phi - b.rot)
	radius := 1 / math.Sqrt(c*c+s*s/(b.aspect*b.aspect))
	// The perturbation stays positive: at most blobHarmonics-1 terms of
	// at most blobPerturbation each.
	perturb := 1.0
	for k := 2; k <= blobHarmonics; k++ {
		perturb += b.amp[k] * math.Cos(float64(k)*phi+b.phase[k])
	}
	return r / (radius * perturb)
}

// fgMask is the print's foreground on a grid of fgBlock-pixel blocks.
type fgMask struct {
	bw, bh int
	blocks []bool
}

// at reports whether the point (x, y) is in the foreground: the block
// values interpolated between block centres, at least one half, so that
// the boundary is smooth rather than a staircase of blocks.
func (m *fgMask) at(x, y float64) bool {
	fx, fy := x/fgBlock-0.5, y/fgBlock-0.5
	v := func(i, j int) float64 {
		i, j = max(0, min(m.bw-1, i)), max(0, min(m.bh-1, j))
		if m.blocks[j*m.bw+i] {
			return 1
		}
		return 0
	}
	i, j := int(math.Floor(fx)), int(math.Floor(fy))
	ax, ay := fx-float64(i), fy-float64(j)
	s := (1-ax)*(1-ay)*v(i, j) + ax*(1-ay)*v(i+1, j) + (1-ax)*ay*v(i, j+1) + ax*ay*v(i+1, j+1)
	return s >= 0.5
}

// centre draws the blob's centre: a random point of a foreground block at
// least centreDepth of the deepest block's depth from the background.
func (m *fgMask) centre(rng *rand.Rand, depth []int) (x, y float64) {
	deepest := slices.Max(depth)
	var inner []int
	for i, d := range depth {
		if d > 0 && float64(d) >= centreDepth*float64(deepest) {
			inner = append(inner, i)
		}
	}
	b := inner[rng.IntN(len(inner))]
	return (float64(b%m.bw) + rng.Float64()) * fgBlock, (float64(b/m.bw) + rng.Float64()) * fgBlock
}

// foreground finds the print's blocks by their grey deviation, keeps the
// largest connected group of them, and returns with it each block's
// distance in blocks from the background or the image's edge (0 for
// background blocks).
func foreground(pix []float32, w, h int) (*fgMask, []int) {
	m := &fgMask{bw: (w + fgBlock - 1) / fgBlock, bh: (h + fgBlock - 1) / fgBlock}
	sds := make([]float64, m.bw*m.bh)
	for by := range m.bh {
		for bx := range m.bw {
			var s, ss, n float64
			for y := by * fgBlock; y < min(h, (by+1)*fgBlock); y++ {
				for x := bx * fgBlock; x < min(w, (bx+1)*fgBlock); x++ {
					v := float64(pix[y*w+x])
					s, ss, n = s+v, ss+v*v, n+1
				}
			}
			sds[by*m.bw+bx] = math.Sqrt(max(ss/n-(s/n)*(s/n), 0))
		}
	}
	sorted := slices.Clone(sds)
	slices.Sort(sorted)
	threshold := fgStdFraction * sorted[int(fgStdQuantile*float64(len(sorted)-1))]
	m.blocks = make([]bool, len(sds))
	for i, s := range sds {
		m.blocks[i] = s >= threshold && s > 0
	}
	m.keepLargest()
	// Distance from the background by breadth-first search from every
	// background block and the image's edge (chessboard metric).
	depth := make([]int, len(m.blocks))
	var queue []int
	for i, f := range m.blocks {
		bx, by := i%m.bw, i/m.bw
		switch {
		case !f:
		case bx == 0 || by == 0 || bx == m.bw-1 || by == m.bh-1:
			depth[i] = 1
			queue = append(queue, i)
		default:
			depth[i] = -1
		}
	}
	for i, f := range m.blocks {
		if f && depth[i] == -1 && m.touches(i, func(j int) bool { return !m.blocks[j] }) {
			depth[i] = 1
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		m.neighbours(i, func(j int) {
			if depth[j] == -1 {
				depth[j] = depth[i] + 1
				queue = append(queue, j)
			}
		})
	}
	for i := range depth {
		depth[i] = max(depth[i], 0)
	}
	return m, depth
}

// neighbours calls f for each of the eight blocks around block i.
func (m *fgMask) neighbours(i int, f func(j int)) {
	bx, by := i%m.bw, i/m.bw
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			x, y := bx+dx, by+dy
			if (dx != 0 || dy != 0) && x >= 0 && y >= 0 && x < m.bw && y < m.bh {
				f(y*m.bw + x)
			}
		}
	}
}

func (m *fgMask) touches(i int, pred func(j int) bool) bool {
	found := false
	m.neighbours(i, func(j int) { found = found || pred(j) })
	return found
}

// keepLargest clears every foreground block outside the largest
// 8-connected group: specks of dirt on the sensor are not the print.
func (m *fgMask) keepLargest() {
	label := make([]int, len(m.blocks))
	best, bestSize := 0, 0
	next := 0
	for i, f := range m.blocks {
		if !f || label[i] != 0 {
			continue
		}
		next++
		label[i] = next
		size := 0
		stack := []int{i}
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			m.neighbours(j, func(k int) {
				if m.blocks[k] && label[k] == 0 {
					label[k] = next
					stack = append(stack, k)
				}
			})
		}
		if size > bestSize {
			best, bestSize = next, size
		}
	}
	for i := range m.blocks {
		m.blocks[i] = m.blocks[i] && label[i] == best
	}
}

// bilinear samples pix at (x, y), clamped to the image.
func bilinear(pix []float32, w, h int, x, y float64) float32 {
	x, y = max(0, min(float64(w-1), x)), max(0, min(float64(h-1), y))
	i, j := int(x), int(y)
	i1, j1 := min(i+1, w-1), min(j+1, h-1)
	ax, ay := float32(x-float64(i)), float32(y-float64(j))
	return (1-ax)*(1-ay)*pix[j*w+i] + ax*(1-ay)*pix[j*w+i1] + (1-ax)*ay*pix[j1*w+i] + ax*ay*pix[j1*w+i1]
}

// gaussianBlur returns pix blurred by a separable Gaussian of standard
// deviation sigma, the image's edge pixels repeated beyond it.
func gaussianBlur(pix []float32, w, h int, sigma float64) []float32 {
	r := int(math.Ceil(3 * sigma))
	kernel := make([]float32, 2*r+1)
	var sum float32
	for k := range kernel {
		d := float64(k - r)
		kernel[k] = float32(math.Exp(-d * d / (2 * sigma * sigma)))
		sum += kernel[k]
	}
	for k := range kernel {
		kernel[k] /= sum
	}
	tmp := make([]float32, w*h)
	for y := range h {
		for x := range w {
			var v float32
			for k, c := range kernel {
				v += c * pix[y*w+max(0, min(w-1, x+k-r))]
			}
			tmp[y*w+x] = v
		}
	}
	out := make([]float32, w*h)
	for y := range h {
		for x := range w {
			var v float32
			for k, c := range kernel {
				v += c * tmp[max(0, min(h-1, y+k-r))*w+x]
			}
			out[y*w+x] = v
		}
	}
	return out
}
