package wsq

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// conformancePairs lists the WSQ files with a reference decode by NIST's
// dwsq beside them.
func conformancePairs(t testing.TB) map[string]string {
	dir := filepath.Join(sharedData(t), "samples", "wsq_and_formats")
	pairs := map[string]string{
		filepath.Join(dir, "wsq-original.wsq"): filepath.Join(dir, "wsq-converted.png"),
	}
	files, err := filepath.Glob(filepath.Join(dir, "nbis_encoded", "*.wsq"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		pairs[f] = strings.TrimSuffix(f, ".wsq") + ".decoded.png"
	}
	if len(pairs) < 6 {
		t.Fatalf("expected 6 WSQ files with reference decodes, found %d", len(pairs))
	}
	return pairs
}

// TestConformance decodes every sample and compares it with NIST's
// reference decode: the difference must be 0 at every pixel.
func TestConformance(t *testing.T) {
	for wsqPath, pngPath := range conformancePairs(t) {
		t.Run(filepath.Base(wsqPath), func(t *testing.T) {
			data, err := os.ReadFile(wsqPath)
			if err != nil {
				t.Fatal(err)
			}
			got, ppi, err := Decode(data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := readPNGGray(t, pngPath)
			if got.Rect.Size() != want.Rect.Size() {
				t.Fatalf("size %v, reference %v", got.Rect.Size(), want.Rect.Size())
			}
			maxDiff, mean := pixelDiff(got, want)
			t.Logf("%s: %v, ppi %d: max pixel difference %d, mean %.6f", filepath.Base(wsqPath), got.Rect.Size(), ppi, maxDiff, mean)
			if maxDiff != 0 {
				t.Errorf("max pixel difference %d (mean %.6f), want 0", maxDiff, mean)
			}
			if ppi != 500 {
				t.Errorf("ppi %d, want 500 (every sample's NIST comment says 500)", ppi)
			}
			w, h, cppi, err := DecodeConfig(data)
			if err != nil {
				t.Fatalf("DecodeConfig: %v", err)
			}
			if w != got.Rect.Dx() || h != got.Rect.Dy() || cppi != ppi {
				t.Errorf("DecodeConfig = %d × %d, ppi %d; Decode gave %v, ppi %d", w, h, cppi, got.Rect.Size(), ppi)
			}
		})
	}
}
