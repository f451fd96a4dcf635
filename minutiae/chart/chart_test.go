package chart

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

// white is a blank print of w × h.
func white(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	return g
}

// at is the colour of a chart pixel at continuous coordinates (x, y).
func at(img *image.RGBA, x, y float64) color.RGBA {
	return img.RGBAAt(int(math.Floor(x)), int(math.Floor(y)))
}

func TestLayoutPanels(t *testing.T) {
	tests := []struct {
		name         string
		probe, cand  image.Point
		opts         Options
		pSize, cSize image.Point
	}{
		{"default: both at the taller height", image.Pt(200, 100), image.Pt(300, 400), Options{}, image.Pt(800, 400), image.Pt(300, 400)},
		{"equal sizes: drawn as they are", image.Pt(388, 374), image.Pt(388, 374), Options{}, image.Pt(388, 374), image.Pt(388, 374)},
		{"panel height", image.Pt(200, 100), image.Pt(300, 400), Options{PanelHeight: 200}, image.Pt(400, 200), image.Pt(150, 200)},
		{"same scale", image.Pt(200, 100), image.Pt(300, 400), Options{SameScale: true}, image.Pt(200, 100), image.Pt(300, 400)},
		{"same scale, panel height", image.Pt(200, 100), image.Pt(300, 400), Options{SameScale: true, PanelHeight: 200}, image.Pt(100, 50), image.Pt(150, 200)},
		{"height clamped up", image.Pt(40, 40), image.Pt(40, 40), Options{PanelHeight: 1}, image.Pt(MinPanelHeight, MinPanelHeight), image.Pt(MinPanelHeight, MinPanelHeight)},
		{"height clamped down", image.Pt(100, 100), image.Pt(100, 100), Options{PanelHeight: 1 << 20}, image.Pt(MaxPanelHeight, MaxPanelHeight), image.Pt(MaxPanelHeight, MaxPanelHeight)},
		{"a very wide print is narrowed", image.Pt(16000, 10), image.Pt(100, 100), Options{}, image.Pt(maxPanelWidth, 3), image.Pt(100, 100)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, c := Side{Image: white(tc.probe.X, tc.probe.Y)}, Side{Image: white(tc.cand.X, tc.cand.Y)}
			g := Layout(p, c, nil, 0, 1, tc.opts)
			assert.Equal(t, tc.pSize, g.Panels[0].Size(), "probe panel")
			assert.Equal(t, tc.cSize, g.Panels[1].Size(), "candidate panel")
			// Side by side, probe on the left, inside the chart, not
			// overlapping; centred on one horizontal axis.
			assert.Equal(t, margin, g.Panels[0].Min.X)
			assert.Equal(t, g.Panels[0].Max.X+panelGap, g.Panels[1].Min.X)
			assert.True(t, g.Panels[0].Union(g.Panels[1]).In(image.Rectangle{Max: g.Size}))
			assert.InDelta(t, g.Panels[0].Min.Y+g.Panels[0].Max.Y, g.Panels[1].Min.Y+g.Panels[1].Max.Y, 1)
			if tc.probe.X < 1000 {
				img := Render(p, c, nil, 0, 1, tc.opts)
				assert.Equal(t, g.Size, img.Bounds().Size(), "Render follows Layout")
			}
		})
	}
}

func TestBlankPanelFitsMinutiae(t *testing.T) {
	p := Side{Minutiae: []minutiae.Minutia{{X: 300, Y: 120}, {X: 10, Y: 250}}}
	c := Side{}
	g := Layout(p, c, nil, 0, 1, Options{})
	// 301 × 251 at scale 1 (the taller side); the empty side is the least
	// blank panel, scaled to the same height.
	assert.Equal(t, image.Pt(301, 251), g.Panels[0].Size())
	assert.Equal(t, image.Pt(251, 251), g.Panels[1].Size())
	Render(p, c, nil, 0, 1, Options{})
}

