package minutiae

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These tests decode the real reference images in ../shared/data (from the
// repository root; ../../shared/data from this package's directory). They
// skip, with a message, where that directory is absent, as on a fresh clone.
// What each file states about its resolution is recorded in the test tables.

// imgTestDataDir returns the reference data folder rel, or skips the test.
func imgTestDataDir(t testing.TB, rel string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "data", filepath.FromSlash(rel))
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference data %s is absent (%v): skipping the tests on real images", dir, err)
	}
	return dir
}

// imgTestRead reads a reference file or fails.
func imgTestRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// imgTestGlob returns the files matching pattern in dir, failing when there
// are none: a folder that is present but empty is a broken checkout.
func imgTestGlob(t testing.TB, dir, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s in %s (%v)", pattern, dir, err)
	}
	return files
}

// TestDecodeImageFVC2002 decodes every image of the four FVC2002 set B
// databases. None of their TIFF headers states a resolution (no XResolution
// tag at all), so DB2's 569 ppi must come from the caller.
func TestDecodeImageFVC2002(t *testing.T) {
	for _, tc := range []struct {
		db        string
		callerPPI float64
		w, h      int // as stored
		wantW     int // at 500 ppi
		wantH     int
	}{
		{"DB1_B", 0, 388, 374, 388, 374},
		{"DB2_B", 569, 296, 560, 260, 492}, // 296 × 500/569 = 260.1, 560 × 500/569 = 492.1
		{"DB2_B", 0, 296, 560, 296, 560},   // without the caller's word, 500 is assumed
		{"DB3_B", 0, 300, 300, 300, 300},
		{"DB4_B", 0, 288, 384, 288, 384},
	} {
		name := tc.db
		if tc.callerPPI != 0 {
			name += fmt.Sprintf(" at %g ppi", tc.callerPPI)
		}
		t.Run(name, func(t *testing.T) {
			dir := imgTestDataDir(t, "fvc2002/"+tc.db)
			files := imgTestGlob(t, dir, "*.tif")
			if len(files) != 80 {
				t.Errorf("%d images in %s, want 80", len(files), dir)
			}
			for _, f := range files {
				im, err := DecodeImage(imgTestRead(t, f), tc.callerPPI)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				imgTestCheck(t, im)
				b := im.Gray.Bounds()
				if im.Format != formatTIFF || b.Dx() != tc.wantW || b.Dy() != tc.wantH || im.FilePPI != 0 {
					t.Fatalf("%s: %s %d × %d, file %g ppi; want tiff %d × %d, file 0 ppi",
						f, im.Format, b.Dx(), b.Dy(), im.FilePPI, tc.wantW, tc.wantH)
				}
				wantSource := tc.callerPPI
				if wantSource == 0 {
					wantSource = StandardPPI
				}
				if im.SourcePPI != wantSource {
					t.Fatalf("%s: SourcePPI %g, want %g", f, im.SourcePPI, wantSource)
				}
			}
		})
	}
}

// TestDecodeImageProbeFormats decodes probe.bmp and probe.jpeg, which
// SOURCE.txt says hold the pixels of fvc2002/DB1_B/102_1.tif. The BMP (24-bit
// grey, 0 pixels a metre) must match the TIFF exactly; the JPEG (JFIF 1:1
// aspect ratio, no resolution) closely.
func TestDecodeImageProbeFormats(t *testing.T) {
	dir := imgTestDataDir(t, "samples/wsq_and_formats")
	ref, err := DecodeImage(imgTestRead(t, filepath.Join(imgTestDataDir(t, "fvc2002/DB1_B"), "102_1.tif")), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file    string
		format  string
		maxDiff int     // largest pixel difference to the TIFF
		maxMean float64 // largest mean difference
	}{
		{"probe.bmp", formatBMP, 0, 0},
		{"probe.jpeg", formatJPEG, 32, 2.5}, // measured: 25, 1.68
	} {
		t.Run(tc.file, func(t *testing.T) {
			im, err := DecodeImage(imgTestRead(t, filepath.Join(dir, tc.file)), 0)
			if err != nil {
				t.Fatal(err)
			}
			imgTestCheck(t, im)
			if im.Format != tc.format || im.FilePPI != 0 || im.SourcePPI != StandardPPI {
				t.Errorf("%s, file %g ppi, source %g ppi; want %s, 0, 500", im.Format, im.FilePPI, im.SourcePPI, tc.format)
			}
			maxDiff, mean := imgTestDiff(t, im.Gray, ref.Gray)
			t.Logf("%s against 102_1.tif: max difference %d, mean %.3f", tc.file, maxDiff, mean)
			if maxDiff > tc.maxDiff || mean > tc.maxMean {
				t.Errorf("differs from 102_1.tif by up to %d (mean %.3f); want at most %d (mean %g)",
					maxDiff, mean, tc.maxDiff, tc.maxMean)
			}
		})
	}
}

