package main

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"slices"
	"sort"
	"time"
)

// reportView is reportData with its plots drawn, for the page template.
type reportView struct {
	*reportData
	Failed    []suiteFailed
	SetPlots  []setPlots
	SpeedSpan string
	SearchLat template.HTML
	LatentLat template.HTML
	LoadRows  []loadRow
	LoadPlots []template.HTML
}

// setPlots are one FVC set's DET curve and score distributions.
type setPlots struct {
	Name         string
	DET, Density template.HTML
}

// loadRow is one RPC at one client count in the load table.
type loadRow struct {
	Clients int
	rpcStats
	ErrorText string
}

// renderReport renders the report page: one HTML document with inline CSS
// and SVG and no reference to any other file.
func renderReport(d *reportData) ([]byte, error) {
	v := reportView{reportData: d, Failed: d.errs}
	if a := d.Accuracy; a != nil {
		for k, set := range a.sets {
			name := a.Sets[k].Name
			gen, imp := splitScores(set.comps)
			v.SetPlots = append(v.SetPlots, setPlots{Name: name, DET: detPlot(name, gen, imp).svg(), Density: scorePlot(name, gen, imp).svg()})
		}
	}
	if s := d.speedRun; s != nil && len(s.rates) > 0 {
		v.SpeedSpan = fmt.Sprintf("%d passes in %v; slowest pass %.0f, fastest %.0f comparisons/s",
			len(s.rates), s.elapsed.Round(time.Millisecond), s.rates[0], s.rates[len(s.rates)-1])
	}
	if s := d.Search; s != nil {
		v.SearchLat = latencyPlot(fmt.Sprintf("Search latency, gallery %d", s.Gallery), durationsMs(s.latencies)).svg()
	}
	if l := d.Latent; l != nil {
		v.LatentLat = latencyPlot(fmt.Sprintf("Latent search latency, gallery %d", l.Gallery), durationsMs(l.latencies)).svg()
	}
	if l := d.Load; l != nil {
		v.LoadRows, v.LoadPlots = loadView(l)
	}
	var b bytes.Buffer
	if err := reportPage.Execute(&b, v); err != nil {
		return nil, fmt.Errorf("rendering the report: %w", err)
	}
	return b.Bytes(), nil
}

// detPlot is a set's DET curve, log-log, rates from 1e-4 to 1.
func detPlot(name string, gen, imp []float64) plot {
	return plot{title: name + ": DET curve", xLabel: "FMR", yLabel: "FNMR", xLog: true, yLog: true,
		xMin: detMin, xMax: 1, yMin: detMin, yMax: 1, diagonal: true,
		series: []plotSeries{detSeries(fmt.Sprintf("%d gen., %d imp.", len(gen), len(imp)), gen, imp)}}
}

// scorePlot is a set's genuine and impostor score distributions: each
// bin's share of its kind's comparisons, on a log axis so that the tails
// where they overlap show.
func scorePlot(name string, gen, imp []float64) plot {
	hi := 1.0
	if all := append(slices.Clone(gen), imp...); len(all) > 0 {
		hi = math.Max(slices.Max(all), 1e-9)
	}
	return plot{title: name + ": score distributions", xLabel: "score", yLabel: "share of comparisons",
		yLog: true, yMin: 1e-4, yMax: 1, series: []plotSeries{
			histogramSeries("genuine", gen, 0, hi, 40, false, true),
			histogramSeries("impostor", imp, 0, hi, 40, false, true),
		}}
}

func durationsMs(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d.Nanoseconds()) / 1e6
	}
	return out
}

