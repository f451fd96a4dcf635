package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/whorlafis/whorl/matcher"
	"github.com/whorlafis/whorl/minutiae"
	"github.com/whorlafis/whorl/minutiae/fmr"
)

// defaultTemplates is the template source used unless --templates says
// otherwise: our own extractor.
const defaultTemplates = "extract"

// A TemplateSource gives the template of one fingerprint image, named by
// the image's path.
type TemplateSource func(imagePath string) (minutiae.Template, error)

// templateSources are the sources --templates can name.
var templateSources = map[string]TemplateSource{
	// iso reads DIR/iso_templates/<name>.iso, the ISO/IEC 19794-2:2005
	// template made from DIR/<name>.tif by a commercial extractor.
	"iso": isoTemplate,
	// extract decodes the image, rescaled to 500 ppi, and runs
	// minutiae.Extract on it.
	"extract": extractTemplate,
}

// setPPI is the scanning resolution of the FVC2002 sets whose TIFF files
// state none and which are not 500 ppi (data/README.md: DB2 is 569 ppi).
var setPPI = map[string]float64{"DB2_A": 569, "DB2_B": 569}

func extractTemplate(imagePath string) (minutiae.Template, error) {
	img, err := decodeSetImage(imagePath)
	if err != nil {
		return minutiae.Template{}, err
	}
	return minutiae.Extract(img, nil)
}

// decodeSetImage decodes an image of a set, rescaled to 500 ppi from the
// set's resolution.
func decodeSetImage(imagePath string) (*minutiae.Image, error) {
	data, err := os.ReadFile(imagePath)
	if err != nil {
		return nil, err
	}
	return minutiae.DecodeImage(data, setPPI[filepath.Base(filepath.Dir(imagePath))])
}

func isoTemplate(imagePath string) (minutiae.Template, error) {
	dir, base := filepath.Split(imagePath)
	name := strings.TrimSuffix(base, filepath.Ext(base))
	data, err := os.ReadFile(filepath.Join(dir, "iso_templates", name+".iso"))
	if err != nil {
		return minutiae.Template{}, err
	}
	rec, err := fmr.Decode(data)
	if err != nil {
		return minutiae.Template{}, err
	}
	return rec.Template(0)
}

// FVC2002 set layout: <finger>_<impression>.tif.
const (
	firstFinger = 101
	fingers     = 10
	impressions = 8
)

// sample is one image of a set with its template, prepared.
type sample struct {
	path               string
	finger, impression int
	template           minutiae.Template
	prepared           *matcher.Prepared
	failed             bool // failure to enrol
}

// comparison is one pair of samples compared, with its score.
type comparison struct {
	probe, gallery int // indexes into the set's samples
	genuine        bool
	score          float64
}

// setResult is one row of the report.
type setResult struct {
	Name     string  `json:"name"`
	EER      float64 `json:"eer"`
	FMR100   float64 `json:"fmr100"`
	FMR1000  float64 `json:"fmr1000"`
	ZeroFMR  float64 `json:"zerofmr"`
	Genuine  int     `json:"genuine"`
	Impostor int     `json:"impostor"`
	FTE      int     `json:"fte"`
}

type report struct {
	Sets    []setResult `json:"sets"`
	MeanEER float64     `json:"mean_eer"`
}

func runAccuracy(args []string) error {
	suite := newSetSuite("accuracy", "usage: go run ./benchmarks accuracy [flags] DIR...\n\nEach DIR is an FVC set folder (<finger>_<impression>.tif, fingers 101–110, impressions 1–8).")
	fs := suite.fs
	protocol := fs.String("protocol", "full", "impostor pairs: full (every impression of every other finger, 2,880 per set) or fvc (impression 1 against impression 1, 45 per set)")
	jsonOut := fs.String("json", "", "write the results as JSON to this file")
	scoresDir := fs.String("scores", "", "write one file per set to this directory with a line `probe gallery score` per comparison")
	plotDir := fs.String("plot", "", "write a DET curve (PNG) per set to this directory")
	src, err := suite.parse(args)
	if err != nil {
		return err
	}
	if *protocol != "full" && *protocol != "fvc" {
		return fmt.Errorf("unknown protocol %q: full or fvc", *protocol)
	}
	for _, d := range []string{*scoresDir, *plotDir} {
		if d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
	}
	run, err := measureAccuracy(fs.Args(), src, *protocol)
	if err != nil {
		return err
	}
	rep := run.report
	for k, set := range run.sets {
		name := rep.Sets[k].Name
		if *plotDir != "" {
			gen, imp := splitScores(set.comps)
			title := fmt.Sprintf("%s: DET, protocol %s, templates %s", name, *protocol, *suite.source)
			if err := writeDET(filepath.Join(*plotDir, name+".png"), title, gen, imp); err != nil {
				return err
			}
		}
		if *scoresDir != "" {
			if err := writeScores(filepath.Join(*scoresDir, name+".txt"), set.samples, set.comps); err != nil {
				return err
			}
		}
	}
	printReport(os.Stdout, *protocol, *suite.source, rep)
	if *jsonOut != "" {
		return writeJSON(*jsonOut, rep)
	}
	return nil
}

