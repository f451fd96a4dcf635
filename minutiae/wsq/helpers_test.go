package wsq

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// sharedData returns the shared reference data folder (../shared/data from
// the repository root, so ../../../shared/data from this package), or skips
// the test when it is absent, as in a fresh clone.
func sharedData(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared reference data not found at %s (a fresh clone has no ../shared/data): %v", dir, err)
	}
	return dir
}

// readPNGGray reads an 8-bit grey PNG.
func readPNGGray(t testing.TB, path string) *image.Gray {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if g, ok := m.(*image.Gray); ok {
		return g
	}
	// Convert anything else (e.g. a grey PNG stored as RGB) pixel by pixel.
	b := m.Bounds()
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, gg, bb, _ := m.At(x, y).RGBA()
			if r != gg || gg != bb {
				t.Fatalf("%s: pixel (%d,%d) is not grey", path, x, y)
			}
			g.Pix[(y-b.Min.Y)*g.Stride+(x-b.Min.X)] = uint8(r >> 8)
		}
	}
	return g
}

// readTIFFGray reads the uncompressed 8-bit grey TIFFs of the FVC data sets
// (little- or big-endian, one or more strips). It is a test helper, not a
// TIFF decoder: it refuses anything else.
func readTIFFGray(path string) (*image.Gray, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 8 {
		return nil, errors.New("short TIFF")
	}
	var bo binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return nil, errors.New("not a TIFF")
	}
	ifd := int(bo.Uint32(b[4:]))
	if ifd+2 > len(b) {
		return nil, errors.New("bad IFD offset")
	}
	n := int(bo.Uint16(b[ifd:]))
	tags := map[uint16][]uint32{}
	for i := 0; i < n; i++ {
		e := ifd + 2 + 12*i
		if e+12 > len(b) {
			return nil, errors.New("truncated IFD")
		}
		tag, typ, cnt := bo.Uint16(b[e:]), bo.Uint16(b[e+2:]), int(bo.Uint32(b[e+4:]))
		size := map[uint16]int{3: 2, 4: 4}[typ]
		if size == 0 {
			continue
		}
		at := e + 8
		if size*cnt > 4 {
			at = int(bo.Uint32(b[e+8:]))
		}
		var vals []uint32
		for k := 0; k < cnt; k++ {
			p := at + k*size
			if p+size > len(b) {
				return nil, errors.New("truncated tag")
			}
			if size == 2 {
				vals = append(vals, uint32(bo.Uint16(b[p:])))
			} else {
				vals = append(vals, bo.Uint32(b[p:]))
			}
		}
		tags[tag] = vals
	}
	get := func(tag uint16, def uint32) uint32 {
		if v, ok := tags[tag]; ok && len(v) > 0 {
			return v[0]
		}
		return def
	}
	w, h := int(get(256, 0)), int(get(257, 0))
	if get(258, 1) != 8 || get(259, 1) != 1 || get(277, 1) != 1 {
		return nil, fmt.Errorf("%s: only uncompressed 8-bit grey TIFFs are supported", path)
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	p := img.Pix[:0]
	offs, counts := tags[273], tags[279]
	for i := range offs {
		o, c := int(offs[i]), int(counts[i])
		if o+c > len(b) {
			return nil, errors.New("truncated strip")
		}
		p = append(p, b[o:o+c]...)
	}
	if len(p) < w*h {
		return nil, errors.New("not enough pixel data")
	}
	if get(262, 1) == 0 { // WhiteIsZero
		for i := range img.Pix {
			img.Pix[i] = 255 - img.Pix[i]
		}
	}
	return img, nil
}

// pixelDiff returns the largest and the mean absolute difference of two
// images of the same size.
func pixelDiff(a, b *image.Gray) (maxDiff int, mean float64) {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	sum := 0
	for y := 0; y < h; y++ {
		ra := a.Pix[y*a.Stride : y*a.Stride+w]
		rb := b.Pix[y*b.Stride : y*b.Stride+w]
		for x := range ra {
			d := int(ra[x]) - int(rb[x])
			if d < 0 {
				d = -d
			}
			sum += d
			maxDiff = max(maxDiff, d)
		}
	}
	return maxDiff, float64(sum) / float64(w*h)
}
