package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/whorlafis/whorl/matcher"
	"github.com/whorlafis/whorl/minutiae"
)

// searchResult is what `search --json` writes. Rates are percentages of
// the probes.
type searchResult struct {
	Gallery         int      `json:"gallery"`
	Mates           int      `json:"mates"`
	Probes          int      `json:"probes"`
	Rank1           float64  `json:"rank1"`
	Rank10          float64  `json:"rank10"`
	Rank1Exhaustive *float64 `json:"rank1_exhaustive"`
	// Rank10Exhaustive and ShortlistLost (probes whose mate the exhaustive
	// search ranks first and the indexed search does not) come with
	// --exhaustive.
	Rank10Exhaustive *float64 `json:"rank10_exhaustive,omitempty"`
	ShortlistLost    *int     `json:"shortlist_lost,omitempty"`
	// ShortlistMisses counts, at any gallery size, the probes whose mate
	// the indexed search did not rank first although the precise matcher
	// scores the mate above the candidate it did rank first: mates the
	// shortlist lost. (When the first candidate outscores the mate, the
	// exhaustive search would not rank the mate first either.)
	ShortlistMisses int     `json:"shortlist_misses"`
	SearchMsMedian  float64 `json:"search_ms_median"`
	SearchMsP99     float64 `json:"search_ms_p99"`
	BytesPerFinger  float64 `json:"bytes_per_finger"`
	BuildSeconds    float64 `json:"build_seconds"`
	GOMAXPROCS      int     `json:"gomaxprocs"`
	// Realism compares the probes' scores against the synthetic
	// distractors with their scores against real impostors.
	Realism *realismReport `json:"realism,omitempty"`
	Fusion  *fusionResult  `json:"fusion,omitempty"`
}

// fusionResult is the subject rank-1 rate of tenprint identification with
// 1, 2 and 10 probe fingers, over chimeric subjects.
type fusionResult struct {
	Subjects        int     `json:"subjects"`
	GallerySubjects int     `json:"gallery_subjects"`
	Rank1Finger1    float64 `json:"rank1_1finger"`
	Rank1Finger2    float64 `json:"rank1_2fingers"`
	Rank1Finger10   float64 `json:"rank1_10fingers"`
	Probes1         int     `json:"probes_1finger"`
	Probes2         int     `json:"probes_2fingers"`
	Probes10        int     `json:"probes_10fingers"`
	MsMedian10      float64 `json:"identify_ms_median_10fingers"`
}

func runSearch(args []string) error {
	suite := newSetSuite("search", "usage: go run ./benchmarks search [flags] DIR...\n\nEach DIR is an FVC set folder (<finger>_<impression>.tif, fingers 101–110, impressions 1–8).\nImpression 1 of every finger is enrolled; impressions 2–8 are the mated probes.")
	fs := suite.fs
	size := fs.Int("gallery", 100_000, "fingers in the gallery: the first impression of every finger of the sets, plus synthetic distractors up to this number")
	exhaustive := fs.Bool("exhaustive", false, "also search by comparing every entry with the precise matcher (slow), to measure what the first stage loses")
	fusion := fs.Bool("fusion", false, "also identify chimeric ten-finger subjects made of the sets' fingers, with 1, 2 and 10 probe fingers")
	top := fs.Int("top", 10, "candidates per search")
	shortlist := fs.Int("shortlist", 0, "entries the first stage hands to the precise matcher (0: the matcher's default)")
	realism := fs.Int("realism", 5000, "synthetic distractors scored against every probe to compare their score distribution with real impostors' (0: skip)")
	seed := fs.Uint64("seed", 1, "seed of the synthetic distractors")
	jsonOut := fs.String("json", "", "write the results as JSON to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the indexed searches to this file")
	src, err := suite.parse(args)
	if err != nil {
		return err
	}
	run, err := measureSearch(searchConfig{
		dirs: fs.Args(), src: src, gallery: *size, exhaustive: *exhaustive, fusion: *fusion, top: *top,
		shortlist: *shortlist, realism: *realism, seed: *seed, cpuProfile: *cpuProfile,
	})
	if err != nil {
		return err
	}
	res := run.searchResult
	printSearch(os.Stdout, res)
	if *jsonOut != "" {
		return writeJSON(*jsonOut, res)
	}
	return nil
}

// searchConfig is what a search run measures: the search suite's flags.
type searchConfig struct {
	dirs       []string
	src        TemplateSource
	gallery    int
	exhaustive bool
	fusion     bool
	top        int
	shortlist  int
	realism    int
	seed       uint64
	cpuProfile string
}

