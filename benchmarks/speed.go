package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/whorlafis/whorl/matcher"
)

// speedResult is the JSON of the speed suite. ExtractMsMedian is null for
// template sources that read stored templates instead of extracting.
type speedResult struct {
	ExtractMsMedian *float64 `json:"extract_ms_median"`
	PrepareUsMedian float64  `json:"prepare_us_median"`
	ComparePerSec   float64  `json:"compare_per_sec"`
	Comparisons     int      `json:"comparisons"`
}

// runSpeed measures, on one goroutine, the time to obtain and prepare each
// template, and the comparisons per second of one Matcher against prepared
// templates: every template of each set as probe against every other
// template of its set, probe by probe, as a search scans a gallery.
func runSpeed(args []string) error {
	suite := newSetSuite("speed", "usage: go run ./benchmarks speed [flags] DIR...\n\nEach DIR is an FVC set folder.")
	fs := suite.fs
	jsonOut := fs.String("json", "", "write the results as JSON to this file")
	rounds := fs.Int("rounds", 9, "passes over all pairs; the median pass's rate is reported, so a burst of load on a shared machine does not decide the figure")
	src, err := suite.parse(args)
	if err != nil {
		return err
	}
	if *rounds < 1 {
		return fmt.Errorf("--rounds %d: need at least 1", *rounds)
	}
	run, err := measureSpeed(fs.Args(), src, *suite.source != "iso", *rounds)
	if err != nil {
		return err
	}
	res := run.speedResult
	fmt.Printf("templates %s: %d templates, prepare median %.1f µs\n", *suite.source, run.templates, res.PrepareUsMedian)
	if res.ExtractMsMedian != nil {
		fmt.Printf("extraction median %.2f ms per image\n", *res.ExtractMsMedian)
	}
	fmt.Printf("%d comparisons a pass, %d passes in %v on one goroutine: %.0f comparisons/s (median pass; slowest %.0f, fastest %.0f)\n",
		res.Comparisons, *rounds, run.elapsed.Round(time.Millisecond), res.ComparePerSec, run.rates[0], run.rates[len(run.rates)-1])
	if *jsonOut != "" {
		return writeJSON(*jsonOut, res)
	}
	return nil
}

// speedRun is what measureSpeed measured: the result, the templates
// obtained, each pass's rate (ascending) and the passes' total time.
type speedRun struct {
	speedResult
	templates int
	rates     []float64
	elapsed   time.Duration
}

// measureSpeed times obtaining and preparing every template of the sets,
// then rounds passes of one Matcher over every ordered pair within each
// set. extracts says the source extracts (its time is reported) rather
// than reading stored templates.
func measureSpeed(dirs []string, src TemplateSource, extracts bool, rounds int) (speedRun, error) {
	var sourceTimes, prepareTimes []time.Duration
	var sets [][]*matcher.Prepared
	for _, dir := range dirs {
		var set []*matcher.Prepared
		for f := range fingers {
			for i := 1; i <= impressions; i++ {
				path := filepath.Join(dir, fmt.Sprintf("%d_%d.tif", firstFinger+f, i))
				if _, err := os.Stat(path); err != nil {
					return speedRun{}, fmt.Errorf("set %s: %w", dir, err)
				}
				t0 := time.Now()
				t, err := src(path)
				t1 := time.Now()
				if err != nil {
					continue // a failure to enrol; the accuracy suite counts them
				}
				p := matcher.Prepare(t)
				sourceTimes = append(sourceTimes, t1.Sub(t0))
				prepareTimes = append(prepareTimes, time.Since(t1))
				set = append(set, p)
			}
		}
		if len(set) < 2 {
			return speedRun{}, fmt.Errorf("set %s: %d templates; comparing needs at least 2", dir, len(set))
		}
		sets = append(sets, set)
	}
	total := 0
	for _, s := range sets {
		total += len(s) * (len(s) - 1)
	}
	progress := newProgress("comparisons", total*rounds)
	m := matcher.NewMatcher()
	n := 0
	var rates []float64
	var elapsed time.Duration
	for range rounds {
		n = 0
		start := time.Now()
		for _, set := range sets {
			for i, probe := range set {
				for j, cand := range set {
					if i != j {
						m.Compare(probe, cand)
						n++
					}
				}
				progress.add(len(set) - 1)
			}
		}
		d := time.Since(start)
		elapsed += d
		rates = append(rates, float64(n)/d.Seconds())
	}
	progress.done()
	slices.Sort(rates)
	run := speedRun{
		speedResult: speedResult{
			PrepareUsMedian: float64(median(prepareTimes).Nanoseconds()) / 1e3,
			ComparePerSec:   rates[len(rates)/2],
			Comparisons:     n,
		},
		templates: len(prepareTimes),
		rates:     rates,
		elapsed:   elapsed,
	}
	if extracts {
		ms := float64(median(sourceTimes).Nanoseconds()) / 1e6
		run.ExtractMsMedian = &ms
	}
	return run, nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
