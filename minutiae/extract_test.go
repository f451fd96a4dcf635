package minutiae

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
)

func grayImage(w, h int, at func(x, y int) uint8) *Image {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			g.Pix[y*g.Stride+x] = at(x, y)
		}
	}
	return &Image{Gray: g, PPI: StandardPPI, SourcePPI: StandardPPI, Format: formatRaw}
}

func TestExtractBlankImage(t *testing.T) {
	for _, v := range []uint8{0, 128, 255} {
		img := grayImage(300, 400, func(int, int) uint8 { return v })
		tpl, err := Extract(img, nil)
		if !errors.Is(err, ErrNoFingerprint) {
			t.Errorf("blank %d: got %d minutiae, error %v; want ErrNoFingerprint", v, len(tpl.Minutiae), err)
		}
	}
}

func TestExtractBadInput(t *testing.T) {
	if _, err := Extract(nil, nil); err == nil {
		t.Error("nil image: no error")
	}
	if _, err := Extract(&Image{}, nil); err == nil {
		t.Error("image without pixels: no error")
	}
	img := grayImage(100, 100, func(x, y int) uint8 { return uint8(x * y) })
	if _, err := Extract(img, &ExtractOptions{Position: 11}); err == nil {
		t.Error("finger position 11: no error")
	}
	if _, err := Extract(img, &ExtractOptions{Impression: 9}); err == nil {
		t.Error("impression 9: no error")
	}
}

// Tiny, thin and noisy images give an error or a valid template, never a
// panic.
func TestExtractSmallAndOddImages(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := func(int, int) uint8 { return uint8(rng.IntN(256)) }
	stripes := func(x, y int) uint8 { return uint8(128 + 100*math.Cos(2*math.Pi*float64(x+y)/9)) }
	for _, size := range [][2]int{{1, 1}, {5, 5}, {20, 20}, {23, 100}, {24, 24}, {25, 31}, {40, 40}, {24, 600}, {600, 24}, {64, 64}} {
		for name, at := range map[string]func(int, int) uint8{"noise": noise, "stripes": stripes} {
			img := grayImage(size[0], size[1], at)
			tpl, err := Extract(img, nil)
			if err != nil {
				continue
			}
			if err := tpl.Validate(); err != nil {
				t.Errorf("%v %s: invalid template: %v", size, name, err)
			}
			if tpl.Width != size[0] || tpl.Height != size[1] {
				t.Errorf("%v %s: template size %d × %d", size, name, tpl.Width, tpl.Height)
			}
		}
	}
}

// spiralImage draws parallel ridges (dark) of period 9 with one minutia at
// (cx, cy): the ridge phase turns by 2π around it, which adds one ridge. The
// added ridge runs from the minutia in the direction a (model convention,
// counter-clockwise as viewed): a ridge ending pointing at a. Inverted, the
// same point is a bifurcation whose fork opens towards a.
func spiralImage(w, h int, cx, cy, a float64, invert bool) *Image {
	const period = 9.0
	ux, uy := math.Cos(a), -math.Sin(a) // image coordinates, y down
	return grayImage(w, h, func(x, y int) uint8 {
		dx, dy := float64(x)-cx, float64(y)-cy
		along := dx*ux + dy*uy
		across := -dx*uy + dy*ux
		c := math.Cos(2*math.Pi*across/period + math.Atan2(across, along))
		if invert {
			c = -c
		}
		return uint8(128 - 90*c)
	})
}

// nearest returns the minutia of tpl closest to (x, y) and its distance.
func nearest(tpl Template, x, y float64) (Minutia, float64) {
	var best Minutia
	d := math.Inf(1)
	for _, m := range tpl.Minutiae {
		if e := math.Hypot(float64(m.X)-x, float64(m.Y)-y); e < d {
			best, d = m, e
		}
	}
	return best, d
}