// searchRun is what measureSearch measured: the result and every indexed
// search's latency, ascending.
type searchRun struct {
	searchResult
	latencies []time.Duration
}

// measureSearch builds the gallery of the sets' first impressions and
// synthetic distractors and searches it with every other impression.
func measureSearch(cfg searchConfig) (searchRun, error) {
	var prints []sample
	fingerID := map[string]int{} // set/finger → global finger number
	var fingerOf []int
	for _, dir := range cfg.dirs {
		samples, err := loadSet(dir, cfg.src)
		if err != nil {
			return searchRun{}, err
		}
		set := filepath.Base(filepath.Clean(dir))
		for _, s := range samples {
			id := fmt.Sprintf("%s-%d", set, s.finger)
			if _, ok := fingerID[id]; !ok {
				fingerID[id] = len(fingerID)
			}
			prints = append(prints, s)
			fingerOf = append(fingerOf, fingerID[id])
		}
	}
	var mates, probes []int // indexes into prints
	enrolled := map[string]bool{}
	for i, s := range prints {
		if !s.failed && s.impression == 1 {
			mates = append(mates, i)
			enrolled[subjectOf(s)] = true
		}
	}
	noMate := 0 // probes whose impression 1 failed to enrol: left out
	for i, s := range prints {
		switch {
		case s.failed || s.impression == 1:
		case !enrolled[subjectOf(s)]:
			noMate++
		default:
			probes = append(probes, i)
		}
	}
	if noMate > 0 {
		fmt.Fprintf(os.Stderr, "%d probes left out: their finger's impression 1 failed to enrol\n", noMate)
	}
	if len(probes) == 0 {
		return searchRun{}, errors.New("no probe with an enrolled mate")
	}
	if cfg.gallery < len(mates) {
		return searchRun{}, fmt.Errorf("--gallery %d is smaller than the %d mates", cfg.gallery, len(mates))
	}
	var real []minutiae.Template
	for _, s := range prints {
		if !s.failed {
			real = append(real, s.template)
		}
	}
	model := fitDistractorModel(real)
	res := searchResult{Gallery: cfg.gallery, Mates: len(mates), Probes: len(probes), GOMAXPROCS: runtime.GOMAXPROCS(0)}

	// The gallery: the mates as subjects of one finger of unknown position,
	// the distractors as subjects of ten fingers. Bytes per finger are the
	// heap the gallery holds once built, after garbage collection.
	heapBefore := liveHeap()
	start := time.Now()
	var g matcher.Gallery
	for _, i := range mates {
		s := prints[i]
		t := s.template
		t.Position = minutiae.UnknownFinger
		if err := g.AddSubject(subjectOf(s), []minutiae.Template{t}); err != nil {
			return searchRun{}, err
		}
	}
	if err := addDistractors(&g, model, cfg.seed, cfg.gallery-len(mates)); err != nil {
		return searchRun{}, err
	}
	res.BuildSeconds = time.Since(start).Seconds()
	res.BytesPerFinger = float64(liveHeap()-heapBefore) / float64(cfg.gallery)
	runtime.KeepAlive(&g)

	// The searches, one after the other, each on all GOMAXPROCS.
	ctx := context.Background()
	opt := matcher.SearchOptions{Top: cfg.top, Shortlist: cfg.shortlist}
	var lat []time.Duration
	ranks := make([]int, len(probes))
	mateOf := map[string]*matcher.Prepared{}
	for _, i := range mates {
		mateOf[subjectOf(prints[i])] = matcher.Prepare(matcher.Stored(prints[i].template))
	}
	var misses []int // probes lost by the shortlist, checked after the timed searches
	var tops []float64
	var firsts []matcher.Key // each search's first candidate, for WHORL_SEARCH_DEBUG
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return searchRun{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return searchRun{}, err
		}
	}
	progress := newProgress("searches", len(probes))
	for k, i := range probes {
		t0 := time.Now()
		cs, err := g.Search(ctx, prints[i].template, opt)
		if err != nil {
			return searchRun{}, err
		}
		lat = append(lat, time.Since(t0))
		ranks[k] = rankOf(cs, subjectOf(prints[i]))
		top, first := 0.0, matcher.Key{}
		if len(cs) > 0 {
			top, first = cs[0].Score, cs[0].Key
		}
		tops = append(tops, top)
		firsts = append(firsts, first)
		progress.add(1)
	}
	progress.done()
	pprof.StopCPUProfile()
	res.Rank1, res.Rank10 = rate(ranks, 1), rate(ranks, 10)
	debug := os.Getenv("WHORL_SEARCH_DEBUG") != ""
	for k, i := range probes {
		if ranks[k] == 1 {
			continue
		}
		mate := matcher.Score(matcher.Prepare(prints[i].template), mateOf[subjectOf(prints[i])])
		lost := mate > tops[k]
		if lost {
			misses = append(misses, k)
		}
		if debug {
			rank := "not in the candidates"
			if ranks[k] <= cfg.top {
				rank = fmt.Sprintf("rank %d", ranks[k])
			}
			why := "outscored"
			if lost {
				why = "lost by the shortlist"
			}
			fmt.Fprintf(os.Stderr, "%s: %s, %s: mate %.1f, first %.1f (%s)\n", prints[i].path, rank, why, mate, tops[k], firsts[k])
		}
	}
	res.ShortlistMisses = len(misses)
	slices.Sort(lat)
	res.SearchMsMedian = ms(percentile(lat, 0.5))
	res.SearchMsP99 = ms(percentile(lat, 0.99))

	if cfg.exhaustive {
		exRanks := exhaustiveRanks(prints, mates, probes, model, cfg.seed, cfg.gallery)
		lost := 0
		for k := range probes {
			if exRanks[k] == 1 && ranks[k] != 1 {
				lost++
			}
		}
		r1, r10 := rate(exRanks, 1), rate(exRanks, 10)
		res.Rank1Exhaustive, res.Rank10Exhaustive, res.ShortlistLost = &r1, &r10, &lost
	}

	if cfg.realism > 0 {
		rng := rand.New(rand.NewPCG(cfg.seed, 0x5EA))
		synth := make([]minutiae.Template, cfg.realism)
		for i := range synth {
			synth[i] = model.Template(rng)
		}
		var pt []minutiae.Template
		var pf []int
		for _, i := range probes {
			pt = append(pt, prints[i].template)
			pf = append(pf, fingerOf[i])
		}
		var rt []minutiae.Template
		var rf []int
		for i, s := range prints {
			if !s.failed {
				rt = append(rt, s.template)
				rf = append(rf, fingerOf[i])
			}
		}
		r := distractorRealismPrepared(matcher.Prepare, matcher.Score, pt, pf, rt, rf, synth)
		res.Realism = &r
	}

	if cfg.fusion {
		fr, err := runFusion(prints, cfg.gallery, model, cfg.seed)
		if err != nil {
			return searchRun{}, err
		}
		res.Fusion = fr
	}

	return searchRun{searchResult: res, latencies: lat}, nil
}

