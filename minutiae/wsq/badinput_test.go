package wsq

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// part is one piece of a WSQ file: a marker with its segment, and for SOB
// the coded data that follows.
type part struct {
	marker uint16
	body   []byte // the segment without marker and length field (nil for SOI, EOI)
	data   []byte // SOB only: the entropy-coded data up to the next marker
}

// split cuts a well-formed WSQ file into parts.
func split(t testing.TB, file []byte) []part {
	t.Helper()
	var parts []part
	for i := 0; i < len(file); {
		m := uint16(file[i])<<8 | uint16(file[i+1])
		i += 2
		if m == markerSOI || m == markerEOI {
			parts = append(parts, part{marker: m})
			continue
		}
		n := int(file[i])<<8 | int(file[i+1])
		p := part{marker: m, body: file[i+2 : i+n]}
		i += n
		if m == markerSOB {
			j := i
			for !(file[j] == 0xFF && file[j+1] != 0) {
				j++
			}
			p.data, i = file[i:j], j
		}
		parts = append(parts, p)
	}
	return parts
}

// join reassembles parts; a segment's length field is recomputed unless
// lengthDelta shifts it (to forge a lying length).
func join(parts []part, lengthDelta map[int]int) []byte {
	var b []byte
	for i, p := range parts {
		b = append(b, byte(p.marker>>8), byte(p.marker))
		if p.marker == markerSOI || p.marker == markerEOI {
			continue
		}
		n := len(p.body) + 2 + lengthDelta[i]
		b = append(b, byte(n>>8), byte(n))
		b = append(b, p.body...)
		b = append(b, p.data...)
	}
	return b
}

// clone copies parts deeply, so that cases can edit them.
func clone(parts []part) []part {
	c := make([]part, len(parts))
	for i, p := range parts {
		c[i] = part{p.marker, append([]byte(nil), p.body...), append([]byte(nil), p.data...)}
	}
	return c
}

// find returns the index of the n-th (from 0) part with marker m.
func find(parts []part, m uint16, n int) int {
	for i, p := range parts {
		if p.marker == m {
			if n == 0 {
				return i
			}
			n--
		}
	}
	panic(fmt.Sprintf("no %s number %d", markerName(m), n))
}

// offsetOf returns the byte offset of part i in join(parts, nil).
func offsetOf(parts []part, i int) int {
	return len(join(parts[:i], nil))
}

// validFile is a small WSQ file made by Encode: SOI, COM, DTT, DQT, SOF,
// DHT, SOB, DHT, SOB, SOB, EOI.
func validFile(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, syntheticPrint(100, 80, 3), &EncodeOptions{PPI: 500}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Decode(buf.Bytes()); err != nil {
		t.Fatalf("the valid file does not decode: %v", err)
	}
	return buf.Bytes()
}

// setSOF writes width and height into the SOF part.
func setSOF(p []part, width, height int) {
	b := p[find(p, markerSOF, 0)].body
	b[2], b[3], b[4], b[5] = byte(height>>8), byte(height), byte(width>>8), byte(width)
}

