package ansinist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Builders for synthetic transactions. They are written apart from Encode
// so that the tests check Encode rather than trust it.

// tagged builds a tagged record of type typ from fields written "nnn:value"
// (the field number without the record type), computing LEN.
func tagged(typ int, fields ...string) []byte {
	var body bytes.Buffer
	for _, f := range fields {
		num, val, _ := strings.Cut(f, ":")
		n, err := strconv.Atoi(num)
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(&body, "\x1d%d.%03d:%s", typ, n, val)
	}
	body.WriteByte(fs)
	prefix := fmt.Sprintf("%d.001:", typ)
	for d := 1; ; d++ {
		n := len(prefix) + d + body.Len()
		if len(strconv.Itoa(n)) == d {
			return append([]byte(prefix+strconv.Itoa(n)), body.Bytes()...)
		}
	}
}

// binaryImage builds a Type-3/4/5/6 record.
func binaryImage(typ, idc, imp int, fgp []byte, isr, width, height, cga int, data []byte) []byte {
	b := make([]byte, 18, 18+len(data))
	binary.BigEndian.PutUint32(b, uint32(18+len(data)))
	b[4], b[5] = byte(idc), byte(imp)
	copy(b[6:12], []byte{255, 255, 255, 255, 255, 255})
	copy(b[6:12], fgp)
	b[12] = byte(isr)
	binary.BigEndian.PutUint16(b[13:], uint16(width))
	binary.BigEndian.PutUint16(b[15:], uint16(height))
	b[17] = byte(cga)
	return append(b, data...)
}

// signature builds a Type-8 record.
func signature(idc, sig, srt, width, height int, data []byte) []byte {
	b := make([]byte, 12, 12+len(data))
	binary.BigEndian.PutUint32(b, uint32(12+len(data)))
	b[4], b[5], b[6] = byte(idc), byte(sig), byte(srt)
	binary.BigEndian.PutUint16(b[8:], uint16(width))
	binary.BigEndian.PutUint16(b[10:], uint16(height))
	return append(b, data...)
}

// cnt writes a CNT value listing "type:idc" entries.
func cnt(entries ...string) string {
	s := fmt.Sprintf("1\x1f%d", len(entries))
	for _, e := range entries {
		t, idc, _ := strings.Cut(e, ":")
		s += "\x1e" + t + "\x1f" + idc
	}
	return s
}

// type1 builds a Type-1 record with the given CNT entries.
func type1(entries ...string) []byte {
	return tagged(1, "002:0400", "003:"+cnt(entries...), "004:CAR", "005:20240101",
		"007:WHORL", "008:WHORL", "009:T1", "011:19.69", "012:19.69")
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// ramp returns n bytes of a repeating pattern.
func ramp(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// synthetic is a small transaction with one record of most kinds:
// Type-1, 2, 4 (uncompressed 4×3), 14 (uncompressed 5×4, 1000 ppi, a slap
// of two fingers), 8 (signature) and 10 (face).
func synthetic() []byte {
	return concat(
		type1("2:00", "4:01", "14:02", "8:03", "10:04"),
		tagged(2, "002:00", "018:DOE,JOHN"),
		binaryImage(4, 1, 1, []byte{2}, 0, 4, 3, 0, ramp(12)),
		tagged(14, "002:02", "003:0", "004:WHORL", "005:20240101", "006:5", "007:4",
			"008:1", "009:1000", "010:1000", "011:NONE", "012:8", "013:2\x1e3", "999:"+string(ramp(20))),
		signature(3, 0, 0, 2, 2, []byte{1, 2, 3, 4}),
		tagged(10, "002:04", "003:FACE", "999:\xff\xd8\x1d\x1c\x1e\x1f"),
	)
}

// sampleDir returns the folder of the ANSI/NIST sample transactions, or
// skips the test where the shared data is absent (a fresh clone).
func sampleDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data", "samples", "ansi_nist")
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("ANSI/NIST samples not found at %s (../shared/data is absent in a fresh clone): %v", dir, err)
	}
	return dir
}

// sameRecords reports the first difference between two transactions'
// records, ignoring where they sit in their inputs.
func sameRecords(a, b *Transaction) error {
	if len(a.Records) != len(b.Records) {
		return fmt.Errorf("%d records, want %d", len(a.Records), len(b.Records))
	}
	for i := range a.Records {
		x, y := &a.Records[i], &b.Records[i]
		if x.Type != y.Type || x.IDC != y.IDC {
			return fmt.Errorf("record %d: Type-%d IDC %d, want Type-%d IDC %d", i, x.Type, x.IDC, y.Type, y.IDC)
		}
		if (x.Binary == nil) != (y.Binary == nil) || x.Binary != nil && *x.Binary != *y.Binary {
			return fmt.Errorf("record %d: binary header %+v, want %+v", i, x.Binary, y.Binary)
		}
		if !bytes.Equal(x.Data, y.Data) {
			return fmt.Errorf("record %d: %d bytes of data differ from the %d wanted", i, len(x.Data), len(y.Data))
		}
		if len(x.Fields) != len(y.Fields) {
			return fmt.Errorf("record %d: %d fields, want %d", i, len(x.Fields), len(y.Fields))
		}
		for j := range x.Fields {
			if x.Fields[j].Tag != y.Fields[j].Tag {
				return fmt.Errorf("record %d field %d: tag %d, want %d", i, j, x.Fields[j].Tag, y.Fields[j].Tag)
			}
			// LEN is recomputed by Encode; its value may legitimately differ.
			if x.Fields[j].Tag != 1 && !bytes.Equal(x.Fields[j].Value, y.Fields[j].Value) {
				return fmt.Errorf("record %d field %s: value differs", i, tag(x.Type, x.Fields[j].Tag))
			}
		}
	}
	return nil
}
