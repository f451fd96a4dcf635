package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/whorlafis/whorl/minutiae"
)

// reportSuites are the suites the report can run, in the order it runs
// them.
var reportSuites = []string{"accuracy", "speed", "search", "latent", "load"}

// reportConfig is the run's configuration, shown at the top of the page.
type reportConfig struct {
	Date       string   `json:"date"`
	GoVersion  string   `json:"go_version"`
	GOMAXPROCS int      `json:"gomaxprocs"`
	NumCPU     int      `json:"num_cpu"`
	GitCommit  string   `json:"git_commit"`
	Quick      bool     `json:"quick"`
	Suites     []string `json:"suites"`
	Sets       []string `json:"sets"`
	Templates  string   `json:"templates"`
	Protocol   string   `json:"protocol"`
	// Sizes of each suite, as the flags set them.
	SpeedRounds    int    `json:"speed_rounds"`
	SearchGallery  int    `json:"search_gallery"`
	LatentGallery  int    `json:"latent_gallery"`
	LatentUnsolved int    `json:"latent_unsolved"`
	LatentLimit    int    `json:"latent_limit"`
	LoadGallery    int    `json:"load_gallery"`
	LoadClients    []int  `json:"load_clients"`
	LoadDuration   string `json:"load_duration"`
	LoadSets       string `json:"load_sets"`
	// Seconds is each suite's wall time; TotalSeconds the whole run's.
	Seconds      map[string]float64 `json:"seconds"`
	TotalSeconds float64            `json:"total_seconds"`
}

// reportData is everything the page shows; report.json is it marshalled
// (raw scores and latencies stay out of the JSON: the plots draw them).
type reportData struct {
	Config   reportConfig  `json:"config"`
	Accuracy *accuracyRun  `json:"accuracy,omitempty"`
	Speed    *speedResult  `json:"speed,omitempty"`
	Search   *searchRun    `json:"search,omitempty"`
	Latent   *latentRun    `json:"latent,omitempty"`
	Load     *loadCurve    `json:"load,omitempty"`
	speedRun *speedRun     // for the passes' spread
	errs     []suiteFailed // suites that failed; the others are still reported
}

// suiteFailed is a suite whose run failed, with why.
type suiteFailed struct{ Suite, Err string }

// quickSizes are --quick's values of the size flags, for tests: every
// suite runs in a few seconds on one set.
var quickSizes = map[string]string{
	"speed-rounds":       "1",
	"search-gallery":     "300",
	"latent-gallery":     "300",
	"latent-unsolved":    "50",
	"latent-limit":       "10",
	"load-gallery":       "200",
	"load-clients":       "1,2",
	"load-duration":      "2s",
	"load-probe-fingers": "2",
}

