package minutiae

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"runtime"
	"testing"

	"github.com/whorlafis/whorl/minutiae/wsq"
)

// A header within MaxImagePixels but far beyond what the file's length can
// describe is refused before the standard decoders allocate the image: the
// memory a decode takes stays proportional to the input.
func TestDecodeImagePixelBudget(t *testing.T) {
	const w, h = 12000, 2083 // 25 million pixels: within MaxImagePixels
	for format, file := range imgTestHugeHeaders(w, h) {
		t.Run(format, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := DecodeImage(file, 0)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrImageTooLarge) {
				t.Fatalf("%d-byte file claiming %d × %d: error %v, want ErrImageTooLarge", len(file), w, h, err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
				t.Errorf("allocated %d bytes before refusing", n)
			}
		})
	}
}

// Rescaling counts against the budget too: a small, legitimately encoded
// file that says it is 100 ppi cannot be blown up 25 times.
func TestDecodeImageRescaleBudget(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 1000, 1000))
	for i := range g.Pix {
		g.Pix[i] = 200
	}
	var flat bytes.Buffer
	if err := wsq.Encode(&flat, g, &wsq.EncodeOptions{PPI: 100}); err != nil {
		t.Fatal(err)
	}
	_, err := DecodeImage(flat.Bytes(), 0)
	if !errors.Is(err, ErrImageTooLarge) {
		t.Fatalf("%d-byte flat WSQ at 100 ppi: error %v, want ErrImageTooLarge", flat.Len(), err)
	}
	// The same file at its real 500 ppi decodes.
	if _, err := DecodeImageAt(flat.Bytes(), 500); err != nil {
		t.Fatalf("the same file at 500 ppi: %v", err)
	}
}

// DecodeImageAt takes the container's resolution over the embedded file's.
func TestDecodeImageAt(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, imgTestGradient(400, 200)); err != nil {
		t.Fatal(err)
	}
	const ppm500 = 19685                                    // 500 ppi in pixels a metre
	file := imgTestWithPHYs(buf.Bytes(), ppm500, ppm500, 1) // the file says 500 ppi
	for _, tc := range []struct {
		ppi                   float64
		wantSource            float64
		wantWidth, wantHeight int
	}{
		{1000, 1000, 200, 100}, // the container wins
		{0, 500, 400, 200},     // the container does not know: the file decides
	} {
		im, err := DecodeImageAt(file, tc.ppi)
		if err != nil {
			t.Fatal(err)
		}
		b := im.Gray.Bounds()
		if im.SourcePPI < tc.wantSource-0.01 || im.SourcePPI > tc.wantSource+0.01 || b.Dx() != tc.wantWidth || b.Dy() != tc.wantHeight {
			t.Errorf("DecodeImageAt(ppi %g): %d × %d at source %g ppi; want %d × %d at %g",
				tc.ppi, b.Dx(), b.Dy(), im.SourcePPI, tc.wantWidth, tc.wantHeight, tc.wantSource)
		}
	}
	if _, err := DecodeImageAt(file, 20); !errors.Is(err, ErrImageResolution) {
		t.Errorf("DecodeImageAt(ppi 20): error %v, want ErrImageResolution", err)
	}
}
