package minutiae

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// These tests need nothing but the standard library's and x/image's
// encoders: each builds a small image in memory, encodes it, and checks what
// DecodeImage makes of it. The tests on the real reference images are in
// image_data_test.go.

// imgTestGradient returns a w × h grey image whose pixels vary in x and y,
// so that a transposed, shifted or flipped decode shows.
func imgTestGradient(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			g.Pix[y*g.Stride+x] = uint8((x*7 + y*13) % 256)
		}
	}
	return g
}

// imgTestEncode encodes g with one of the standard encoders.
func imgTestEncode(t testing.TB, format string, g image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case formatPNG:
		err = png.Encode(&buf, g)
	case formatJPEG:
		err = jpeg.Encode(&buf, g, &jpeg.Options{Quality: 100})
	case formatBMP:
		err = bmp.Encode(&buf, g)
	case formatTIFF:
		err = tiff.Encode(&buf, g, nil)
	case formatPGM:
		buf.Write(imgTestPGM(g.(*image.Gray)))
	default:
		t.Fatalf("no encoder for %q", format)
	}
	if err != nil {
		t.Fatalf("encode %s: %v", format, err)
	}
	return buf.Bytes()
}

// imgTestPGM writes g as a binary P5 PGM with maxval 255.
func imgTestPGM(g *image.Gray) []byte {
	b := g.Bounds()
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "P5\n%d %d\n255\n", b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		buf.Write(g.Pix[g.PixOffset(b.Min.X, y):][:b.Dx()])
	}
	return buf.Bytes()
}

// imgTestPNGChunk returns a PNG chunk with its length and CRC.
func imgTestPNGChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// imgTestWithPHYs inserts a pHYs chunk (pixels per metre, unit metre when
// unit is 1) after the IHDR chunk of a PNG file.
func imgTestWithPHYs(p []byte, xppm, yppm uint32, unit byte) []byte {
	const ihdrEnd = 8 + 8 + 13 + 4
	d := binary.BigEndian.AppendUint32(nil, xppm)
	d = binary.BigEndian.AppendUint32(d, yppm)
	d = append(d, unit)
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, imgTestPNGChunk("pHYs", d)...)
	return append(out, p[ihdrEnd:]...)
}

// imgTestPNGHeader returns a PNG signature and IHDR chunk claiming w × h
// 8-bit grey pixels, and nothing else: a header that lies about a huge image.
func imgTestPNGHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // bit depth 8, grey, deflate, filter 0, no interlace
	return append([]byte("\x89PNG\r\n\x1a\n"), imgTestPNGChunk("IHDR", ihdr)...)
}

// imgTestWithJFIF inserts a JFIF APP0 segment with the given density after
// the SOI marker of a JPEG file (Go's encoder writes none).
func imgTestWithJFIF(j []byte, units byte, x, y uint16) []byte {
	seg := []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 2, units}
	seg = binary.BigEndian.AppendUint16(seg, x)
	seg = binary.BigEndian.AppendUint16(seg, y)
	seg = append(seg, 0, 0) // no thumbnail
	out := append([]byte{}, j[:2]...)
	out = append(out, seg...)
	return append(out, j[2:]...)
}

// imgTestWithBMPResolution sets a BMP file's pixels per metre.
func imgTestWithBMPResolution(b []byte, xppm, yppm int32) []byte {
	out := append([]byte{}, b...)
	binary.LittleEndian.PutUint32(out[38:], uint32(xppm))
	binary.LittleEndian.PutUint32(out[42:], uint32(yppm))
	return out
}

// imgTestWithTIFFResolution rewrites the XResolution and YResolution
// rationals and the ResolutionUnit of a TIFF written by x/image/tiff (which
// writes 72 dpi).
func imgTestWithTIFFResolution(t testing.TB, b []byte, num, den uint32, unit uint16) []byte {
	t.Helper()
	out := append([]byte{}, b...)
	bo := binary.LittleEndian // x/image/tiff writes little-endian
	ifd := bo.Uint32(out[4:])
	n := uint32(bo.Uint16(out[ifd:]))
	found := 0
	for i := range n {
		e := out[ifd+2+12*i:]
		switch bo.Uint16(e) {
		case tiffTagXResolution, tiffTagYResolution:
			off := bo.Uint32(e[8:])
			bo.PutUint32(out[off:], num)
			bo.PutUint32(out[off+4:], den)
			found++
		case tiffTagResolutionUnit:
			bo.PutUint16(e[8:], unit)
			found++
		}
	}
	if found != 3 {
		t.Fatalf("x/image/tiff wrote %d of the 3 resolution tags", found)
	}
	return out
}