// A single minutia on a synthetic pattern is found where it is, with its
// direction, in several orientations: as an ending pointing along its
// ridge, and, on the inverted image, as a bifurcation pointing the same way
// (along the valley that ends in the fork, as ISO/IEC 19794-2 measures it).
func TestExtractSyntheticMinutia(t *testing.T) {
	const cx, cy = 150.0, 150.0
	for _, deg := range []float64{0, 30, 90, 135, 180, 225, 300} {
		for _, tc := range []struct {
			invert bool
			kind   Kind
		}{{false, KindEnding}, {true, KindBifurcation}} {
			a := deg * math.Pi / 180
			tpl, err := Extract(spiralImage(300, 300, cx, cy, a, tc.invert), nil)
			if err != nil {
				t.Fatal(err)
			}
			m, d := nearest(tpl, cx, cy)
			if d > 5 {
				t.Errorf("%g° %v: no minutia within 5 px of (%g, %g); nearest %+v at %.1f px", deg, tc.kind, cx, cy, m, d)
				continue
			}
			if m.Kind != tc.kind {
				t.Errorf("%g° %v: found %v", deg, tc.kind, m.Kind)
			}
			if e := math.Abs(math.Remainder(float64(m.Direction)-a, 2*math.Pi)); e > 15*math.Pi/180 {
				t.Errorf("%g° %v: direction %.0f°, want %g° ± 15°", deg, tc.kind, float64(m.Direction)*180/math.Pi, deg)
			}
			if len(tpl.Minutiae) > 1 {
				t.Errorf("%g° %v: %d minutiae on a pattern with one: %+v", deg, tc.kind, len(tpl.Minutiae), tpl.Minutiae)
			}
		}
	}
}

// wantStages is the order in which Extract reports to a Trace.
var wantStages = []string{
	StageNormalize, StageOrientation, StageCoherence, StageMask, StageSmoothOrient, StageFrequency,
	StageEnhance, StageBinarize, StageSkeleton, StageRawMinutiae, StageRemoved, StageMinutiae, StageQuality, StageWeak,
}

func TestExtractTrace(t *testing.T) {
	img := spiralImage(200, 160, 100, 80, 0.5, false)
	rec := &recordingTrace{}
	tpl, err := Extract(img, &ExtractOptions{Trace: rec})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range rec.stages {
		names = append(names, s.name)
		switch d := s.data.(type) {
		case *Field:
			if len(d.Values) != d.Width*d.Height || d.Step < 1 {
				t.Errorf("%s: field %d × %d step %d with %d values", s.name, d.Width, d.Height, d.Step, len(d.Values))
			}
			if d.Step*d.Width < 200 || d.Step*d.Height < 160 {
				t.Errorf("%s: field %d × %d step %d does not cover the image", s.name, d.Width, d.Height, d.Step)
			}
		case *Bitmap:
			if len(d.Bits) != d.Width*d.Height || d.Step < 1 {
				t.Errorf("%s: bitmap %d × %d step %d with %d bits", s.name, d.Width, d.Height, d.Step, len(d.Bits))
			}
		case []Minutia:
		case []RemovedMinutia:
			for _, r := range d {
				if r.Reason == "" {
					t.Errorf("%s: a removed minutia without a reason", s.name)
				}
			}
		default:
			t.Errorf("%s: unexpected data %T", s.name, d)
		}
	}
	if !reflect.DeepEqual(names, wantStages) {
		t.Errorf("stages %v, want %v", names, wantStages)
	}
	checkTracedTemplate(t, rec, tpl)
	// With tracing off the result is the same.
	again, err := Extract(img, nil)
	if err != nil || !reflect.DeepEqual(again, tpl) {
		t.Errorf("tracing changed the result (%v)", err)
	}
}

// checkTracedTemplate checks that the template's minutiae are those traced
// at StageMinutiae less those traced at StageWeak, in order.
func checkTracedTemplate(t *testing.T, rec *recordingTrace, tpl Template) (weak int) {
	t.Helper()
	var kept []Minutia
	var dropped []RemovedMinutia
	for _, s := range rec.stages {
		switch s.name {
		case StageMinutiae:
			kept = s.data.([]Minutia)
		case StageWeak:
			dropped = s.data.([]RemovedMinutia)
		}
	}
	if len(kept)-len(dropped) != len(tpl.Minutiae) {
		t.Fatalf("%d minutiae traced, %d dropped as weak, %d in the template", len(kept), len(dropped), len(tpl.Minutiae))
	}
	i, j := 0, 0
	for _, m := range kept {
		if j < len(dropped) && m.X == dropped[j].X && m.Y == dropped[j].Y && m.Kind == dropped[j].Kind {
			if dropped[j].Quality >= minMinutiaQuality || dropped[j].Reason != RemovedLowQuality {
				t.Errorf("weak minutia %+v", dropped[j])
			}
			j++
			continue
		}
		m.Quality = tpl.Minutiae[i].Quality
		if m != tpl.Minutiae[i] {
			t.Errorf("traced minutia %+v, template %+v", m, tpl.Minutiae[i])
		}
		i++
	}
	if j != len(dropped) {
		t.Errorf("%d of %d weak minutiae found among those traced", j, len(dropped))
	}
	return len(dropped)
}

