package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// xmlDoc parses a document strictly as XML (the report page and its plots
// are written to be well-formed XML) and returns its elements' names in
// order, failing on any element that refers outside the page: a script, a
// stylesheet link, or a src or href that is not a data: URI or a fragment.
func xmlDoc(t *testing.T, doc string) []string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = true
	var names []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "not well-formed")
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		names = append(names, el.Name.Local)
		assert.NotContains(t, []string{"script", "link", "iframe", "object", "embed"}, el.Name.Local, "an element that loads something")
		for _, a := range el.Attr {
			switch a.Name.Local {
			case "src", "href":
				v := strings.TrimSpace(a.Value)
				assert.True(t, strings.HasPrefix(v, "data:") || strings.HasPrefix(v, "#"), "external reference %s=%q", a.Name.Local, v)
			case "xmlns":
				assert.Equal(t, "http://www.w3.org/2000/svg", a.Value)
			}
		}
	}
	return names
}

func countOf(names []string, name string) int {
	n := 0
	for _, s := range names {
		if s == name {
			n++
		}
	}
	return n
}

func TestPlotSVG(t *testing.T) {
	gen := []float64{40, 55, 60, 72, 80, 91, 12}
	imp := []float64{1, 2, 3, 5, 8, 13, 21, 34, 2, 1}
	hostile := `a <script>alert("x")</script> & b`
	for _, tc := range []struct {
		name      string
		p         plot
		polylines int
	}{
		{"det", detPlot("DB1_B", gen, imp), 1},
		{"scores", scorePlot("DB1_B", gen, imp), 2},
		{"latency linear", latencyPlot("search", []float64{10, 11, 12, 15, 19}), 1},
		{"latency log", latencyPlot("search", []float64{1, 2, 5, 40, 900}), 1},
		{"latency empty", latencyPlot("search", nil), 0},
		{"hostile text", plot{title: hostile, xLabel: hostile, yLabel: hostile, series: []plotSeries{{name: hostile, points: []xy{{0, 0}, {1, 1}}}}}, 1},
		{"one point", plot{title: "one", xLog: true, yLog: true, series: []plotSeries{{name: "s", markers: true, points: []xy{{4, 10}}}}}, 0},
		{"no series", plot{title: "empty"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg := string(tc.p.svg())
			names := xmlDoc(t, svg)
			require.NotEmpty(t, names)
			assert.Equal(t, "svg", names[0])
			assert.Equal(t, tc.polylines, countOf(names, "polyline"))
			assert.NotContains(t, svg, "NaN")
			assert.NotContains(t, svg, "Inf")
			assert.NotContains(t, svg, "<script>", "text is escaped")
		})
	}
}

func TestHistogramSeries(t *testing.T) {
	values := []float64{-5, 0, 1, 2.5, 9.99, 10, 50} // -5 and 50 fall outside [0, 10]
	for _, logX := range []bool{false, true} {
		lo := 0.0
		if logX {
			lo = 0.1
		}
		s := histogramSeries("h", values, lo, 10, 5, logX, true)
		require.Len(t, s.points, 2*5+2)
		total := 0.0
		for i := 1; i < len(s.points)-1; i += 2 {
			total += s.points[i].y
			assert.Equal(t, s.points[i].y, s.points[i+1].y, "a step holds its bin's level")
		}
		assert.InDelta(t, 1, total, 1e-9, "shares add up to 1 with logX %v", logX)
		assert.Equal(t, lo, s.points[0].x)
		assert.Equal(t, 10.0, s.points[len(s.points)-1].x)
	}
	counts := histogramSeries("h", values, 0, 10, 5, false, false)
	assert.Equal(t, 3.0, counts.points[1].y, "bin [0, 2): -5 (clamped), 0 and 1")
	assert.Equal(t, 3.0, counts.points[len(counts.points)-2].y, "bin [8, 10]: 9.99, 10 and 50 (clamped)")
	assert.Empty(t, histogramSeries("h", nil, 0, 1, 5, false, true).points)
	assert.Empty(t, histogramSeries("h", values, 1, 1, 5, false, true).points, "empty range")
}

func TestAxisTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		log    bool
		want   []float64
	}{
		{1e-4, 1, true, []float64{1e-4, 1e-3, 1e-2, 1e-1, 1}},
		{0.5, 16, true, []float64{1, 10}},
		{0, 125, false, []float64{0, 25, 50, 75, 100, 125}},
		{0, 0.3, false, []float64{0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3}},
	} {
		got := axisTicks(tc.lo, tc.hi, tc.log)
		require.Len(t, got, len(tc.want), "%v", got)
		for i := range got {
			assert.InEpsilon(t, tc.want[i]+1e-12, got[i]+1e-12, 1e-9)
		}
	}
	assert.Equal(t, "0.3", tickLabel(0.30000000000000004))
	assert.Equal(t, "0.0001", tickLabel(1e-4))
	assert.Equal(t, "12.5", tickLabel(12.5))
}

// fakeReport is a report of every section, with made-up figures and text
// that needs escaping, for the rendering test.
func fakeReport() *reportData {
	var acc accuracyRun
	for _, name := range []string{"DB1_B", "DB<2>"} {
		var set scoredSet
		for i := range 20 {
			set.comps = append(set.comps, comparison{genuine: i%4 == 0, score: float64((i * 37) % 90)})
		}
		acc.Sets = append(acc.Sets, setResult{Name: name, EER: 2.5, Genuine: 5, Impostor: 15})
		acc.sets = append(acc.sets, set)
	}
	ex := 14.5
	sp := &speedRun{speedResult: speedResult{ExtractMsMedian: &ex, PrepareUsMedian: 70, ComparePerSec: 50000, Comparisons: 6320},
		templates: 80, rates: []float64{48000, 50000, 51000}, elapsed: time.Second}
	lat := []time.Duration{20 * time.Millisecond, 25 * time.Millisecond, 31 * time.Millisecond, 130 * time.Millisecond}
	var points []loadPoint
	for _, c := range []int{1, 4} {
		points = append(points, loadPoint{
			phaseResult: phaseResult{Clients: c, Seconds: 2, RPCs: []rpcStats{
				{RPC: "Identify", OK: 10 * c, PerSecond: 5 * float64(c), P50Ms: 50, P99Ms: 90},
				{RPC: "Verify", OK: 8 * c, PerSecond: 4 * float64(c), P50Ms: 20, P99Ms: 30, Errors: map[string]int{"Internal & <odd>": 1}},
			}},
			latencies: map[string][]float64{"Identify": {40, 50, 90}, "Verify": {18, 20, 30}},
		})
	}
	return &reportData{
		Config:   reportConfig{Date: "2026-01-01T00:00:00Z", Suites: reportSuites, Sets: []string{"DB1_B", "DB<2>"}, LoadClients: []int{1, 4}, Seconds: map[string]float64{"accuracy": 1}},
		Accuracy: &acc,
		Speed:    &sp.speedResult,
		speedRun: sp,
		Search:   &searchRun{searchResult: searchResult{Gallery: 300, Probes: 4, Rank1: 75}, latencies: lat},
		Latent:   &latentRun{latentResult: latentResult{Gallery: 300, Latents: 2}, latencies: lat},
		Load:     &loadCurve{Gallery: 200, Points: points},
		errs:     []suiteFailed{{"search", `exploded: <img src="http://x/">`}},
	}
}

