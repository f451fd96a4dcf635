package ansinist

import (
	"bytes"
	"strings"
	"testing"
)

func TestEncodeGivesBackTheInput(t *testing.T) {
	data := synthetic()
	tr, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := tr.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, data) {
		t.Errorf("Encode(Read(x)) differs from x:\n%q\n%q", enc, data)
	}
}

func TestEncodeCanonicalisesShortTags(t *testing.T) {
	short := []byte("1.01:32\x1d1.02:0200\x1d1.03:1\x1f1\x1e2\x1f00\x1c" + "2.01:16\x1d2.02:00\x1c")
	tr, err := Read(short)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := tr.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := concat(tagged(1, "002:0200", "003:1\x1f1\x1e2\x1f00"), tagged(2, "002:00"))
	if !bytes.Equal(enc, want) {
		t.Errorf("got %q\nwant %q", enc, want)
	}
}

// TestEncodeLENDigits checks LEN values whose own digits push the record
// over a power of ten.
func TestEncodeLENDigits(t *testing.T) {
	for n := 80; n < 1100; n++ {
		filler := strings.Repeat("x", n)
		want := concat(tagged(1, "002:0400", "003:"+cnt(), "009:"+filler))
		tr, err := Read(want)
		if err != nil {
			t.Fatalf("filler %d: %v", n, err)
		}
		got, err := tr.Encode()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("filler %d: Encode = %q, %v", n, got, err)
		}
	}
}

func TestEncodeBuildsATransaction(t *testing.T) {
	// A transaction made by hand, as a test or a tool would.
	tr := &Transaction{Records: []Record{
		{Type: 1, IDC: -1, Fields: []Field{
			{Tag: 2, Value: []byte("0400")},
			{Tag: 3, Value: []byte("1\x1f1\x1e4\x1f01")},
		}},
		{Type: 4, IDC: 1, Binary: &BinaryHeader{IMP: 1, FGP: [6]byte{7, 255, 255, 255, 255, 255}, HLL: 2, VLL: 2}, Data: []byte{1, 2, 3, 4}},
	}}
	enc, err := tr.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Read(enc)
	if err != nil {
		t.Fatal(err)
	}
	fps := back.Fingerprints()
	if len(fps) != 1 || fps[0].Positions[0] != 7 || !bytes.Equal(fps[0].Data, []byte{1, 2, 3, 4}) || fps[0].PPI != 500 {
		t.Errorf("fingerprints %+v", fps)
	}
}

func TestEncodeRefuses(t *testing.T) {
	base := func() *Transaction {
		tr, err := Read(synthetic())
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	for _, tc := range []struct {
		name   string
		change func(*Transaction)
		want   string
	}{
		{"no records", func(tr *Transaction) { tr.Records = nil }, "first record must be"},
		{"first not Type-1", func(tr *Transaction) { tr.Records = tr.Records[1:] }, "first record must be"},
		{"record missing from CNT", func(tr *Transaction) { tr.Records = tr.Records[:3] }, "CNT (1.003) lists 5 records"},
		{"type differs from CNT", func(tr *Transaction) { tr.Records[1].Type = 9 }, "record 1 is Type-9"},
		{"IDC differs from CNT", func(tr *Transaction) { tr.Records[2].IDC = 9 }, "record 2 is Type-4 IDC 9"},
		{"tagged IDC field differs", func(tr *Transaction) { tr.Records[1].Fields[1].Value = []byte("05") }, "does not hold the record's IDC 0"},
		{"GS in a text field", func(tr *Transaction) { tr.Records[1].Fields[2].Value = []byte("A\x1dB") }, "field 2.018 contains a GS"},
		{"FS in a text field", func(tr *Transaction) { tr.Records[1].Fields[2].Value = []byte("A\x1cB") }, "field 2.018 contains a GS or FS"},
		{"data field not last", func(tr *Transaction) {
			r := &tr.Records[5]
			r.Fields = append(r.Fields, Field{Tag: 20, Value: []byte("x")})
		}, "data field 10.999 must be the last"},
		{"data field reads as two", func(tr *Transaction) {
			r := &tr.Records[5]
			r.Fields[len(r.Fields)-1].Value = []byte("12\x1d10.999:x")
		}, "read as a text field"},
		{"binary without header", func(tr *Transaction) { tr.Records[2].Binary = nil }, "without a Binary header"},
		{"HLL too big", func(tr *Transaction) { tr.Records[2].Binary.HLL = 70000 }, "do not fit two bytes"},
		{"IDC too big", func(tr *Transaction) {
			tr.Records[2].IDC = 300
			tr.Records[0].Fields[2].Value = []byte(cnt("2:00", "4:300", "14:02", "8:03", "10:04"))
		}, "whose IDC is one byte"},
		{"field number 0", func(tr *Transaction) { tr.Records[1].Fields[2].Tag = 0 }, "field number 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := base()
			tc.change(tr)
			if _, err := tr.Encode(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Encode error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