// imgTestEqual fails unless a and b have the same size and pixels.
func imgTestEqual(t testing.TB, got, want *image.Gray) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	for y := range want.Bounds().Dy() {
		for x := range want.Bounds().Dx() {
			if g, w := got.GrayAt(x, y).Y, want.GrayAt(x, y).Y; g != w {
				t.Fatalf("pixel (%d, %d) = %d, want %d", x, y, g, w)
			}
		}
	}
}

// imgTestDiff returns the largest and the mean absolute pixel difference.
func imgTestDiff(t testing.TB, a, b *image.Gray) (maxDiff int, mean float64) {
	t.Helper()
	if a.Bounds() != b.Bounds() {
		t.Fatalf("bounds %v and %v differ", a.Bounds(), b.Bounds())
	}
	var sum int
	w, h := a.Bounds().Dx(), a.Bounds().Dy()
	for y := range h {
		for x := range w {
			d := int(a.GrayAt(x, y).Y) - int(b.GrayAt(x, y).Y)
			if d < 0 {
				d = -d
			}
			sum += d
			maxDiff = max(maxDiff, d)
		}
	}
	return maxDiff, float64(sum) / float64(w*h)
}

// imgTestCheck checks the invariants every successful decode must hold.
func imgTestCheck(t testing.TB, im *Image) {
	t.Helper()
	if im == nil || im.Gray == nil {
		t.Fatal("nil image without an error")
	}
	b := im.Gray.Bounds()
	if b.Min != (image.Point{}) || b.Dx() < 1 || b.Dy() < 1 || b.Dx() > MaxImageSide || b.Dy() > MaxImageSide ||
		b.Dx()*b.Dy() > MaxImagePixels {
		t.Fatalf("bounds %v break the invariants", b)
	}
	if len(im.Gray.Pix) < b.Dx()*b.Dy() || im.Gray.Stride < b.Dx() {
		t.Fatalf("%d pixels with stride %d for %v", len(im.Gray.Pix), im.Gray.Stride, b)
	}
	if im.PPI != StandardPPI {
		t.Fatalf("PPI %g, want %d", im.PPI, StandardPPI)
	}
	if im.SourcePPI < MinPPI || im.SourcePPI > MaxPPI {
		t.Fatalf("SourcePPI %g outside %d..%d", im.SourcePPI, MinPPI, MaxPPI)
	}
}

func TestDecodeImageFormats(t *testing.T) {
	src := imgTestGradient(37, 23) // odd sizes catch stride and padding mistakes
	for _, tc := range []struct {
		format string
		// maxDiff is the largest pixel difference allowed: 0 for lossless.
		maxDiff int
	}{
		{formatPNG, 0},
		{formatJPEG, 8},
		{formatBMP, 0},
		{formatTIFF, 0},
		{formatPGM, 0},
	} {
		t.Run(tc.format, func(t *testing.T) {
			im, err := DecodeImage(imgTestEncode(t, tc.format, src), 0)
			if err != nil {
				t.Fatal(err)
			}
			imgTestCheck(t, im)
			if im.Format != tc.format || im.SourcePPI != StandardPPI {
				t.Errorf("format %q at %g ppi, want %q at 500", im.Format, im.SourcePPI, tc.format)
			}
			if d, _ := imgTestDiff(t, im.Gray, src); d > tc.maxDiff {
				t.Errorf("pixels differ by up to %d, want at most %d", d, tc.maxDiff)
			}
		})
	}
}

