package main

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/whorlafis/whorl/matcher"
	"github.com/whorlafis/whorl/minutiae"
)

// The latentminutiae suite measures the extractor on the simulated latent
// images alone, without searching: which of the minutiae it finds on the
// whole impression (the reference, "truth") it also finds on the latent made
// of it, and where along the pipeline the others are lost. The latents are
// those of the latent suite (same seed, same impressions, same order).
//
//	go run ./benchmarks latentminutiae [--limit N] [--dump DIR] DIR...
//
// The reference minutiae are the exemplar template's (our extractor on the
// full impression) that fall in the latent's region, moved by its
// distortion as simulateMarking moves them, without jitter or misses. A
// latent minutia and a reference one pair when they are at most
// pairDistance apart with directions within pairAngle; each pairs at most
// once, nearest first.
//
// Besides recall and precision it gives a proxy of the search: the share
// of latents whose score against their finger's impression 1 has an
// estimated FMR (matcher.LatentFMR) below 9.5 in 19,970 (the synthetic
// part of a 20,000-finger gallery: about rank 10), their rank among the
// real prints of the other fingers, and the same proxy for the reference
// minutiae themselves ("oracle": a perfect extractor). It also checks the
// latent calibration, measured on crops of full-print templates, on these
// latents extracted from images: how many comparisons with prints of other
// fingers reach an estimated FMR of at most 1e-2, 1e-3 and 1e-4, against
// the count that FMR promises.
//
// It is registered here rather than in main.go: it is a diagnostic of the
// extractor, not a suite of the report.
func init() { suites["latentminutiae"] = runLatentMinutiae }

const (
	// pairDistance and pairAngle: a found minutia and a reference one are
	// the same when this close (pixels, radians). The distortion is
	// applied to the reference exactly; what is left is the extractors'
	// own placement (a skeleton pixel or two) and ridges moved by blur.
	pairDistance = 10.0
	pairAngle    = math.Pi / 4
	// depthBands are the upper bounds (exclusive) of the depth bands in
	// which recall is reported.
	// deepDistance: reference minutiae at least this far inside the
	// region (pixels) are counted apart, "deep": beyond the faded edge
	// (2·fadeSigma) and the extractor's border margin.
	deepDistance = 20
)

var depthBands = [...]int{6, 12, 18, 24, 32, 1 << 30}

func depthBand(d int) int {
	for i, b := range depthBands {
		if d < b {
			return i
		}
	}
	return len(depthBands) - 1
}

// lossStage names where a reference minutia was lost, in pipeline order.
var lossStages = []string{
	"outside mask",  // its pixel is not in the latent's foreground mask
	"not detected",  // no raw (crossing-number) candidate near it
	"filtered",      // a raw candidate near it, removed by false-minutia removal (by reason below)
	"low quality",   // kept by the filters, dropped for quality
	"found",         // in the template
	"found (other)", // a template minutia is near but was not paired with it (taken by another)
}