// loadView makes the load table's rows and plots: throughput and p99
// latency against clients, one curve per RPC, and each RPC's latency
// histogram, one curve per client count.
func loadView(l *loadCurve) ([]loadRow, []template.HTML) {
	var rows []loadRow
	rpcSet := map[string]bool{}
	for _, p := range l.Points {
		for _, s := range p.RPCs {
			e := "none"
			if len(s.Errors) > 0 {
				e = fmt.Sprint(s.Errors)
			}
			rows = append(rows, loadRow{Clients: p.Clients, rpcStats: s, ErrorText: e})
			rpcSet[s.RPC] = true
		}
	}
	var rpcs []string
	for r := range rpcSet {
		rpcs = append(rpcs, r)
	}
	sort.Strings(rpcs)
	tput := plot{title: "Throughput against clients", xLabel: "clients", yLabel: "requests per second", xLog: true}
	p99 := plot{title: "p99 latency against clients", xLabel: "clients", yLabel: "p99 latency (ms)", xLog: true, yLog: true}
	var plots []template.HTML
	for _, rpc := range rpcs {
		ts := plotSeries{name: rpc, markers: true}
		ps := plotSeries{name: rpc, markers: true}
		for _, p := range l.Points {
			s := rpcNamed(p.RPCs, rpc)
			ts.points = append(ts.points, xy{float64(p.Clients), s.PerSecond})
			if s.OK > 0 {
				ps.points = append(ps.points, xy{float64(p.Clients), s.P99Ms})
			}
		}
		tput.series = append(tput.series, ts)
		p99.series = append(p99.series, ps)
	}
	if len(l.Points) > 0 {
		c0, c1 := float64(l.Points[0].Clients), float64(l.Points[len(l.Points)-1].Clients)
		tput.xMin, tput.xMax = c0/1.5, c1*1.5
		p99.xMin, p99.xMax = c0/1.5, c1*1.5
		for _, p := range l.Points {
			tput.xTicks = append(tput.xTicks, float64(p.Clients))
		}
		p99.xTicks = tput.xTicks
	}
	plots = append(plots, tput.svg(), p99.svg())
	for _, rpc := range rpcs {
		// One histogram per RPC, a curve per client count, over one range.
		var all []float64
		for _, p := range l.Points {
			all = append(all, p.latencies[rpc]...)
		}
		if len(all) == 0 {
			continue
		}
		base := latencyPlot(rpc+" latency", all)
		lo, hi := slices.Min(all), slices.Max(all)
		if !base.xLog {
			lo = 0
		}
		if hi <= lo {
			hi = lo + 1
		}
		base.series = nil
		for _, p := range l.Points {
			if ls := p.latencies[rpc]; len(ls) > 0 {
				base.series = append(base.series, histogramSeries(fmt.Sprintf("%d clients (%d)", p.Clients, len(ls)), ls, lo, hi, 30, base.xLog, true))
			}
		}
		base.yLabel = "share of requests"
		plots = append(plots, base.svg())
	}
	return rows, plots
}

var reportFuncs = template.FuncMap{
	"f1":  func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"f2":  func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"f0":  func(v float64) string { return fmt.Sprintf("%.0f", v) },
	"mib": func(b uint64) string { return mib(b) },
	"pf2": optF2,
}

// optF2 prints an optional figure with two decimals, or a dash.
func optF2(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f", *v)
}

