package ansinist

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// summary describes a fingerprint in one line for the sample table:
// record type, IDC, position codes, impression code, size, resolution,
// compression, bits per pixel and data length.
func summary(f Fingerprint) string {
	return fmt.Sprintf("T%d idc %d fgp %d imp %d %dx%d %gppi %v %dbpp %dB", f.RecordType, f.IDC, f.Positions, f.Impression,
		f.Width, f.Height, f.PPI, f.Compression, f.BitsPerPixel, len(f.Data))
}

// rep repeats a record type n times, for the table below.
func rep(typ, n int) []int { return slices.Repeat([]int{typ}, n) }

// tenprint lists the 14 finger images of the WVU tenprint cards (Type-3, 5
// and 6 samples): ten rolled fingers, then the plain four-finger slaps (14
// left, 13 right) and the plain thumbs (12 left, 11 right). Low-resolution
// records are half the size and resolution of the high-resolution ones.
func tenprint(typ int, ppi float64, scale int, compression string, bpp int, sizes []int) []string {
	var out []string
	fgp := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 13, 12, 11}
	for i, p := range fgp {
		w, h := 400, 375
		switch {
		case i >= 12:
			w, h = 200, 388
		case i >= 10:
			w, h = 800, 475
		}
		out = append(out, fmt.Sprintf("T%d idc %d fgp [%d] imp 1 %dx%d %gppi %s %dbpp %dB", typ, i+1, p, w*scale, h*scale, ppi, compression, bpp, sizes[i]))
	}
	return out
}

// samples states what each NIST sample transaction holds: the type of every
// record in file order (Type-1 first), its fingerprint and palm images, and
// whether Encode gives back the very same bytes (true for the files whose
// tags are written "t.nnn:"; the others use the older "1.01:" form, which
// Encode writes as "1.001:").
var samples = map[string]struct {
	records   []int
	images    []string // Fingerprints() then Palmprints(), as summary writes them
	identical bool
}{
	"face_jpb_DOM_GMT_DCS.an2": {records: []int{1, 10}, identical: true},
	"sign_raw.an2":             {records: []int{1, 8}, identical: true},
	"sign_vec.an2":             {records: []int{1, 8}, identical: true},
	"type_3_wvu.an2": {records: append([]int{1, 2}, rep(3, 14)...), identical: true,
		images: tenprint(3, 250, 1, "NONE", 8, []int{150000, 150000, 150000, 150000, 150000, 150000, 150000, 150000, 150000, 150000, 380000, 380000, 77600, 77600})},
	// The Type-5 records say "uncompressed" but hold TIFF files.
	"type_5_wvu.an2": {records: append([]int{1, 2}, rep(5, 14)...), identical: true,
		images: tenprint(5, 250, 1, "NONE", 1, []int{12084, 10688, 12284, 10198, 10016, 11632, 10756, 12828, 12122, 12220, 19898, 21094, 7690, 7582})},
	"type_6_wvu.an2": {records: append([]int{1, 2}, rep(6, 14)...), identical: true,
		images: tenprint(6, 500, 2, "FAX", 1, []int{32152, 28204, 32616, 26300, 25488, 30328, 28036, 33738, 31668, 31158, 61082, 62000, 20632, 19740})},
	"valid1.1.an2": {records: []int{1, 2, 4},
		images: []string{"T4 idc 1 fgp [10] imp 0 512x512 500ppi WSQ20 8bpp 14846B"}},
	"valid1.2.an2": {records: []int{1, 2, 4, 6},
		images: []string{
			"T4 idc 1 fgp [10] imp 0 512x512 500ppi WSQ20 8bpp 14846B",
			// Its data (512×512 bytes) does not match its header.
			"T6 idc 2 fgp [0] imp 0 800x800 500ppi NONE 1bpp 262144B",
		}},
	"valid1.3.an2": {records: []int{1, 2, 10}},
	"valid1.4.an2": {records: []int{1, 2, 13},
		images: []string{"T13 idc 1 fgp [20] imp 12 451x698 100ppi JPEGB 8bpp 61615B"}},
	"valid1.5.an2": {records: []int{1, 2, 13},
		images: []string{"T13 idc 1 fgp [19] imp 5 800x800 500ppi JPEGB 8bpp 64786B"}},
	"valid1.6.an2": {records: []int{1, 2, 13},
		images: []string{"T13 idc 1 fgp [20] imp 14 718x727 0ppi JPEGB 24bpp 29827B"}},
	"valid1.7.an2": {records: []int{1, 2, 14},
		images: []string{"T14 idc 1 fgp [19] imp 1 388x336 96ppi JPEGB 8bpp 28916B"}},
	"valid1.8.an2": {records: []int{1, 2, 14, 14, 14},
		images: []string{
			"T14 idc 1 fgp [13] imp 0 1800x1000 500ppi WSQ20 8bpp 60152B",
			"T14 idc 2 fgp [14] imp 0 1800x1000 500ppi WSQ20 8bpp 60626B",
			"T14 idc 3 fgp [15] imp 0 1800x900 500ppi WSQ20 8bpp 61321B",
		}},
	"valid1.9.an2": {records: []int{1, 2, 4, 7, 8, 10, 14, 17},
		images: []string{
			"T4 idc 1 fgp [1] imp 0 800x800 500ppi WSQ20 8bpp 31148B",
			"T14 idc 10 fgp [19] imp 0 388x336 96ppi JPEGB 8bpp 28916B",
		}},
	"valid1.10.an2": {records: []int{1, 2, 17}},
	"valid1.11.an2": {records: []int{1, 2, 4, 10, 13, 14, 15, 16, 17, 99},
		images: []string{
			"T4 idc 1 fgp [10] imp 0 512x512 500ppi WSQ20 8bpp 14846B",
			"T13 idc 3 fgp [20] imp 12 451x698 100ppi JPEGB 8bpp 61615B",
			"T14 idc 4 fgp [13] imp 0 1600x976 500ppi WSQ20 8bpp 60152B",
			"T15 idc 5 fgp [13] imp 29 1600x976 500ppi JPEGB 8bpp 138145B",
		}},
	"valid1.13.an2": {records: []int{1, 2, 99}},
	"valid1.14.an2": {records: []int{1, 2, 4, 9},
		images: []string{"T4 idc 1 fgp [1] imp 0 784x1133 500ppi WSQ20 8bpp 40277B"}},
	"valid1.15.an2": {records: []int{1, 2, 9}},
	"valid1.16.an2": {records: []int{1, 2, 4, 10, 13, 14, 15, 16, 17, 99}, identical: true,
		images: []string{
			"T4 idc 1 fgp [10] imp 0 512x512 500ppi WSQ20 8bpp 14846B",
			"T13 idc 3 fgp [0] imp 12 451x698 100ppi JPEGB 8bpp 61615B",
			"T14 idc 4 fgp [13] imp 0 1600x976 500ppi WSQ20 8bpp 60152B",
			"T15 idc 5 fgp [20] imp 29 1600x976 500ppi JPEGB 8bpp 138145B",
		}},
}

