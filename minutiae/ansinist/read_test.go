package ansinist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/whorlafis/whorl/minutiae"
)

func TestReadSynthetic(t *testing.T) {
	data := synthetic()
	tr, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	var types, idcs []int
	for _, r := range tr.Records {
		types = append(types, r.Type)
		idcs = append(idcs, r.IDC)
	}
	if want := []int{1, 2, 4, 14, 8, 10}; !slices.Equal(types, want) {
		t.Errorf("record types %v, want %v", types, want)
	}
	if want := []int{-1, 0, 1, 2, 3, 4}; !slices.Equal(idcs, want) {
		t.Errorf("IDCs %v, want %v", idcs, want)
	}
	if v := tr.Version(); v != "0400" {
		t.Errorf("Version() = %q, want 0400", v)
	}
	// The records tile the input.
	off := 0
	for i, r := range tr.Records {
		if r.Offset != off {
			t.Errorf("record %d at byte %d, want %d", i, r.Offset, off)
		}
		off += r.Length
	}
	if off != len(data) {
		t.Errorf("records cover %d bytes of %d", off, len(data))
	}

	name, ok := tr.Records[1].Field(18)
	if !ok || name.String() != "DOE,JOHN" {
		t.Errorf("field 2.018 = %q, %v; want DOE,JOHN", name.String(), ok)
	}
	cntField, _ := tr.Records[0].Field(3)
	if got := cntField.Subfields(); len(got) != 6 || !slices.Equal(got[3], []string{"14", "02"}) {
		t.Errorf("CNT subfields %q", got)
	}
	if r := tr.Records[2]; r.Binary == nil || r.Binary.HLL != 4 || r.Binary.VLL != 3 || r.Binary.IMP != 1 || r.Binary.FGP[0] != 2 || r.Binary.FGP[1] != 255 {
		t.Errorf("Type-4 header %+v", r.Binary)
	}
	if r := tr.Records[4]; r.Binary == nil || r.Binary.HLL != 2 || !bytes.Equal(r.Data, []byte{1, 2, 3, 4}) {
		t.Errorf("Type-8 header %+v data % x", r.Binary, r.Data)
	}
	if r := tr.Records[5]; !bytes.Equal(r.Data, []byte("\xff\xd8\x1d\x1c\x1e\x1f")) {
		t.Errorf("Type-10 data % x: binary data must run to the record's end, separators and all", r.Data)
	}

	fps := tr.Fingerprints()
	if len(fps) != 2 {
		t.Fatalf("%d fingerprints, want 2", len(fps))
	}
	f4, f14 := fps[0], fps[1]
	if f4.Record != 2 || f4.RecordType != 4 || f4.IDC != 1 || !slices.Equal(f4.Positions, []minutiae.FingerPosition{minutiae.RightIndex}) ||
		f4.Impression != minutiae.LiveRolled || f4.Width != 4 || f4.Height != 3 || f4.PPI != 500 ||
		f4.Compression != CompressionNone || f4.BitsPerPixel != 8 || !bytes.Equal(f4.Data, ramp(12)) {
		t.Errorf("Type-4 fingerprint %+v", f4)
	}
	if f14.Record != 3 || f14.RecordType != 14 || f14.IDC != 2 ||
		!slices.Equal(f14.Positions, []minutiae.FingerPosition{minutiae.RightIndex, minutiae.RightMiddle}) ||
		f14.Impression != minutiae.LivePlain || f14.Width != 5 || f14.Height != 4 || f14.PPI != 1000 ||
		f14.Compression != CompressionNone || f14.BitsPerPixel != 8 || !bytes.Equal(f14.Data, ramp(20)) {
		t.Errorf("Type-14 fingerprint %+v", f14)
	}
	if p := tr.Palmprints(); len(p) != 0 {
		t.Errorf("%d palmprints, want none", len(p))
	}
}

func TestReadShortTags(t *testing.T) {
	// Files of the 1990s write "1.03:" for 1.003; the field number is the
	// same.
	data := []byte("1.01:32\x1d1.02:0200\x1d1.03:1\x1f1\x1e2\x1f00\x1c" + "2.01:16\x1d2.02:00\x1c")
	tr, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := tr.Records[0].Field(3); !ok || f.Tag != 3 {
		t.Errorf("CNT not found under field number 3")
	}
	if len(tr.Records) != 2 || tr.Records[1].Type != 2 {
		t.Errorf("records %+v", tr.Records)
	}
}