// reportPage is the page. It must stay well-formed XML (every element
// closed, no named entities, no "<" or "&" in the CSS), which the tests
// check by parsing it.
var reportPage = template.Must(template.New("report").Funcs(reportFuncs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>Whorl benchmark report {{.Config.Date}}</title>
<style>
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1320px; }
h1 { font-size: 24px; } h2 { font-size: 20px; border-bottom: 1px solid #ccc; padding-top: 12px; }
table { border-collapse: collapse; margin: 8px 0 16px 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f1f3f5; } td.l, th.l { text-align: left; }
.plots { display: flex; flex-wrap: wrap; gap: 12px; }
.plots svg { border: 1px solid #e9ecef; }
.failed { color: #c92a2a; font-weight: bold; }
.note { color: #555; font-size: 13px; max-width: 1100px; }
</style>
</head>
<body>
<h1>Whorl benchmark report</h1>
<table>
<tr><th class="l">date</th><td class="l">{{.Config.Date}}</td><th class="l">git commit</th><td class="l">{{.Config.GitCommit}}</td></tr>
<tr><th class="l">Go</th><td class="l">{{.Config.GoVersion}}</td><th class="l">GOMAXPROCS / CPUs</th><td class="l">{{.Config.GOMAXPROCS}} / {{.Config.NumCPU}}</td></tr>
<tr><th class="l">sets</th><td class="l">{{range $i, $s := .Config.Sets}}{{if $i}}, {{end}}{{$s}}{{end}}</td><th class="l">templates / protocol</th><td class="l">{{.Config.Templates}} / {{.Config.Protocol}}</td></tr>
<tr><th class="l">sizes</th><td class="l" colspan="3">speed {{.Config.SpeedRounds}} passes; search gallery {{.Config.SearchGallery}}; latent gallery {{.Config.LatentGallery}}, {{.Config.LatentUnsolved}} unsolved{{if .Config.LatentLimit}}, at most {{.Config.LatentLimit}} latents{{end}}; load gallery {{.Config.LoadGallery}}, clients {{range $i, $c := .Config.LoadClients}}{{if $i}}, {{end}}{{$c}}{{end}}, {{.Config.LoadDuration}} each, sets {{.Config.LoadSets}}{{if .Config.Quick}} (--quick){{end}}</td></tr>
<tr><th class="l">wall time</th><td class="l" colspan="3">{{f0 .Config.TotalSeconds}} s in all:{{range $s := .Config.Suites}} {{$s}} {{f0 (index $.Config.Seconds $s)}} s;{{end}}</td></tr>
</table>
{{range .Failed}}<p class="failed">The {{.Suite}} suite failed: {{.Err}}</p>
{{end}}
<h2>Accuracy</h2>
{{with .Accuracy}}
<p class="note">Per FVC set: equal error rate, FNMR at FMR 1 %, 0.1 % and 0 (rates in %), comparisons and failures to enrol. Mean EER {{f2 .MeanEER}} %.</p>
<table>
<tr><th class="l">set</th><th>EER</th><th>FMR100</th><th>FMR1000</th><th>ZeroFMR</th><th>genuine</th><th>impostor</th><th>FTE</th></tr>
{{range .Sets}}<tr><td class="l">{{.Name}}</td><td>{{f2 .EER}}</td><td>{{f2 .FMR100}}</td><td>{{f2 .FMR1000}}</td><td>{{f2 .ZeroFMR}}</td><td>{{.Genuine}}</td><td>{{.Impostor}}</td><td>{{.FTE}}</td></tr>
{{end}}</table>
{{else}}<p class="note">Not run.</p>
{{end}}
{{range .SetPlots}}<h3>{{.Name}}</h3>
<div class="plots">{{.DET}}{{.Density}}</div>
{{end}}
<h2>Speed</h2>
{{with .Speed}}
<table>
<tr><th class="l">extraction median (ms)</th><th>prepare median (µs)</th><th>comparisons/s, one goroutine</th><th>comparisons a pass</th></tr>
<tr><td class="l">{{pf2 .ExtractMsMedian}}</td><td>{{f1 .PrepareUsMedian}}</td><td>{{f0 .ComparePerSec}}</td><td>{{.Comparisons}}</td></tr>
</table>
<p class="note">{{$.SpeedSpan}}</p>
{{else}}<p class="note">Not run.</p>
{{end}}
<h2>Search</h2>
{{with .Search}}
<p class="note">Impression 1 of every finger enrolled among synthetic distractors; impressions 2–8 searched, one at a time on GOMAXPROCS {{.GOMAXPROCS}}.</p>
<table>
<tr><th>gallery</th><th>mates</th><th>probes</th><th>rank-1 %</th><th>rank-10 %</th><th>shortlist misses</th><th>median ms</th><th>p99 ms</th><th>bytes/finger</th><th>build s</th></tr>
<tr><td>{{.Gallery}}</td><td>{{.Mates}}</td><td>{{.Probes}}</td><td>{{f2 .Rank1}}</td><td>{{f2 .Rank10}}</td><td>{{.ShortlistMisses}}</td><td>{{f1 .SearchMsMedian}}</td><td>{{f1 .SearchMsP99}}</td><td>{{f0 .BytesPerFinger}}</td><td>{{f1 .BuildSeconds}}</td></tr>
</table>
<div class="plots">{{$.SearchLat}}</div>
{{else}}<p class="note">Not run.</p>
{{end}}
<h2>Latent</h2>
{{with .Latent}}
<p class="note">Simulated latents (seed {{.Seed}}): images as our extractor reads them and simulated examiner markings, searched among {{.Mates}} exemplars and synthetic distractors. Minutiae (median): exemplar {{.ExemplarMinutiaeMedian}}, latent image {{.ImageMinutiaeMedian}} ({{.ImageNoMinutiae}} with fewer than 2), marking {{.MarkedMinutiaeMedian}}.</p>
<table>
<tr><th class="l">latents</th><th>count</th><th>rank-1 %</th><th>rank-10 %</th><th>rank-100 %</th></tr>
<tr><td class="l">images</td><td>{{.Latents}}</td><td>{{f2 .ImageRank1}}</td><td>{{f2 .ImageRank10}}</td><td>{{f2 .ImageRank100}}</td></tr>
<tr><td class="l">markings</td><td>{{.Latents}}</td><td>{{f2 .MarkedRank1}}</td><td>{{f2 .MarkedRank10}}</td><td>{{f2 .MarkedRank100}}</td></tr>
</table>
<table>
<tr><th>gallery</th><th>search median ms</th><th>search p99 ms</th><th>unsolved on file</th><th>mated on file</th><th>reverse ms/finger median</th><th>p99</th><th>found % at FMR ≤ {{.ReverseFMR}}</th></tr>
<tr><td>{{.Gallery}}</td><td>{{f1 .SearchMsMedian}}</td><td>{{f1 .SearchMsP99}}</td><td>{{.Unsolved}}</td><td>{{.ReverseMated}}</td><td>{{f1 .ReverseMsPerEnrolmentMedian}}</td><td>{{f1 .ReverseMsPerEnrolmentP99}}</td><td>{{f2 .ReverseFound}}</td></tr>
</table>
<div class="plots">{{$.LatentLat}}</div>
{{else}}<p class="note">Not run.</p>
{{end}}
<h2>Load</h2>
{{with .Load}}
<p class="note">A served process (TLS on loopback, admission limit {{.MaxSearches}} searches), its gallery filled through Enroll with {{.Fill.Fingers}} synthetic fingers in {{f1 .Fill.Seconds}} s ({{f0 .Fill.FingersPerSecond}} fingers/s), then the mix {{.Mix}} ({{.ProbeFingers}}-finger identification probes) at each client count. Latency is the client's, from first attempt to answer.</p>
<table>
<tr><th>clients</th><th class="l">rpc</th><th>ok</th><th>per s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>refused</th><th>hits</th><th class="l">errors</th></tr>
{{range $.LoadRows}}<tr><td>{{.Clients}}</td><td class="l">{{.RPC}}</td><td>{{.OK}}</td><td>{{f2 .PerSecond}}</td><td>{{f1 .P50Ms}}</td><td>{{f1 .P90Ms}}</td><td>{{f1 .P99Ms}}</td><td>{{f1 .P999Ms}}</td><td>{{.Refused}}</td><td>{{.Hits}}</td><td class="l">{{.ErrorText}}</td></tr>
{{end}}</table>
<table>
<tr><th>clients</th><th>seconds</th><th>server peak RSS</th><th>unexpected errors</th></tr>
{{range .Points}}<tr><td>{{.Clients}}</td><td>{{f1 .Seconds}}</td><td>{{mib .PeakRSSBytes}}</td><td>{{.UnexpectedErrors}}</td></tr>
{{end}}</table>
<div class="plots">{{range $.LoadPlots}}{{.}}{{end}}</div>
{{else}}<p class="note">Not run.</p>
{{end}}
</body>
</html>
`))
