package main

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The report's plots are inline SVG drawn here, so that the page needs no
// script, no library and no network to show them.

// xy is one point of a series, in data units.
type xy struct{ x, y float64 }

// plotSeries is one curve of a plot.
type plotSeries struct {
	name    string
	color   string
	points  []xy
	markers bool // a dot at each point (for few points)
}

// plot is a chart of curves over two axes, each linear or log10. Unset
// (zero) bounds are taken from the data; on a log axis, values at or below
// the lower bound are drawn at it (a rate of 0 on a DET curve).
type plot struct {
	title, xLabel, yLabel  string
	xLog, yLog             bool
	xMin, xMax, yMin, yMax float64
	diagonal               bool      // the line y = x (FMR = FNMR on a DET plot)
	xTicks                 []float64 // the x axis's ticks, when not the usual ones (client counts)
	series                 []plotSeries
}

// Plot geometry in SVG user units.
const (
	plotW, plotH                     = 520, 340
	plotLeft, plotRight              = 64, 16
	plotTop, plotBottom              = 34, 46
	plotInnerW                       = plotW - plotLeft - plotRight
	plotInnerH                       = plotH - plotTop - plotBottom
	plotFont                         = `font-family="sans-serif" font-size="11"`
	plotGrid, plotAxis, plotDiagonal = "#ddd", "#444", "#bbb"
)

