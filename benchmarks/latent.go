package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/whorlafis/whorl/matcher"
	"github.com/whorlafis/whorl/minutiae"
)

// latentResult is what `latent --json` writes. Rates are percentages of the
// latents, as in the other suites.
type latentResult struct {
	Gallery int `json:"gallery"`
	Mates   int `json:"mates"`
	Latents int `json:"latents"`
	// Image* are the ranks of the mates of the latents' images, as our
	// extractor reads them; Marked* those of the simulated examiner
	// markings. A latent with fewer than two minutiae is a miss at every
	// rank.
	ImageRank1    float64 `json:"image_rank1"`
	ImageRank10   float64 `json:"image_rank10"`
	ImageRank100  float64 `json:"image_rank100"`
	MarkedRank1   float64 `json:"marked_rank1"`
	MarkedRank10  float64 `json:"marked_rank10"`
	MarkedRank100 float64 `json:"marked_rank100"`
	// With --exhaustive, the rates of an exhaustive search of every entry.
	ImageRank1Exhaustive   *float64 `json:"image_rank1_exhaustive,omitempty"`
	ImageRank10Exhaustive  *float64 `json:"image_rank10_exhaustive,omitempty"`
	MarkedRank1Exhaustive  *float64 `json:"marked_rank1_exhaustive,omitempty"`
	MarkedRank10Exhaustive *float64 `json:"marked_rank10_exhaustive,omitempty"`
	// With --noise-free, the rates of the markings made without the
	// examiner's noise (noiseFreeMarking): every minutia our extractor
	// found on the source impression inside the region, none missed, none
	// added, none jittered. The noisy markings are those same minutiae
	// with noise, so these rates show what the noise costs, and are
	// expected to be above the marked rates (measured, not guaranteed).
	NoiseFreeRank1   *float64 `json:"noise_free_rank1,omitempty"`
	NoiseFreeRank10  *float64 `json:"noise_free_rank10,omitempty"`
	NoiseFreeRank100 *float64 `json:"noise_free_rank100,omitempty"`
	// ImageNoMinutiae counts the latent images our extractor found fewer
	// than two minutiae on; the medians are the minutia counts.
	ImageNoMinutiae        int     `json:"image_no_minutiae"`
	ImageMinutiaeMedian    int     `json:"image_minutiae_median"`
	MarkedMinutiaeMedian   int     `json:"marked_minutiae_median"`
	ExemplarMinutiaeMedian int     `json:"exemplar_minutiae_median"`
	SearchMsMedian         float64 `json:"search_ms_median"`
	SearchMsP99            float64 `json:"search_ms_p99"`
	// Reverse search: Unsolved latents on file (ReverseMated of them the
	// marked latents of the sets' fingers, the rest synthetic), each
	// exemplar finger with a mated latent on file searched against them;
	// ReverseFound is the percentage of the mated latents on file found among
	// the candidates at FMR ≤ ReverseFMR.
	Unsolved                    int     `json:"unsolved"`
	ReverseMated                int     `json:"reverse_mated"`
	ReverseEnrolments           int     `json:"reverse_enrolments"`
	ReverseFMR                  float64 `json:"reverse_fmr"`
	ReverseMsPerEnrolmentMedian float64 `json:"reverse_ms_per_enrolment_median"`
	ReverseMsPerEnrolmentP99    float64 `json:"reverse_ms_per_enrolment_p99"`
	ReverseFound                float64 `json:"reverse_found"`
	BuildSeconds                float64 `json:"build_seconds"`
	GOMAXPROCS                  int     `json:"gomaxprocs"`
	Seed                        uint64  `json:"seed"`
}

// latentTop is how many candidates a latent search returns: rank-100 is
// the last rate reported.
const latentTop = 100

// searchLatent searches the gallery of exemplars for a latent's finger,
// whatever its position. It is the one place the suite searches with a
// latent, so that a latent-specific search can replace it.
func searchLatent(ctx context.Context, g *matcher.Gallery, probe minutiae.Template, opt matcher.LatentOptions) ([]matcher.Candidate, error) {
	opt.Top = latentTop
	return g.SearchLatent(ctx, probe, opt)
}