// TestDecodeImagePGMSamples decodes the plain impressions in PGM (binary P5,
// maxval 255, no resolution: PGM has no field for one).
func TestDecodeImagePGMSamples(t *testing.T) {
	dir := imgTestDataDir(t, "samples/plain_pgm")
	files := imgTestGlob(t, dir, "*.pgm")
	if len(files) != 10 {
		t.Errorf("%d PGM files, want 10", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data := imgTestRead(t, f)
			h, err := parsePGMHeader(data)
			if err != nil {
				t.Fatal(err)
			}
			im, err := DecodeImage(data, 0)
			if err != nil {
				t.Fatal(err)
			}
			imgTestCheck(t, im)
			b := im.Gray.Bounds()
			// SOURCE.txt: sizes from 304 × 410 to 500 × 500 (b001_08p is
			// smaller: 308 × 278).
			if b.Dx() != h.width || b.Dy() != h.height || b.Dx() < 300 || b.Dx() > 500 || b.Dy() < 270 || b.Dy() > 600 {
				t.Errorf("%d × %d, header %d × %d", b.Dx(), b.Dy(), h.width, h.height)
			}
			if h.plain || h.maxval != 255 || im.Format != formatPGM || im.SourcePPI != StandardPPI {
				t.Errorf("plain %v, maxval %d, format %s, %g ppi", h.plain, h.maxval, im.Format, im.SourcePPI)
			}
			// The raster is the file's tail, byte for byte.
			if string(im.Gray.Pix) != string(data[h.raster:h.raster+b.Dx()*b.Dy()]) {
				t.Error("pixels differ from the raster bytes")
			}
		})
	}
}

// TestDecodeImagePartialCaptures decodes the small-sensor captures (RGB PNG
// with grey content, no pHYs) and the NIST example prints: grey+alpha PNG
// stating 300 dpi (believed: their ridges are about 60% as far apart as at
// 500 ppi, so 250–300 ppi is about right), or 72 dpi for whorl.png (not
// believed), and greyscale JPEG with a JFIF 1:1 aspect ratio, or 72 dpi for
// whorl.jpg. Odd, small and poor as they are, each must decode to a grey
// image of the size its resolution gives.
func TestDecodeImagePartialCaptures(t *testing.T) {
	dir := imgTestDataDir(t, "samples/partial_sensor_captures")
	files := append(imgTestGlob(t, dir, "*.png"), imgTestGlob(t, dir, "examples_prints/*.*")...)
	filePPI := map[string]float64{ // what the files state, to 0.1 ppi; absent: nothing
		"arch.png": 300, "loop-right.png": 300, "tented_arch.png": 300, "whorl.png": 72, "whorl.jpg": 72,
	}
	n := 0
	for _, f := range files {
		if strings.EqualFold(filepath.Base(f), "README") {
			continue
		}
		n++
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data := imgTestRead(t, f)
			format, err := detectFormat(data)
			if err != nil {
				t.Fatal(err)
			}
			hdr, err := format.header(data)
			if err != nil {
				t.Fatal(err)
			}
			im, err := DecodeImage(data, 0)
			if err != nil {
				t.Fatal(err)
			}
			imgTestCheck(t, im)
			if d := im.FilePPI - filePPI[name]; d > 0.1 || d < -0.1 {
				t.Errorf("FilePPI %g, want %g", im.FilePPI, filePPI[name])
			}
			wantPPI := float64(StandardPPI)
			if filePPI[name] >= MinPPI {
				wantPPI = im.FilePPI
			}
			wantW, wantH, _ := rescaledSize(hdr.width, hdr.height, wantPPI)
			if b := im.Gray.Bounds(); b.Dx() != wantW || b.Dy() != wantH || im.SourcePPI != wantPPI {
				t.Errorf("%d × %d at %g ppi; want %d × %d at %g (header %d × %d)",
					b.Dx(), b.Dy(), im.SourcePPI, wantW, wantH, wantPPI, hdr.width, hdr.height)
			}
		})
	}
	if n != 18 {
		t.Errorf("%d images, want 18 (10 captures, 8 examples)", n)
	}
}