// TestMarksAndLines draws a known chart on white prints and looks at the
// pixels where each thing must be.
func TestMarksAndLines(t *testing.T) {
	// The probe is half the candidate's height, so it is drawn at scale 2:
	// the test also checks that positions follow the scaling.
	probe := Side{Image: white(150, 100), Label: "probe.png", Minutiae: []minutiae.Minutia{
		{X: 30, Y: 70, Direction: 0, Kind: minutiae.KindEnding},                 // pair 1
		{X: 100, Y: 20, Direction: math.Pi / 2, Kind: minutiae.KindBifurcation}, // pair 2
		{X: 120, Y: 80, Direction: math.Pi, Kind: minutiae.KindOther},           // unmatched
	}}
	cand := Side{Image: white(200, 200), Label: "candidate.png", Minutiae: []minutiae.Minutia{
		{X: 150, Y: 50, Direction: 3 * math.Pi / 2, Kind: minutiae.KindEnding}, // unmatched
		{X: 40, Y: 150, Direction: 0, Kind: minutiae.KindEnding},               // pair 1
		{X: 60, Y: 30, Direction: math.Pi / 2, Kind: minutiae.KindBifurcation}, // pair 2
	}}
	pairs := []Pair{{0, 1}, {1, 2}}
	img := Render(probe, cand, pairs, 87.3, 1.2e-6, Options{})
	g := Layout(probe, cand, pairs, 87.3, 1.2e-6, Options{})
	require.Equal(t, g.Size, img.Bounds().Size())
	require.Equal(t, 2.0, g.Scales[0])
	require.Equal(t, 1.0, g.Scales[1])

	// Probe minutia 0 at (30, 70) × 2 from the panel's corner, its pixel's
	// centre: (61, 141).
	px, py := g.Point(0, probe.Minutiae[0])
	assert.Equal(t, float64(g.Panels[0].Min.X)+61, px)
	assert.Equal(t, float64(g.Panels[0].Min.Y)+141, py)

	// Each pair's line: a point a third of the way, and the midpoint.
	for k, p := range pairs {
		x0, y0 := g.Point(0, probe.Minutiae[p.Probe])
		x1, y1 := g.Point(1, cand.Minutiae[p.Candidate])
		for _, f := range []float64{0.5, 0.6} {
			assert.Equal(t, PairColor, at(img, x0+f*(x1-x0), y0+f*(y1-y0)), "pair %d line at %.1f", k+1, f)
		}
	}
	// Between the panels, off every line: the page.
	assert.Equal(t, Background, img.RGBAAt(g.Panels[0].Max.X+panelGap/2, g.Panels[1].Max.Y-2))

	// The marks: on the outline, in the colour of their state; the tick
	// along the direction (counter-clockwise as viewed, y down).
	type probeAt struct {
		side  int
		i     int
		dx    float64 // offset from the minutia, in chart pixels
		dy    float64
		want  color.RGBA
		about string
	}
	for _, c := range []probeAt{
		{0, 0, -markRadius, 0, PairColor, "matched ending: circle (left side)"},
		{0, 0, markRadius + tickLength/2, 0, PairColor, "tick at direction 0: to the right"},
		{0, 1, -markRadius, -markRadius, PairColor, "matched bifurcation: square corner"},
		{0, 1, 0, -(markRadius + tickLength/2), PairColor, "tick at π/2: up"},
		{0, 2, -markRadius * 1.3, 0, UnmatchedColor, "unmatched other: diamond's left vertex"},
		{0, 2, 0, markRadius * 1.3, UnmatchedColor, "diamond's lower vertex"},
		{0, 2, -(markRadius + tickLength/2), 0, UnmatchedColor, "tick at π: to the left"},
		{1, 0, 0, -markRadius, UnmatchedColor, "unmatched ending: circle (top)"},
		{1, 0, 0, markRadius + tickLength/2, UnmatchedColor, "tick at 3π/2: down"},
		{1, 0, 0, 0, Background, "inside the circle: the print (white)"},
		{1, 1, markRadius, 0, PairColor, "matched ending on the candidate"},
		{1, 0, -markRadius, -markRadius, Background, "a circle is not a square"},
		{0, 2, -markRadius, -markRadius, Background, "a diamond is not a square"},
	} {
		s := [2]Side{probe, cand}[c.side]
		x, y := g.Point(c.side, s.Minutiae[c.i])
		assert.Equal(t, c.want, at(img, x+c.dx, y+c.dy), c.about)
	}

	// Numbers: each matched minutia has its pair's number in a white
	// label beside it, the same on both sides, different between pairs.
	ty := newTypefaces()
	var labels [2][]*image.RGBA
	for k, p := range pairs {
		for side, i := range []int{p.Probe, p.Candidate} {
			s := [2]Side{probe, cand}[side]
			x, y := g.Point(side, s.Minutiae[i])
			r := ty.labelRect(g.Panels[side], x, y, []string{"1", "2"}[k])
			require.True(t, r.In(g.Panels[side]), "label inside its panel")
			assert.Less(t, math.Hypot(float64(r.Min.X)-x, float64(r.Max.Y)-y), 3*markRadius, "label beside its minutia")
			sub := img.SubImage(r).(*image.RGBA)
			ink, paper := count(sub, PairColor), count(sub, Background)
			assert.Positive(t, ink, "pair %d side %d: number drawn", k+1, side)
			assert.Positive(t, paper, "pair %d side %d: on a white label", k+1, side)
			labels[side] = append(labels[side], sub)
		}
	}
	for k := range pairs {
		assert.True(t, samePixels(labels[0][k], labels[1][k]), "pair %d: same number both sides", k+1)
	}
	assert.False(t, samePixels(labels[0][0], labels[0][1]), "pairs 1 and 2: different numbers")

	// The header and captions are drawn (text pixels in their rows).
	assert.Positive(t, count(img.SubImage(image.Rect(0, 0, g.Size.X, g.header.Y+4)).(*image.RGBA), TextColor))
	assert.Positive(t, count(img.SubImage(image.Rect(g.caption[1].X, g.caption[1].Y-12, g.Size.X, g.caption[1].Y+4)).(*image.RGBA), TextColor))
}