// searchUnsolved searches a gallery of unsolved latents with an exemplar
// finger (the reverse search run at each enrolment): the one place the
// suite does, for the same reason as searchLatent.
func searchUnsolved(ctx context.Context, latents *matcher.Gallery, exemplar minutiae.Template, maxFMR float64) ([]matcher.Candidate, error) {
	return latents.SearchReverse(ctx, exemplar, maxFMR, latentTop)
}

// latentCase is one simulated latent: the impression it was made from
// (an index into the suite's prints), the template our extractor reads
// from its image and the simulated examiner's marking.
type latentCase struct {
	source int
	image  minutiae.Template
	marked minutiae.Template
	// noiseFree is the marking without noise (noiseFreeMarking).
	noiseFree minutiae.Template
}

func runLatent(args []string) error {
	suite := newSetSuite("latent", "usage: go run ./benchmarks latent [flags] DIR...\n\n"+
		"Each DIR is an FVC set folder (<finger>_<impression>.tif, fingers 101–110, impressions 1–8).\n"+
		"Impression 1 of every finger is enrolled as its exemplar; impressions 2–8 are made into simulated latents\n"+
		"(images, searched as our extractor reads them, and examiner markings), searched against the exemplars\n"+
		"and synthetic distractors. The reverse search enrols the markings among synthetic unsolved latents and\n"+
		"searches them with each exemplar.")
	fs := suite.fs
	size := fs.Int("gallery", 100_000, "fingers in the gallery: the first impression of every finger of the sets, plus synthetic distractors up to this number")
	seed := fs.Uint64("seed", 1, "seed of the simulated latents and of the synthetic distractors")
	limit := fs.Int("limit", 0, "simulate at most this many latents (0: every impression 2–8); impression 2 of every finger comes first, then 3, …")
	unsolved := fs.Int("unsolved", 10_000, "unsolved latents on file for the reverse search: the markings, plus synthetic latent-sized templates up to this number (0: skip)")
	reverseFMR := fs.Float64("reverse-fmr", 1e-3, "a reverse-search candidate is a hit when its estimated FMR is at most this")
	jsonOut := fs.String("json", "", "write the results as JSON to this file")
	shortlist := fs.Int("shortlist", 0, "entries the first stage hands to the precise matcher (0: the matcher's latent default)")
	exhaustive := fs.Bool("exhaustive", false, "also search by comparing every entry with the precise matcher (slow), to measure what the first stage loses")
	noiseFree := fs.Bool("noise-free", false, "also search every latent's marking without the examiner's noise (the minutiae our extractor found in the region, none missed, added or jittered): what the noise costs the marked latents")
	src, err := suite.parse(args)
	if err != nil {
		return err
	}
	if *limit < 0 || *unsolved < 0 {
		return errors.New("--limit and --unsolved must not be negative")
	}
	if !(*reverseFMR > 0 && *reverseFMR <= 1) {
		return fmt.Errorf("--reverse-fmr %g: want a rate in (0, 1]", *reverseFMR)
	}
	run, err := measureLatent(latentConfig{
		dirs: fs.Args(), src: src, gallery: *size, seed: *seed, limit: *limit, unsolved: *unsolved,
		reverseFMR: *reverseFMR, shortlist: *shortlist, exhaustive: *exhaustive, noiseFree: *noiseFree,
	})
	if err != nil {
		return err
	}
	res := run.latentResult
	printLatent(os.Stdout, res)
	if *jsonOut != "" {
		return writeJSON(*jsonOut, res)
	}
	return nil
}

// latentConfig is what a latent run measures: the latent suite's flags.
type latentConfig struct {
	dirs       []string
	src        TemplateSource
	gallery    int
	seed       uint64
	limit      int
	unsolved   int
	reverseFMR float64
	shortlist  int
	exhaustive bool
	noiseFree  bool
}

// latentRun is what measureLatent measured: the result and every latent
// search's latency (images and markings), ascending.
type latentRun struct {
	latentResult
	latencies []time.Duration
}

