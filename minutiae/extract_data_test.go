package minutiae

import (
	"os"
	"path/filepath"
	"testing"
)

// extractTestDataDir returns the reference data folder rel (under
// ../../shared/data), or skips the test.
func extractTestDataDir(t testing.TB, rel string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "data", filepath.FromSlash(rel))
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference data %s is absent (%v): skipping", dir, err)
	}
	return dir
}

// extractTestDecode reads and decodes an image at callerPPI.
func extractTestDecode(t testing.TB, path string, callerPPI float64) *Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := DecodeImage(b, callerPPI)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// recordingTrace keeps every stage it is given.
type recordingTrace struct {
	stages []tracedStage
}

type tracedStage struct {
	name string
	data any
}

func (r *recordingTrace) Stage(name string, data any) {
	r.stages = append(r.stages, tracedStage{name, data})
}

// TestExtractFVC2002 extracts every image of the four FVC2002 set B
// databases: each must give a valid template with a plausible number of
// minutiae. WHORL_EXTRACT_COUNTS=1 logs every image's count.
func TestExtractFVC2002(t *testing.T) {
	root := extractTestDataDir(t, "fvc2002")
	for _, set := range []struct {
		name         string
		ppi          float64
		meanMinutiae float64 // measured
	}{{"DB1_B", 0, 36}, {"DB2_B", 569, 42}, {"DB3_B", 0, 26}, {"DB4_B", 0, 26}} {
		t.Run(set.name, func(t *testing.T) {
			files, err := filepath.Glob(filepath.Join(root, set.name, "*.tif"))
			if err != nil || len(files) == 0 {
				t.Fatalf("no images in %s (%v)", set.name, err)
			}
			total, lo, hi := 0, 1<<30, 0
			for _, f := range files {
				img := extractTestDecode(t, f, set.ppi)
				tpl, err := Extract(img, &ExtractOptions{Impression: LivePlain})
				if err != nil {
					t.Errorf("%s: %v", f, err)
					continue
				}
				if err := tpl.Validate(); err != nil {
					t.Errorf("%s: %v", f, err)
				}
				n := len(tpl.Minutiae)
				total += n
				lo, hi = min(lo, n), max(hi, n)
				if os.Getenv("WHORL_EXTRACT_COUNTS") != "" {
					t.Logf("%s: %d minutiae, quality %d", filepath.Base(f), n, tpl.Quality)
				}
				// A few real prints hold little: SecuGen finds 14 on DB3 105_8.
				if n < 5 || n > 150 {
					t.Errorf("%s: %d minutiae, outside the plausible 5..150", filepath.Base(f), n)
				}
			}
			mean := float64(total) / float64(len(files))
			t.Logf("%s: %d images, minutiae per image: mean %.1f, min %d, max %d",
				set.name, len(files), mean, lo, hi)
			// Measured means: DB1 about 36, DB2 42, DB3 26, DB4 26; a
			// shift of a quarter either way is a change to look at.
			if mean < 0.75*set.meanMinutiae || mean > 1.25*set.meanMinutiae {
				t.Errorf("%s: %.1f minutiae per image on average, outside %.0f..%.0f (measured %.0f)",
					set.name, mean, 0.75*set.meanMinutiae, 1.25*set.meanMinutiae, set.meanMinutiae)
			}
		})
	}
}

// extractTestDataDirOrEmpty returns the reference data folder rel, or ""
// when it is absent.
func extractTestDataDirOrEmpty(rel string) string {
	dir := filepath.Join("..", "..", "shared", "data", filepath.FromSlash(rel))
	if _, err := os.Stat(dir); err != nil {
		return ""
	}
	return dir
}

// TestExtractOtherSamples runs Extract on every other reference image
// (small-area and swipe sensor captures, NIST pattern examples, plain PGM
// impressions, WSQ files): each gives a valid template or an error that
// says why, never a panic.
func TestExtractOtherSamples(t *testing.T) {
	root := extractTestDataDir(t, "samples")
	var files []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".png", ".pgm", ".wsq", ".bmp", ".jpeg", ".jpg", ".tif":
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := DecodeImage(b, 0)
		if err != nil {
			continue // not this test's business
		}
		tpl, err := Extract(img, nil)
		if err != nil {
			t.Logf("%s (%d × %d): %v", filepath.Base(f), img.Gray.Rect.Dx(), img.Gray.Rect.Dy(), err)
			continue
		}
		if err := tpl.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		ok++
		t.Logf("%s (%d × %d): %d minutiae, quality %d", filepath.Base(f), tpl.Width, tpl.Height, len(tpl.Minutiae), tpl.Quality)
	}
	if ok == 0 {
		t.Errorf("no template from any of %d sample images", len(files))
	}
}