// TestDecodeImageColour checks the conversion of colour, 16-bit, paletted
// and transparent pixels against color.GrayModel (ITU-R 601 luma).
func TestDecodeImageColour(t *testing.T) {
	colours := []color.Color{
		color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}, color.RGBA{0, 0, 255, 255},
		color.RGBA{12, 200, 99, 255}, color.RGBA{255, 255, 255, 255}, color.RGBA{0, 0, 0, 255},
	}
	want := func(c color.Color) uint8 { return color.GrayModel.Convert(c).(color.Gray).Y }

	rgba := image.NewRGBA(image.Rect(0, 0, len(colours), 1))
	nrgba64 := image.NewNRGBA64(rgba.Rect)
	gray16 := image.NewGray16(rgba.Rect)
	pal := image.NewPaletted(rgba.Rect, colours)
	for i, c := range colours {
		rgba.Set(i, 0, c)
		nrgba64.Set(i, 0, c)
		gray16.Set(i, 0, c)
		pal.SetColorIndex(i, 0, uint8(i))
	}
	for _, tc := range []struct {
		name   string
		format string
		img    image.Image
	}{
		{"png rgba", formatPNG, rgba},
		{"png 16-bit rgba", formatPNG, nrgba64},
		{"png 16-bit grey", formatPNG, gray16},
		{"png paletted", formatPNG, pal},
		{"bmp rgb", formatBMP, rgba},
		{"bmp paletted", formatBMP, pal},
		{"tiff rgba", formatTIFF, rgba},
		{"tiff 16-bit rgba", formatTIFF, nrgba64},
		{"tiff 16-bit grey", formatTIFF, gray16},
		{"tiff paletted", formatTIFF, pal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, err := DecodeImage(imgTestEncode(t, tc.format, tc.img), 0)
			if err != nil {
				t.Fatal(err)
			}
			imgTestCheck(t, im)
			for i := range colours {
				if got, w := im.Gray.GrayAt(i, 0).Y, want(tc.img.At(i, 0)); got != w {
					t.Errorf("pixel %d (%v) = %d, want %d", i, tc.img.At(i, 0), got, w)
				}
			}
		})
	}

	// A colour JPEG decodes to YCbCr, whose Y plane is the luma itself; it
	// must be close to the luma of the colours (JPEG is lossy).
	t.Run("jpeg ycbcr", func(t *testing.T) {
		big := image.NewRGBA(image.Rect(0, 0, 16*len(colours), 16))
		for x := range big.Rect.Dx() {
			for y := range big.Rect.Dy() {
				big.Set(x, y, colours[x/16])
			}
		}
		im, err := DecodeImage(imgTestEncode(t, formatJPEG, big), 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range colours {
			if got, w := int(im.Gray.GrayAt(16*i+8, 8).Y), int(want(c)); got < w-3 || got > w+3 {
				t.Errorf("colour %v: luma %d, want %d ± 3", c, got, w)
			}
		}
	})

	// Transparent pixels lie over white: a fully transparent pixel is white,
	// half-transparent black is mid grey.
	t.Run("png transparency", func(t *testing.T) {
		n := image.NewNRGBA(image.Rect(0, 0, 3, 1))
		n.Set(0, 0, color.NRGBA{0, 0, 0, 0})
		n.Set(1, 0, color.NRGBA{0, 0, 0, 128})
		n.Set(2, 0, color.NRGBA{0, 0, 0, 255})
		im, err := DecodeImage(imgTestEncode(t, formatPNG, n), 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range []uint8{255, 127, 0} {
			if got := im.Gray.GrayAt(i, 0).Y; got != w {
				t.Errorf("pixel %d = %d, want %d", i, got, w)
			}
		}
	})
}

// TestDecodeImageResolution checks the rule of DecodeImage: the caller's
// resolution, else the file's when credible, else 500.
func TestDecodeImageResolution(t *testing.T) {
	const w, h = 200, 100
	g := imgTestGradient(w, h)
	pngFile := imgTestEncode(t, formatPNG, g)
	jpegFile := imgTestEncode(t, formatJPEG, g)
	bmpFile := imgTestEncode(t, formatBMP, g)
	tiffFile := imgTestEncode(t, formatTIFF, g)
	ppm := func(ppi float64) uint32 { return uint32(math.Round(ppi / 0.0254)) }

	for _, tc := range []struct {
		name      string
		file      []byte
		caller    float64
		filePPI   float64 // Image.FilePPI, compared to 0.1 ppi
		sourcePPI float64 // Image.SourcePPI, compared to 0.1 ppi
	}{
		{"png none, caller none", pngFile, 0, 0, 500},
		{"png none, caller 1000", pngFile, 1000, 0, 1000},
		{"png 1000 dpi", imgTestWithPHYs(pngFile, ppm(1000), ppm(1000), 1), 0, 1000, 1000},
		{"png 1000 dpi, file wins over caller 500", imgTestWithPHYs(pngFile, ppm(1000), ppm(1000), 1), 500, 1000, 1000},
		{"png 96 dpi default, caller 1000 used", imgTestWithPHYs(pngFile, 3780, 3780, 1), 1000, 96.012, 1000},
		{"png no pHYs, caller 569 used", pngFile, 569, 0, 569},
		{"png 96 dpi default ignored", imgTestWithPHYs(pngFile, 3780, 3780, 1), 0, 96.012, 500},
		{"png 72 dpi default ignored", imgTestWithPHYs(pngFile, 2835, 2835, 1), 0, 72.009, 500},
		{"png 300 dpi believed", imgTestWithPHYs(pngFile, 11811, 11811, 1), 0, 299.999, 299.999},
		{"png 99 dpi ignored", imgTestWithPHYs(pngFile, ppm(99), ppm(99), 1), 0, 99, 500},
		{"png aspect ratio only", imgTestWithPHYs(pngFile, 1, 1, 0), 0, 0, 500},
		{"png non-square pixels ignored", imgTestWithPHYs(pngFile, ppm(1000), ppm(500), 1), 0, 1000, 500},
		{"png 50000 dpi out of range ignored", imgTestWithPHYs(pngFile, ppm(50000), ppm(50000), 1), 0, 50000, 500},
		{"png 569 dpi", imgTestWithPHYs(pngFile, ppm(569), ppm(569), 1), 0, 569, 569},
		{"jpeg none", jpegFile, 0, 0, 500},
		{"jpeg jfif 1:1 aspect only", imgTestWithJFIF(jpegFile, 0, 1, 1), 0, 0, 500},
		{"jpeg jfif 1000 dpi", imgTestWithJFIF(jpegFile, 1, 1000, 1000), 0, 1000, 1000},
		{"jpeg jfif 394 dots/cm", imgTestWithJFIF(jpegFile, 2, 394, 394), 0, 1000.76, 1000.76},
		{"jpeg jfif 72 dpi ignored", imgTestWithJFIF(jpegFile, 1, 72, 72), 0, 72, 500},
		{"bmp none", bmpFile, 0, 0, 500},
		{"bmp 1000 dpi", imgTestWithBMPResolution(bmpFile, int32(ppm(1000)), int32(ppm(1000))), 0, 1000, 1000},
		{"bmp 96 dpi ignored", imgTestWithBMPResolution(bmpFile, 3780, 3780), 0, 96.012, 500},
		{"bmp negative ignored", imgTestWithBMPResolution(bmpFile, -1, -1), 0, 0, 500},
		{"tiff x/image default 72 dpi ignored", tiffFile, 0, 72, 500},
		{"tiff 1000 dpi", imgTestWithTIFFResolution(t, tiffFile, 1000, 1, 2), 0, 1000, 1000},
		{"tiff 1000.5 dpi as a fraction", imgTestWithTIFFResolution(t, tiffFile, 2001, 2, 2), 0, 1000.5, 1000.5},
		{"tiff 394 per cm", imgTestWithTIFFResolution(t, tiffFile, 394, 1, 3), 0, 1000.76, 1000.76},
		{"tiff unit none", imgTestWithTIFFResolution(t, tiffFile, 1000, 1, 1), 0, 0, 500},
		{"tiff 1/1", imgTestWithTIFFResolution(t, tiffFile, 1, 1, 2), 0, 1, 500},
		{"tiff zero denominator", imgTestWithTIFFResolution(t, tiffFile, 1000, 0, 2), 0, 0, 500},
		{"tiff 1000 dpi, file wins over caller 569", imgTestWithTIFFResolution(t, tiffFile, 1000, 1, 2), 569, 1000, 1000},
		{"tiff unit none, caller 569 used", imgTestWithTIFFResolution(t, tiffFile, 1000, 1, 1), 569, 0, 569},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, err := DecodeImage(tc.file, tc.caller)
			if err != nil {
				t.Fatal(err)
			}
			imgTestCheck(t, im)
			if math.Abs(im.FilePPI-tc.filePPI) > 0.1 || math.Abs(im.SourcePPI-tc.sourcePPI) > 0.1 {
				t.Errorf("FilePPI %g, SourcePPI %g; want %g, %g", im.FilePPI, im.SourcePPI, tc.filePPI, tc.sourcePPI)
			}
			wantW, wantH, _ := rescaledSize(w, h, tc.sourcePPI)
			if b := im.Gray.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
				t.Errorf("size %d × %d, want %d × %d", b.Dx(), b.Dy(), wantW, wantH)
			}
		})
	}
}