// measureLatent simulates the latents of the sets' impressions 2–8,
// searches them among the exemplars and synthetic distractors, and runs
// the reverse search.
func measureLatent(cfg latentConfig) (latentRun, error) {
	var prints []sample
	for _, dir := range cfg.dirs {
		samples, err := loadSet(dir, cfg.src)
		if err != nil {
			return latentRun{}, err
		}
		prints = append(prints, samples...)
	}

	// The protocol: impression 1 of each finger is its exemplar, enrolled;
	// every other impression of a finger whose exemplar enrolled is made
	// into a latent (latentSources).
	var mates []int
	for i, s := range prints {
		if !s.failed && s.impression == 1 {
			mates = append(mates, i)
		}
	}
	sources := latentSources(prints)
	skipped := -len(sources)
	for _, s := range prints {
		if s.impression >= 2 && s.impression <= impressions {
			skipped++
		}
	}
	if skipped > 0 {
		fmt.Fprintf(os.Stderr, "%d impressions not made into latents: they or their finger's impression 1 failed to enrol\n", skipped)
	}
	if cfg.limit > 0 && len(sources) > cfg.limit {
		sources = sources[:cfg.limit]
	}
	if len(sources) == 0 {
		return latentRun{}, errors.New("no impression to make a latent of")
	}
	if cfg.gallery < len(mates) {
		return latentRun{}, fmt.Errorf("--gallery %d is smaller than the %d exemplars", cfg.gallery, len(mates))
	}

	cases, err := simulateLatents(prints, sources, cfg.seed)
	if err != nil {
		return latentRun{}, err
	}
	var real []minutiae.Template
	for _, s := range prints {
		if !s.failed {
			real = append(real, s.template)
		}
	}
	model := fitDistractorModel(real)
	res := latentResult{
		Gallery: cfg.gallery, Mates: len(mates), Latents: len(cases),
		GOMAXPROCS: runtime.GOMAXPROCS(0), Seed: cfg.seed, ReverseFMR: cfg.reverseFMR,
	}
	var imageCounts, markedCounts, exemplarCounts []int
	for _, c := range cases {
		imageCounts = append(imageCounts, len(c.image.Minutiae))
		markedCounts = append(markedCounts, len(c.marked.Minutiae))
		exemplarCounts = append(exemplarCounts, len(prints[c.source].template.Minutiae))
		if len(c.image.Minutiae) < 2 {
			res.ImageNoMinutiae++
		}
	}
	res.ImageMinutiaeMedian, res.MarkedMinutiaeMedian = medianInt(imageCounts), medianInt(markedCounts)
	res.ExemplarMinutiaeMedian = medianInt(exemplarCounts)

	// The gallery: the exemplars as subjects of one finger of unknown
	// position, as the search suite enrols its mates, and the distractors.
	start := time.Now()
	var g matcher.Gallery
	for _, i := range mates {
		t := prints[i].template
		t.Position = minutiae.UnknownFinger
		if err := g.AddSubject(subjectOf(prints[i]), []minutiae.Template{t}); err != nil {
			return latentRun{}, err
		}
	}
	if err := addDistractors(&g, model, cfg.seed, cfg.gallery-len(mates)); err != nil {
		return latentRun{}, err
	}
	res.BuildSeconds = time.Since(start).Seconds()

	ctx := context.Background()
	var lat []time.Duration
	imageRanks := make([]int, len(cases))
	markedRanks := make([]int, len(cases))
	var noiseFreeRanks []int // with --noise-free
	// The kinds of probe searched, in the order of exRanks.
	const (
		probeImage = iota
		probeMarked
		probeNoiseFree // not part of the latency or the exhaustive ranks
	)
	type query struct {
		probe minutiae.Template
		rank  *int
		kind  int
	}
	perCase := 2
	if cfg.noiseFree {
		noiseFreeRanks = make([]int, len(cases))
		perCase++
	}
	progress := newProgress("latent searches", perCase*len(cases))
	var exRanks [2][]int // probeImage, probeMarked: ranks by the exhaustive search
	for k, c := range cases {
		want := subjectOf(prints[c.source])
		qs := []query{{c.image, &imageRanks[k], probeImage}, {c.marked, &markedRanks[k], probeMarked}}
		if cfg.noiseFree {
			qs = append(qs, query{c.noiseFree, &noiseFreeRanks[k], probeNoiseFree})
		}
		for _, q := range qs {
			*q.rank = math.MaxInt
			if len(q.probe.Minutiae) >= 2 {
				t0 := time.Now()
				cs, err := searchLatent(ctx, &g, q.probe, matcher.LatentOptions{Shortlist: cfg.shortlist})
				if err != nil {
					return latentRun{}, fmt.Errorf("latent of %s: %w", prints[c.source].path, err)
				}
				if q.kind != probeNoiseFree {
					// The noise-free markings are no probe an examiner
					// sends: they stay out of the latency.
					lat = append(lat, time.Since(t0))
				}
				*q.rank = rankOf(cs, want)
				if cfg.exhaustive && q.kind != probeNoiseFree {
					cs, err := searchLatent(ctx, &g, q.probe, matcher.LatentOptions{Exhaustive: true})
					if err != nil {
						return latentRun{}, fmt.Errorf("latent of %s: %w", prints[c.source].path, err)
					}
					exRanks[q.kind] = append(exRanks[q.kind], rankOf(cs, want))
				}
			} else if cfg.exhaustive && q.kind != probeNoiseFree {
				exRanks[q.kind] = append(exRanks[q.kind], math.MaxInt)
			}
			progress.add(1)
		}
	}
	progress.done()
	res.ImageRank1, res.ImageRank10, res.ImageRank100 = rate(imageRanks, 1), rate(imageRanks, 10), rate(imageRanks, 100)
	res.MarkedRank1, res.MarkedRank10, res.MarkedRank100 = rate(markedRanks, 1), rate(markedRanks, 10), rate(markedRanks, 100)
	if cfg.noiseFree {
		r := [3]float64{rate(noiseFreeRanks, 1), rate(noiseFreeRanks, 10), rate(noiseFreeRanks, 100)}
		res.NoiseFreeRank1, res.NoiseFreeRank10, res.NoiseFreeRank100 = &r[0], &r[1], &r[2]
	}
	if cfg.exhaustive {
		r := [4]float64{rate(exRanks[0], 1), rate(exRanks[0], 10), rate(exRanks[1], 1), rate(exRanks[1], 10)}
		res.ImageRank1Exhaustive, res.ImageRank10Exhaustive, res.MarkedRank1Exhaustive, res.MarkedRank10Exhaustive = &r[0], &r[1], &r[2], &r[3]
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		res.SearchMsMedian, res.SearchMsP99 = ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99))
	}

	if cfg.unsolved > 0 {
		if err := reverseSearch(ctx, &res, prints, mates, cases, model, cfg.seed, cfg.unsolved, cfg.reverseFMR); err != nil {
			return latentRun{}, err
		}
	}

	return latentRun{latentResult: res, latencies: lat}, nil
}