func runLatentMinutiae(args []string) error {
	suite := newSetSuite("latentminutiae", "usage: go run ./benchmarks latentminutiae [flags] DIR...\n\n"+
		"Extracts the latent suite's simulated latent images and compares their minutiae with those the\n"+
		"extractor finds on the whole impression inside the latent's region: recall, precision and where\n"+
		"the missing ones were lost.")
	fs := suite.fs
	seed := fs.Uint64("seed", 1, "seed of the simulated latents (as the latent suite's)")
	limit := fs.Int("limit", 0, "at most this many latents (0: every impression 2–8), impression 2 of every finger first")
	dump := fs.String("dump", "", "write the first --dump-n latents' image, mask, binarised image and minutiae as PNG to this folder")
	dumpN := fs.Int("dump-n", 12, "latents to dump")
	table := fs.String("table", "", "write one line a latent (minutiae found, paired, reference, mate's FMR, …) to this file, tab-separated")
	src, err := suite.parse(args)
	if err != nil {
		return err
	}
	var prints []sample
	for _, dir := range fs.Args() {
		s, err := loadSet(dir, src)
		if err != nil {
			return err
		}
		prints = append(prints, s...)
	}
	sources := latentSources(prints)
	if *limit > 0 && len(sources) > *limit {
		sources = sources[:*limit]
	}
	if len(sources) == 0 {
		return errors.New("no impression to make a latent of")
	}
	if *dump != "" {
		if err := os.MkdirAll(*dump, 0o700); err != nil {
			return err
		}
	}
	stats := make([]latentMinutiaStats, len(sources))
	errs := make([]error, len(sources))
	progress := newProgress("latent extractions", len(sources))
	parallelFor(len(sources), func(k int) {
		s := prints[sources[k]]
		name := fmt.Sprintf("%s/%d", subjectOf(s), s.impression)
		img, err := decodeSetImage(s.path)
		if err != nil {
			errs[k] = err
			return
		}
		l, err := simulateLatent(img, latentSeed(*seed, name))
		if err != nil {
			errs[k] = fmt.Errorf("%s: %w", s.path, err)
			return
		}
		var dumpTo string
		if *dump != "" && k < *dumpN {
			dumpTo = filepath.Join(*dump, fmt.Sprintf("%03d_%d_%d", k, s.finger, s.impression))
		}
		stats[k], errs[k] = measureLatentMinutiae(l, s.template, dumpTo)
		if errs[k] == nil {
			stats[k].latentScores = scoreLatent(stats[k].template, prints, sources[k])
			stats[k].oracleFMR = scoreLatent(stats[k].oracle, prints, sources[k]).mateFMR
		}
		progress.add(1)
	})
	progress.done()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	printLatentMinutiae(os.Stdout, stats)
	if *table != "" {
		path := *table
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		fmt.Fprintln(f, "k\tfound\tpaired\treference\tdeep\tregion\tfmr\tabove")
		for k, s := range stats {
			fmt.Fprintf(f, "%d\t%d\t%d\t%d\t%d\t%d\t%.3g\t%d\n", k, s.found, s.paired, s.reference, s.deep, s.regionArea, s.mateFMR, s.above)
		}
		return f.Close()
	}
	return nil
}

// latentMinutiaStats is one latent's measurement.
type latentMinutiaStats struct {
	found       int            // minutiae in the latent's template
	foundIn     int            // of them, in the region
	paired      int            // of them, paired with a reference minutia
	reference   int            // reference minutiae in the region
	deep        int            // of them, at least deepDistance inside
	deepFound   int            // deep ones paired
	loss        map[string]int // reference minutiae by lossStages
	deepLoss    map[string]int // the deep ones by lossStages and removal reason
	filteredBy  map[string]int // the "filtered" ones by removal reason
	regionArea  int            // pixels of the region
	maskInside  int            // of them, in the mask
	maskOutside int            // mask pixels outside the region
	rawInRegion int            // raw candidates in the region
	// byDepth counts the reference minutiae by depth band
	// (depthBands) and whether they were found: [band][0 lost, 1 found].
	byDepth [len(depthBands)][2]int
	// falseByDepth counts the found minutiae paired with no reference by
	// depth band (0 outside the region), [band][kind-1].
	falseByDepth [len(depthBands)][2]int
	foundByDepth [len(depthBands)]int
	// borderByDepth counts those filtered as border by depth band.
	borderByDepth [len(depthBands)]int
	failed        bool // Extract found no print
	template      minutiae.Template
	// oracle is the reference minutiae as a latent template, and
	// oracleFMR its mateFMR: what a perfect extractor would reach.
	oracle    minutiae.Template
	oracleFMR float64
	// pairDist, pairAngle are the paired minutiae's position (pixels) and
	// direction (radians) differences.
	pairDist, pairAng []float64
	// The latent's comparisons with its finger's impression 1 and with
	// every print of the other fingers (see scoreLatent); impostorsAt
	// checks whether the latent calibration, made on crops of full-print
	// templates, holds for latents extracted from images.
	latentScores
}

// calibrationChecks are the estimated FMRs the latent calibration is
// checked at.
var calibrationChecks = [...]float64{1e-2, 1e-3, 1e-4}

// stageTrace keeps the stages of one extraction.
type stageTrace struct {
	mask    *minutiae.Bitmap
	bin     *minutiae.Bitmap
	raw     []minutiae.Minutia
	removed []minutiae.RemovedMinutia
	weak    []minutiae.RemovedMinutia
}

func (t *stageTrace) Stage(name string, data any) {
	switch name {
	case minutiae.StageMask:
		t.mask = data.(*minutiae.Bitmap)
	case minutiae.StageBinarize:
		t.bin = data.(*minutiae.Bitmap)
	case minutiae.StageRawMinutiae:
		t.raw = data.([]minutiae.Minutia)
	case minutiae.StageRemoved:
		t.removed = data.([]minutiae.RemovedMinutia)
	case minutiae.StageWeak:
		t.weak = data.([]minutiae.RemovedMinutia)
	}
}