// On real prints some minutiae are dropped as weak, and the trace accounts
// for every one.
func TestExtractTraceWeakMinutiae(t *testing.T) {
	dir := extractTestDataDir(t, "fvc2002/DB3_B")
	weak := 0
	for _, name := range []string{"101_1.tif", "105_1.tif", "108_4.tif", "110_3.tif", "110_4.tif"} {
		rec := &recordingTrace{}
		tpl, err := Extract(extractTestDecode(t, filepath.Join(dir, name), 0), &ExtractOptions{Trace: rec})
		if err != nil {
			t.Fatal(err)
		}
		weak += checkTracedTemplate(t, rec, tpl)
	}
	if weak == 0 {
		t.Error("no weak minutia in these five DB3 prints: the test no longer exercises the drop")
	}
	t.Logf("%d weak minutiae dropped from five DB3 prints", weak)
}

// Extract is deterministic and safe for concurrent use.
func TestExtractDeterministicConcurrent(t *testing.T) {
	img := spiralImage(240, 200, 120, 100, 2, false)
	if dir := extractTestDataDirOrEmpty("fvc2002/DB3_B"); dir != "" {
		img = extractTestDecode(t, filepath.Join(dir, "101_1.tif"), 0)
	}
	want, err := Extract(img, &ExtractOptions{Position: RightIndex, Impression: LivePlain})
	if err != nil {
		t.Fatal(err)
	}
	if want.Position != RightIndex || want.Impression != LivePlain || want.Quality == 0 {
		t.Errorf("template header %+v", want)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 3 {
				got, err := Extract(img, &ExtractOptions{Position: RightIndex, Impression: LivePlain})
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("a second extraction differs (%v)", err)
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkExtract(b *testing.B) {
	for _, set := range []struct {
		name string
		ppi  float64
	}{{"DB1_B", 0}, {"DB2_B", 569}, {"DB3_B", 0}, {"DB4_B", 0}} {
		b.Run(set.name, func(b *testing.B) {
			dir := extractTestDataDir(b, "fvc2002/"+set.name)
			img := extractTestDecode(b, filepath.Join(dir, "101_1.tif"), set.ppi)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Extract(img, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzExtract feeds Extract small images made of arbitrary bytes: it must
// return a valid template or an error, never panic.
func FuzzExtract(f *testing.F) {
	f.Add(uint8(40), uint8(40), []byte{0, 255, 128, 7})
	f.Add(uint8(1), uint8(200), []byte{1, 2, 3})
	stripes := make([]byte, 64*64)
	for i := range stripes {
		stripes[i] = uint8(128 + 100*math.Cos(2*math.Pi*float64(i%64+i/64)/9))
	}
	f.Add(uint8(64), uint8(64), stripes)
	f.Fuzz(func(t *testing.T, w, h uint8, pix []byte) {
		if w == 0 || h == 0 || len(pix) == 0 {
			return
		}
		img := grayImage(int(w), int(h), func(x, y int) uint8 { return pix[(y*int(w)+x)%len(pix)] })
		tpl, err := Extract(img, nil)
		if err != nil {
			return
		}
		if err := tpl.Validate(); err != nil {
			t.Fatalf("%d × %d: invalid template: %v", w, h, err)
		}
	})
}

// BenchmarkExtractLarge measures a 1600 × 1600 synthetic image (a large
// rolled print or a 1000 ppi capture rescaled), to watch how the time grows.
func BenchmarkExtractLarge(b *testing.B) {
	img := spiralImage(1600, 1600, 800, 800, 1, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Extract(img, nil); err != nil {
			b.Fatal(err)
		}
	}
}