// TestDecodeImageWSQSamples decodes the WSQ files (whose NIST comment states
// PPI 500) and checks them against the reference decodes saved as PNG
// (which state no resolution, except wsq-converted.png: 96 dpi, a default).
// Decoding a WSQ file and its reference PNG must give the same pixels.
func TestDecodeImageWSQSamples(t *testing.T) {
	dir := imgTestDataDir(t, "samples/wsq_and_formats")
	pairs := map[string]string{filepath.Join(dir, "wsq-original.wsq"): filepath.Join(dir, "wsq-converted.png")}
	for _, f := range imgTestGlob(t, filepath.Join(dir, "nbis_encoded"), "*.wsq") {
		pairs[f] = strings.TrimSuffix(f, ".wsq") + ".decoded.png"
	}
	for wsqFile, pngFile := range pairs {
		t.Run(filepath.Base(wsqFile), func(t *testing.T) {
			w, err := DecodeImage(imgTestRead(t, wsqFile), 0)
			if err != nil {
				t.Fatal(err)
			}
			imgTestCheck(t, w)
			if w.Format != formatWSQ || w.FilePPI != 500 || w.SourcePPI != 500 {
				t.Errorf("%s, file %g ppi, source %g ppi; want wsq, 500, 500", w.Format, w.FilePPI, w.SourcePPI)
			}
			p, err := DecodeImage(imgTestRead(t, pngFile), 0)
			if err != nil {
				t.Fatal(err)
			}
			wantFilePPI := 0.0
			if filepath.Base(pngFile) == "wsq-converted.png" {
				wantFilePPI = 96.012 // pHYs 3780 pixels a metre: a default, not believed
			}
			if p.SourcePPI != 500 || p.FilePPI < wantFilePPI-0.01 || p.FilePPI > wantFilePPI+0.01 {
				t.Errorf("%s: SourcePPI %g, FilePPI %g; want 500, %g", pngFile, p.SourcePPI, p.FilePPI, wantFilePPI)
			}
			imgTestEqual(t, w.Gray, p.Gray)
		})
	}

	// The NBIS-made WSQ of an FVC2002 DB2 print says 500 ppi, though the
	// print is 569 ppi: the file states a credible resolution, so it wins
	// over the caller's, and FilePPI/SourcePPI show the caller what happened.
	t.Run("DB2 print: the file's 500 ppi wins over the caller's 569", func(t *testing.T) {
		im, err := DecodeImage(imgTestRead(t, filepath.Join(dir, "nbis_encoded", "fvc2002_DB2_B_102_3.wsq")), 569)
		if err != nil {
			t.Fatal(err)
		}
		if b := im.Gray.Bounds(); b.Dx() != 296 || b.Dy() != 560 || im.FilePPI != 500 || im.SourcePPI != 500 {
			t.Errorf("%d × %d, file %g ppi, source %g ppi; want 296 × 560, 500, 500", b.Dx(), b.Dy(), im.FilePPI, im.SourcePPI)
		}
	})
}

// TestDecodeImageNotImages feeds the other reference files (ANSI/NIST
// transactions, ISO templates): not images, so a clear error.
func TestDecodeImageNotImages(t *testing.T) {
	dir := imgTestDataDir(t, "samples")
	files := append(imgTestGlob(t, filepath.Join(dir, "ansi_nist"), "*.an2"),
		imgTestGlob(t, filepath.Join(dir, "plain_pgm", "templates-iso"), "*.ist")...)
	for _, f := range files {
		_, err := DecodeImage(imgTestRead(t, f), 0)
		if !errors.Is(err, ErrUnknownImageFormat) {
			t.Errorf("%s: error %v, want ErrUnknownImageFormat", f, err)
		}
	}
}