func TestReadTextPlaceholderBeforeData(t *testing.T) {
	// NIST's test files put "13.999:38423 GS" before the real data field.
	jpeg := "\xff\xd8\xff\xe0JFIF\x1d\x1cdata"
	data := concat(type1("13:01"),
		tagged(13, "002:01", "003:4", "006:2", "007:2", "008:1", "009:1000", "010:1000",
			"011:JPEGB", "012:8", "013:0", "999:38423", "999:"+jpeg))
	tr, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	r := tr.Records[1]
	if n := len(r.Fields); n != 13 {
		t.Fatalf("%d fields, want 13", n)
	}
	if got := r.Fields[11]; got.Tag != 999 || got.String() != "38423" {
		t.Errorf("first 13.999 = %q, want the text 38423", got.String())
	}
	if string(r.Data) != jpeg {
		t.Errorf("Data = %q, want the last 13.999 field", r.Data)
	}
	fps := tr.Fingerprints()
	if len(fps) != 1 || string(fps[0].Data) != jpeg || fps[0].Impression != minutiae.Latent || fps[0].Compression != CompressionJPEG {
		t.Errorf("fingerprints %+v", fps)
	}
}

func TestResolution(t *testing.T) {
	for _, tc := range []struct {
		name string
		nsr  string
		typ  int
		isr  int
		want float64
	}{
		{"Type-4 at the minimum resolution", "19.69", 4, 0, 500},
		{"Type-4 at native 39.37 ppmm", "39.37", 4, 1, 1000},
		{"Type-4 at native 20 ppmm", "20.00", 4, 1, 508},
		{"Type-4 native but NSR missing", "", 4, 1, 0},
		{"Type-4 native but NSR junk", "abc", 4, 1, 0},
		{"low-resolution Type-3 minimum", "19.69", 3, 0, 250},
		{"low-resolution Type-3 native", "19.69", 3, 1, 250},
		{"Type-6 minimum", "19.69", 6, 0, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fields := []string{"002:0400", "003:" + cnt(strconv.Itoa(tc.typ)+":01")}
			if tc.nsr != "" {
				fields = append(fields, "011:"+tc.nsr)
			}
			bpp := 8
			if tc.typ == 5 || tc.typ == 6 {
				bpp = 1
			}
			data := concat(tagged(1, fields...), binaryImage(tc.typ, 1, 0, []byte{1}, tc.isr, 8, 2, 0, ramp(rowBytes(8, bpp)*2)))
			tr, err := Read(data)
			if err != nil {
				t.Fatal(err)
			}
			if got := tr.Fingerprints()[0].PPI; got != tc.want {
				t.Errorf("PPI = %v, want %v", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		slc, hps, vps string
		want          float64
	}{
		{"1", "500", "500", 500},
		{"2", "200", "200", 508},
		{"0", "1", "1", 0},
		{"1", "00", "00", 0},
	} {
		data := concat(type1("14:01"), tagged(14, "002:01", "003:1", "006:1", "007:1", "008:"+tc.slc,
			"009:"+tc.hps, "010:"+tc.vps, "011:WSQ20", "012:8", "013:1", "999:x"))
		tr, err := Read(data)
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.Fingerprints()[0].PPI; got != tc.want {
			t.Errorf("SLC %s HPS %s: PPI = %v, want %v", tc.slc, tc.hps, got, tc.want)
		}
	}
}

func TestCompressionCodes(t *testing.T) {
	for code, want := range map[byte]Compression{0: CompressionNone, 1: CompressionWSQ, 2: CompressionJPEG,
		3: CompressionJPEGLossless, 4: CompressionJPEG2000, 5: CompressionJPEG2000Lossless, 6: CompressionPNG, 7: CompressionUnknown, 255: CompressionUnknown} {
		if got := grayCompression(code); got != want {
			t.Errorf("GCA %d = %v, want %v", code, got, want)
		}
	}
	for label, want := range map[string]Compression{"NONE": CompressionNone, "WSQ20": CompressionWSQ, "WSQ": CompressionWSQ,
		"JPEGB": CompressionJPEG, "JPEGL": CompressionJPEGLossless, "JP2": CompressionJPEG2000, "JP2L": CompressionJPEG2000Lossless,
		"PNG": CompressionPNG, "png": CompressionPNG, "XYZ": CompressionUnknown, "": CompressionUnknown} {
		if got := taggedCompression(label); got != want {
			t.Errorf("CGA %q = %v, want %v", label, got, want)
		}
	}
	if binaryCompression(1) != CompressionFacsimile || binaryCompression(0) != CompressionNone {
		t.Error("binary compression codes")
	}
	if CompressionWSQ.String() != "WSQ20" || Compression(99).String() != "Compression(99)" {
		t.Error("Compression.String")
	}
}

// badCase is an input Read must refuse, and what the error must say.
type badCase struct {
	name      string
	data      []byte
	record    int    // FormatError.Record
	field     string // FormatError.Field
	contains  string // in the message
	truncated bool   // errors.Is(err, ErrTruncated)
}

func TestReadBadInput(t *testing.T) {
	t1 := type1("2:00", "4:01")
	t2 := tagged(2, "002:00")
	t4 := binaryImage(4, 1, 1, []byte{2}, 0, 4, 3, 0, ramp(12))
	good := concat(t1, t2, t4)
	with := func(b []byte, at int, v ...byte) []byte {
		c := bytes.Clone(b)
		copy(c[at:], v)
		return c
	}
	be32 := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	t14 := func(fields ...string) []byte {
		base := map[string]string{"002": "01", "003": "1", "006": "5", "007": "4", "008": "1", "009": "500",
			"010": "500", "011": "NONE", "012": "8", "013": "2", "999": string(ramp(20))}
		for _, f := range fields {
			k, v, _ := strings.Cut(f, ":")
			base[k] = v
		}
		var list []string
		for _, k := range []string{"002", "003", "006", "007", "008", "009", "010", "011", "012", "013", "999"} {
			if v, ok := base[k]; ok && v != "-" {
				list = append(list, k+":"+v)
			}
		}
		return concat(type1("14:01"), tagged(14, list...))
	}

	cases := []badCase{
		{name: "empty", data: nil, record: -1, contains: "empty input", truncated: true},
		{name: "not a transaction", data: []byte("hello, world"), record: 0, contains: "expected a field tag"},
		{name: "first record not Type-1", data: t2, record: 0, field: "2.001", contains: "Type-2 field"},
		{name: "first field not LEN", data: []byte("1.002:0400\x1d1.001:20\x1c"), record: 0, field: "1.002", contains: "want the LEN field"},
		{name: "LEN not numeric", data: []byte("1.001:abc\x1d1.002:0400\x1c"), record: 0, field: "1.001", contains: "not a number"},
		{name: "LEN larger than the data", data: concat([]byte("1.001:999"), t1[9:]), record: 0, field: "1.001", contains: "LEN is 999 bytes, but only", truncated: true},
		{name: "LEN shorter than itself", data: with(t1, 6, '0', '0', '5'), record: 0, field: "1.001", contains: "shorter than the LEN field"},
		{name: "LEN short, record not ended", data: with(good, 6, '0', '9', '9'), record: 0, contains: "does not end with the FS"},
		{name: "input ends inside LEN", data: []byte("1.001:12"), record: 0, field: "1.001", contains: "ends inside the LEN", truncated: true},
		{name: "input ends inside a tag", data: []byte("1.00"), record: 0, contains: "ends inside a field tag", truncated: true},
		{name: "missing GS between fields", data: bytes.Replace(good, []byte("\x1d1.002"), []byte("1.002"), 1), record: 0},
		{name: "FS inside the record", data: bytes.Replace(good, []byte("\x1d1.004"), []byte("\x1c1.004"), 1), record: 0, field: "1.003", contains: "FS separator"},
		{name: "field of another type", data: bytes.Replace(good, []byte("1.004:"), []byte("2.004:"), 1), record: 0, field: "2.004", contains: "inside a Type-1 record"},
		{name: "LEN repeated", data: concat(tagged(1, "002:0400", "001:5", "003:"+cnt()), nil), record: 0, field: "1.001", contains: "repeated"},
		{name: "field number 0", data: concat(tagged(1, "002:0400", "000:x", "003:"+cnt())), record: 0, field: "1.000", contains: "not defined"},
		{name: "tag with letters", data: bytes.Replace(good, []byte("1.004:"), []byte("1.0x4:"), 1), record: 0, contains: "expected a field tag"},
		{name: "no CNT", data: tagged(1, "002:0400"), record: 0, field: "1.003", contains: "no CNT"},
		{name: "CNT count wrong", data: concat(tagged(1, "002:0400", "003:1\x1f5\x1e2\x1f00"), t2), record: 0, field: "1.003", contains: "counts 5 other records, but 1"},
		{name: "CNT not numeric", data: concat(tagged(1, "002:0400", "003:1\x1f1\x1eX\x1f00"), t2), record: 0, field: "1.003", contains: "not a numeric"},
		{name: "CNT item missing", data: concat(tagged(1, "002:0400", "003:1\x1f1\x1e2"), t2), record: 0, field: "1.003", contains: "want 2"},
		{name: "CNT type out of range", data: concat(tagged(1, "002:0400", "003:1\x1f1\x1e100\x1f00"), t2), record: 0, field: "1.003", contains: "want 2–99"},
		{name: "CNT lists Type-1 again", data: concat(tagged(1, "002:0400", "003:1\x1f1\x1e1\x1f00"), t2), record: 0, field: "1.003", contains: "want 2–99"},
		{name: "CNT lists a missing record", data: concat(t1, t2), record: 2, contains: "input ends after 1", truncated: true},
		{name: "CNT lists fewer records", data: concat(type1("2:00"), t2, t4), record: -1, contains: "bytes after the last record"},
		{name: "trailing bytes", data: concat(good, []byte("\n")), record: -1, contains: "bytes after the last record"},
		{name: "record type differs from CNT", data: concat(type1("9:00"), t2), record: 1, field: "2.001", contains: "CNT (1.003) lists a Type-9"},
		{name: "tagged IDC differs from CNT", data: concat(type1("2:07"), t2), record: 1, field: "2.002", contains: "IDC is 0, but CNT (1.003) lists IDC 7"},
		{name: "tagged IDC missing", data: concat(type1("2:00"), tagged(2, "018:X")), record: 1, field: "2.002", contains: "no IDC"},
		{name: "binary IDC differs from CNT", data: concat(type1("2:00", "4:02"), t2, t4), record: 2, field: "IDC", contains: "IDC is 1, but CNT"},
		{name: "binary IDC too big in CNT", data: concat(type1("2:00", "4:300"), t2, t4), record: 0, field: "1.003", contains: "one byte"},
		{name: "binary LEN cut", data: concat(t1, t2, t4[:3]), record: 2, field: "LEN", contains: "4-byte LEN", truncated: true},
		{name: "binary LEN larger than data", data: concat(t1, t2, be32(1<<31), t4[4:]), record: 2, field: "LEN", contains: "only 30 remain", truncated: true},
		{name: "binary LEN smaller than header", data: concat(t1, t2, be32(10), t4[4:]), record: 2, field: "LEN", contains: "smaller than the 18-byte Type-4 header"},
		{name: "binary LEN short leaves junk", data: concat(t1, t2, be32(20), t4[4:]), record: -1, contains: "bytes after the last record"},
		{name: "Type-4 size does not match data", data: concat(t1, t2, binaryImage(4, 1, 1, []byte{2}, 0, 5, 3, 0, ramp(12))), record: 2, contains: "needs 15 bytes of data, the record holds 12"},
		{name: "Type-4 width 0", data: concat(t1, t2, binaryImage(4, 1, 1, []byte{2}, 0, 0, 3, 1, ramp(12))), record: 2, field: "HLL/VLL", contains: "outside 1..16000"},
		{name: "Type-4 absurd size", data: concat(t1, t2, binaryImage(4, 1, 1, []byte{2}, 0, 60000, 60000, 1, ramp(12))), record: 2, field: "HLL/VLL", contains: "60000×60000"},
		{name: "Type-4 too many pixels", data: concat(t1, t2, binaryImage(4, 1, 1, []byte{2}, 0, 16000, 16000, 1, ramp(12))), record: 2, field: "HLL/VLL", contains: "more than"},
		{name: "Type-4 ISR not a flag", data: concat(t1, t2, binaryImage(4, 1, 1, []byte{2}, 7, 4, 3, 0, ramp(12))), record: 2, field: "ISR", contains: "ISR is 7"},
		{name: "Type-14 HLL not numeric", data: t14("006:abc"), record: 1, field: "14.006", contains: "HLL \"abc\" is not a number"},
		{name: "Type-14 HLL absurd", data: t14("006:70000"), record: 1, field: "14.006/14.007", contains: "70000×4"},
		{name: "Type-14 VLL too many digits", data: t14("007:1234567890"), record: 1, field: "14.007", contains: "not a number"},
		{name: "Type-14 BPX missing", data: t14("012:-"), record: 1, field: "14.012", contains: "mandatory BPX"},
		{name: "Type-14 BPX 0", data: t14("012:0"), record: 1, field: "14.012", contains: "1..48"},
		{name: "Type-14 SLC 3", data: t14("008:3"), record: 1, field: "14.008", contains: "SLC"},
		{name: "Type-14 IMP too big", data: t14("003:256"), record: 1, field: "14.003", contains: "IMP"},
		{name: "Type-14 FGP not numeric", data: t14("013:2\x1eRT"), record: 1, field: "14.013", contains: "position \"RT\""},
		{name: "Type-14 no image data", data: t14("999:-"), record: 1, field: "14.999", contains: "image data"},
		{name: "Type-14 data length mismatch", data: t14("999:" + string(ramp(19))), record: 1, field: "14.999", contains: "needs 20 bytes of data, the record holds 19"},
		{name: "Type-14 16-bit data mismatch", data: t14("012:16"), record: 1, field: "14.999", contains: "needs 40 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkBad(t, tc)
		})
	}
}

func checkBad(t *testing.T, tc badCase) {
	t.Helper()
	tr, err := Read(tc.data)
	if err == nil {
		t.Fatalf("Read accepted it: %d records", len(tr.Records))
	}
	if !errors.Is(err, ErrFormat) {
		t.Errorf("error %v does not match ErrFormat", err)
	}
	if got := errors.Is(err, ErrTruncated); got != tc.truncated {
		t.Errorf("errors.Is(err, ErrTruncated) = %v, want %v (%v)", got, tc.truncated, err)
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %T is not a *FormatError", err)
	}
	if fe.Record != tc.record {
		t.Errorf("Record = %d, want %d (%v)", fe.Record, tc.record, err)
	}
	if tc.field != "" && fe.Field != tc.field {
		t.Errorf("Field = %q, want %q (%v)", fe.Field, tc.field, err)
	}
	if !strings.Contains(err.Error(), tc.contains) {
		t.Errorf("error %q does not say %q", err, tc.contains)
	}
	if fe.Offset < 0 || fe.Offset > len(tc.data) {
		t.Errorf("Offset %d outside the %d-byte input", fe.Offset, len(tc.data))
	}
	if !strings.Contains(err.Error(), "byte ") {
		t.Errorf("error %q does not give a byte offset", err)
	}
}

// TestReadEveryTruncation cuts a valid transaction at every length: each
// prefix must be refused with a format error, never accepted or panicking.
func TestReadEveryTruncation(t *testing.T) {
	data := synthetic()
	for n := 0; n < len(data); n++ {
		if _, err := Read(data[:n]); err == nil || !errors.Is(err, ErrFormat) {
			t.Fatalf("prefix of %d bytes: err = %v, want a format error", n, err)
		}
	}
}

// TestReadEveryByteFlip changes each byte of a valid transaction: Read may
// accept or refuse the result but must not panic, and what it accepts must
// tile the input.
func TestReadEveryByteFlip(t *testing.T) {
	data := synthetic()
	for i := range data {
		for _, v := range []byte{0x00, 0xff, fs, gs, rs, us, '9', ':'} {
			c := bytes.Clone(data)
			c[i] = v
			checkInvariants(t, c)
		}
	}
}
