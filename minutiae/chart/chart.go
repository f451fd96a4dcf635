package chart

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	xdraw "golang.org/x/image/draw"

	"github.com/whorlafis/whorl/minutiae"
)

// Side is one of the two prints of a chart.
type Side struct {
	// Image is the print, in the pixel coordinates of Minutiae (500 ppi
	// after minutiae.DecodeImage). Nil draws a blank panel just large
	// enough for the minutiae, for templates that come without an image.
	Image *image.Gray
	// Minutiae are every minutia of the print, matched or not; pairs index
	// into this slice.
	Minutiae []minutiae.Minutia
	// Label is the caption above the panel (a file name, a subject id).
	Label string
}

// Pair joins Minutiae[Probe] of the probe side to Minutiae[Candidate] of the
// candidate side; the same shape as matcher.Pair and whorl.v1.MinutiaPair.
type Pair struct {
	Probe, Candidate int
}

// Options tune the layout. The zero value is the default chart.
type Options struct {
	// PanelHeight is the height of both panels in pixels; 0 means the
	// height of the taller image, so that it is drawn at its own scale.
	// It is clamped to MinPanelHeight..MaxPanelHeight.
	PanelHeight int
	// SameScale draws both prints at one scale (the one that makes the
	// taller image fill PanelHeight), so that ridge spacing compares
	// directly; the smaller print is centred in its panel. By default each
	// print is scaled to fill the panel height.
	SameScale bool
}

// Limits on the picture, whatever the input: they bound its memory.
const (
	MinPanelHeight = 64
	MaxPanelHeight = 4096
	// maxPanelWidth bounds a panel's width for very wide images, which are
	// then scaled down to it.
	maxPanelWidth = 4096
	// blankMinSide is the least side of a blank panel (a Side without an
	// image).
	blankMinSide = 64
)

// Drawing constants, in output pixels whatever the scale of the prints:
// marks keep a readable size on large and small panels alike.
const (
	margin       = 16  // around the chart and between its rows
	panelGap     = 48  // between the two panels; the pair lines cross it
	markRadius   = 5.0 // of the circle, and the half side of the square
	tickLength   = 9.0 // beyond the mark, along the minutia's direction
	markHalfW    = 0.9 // half the stroke width of marks and ticks
	lineHalfW    = 0.75
	labelPadding = 2
	// printContrast scales the prints' darkness (255 - grey) so that ridges
	// are dark grey rather than black and the coloured marks stay visible
	// on them.
	printContrast = 0.75
)

// The chart's colours.
var (
	PairColor      = color.RGBA{R: 220, G: 20, B: 60, A: 255}   // crimson: matched minutiae, their lines and numbers
	UnmatchedColor = color.RGBA{R: 90, G: 125, B: 175, A: 255}  // muted blue-grey: every other minutia
	TextColor      = color.RGBA{R: 20, G: 20, B: 20, A: 255}    // header, captions, legend
	Background     = color.RGBA{R: 255, G: 255, B: 255, A: 255} // the page and the number labels
)

// Geometry is where Render puts things: the size of the chart and where
// each print lies in it, so that a client can map chart pixels back to
// minutiae (a clickable chart) and tests can look at known places.
type Geometry struct {
	// Size is the chart's size in pixels.
	Size image.Point
	// Panels are where the probe's [0] and the candidate's [1] prints are
	// drawn, Scales the factor from their pixels to the chart's.
	Panels [2]image.Rectangle
	Scales [2]float64

	header  image.Point    // baseline start of the header line
	caption [2]image.Point // baseline starts of the captions
	legend  image.Point    // baseline start of the legend
}

// Point maps a minutia position on side i (0 the probe, 1 the candidate)
// to chart coordinates. They are continuous: image pixel (x, y) covers
// [x, x+1) × [y, y+1), so its centre is at (x+0.5, y+0.5) before scaling.
func (g *Geometry) Point(i int, m minutiae.Minutia) (x, y float64) {
	return float64(g.Panels[i].Min.X) + (float64(m.X)+0.5)*g.Scales[i],
		float64(g.Panels[i].Min.Y) + (float64(m.Y)+0.5)*g.Scales[i]
}

