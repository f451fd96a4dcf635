package fmr

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Small records with known offsets, for the bad input cases.

var twoMinutiae = []Minutia{{Type: 1, X: 10, Y: 20, Angle: 30, Quality: 40}, {Type: 2, X: 11, Y: 21, Angle: 31, Quality: 41}}

// smallISO2005 is 48 bytes: header 0–23, view header 24–27 (count at 27),
// minutiae 28–39, extended block length 40–41 (= 6), one area 42–47 (type
// 42, length 44, data 46–47).
func smallISO2005(t testing.TB) []byte {
	b := mustEncode(t, &Record{Format: ISO2005, Width: 100, Height: 100, ResolutionX: 197, ResolutionY: 197,
		Views: []View{{Position: 1, Minutiae: twoMinutiae, Extended: []ExtendedData{{Type: 0x0101, Data: []byte("ab")}}}}})
	require.Len(t, b, 48)
	return b
}

// smallANSI378 is 50 bytes: the ISO 2005 layout shifted by 2 (header 0–25,
// view 26–29, minutiae 30–41, extended block 42–49).
func smallANSI378(t testing.TB) []byte {
	b := mustEncode(t, &Record{Format: ANSI378, ProductOwner: 0x33, Width: 100, Height: 100, ResolutionX: 197, ResolutionY: 197,
		Views: []View{{Position: 1, Minutiae: twoMinutiae, Extended: []ExtendedData{{Type: 0x0101, Data: []byte("ab")}}}}})
	require.Len(t, b, 50)
	return b
}

// smallISO2011 is 70 bytes: header 0–14 (count 12, flag 14), one
// representation 15–69 (length 15, quality count 33, one block 34–38,
// certification count 39, one block 40–42, position 43, minutia size 54,
// minutia count 55, minutiae 56–67, extended block length 68–69).
func smallISO2011(t testing.TB) []byte {
	b := mustEncode(t, &Record{Format: ISO2011, HasCertifications: true, Views: []View{{
		CaptureTime: unknownCaptureTime, Qualities: []QualityBlock{{Score: 50}}, Certifications: []CertificationBlock{{1, 2}},
		Position: 1, ResolutionX: 197, ResolutionY: 197, Width: 100, Height: 100, MinutiaSize: 6, Minutiae: twoMinutiae,
	}}})
	require.Len(t, b, 70)
	return b
}

func put16(b []byte, off int, v uint16) []byte {
	b = bytes.Clone(b)
	binary.BigEndian.PutUint16(b[off:], v)
	return b
}

func put32(b []byte, off int, v uint32) []byte {
	b = bytes.Clone(b)
	binary.BigEndian.PutUint32(b[off:], v)
	return b
}

func put8(b []byte, off int, v uint8) []byte {
	b = bytes.Clone(b)
	b[off] = v
	return b
}

// withLen sets the record length field (at 8, 4 bytes for ISO; 2 bytes for
// ANSI) to the data's length, so that a cut or grown record is consistent
// at the top and fails further in.
func withLen(b []byte, ansi bool) []byte {
	if ansi {
		return put16(b, 8, uint16(len(b)))
	}
	return put32(b, 8, uint32(len(b)))
}