func runReport(args []string) error {
	suite := newSetSuite("report", "usage: go run ./benchmarks report --out DIR [flags] SET...\n\n"+
		"Runs the accuracy, speed, search, latent and load suites on the FVC set folders SET... and writes\n"+
		"DIR/index.html (one self-contained page: tables and inline SVG plots) and DIR/report.json.\n"+
		"The load suite's mated subjects are the same sets (they must share one parent folder).")
	fs := suite.fs
	out := fs.String("out", "", "the directory to write index.html and report.json to (required)")
	quick := fs.Bool("quick", false, "tiny sizes, for tests: "+quickList())
	suitesFlag := fs.String("suites", strings.Join(reportSuites, ","), "the suites to run, comma-separated")
	protocol := fs.String("protocol", "full", "accuracy's impostor pairs: full or fvc")
	rounds := fs.Int("speed-rounds", 9, "speed: passes over all pairs")
	searchGallery := fs.Int("search-gallery", 100_000, "search: fingers in the gallery")
	latentGallery := fs.Int("latent-gallery", 20_000, "latent: fingers in the gallery")
	latentUnsolved := fs.Int("latent-unsolved", 2_000, "latent: unsolved latents on file for the reverse search")
	latentLimit := fs.Int("latent-limit", 0, "latent: at most this many simulated latents (0: every impression 2–8)")
	loadGallery := fs.Int("load-gallery", 20_000, "load: fingers of synthetic subjects enrolled before the runs")
	loadClients := fs.String("load-clients", "1,4,16", "load: the client counts to run the mix at, one phase each")
	loadDuration := fs.Duration("load-duration", 20*time.Second, "load: length of each phase")
	loadMix := fs.String("load-mix", "enroll=1,identify=4,verify=2", "load: request kinds and weights (as load --mix)")
	loadSets := fs.String("load-sets", "", "load: the sets (names in the SETs' parent folder) whose prints are the mated subjects (default: every SET)")
	loadProbe := fs.Int("load-probe-fingers", 10, "load: fingers of an identification probe")
	seed := fs.Uint64("seed", 1, "seed of the synthetic galleries, latents and request mix")
	src, err := suite.parse(args)
	if err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out DIR is required")
	}
	if *quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range quickSizes {
			if !set[name] {
				if err := fs.Set(name, v); err != nil {
					return err
				}
			}
		}
	}
	suites := strings.Split(*suitesFlag, ",")
	for _, s := range suites {
		if !slices.Contains(reportSuites, s) {
			return fmt.Errorf("--suites: unknown suite %q (%s)", s, strings.Join(reportSuites, ", "))
		}
	}
	if *protocol != "full" && *protocol != "fvc" {
		return fmt.Errorf("unknown protocol %q: full or fvc", *protocol)
	}
	clients, err := parseClientCounts(*loadClients)
	if err != nil {
		return err
	}
	dirs := fs.Args()
	var setNames []string
	for _, d := range dirs {
		setNames = append(setNames, filepath.Base(filepath.Clean(d)))
	}
	fvcRoot := filepath.Dir(filepath.Clean(dirs[0]))
	lsets := setNames
	if *loadSets != "" {
		lsets = strings.Split(*loadSets, ",")
	} else if slices.Contains(suites, "load") {
		for _, d := range dirs {
			if filepath.Dir(filepath.Clean(d)) != fvcRoot {
				return fmt.Errorf("the load suite takes its sets from one folder: %s is not in %s (give --load-sets)", d, fvcRoot)
			}
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}

	start := time.Now()
	data := reportData{Config: reportConfig{
		Date: start.UTC().Format(time.RFC3339), GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		NumCPU: runtime.NumCPU(), GitCommit: gitCommit(), Quick: *quick, Suites: suites, Sets: setNames,
		Templates: *suite.source, Protocol: *protocol, SpeedRounds: *rounds, SearchGallery: *searchGallery,
		LatentGallery: *latentGallery, LatentUnsolved: *latentUnsolved, LatentLimit: *latentLimit,
		LoadGallery: *loadGallery, LoadClients: clients, LoadDuration: loadDuration.String(),
		LoadSets: strings.Join(lsets, ","), Seconds: map[string]float64{},
	}}
	// The suites other than speed share the templates: each image is
	// extracted once. Speed times its own extraction.
	shared := cachedSource(src)
	runs := map[string]func() error{
		"accuracy": func() error {
			r, err := measureAccuracy(dirs, shared, *protocol)
			if err == nil {
				printReport(os.Stdout, *protocol, *suite.source, r.report)
				data.Accuracy = &r
			}
			return err
		},
		"speed": func() error {
			r, err := measureSpeed(dirs, src, *suite.source != "iso", *rounds)
			if err == nil {
				fmt.Printf("speed: %d templates, extraction median %s ms, prepare median %.1f µs, %.0f comparisons/s on one goroutine\n",
					r.templates, optF2(r.ExtractMsMedian), r.PrepareUsMedian, r.ComparePerSec)
				data.Speed, data.speedRun = &r.speedResult, &r
			}
			return err
		},
		"search": func() error {
			r, err := measureSearch(searchConfig{dirs: dirs, src: shared, gallery: *searchGallery, top: 10, seed: *seed})
			if err == nil {
				printSearch(os.Stdout, r.searchResult)
				data.Search = &r
			}
			return err
		},
		"latent": func() error {
			r, err := measureLatent(latentConfig{dirs: dirs, src: shared, gallery: *latentGallery, seed: *seed,
				limit: *latentLimit, unsolved: *latentUnsolved, reverseFMR: 1e-3})
			if err == nil {
				printLatent(os.Stdout, r.latentResult)
				data.Latent = &r
			}
			return err
		},
		"load": func() error {
			r, err := measureLoadCurve(context.Background(), loadCurveConfig{fvc: fvcRoot, sets: lsets,
				gallery: *loadGallery, clients: clients, duration: *loadDuration, mix: *loadMix, maxSearches: 1,
				probeFingers: *loadProbe, fillClients: 16, seed: *seed})
			if err == nil {
				for _, p := range r.Points {
					printPhase(os.Stdout, fmt.Sprintf("load: %d clients, %v, mix %s", p.Clients, *loadDuration, *loadMix), p.phaseResult)
				}
				data.Load = r
			}
			return err
		},
	}
	for _, name := range reportSuites {
		if !slices.Contains(suites, name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "report: %s\n", name)
		t0 := time.Now()
		err := runs[name]()
		data.Config.Seconds[name] = time.Since(t0).Seconds()
		if err != nil {
			// One suite's failure leaves the others' figures worth having:
			// the page says what failed, and the command fails at the end.
			fmt.Fprintf(os.Stderr, "report: %s failed: %v\n", name, err)
			data.errs = append(data.errs, suiteFailed{name, err.Error()})
		}
	}
	data.Config.TotalSeconds = time.Since(start).Seconds()

	if err := writeJSON(filepath.Join(*out, "report.json"), data); err != nil {
		return err
	}
	page, err := renderReport(&data)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "index.html"), page, 0o644); err != nil {
		return err
	}
	fmt.Printf("report: wrote %s and %s in %.0f s\n", filepath.Join(*out, "index.html"), filepath.Join(*out, "report.json"), data.Config.TotalSeconds)
	if len(data.errs) > 0 {
		var names []string
		for _, e := range data.errs {
			names = append(names, e.Suite)
		}
		return fmt.Errorf("report written, but suites failed: %s", strings.Join(names, ", "))
	}
	return nil
}