func subjectOf(s sample) string {
	return fmt.Sprintf("%s-%d", filepath.Base(filepath.Dir(s.path)), s.finger)
}

// rankOf is the 1-based rank of the subject among the candidates, or
// math.MaxInt when absent.
func rankOf(cs []matcher.Candidate, subject string) int {
	for i, c := range cs {
		if c.Key.Subject == subject {
			return i + 1
		}
	}
	return math.MaxInt
}

// rate is the percentage of ranks at most k.
func rate(ranks []int, k int) float64 {
	n := 0
	for _, r := range ranks {
		if r <= k {
			n++
		}
	}
	return 100 * float64(n) / float64(max(len(ranks), 1))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// percentile returns the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[max(0, int(math.Ceil(p*float64(len(sorted))))-1)]
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// exhaustiveRanks compares every probe with every gallery entry (the same
// mates and the same distractors that addDistractors made, in the form the
// gallery stores them, so that scores equal the search's) and returns the
// rank of each probe's mate: 1 + the number of entries of other subjects
// scoring higher, or size + 1 when the mate scores 0 (no match at all).
// The mates are compared first, then the distractors are made, compared
// with every probe and dropped a subject at a time, on GOMAXPROCS
// goroutines, so that a gallery of any size fits in memory (a prepared
// entry is about 30 KB).
func exhaustiveRanks(prints []sample, mates, probes []int, model *distractorModel, seed uint64, size int) []int {
	probeEntries := make([]*matcher.Prepared, len(probes))
	for k, i := range probes {
		probeEntries[k] = matcher.Prepare(prints[i].template)
	}
	// The mates first: each probe's mate score, and the real fingers of
	// other subjects above it.
	mateEntries := make([]*matcher.Prepared, len(mates))
	for r, j := range mates {
		mateEntries[r] = matcher.Prepare(matcher.Stored(prints[j].template))
	}
	mateScore := make([]float64, len(probes))
	above := make([]int, len(probes))
	for k, i := range probes {
		want := subjectOf(prints[i])
		var others []float64
		for r, j := range mates {
			s := matcher.Score(probeEntries[k], mateEntries[r])
			if subjectOf(prints[j]) == want {
				mateScore[k] = max(mateScore[k], s)
			} else {
				others = append(others, s)
			}
		}
		for _, s := range others {
			if s > mateScore[k] {
				above[k]++
			}
		}
	}
	n := size - len(mates)
	subjects := (n + distractorFingers - 1) / distractorFingers
	progress := newProgress("exhaustive: distractors", n)
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			m := matcher.NewMatcher()
			local := make([]int, len(probes))
			for {
				subject := int(next.Add(1)) - 1
				if subject >= subjects {
					break
				}
				fingers := syntheticSubject(model, seed, subject, n)
				for _, f := range fingers {
					entry := matcher.Prepare(matcher.Stored(f))
					for q, probe := range probeEntries {
						if m.Compare(probe, entry).Score > mateScore[q] {
							local[q]++
						}
					}
				}
				progress.add(len(fingers))
			}
			mu.Lock()
			for q, c := range local {
				above[q] += c
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	progress.done()
	ranks := make([]int, len(probes))
	for k := range probes {
		ranks[k] = 1 + above[k]
		if mateScore[k] == 0 {
			ranks[k] = size + 1
		}
	}
	return ranks
}

// distractorFingers is how many fingers a synthetic subject has.
const distractorFingers = 10

// syntheticSubject makes the fingers of synthetic subject k of n
// distractor fingers: ten (the last subject possibly fewer), at positions
// 1, 2, …, from the subject's own seeded generator, so that every suite
// that enrols or compares the distractors (the gallery, the exhaustive
// ranks, the load suite's server) sees the same ones, whatever the order
// the subjects are made in.
func syntheticSubject(model *distractorModel, seed uint64, k, n int) []minutiae.Template {
	rng := rand.New(rand.NewPCG(seed, uint64(k)))
	fingers := make([]minutiae.Template, min(distractorFingers, n-k*distractorFingers))
	for p := range fingers {
		fingers[p] = model.Template(rng)
		fingers[p].Position = minutiae.FingerPosition(1 + p)
	}
	return fingers
}

// addDistractors enrols n synthetic fingers as ten-finger subjects
// "synthetic-<k>" (the last one possibly smaller), built on GOMAXPROCS
// goroutines. Distractor k is made from its own seeded generator, so the
// gallery's contents do not depend on the goroutines' timing.
func addDistractors(g *matcher.Gallery, model *distractorModel, seed uint64, n int) error {
	subjects := (n + distractorFingers - 1) / distractorFingers
	progress := newProgress("gallery", n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= subjects {
					return
				}
				fingers := syntheticSubject(model, seed, k, n)
				if err := g.AddSubject(fmt.Sprintf("synthetic-%d", k), fingers); err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
					return
				}
				progress.add(len(fingers))
			}
		})
	}
	wg.Wait()
	progress.done()
	return firstErr
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// runFusion builds a gallery of chimeric ten-finger subjects — each made of
// ten different fingers of the sets, impression 1, at positions 1–10 —
// plus ten-finger synthetic subjects up to size fingers, and identifies
// every subject with impressions 2–8 of its fingers: each finger alone,
// pairs of like fingers of both hands (positions p and p+5), and all ten.
func runFusion(prints []sample, size int, model *distractorModel, seed uint64) (*fusionResult, error) {
	// byFinger[f][impression] is the sample; fingers with a failed
	// impression are skipped.
	type finger map[int]sample
	var fingers []finger
	index := map[string]int{}
	for _, s := range prints {
		id := subjectOf(s)
		if _, ok := index[id]; !ok {
			index[id] = len(fingers)
			fingers = append(fingers, finger{})
		}
		fingers[index[id]][s.impression] = s
	}
	var usable []finger
	for _, f := range fingers {
		ok := len(f) == impressions
		for _, s := range f {
			ok = ok && !s.failed
		}
		if ok {
			usable = append(usable, f)
		}
	}
	subjects := len(usable) / distractorFingers
	if subjects == 0 {
		return nil, fmt.Errorf("fusion needs at least %d fingers with all %d impressions; the sets give %d", distractorFingers, impressions, len(usable))
	}
	var g matcher.Gallery
	for s := range subjects {
		var fs []minutiae.Template
		for p := range distractorFingers {
			t := usable[s*distractorFingers+p][1].template
			t.Position = minutiae.FingerPosition(1 + p)
			fs = append(fs, t)
		}
		if err := g.AddSubject(fmt.Sprintf("chimera-%d", s), fs); err != nil {
			return nil, err
		}
	}
	if err := addDistractors(&g, model, seed^0xF05E, max(0, size-subjects*distractorFingers)); err != nil {
		return nil, err
	}
	_, gallerySubjects := g.Len()
	res := &fusionResult{Subjects: subjects, GallerySubjects: gallerySubjects}
	ctx := context.Background()
	var hits1, hits2, hits10 int
	var lat10 []time.Duration
	progress := newProgress("fusion identifications", subjects*(impressions-1))
	for s := range subjects {
		want := fmt.Sprintf("chimera-%d", s)
		for imp := 2; imp <= impressions; imp++ {
			probe := make([]minutiae.Template, distractorFingers)
			for p := range distractorFingers {
				probe[p] = usable[s*distractorFingers+p][imp].template
				probe[p].Position = minutiae.FingerPosition(1 + p)
			}
			first := func(fs []minutiae.Template) (bool, error) {
				cs, err := g.Identify(ctx, fs, matcher.SearchOptions{Top: 1})
				return len(cs) > 0 && cs[0].Subject == want, err
			}
			for p := range distractorFingers {
				ok, err := first(probe[p : p+1])
				if err != nil {
					return nil, err
				}
				res.Probes1++
				if ok {
					hits1++
				}
			}
			for p := range distractorFingers / 2 {
				ok, err := first([]minutiae.Template{probe[p], probe[p+5]})
				if err != nil {
					return nil, err
				}
				res.Probes2++
				if ok {
					hits2++
				}
			}
			t0 := time.Now()
			ok, err := first(probe)
			if err != nil {
				return nil, err
			}
			lat10 = append(lat10, time.Since(t0))
			res.Probes10++
			if ok {
				hits10++
			}
			progress.add(1)
		}
	}
	progress.done()
	res.Rank1Finger1 = 100 * float64(hits1) / float64(res.Probes1)
	res.Rank1Finger2 = 100 * float64(hits2) / float64(res.Probes2)
	res.Rank1Finger10 = 100 * float64(hits10) / float64(res.Probes10)
	slices.Sort(lat10)
	res.MsMedian10 = ms(percentile(lat10, 0.5))
	return res, nil
}