// latentSources lists the impressions the latent suite makes latents of:
// every impression but the first of each finger whose first enrolled,
// impression-major so that --limit spreads over fingers.
func latentSources(prints []sample) []int {
	enrolled := map[string]bool{}
	for _, s := range prints {
		if !s.failed && s.impression == 1 {
			enrolled[subjectOf(s)] = true
		}
	}
	var sources []int
	for imp := 2; imp <= impressions; imp++ {
		for i, s := range prints {
			if s.impression == imp && !s.failed && enrolled[subjectOf(s)] {
				sources = append(sources, i)
			}
		}
	}
	return sources
}

// simulateLatents makes the latent of each source impression, on
// GOMAXPROCS goroutines; each latent's randomness comes from the seed and
// the impression's name alone.
func simulateLatents(prints []sample, sources []int, seed uint64) ([]latentCase, error) {
	cases := make([]latentCase, len(sources))
	errs := make([]error, len(sources))
	progress := newProgress("simulated latents", len(sources))
	parallelFor(len(sources), func(k int) {
		s := prints[sources[k]]
		name := fmt.Sprintf("%s/%d", subjectOf(s), s.impression)
		cases[k].source = sources[k]
		img, err := decodeSetImage(s.path)
		if err != nil {
			errs[k] = err
			return
		}
		l, err := simulateLatent(img, latentSeed(seed, name))
		if err != nil {
			errs[k] = fmt.Errorf("%s: %w", s.path, err)
			return
		}
		// An image the extractor finds no print on is a latent without
		// minutiae, searched by no one: a miss, not an error.
		t, err := minutiae.Extract(l.Image, &minutiae.ExtractOptions{Impression: minutiae.Latent})
		if err == nil {
			cases[k].image = t
		}
		cases[k].marked = simulateMarking(l, s.template, latentSeed(seed, name+"/marking"))
		cases[k].noiseFree = noiseFreeMarking(l, s.template)
		progress.add(1)
	})
	progress.done()
	return cases, errors.Join(errs...)
}