func TestRenderReport(t *testing.T) {
	page, err := renderReport(fakeReport())
	require.NoError(t, err)
	names := xmlDoc(t, string(page))
	assert.Equal(t, "html", names[0])
	// Two sets × (DET + scores), search, latent, load: throughput, p99,
	// and a latency histogram per RPC.
	assert.Equal(t, 2*2+1+1+2+2, countOf(names, "svg"))
	assert.Equal(t, 5, countOf(names, "h2"))
	s := string(page)
	for _, h := range []string{"Accuracy", "Speed", "Search", "Latent", "Load"} {
		assert.Contains(t, s, "<h2>"+h+"</h2>")
	}
	assert.NotContains(t, s, "Not run")
	assert.NotContains(t, s, `<img src="http://x/">`, "an error's text is escaped")
	assert.Contains(t, s, "DB&lt;2&gt;")
	assert.Contains(t, s, "The search suite failed")

	// A report of one suite says the others were not run.
	page, err = renderReport(&reportData{Config: reportConfig{Suites: []string{"speed"}, Seconds: map[string]float64{}}, Speed: &speedResult{}})
	require.NoError(t, err)
	xmlDoc(t, string(page))
	assert.Equal(t, 4, strings.Count(string(page), "Not run"))
}

func TestReportRefuses(t *testing.T) {
	set := filepath.Join(dataDir, "DB1_B")
	out := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{set}, "--out"},
		{"no set", []string{"--out", out}, "no set folder"},
		{"unknown suite", []string{"--out", out, "--suites", "speed,fast", set}, `"fast"`},
		{"bad clients", []string{"--out", out, "--load-clients", "1,0", set}, "--load-clients"},
		{"bad protocol", []string{"--out", out, "--protocol", "half", set}, "half"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runReport(tc.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestReportQuick runs every suite at --quick sizes on DB1_B and checks
// the page and the JSON hold each section's figures.
func TestReportQuick(t *testing.T) {
	needFVC(t)
	out := t.TempDir()
	require.NoError(t, runReport([]string{"--quick", "--out", out, filepath.Join(fvcRoot, "DB1_B")}))

	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	require.NoError(t, err)
	names := xmlDoc(t, string(page))
	// DET + scores, search, latent, load: throughput, p99 and at least
	// the Identify and Verify histograms.
	assert.GreaterOrEqual(t, countOf(names, "svg"), 2+1+1+2+2)
	assert.False(t, strings.Contains(string(page), "Not run"), "a section says it was not run")
	assert.False(t, strings.Contains(string(page), `class="failed"`), "the page reports a failed suite")

	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	var got struct {
		Config   reportConfig `json:"config"`
		Accuracy *report      `json:"accuracy"`
		Speed    *speedResult `json:"speed"`
		Search   *searchResult
		Latent   *latentResult
		Load     *loadCurve
	}
	require.NoError(t, json.NewDecoder(bytes.NewReader(b)).Decode(&got))
	assert.True(t, got.Config.Quick)
	assert.Equal(t, []int{1, 2}, got.Config.LoadClients)
	require.NotNil(t, got.Accuracy)
	require.Len(t, got.Accuracy.Sets, 1)
	assert.Equal(t, 2880, got.Accuracy.Sets[0].Impostor)
	assert.False(t, math.IsNaN(got.Accuracy.Sets[0].EER))
	require.NotNil(t, got.Speed)
	assert.Positive(t, got.Speed.ComparePerSec)
	require.NotNil(t, got.Search)
	assert.Equal(t, 300, got.Search.Gallery)
	assert.Equal(t, 70, got.Search.Probes, "impressions 2–8 of DB1_B's ten fingers")
	require.NotNil(t, got.Latent)
	assert.Equal(t, 10, got.Latent.Latents)
	require.NotNil(t, got.Load)
	require.Len(t, got.Load.Points, 2)
	for i, p := range got.Load.Points {
		assert.Equal(t, i+1, p.Clients)
		assert.Zero(t, p.UnexpectedErrors)
		assert.Positive(t, rpcNamed(p.RPCs, "Identify").OK)
	}
	for _, suite := range reportSuites {
		assert.Contains(t, got.Config.Seconds, suite)
	}
}