// seriesColors are the colors of a plot's curves, in order.
var seriesColors = []string{"#1f5fbf", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#495057"}

// svg renders the plot as an <svg> element. Every text in it is escaped.
func (p plot) svg() template.HTML {
	xMin, xMax, yMin, yMax := p.bounds()
	sx := axisScale(xMin, xMax, p.xLog, plotLeft, plotLeft+plotInnerW)
	sy := axisScale(yMin, yMax, p.yLog, plotTop+plotInnerH, plotTop)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`, plotW, plotH, plotW, plotH)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(p.title))
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#fff"/>`, plotW, plotH)
	fmt.Fprintf(&b, `<text x="%d" y="18" %s font-weight="bold">%s</text>`, plotLeft, plotFont, esc(p.title))
	xTicks := p.xTicks
	if xTicks == nil {
		xTicks = axisTicks(xMin, xMax, p.xLog)
	}
	for _, t := range xTicks {
		x := sx(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`, x, plotTop, x, plotTop+plotInnerH, plotGrid)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" %s text-anchor="middle">%s</text>`, x, plotTop+plotInnerH+14, plotFont, esc(tickLabel(t)))
	}
	for _, t := range axisTicks(yMin, yMax, p.yLog) {
		y := sy(t)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`, plotLeft, y, plotLeft+plotInnerW, y, plotGrid)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" %s text-anchor="end">%s</text>`, plotLeft-4, y+4, plotFont, esc(tickLabel(t)))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="%s"/>`, plotLeft, plotTop, plotInnerW, plotInnerH, plotAxis)
	fmt.Fprintf(&b, `<text x="%d" y="%d" %s text-anchor="middle">%s</text>`, plotLeft+plotInnerW/2, plotH-8, plotFont, esc(p.xLabel))
	fmt.Fprintf(&b, `<text x="14" y="%d" %s text-anchor="middle" transform="rotate(-90 14 %d)">%s</text>`, plotTop+plotInnerH/2, plotFont, plotTop+plotInnerH/2, esc(p.yLabel))
	if p.diagonal {
		lo, hi := math.Max(xMin, yMin), math.Min(xMax, yMax)
		if lo < hi {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="4 3"/>`, sx(lo), sy(lo), sx(hi), sy(hi), plotDiagonal)
		}
	}
	b.WriteString(`<g>`)
	for k, s := range p.series {
		color := s.color
		if color == "" {
			color = seriesColors[k%len(seriesColors)]
		}
		var pts []string
		lastX, lastY := math.NaN(), math.NaN()
		for _, pt := range s.points {
			x, y := sx(clampAxis(pt.x, xMin, xMax)), sy(clampAxis(pt.y, yMin, yMax))
			if math.Abs(x-lastX) < 0.5 && math.Abs(y-lastY) < 0.5 {
				continue // the same pixel: thousands of DET points stay a small path
			}
			lastX, lastY = x, y
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
			if s.markers {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, x, y, color)
			}
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, color, strings.Join(pts, " "))
		}
		// The legend, top right.
		ly := plotTop + 14 + 15*k
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`, plotLeft+plotInnerW-150, ly-4, plotLeft+plotInnerW-132, ly-4, color)
		fmt.Fprintf(&b, `<text x="%d" y="%d" %s>%s</text>`, plotLeft+plotInnerW-128, ly, plotFont, esc(s.name))
	}
	b.WriteString(`</g></svg>`)
	return template.HTML(b.String())
}

// bounds returns the axes' ranges: the plot's own where set, else the
// data's (on a log axis, its positive values').
func (p plot) bounds() (xMin, xMax, yMin, yMax float64) {
	dxMin, dxMax, dyMin, dyMax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range p.series {
		for _, pt := range s.points {
			if !p.xLog || pt.x > 0 {
				dxMin, dxMax = math.Min(dxMin, pt.x), math.Max(dxMax, pt.x)
			}
			if !p.yLog || pt.y > 0 {
				dyMin, dyMax = math.Min(dyMin, pt.y), math.Max(dyMax, pt.y)
			}
		}
	}
	pick := func(set, data, fallback float64) float64 {
		switch {
		case set != 0:
			return set
		case !math.IsInf(data, 0):
			return data
		}
		return fallback
	}
	xMin, xMax = pick(p.xMin, dxMin, 0), pick(p.xMax, dxMax, 1)
	yMin, yMax = pick(p.yMin, dyMin, 0), pick(p.yMax, dyMax, 1)
	if !p.yLog && p.yMin == 0 {
		yMin = math.Min(yMin, 0) // counts and rates start at 0
	}
	if !p.yLog && p.yMax == 0 && yMax > yMin {
		yMax += 0.15 * (yMax - yMin) // room for the legend above the data
	}
	if p.xLog && xMin <= 0 {
		xMin = xMax / 1000
	}
	if p.yLog && yMin <= 0 {
		yMin = yMax / 1000
	}
	if xMax <= xMin {
		xMax = xMin + math.Max(math.Abs(xMin), 1)
	}
	if yMax <= yMin {
		yMax = yMin + math.Max(math.Abs(yMin), 1)
	}
	return xMin, xMax, yMin, yMax
}

// axisScale maps data values in [lo, hi] to [from, to].
func axisScale(lo, hi float64, log bool, from, to float64) func(float64) float64 {
	if log {
		lo, hi = math.Log10(lo), math.Log10(hi)
	}
	return func(v float64) float64 {
		if log {
			v = math.Log10(v)
		}
		return from + (v-lo)/(hi-lo)*(to-from)
	}
}

func clampAxis(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// axisTicks returns the tick values of an axis: every power of ten on a
// log axis, about six round values on a linear one.
func axisTicks(lo, hi float64, log bool) []float64 {
	var ts []float64
	if log {
		for e := math.Ceil(math.Log10(lo) - 1e-9); e <= math.Log10(hi)+1e-9; e++ {
			ts = append(ts, math.Pow(10, e))
		}
		return ts
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		ts = append(ts, math.Round(v/step)*step)
	}
	return ts
}

func tickLabel(v float64) string {
	if v != 0 && (math.Abs(v) < 1e-3 || math.Abs(v) >= 1e6) {
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
	// Six significant digits hide the float noise of tick arithmetic
	// (0.30000000000000004).
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// detSeries is the DET curve of genuine and impostor scores: (FMR, FNMR)
// at every threshold.
func detSeries(name string, genuine, impostor []float64) plotSeries {
	s := plotSeries{name: name}
	for _, p := range operatingPoints(genuine, impostor) {
		s.points = append(s.points, xy{p.fmr, p.fnmr})
	}
	return s
}

// histogramSeries is the histogram of values over bins equal bins from lo
// to hi (equal in log10 when logX), as a step curve of each bin's share of
// the values (or count, when !share). Values outside [lo, hi] fall in the
// first or last bin.
func histogramSeries(name string, values []float64, lo, hi float64, bins int, logX, share bool) plotSeries {
	s := plotSeries{name: name}
	if len(values) == 0 || bins < 1 || !(hi > lo) || logX && lo <= 0 {
		return s
	}
	pos := func(v float64) float64 {
		if logX {
			return (math.Log10(v) - math.Log10(lo)) / (math.Log10(hi) - math.Log10(lo))
		}
		return (v - lo) / (hi - lo)
	}
	edge := func(i int) float64 {
		switch i {
		case 0:
			return lo
		case bins:
			return hi
		}
		f := float64(i) / float64(bins)
		if logX {
			return math.Pow(10, math.Log10(lo)+f*(math.Log10(hi)-math.Log10(lo)))
		}
		return lo + f*(hi-lo)
	}
	counts := make([]float64, bins)
	for _, v := range values {
		i := 0
		if v > 0 || !logX {
			i = int(math.Floor(pos(v) * float64(bins)))
		}
		counts[min(max(i, 0), bins-1)]++
	}
	s.points = append(s.points, xy{edge(0), 0})
	for i, c := range counts {
		if share {
			c /= float64(len(values))
		}
		s.points = append(s.points, xy{edge(i), c}, xy{edge(i + 1), c})
	}
	s.points = append(s.points, xy{edge(bins), 0})
	return s
}

// latencyPlot is the histogram of latencies in milliseconds, on a log
// axis when they spread over more than a decade.
func latencyPlot(title string, msValues []float64) plot {
	if len(msValues) == 0 {
		return plot{title: title + " (no samples)", xLabel: "latency (ms)", yLabel: "requests"}
	}
	lo, hi := slices.Min(msValues), slices.Max(msValues)
	logX := lo > 0 && hi/lo > 10
	if !logX {
		lo = 0
	}
	if hi <= lo {
		hi = lo + 1
	}
	return plot{title: title, xLabel: "latency (ms)", yLabel: "requests", xLog: logX,
		series: []plotSeries{histogramSeries(fmt.Sprintf("%d requests", len(msValues)), msValues, lo, hi, 30, logX, false)}}
}