// reverseSearch files the markings (at most unsolved of them) and
// synthetic latent-sized templates up to unsolved as unsolved latents,
// then searches them with every exemplar that has a mated latent on file,
// timing each search and counting the mated latents found at FMR ≤ maxFMR.
func reverseSearch(ctx context.Context, res *latentResult, prints []sample, mates []int, cases []latentCase, model *distractorModel, seed uint64, unsolved int, maxFMR float64) error {
	lg := matcher.Gallery{LatentFile: true}
	onFile := map[string][]string{} // exemplar subject → its latents on file
	filed := 0
	for k, c := range cases {
		if filed == unsolved {
			break
		}
		if len(c.marked.Minutiae) < 2 {
			continue
		}
		name := fmt.Sprintf("latent-%d", k)
		if err := lg.AddSubject(name, []minutiae.Template{c.marked}); err != nil {
			return err
		}
		mate := subjectOf(prints[c.source])
		onFile[mate] = append(onFile[mate], name)
		filed++
	}
	res.ReverseMated = filed
	synthetic := make([]minutiae.Template, unsolved-filed)
	parallelFor(len(synthetic), func(k int) {
		synthetic[k] = syntheticLatent(model, rand.New(rand.NewPCG(seed^unsolvedSalt, uint64(k))))
	})
	for k, t := range synthetic {
		if err := lg.AddSubject(fmt.Sprintf("unsolved-synthetic-%d", k), []minutiae.Template{t}); err != nil {
			return err
		}
	}
	fingers, _ := lg.Len()
	res.Unsolved = fingers

	var lat []time.Duration
	found, mated := 0, 0
	for _, i := range mates {
		want := onFile[subjectOf(prints[i])]
		if len(want) == 0 {
			continue
		}
		t := prints[i].template
		t.Position = minutiae.UnknownFinger
		t0 := time.Now()
		cs, err := searchUnsolved(ctx, &lg, t, maxFMR)
		if err != nil {
			return fmt.Errorf("reverse search with %s: %w", prints[i].path, err)
		}
		lat = append(lat, time.Since(t0))
		for _, name := range want {
			mated++
			if r := rankOf(cs, name); r != math.MaxInt && cs[r-1].FMR <= maxFMR {
				found++
			}
		}
	}
	res.ReverseEnrolments = len(lat)
	if len(lat) > 0 {
		slices.Sort(lat)
		res.ReverseMsPerEnrolmentMedian, res.ReverseMsPerEnrolmentP99 = ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99))
		res.ReverseFound = 100 * float64(found) / float64(mated)
	}
	return nil
}

// unsolvedSalt separates the synthetic unsolved latents' random numbers
// from the gallery distractors'.
const unsolvedSalt = 0x1A7E

// syntheticLatent is a latent-sized synthetic template: a synthetic
// finger of the distractor model cut to the areaMin–areaMax share of its
// minutiae nearest a point of its inner half, then marked as
// simulateMarking marks (markMiss of them missed, markSpuriousMin to
// markSpuriousMax spurious ones added within the cut), labelled a marked
// latent (LatentTracing) as the markings on file are.
// A cut left with fewer than two minutiae, which a gallery cannot hold, is
// drawn again.
func syntheticLatent(model *distractorModel, rng *rand.Rand) minutiae.Template {
	for {
		if t := cutLatent(model.Template(rng), rng); len(t.Minutiae) >= 2 {
			return t
		}
	}
}

