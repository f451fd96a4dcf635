package ansinist

import (
	"bytes"
)

// Separators of the tagged records (ASCII information separators).
const (
	fs = 0x1c // ends a record
	gs = 0x1d // ends a field
	rs = 0x1e // separates subfields
	us = 0x1f // separates information items
)

// Transaction is a parsed ANSI/NIST-ITL transaction: its records in file
// order, the Type-1 record first.
type Transaction struct {
	Records []Record
}

// Record is one logical record. Tagged records have Fields; binary records
// (Types 3–8) have Binary. Data is the record's image or signature bytes:
// the binary data after a binary header, or the value of a tagged record's
// x.999 field (nil when there is none).
type Record struct {
	// Type is the record type (1–99).
	Type int
	// IDC is the information designation character that links the record
	// to its entry in the Type-1 CNT field (x.002, or the header byte of a
	// binary record). The Type-1 record has none: -1.
	IDC int
	// Offset and Length locate the record in the input: Length is its LEN.
	Offset, Length int
	// Fields are a tagged record's fields in file order, LEN first.
	Fields []Field
	// Binary is a binary record's fixed header; nil for tagged records.
	Binary *BinaryHeader
	// Data is the image (or signature, or other binary) data.
	Data []byte
}

// Field is one field of a tagged record.
type Field struct {
	// Tag is the field number: 11 for field 14.011.
	Tag int
	// Value is the bytes between the tag's colon and the separator that
	// ends the field, RS and US separators included. For an x.999 field
	// it is the binary data.
	Value []byte
	// Offset is the byte offset of the field's tag in the input.
	Offset int
}

// Field returns the first field of r with the given field number.
func (r *Record) Field(tagNumber int) (Field, bool) {
	for _, f := range r.Fields {
		if f.Tag == tagNumber {
			return f, true
		}
	}
	return Field{}, false
}

// String returns the value as text (for a single-item field, the item).
func (f Field) String() string { return string(f.Value) }

// Subfields splits the value into subfields (on RS) and each subfield into
// information items (on US).
func (f Field) Subfields() [][]string {
	var out [][]string
	for _, sub := range bytes.Split(f.Value, []byte{rs}) {
		items := bytes.Split(sub, []byte{us})
		s := make([]string, len(items))
		for i, it := range items {
			s[i] = string(it)
		}
		out = append(out, s)
	}
	return out
}

// Version returns the Type-1 VER field (1.002), such as "0400" for
// ANSI/NIST-ITL 1-2011, or "" when it is missing.
func (t *Transaction) Version() string {
	if len(t.Records) == 0 {
		return ""
	}
	f, ok := t.Records[0].Field(2)
	if !ok {
		return ""
	}
	return f.String()
}

// cntEntry is one record listed in the Type-1 CNT field.
type cntEntry struct {
	typ, idc int
}

// Read parses a complete transaction. It checks the framing of every record
// and the description of every fingerprint image (see the package
// documentation); it does not decode images. The Transaction refers to
// data, which must not be modified while the Transaction is in use.
func Read(data []byte) (*Transaction, error) {
	if len(data) == 0 {
		return nil, &FormatError{Record: -1, Offset: 0, Msg: "empty input", Err: ErrTruncated}
	}
	first, err := readTagged(data, 0, where{record: 0, typ: 1}, -1)
	if err != nil {
		return nil, err
	}
	entries, err := parseCNT(&first)
	if err != nil {
		return nil, err
	}
	// Each record takes at least a few bytes, so the input bounds how many
	// records can be real, whatever CNT claims.
	capHint := min(len(entries), len(data)/minRecordBytes)
	t := &Transaction{Records: make([]Record, 0, 1+capHint)}
	t.Records = append(t.Records, first)
	off := first.Length
	for i, e := range entries {
		w := where{record: i + 1, typ: e.typ}
		if off >= len(data) {
			return nil, w.truncated(off, "", "CNT (1.003) lists %d records after the Type-1 record, but the input ends after %d", len(entries), i)
		}
		var rec Record
		if isBinaryType(e.typ) {
			rec, err = readBinary(data, off, w, e.idc)
		} else {
			rec, err = readTagged(data, off, w, e.idc)
		}
		if err != nil {
			return nil, err
		}
		t.Records = append(t.Records, rec)
		off += rec.Length
	}
	if off != len(data) {
		return nil, &FormatError{Record: -1, Offset: off, Msg: "bytes after the last record listed in CNT (1.003)"}
	}
	native := t.nativePPI()
	for i := range t.Records {
		if _, ok, err := t.imageAt(i, native); ok && err != nil {
			return nil, err
		}
	}
	return t, nil
}

// minRecordBytes is the smallest a record can be: a Type-7 binary record
// (LEN and IDC).
const minRecordBytes = 5

// isBinaryType reports whether records of the type have a fixed binary
// layout rather than tagged fields.
func isBinaryType(t int) bool { return t >= 3 && t <= 8 }

// parseCNT reads the Type-1 CNT field: a first subfield "1 US n" and then n
// subfields "type US IDC".
func parseCNT(t1 *Record) ([]cntEntry, error) {
	w := where{record: 0, typ: 1}
	f, ok := t1.Field(3)
	if !ok {
		return nil, w.errorf(t1.Offset, "1.003", "the Type-1 record has no CNT field, which lists the records")
	}
	subs := bytes.Split(f.Value, []byte{rs})
	entries := make([]cntEntry, 0, len(subs)-1)
	for i, sub := range subs {
		items := bytes.Split(sub, []byte{us})
		if len(items) != 2 {
			return nil, w.errorf(f.Offset, "1.003", "subfield %d has %d information items, want 2 (record type and IDC)", i+1, len(items))
		}
		typ, ok1 := atoi(items[0], 3)
		idc, ok2 := atoi(items[1], 9)
		if !ok1 || !ok2 {
			return nil, w.errorf(f.Offset, "1.003", "subfield %d %q is not a numeric record type and IDC", i+1, sub)
		}
		if i == 0 {
			if typ != 1 {
				return nil, w.errorf(f.Offset, "1.003", "first subfield names record type %d, want 1", typ)
			}
			if idc != len(subs)-1 {
				return nil, w.errorf(f.Offset, "1.003", "first subfield counts %d other records, but %d are listed", idc, len(subs)-1)
			}
			continue
		}
		if typ < 2 || typ > 99 {
			return nil, w.errorf(f.Offset, "1.003", "subfield %d names record type %d, want 2–99", i+1, typ)
		}
		if isBinaryType(typ) && idc > 255 {
			return nil, w.errorf(f.Offset, "1.003", "subfield %d gives IDC %d to a binary Type-%d record, whose IDC is one byte", i+1, idc, typ)
		}
		entries = append(entries, cntEntry{typ: typ, idc: idc})
	}
	return entries, nil
}

// atoi parses a non-empty run of at most maxDigits ASCII digits.
func atoi(b []byte, maxDigits int) (int, bool) {
	if len(b) == 0 || len(b) > maxDigits {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