func TestDecodeImageRescale(t *testing.T) {
	for _, tc := range []struct {
		name         string
		w, h         int
		ppi          float64
		wantW, wantH int
	}{
		{"1000 ppi halves", 400, 300, 1000, 200, 150},
		{"250 ppi doubles", 100, 60, 250, 200, 120},
		{"FVC2002 DB2 569 ppi", 296, 560, 569, 260, 492},
		{"508 ppi (20 px/mm) is 1.6% off: rescaled", 500, 500, 508, 492, 492},
		{"504 ppi is within 1%: kept", 500, 500, 504, 500, 500},
		{"496 ppi is within 1%: kept", 500, 500, 496, 500, 500},
		{"5000 ppi of a 3-pixel strip keeps 1 pixel", 3, 50, 5000, 1, 5},
		{"100 ppi quintuples", 10, 20, 100, 50, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A uniform image must stay uniform (no ringing at the borders,
			// no drift in level), whatever the scale.
			g := image.NewGray(image.Rect(0, 0, tc.w, tc.h))
			for i := range g.Pix {
				g.Pix[i] = 140
			}
			im, err := DecodeImage(imgTestEncode(t, formatPGM, g), tc.ppi)
			if err != nil {
				t.Fatal(err)
			}
			imgTestCheck(t, im)
			if b := im.Gray.Bounds(); b.Dx() != tc.wantW || b.Dy() != tc.wantH {
				t.Fatalf("size %d × %d, want %d × %d", b.Dx(), b.Dy(), tc.wantW, tc.wantH)
			}
			if im.SourcePPI != tc.ppi {
				t.Errorf("SourcePPI %g, want %g", im.SourcePPI, tc.ppi)
			}
			for i, v := range im.Gray.Pix {
				if v != 140 {
					t.Fatalf("pixel %d = %d after rescaling a uniform 140", i, v)
				}
			}
		})
	}

	// Ridges 20 pixels apart at 1000 ppi are 10 pixels apart at 500 ppi:
	// count the dark-to-light crossings along a row, before and after.
	t.Run("ridge period halves", func(t *testing.T) {
		const w, h, period = 400, 40, 20.0
		g := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				g.Pix[y*w+x] = uint8(128 + 100*math.Sin(2*math.Pi*float64(x)/period))
			}
		}
		im, err := DecodeImage(imgTestEncode(t, formatPNG, g), 1000)
		if err != nil {
			t.Fatal(err)
		}
		crossings := func(g *image.Gray) int {
			n, y := 0, g.Bounds().Dy()/2
			for x := 1; x < g.Bounds().Dx(); x++ {
				if g.GrayAt(x-1, y).Y < 128 && g.GrayAt(x, y).Y >= 128 {
					n++
				}
			}
			return n
		}
		if before, after := crossings(g), crossings(im.Gray); before != after || im.Gray.Bounds().Dx() != w/2 {
			t.Errorf("%d ridges across %d pixels became %d across %d", before, w, after, im.Gray.Bounds().Dx())
		}
		lo, hi := uint8(255), uint8(0)
		for _, v := range im.Gray.Pix {
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi-lo < 150 {
			t.Errorf("ridge contrast fell from 200 to %d", hi-lo)
		}
	})
}

