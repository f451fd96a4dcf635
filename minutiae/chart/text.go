package chart

import (
	"image"
	"image/color"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Type sizes in pixels.
const (
	textSize  = 15 // header, captions, legend
	labelSize = 12 // pair numbers
)

// goFonts parses the embedded Go fonts once. They are part of the binary,
// so failing to parse them is a build defect, not bad input.
var goFonts = sync.OnceValue(func() [2]*sfnt.Font {
	var out [2]*sfnt.Font
	for i, ttf := range [][]byte{goregular.TTF, gobold.TTF} {
		f, err := opentype.Parse(ttf)
		if err != nil {
			panic("chart: embedded Go font: " + err.Error())
		}
		out[i] = f
	}
	return out
})

// typefaces are the faces of one Render call (a font.Face is not safe for
// concurrent use, so each call has its own).
type typefaces struct {
	text, number font.Face
}

func newTypefaces() *typefaces {
	fs := goFonts()
	face := func(f *sfnt.Font, size float64) font.Face {
		ff, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			panic("chart: embedded Go font: " + err.Error())
		}
		return ff
	}
	return &typefaces{text: face(fs[0], textSize), number: face(fs[1], labelSize)}
}

// lineHeight is the height of a line of text.
func (t *typefaces) lineHeight() int { return t.text.Metrics().Height.Ceil() }

func (t *typefaces) width(f font.Face, s string) int {
	return font.MeasureString(f, s).Ceil()
}

// draw writes s with its baseline starting at p.
func (t *typefaces) draw(dst *image.RGBA, f font.Face, p image.Point, s string, c color.RGBA) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: f, Dot: fixed.P(p.X, p.Y)}
	d.DrawString(s)
}

// labelRect is where the number of a minutia at (x, y) goes: a box above
// and to the right of its mark, moved inside the panel when it would leave
// it (the box stays in the panel whenever the panel is large enough).
func (t *typefaces) labelRect(panel image.Rectangle, x, y float64, s string) image.Rectangle {
	m := t.number.Metrics()
	w := t.width(t.number, s) + 2*labelPadding
	h := (m.Ascent + m.Descent).Ceil() + 2*labelPadding
	off := markRadius + 2
	x0 := int(math.Round(clampf(x+off, float64(panel.Min.X), float64(panel.Max.X-w))))
	y0 := int(math.Round(clampf(y-off-float64(h), float64(panel.Min.Y), float64(panel.Max.Y-h))))
	return image.Rect(x0, y0, x0+w, y0+h)
}

// label draws a pair's number beside the minutia at (x, y): crimson bold on
// a white box, clipped to the panel.
func (t *typefaces) label(dst *image.RGBA, panel image.Rectangle, x, y float64, s string) {
	r := t.labelRect(panel, x, y, s)
	fillRect(dst, panel, r, Background)
	sub, ok := dst.SubImage(panel).(*image.RGBA)
	if !ok || sub.Bounds().Empty() {
		return
	}
	t.draw(sub, t.number, image.Pt(r.Min.X+labelPadding, r.Min.Y+labelPadding+t.number.Metrics().Ascent.Ceil()), s, PairColor)
}

// clampf is v within lo..hi, and lo when hi < lo.
func clampf(v, lo, hi float64) float64 {
	return math.Max(lo, math.Min(v, hi))
}