// Layout is the geometry Render uses for the same arguments.
func Layout(probe, candidate Side, pairs []Pair, score, fmr float64, opts Options) Geometry {
	t := newTypefaces()
	n := len(validPairs(probe, candidate, pairs))
	return computeLayout(probe, candidate, t.width(t.text, headerText(score, fmr, n, len(pairs)-n)), t.lineHeight(), opts)
}

// validPairs are the indices of the pairs that name minutiae both sides
// have, at finite positions: the ones drawn.
func validPairs(probe, candidate Side, pairs []Pair) map[int]bool {
	valid := map[int]bool{}
	for i, p := range pairs {
		if p.Probe >= 0 && p.Probe < len(probe.Minutiae) && p.Candidate >= 0 && p.Candidate < len(candidate.Minutiae) &&
			finite(probe.Minutiae[p.Probe]) && finite(candidate.Minutiae[p.Candidate]) {
			valid[i] = true
		}
	}
	return valid
}

// sourceSize is the size of a side's picture before scaling: its image, or
// for a blank panel the extent of its minutiae.
func sourceSize(s Side) image.Point {
	if s.Image != nil {
		if b := s.Image.Bounds(); b.Dx() > 0 && b.Dy() > 0 {
			return b.Size()
		}
	}
	p := image.Pt(blankMinSide, blankMinSide)
	for _, m := range s.Minutiae {
		if finite(m) {
			p.X = max(p.X, int(min(float64(m.X), minutiae.MaxDimension))+1)
			p.Y = max(p.Y, int(min(float64(m.Y), minutiae.MaxDimension))+1)
		}
	}
	return p
}