func printSearch(w io.Writer, r searchResult) {
	fmt.Fprintf(w, "gallery %d fingers (%d mates + %d synthetic), %d mated probes, GOMAXPROCS %d\n",
		r.Gallery, r.Mates, r.Gallery-r.Mates, r.Probes, r.GOMAXPROCS)
	fmt.Fprintf(w, "build %.1f s, %.0f bytes per finger (live heap)\n", r.BuildSeconds, r.BytesPerFinger)
	fmt.Fprintf(w, "search: median %.1f ms, p99 %.1f ms\n", r.SearchMsMedian, r.SearchMsP99)
	fmt.Fprintf(w, "indexed:    rank-1 %6.2f %%  rank-10 %6.2f %%  (mates the shortlist lost, scoring above the first candidate: %d)\n", r.Rank1, r.Rank10, r.ShortlistMisses)
	if r.Rank1Exhaustive != nil {
		fmt.Fprintf(w, "exhaustive: rank-1 %6.2f %%  rank-10 %6.2f %%  (mates ranked first by the exhaustive search but not by the indexed one: %d)\n",
			*r.Rank1Exhaustive, *r.Rank10Exhaustive, *r.ShortlistLost)
	}
	if r.Realism != nil {
		fmt.Fprintln(w, "\nscores of the probes against real impostors and against synthetic distractors:")
		r.Realism.print(w)
	}
	if f := r.Fusion; f != nil {
		fmt.Fprintf(w, "\nfusion: %d chimeric ten-finger subjects among %d subjects\n", f.Subjects, f.GallerySubjects)
		fmt.Fprintf(w, "subject rank-1:  1 finger %6.2f %% (%d)  2 fingers %6.2f %% (%d)  10 fingers %6.2f %% (%d), 10-finger identification median %.0f ms\n",
			f.Rank1Finger1, f.Probes1, f.Rank1Finger2, f.Probes2, f.Rank1Finger10, f.Probes10, f.MsMedian10)
	}
}
