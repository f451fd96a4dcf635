package minutiae_test

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/whorlafis/whorl/minutiae"
)

// stageNames is a Trace that lists the stages it is shown.
type stageNames []string

func (s *stageNames) Stage(name string, data any) { *s = append(*s, name) }

func ExampleExtract() {
	// A synthetic print: parallel ridges 9 pixels apart with one ridge
	// ending at (150, 150), its ridge running to the right.
	g := image.NewGray(image.Rect(0, 0, 300, 300))
	for y := range 300 {
		for x := range 300 {
			dx, dy := float64(x)-150, float64(y)-150
			c := math.Cos(2*math.Pi*dy/9 + math.Atan2(dy, dx))
			g.SetGray(x, y, color.Gray{Y: uint8(128 - 90*c)})
		}
	}
	img, err := minutiae.NewImage(g, 500)
	if err != nil {
		panic(err)
	}
	var stages stageNames
	tpl, err := minutiae.Extract(img, &minutiae.ExtractOptions{Position: minutiae.RightIndex, Trace: &stages})
	if err != nil {
		panic(err)
	}
	for _, m := range tpl.Minutiae {
		fmt.Printf("%v at (%.0f, %.0f), direction %.0f°\n", m.Kind, m.X, m.Y, float64(m.Direction)*180/math.Pi)
	}
	fmt.Println(len(stages), "stages traced, from", stages[0], "to", stages[len(stages)-1])
	// Output:
	// ending at (150, 150), direction 0°
	// 14 stages traced, from normalize to minutiae.weak
}