// accuracyRun is what measureAccuracy measured: the report, and each set's
// samples and scored comparisons, from which the plots and score files are
// drawn.
type accuracyRun struct {
	report
	sets []scoredSet
}

// scoredSet is one set's samples and its protocol's comparisons, scored.
type scoredSet struct {
	samples []sample
	comps   []comparison
}

// measureAccuracy loads, compares and evaluates each set folder under a
// protocol (full or fvc).
func measureAccuracy(dirs []string, src TemplateSource, protocol string) (accuracyRun, error) {
	var run accuracyRun
	for _, dir := range dirs {
		samples, err := loadSet(dir, src)
		if err != nil {
			return run, err
		}
		comps := pairs(samples, protocol)
		compareAll(samples, comps, filepath.Base(dir))
		run.Sets = append(run.Sets, evaluate(filepath.Base(filepath.Clean(dir)), samples, comps))
		run.sets = append(run.sets, scoredSet{samples, comps})
	}
	for _, s := range run.Sets {
		run.MeanEER += s.EER / float64(len(run.Sets))
	}
	return run, nil
}

func sourceNames() string {
	var names []string
	for n := range templateSources {
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// loadSet obtains and prepares every template of a set once. An image whose
// template cannot be obtained, or has fewer than two minutiae, is a failure
// to enrol: it stays in the set with an empty template, so each of its
// comparisons scores 0 (a non-match), as FVC counts them.
func loadSet(dir string, src TemplateSource) ([]sample, error) {
	var samples []sample
	for f := range fingers {
		for i := 1; i <= impressions; i++ {
			path := filepath.Join(dir, fmt.Sprintf("%d_%d.tif", firstFinger+f, i))
			if _, err := os.Stat(path); err != nil {
				return nil, fmt.Errorf("set %s: %w", dir, err)
			}
			samples = append(samples, sample{path: path, finger: firstFinger + f, impression: i})
		}
	}
	progress := newProgress(filepath.Base(dir)+" templates", len(samples))
	parallelFor(len(samples), func(k int) {
		s := &samples[k]
		t, err := src(s.path)
		if err != nil || len(t.Minutiae) < 2 {
			s.failed = true
			t = minutiae.Template{}
		}
		s.template = t
		s.prepared = matcher.Prepare(t)
		progress.add(1)
	})
	progress.done()
	return samples, nil
}

// pairs lists the comparisons of a protocol: genuine, every unordered pair
// of impressions of one finger (the lower impression as probe); impostor,
// for full every unordered pair of images of different fingers, for fvc
// impression 1 of each finger against impression 1 of every later finger.
func pairs(samples []sample, protocol string) []comparison {
	var comps []comparison
	for a := range samples {
		for b := a + 1; b < len(samples); b++ {
			sa, sb := &samples[a], &samples[b]
			switch {
			case sa.finger == sb.finger:
				comps = append(comps, comparison{probe: a, gallery: b, genuine: true})
			case protocol == "full" || sa.impression == 1 && sb.impression == 1:
				comps = append(comps, comparison{probe: a, gallery: b})
			}
		}
	}
	return comps
}

// compareAll scores every comparison, spread over GOMAXPROCS workers each
// with its own Matcher.
func compareAll(samples []sample, comps []comparison, name string) {
	progress := newProgress(name+" comparisons", len(comps))
	var wg sync.WaitGroup
	var next atomic.Int64
	const chunk = 64
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			m := matcher.NewMatcher()
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= len(comps) {
					return
				}
				end := min(start+chunk, len(comps))
				for k := start; k < end; k++ {
					c := &comps[k]
					c.score = m.Compare(samples[c.probe].prepared, samples[c.gallery].prepared).Score
				}
				progress.add(end - start)
			}
		})
	}
	wg.Wait()
	progress.done()
}