func TestNewImage(t *testing.T) {
	g := imgTestGradient(300, 200)

	t.Run("500 ppi is copied, not shared", func(t *testing.T) {
		im, err := NewImage(g, 500)
		if err != nil {
			t.Fatal(err)
		}
		imgTestCheck(t, im)
		imgTestEqual(t, im.Gray, g)
		if &im.Gray.Pix[0] == &g.Pix[0] || im.Format != formatRaw || im.SourcePPI != 500 {
			t.Errorf("shared pixels %v, format %q, SourcePPI %g", &im.Gray.Pix[0] == &g.Pix[0], im.Format, im.SourcePPI)
		}
	})
	t.Run("ppi 0 means 500", func(t *testing.T) {
		im, err := NewImage(g, 0)
		if err != nil {
			t.Fatal(err)
		}
		if im.SourcePPI != 500 || im.Gray.Bounds().Dx() != 300 {
			t.Errorf("SourcePPI %g, width %d", im.SourcePPI, im.Gray.Bounds().Dx())
		}
	})
	t.Run("1000 ppi halves", func(t *testing.T) {
		im, err := NewImage(g, 1000)
		if err != nil {
			t.Fatal(err)
		}
		imgTestCheck(t, im)
		if b := im.Gray.Bounds(); b.Dx() != 150 || b.Dy() != 100 {
			t.Errorf("size %v, want 150 × 100", b.Size())
		}
	})
	t.Run("sub-image moves to the origin", func(t *testing.T) {
		sub := g.SubImage(image.Rect(10, 20, 110, 70)).(*image.Gray)
		im, err := NewImage(sub, 500)
		if err != nil {
			t.Fatal(err)
		}
		if b := im.Gray.Bounds(); b != image.Rect(0, 0, 100, 50) {
			t.Fatalf("bounds %v", b)
		}
		if got, want := im.Gray.GrayAt(5, 7).Y, g.GrayAt(15, 27).Y; got != want {
			t.Errorf("pixel (5, 7) = %d, want %d", got, want)
		}
	})
	for _, tc := range []struct {
		name string
		g    *image.Gray
		ppi  float64
		want error // nil: any error
	}{
		{"nil", nil, 500, nil},
		{"empty", image.NewGray(image.Rect(0, 0, 0, 10)), 500, nil},
		{"too few pixels for the bounds", &image.Gray{Pix: make([]byte, 10), Stride: 10, Rect: image.Rect(0, 0, 10, 10)}, 500, nil},
		{"stride shorter than a row", &image.Gray{Pix: make([]byte, 100), Stride: 5, Rect: image.Rect(0, 0, 10, 10)}, 500, nil},
		{"huge stride", &image.Gray{Pix: make([]byte, 100), Stride: math.MaxInt, Rect: image.Rect(0, 0, 10, 10)}, 500, nil},
		{"too wide", &image.Gray{Rect: image.Rect(0, 0, MaxImageSide+1, 1)}, 500, ErrImageTooLarge},
		{"ppi 50", g, 50, ErrImageResolution},
		{"ppi negative", g, -500, ErrImageResolution},
		{"ppi NaN", g, math.NaN(), ErrImageResolution},
		{"upscaled beyond the limit", &image.Gray{Rect: image.Rect(0, 0, 3000, 3000)}, 100, ErrImageTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, err := NewImage(tc.g, tc.ppi)
			if err == nil {
				t.Fatalf("no error; image %v", im.Gray.Bounds())
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %q is not %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "minutiae: new image: ") {
				t.Errorf("error %q does not say where", err)
			}
		})
	}
}

