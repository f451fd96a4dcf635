package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// DET plot geometry: FMR on the x axis and FNMR on the y axis, both on a
// log scale from detMin to 1 (a rate of 0 is drawn at detMin).
const (
	detSize   = 480
	detMargin = 60
	detMin    = 1e-4
)

// writeDET writes the DET curve (FNMR against FMR over every threshold) of
// one set as a PNG.
func writeDET(path, title string, genuine, impostor []float64) error {
	img := image.NewRGBA(image.Rect(0, 0, detSize+2*detMargin, detSize+2*detMargin))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	grey := color.RGBA{200, 200, 200, 255}
	black := color.RGBA{0, 0, 0, 255}
	decades := int(math.Round(-math.Log10(detMin)))
	for d := 0; d <= decades; d++ {
		p := detMargin + d*detSize/decades
		line(img, p, detMargin, p, detMargin+detSize, grey)
		line(img, detMargin, p, detMargin+detSize, p, grey)
		label := fmt.Sprintf("%g%%", 100*math.Pow(10, float64(d-decades)))
		text(img, p-12, detMargin+detSize+16, label, black)
		text(img, 4, detMargin+detSize-d*detSize/decades+4, label, black)
	}
	line(img, detMargin, detMargin+detSize, detMargin+detSize, detMargin, grey) // FMR = FNMR
	text(img, detMargin, detMargin-24, title, black)
	text(img, detMargin+detSize/2-12, detMargin+detSize+36, "FMR", black)
	text(img, 4, detMargin-8, "FNMR", black)
	blue := color.RGBA{20, 60, 200, 255}
	prevX, prevY := -1, -1
	for _, pt := range operatingPoints(genuine, impostor) {
		x, y := detX(pt.fmr), detY(pt.fnmr)
		if prevX >= 0 {
			line(img, prevX, prevY, x, y, blue)
		}
		prevX, prevY = x, y
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func detPos(rate float64) float64 {
	r := math.Max(rate, detMin)
	return (math.Log10(r) - math.Log10(detMin)) / -math.Log10(detMin)
}

func detX(fmr float64) int  { return detMargin + int(math.Round(detPos(fmr)*detSize)) }
func detY(fnmr float64) int { return detMargin + detSize - int(math.Round(detPos(fnmr)*detSize)) }

// line draws a straight line by stepping along its longer side.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	steps := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= steps; i++ {
		img.Set(x0+(x1-x0)*i/steps, y0+(y1-y0)*i/steps, c)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func text(img *image.RGBA, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