func finite(m minutiae.Minutia) bool {
	for _, v := range []float32{m.X, m.Y, m.Direction} {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}

// computeLayout places the rows (header, captions, panels, legend) top
// to bottom and the panels left to right.
func computeLayout(probe, candidate Side, headerWidth int, lineH int, opts Options) Geometry {
	src := [2]image.Point{sourceSize(probe), sourceSize(candidate)}
	h := opts.PanelHeight
	if h == 0 {
		h = max(src[0].Y, src[1].Y)
	}
	h = min(max(h, MinPanelHeight), MaxPanelHeight)
	var l Geometry
	var dim [2]image.Point
	for i, s := range src {
		sc := float64(h) / float64(s.Y)
		if opts.SameScale {
			sc = float64(h) / float64(max(src[0].Y, src[1].Y))
		}
		sc = min(sc, float64(maxPanelWidth)/float64(s.X))
		l.Scales[i] = sc
		dim[i] = image.Pt(max(1, int(math.Round(float64(s.X)*sc))), max(1, int(math.Round(float64(s.Y)*sc))))
	}
	ascent := lineH * 3 / 4
	y := margin
	l.header = image.Pt(margin, y+ascent)
	y += lineH + margin/2
	captionY := y + ascent
	y += lineH + margin/2
	panelsTop := y
	x := margin
	for i := range 2 {
		top := panelsTop + (h-dim[i].Y)/2
		l.Panels[i] = image.Rect(x, top, x+dim[i].X, top+dim[i].Y)
		l.caption[i] = image.Pt(x, captionY)
		x += dim[i].X + panelGap
	}
	x += margin - panelGap
	y = panelsTop + h + margin/2
	l.legend = image.Pt(margin, y+ascent)
	y += lineH + margin
	l.Size = image.Pt(max(x, headerWidth+2*margin), y)
	return l
}

// Render draws the chart of a comparison: probe on the left, candidate on
// the right, pairs numbered 1..n in the order given. score and fmr are the
// comparison's score and estimated false match rate, printed in the header.
func Render(probe, candidate Side, pairs []Pair, score, fmr float64, opts Options) *image.RGBA {
	t := newTypefaces()
	sides := [2]Side{probe, candidate}

	valid := validPairs(probe, candidate, pairs)
	n := len(valid)
	header := headerText(score, fmr, n, len(pairs)-n)
	l := computeLayout(probe, candidate, t.width(t.text, header), t.lineHeight(), opts)

	dst := image.NewRGBA(image.Rectangle{Max: l.Size})
	draw.Draw(dst, dst.Bounds(), image.NewUniform(Background), image.Point{}, draw.Src)
	t.draw(dst, t.text, l.header, header, TextColor)
	for i, s := range sides {
		t.draw(dst, t.text, l.caption[i], s.Label, TextColor)
		drawPrint(dst, l.Panels[i], s.Image)
	}

	// Which minutiae are matched, and with which number (the first pair
	// that names them, should a list name one twice).
	var matched [2]map[int]int
	for i := range matched {
		matched[i] = map[int]int{}
	}
	for k, p := range pairs {
		if !valid[k] {
			continue
		}
		if _, ok := matched[0][p.Probe]; !ok {
			matched[0][p.Probe] = k + 1
		}
		if _, ok := matched[1][p.Candidate]; !ok {
			matched[1][p.Candidate] = k + 1
		}
	}

	// Unmatched marks first, then the lines, then matched marks and
	// numbers on top, so that nothing hides what matters most.
	for i, s := range sides {
		for j, m := range s.Minutiae {
			if _, ok := matched[i][j]; !ok && finite(m) {
				x, y := l.Point(i, m)
				drawMark(dst, l.Panels[i], x, y, m, UnmatchedColor)
			}
		}
	}
	lines := l.Panels[0].Union(l.Panels[1])
	for k, p := range pairs {
		if !valid[k] {
			continue
		}
		x0, y0 := l.Point(0, probe.Minutiae[p.Probe])
		x1, y1 := l.Point(1, candidate.Minutiae[p.Candidate])
		drawSegment(dst, lines, x0, y0, x1, y1, lineHalfW, PairColor)
	}
	for i, s := range sides {
		for j, m := range s.Minutiae {
			if _, ok := matched[i][j]; ok {
				x, y := l.Point(i, m)
				drawMark(dst, l.Panels[i], x, y, m, PairColor)
			}
		}
	}
	for i, s := range sides {
		for j, m := range s.Minutiae { // index order: overlapping labels stack the same way every time
			if num, ok := matched[i][j]; ok {
				x, y := l.Point(i, m)
				t.label(dst, l.Panels[i], x, y, fmt.Sprint(num))
			}
		}
	}
	drawLegend(dst, t, l.legend)
	return dst
}

// headerText is the header line: score, estimated FMR and how many pairs.
func headerText(score, fmr float64, n, invalid int) string {
	s := fmt.Sprintf("score %.1f, estimated FMR %.2g, ", score, fmr)
	switch n {
	case 0:
		s += "no matched pairs"
	case 1:
		s += "1 matched pair"
	default:
		s += fmt.Sprintf("%d matched pairs", n)
	}
	if invalid > 0 {
		s += fmt.Sprintf(" (%d more not drawn: index out of range)", invalid)
	}
	return s
}

// drawPrint draws g into r, scaled, and fades it by printContrast; a nil
// image leaves a light grey panel.
func drawPrint(dst *image.RGBA, r image.Rectangle, g *image.Gray) {
	if g == nil || g.Bounds().Empty() {
		draw.Draw(dst, r, image.NewUniform(color.RGBA{R: 240, G: 240, B: 240, A: 255}), image.Point{}, draw.Src)
		return
	}
	if g.Bounds().Size() == r.Size() {
		draw.Draw(dst, r, g, g.Bounds().Min, draw.Src)
	} else {
		xdraw.CatmullRom.Scale(dst, r, g, g.Bounds(), draw.Src, nil)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := dst.Pix[dst.PixOffset(r.Min.X, y):dst.PixOffset(r.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			for c := range 3 {
				row[i+c] = 255 - uint8(float64(255-row[i+c])*printContrast+0.5)
			}
		}
	}
}

// drawLegend explains the marks and colours.
func drawLegend(dst *image.RGBA, t *typefaces, at image.Point) {
	x := float64(at.X)
	cy := float64(at.Y) - float64(t.lineHeight())/4
	item := func(k minutiae.Kind, c color.RGBA, text string) {
		drawMark(dst, dst.Bounds(), x+markRadius+1, cy, minutiae.Minutia{Kind: k}, c)
		x += 2*markRadius + tickLength + 6
		t.draw(dst, t.text, image.Pt(int(x), at.Y), text, TextColor)
		x += float64(t.width(t.text, text)) + 16
	}
	item(minutiae.KindEnding, UnmatchedColor, "ending")
	item(minutiae.KindBifurcation, UnmatchedColor, "bifurcation")
	item(minutiae.KindOther, UnmatchedColor, "other")
	item(minutiae.KindEnding, PairColor, "matched (numbered, joined)")
}
