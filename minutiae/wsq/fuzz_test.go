package wsq

import (
	"bytes"
	"errors"
	"image"
	"os"
	"path/filepath"
	"testing"
)

// fuzzMaxPixels bounds the images FuzzDecode decodes in full; larger ones
// (such as the 832 × 768 sample) are parsed and entropy-decoded only.
const fuzzMaxPixels = 1 << 18

// FuzzDecode feeds Decode and DecodeConfig arbitrary bytes. Neither may
// panic; every error must be a *FormatError; and when Decode succeeds, the
// image must have the size DecodeConfig reports, within the limits.
//
// Seeds: the real WSQ samples when the shared data is present, and small
// files from our encoder with truncated and edited copies, which exist
// without it.
//
// Inputs whose header claims more than fuzzMaxPixels go through the
// parsing and entropy decoding only, not the wavelet reconstruction: the
// limits admit a 20-megapixel image from a 35 KB file (the real sample with
// its frame header edited), which takes seconds to reconstruct in a fuzzing
// build, and the fuzzer stalls for minutes minimizing such inputs. The
// reconstruction of large images is the same code as for small ones, with
// longer loops.
func FuzzDecode(f *testing.F) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "samples", "wsq_and_formats")
	samples, _ := filepath.Glob(filepath.Join(dir, "*.wsq"))
	more, _ := filepath.Glob(filepath.Join(dir, "nbis_encoded", "*.wsq"))
	for _, p := range append(samples, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for i, size := range []image.Point{{65, 65}, {70, 90}, {100, 80}} {
		var buf bytes.Buffer
		if err := Encode(&buf, syntheticPrint(size.X, size.Y, uint32(i)), &EncodeOptions{Bitrate: 0.5 + float64(i)}); err != nil {
			f.Fatal(err)
		}
		b := buf.Bytes()
		f.Add(b)
		for _, n := range []int{2, 6, 60, 200, 600, len(b) / 2} {
			f.Add(b[:min(n, len(b))])
		}
	}
	f.Add([]byte{0xFF, 0xA0, 0xFF, 0xA1})
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		w, h, cppi, cerr := DecodeConfig(data)
		if cerr == nil && w*h > fuzzMaxPixels {
			d := newDecoder(data)
			if err := d.readHeader(); err != nil {
				t.Fatalf("DecodeConfig succeeded but the header does not parse: %v", err)
			}
			coeffs := make([]int16, w*h)
			err := d.readBlocks(buildTrees(w, h), coeffs)
			var fe *FormatError
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			return
		}
		img, ppi, err := Decode(data)
		for _, e := range []error{cerr, err} {
			var fe *FormatError
			if e != nil && !errors.As(e, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", e, e)
			}
			if fe != nil && (fe.Offset < 0 || fe.Offset > len(data)) {
				t.Fatalf("error offset %d outside the %d-byte input: %v", fe.Offset, len(data), e)
			}
		}
		if err != nil {
			return
		}
		if cerr != nil {
			t.Fatalf("Decode succeeded but DecodeConfig failed: %v", cerr)
		}
		if img.Rect != image.Rect(0, 0, w, h) || img.Stride != w || len(img.Pix) != w*h {
			t.Fatalf("image %v (stride %d, %d bytes), DecodeConfig says %d × %d", img.Rect, img.Stride, len(img.Pix), w, h)
		}
		if ppi != cppi || ppi < 0 {
			t.Fatalf("ppi %d, DecodeConfig says %d", ppi, cppi)
		}
		if w > MaxWidth || h > MaxHeight || w*h > MaxPixels || w*h > MaxPixelsPerByte*len(data) {
			t.Fatalf("%d × %d image from %d bytes is beyond the limits", w, h, len(data))
		}
	})
}