// measureLatentMinutiae extracts the latent l and compares its minutiae
// with the exemplar's in its region.
func measureLatentMinutiae(l *latentSim, exemplar minutiae.Template, dumpTo string) (latentMinutiaStats, error) {
	st := latentMinutiaStats{loss: map[string]int{}, filteredBy: map[string]int{}, deepLoss: map[string]int{}}
	w, h := l.width, l.height
	depth := regionDepth(l.Region, w, h)
	for _, in := range l.Region {
		if in {
			st.regionArea++
		}
	}
	// The reference, moved onto the latent.
	type ref struct {
		x, y, dir float64
		deep      bool
		depth     int
	}
	var refs []ref
	st.oracle = minutiae.Template{Width: w, Height: h, Impression: minutiae.Latent}
	for _, m := range l.regionMinutiae(exemplar) {
		d := depth[int(math.Round(m.y))*w+int(math.Round(m.x))]
		refs = append(refs, ref{x: m.x, y: m.y, dir: m.dir, deep: d >= deepDistance, depth: d})
		st.oracle.Minutiae = append(st.oracle.Minutiae, minutiae.Minutia{X: float32(m.x), Y: float32(m.y),
			Direction: minutiae.NormalizeAngle(m.dir), Kind: m.kind})
	}
	st.reference = len(refs)
	for _, r := range refs {
		if r.deep {
			st.deep++
		}
	}

	tr := &stageTrace{}
	t, err := minutiae.Extract(l.Image, &minutiae.ExtractOptions{Impression: minutiae.Latent, Trace: tr})
	if err != nil {
		if !errors.Is(err, minutiae.ErrNoFingerprint) {
			return st, err
		}
		st.failed = true
		st.loss["outside mask"] += len(refs)
		return st, nil
	}
	st.found = len(t.Minutiae)
	st.template = t
	inMask := func(x, y float64) bool {
		if tr.mask == nil {
			return false
		}
		bx, by := int(x)/tr.mask.Step, int(y)/tr.mask.Step
		return bx >= 0 && by >= 0 && bx < tr.mask.Width && by < tr.mask.Height && tr.mask.At(bx, by)
	}
	for i, in := range l.Region {
		m := inMask(float64(i%w), float64(i/w))
		switch {
		case in && m:
			st.maskInside++
		case !in && m:
			st.maskOutside++
		}
	}
	for _, m := range tr.raw {
		if l.inRegion(float64(m.X), float64(m.Y)) {
			st.rawInRegion++
		}
	}
	for _, m := range t.Minutiae {
		if l.inRegion(float64(m.X), float64(m.Y)) {
			st.foundIn++
		}
	}

	// Pair greedily, nearest first.
	type pair struct {
		r, f int
		d    float64
	}
	var pairs []pair
	near := func(r ref, m minutiae.Minutia) (float64, bool) {
		d := math.Hypot(float64(m.X)-r.x, float64(m.Y)-r.y)
		return d, d <= pairDistance && angleBetween(r.dir, float64(m.Direction)) <= pairAngle
	}
	for i, r := range refs {
		for j, m := range t.Minutiae {
			if d, ok := near(r, m); ok {
				pairs = append(pairs, pair{i, j, d})
			}
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int { return cmpFloat(a.d, b.d) })
	refUsed := make([]bool, len(refs))
	foundUsed := make([]bool, len(t.Minutiae))
	for _, p := range pairs {
		if !refUsed[p.r] && !foundUsed[p.f] {
			refUsed[p.r], foundUsed[p.f] = true, true
			st.paired++
			st.pairDist = append(st.pairDist, p.d)
			st.pairAng = append(st.pairAng, angleBetween(refs[p.r].dir, float64(t.Minutiae[p.f].Direction)))
			if refs[p.r].deep {
				st.deepFound++
			}
		}
	}
	// Where the unpaired references were lost. Near means within
	// pairDistance, whatever the direction.
	nearPos := func(r ref, x, y float32) bool {
		return math.Hypot(float64(x)-r.x, float64(y)-r.y) <= pairDistance
	}
	for i, r := range refs {
		var where, reason string
		switch {
		case refUsed[i]:
			where = "found"
		case !inMask(r.x, r.y):
			where = "outside mask"
		case slices.ContainsFunc(t.Minutiae, func(m minutiae.Minutia) bool { return nearPos(r, m.X, m.Y) }):
			where = "found (other)"
		case slices.ContainsFunc(tr.weak, func(m minutiae.RemovedMinutia) bool { return nearPos(r, m.X, m.Y) }):
			where = "low quality"
		case slices.ContainsFunc(tr.removed, func(m minutiae.RemovedMinutia) bool { return nearPos(r, m.X, m.Y) }):
			where = "filtered"
			// the nearest removed candidate's reason
			bd := math.Inf(1)
			for _, m := range tr.removed {
				if d := math.Hypot(float64(m.X)-r.x, float64(m.Y)-r.y); d < bd {
					reason, bd = m.Reason, d
				}
			}
			st.filteredBy[reason]++
			if reason == minutiae.RemovedBorder {
				st.borderByDepth[depthBand(r.depth)]++
			}
		default:
			where = "not detected"
		}
		st.loss[where]++
		if r.deep {
			if reason != "" {
				where += " as " + reason
			}
			st.deepLoss[where]++
		}
	}
	for j, m := range t.Minutiae {
		x, y := min(max(int(m.X), 0), w-1), min(max(int(m.Y), 0), h-1)
		b := depthBand(depth[y*w+x])
		st.foundByDepth[b]++
		if !foundUsed[j] && m.Kind >= minutiae.KindEnding && m.Kind <= minutiae.KindBifurcation {
			st.falseByDepth[b][m.Kind-minutiae.KindEnding]++
		}
	}
	for i, r := range refs {
		f := 0
		if refUsed[i] {
			f = 1
		}
		st.byDepth[depthBand(r.depth)][f]++
	}
	if dumpTo != "" {
		var refPts [][2]float64
		for _, r := range refs {
			refPts = append(refPts, [2]float64{r.x, r.y})
		}
		if err := dumpLatent(dumpTo, l, tr, t, refPts); err != nil {
			return st, err
		}
	}
	return st, nil
}

// latentScores are a latent's comparisons: mateFMR is the estimated FMR of
// its score against its finger's exemplar (1 when it has fewer than 2
// minutiae), above how many prints of other fingers (every impression)
// score at least as much, impostors how many prints of other
// fingers it was compared with and impostorsAt how many of them have an
// estimated FMR of at most calibrationChecks[i].
type latentScores struct {
	mateFMR     float64
	above       int
	impostors   int
	impostorsAt [len(calibrationChecks)]int
}

// scoreLatent compares the latent with the exemplar of its source's finger
// (impression 1) and with every print of the other fingers.
func scoreLatent(t minutiae.Template, prints []sample, source int) latentScores {
	if len(t.Minutiae) < 2 {
		return latentScores{mateFMR: 1, above: len(prints)}
	}
	var r latentScores
	probe := matcher.Prepare(t)
	src := prints[source]
	mate := 0.0
	sameFinger := func(s sample) bool { return s.finger == src.finger && filepath.Dir(s.path) == filepath.Dir(src.path) }
	for _, s := range prints {
		if sameFinger(s) && s.impression == 1 {
			mate = matcher.Score(probe, s.prepared)
		}
	}
	for _, s := range prints {
		if s.failed || sameFinger(s) {
			continue
		}
		score := matcher.Score(probe, s.prepared)
		if score >= mate {
			r.above++
		}
		r.impostors++
		fmr := matcher.LatentFMR(score, len(t.Minutiae))
		for i, at := range calibrationChecks {
			if fmr <= at {
				r.impostorsAt[i]++
			}
		}
	}
	r.mateFMR = matcher.LatentFMR(mate, len(t.Minutiae))
	return r
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// angleBetween is the absolute difference of two directions, in [0, π].
func angleBetween(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 2*math.Pi)
	if d > math.Pi {
		d = 2*math.Pi - d
	}
	return d
}

// regionDepth is each pixel's chessboard distance from the region's
// outside (0 outside), by two passes.
func regionDepth(region []bool, w, h int) []int {
	const inf = 1 << 30
	d := make([]int, w*h)
	for i, in := range region {
		if in {
			d[i] = inf
		}
	}
	at := func(x, y int) int {
		if x < 0 || y < 0 || x >= w || y >= h {
			return 0
		}
		return d[y*w+x]
	}
	for y := range h {
		for x := range w {
			if i := y*w + x; d[i] > 0 {
				d[i] = min(d[i], at(x-1, y)+1, at(x-1, y-1)+1, at(x, y-1)+1, at(x+1, y-1)+1)
			}
		}
	}
	for y := h - 1; y >= 0; y-- {
		for x := w - 1; x >= 0; x-- {
			if i := y*w + x; d[i] > 0 {
				d[i] = min(d[i], at(x+1, y)+1, at(x+1, y+1)+1, at(x, y+1)+1, at(x-1, y+1)+1)
			}
		}
	}
	return d
}

func printLatentMinutiae(w io.Writer, stats []latentMinutiaStats) {
	var found, foundIn, paired, reference, deep, deepFound, failed, under2 int
	var regionArea, maskInside, maskOutside, raw int
	loss := map[string]int{}
	filtered := map[string]int{}
	var byDepth [len(depthBands)][2]int
	deepLoss := map[string]int{}
	var borderByDepth [len(depthBands)]int
	var falseByDepth [len(depthBands)][2]int
	var foundByDepth [len(depthBands)]int
	var counts []int
	var dists, angs []float64
	proxy, top1, top10, oracle := 0, 0, 0, 0
	impostors, impostorsAt := 0, [len(calibrationChecks)]int{}
	for _, s := range stats {
		impostors += s.impostors
		for i := range impostorsAt {
			impostorsAt[i] += s.impostorsAt[i]
		}
		dists = append(dists, s.pairDist...)
		angs = append(angs, s.pairAng...)
		if s.oracleFMR*19970 < 9.5 {
			oracle++
		}
		if s.mateFMR*19970 < 9.5 {
			proxy++
		}
		if s.found >= 2 && s.above == 0 {
			top1++
		}
		if s.found >= 2 && s.above < 10 {
			top10++
		}
		found += s.found
		foundIn += s.foundIn
		paired += s.paired
		reference += s.reference
		deep += s.deep
		deepFound += s.deepFound
		regionArea += s.regionArea
		maskInside += s.maskInside
		maskOutside += s.maskOutside
		raw += s.rawInRegion
		counts = append(counts, s.found)
		if s.failed {
			failed++
		}
		if s.found < 2 {
			under2++
		}
		for b := range depthBands {
			byDepth[b][0] += s.byDepth[b][0]
			byDepth[b][1] += s.byDepth[b][1]
			borderByDepth[b] += s.borderByDepth[b]
			falseByDepth[b][0] += s.falseByDepth[b][0]
			falseByDepth[b][1] += s.falseByDepth[b][1]
			foundByDepth[b] += s.foundByDepth[b]
		}
		for k, v := range s.deepLoss {
			deepLoss[k] += v
		}
		for k, v := range s.loss {
			loss[k] += v
		}
		for k, v := range s.filteredBy {
			filtered[k] += v
		}
	}
	pct := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	fmt.Fprintf(w, "%d latents: minutiae median %d, %d with fewer than 2, %d without a print found\n", len(stats), medianInt(counts), under2, failed)
	fmt.Fprintf(w, "proxy: mate's latent FMR × 19970 < 9.5: %.1f%%; among real prints of other fingers: rank-1 %.1f%%, rank-10 %.1f%%; oracle (the reference minutiae) %.1f%%\n",
		pct(proxy, len(stats)), pct(top1, len(stats)), pct(top10, len(stats)), pct(oracle, len(stats)))
	fmt.Fprintf(w, "calibration against real prints of other fingers (%d comparisons): impostors at estimated FMR", impostors)
	for i, at := range calibrationChecks {
		fmt.Fprintf(w, " ≤ %g: %d (expected %.1f);", at, impostorsAt[i], at*float64(impostors))
	}
	fmt.Fprintln(w)
	slices.Sort(dists)
	slices.Sort(angs)
	if len(dists) > 0 {
		q := func(v []float64, f float64) float64 { return v[int(f*float64(len(v)-1))] }
		fmt.Fprintf(w, "paired: distance median %.1f px, p90 %.1f; direction median %.1f°, p90 %.1f°\n",
			q(dists, 0.5), q(dists, 0.9), q(angs, 0.5)*180/math.Pi, q(angs, 0.9)*180/math.Pi)
	}
	fmt.Fprintf(w, "reference minutiae in the regions: %d (%d deep, ≥ %d px inside)\n", reference, deep, deepDistance)
	fmt.Fprintf(w, "recall %.1f%% (deep %.1f%%), precision %.1f%% (%d of %d found paired; %d found outside the region)\n",
		pct(paired, reference), pct(deepFound, deep), pct(paired, found), paired, found, found-foundIn)
	fmt.Fprintf(w, "mask: %.1f%% of the region's pixels; %.1f%% of the mask outside the region; raw candidates in regions %d\n",
		pct(maskInside, regionArea), pct(maskOutside, maskInside+maskOutside), raw)
	fmt.Fprintf(w, "reference minutiae by where they were lost:\n")
	for _, k := range lossStages {
		fmt.Fprintf(w, "  %-14s %5d  %5.1f%%\n", k, loss[k], pct(loss[k], reference))
	}
	fmt.Fprintf(w, "recall by depth inside the region (px): ")
	lo := 0
	for b, hi := range depthBands {
		n := byDepth[b][0] + byDepth[b][1]
		fmt.Fprintf(w, " [%d,%d) %d/%d=%.0f%% (border %d)", lo, min(hi, 999), byDepth[b][1], n, pct(byDepth[b][1], n), borderByDepth[b])
		lo = hi
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "found minutiae unpaired (endings+bifurcations) by depth:")
	lo = 0
	for b, hi := range depthBands {
		fmt.Fprintf(w, " [%d,%d) %d+%d of %d;", lo, min(hi, 999), falseByDepth[b][0], falseByDepth[b][1], foundByDepth[b])
		lo = hi
	}
	fmt.Fprintln(w)
	keys := make([]string, 0, len(filtered))
	for k := range filtered {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "    filtered as %-10s %5d\n", k, filtered[k])
	}
	keys = keys[:0]
	for k := range deepLoss {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Fprintf(w, "deep reference minutiae:")
	for _, k := range keys {
		fmt.Fprintf(w, " %s %d;", k, deepLoss[k])
	}
	fmt.Fprintln(w)
}

var dumpMu sync.Mutex

// dumpLatent writes PREFIX.png: the latent (left) and its binarised image
// (right), the mask's edge in green, the region's edge in yellow, the
// reference minutiae as blue squares and the found ones as red crosses.
func dumpLatent(prefix string, l *latentSim, tr *stageTrace, t minutiae.Template, refs [][2]float64) error {
	dumpMu.Lock()
	defer dumpMu.Unlock()
	w, h := l.width, l.height
	out := image.NewRGBA(image.Rect(0, 0, 2*w, h))
	for y := range h {
		for x := range w {
			g := l.Image.Gray.GrayAt(x, y).Y
			out.Set(x, y, color.RGBA{g, g, g, 255})
			b := uint8(255)
			if tr.bin != nil && tr.bin.At(x, y) {
				b = 0
			}
			out.Set(w+x, y, color.RGBA{b, b, b, 255})
		}
	}
	edge := func(in func(x, y int) bool, c color.RGBA) {
		for y := 1; y < h-1; y++ {
			for x := 1; x < w-1; x++ {
				if in(x, y) && (!in(x-1, y) || !in(x+1, y) || !in(x, y-1) || !in(x, y+1)) {
					out.Set(x, y, c)
					out.Set(w+x, y, c)
				}
			}
		}
	}
	edge(func(x, y int) bool { return l.Region[y*w+x] }, color.RGBA{230, 200, 0, 255})
	if tr.mask != nil {
		edge(func(x, y int) bool { return tr.mask.At(x/tr.mask.Step, y/tr.mask.Step) }, color.RGBA{0, 180, 0, 255})
	}
	mark := func(x, y int, c color.RGBA, cross bool) {
		for d := -3; d <= 3; d++ {
			for _, o := range [][2]int{{0, 0}, {w, 0}} {
				if cross {
					out.Set(o[0]+x+d, y+d, c)
					out.Set(o[0]+x+d, y-d, c)
				} else {
					out.Set(o[0]+x+d, y-3, c)
					out.Set(o[0]+x+d, y+3, c)
					out.Set(o[0]+x-3, y+d, c)
					out.Set(o[0]+x+3, y+d, c)
				}
			}
		}
	}
	for _, r := range refs {
		mark(int(r[0]), int(r[1]), color.RGBA{0, 80, 255, 255}, false)
	}
	for _, m := range t.Minutiae {
		mark(int(m.X), int(m.Y), color.RGBA{230, 0, 0, 255}, true)
	}
	f, err := os.Create(prefix + ".png")
	if err != nil {
		return err
	}
	if err := png.Encode(f, out); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
