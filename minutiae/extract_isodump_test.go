package minutiae_test

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whorlafis/whorl/minutiae"
)

// TestExtractISODump draws our minutiae (red endings, blue bifurcations)
// and SecuGen's (yellow, at the registered offset) on the image named by
// WHORL_ISO_IMAGE (a FVC2002 set B file), into WHORL_ISO_DUMP; it skips
// otherwise.
func TestExtractISODump(t *testing.T) {
	out, path := os.Getenv("WHORL_ISO_DUMP"), os.Getenv("WHORL_ISO_IMAGE")
	if out == "" || path == "" {
		t.Skip("set WHORL_ISO_DUMP=FILE.png and WHORL_ISO_IMAGE=.../DBn_B/xxx_y.tif to draw a comparison")
	}
	c := isoCases[len(isoCases)-1]
	for _, k := range isoCases {
		if strings.Contains(path, k.dir) {
			c = k
		}
	}
	c.dir, c.pattern = filepath.Dir(path), filepath.Base(path)
	pairs := loadISOPairs(t, c)
	if len(pairs) != 1 {
		t.Fatalf("%d templates for %s", len(pairs), path)
	}
	p := pairs[0]
	b, _ := os.ReadFile(path)
	img, err := minutiae.DecodeImage(b, c.ppi)
	if err != nil {
		t.Fatal(err)
	}
	recall, precision := isoShare(p.theirs, p.ours), isoShare(p.ours, p.theirs)
	const s = 2
	g := img.Gray
	W, H := g.Rect.Dx(), g.Rect.Dy()
	rgb := image.NewRGBA(image.Rect(0, 0, s*W, s*H))
	for y := range s * H {
		for x := range s * W {
			v := g.GrayAt(x/s, y/s).Y/2 + 100
			rgb.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	draw := func(m minutiae.Minutia, c color.RGBA, r int) {
		x, y := int(s*m.X), int(s*m.Y)
		for k := -r; k <= r; k++ {
			rgb.Set(x+k, y-r, c)
			rgb.Set(x+k, y+r, c)
			rgb.Set(x-r, y+k, c)
			rgb.Set(x+r, y+k, c)
		}
		for l := r; l < r+14; l++ {
			rgb.Set(x+int(float64(l)*math.Cos(float64(m.Direction))), y-int(float64(l)*math.Sin(float64(m.Direction))), c)
		}
	}
	for _, m := range p.theirs {
		draw(m, color.RGBA{230, 200, 0, 255}, 6)
	}
	for _, m := range p.ours {
		c := color.RGBA{230, 0, 0, 255}
		if m.Kind == minutiae.KindBifurcation {
			c = color.RGBA{0, 0, 230, 255}
		}
		draw(m, c, 3)
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, rgb); err != nil {
		t.Fatal(err)
	}
	t.Logf("%.0f%% of theirs matched, %.0f%% of ours; ours %d, theirs %d", 100*recall, 100*precision, len(p.ours), len(p.theirs))
}
