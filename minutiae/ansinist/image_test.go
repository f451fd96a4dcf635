package ansinist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/whorlafis/whorl/minutiae"
)

// sampleImageExceptions lists the sample fingerprints that do not decode to
// the size their record states, by file and record index.
var sampleImageExceptions = map[string]string{
	// Its 262144 bytes (a 512×512 grey image) are not the 800×800 binary
	// image the Type-6 header describes.
	"valid1.2.an2#3": "error: needs 80000 bytes of data, the record holds 262144",
	// The Type-14 records state 1800×1000 and 1800×900 but hold the
	// 1600×976 and 1600×800 WSQ images of other files: the image's own
	// header decides.
	"valid1.8.an2#2": "1600x976",
	"valid1.8.an2#3": "1600x976",
	"valid1.8.an2#4": "1600x800",
}

func TestSampleImages(t *testing.T) {
	dir := sampleDir(t)
	decoded := 0
	for name := range samples {
		_, tr := readSample(t, dir, name)
		for _, f := range append(tr.Fingerprints(), tr.Palmprints()...) {
			key := fmt.Sprintf("%s#%d", name, f.Record)
			img, err := f.Image()
			exception := sampleImageExceptions[key]
			if want, ok := strings.CutPrefix(exception, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s: Image() error %v, want one saying %q", key, err, want)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			decoded++
			// The record's resolution is used when it is credible; the
			// samples' others (0, 96 ppi) fall back to 500.
			wantPPI := f.PPI
			if wantPPI < minutiae.MinPPI {
				wantPPI = minutiae.StandardPPI
			}
			if img.SourcePPI != wantPPI || img.PPI != minutiae.StandardPPI {
				t.Errorf("%s: SourcePPI %g, PPI %g; want %g, 500", key, img.SourcePPI, img.PPI, wantPPI)
			}
			size := img.Gray.Bounds().Size()
			want := fmt.Sprintf("%dx%d", int(math.Round(float64(f.Width)*500/wantPPI)), int(math.Round(float64(f.Height)*500/wantPPI)))
			if exception != "" {
				want = exception
			}
			if got := fmt.Sprintf("%dx%d", size.X, size.Y); got != want {
				t.Errorf("%s: decoded %s at 500 ppi, want %s (record: %dx%d at %g ppi)", key, got, want, f.Width, f.Height, f.PPI)
			}
		}
	}
	// 14 Type-3, 14 Type-5 and 14 Type-6 finger images, and 21 in the
	// valid1.* transactions less the one that cannot be decoded.
	if decoded != 42+20 {
		t.Errorf("%d sample images decoded, want 62", decoded)
	}
}

// TestSampleImagePixels checks that an uncompressed Type-3 record decodes
// to its own pixels (rescaled from 250 to 500 ppi, so each is a 2×2 block
// at the centre of its area).
func TestSampleImagePixels(t *testing.T) {
	_, tr := readSample(t, sampleDir(t), "type_3_wvu.an2")
	f := tr.Fingerprints()[0]
	img, err := f.Image()
	if err != nil {
		t.Fatal(err)
	}
	// Each source pixel covers a 2×2 block of the result. Interpolation
	// moves single values (the Catmull-Rom filter overshoots at sharp ridge
	// edges), so compare the whole picture: the blocks' means must
	// correlate with the source pixels, as they would not if rows were
	// shifted, strided wrongly or transposed.
	var xs, ys []float64
	for y := 10; y < f.Height-10; y++ {
		for x := 10; x < f.Width-10; x++ {
			block := int(img.Gray.GrayAt(2*x, 2*y).Y) + int(img.Gray.GrayAt(2*x+1, 2*y).Y) +
				int(img.Gray.GrayAt(2*x, 2*y+1).Y) + int(img.Gray.GrayAt(2*x+1, 2*y+1).Y)
			xs = append(xs, float64(f.Data[y*f.Width+x]))
			ys = append(ys, float64(block)/4)
		}
	}
	if r := correlation(xs, ys); r < 0.95 {
		t.Errorf("decoded pixels correlate with the record's by %.3f, want at least 0.95", r)
	}
}

// correlation is Pearson's correlation coefficient of two samples.
func correlation(xs, ys []float64) float64 {
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(len(xs))
	my /= float64(len(ys))
	var sxy, sxx, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	return sxy / math.Sqrt(sxx*syy)
}

// fingerprintOf builds a one-image transaction and returns its fingerprint.
func fingerprintOf(t *testing.T, rec []byte, typ int) Fingerprint {
	t.Helper()
	tr, err := Read(concat(type1(fmt.Sprintf("%d:01", typ)), rec))
	if err != nil {
		t.Fatal(err)
	}
	fps := append(tr.Fingerprints(), tr.Palmprints()...)
	if len(fps) != 1 {
		t.Fatalf("%d images", len(fps))
	}
	return fps[0]
}

// type14 builds a Type-14 record of the given size, CGA, BPX and data.
func type14(width, height int, ppi, cga string, bpx int, data []byte) []byte {
	return tagged(14, "002:01", "003:1", fmt.Sprintf("006:%d", width), fmt.Sprintf("007:%d", height), "008:1",
		"009:"+ppi, "010:"+ppi, "011:"+cga, fmt.Sprintf("012:%d", bpx), "013:1", "999:"+string(data))
}

func TestImageRaw(t *testing.T) {
	gray := func(t *testing.T, f Fingerprint) *image.Gray {
		t.Helper()
		img, err := f.Image()
		if err != nil {
			t.Fatal(err)
		}
		if img.SourcePPI != 500 || img.Format != "raw" {
			t.Errorf("SourcePPI %g, Format %q", img.SourcePPI, img.Format)
		}
		return img.Gray
	}
	t.Run("8-bit Type-4", func(t *testing.T) {
		g := gray(t, fingerprintOf(t, binaryImage(4, 1, 1, []byte{2}, 0, 4, 3, 0, ramp(12)), 4))
		if !bytes.Equal(g.Pix, ramp(12)) || g.Bounds() != image.Rect(0, 0, 4, 3) {
			t.Errorf("pixels %v %v", g.Bounds(), g.Pix)
		}
	})
	t.Run("1-bit Type-6, set bits black, rows padded", func(t *testing.T) {
		// 10 pixels a row: two bytes, the last 6 bits padding.
		g := gray(t, fingerprintOf(t, binaryImage(6, 1, 1, []byte{2}, 0, 10, 2, 0, []byte{0b10100000, 0b01000000, 0xff, 0b11000000}), 6))
		want := []byte{0, 255, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
		if !bytes.Equal(g.Pix, want) {
			t.Errorf("pixels %v, want %v", g.Pix, want)
		}
	})
	t.Run("16-bit keeps the high byte", func(t *testing.T) {
		g := gray(t, fingerprintOf(t, type14(2, 1, "500", "NONE", 16, []byte{0x12, 0x34, 0xab, 0xcd}), 14))
		if !bytes.Equal(g.Pix, []byte{0x12, 0xab}) {
			t.Errorf("pixels % x", g.Pix)
		}
	})
	t.Run("24-bit RGB to luma", func(t *testing.T) {
		g := gray(t, fingerprintOf(t, type14(3, 1, "500", "NONE", 24, []byte{255, 255, 255, 255, 0, 0, 0, 0, 255}), 14))
		if !bytes.Equal(g.Pix, []byte{255, 76, 29}) {
			t.Errorf("pixels %v", g.Pix)
		}
	})
	t.Run("1000 ppi is rescaled", func(t *testing.T) {
		img, err := fingerprintOf(t, type14(40, 20, "1000", "NONE", 8, ramp(800)), 14).Image()
		if err != nil {
			t.Fatal(err)
		}
		if img.SourcePPI != 1000 || img.Gray.Bounds() != image.Rect(0, 0, 20, 10) {
			t.Errorf("SourcePPI %g, bounds %v", img.SourcePPI, img.Gray.Bounds())
		}
	})
	t.Run("12-bit is refused", func(t *testing.T) {
		_, err := fingerprintOf(t, type14(2, 2, "500", "NONE", 12, ramp(6)), 14).Image()
		if err == nil || !strings.Contains(err.Error(), "12 bits per pixel") {
			t.Errorf("error %v", err)
		}
	})
}

func TestImagePNG(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(src.Pix, []byte{0, 50, 100, 150, 200, 250})
	var buf bytes.Buffer
	if err := png.Encode(&buf, src); err != nil {
		t.Fatal(err)
	}
	// Type-15 (a palm, through Palmprints) at 500 ppi.
	rec := tagged(15, "002:01", "003:10", "006:3", "007:2", "008:1", "009:500", "010:500", "011:PNG", "012:8", "013:22", "999:"+buf.String())
	img, err := fingerprintOf(t, rec, 15).Image()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img.Gray.Pix, src.Pix) || img.Format != "png" {
		t.Errorf("decoded %v (%s)", img.Gray.Pix, img.Format)
	}
}

func TestImageRefuses(t *testing.T) {
	for _, tc := range []struct {
		name        string
		rec         []byte
		typ         int
		unsupported bool
		want        string
	}{
		{"JPEG 2000", type14(2, 2, "500", "JP2", 8, []byte("\x00\x00\x00\x0cjP  ")), 14, true, "JP2"},
		{"lossless JPEG 2000", type14(2, 2, "500", "JP2L", 8, []byte("x")), 14, true, "JP2L"},
		{"lossless JPEG", type14(2, 2, "500", "JPEGL", 8, []byte("\xff\xd8\xff\xc3")), 14, true, "JPEGL"},
		{"vendor compression", type14(2, 2, "500", "ACME", 8, []byte("x")), 14, true, "unknown"},
		{"Type-4 code 4 (JPEG 2000)", binaryImage(4, 1, 1, []byte{2}, 0, 2, 2, 4, []byte("x")), 4, true, "JP2"},
		{"facsimile", binaryImage(6, 1, 1, []byte{2}, 0, 8, 8, 1, []byte{0, 1, 2}), 6, true, "FAX"},
		{"broken WSQ", type14(2, 2, "500", "WSQ20", 8, []byte("\xff\xa0\xff")), 14, false, "record 1 (Type-14, IDC 1)"},
		{"JPEGB that is not JPEG", type14(2, 2, "500", "JPEGB", 8, []byte("GIF89a")), 14, false, "record 1"},
		{"binary image of the wrong length", binaryImage(5, 1, 1, []byte{2}, 0, 8, 8, 0, []byte{0, 1, 2}), 5, false, "needs 8 bytes"},
		{"non-square pixels", tagged(14, "002:01", "003:1", "006:2", "007:2", "008:1", "009:500", "010:250", "011:NONE", "012:8", "013:1", "999:abcd"), 14, false, "non-square"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := fingerprintOf(t, tc.rec, tc.typ).Image()
			if err == nil {
				t.Fatalf("decoded %v", img.Gray.Bounds())
			}
			if errors.Is(err, ErrUnsupportedCompression) != tc.unsupported {
				t.Errorf("errors.Is(err, ErrUnsupportedCompression) = %v, want %v: %v", !tc.unsupported, tc.unsupported, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestImageHandMadeFingerprint(t *testing.T) {
	for _, f := range []Fingerprint{
		{Width: 1 << 40, Height: 1 << 40, BitsPerPixel: 8, Data: []byte{1}},
		{Width: -1, Height: 2, BitsPerPixel: 8},
		{Width: 2, Height: 2, BitsPerPixel: 0},
		{Width: 2, Height: 2, BitsPerPixel: 8, Compression: Compression(-3)},
	} {
		if _, err := f.Image(); err == nil {
			t.Errorf("%+v decoded", f)
		}
	}
}

// TestImageIncredibleResolution: a record stating a resolution minutiae
// does not believe (96 ppi, a software default) is decoded as if it said
// nothing, and SourcePPI tells what was assumed.
func TestImageIncredibleResolution(t *testing.T) {
	img, err := fingerprintOf(t, type14(4, 2, "96", "NONE", 8, ramp(8)), 14).Image()
	if err != nil {
		t.Fatal(err)
	}
	if img.SourcePPI != 500 || img.Gray.Bounds().Dx() != 4 {
		t.Errorf("SourcePPI %g, bounds %v", img.SourcePPI, img.Gray.Bounds())
	}
}

// The record's resolution is the standard's statement and wins over what an
// embedded file says: a PNG whose pHYs says 500 ppi, in a Type-14 record of
// 1000 ppi, is a 1000 ppi image and is halved.
func TestImageRecordResolutionWins(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 400, 300))); err != nil {
		t.Fatal(err)
	}
	withPHYs := pngWithPHYs(buf.Bytes(), 19685) // 500 ppi in pixels a metre
	img, err := fingerprintOf(t, type14(400, 300, "1000", "PNG", 8, withPHYs), 14).Image()
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Gray.Bounds(); b.Dx() != 200 || b.Dy() != 150 || img.SourcePPI != 1000 {
		t.Errorf("decoded %d×%d from %g ppi; want 200×150 from the record's 1000 ppi (the file said %g)",
			b.Dx(), b.Dy(), img.SourcePPI, img.FilePPI)
	}
}

// pngWithPHYs inserts a pHYs chunk (pixels a metre on both axes, unit metre)
// after a PNG's IHDR chunk.
func pngWithPHYs(p []byte, ppm uint32) []byte {
	const afterIHDR = 8 + 8 + 13 + 4 // signature, IHDR length+type, data, CRC
	chunk := binary.BigEndian.AppendUint32(nil, 9)
	body := append([]byte("pHYs"), binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, ppm), ppm)...)
	body = append(body, 1)
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	out := append([]byte{}, p[:afterIHDR]...)
	out = append(out, chunk...)
	return append(out, p[afterIHDR:]...)
}
