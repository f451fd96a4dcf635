package fmr_test

import (
	"fmt"
	"math"

	"github.com/whorlafis/whorl/minutiae/fmr"
)

func ExampleDecode() {
	// An ISO/IEC 19794-2:2005 record at 500 ppi (197 px/cm) with one view of
	// the right index finger and two minutiae.
	data := []byte{
		'F', 'M', 'R', 0, ' ', '2', '0', 0, // format identifier, version
		0, 0, 0, 42, // record length
		0, 0, // capture equipment
		0x01, 0x90, 0x01, 0xF4, // image 400 × 500 pixels
		0, 197, 0, 197, // 197 pixels per centimetre
		1, 0, // one finger view, reserved byte
		2, 0x00, 80, 2, // right index, view 0 live plain, quality 80, 2 minutiae
		0x40, 100, 0, 200, 64, 90, // ending at (100, 200), 64 × 360/256 = 90°, quality 90
		0x80, 150, 0, 250, 128, 70, // bifurcation at (150, 250), 180°, quality 70
		0, 0, // no extended data
	}
	rec, err := fmr.Decode(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	tmpl, err := rec.Template(0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v, %d view\n", rec.Format, len(rec.Views))
	fmt.Printf("%v, %v, %d×%d, quality %d\n", tmpl.Position, tmpl.Impression, tmpl.Width, tmpl.Height, tmpl.Quality)
	for _, m := range tmpl.Minutiae {
		fmt.Printf("%v at (%g, %g), %.0f°, quality %d\n", m.Kind, m.X, m.Y, float64(m.Direction)*180/math.Pi, m.Quality)
	}
	// Output:
	// ISO/IEC 19794-2:2005, 1 view
	// right index, live plain, 400×500, quality 80
	// ending at (100, 200), 90°, quality 90
	// bifurcation at (150, 250), 180°, quality 70
}
