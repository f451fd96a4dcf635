package chart_test

import (
	"fmt"
	"image"

	"github.com/whorlafis/whorl/minutiae"
	"github.com/whorlafis/whorl/minutiae/chart"
)

// Render draws two prints side by side. Here the prints are blank and the
// minutiae made up; a client takes them from SearchService.Compare (the
// pairs, score and FMR, and both templates) and decodes the images with
// minutiae.DecodeImage, then writes the result with image/png.
func ExampleRender() {
	probe := chart.Side{
		Image: image.NewGray(image.Rect(0, 0, 240, 320)),
		Label: "latent.png",
		Minutiae: []minutiae.Minutia{
			{X: 100, Y: 120, Direction: 1.2, Kind: minutiae.KindEnding},
			{X: 150, Y: 200, Direction: 4.0, Kind: minutiae.KindBifurcation},
		},
	}
	candidate := chart.Side{
		Image: image.NewGray(image.Rect(0, 0, 388, 374)),
		Label: "101_1.tif",
		Minutiae: []minutiae.Minutia{
			{X: 180, Y: 150, Direction: 1.3, Kind: minutiae.KindEnding},
			{X: 230, Y: 235, Direction: 4.1, Kind: minutiae.KindBifurcation},
			{X: 300, Y: 60, Direction: 0.5, Kind: minutiae.KindOther},
		},
	}
	pairs := []chart.Pair{{Probe: 0, Candidate: 0}, {Probe: 1, Candidate: 1}}
	img := chart.Render(probe, candidate, pairs, 21.4, 3.2e-3, chart.Options{})
	g := chart.Layout(probe, candidate, pairs, 21.4, 3.2e-3, chart.Options{})
	fmt.Println("chart", img.Bounds().Size())
	fmt.Println("probe panel", g.Panels[0], "scale", g.Scales[0])
	fmt.Println("candidate panel", g.Panels[1], "scale", g.Scales[1])
	// Output:
	// chart (749,484)
	// probe panel (16,68)-(297,442) scale 1.16875
	// candidate panel (345,68)-(733,442) scale 1
}