func TestBadInput(t *testing.T) {
	valid := validFile(t)
	parts := split(t, valid)
	if !bytes.Equal(join(parts, nil), valid) {
		t.Fatal("split/join does not round-trip")
	}
	iDTT, iDQT, iSOF := find(parts, markerDTT, 0), find(parts, markerDQT, 0), find(parts, markerSOF, 0)
	iDHT, iCOM, iSOB := find(parts, markerDHT, 0), find(parts, markerCOM, 0), find(parts, markerSOB, 0)
	iEOI := find(parts, markerEOI, 0)

	type testCase struct {
		name   string
		data   []byte
		offset int    // expected FormatError.Offset; -1: not checked
		want   string // expected in the message
	}
	edit := func(f func(p []part) []byte) []byte { return f(clone(parts)) }
	cases := []testCase{
		{"empty", nil, 0, "truncated"},
		{"not WSQ (PNG)", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 0, "not a WSQ file"},
		{"JPEG SOI", []byte{0xFF, 0xD8, 0xFF, 0xE0}, 0, "not a WSQ file"},
		{"SOI only", []byte{0xFF, 0xA0}, 2, "truncated"},
		{"truncated in DTT", valid[:offsetOf(parts, iDTT)+20], offsetOf(parts, iDTT) + 2, "DTT"},
		{"truncated in DQT", valid[:offsetOf(parts, iDQT)+100], offsetOf(parts, iDQT) + 2, "DQT"},
		{"truncated in SOF", valid[:offsetOf(parts, iSOF)+9], offsetOf(parts, iSOF) + 2, "SOF"},
		{"truncated in DHT", valid[:offsetOf(parts, iDHT)+10], offsetOf(parts, iDHT) + 2, "DHT"},
		{"truncated in block 1's data", valid[:offsetOf(parts, iSOB)+5+len(parts[iSOB].data)/2], -1, "block 1"},
		{"no EOI", valid[:offsetOf(parts, iEOI)], offsetOf(parts, iEOI), "no EOI"},

		{"COM length past the end", join(parts, map[int]int{iCOM: 0xFFFF - len(parts[iCOM].body) - 2}), offsetOf(parts, iCOM) + 2, "runs past the end"},
		{"COM length 1", edit(func(p []part) []byte {
			b := join(p, nil)
			o := offsetOf(p, iCOM) + 2
			b[o], b[o+1] = 0, 1
			return b
		}), offsetOf(parts, iCOM) + 2, "less than 2"},
		{"SOF length too small", join(parts, map[int]int{iSOF: -1}), -1, "too small"},
		{"SOF length too large", join(parts, map[int]int{iSOF: +1}), -1, "too large"},
		{"DQT length too small", join(parts, map[int]int{iDQT: -6}), -1, "DQT"},
		{"DTT length too large", join(parts, map[int]int{iDTT: +2}), -1, "DTT"},

		{"60000 × 60000 in a small file", edit(func(p []part) []byte { setSOF(p, 60000, 60000); return join(p, nil) }), offsetOf(parts, iSOF), "larger than this decoder's limit"},
		{"12000 × 12000: over MaxPixels", edit(func(p []part) []byte { setSOF(p, 12000, 12000); return join(p, nil) }), offsetOf(parts, iSOF), "more than this decoder's limit"},
		{"4000 × 4000 in a few KB", edit(func(p []part) []byte { setSOF(p, 4000, 4000); return join(p, nil) }), offsetOf(parts, iSOF), "pixels a byte"},
		{"zero width", edit(func(p []part) []byte { setSOF(p, 0, 80); return join(p, nil) }), offsetOf(parts, iSOF), "a side is zero"},
		{"20 × 20: too small for the filters", edit(func(p []part) []byte {
			setSOF(p, 20, 20)
			q := p[iDQT].body
			for k := 0; k < numQSubbands; k++ { // no subband coded ...
				copy(q[3+6*k:], []byte{0, 0, 0, 0, 0, 0})
			}
			for i := range p { // ... and no coded data
				p[i].data = nil
			}
			return join(p, nil)
		}), offsetOf(parts, iSOF), "image too small"},
		{"more coefficients than the image holds", edit(func(p []part) []byte { setSOF(p, 70, 70); return join(p, nil) }), -1, "coded subbands"},

		{"Huffman table over-subscribed", edit(func(p []part) []byte {
			// Move three codes from the longest lengths to length 1: the
			// same number of values, but three 1-bit codes cannot exist.
			counts := p[iDHT].body[1:17]
			for l, move := 15, 3; move > 0; l-- {
				d := min(int(counts[l]), move)
				counts[l] -= byte(d)
				move -= d
			}
			counts[0] += 3
			return join(p, nil)
		}), offsetOf(parts, iDHT) + 4, "not a prefix code"},
		{"Huffman table id 8", edit(func(p []part) []byte { p[iDHT].body[0] = 8; return join(p, nil) }), offsetOf(parts, iDHT) + 4, "ids run from 0 to 7"},
		{"Huffman table with 300 codes", edit(func(p []part) []byte {
			p[iDHT].body[16] = 255 // 255 more codes of length 16 than there are values
			return join(p, nil)
		}), offsetOf(parts, iDHT) + 4, "more than 257"},
		{"Huffman table counts past its segment", edit(func(p []part) []byte {
			p[iDHT].body[16]++ // one more value than the segment holds
			return join(p, nil)
		}), -1, "DHT"},
		{"empty DHT", edit(func(p []part) []byte { p[iDHT].body = nil; return join(p, nil) }), offsetOf(parts, iDHT) + 4, "empty segment"},
		{"block uses an undefined table", edit(func(p []part) []byte { p[iSOB].body[0] = 5; return join(p, nil) }), offsetOf(parts, iSOB) + 4, "Huffman table 5, which is not defined"},
		{"block 1's data all zero bits", edit(func(p []part) []byte {
			for i := range p[iSOB].data {
				p[iSOB].data[i] = 0
			}
			return join(p, nil)
		}), -1, "coded subbands"},

		{"unknown marker in the header", edit(func(p []part) []byte { p[iDTT].marker = 0xFFB0; return join(p, nil) }), offsetOf(parts, iDTT), "unexpected 0xFFB0 marker"},
		{"not a marker", edit(func(p []part) []byte { p[iDTT].marker = 0x1234; return join(p, nil) }), offsetOf(parts, iDTT), "expected a marker"},
		{"EOI right after the frame header", join(append(append([]part(nil), parts[:iSOF+1]...), part{marker: markerEOI}), nil), offsetOf(parts, iSOF+1), "unexpected EOI marker after the frame header"},
		{"SOI in place of a block", edit(func(p []part) []byte {
			b := join(p, nil)
			o := offsetOf(p, find(p, markerSOB, 1))
			b[o+1] = 0xA0
			return b
		}), -1, "unexpected SOI marker"},
		{"no DTT", edit(func(p []part) []byte { p[iDTT].marker = markerCOM; return join(p, nil) }), -1, "no transform table"},
		{"no DQT", edit(func(p []part) []byte { p[iDQT].marker = markerCOM; return join(p, nil) }), -1, "no quantization table"},
		{"one-tap filter", edit(func(p []part) []byte { p[iDTT].body[0] = 1; return join(p, nil) }), offsetOf(parts, iDTT) + 4, "at least 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img, _, err := Decode(c.data)
			if err == nil {
				t.Fatalf("Decode succeeded (%v), want an error", img.Rect)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			t.Logf("%v", err)
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
			if c.offset >= 0 && fe.Offset != c.offset {
				t.Errorf("error at offset %d, want %d", fe.Offset, c.offset)
			}
			if fe.Offset < 0 || fe.Offset > len(c.data) {
				t.Errorf("offset %d outside the %d-byte input", fe.Offset, len(c.data))
			}
		})
	}
}