// readSample reads one sample file.
func readSample(t *testing.T, dir, name string) ([]byte, *Transaction) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Read(data)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return data, tr
}

func TestSamples(t *testing.T) {
	dir := sampleDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.an2"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(samples) {
		t.Errorf("%d sample files in %s, the table lists %d", len(files), dir, len(samples))
	}
	for name, want := range samples {
		t.Run(name, func(t *testing.T) {
			data, tr := readSample(t, dir, name)
			var types []int
			for _, r := range tr.Records {
				types = append(types, r.Type)
			}
			if !slices.Equal(types, want.records) {
				t.Errorf("record types %v, want %v", types, want.records)
			}
			var images []string
			for _, f := range append(tr.Fingerprints(), tr.Palmprints()...) {
				images = append(images, summary(f))
			}
			if !slices.Equal(images, want.images) {
				t.Errorf("images:\n%q\nwant:\n%q", images, want.images)
			}

			enc, err := tr.Encode()
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if got := bytes.Equal(enc, data); got != want.identical {
				t.Errorf("Encode gives back the same bytes: %v, want %v", got, want.identical)
			}
			back, err := Read(enc)
			if err != nil {
				t.Fatalf("Read of the encoded transaction: %v", err)
			}
			if err := sameRecords(back, tr); err != nil {
				t.Errorf("encoded transaction reads back different: %v", err)
			}
		})
	}
}

// TestSamplesTruncated cuts each sample inside every record (first and
// last byte, and the middle): Read must refuse each with a format error.
func TestSamplesTruncated(t *testing.T) {
	dir := sampleDir(t)
	for name := range samples {
		data, tr := readSample(t, dir, name)
		for _, r := range tr.Records {
			for _, n := range []int{r.Offset + 1, r.Offset + r.Length/2, r.Offset + r.Length - 1} {
				if _, err := Read(data[:n]); err == nil {
					t.Errorf("%s cut at byte %d (inside Type-%d record at %d): accepted", name, n, r.Type, r.Offset)
				}
			}
		}
	}
}