func quickList() string {
	var kv []string
	for k, v := range quickSizes {
		kv = append(kv, "--"+k+" "+v)
	}
	slices.Sort(kv)
	return strings.Join(kv, ", ")
}

// parseClientCounts parses --load-clients: comma-separated counts, 1 to
// 1000 each.
func parseClientCounts(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > 1000 {
			return nil, fmt.Errorf("--load-clients %q: want counts from 1 to 1000, comma-separated", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// gitCommit names the commit the report was run from, with "-dirty" when
// the tree has changes, or "unknown" outside a git checkout.
func gitCommit() string {
	head, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(head))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		c += "-dirty"
	}
	return c
}

// cachedSource obtains each image's template once, however many suites
// ask; each caller gets its own copy of the minutiae.
func cachedSource(src TemplateSource) TemplateSource {
	type entry struct {
		t   minutiae.Template
		err error
	}
	var mu sync.Mutex
	cache := map[string]entry{}
	return func(path string) (minutiae.Template, error) {
		mu.Lock()
		e, ok := cache[path]
		mu.Unlock()
		if !ok {
			e.t, e.err = src(path)
			mu.Lock()
			cache[path] = e
			mu.Unlock()
		}
		t := e.t
		t.Minutiae = slices.Clone(t.Minutiae)
		return t, e.err
	}
}