// imgTestHugeHeaders returns, per format, a file of at most a few hundred
// bytes whose header claims w × h pixels.
func imgTestHugeHeaders(w, h int) map[string][]byte {
	files := map[string][]byte{}
	files[formatPNG] = imgTestPNGHeader(uint32(w), uint32(h))
	files[formatPGM] = fmt.Appendf(nil, "P5\n%d %d\n255\n", w, h)
	files["pgm plain"] = fmt.Appendf(nil, "P2\n%d %d\n255\n0 0 0\n", w, h)

	// A baseline JPEG's SOI, then SOF0 with one 8-bit component.
	jpg := []byte{0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8}
	jpg = binary.BigEndian.AppendUint16(jpg, uint16(h))
	jpg = binary.BigEndian.AppendUint16(jpg, uint16(w))
	jpg = append(jpg, 1, 1, 0x11, 0)
	// Without a JFIF segment, the decoder reads on to the first scan to
	// learn the colour model: SOS for the one component.
	files[formatJPEG] = append(jpg, 0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0)

	// A BMP file header and 40-byte info header, 8 bits a pixel, no palette.
	bm := make([]byte, 14+40)
	copy(bm, "BM")
	binary.LittleEndian.PutUint32(bm[2:], uint32(len(bm)))
	binary.LittleEndian.PutUint32(bm[10:], uint32(len(bm)))
	binary.LittleEndian.PutUint32(bm[14:], 40)
	binary.LittleEndian.PutUint32(bm[18:], uint32(w))
	binary.LittleEndian.PutUint32(bm[22:], uint32(h))
	binary.LittleEndian.PutUint16(bm[26:], 1)  // planes
	binary.LittleEndian.PutUint16(bm[28:], 24) // bits a pixel
	files[formatBMP] = bm

	// A TIFF with one IFD: width, height, 8 bits, no compression, grey,
	// one strip at offset 8 of w × h bytes (which the file does not have).
	tf := []byte("II*\x00\x08\x00\x00\x00")
	type entry struct {
		tag, typ uint16
		val      uint32
	}
	entries := []entry{
		{256, 4, uint32(w)}, {257, 4, uint32(h)}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
		{273, 4, 8}, {277, 3, 1}, {278, 4, uint32(h)}, {279, 4, uint32(w * h)},
	}
	tf = binary.LittleEndian.AppendUint16(tf, uint16(len(entries)))
	for _, e := range entries {
		tf = binary.LittleEndian.AppendUint16(tf, e.tag)
		tf = binary.LittleEndian.AppendUint16(tf, e.typ)
		tf = binary.LittleEndian.AppendUint32(tf, 1)
		if e.typ == 3 {
			tf = binary.LittleEndian.AppendUint16(tf, uint16(e.val))
			tf = append(tf, 0, 0)
		} else {
			tf = binary.LittleEndian.AppendUint32(tf, e.val)
		}
	}
	files[formatTIFF] = append(tf, 0, 0, 0, 0)
	return files
}

