package minutiae

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestExtractDebugDump writes the stages of one image as PNG files to the
// folder named by WHORL_EXTRACT_DUMP, for looking at; it skips otherwise.
func TestExtractDebugDump(t *testing.T) {
	out := os.Getenv("WHORL_EXTRACT_DUMP")
	if out == "" {
		t.Skip("set WHORL_EXTRACT_DUMP=DIR (and optionally WHORL_EXTRACT_IMAGE=path, WHORL_EXTRACT_PPI) to dump the stages")
	}
	path := os.Getenv("WHORL_EXTRACT_IMAGE")
	if path == "" {
		path = filepath.Join(extractTestDataDir(t, "fvc2002/DB1_B"), "101_1.tif")
	}
	ppi, _ := strconv.ParseFloat(os.Getenv("WHORL_EXTRACT_PPI"), 64)
	var img *Image
	if deg, err := strconv.ParseFloat(os.Getenv("WHORL_EXTRACT_SPIRAL"), 64); err == nil {
		img = spiralImage(300, 300, 150, 150, deg*math.Pi/180, os.Getenv("WHORL_EXTRACT_INVERT") != "")
	} else {
		img = extractTestDecode(t, path, ppi)
	}
	rec := &recordingTrace{}
	tpl, err := Extract(img, &ExtractOptions{Trace: rec})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range rec.stages {
		var g *image.Gray
		switch d := s.data.(type) {
		case *Field:
			g = fieldImage(d)
		case *Bitmap:
			g = image.NewGray(image.Rect(0, 0, d.Width, d.Height))
			for i, b := range d.Bits {
				g.Pix[i] = 255 * (1 - b)
			}
		default:
			continue
		}
		writePNG(t, filepath.Join(out, s.name+".png"), g)
	}
	// The minutiae over the skeleton.
	var skel *Bitmap
	for _, s := range rec.stages {
		if s.name == StageSkeleton {
			skel = s.data.(*Bitmap)
		}
	}
	// Left: the image; right: the skeleton; minutiae on both; scaled 2×.
	W := skel.Width
	rgb := image.NewRGBA(image.Rect(0, 0, 2*W, skel.Height))
	for y := range skel.Height {
		for x := range skel.Width {
			v := img.Gray.GrayAt(x, y).Y
			rgb.Set(x, y, color.RGBA{v, v, v, 255})
			c := color.RGBA{230, 230, 230, 255}
			if skel.At(x, y) {
				c = color.RGBA{0, 0, 0, 255}
			}
			rgb.Set(x+W, y, c)
		}
	}
	for _, m := range tpl.Minutiae {
		for _, ox := range []int{0, W} {
			m := m
			m.X += float32(ox)
			c := color.RGBA{255, 0, 0, 255}
			if m.Kind == KindBifurcation {
				c = color.RGBA{0, 0, 255, 255}
			}
			for k := -2; k <= 2; k++ {
				rgb.Set(int(m.X)+k, int(m.Y)-2, c)
				rgb.Set(int(m.X)+k, int(m.Y)+2, c)
				rgb.Set(int(m.X)-2, int(m.Y)+k, c)
				rgb.Set(int(m.X)+2, int(m.Y)+k, c)
			}
			for r := 3; r < 12; r++ {
				rgb.Set(int(float64(m.X)+float64(r)*math.Cos(float64(m.Direction))), int(float64(m.Y)-float64(r)*math.Sin(float64(m.Direction))), color.RGBA{0, 180, 0, 255})
			}
		}
	}
	big := image.NewRGBA(image.Rect(0, 0, 2*rgb.Rect.Dx(), 2*rgb.Rect.Dy()))
	for y := range big.Rect.Dy() {
		for x := range big.Rect.Dx() {
			big.Set(x, y, rgb.At(x/2, y/2))
		}
	}
	rgb = big
	f, err := os.Create(filepath.Join(out, "minutiae.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, rgb); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d minutiae, quality %d", len(tpl.Minutiae), tpl.Quality)
}

// fieldImage scales a field to grey levels between its minimum and maximum,
// one pixel a cell.
func fieldImage(d *Field) *image.Gray {
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range d.Values {
		lo, hi = min(lo, v), max(hi, v)
	}
	g := image.NewGray(image.Rect(0, 0, d.Width, d.Height))
	if hi > lo {
		for i, v := range d.Values {
			g.Pix[i] = uint8((v - lo) / (hi - lo) * 255)
		}
	}
	return g
}

func writePNG(t *testing.T, path string, g image.Image) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, g); err != nil {
		t.Fatal(err)
	}
}