func count(img *image.RGBA, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				n++
			}
		}
	}
	return n
}

// samePixels compares two equal-sized sub-images pixel by pixel.
func samePixels(a, b *image.RGBA) bool {
	if a.Bounds().Size() != b.Bounds().Size() {
		return false
	}
	for y := range a.Bounds().Dy() {
		for x := range a.Bounds().Dx() {
			if a.RGBAAt(a.Bounds().Min.X+x, a.Bounds().Min.Y+y) != b.RGBAAt(b.Bounds().Min.X+x, b.Bounds().Min.Y+y) {
				return false
			}
		}
	}
	return true
}

func TestHeaderText(t *testing.T) {
	tests := []struct {
		score, fmr float64
		n, invalid int
		want       string
	}{
		{87.3, 1.2e-6, 14, 0, "score 87.3, estimated FMR 1.2e-06, 14 matched pairs"},
		{87.34, 1.234e-6, 1, 0, "score 87.3, estimated FMR 1.2e-06, 1 matched pair"},
		{0, 1, 0, 0, "score 0.0, estimated FMR 1, no matched pairs"},
		{5, 0.5, 2, 3, "score 5.0, estimated FMR 0.5, 2 matched pairs (3 more not drawn: index out of range)"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, headerText(tc.score, tc.fmr, tc.n, tc.invalid))
	}
}

func TestNoPairs(t *testing.T) {
	probe := Side{Image: white(120, 120), Minutiae: []minutiae.Minutia{{X: 60, Y: 60, Kind: minutiae.KindEnding}}}
	cand := Side{Image: white(120, 120), Minutiae: []minutiae.Minutia{{X: 30, Y: 30, Kind: minutiae.KindBifurcation}}}
	img := Render(probe, cand, nil, 0, 1, Options{})
	g := Layout(probe, cand, nil, 0, 1, Options{})
	// The legend shows the pair colour once (its sample mark); nowhere
	// else is it used.
	legendTop := g.Panels[0].Max.Y
	assert.Zero(t, count(img.SubImage(image.Rect(0, 0, g.Size.X, legendTop)).(*image.RGBA), PairColor), "no pair colour above the legend")
	assert.Positive(t, count(img, UnmatchedColor))
	// Both marks are drawn, unmatched.
	x, y := g.Point(0, probe.Minutiae[0])
	assert.Equal(t, UnmatchedColor, at(img, x+markRadius, y))
	x, y = g.Point(1, cand.Minutiae[0])
	assert.Equal(t, UnmatchedColor, at(img, x-markRadius, y+2))
}