// TestDecodeImageLimits checks that oversized images are refused from their
// header, before anything in proportion to their size is allocated.
func TestDecodeImageLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		ppi  float64
	}{
		{"60000 × 60000", 60000, 60000, 0},
		{"20000 × 20000", 20000, 20000, 0},
		{"one side too long", MaxImageSide + 1, 10, 0},
		{"too many pixels", 8000, 6000, 0},
		{"fits, but a side is too long once upscaled from 100 ppi", 4000, 4000, 100},
		{"fits, but too many pixels once upscaled from 200 ppi", 2400, 2400, 200},
	} {
		for format, file := range imgTestHugeHeaders(tc.w, tc.h) {
			t.Run(tc.name+" "+format, func(t *testing.T) {
				if len(file) > 200 {
					t.Fatalf("test file of %d bytes: want at most 200", len(file))
				}
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				_, err := DecodeImage(file, tc.ppi)
				runtime.ReadMemStats(&after)
				if !errors.Is(err, ErrImageTooLarge) {
					t.Fatalf("error %v, want ErrImageTooLarge", err)
				}
				if !strings.Contains(err.Error(), strings.Fields(format)[0]) {
					t.Errorf("error %q does not name the format", err)
				}
				// Refusing must cost next to nothing: far less than the
				// smallest of these images (a few MB).
				if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
					t.Errorf("allocated %d bytes before refusing", n)
				}
			})
		}
	}

	// The same headers within the limits are not refused for their size:
	// they fail later, because their pixels are missing.
	for format, file := range imgTestHugeHeaders(300, 200) {
		t.Run("small header, missing pixels "+format, func(t *testing.T) {
			_, err := DecodeImage(file, 0)
			if err == nil || errors.Is(err, ErrImageTooLarge) {
				t.Fatalf("error %v, want a decoding error", err)
			}
		})
	}
}

