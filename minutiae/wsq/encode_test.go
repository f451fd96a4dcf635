package wsq

import (
	"bytes"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// quality returns the RMS error and PSNR (dB) of b against a.
func quality(a, b *image.Gray) (rms, psnr float64) {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	var se float64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := float64(a.Pix[y*a.Stride+x]) - float64(b.Pix[y*b.Stride+x])
			se += d * d
		}
	}
	rms = math.Sqrt(se / float64(w*h))
	return rms, 20 * math.Log10(255/rms)
}

// roundTrip encodes img, decodes the result and checks size, resolution and
// quality: a PSNR of at least minPSNR, and a file no larger than 1.25 times
// the bitrate's budget plus 1 KiB for the headers and tables (which alone
// make a 65 × 65 file over 1 bit a pixel).
func roundTrip(t *testing.T, name string, img *image.Gray, opts *EncodeOptions, minPSNR float64) float64 {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, img, opts); err != nil {
		t.Fatalf("%s: Encode: %v", name, err)
	}
	got, ppi, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatalf("%s: Decode of our own output: %v", name, err)
	}
	if got.Rect.Size() != img.Rect.Size() {
		t.Fatalf("%s: decoded size %v, encoded %v", name, got.Rect.Size(), img.Rect.Size())
	}
	wantPPI := DefaultPPI
	if opts != nil && opts.PPI != 0 {
		wantPPI = opts.PPI
	}
	if ppi != wantPPI {
		t.Errorf("%s: decoded ppi %d, want %d", name, ppi, wantPPI)
	}
	rms, psnr := quality(img, got)
	bitrate := DefaultBitrate
	if opts != nil && opts.Bitrate != 0 {
		bitrate = opts.Bitrate
	}
	pixels := len(got.Pix)
	if budget := int(1.25*bitrate*float64(pixels)/8) + 1024; buf.Len() > budget {
		t.Errorf("%s: %d bytes (%.3f bits a pixel), want at most %d", name, buf.Len(), float64(8*buf.Len())/float64(pixels), budget)
	}
	if psnr < minPSNR {
		t.Errorf("%s: PSNR %.2f dB (RMS error %.2f), want at least %.1f dB", name, psnr, rms, minPSNR)
	}
	return psnr
}

// TestEncodeMatchesCWSQ encodes the source images of the nbis_encoded
// samples with the options NIST's cwsq was given and expects the very same
// bytes: the encoder mirrors NBIS down to its float32 arithmetic.
func TestEncodeMatchesCWSQ(t *testing.T) {
	dir := sharedData(t)
	for _, c := range []struct {
		tif, wsq string
		bitrate  float64
		crop     image.Rectangle // the zero Rectangle: the whole image
	}{
		{"DB1_B/101_1.tif", "fvc2002_DB1_B_101_1.wsq", 0.75, image.Rectangle{}},
		{"DB2_B/102_3.tif", "fvc2002_DB2_B_102_3.wsq", 0.75, image.Rectangle{}},
		{"DB3_B/105_2.tif", "fvc2002_DB3_B_105_2.wsq", 0.75, image.Rectangle{}},
		{"DB4_B/110_8.tif", "fvc2002_DB4_B_110_8.wsq", 0.75, image.Rectangle{}},
		// SOURCE.txt: a 257 × 301 crop of DB1_B/103_4.tif at offset 13,7.
		{"DB1_B/103_4.tif", "odd_257x301_bitrate2.25.wsq", 2.25, image.Rect(13, 7, 13+257, 7+301)},
	} {
		t.Run(c.wsq, func(t *testing.T) {
			img, err := readTIFFGray(filepath.Join(dir, "fvc2002", c.tif))
			if err != nil {
				t.Fatal(err)
			}
			if !c.crop.Empty() {
				img = img.SubImage(c.crop).(*image.Gray)
			}
			var buf bytes.Buffer
			if err := Encode(&buf, img, &EncodeOptions{Bitrate: c.bitrate, PPI: 500}); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, "samples", "wsq_and_formats", "nbis_encoded", c.wsq))
			if err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			if !bytes.Equal(got, want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Fatalf("%d bytes, cwsq wrote %d; first difference at byte %d", len(got), len(want), i)
			}
			t.Logf("%s: %d bytes, identical to cwsq's", c.wsq, len(got))
		})
	}
}

