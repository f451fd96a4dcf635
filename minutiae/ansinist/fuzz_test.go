package ansinist

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds Read arbitrary bytes, seeded with the NIST sample
// transactions (when the shared data is present) and synthetic ones.
func FuzzRead(f *testing.F) {
	f.Add(synthetic())
	f.Add([]byte("1.01:32\x1d1.02:0200\x1d1.03:1\x1f1\x1e2\x1f00\x1c" + "2.01:16\x1d2.02:00\x1c"))
	f.Add(concat(type1("13:01"), tagged(13, "002:01", "003:4", "006:2", "007:2", "008:1", "009:1000", "010:1000",
		"011:JPEGB", "012:8", "013:0", "999:38423", "999:\xff\xd8\xff\xe0JFIF")))
	f.Add(concat(type1("3:01", "5:02", "6:03", "7:04"),
		binaryImage(3, 1, 1, []byte{1}, 1, 2, 2, 0, ramp(4)),
		binaryImage(5, 2, 1, []byte{2}, 0, 8, 2, 0, ramp(2)),
		binaryImage(6, 3, 1, []byte{3}, 0, 8, 2, 1, ramp(9)),
		[]byte{0, 0, 0, 7, 4, 'x', 'y'}))
	f.Add(concat(type1("15:01"), tagged(15, "002:01", "003:10", "006:2", "007:1", "008:2", "009:197", "010:197",
		"011:PNG", "012:8", "013:22", "999:\x89PNG")))
	// The NIST samples, where the shared data is present. The large ones
	// (up to 2.4 MB) are added with their image data cut short: the
	// structure is what the fuzzer should mutate, and a megabyte input
	// costs a thousand small ones.
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "data", "samples", "ansi_nist", "*.an2"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 64<<10 {
			b = shrink(f, b, 1<<10)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkInvariants(t, data)
	})
}

// shrink cuts the binary data of every record of a transaction to at most
// max bytes, adjusting the size of uncompressed grey images to match.
func shrink(tb testing.TB, data []byte, max int) []byte {
	tr, err := Read(data)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range tr.Records {
		r := &tr.Records[i]
		if r.Binary != nil {
			if len(r.Data) > max {
				r.Data = r.Data[:max]
				if (r.Type == 3 || r.Type == 4) && r.Binary.CGA == 0 {
					r.Binary.HLL, r.Binary.VLL = max, 1
				}
			}
			continue
		}
		last := &r.Fields[len(r.Fields)-1]
		if last.Tag == 999 && hasBinaryData(r.Type) && len(last.Value) > max {
			last.Value = last.Value[:max]
			if cga, _ := r.Field(11); r.Type >= 13 && r.Type <= 15 && taggedCompression(cga.String()) == CompressionNone {
				tb.Fatalf("shrink: uncompressed Type-%d record not handled", r.Type)
			}
		}
	}
	out, err := tr.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// checkInvariants reads data and checks what must hold whatever it is: a
// refusal is a well-formed FormatError; an accepted transaction tiles the
// input, its images are within the limits, and it encodes to bytes that
// read back to the same records.
func checkInvariants(t testing.TB, data []byte) {
	t.Helper()
	tr, err := Read(data)
	if err != nil {
		var fe *FormatError
		if !errors.Is(err, ErrFormat) || !errors.As(err, &fe) {
			t.Fatalf("error %v (%T) is not a *FormatError matching ErrFormat", err, err)
		}
		if fe.Offset < 0 || fe.Offset > len(data) {
			t.Fatalf("error offset %d outside the %d-byte input: %v", fe.Offset, len(data), err)
		}
		return
	}
	if len(tr.Records) == 0 || tr.Records[0].Type != 1 {
		t.Fatalf("accepted a transaction that does not start with a Type-1 record")
	}
	off := 0
	for i, r := range tr.Records {
		if r.Offset != off || r.Length <= 0 || len(r.Data) > r.Length {
			t.Fatalf("record %d at %d (+%d), data %d bytes; want it at %d", i, r.Offset, r.Length, len(r.Data), off)
		}
		off += r.Length
	}
	if off != len(data) {
		t.Fatalf("records cover %d of %d bytes", off, len(data))
	}
	for _, fp := range append(tr.Fingerprints(), tr.Palmprints()...) {
		if fp.Width < 1 || fp.Height < 1 || fp.Width > MaxImageSide || fp.Height > MaxImageSide || fp.Width*fp.Height > MaxImagePixels {
			t.Fatalf("fingerprint of %d×%d accepted", fp.Width, fp.Height)
		}
		if len(fp.Data) > len(data) || fp.PPI < 0 || fp.BitsPerPixel < 1 {
			t.Fatalf("fingerprint %+v", fp)
		}
	}
	enc, err := tr.Encode()
	if err != nil {
		t.Fatalf("Encode of an accepted transaction: %v", err)
	}
	back, err := Read(enc)
	if err != nil {
		t.Fatalf("Read of the encoded transaction: %v", err)
	}
	if err := sameRecords(back, tr); err != nil {
		t.Fatalf("encoded transaction reads back different: %v", err)
	}
	if len(enc) == len(data) && !bytes.Equal(enc, data) && canonicalTags(tr, data) {
		t.Fatalf("canonical transaction did not encode to its own bytes")
	}
}

// canonicalTags reports whether every tag in data is written "t.nnn:" with
// exactly three field digits and no leading zero in the type, so that
// Encode must reproduce data byte for byte.
func canonicalTags(tr *Transaction, data []byte) bool {
	for _, r := range tr.Records {
		for _, f := range r.Fields {
			want := []byte(tag(r.Type, f.Tag) + ":")
			if !bytes.HasPrefix(data[f.Offset:], want) {
				return false
			}
			if f.Tag == 1 && len(f.Value) > 0 && f.Value[0] == '0' {
				return false // a LEN written with leading zeros
			}
		}
	}
	return true
}