// cutLatent is one draw of syntheticLatent's cut and marking of t.
func cutLatent(t minutiae.Template, rng *rand.Rand) minutiae.Template {
	ms := t.Minutiae
	if len(ms) < 2 {
		return minutiae.Template{}
	}
	var cx, cy float64
	for _, m := range ms {
		cx, cy = cx+float64(m.X), cy+float64(m.Y)
	}
	cx, cy = cx/float64(len(ms)), cy/float64(len(ms))
	// The centre of the cut: a minutia among the half nearest the
	// centroid, so that the cut is of ridges, not the print's rim.
	byCentre := slices.Clone(ms)
	dist := func(m minutiae.Minutia, x, y float64) float64 { return math.Hypot(float64(m.X)-x, float64(m.Y)-y) }
	slices.SortFunc(byCentre, func(a, b minutiae.Minutia) int { return cmp.Compare(dist(a, cx, cy), dist(b, cx, cy)) })
	c := byCentre[rng.IntN(max(1, len(byCentre)/2))]
	px, py := float64(c.X), float64(c.Y)
	slices.SortFunc(byCentre, func(a, b minutiae.Minutia) int { return cmp.Compare(dist(a, px, py), dist(b, px, py)) })
	keep := max(2, int(math.Ceil((areaMin+(areaMax-areaMin)*rng.Float64())*float64(len(ms)))))
	cut := byCentre[:min(keep, len(byCentre))]
	radius := dist(cut[len(cut)-1], px, py)
	out := minutiae.Template{Width: t.Width, Height: t.Height, Position: minutiae.UnknownFinger, Impression: minutiae.LatentTracing}
	for _, m := range cut {
		if rng.Float64() >= markMiss {
			m.Quality = 0
			out.Minutiae = append(out.Minutiae, m)
		}
	}
	for range spuriousMarks(rng) {
		r, a := radius*math.Sqrt(rng.Float64()), 2*math.Pi*rng.Float64()
		out.Minutiae = append(out.Minutiae, spuriousMark(clampTo(px+r*math.Cos(a), t.Width), clampTo(py+r*math.Sin(a), t.Height), rng))
	}
	rng.Shuffle(len(out.Minutiae), func(i, j int) { out.Minutiae[i], out.Minutiae[j] = out.Minutiae[j], out.Minutiae[i] })
	return out
}

func medianInt(v []int) int {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func printLatent(w io.Writer, r latentResult) {
	fmt.Fprintf(w, "gallery %d fingers (%d exemplars + %d synthetic), %d simulated latents (seed %d), GOMAXPROCS %d, build %.1f s\n",
		r.Gallery, r.Mates, r.Gallery-r.Mates, r.Latents, r.Seed, r.GOMAXPROCS, r.BuildSeconds)
	fmt.Fprintf(w, "minutiae (median): exemplar %d, latent image %d (%d images with fewer than 2), marking %d\n",
		r.ExemplarMinutiaeMedian, r.ImageMinutiaeMedian, r.ImageNoMinutiae, r.MarkedMinutiaeMedian)
	fmt.Fprintf(w, "%-16s %9s %9s %9s\n", "", "rank-1", "rank-10", "rank-100")
	fmt.Fprintf(w, "%-16s %8.2f%% %8.2f%% %8.2f%%\n", "image latents", r.ImageRank1, r.ImageRank10, r.ImageRank100)
	fmt.Fprintf(w, "%-16s %8.2f%% %8.2f%% %8.2f%%\n", "marked latents", r.MarkedRank1, r.MarkedRank10, r.MarkedRank100)
	if r.NoiseFreeRank1 != nil {
		fmt.Fprintf(w, "%-16s %8.2f%% %8.2f%% %8.2f%%\n", "noise-free marks", *r.NoiseFreeRank1, *r.NoiseFreeRank10, *r.NoiseFreeRank100)
	}
	if r.ImageRank10Exhaustive != nil {
		fmt.Fprintf(w, "%-16s %8.2f%% %8.2f%%\n", "image exhaustive", *r.ImageRank1Exhaustive, *r.ImageRank10Exhaustive)
		fmt.Fprintf(w, "%-16s %8.2f%% %8.2f%%\n", "marked exhaust.", *r.MarkedRank1Exhaustive, *r.MarkedRank10Exhaustive)
	}
	fmt.Fprintf(w, "search: median %.1f ms, p99 %.1f ms\n", r.SearchMsMedian, r.SearchMsP99)
	if r.Unsolved > 0 {
		fmt.Fprintf(w, "reverse search: %d unsolved latents on file (%d mated markings), %d exemplar fingers searched: median %.1f ms, p99 %.1f ms per finger; mated latents found at FMR ≤ %g: %.2f%%\n",
			r.Unsolved, r.ReverseMated, r.ReverseEnrolments, r.ReverseMsPerEnrolmentMedian, r.ReverseMsPerEnrolmentP99, r.ReverseFMR, r.ReverseFound)
	}
}