// TestEncodeRoundTripFVC round-trips every FVC2002 set B image (the first
// impression of each finger with -short) at the default bitrate.
func TestEncodeRoundTripFVC(t *testing.T) {
	dir := sharedData(t)
	pattern := "*.tif"
	if testing.Short() {
		pattern = "*_1.tif"
	}
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		files, err := filepath.Glob(filepath.Join(dir, "fvc2002", db, pattern))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no images (%v)", db, err)
		}
		worst := math.Inf(1)
		for _, f := range files {
			img, err := readTIFFGray(f)
			if err != nil {
				t.Fatal(err)
			}
			// At 0.75 bits a pixel these prints measure 26.7–38.5 dB, in
			// files of 0.36–0.72 bits a pixel (the rate control estimates
			// high for FVC's small, blank-edged images).
			psnr := roundTrip(t, db+"/"+filepath.Base(f), img, nil, 25)
			worst = math.Min(worst, psnr)
		}
		t.Logf("%s: %d images, worst PSNR %.2f dB", db, len(files), worst)
	}
}

// TestEncodeBitrate checks that a higher bitrate gives a larger file and a
// better image.
func TestEncodeBitrate(t *testing.T) {
	img := syntheticPrint(300, 300, 1)
	var prevSize int
	prevPSNR := 0.0
	for _, rate := range []float64{0.3, 0.75, 2.25, 4} {
		var buf bytes.Buffer
		if err := Encode(&buf, img, &EncodeOptions{Bitrate: rate}); err != nil {
			t.Fatal(err)
		}
		got, _, err := Decode(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		_, psnr := quality(img, got)
		t.Logf("bitrate %.2f: %d bytes (%.3f bits a pixel), PSNR %.2f dB", rate, buf.Len(), float64(8*buf.Len())/(300*300), psnr)
		if buf.Len() <= prevSize || psnr <= prevPSNR {
			t.Errorf("bitrate %.2f: %d bytes, PSNR %.2f dB; not more than at the previous bitrate (%d bytes, %.2f dB)", rate, buf.Len(), psnr, prevSize, prevPSNR)
		}
		prevSize, prevPSNR = buf.Len(), psnr
	}
}

// syntheticPrint draws a deterministic fingerprint-like pattern: curved
// ridges with a period of about 9 pixels (500 ppi), a blank margin and some
// noise.
func syntheticPrint(w, h int, seed uint32) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	cx, cy := float64(w)*0.45, float64(h)*0.55
	rnd := seed*2654435761 + 1
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			r := math.Sqrt(dx*dx + 1.6*dy*dy)
			v := 128 + 90*math.Sin(2*math.Pi*r/9+0.3*math.Atan2(dy, dx))
			// Fade to white outside an ellipse, like a print on a card.
			if e := (dx*dx)/(0.4*float64(w*w)) + (dy*dy)/(0.35*float64(h*h)); e > 0.3 {
				v = 245
			}
			rnd = rnd*1664525 + 1013904223
			v += float64(int(rnd>>24)%11 - 5)
			img.Pix[y*img.Stride+x] = uint8(max(0, min(255, v)))
		}
	}
	return img
}