func splitScores(comps []comparison) (genuine, impostor []float64) {
	for _, c := range comps {
		if c.genuine {
			genuine = append(genuine, c.score)
		} else {
			impostor = append(impostor, c.score)
		}
	}
	return genuine, impostor
}

func evaluate(name string, samples []sample, comps []comparison) setResult {
	gen, imp := splitScores(comps)
	r := setResult{
		Name:     name,
		EER:      100 * EER(gen, imp),
		FMR100:   100 * FNMRAtFMR(gen, imp, 0.01),
		FMR1000:  100 * FNMRAtFMR(gen, imp, 0.001),
		ZeroFMR:  100 * FNMRAtFMR(gen, imp, 0),
		Genuine:  len(gen),
		Impostor: len(imp),
	}
	for _, s := range samples {
		if s.failed {
			r.FTE++
		}
	}
	return r
}

func writeScores(path string, samples []sample, comps []comparison) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := io.Writer(f)
	for _, c := range comps {
		if _, err := fmt.Fprintf(w, "%s %s %.4f\n", samples[c.probe].path, samples[c.gallery].path, c.score); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func printReport(w io.Writer, protocol, source string, rep report) {
	fmt.Fprintf(w, "protocol %s, templates %s (rates in %%)\n", protocol, source)
	fmt.Fprintf(w, "%-10s %7s %7s %7s %7s %8s %8s %4s\n", "set", "EER", "FMR100", "FMR1000", "ZeroFMR", "genuine", "impostor", "FTE")
	var mean setResult
	n := float64(len(rep.Sets))
	for _, s := range rep.Sets {
		fmt.Fprintf(w, "%-10s %7.2f %7.2f %7.2f %7.2f %8d %8d %4d\n", s.Name, s.EER, s.FMR100, s.FMR1000, s.ZeroFMR, s.Genuine, s.Impostor, s.FTE)
		mean.EER += s.EER / n
		mean.FMR100 += s.FMR100 / n
		mean.FMR1000 += s.FMR1000 / n
		mean.ZeroFMR += s.ZeroFMR / n
		mean.FTE += s.FTE
	}
	fmt.Fprintf(w, "%-10s %7.2f %7.2f %7.2f %7.2f %8s %8s %4d\n", "mean", mean.EER, mean.FMR100, mean.FMR1000, mean.ZeroFMR, "", "", mean.FTE)
	// FVC2002's DB4 is synthetic: the data README asks for the mean over
	// the real-sensor sets apart.
	var real setResult
	nReal := 0
	for _, s := range rep.Sets {
		if !strings.HasPrefix(s.Name, "DB4") {
			nReal++
			real.EER += s.EER
			real.FMR100 += s.FMR100
			real.FMR1000 += s.FMR1000
			real.ZeroFMR += s.ZeroFMR
			real.FTE += s.FTE
		}
	}
	if nReal > 0 && nReal < len(rep.Sets) {
		k := float64(nReal)
		fmt.Fprintf(w, "%-10s %7.2f %7.2f %7.2f %7.2f %8s %8s %4d\n", "mean DB1-3", real.EER/k, real.FMR100/k, real.FMR1000/k, real.ZeroFMR/k, "", "", real.FTE)
	}
}

// progress is a one-line progress indicator on stderr, redrawn at most ten
// times a second, for runs that take more than a moment.
type progress struct {
	name        string
	total       int
	count       atomic.Int64
	mu          sync.Mutex
	start, last time.Time
	drawn       bool
}

func newProgress(name string, total int) *progress {
	now := time.Now()
	return &progress{name: name, total: total, start: now, last: now}
}

func (p *progress) add(n int) {
	d := p.count.Add(int64(n))
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.drawn = true
	p.draw(int(d))
}

func (p *progress) draw(d int) {
	const width = 30
	filled := int(math.Round(width * float64(d) / float64(max(p.total, 1))))
	fmt.Fprintf(os.Stderr, "\r%-28s [%s%s] %d/%d", p.name, strings.Repeat("#", filled), strings.Repeat(".", width-filled), d, p.total)
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.drawn {
		return // too quick to have been drawn: leave stderr clean
	}
	p.draw(p.total)
	fmt.Fprintln(os.Stderr)
}