func TestDecodeBadInput(t *testing.T) {
	iso := smallISO2005(t)
	ansi := smallANSI378(t)
	iso11 := smallISO2011(t)
	grow := func(b []byte, n int) []byte { return append(bytes.Clone(b), make([]byte, n)...) }

	cases := []struct {
		name   string
		data   []byte
		format Format
		field  string
		offset int
		eof    bool   // wraps io.ErrUnexpectedEOF
		msg    string // part of the message
	}{
		// ISO 2005.
		{"ISO record length too big", put32(iso, 8, 60), ISO2005, "record length", 8, false, "says 60 bytes, the input has 48"},
		{"ISO record length too small", put32(iso, 8, 40), ISO2005, "record length", 8, false, "says 40 bytes, the input has 48"},
		{"ISO truncated record", iso[:30], ISO2005, "record length", 8, false, "says 48 bytes, the input has 30"},
		{"ISO header cut", withLen(iso[:19], false), ISO2005, "x resolution", 18, true, "needs 2 bytes, 1 left"},
		{"ISO view count beyond input", put8(iso, 22, 255), ISO2005, "finger view count", 22, true, "255 views need at least 1530 bytes, 24 left"},
		{"ISO view count too small", put8(iso, 22, 0), ISO2005, "end of record", 24, false, "24 bytes after the last of 0 finger views"},
		{"ISO minutia count beyond input", put8(iso, 27, 200), ISO2005, "finger view 0 minutiae", 28, true, "200 minutiae of 6 bytes need 1200 bytes, 20 left"},
		{"ISO minutiae cut", withLen(iso[:35], false), ISO2005, "finger view 0 minutiae", 28, true, "2 minutiae of 6 bytes need 12 bytes, 7 left"},
		{"ISO extended length missing", withLen(iso[:41], false), ISO2005, "finger view 0 extended data block length", 40, true, "needs 2 bytes, 1 left"},
		{"ISO extended length beyond input", put16(iso, 40, 100), ISO2005, "finger view 0 extended data block length", 40, true, "says 100 bytes, 6 left"},
		{"ISO extended length too small", put16(iso, 40, 2), ISO2005, "finger view 0 extended data area 0 header", 42, false, "needs 4 bytes, 2 left in the extended data block"},
		{"ISO extended length short of areas", put16(iso, 40, 4), ISO2005, "finger view 0 extended data area 0 length", 44, false, "says 6 bytes, 4 left in the extended data block"},
		{"ISO extended area length under 4", put16(iso, 44, 3), ISO2005, "finger view 0 extended data area 0 length", 44, false, "3 is less than the area's own 4-byte header"},
		{"ISO extended area beyond block", put16(iso, 44, 9), ISO2005, "finger view 0 extended data area 0 length", 44, false, "says 9 bytes, 6 left"},
		{"ISO bytes after the views", withLen(grow(iso, 5), false), ISO2005, "end of record", 48, false, "5 bytes after the last of 1 finger views"},
		{"ISO second view missing", put8(iso, 22, 2), ISO2005, "finger view 1 finger position", 48, true, "needs 1 byte, 0 left"},

		// ANSI 378.
		{"ANSI record length too big", put16(ansi, 8, 60), ANSI378, "record length", 8, false, "says 60 bytes, the input has 50"},
		{"ANSI truncated record", ansi[:40], ANSI378, "record length", 8, false, "says 50 bytes, the input has 40"},
		{"ANSI long length lies", append([]byte("FMR\x00 20\x00\x00\x00\x00\x00\x00\x40"), ansi[10:]...), ANSI378, "record length (4-byte form)", 10, false, "says 64 bytes, the input has 54"},
		{"ANSI header cut", withLen(ansi[:21], true), ANSI378, "x resolution", 20, true, "needs 2 bytes, 1 left"},
		{"ANSI minutia count beyond input", put8(ansi, 29, 4), ANSI378, "finger view 0 minutiae", 30, true, "4 minutiae of 6 bytes need 24 bytes, 20 left"},
		{"ANSI extended area beyond block", put16(ansi, 46, 7), ANSI378, "finger view 0 extended data area 0 length", 46, false, "says 7 bytes, 6 left"},

		// ISO 2011.
		{"ISO 2011 record length lies", put32(iso11, 8, 71), ISO2011, "record length", 8, false, "says 71 bytes, the input has 70"},
		{"ISO 2011 representation count beyond input", put16(iso11, 12, 0xFFFF), ISO2011, "representation count", 12, true, "65535 representations need at least 2228190 bytes, 55 left"},
		{"ISO 2011 representation count too small", put16(iso11, 12, 0), ISO2011, "end of record", 15, false, "55 bytes after the last of 0 representations"},
		{"ISO 2011 certification flag", put8(iso11, 14, 2), ISO2011, "certification flag", 14, false, "is 2; only 0 and 1"},
		{"ISO 2011 representation length under minimum", put32(iso11, 15, 20), ISO2011, "representation 0 length", 15, false, "20 is less than the smallest representation (34 bytes)"},
		{"ISO 2011 representation length beyond input", put32(iso11, 15, 56), ISO2011, "representation 0 length", 15, true, "says 56 bytes, 55 left"},
		{"ISO 2011 representation length short of its fields", put32(withLen(grow(iso11, 1), false), 15, 54), ISO2011,
			"representation 0 extended data block length", 68, true, "needs 2 bytes, 1 left before the end of representation 0 (length 54 at byte 15)"},
		{"ISO 2011 representation length past its fields", put32(withLen(grow(iso11, 1), false), 15, 56), ISO2011,
			"representation 0 length", 15, false, "says 56 bytes, but the representation's fields end after 55"},
		{"ISO 2011 quality blocks beyond representation", put8(iso11, 33, 20), ISO2011, "representation 0 quality block count", 33, true, "20 blocks need 100 bytes, 36 left before the end of representation 0"},
		{"ISO 2011 certification blocks beyond representation", put8(iso11, 39, 20), ISO2011, "representation 0 certification block count", 39, true, "20 blocks need 60 bytes, 30 left"},
		{"ISO 2011 minutia size", put8(iso11, 54, 0x70), ISO2011, "representation 0 minutia size", 54, false, "is 7 bytes; only 5 and 6"},
		{"ISO 2011 minutia count beyond representation", put8(iso11, 55, 3), ISO2011, "representation 0 minutiae", 56, true, "3 minutiae of 6 bytes need 18 bytes, 14 left before the end of representation 0"},
		{"ISO 2011 five-byte minutiae leave bytes", put8(iso11, 54, 0x50), ISO2011, "representation 0 extended data block length", 66, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.data)
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, c.format, de.Format, "format")
			assert.Equal(t, c.field, de.Field, "field")
			assert.Equal(t, c.offset, de.Offset, "offset")
			assert.Equal(t, c.eof, errors.Is(err, io.ErrUnexpectedEOF), "wraps io.ErrUnexpectedEOF")
			assert.Contains(t, err.Error(), c.msg)
			t.Log(err)
		})
	}
}