// TestEveryTruncation decodes every prefix of a valid file: each must fail
// with a *FormatError (the last block's data cannot end without a marker).
func TestEveryTruncation(t *testing.T) {
	valid := validFile(t)
	for n := 0; n < len(valid)-1; n++ {
		_, _, err := Decode(valid[:n])
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("prefix of %d bytes: error %v, want a *FormatError", n, err)
		}
	}
}

// TestTrailingBytes: bytes after EOI are ignored, as NBIS does.
func TestTrailingBytes(t *testing.T) {
	valid := validFile(t)
	want, _, _ := Decode(valid)
	got, _, err := Decode(append(append([]byte(nil), valid...), "trailing junk"...))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Pix, want.Pix) {
		t.Error("trailing bytes changed the pixels")
	}
}

// TestForgedHeaderAllocation checks that a file claiming a huge image is
// refused before anything of the image's size is allocated.
func TestForgedHeaderAllocation(t *testing.T) {
	p := clone(split(t, validFile(t)))
	for _, size := range [][2]int{{60000, 60000}, {12000, 12000}, {4000, 4000}} {
		setSOF(p, size[0], size[1])
		data := join(p, nil)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, _, err := Decode(data)
		_, _, _, cerr := DecodeConfig(data)
		runtime.ReadMemStats(&after)
		if err == nil || cerr == nil {
			t.Fatalf("%d × %d: Decode error %v, DecodeConfig error %v; want both to fail", size[0], size[1], err, cerr)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%d × %d in %d bytes: %d bytes allocated, want < 1 MiB", size[0], size[1], len(data), alloc)
		}
	}
}

func TestNISTPPI(t *testing.T) {
	for text, want := range map[string]int{
		"NIST_COM 2\nPPI 500":                   500,
		"NIST_COM 3\nPIX_WIDTH 10\nPPI\t1000\n": 1000,
		"NIST_COM 2\nPPI  500 dpi":              500,
		"NIST_COM 2\nPPI -1":                    0,
		"NIST_COM 2\nPPI abc":                   0,
		"NIST_COM 2\nPPI 99999999999":           0,
		"NIST_COM 2\nPIX_WIDTH 500":             0,
		"NIST_COM 3\nXPPI 300\nPPI 400":         400,
		"NIST_COM 3\nPPI 300\nPPI 400":          300,
	} {
		if got := parseNISTPPI([]byte(text)); got != want {
			t.Errorf("parseNISTPPI(%q) = %d, want %d", text, got, want)
		}
	}
}

// TestPPIOnlyFromNISTComment: a comment that is not a NISTCOM does not give
// the resolution, and a file without a NISTCOM says 0.
func TestPPIOnlyFromNISTComment(t *testing.T) {
	p := clone(split(t, validFile(t)))
	i := find(p, markerCOM, 0)
	p[i].body = []byte("A comment\nPPI 1000")
	_, ppi, err := Decode(join(p, nil))
	if err != nil {
		t.Fatal(err)
	}
	if ppi != 0 {
		t.Errorf("ppi %d from a plain comment, want 0", ppi)
	}
	_, _, ppi, err = DecodeConfig(join(p, nil))
	if err != nil || ppi != 0 {
		t.Errorf("DecodeConfig: ppi %d, error %v; want 0, nil", ppi, err)
	}
}