// TestEncodeOddSizes round-trips odd and small sizes, down to the smallest
// the wavelet tree allows, and an image that is a sub-image (stride larger
// than its width, origin not at 0,0).
func TestEncodeOddSizes(t *testing.T) {
	for i, size := range []image.Point{{65, 65}, {65, 200}, {200, 65}, {66, 67}, {97, 131}, {127, 129}, {255, 257}, {257, 301}, {301, 257}, {511, 65}, {1001, 333}} {
		img := syntheticPrint(size.X, size.Y, uint32(i))
		// Measured: 25.2–35.0 dB at 0.75 bits a pixel (the smallest images
		// worst), 29.1–38.6 dB at 2.25.
		roundTrip(t, size.String(), img, &EncodeOptions{Bitrate: 0.75, PPI: 1000}, 24)
		roundTrip(t, size.String()+"@2.25", img, &EncodeOptions{Bitrate: 2.25}, 28)
	}
	big := syntheticPrint(400, 400, 7)
	sub := big.SubImage(image.Rect(31, 45, 31+257, 45+301)).(*image.Gray)
	roundTrip(t, "sub-image", sub, nil, 24)
}

// TestEncodeFlat encodes images with no detail: every subband is left
// uncoded and the decoder must still give back the flat grey.
func TestEncodeFlat(t *testing.T) {
	for _, v := range []uint8{0, 17, 128, 255} {
		img := image.NewGray(image.Rect(0, 0, 100, 80))
		for i := range img.Pix {
			img.Pix[i] = v
		}
		var buf bytes.Buffer
		if err := Encode(&buf, img, nil); err != nil {
			t.Fatal(err)
		}
		got, _, err := Decode(buf.Bytes())
		if err != nil {
			t.Fatalf("flat %d: %v", v, err)
		}
		if maxDiff, _ := pixelDiff(img, got); maxDiff > 0 {
			t.Errorf("flat %d: max difference %d after a round trip, want 0", v, maxDiff)
		}
	}
}

// TestEncodeRejects checks Encode's argument errors.
func TestEncodeRejects(t *testing.T) {
	ok := syntheticPrint(100, 100, 1)
	for name, c := range map[string]struct {
		img  *image.Gray
		opts *EncodeOptions
	}{
		"nil image":     {nil, nil},
		"too small":     {image.NewGray(image.Rect(0, 0, 64, 100)), nil},
		"empty":         {image.NewGray(image.Rectangle{}), nil},
		"too wide":      {&image.Gray{Rect: image.Rect(0, 0, MaxWidth+1, 100)}, nil},
		"short Pix":     {&image.Gray{Pix: make([]uint8, 10), Stride: 100, Rect: image.Rect(0, 0, 100, 100)}, nil},
		"negative rate": {ok, &EncodeOptions{Bitrate: -1}},
		"huge rate":     {ok, &EncodeOptions{Bitrate: 9}},
		"NaN rate":      {ok, &EncodeOptions{Bitrate: math.NaN()}},
		"negative ppi":  {ok, &EncodeOptions{PPI: -500}},
	} {
		if err := Encode(&bytes.Buffer{}, c.img, c.opts); err == nil {
			t.Errorf("%s: Encode succeeded, want an error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// A flat image quantizes to nothing and would be a few hundred bytes for any
// size; Encode pads it so that Decode, which refuses more than
// MaxPixelsPerByte pixels a byte as a forged header, accepts it.
func TestEncodeFlatImagesDecode(t *testing.T) {
	for _, side := range []int{400, 1600, 4000} {
		g := image.NewGray(image.Rect(0, 0, side, side))
		for i := range g.Pix {
			g.Pix[i] = 200
		}
		var buf bytes.Buffer
		if err := Encode(&buf, g, nil); err != nil {
			t.Fatalf("%d × %d: %v", side, side, err)
		}
		out, _, err := Decode(buf.Bytes())
		if err != nil {
			t.Fatalf("%d × %d flat image, %d bytes: %v", side, side, buf.Len(), err)
		}
		if b := out.Bounds(); b.Dx() != side || b.Dy() != side {
			t.Fatalf("decoded %v, want %d × %d", b, side, side)
		}
		for i, p := range out.Pix {
			if p != 200 {
				t.Fatalf("%d × %d: pixel %d is %d, want 200", side, side, i, p)
			}
		}
		t.Logf("%d × %d flat image: %d bytes", side, side, buf.Len())
	}
}