// TestDecodeImageBadInput feeds broken and foreign bytes: each must give a
// clear error, never a panic or an image.
func TestDecodeImageBadInput(t *testing.T) {
	good := map[string][]byte{}
	for _, f := range []string{formatPNG, formatJPEG, formatBMP, formatTIFF, formatPGM} {
		good[f] = imgTestEncode(t, f, imgTestGradient(40, 30))
	}
	var gifFile bytes.Buffer
	if err := gif.Encode(&gifFile, imgTestGradient(4, 4), nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		data     []byte
		ppi      float64
		want     error  // nil: any error
		contains string // the error must contain this
	}{
		{"empty", nil, 0, ErrUnknownImageFormat, "no bytes"},
		{"text", []byte("hello, world"), 0, ErrUnknownImageFormat, "68 65 6c 6c 6f"},
		{"gif", gifFile.Bytes(), 0, ErrUnknownImageFormat, "match none"},
		{"ppm", []byte("P6\n2 2\n255\n............"), 0, ErrUnknownImageFormat, "PPM"},
		{"pbm", []byte("P4\n8 1\n\x00"), 0, ErrUnknownImageFormat, "PBM"},
		{"caller ppi 50", good[formatPNG], 50, ErrImageResolution, "caller resolution 50"},
		{"caller ppi 6000", good[formatPNG], 6000, ErrImageResolution, "caller resolution"},
		{"caller ppi negative", good[formatPNG], -1, ErrImageResolution, "caller resolution"},
		{"caller ppi NaN", good[formatPNG], math.NaN(), ErrImageResolution, "caller resolution"},
		{"caller ppi infinite", good[formatPNG], math.Inf(1), ErrImageResolution, "caller resolution"},
		{"png signature only", good[formatPNG][:8], 0, nil, "png image: header"},
		{"png truncated", good[formatPNG][:len(good[formatPNG])/2], 0, nil, "png image: pixels"},
		{"jpeg truncated", good[formatJPEG][:len(good[formatJPEG])/2], 0, nil, "jpeg image"},
		{"jpeg marker only", []byte{0xFF, 0xD8, 0xFF}, 0, nil, "jpeg image: header"},
		{"bmp truncated", good[formatBMP][:len(good[formatBMP])/2], 0, nil, "bmp image: pixels"},
		{"bmp header only", good[formatBMP][:20], 0, nil, "bmp image: header"},
		{"tiff truncated", good[formatTIFF][:len(good[formatTIFF])/2], 0, nil, "tiff image"},
		{"tiff magic only", []byte("II*\x00"), 0, nil, "tiff image: header"},
		{"pgm truncated", good[formatPGM][:len(good[formatPGM])/2], 0, nil, "pgm: raster: truncated"},
		{"wsq garbage", []byte{0xFF, 0xA0, 0xFF, 0xA8, 0, 2}, 0, nil, "wsq image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, err := DecodeImage(tc.data, tc.ppi)
			if err == nil {
				t.Fatalf("no error; decoded %v", im.Gray.Bounds())
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %q is not %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "minutiae: ") || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not contain %q", err, tc.contains)
			}
		})
	}
}

// TestImageResolutionReaders feeds the resolution readers truncated and
// malformed fields: they must say "none", never panic.
func TestImageResolutionReaders(t *testing.T) {
	g := imgTestGradient(8, 8)
	files := map[string][]byte{
		"png":  imgTestWithPHYs(imgTestEncode(t, formatPNG, g), 39370, 39370, 1),
		"jpeg": imgTestWithJFIF(imgTestEncode(t, formatJPEG, g), 1, 1000, 1000),
		"bmp":  imgTestWithBMPResolution(imgTestEncode(t, formatBMP, g), 39370, 39370),
		"tiff": imgTestWithTIFFResolution(t, imgTestEncode(t, formatTIFF, g), 1000, 1, 2),
	}
	readers := map[string]func([]byte) resolution{
		"png": pngResolution, "jpeg": jfifResolution, "bmp": bmpResolution, "tiff": tiffResolution,
	}
	for name, file := range files {
		read := readers[name]
		if r := read(file); math.Abs(r.x-1000) > 0.1 || math.Abs(r.y-1000) > 0.1 {
			t.Errorf("%s: read %v, want 1000 × 1000", name, r)
		}
		// Every prefix of the file: no panic, and either nothing or the
		// right value.
		for n := range len(file) {
			if r := read(file[:n]); r != (resolution{}) && math.Abs(r.x-1000) > 0.1 {
				t.Errorf("%s cut at %d: read %v", name, n, r)
			}
		}
	}
}

// BenchmarkDecodeImage measures decoding a 400 × 500 print, as stored and
// rescaled from 569 ppi (FVC2002 DB2's resolution).
func BenchmarkDecodeImage(b *testing.B) {
	g := imgTestGradient(400, 500)
	for _, bc := range []struct {
		format string
		ppi    float64
	}{
		{formatPNG, 0}, {formatJPEG, 0}, {formatBMP, 0}, {formatTIFF, 0}, {formatPGM, 0}, {formatTIFF, 569},
	} {
		data := imgTestEncode(b, bc.format, g)
		b.Run(fmt.Sprintf("%s at %g ppi", bc.format, bc.ppi), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := DecodeImage(data, bc.ppi); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