// TestDecodeAllocationIsBoundedByInput feeds small inputs whose counts and
// lengths claim far more than they hold, and checks that decoding allocates
// in proportion to the input, not to the claims.
func TestDecodeAllocationIsBoundedByInput(t *testing.T) {
	iso11 := smallISO2011(t)
	cases := map[string][]byte{
		"ISO 2005 255 views":                put8(smallISO2005(t), 22, 255),
		"ISO 2005 255 minutiae":             put8(smallISO2005(t), 27, 255),
		"ISO 2005 64 KiB extended block":    put16(smallISO2005(t), 40, 0xFFFF),
		"ISO 2011 65535 representations":    put16(iso11, 12, 0xFFFF),
		"ISO 2011 4 GiB representation":     put32(iso11, 15, 0xFFFFFFFF),
		"ISO 2011 255 quality blocks":       put8(iso11, 33, 255),
		"ISO 2011 4 GiB record":             put32(iso11, 8, 0xFFFFFFFF),
		"ANSI 378 4 GiB record (long form)": append([]byte("FMR\x00 20\x00\x00\x00\xFF\xFF\xFF\xFF"), smallANSI378(t)[10:]...),
	}
	for name, data := range cases {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 100 {
			_, err := Decode(data)
			require.Error(t, err, name)
		}
		runtime.ReadMemStats(&after)
		perCall := (after.TotalAlloc - before.TotalAlloc) / 100
		// An error value and its message, plus at most a few times the input.
		assert.Less(t, perCall, uint64(2048+8*len(data)), "%s: %d bytes allocated per decode of %d input bytes", name, perCall, len(data))
	}
}