// TestClipping: marks near and beyond the edges stay in their panel; bad
// pairs and coordinates are skipped.
func TestClipping(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	probe := Side{Image: white(100, 100), Minutiae: []minutiae.Minutia{
		{X: 0, Y: 50, Direction: math.Pi, Kind: minutiae.KindEnding}, // tick points out of the panel, to the left
		{X: 99, Y: 50, Direction: 0, Kind: minutiae.KindEnding},      // and to the right, towards the gap
		{X: -500, Y: 1e9, Kind: minutiae.KindBifurcation},
		{X: nan, Y: 10},
		{X: inf, Y: -inf},
		{X: 3.4e38, Y: -3.4e38, Direction: 1e30, Kind: 7},
	}}
	cand := Side{Image: white(100, 100), Minutiae: []minutiae.Minutia{{X: 50, Y: 50}}}
	pairs := []Pair{{2, 0}, {3, 0}, {-1, 0}, {0, 5}, {5, 0}}
	var img *image.RGBA
	require.NotPanics(t, func() { img = Render(probe, cand, pairs, math.NaN(), math.Inf(1), Options{}) })
	g := Layout(probe, cand, pairs, math.NaN(), math.Inf(1), Options{})
	p := g.Panels[0]
	_, y := g.Point(0, probe.Minutiae[0])
	row := int(y)
	for x := 0; x < p.Min.X; x++ {
		assert.Equal(t, Background, img.RGBAAt(x, row), "left of the panel, x=%d", x)
	}
	// Right of the probe panel, on minutia 1's row: only the line of a
	// pair may cross the gap; the line from probe minutia 5 leaves (far
	// away), pairs 2 and 3 are skipped.
	assert.Equal(t, Background, img.RGBAAt(p.Max.X+1, row), "tick clipped at the panel's right edge")
	// Pair 1 (probe minutia 2, far below) is drawn as far as the panels
	// reach, pair 5 too; the header counts the pairs drawn.
	n := len(validPairs(probe, cand, pairs))
	assert.Equal(t, 2, n)
}

func TestDeterministic(t *testing.T) {
	probe, cand, pairs := randomChart(rand.New(rand.NewPCG(1, 2)), 40)
	a := Render(probe, cand, pairs, 42, 1e-5, Options{})
	b := Render(probe, cand, pairs, 42, 1e-5, Options{})
	assert.True(t, bytes.Equal(a.Pix, b.Pix))
}

// randomChart makes two noisy prints with n random minutiae each (some
// outside the image) and random pairs, some out of range.
func randomChart(r *rand.Rand, n int) (Side, Side, []Pair) {
	side := func() Side {
		w, h := 1+r.IntN(500), 1+r.IntN(500)
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = uint8(r.IntN(256))
		}
		s := Side{Image: g, Label: strings.Repeat("x", r.IntN(40))}
		for range n {
			s.Minutiae = append(s.Minutiae, minutiae.Minutia{
				X: float32(r.Float64()*float64(w)*1.4 - 0.2*float64(w)), Y: float32(r.Float64()*float64(h)*1.4 - 0.2*float64(h)),
				Direction: float32(r.Float64() * 2 * math.Pi), Kind: minutiae.Kind(r.IntN(4)),
			})
		}
		return s
	}
	probe, cand := side(), side()
	var pairs []Pair
	for range r.IntN(n + 1) {
		pairs = append(pairs, Pair{r.IntN(n+4) - 2, r.IntN(n+4) - 2})
	}
	return probe, cand, pairs
}

// FuzzRender draws random charts: no panic, the size Layout says, and
// every drawn pair's line passes through the gap between the panels.
func FuzzRender(f *testing.F) {
	for _, s := range []struct {
		seed uint64
		n    uint8
		same bool
		h    uint16
	}{{1, 0, false, 0}, {2, 10, false, 0}, {3, 60, true, 0}, {4, 200, false, 100}, {5, 30, true, 900}} {
		f.Add(s.seed, s.n, s.same, s.h)
	}
	f.Fuzz(func(t *testing.T, seed uint64, n uint8, same bool, h uint16) {
		probe, cand, pairs := randomChart(rand.New(rand.NewPCG(seed, 7)), int(n))
		opts := Options{SameScale: same, PanelHeight: int(h) % 1200}
		img := Render(probe, cand, pairs, float64(seed%200), 1/float64(1+seed), opts)
		g := Layout(probe, cand, pairs, float64(seed%200), 1/float64(1+seed), opts)
		require.Equal(t, g.Size, img.Bounds().Size())
		gapX := float64(g.Panels[0].Max.X+panelGap/2) + 0.5 // a pixel's centre
		for k := range validPairs(probe, cand, pairs) {
			p := pairs[k]
			x0, y0 := g.Point(0, probe.Minutiae[p.Probe])
			x1, y1 := g.Point(1, cand.Minutiae[p.Candidate])
			if x0 > gapX-1 || x1 < gapX+1 { // minutiae off their images: the line may not cross
				continue
			}
			y := y0 + (gapX-x0)*(y1-y0)/(x1-x0)
			top, bottom := float64(g.Panels[0].Union(g.Panels[1]).Min.Y), float64(g.Panels[0].Union(g.Panels[1]).Max.Y)
			if y > top+1 && y < bottom-1 {
				assert.Equal(t, PairColor, at(img, gapX, y), "pair %d crosses the gap at y %.1f", k+1, y)
			}
		}
	})
}
