package ansinist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
)

// Encode writes the transaction in the binary (traditional) encoding.
//
// Tagged records are written from their Fields, in order, with tags in the
// three-digit form "t.nnn:" and the LEN field computed; any LEN in Fields
// is ignored and Data is ignored (the x.999 field holds the data). Binary
// records are written from Type, IDC, Binary and Data, LEN computed. So a
// transaction read from bytes that use three-digit tags encodes to the same
// bytes; one with shorter tags ("1.03:") encodes to the equivalent
// canonical form.
//
// Encode refuses what it could not write so that Read reads it back: a
// first record that is not Type-1, a CNT field (1.003) that does not list
// exactly the other records with their types and IDCs, a text value that
// contains a GS or FS separator, an x.999 data field that is not the last
// field of its record, and binary header values or lengths that do not fit
// their bytes.
func (t *Transaction) Encode() ([]byte, error) {
	if len(t.Records) == 0 || t.Records[0].Type != 1 || t.Records[0].Binary != nil {
		return nil, fmt.Errorf("ansinist: encode: the first record must be a tagged Type-1 record")
	}
	if err := t.checkCNT(); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	for i := range t.Records {
		r := &t.Records[i]
		var err error
		if isBinaryType(r.Type) {
			err = encodeBinary(&out, r, i)
		} else {
			err = encodeTagged(&out, r, i)
		}
		if err != nil {
			return nil, err
		}
	}
	return out.Bytes(), nil
}

// checkCNT checks that the Type-1 CNT field lists the other records.
func (t *Transaction) checkCNT() error {
	entries, err := parseCNT(&t.Records[0])
	if err != nil {
		// The offset of a parse error means nothing here: say only what.
		return fmt.Errorf("ansinist: encode: field 1.003 (CNT): %s", err.(*FormatError).Msg)
	}
	if len(entries) != len(t.Records)-1 {
		return fmt.Errorf("ansinist: encode: CNT (1.003) lists %d records after the Type-1 record, the transaction has %d", len(entries), len(t.Records)-1)
	}
	for i, e := range entries {
		r := &t.Records[i+1]
		if r.Type != e.typ || r.IDC != e.idc {
			return fmt.Errorf("ansinist: encode: record %d is Type-%d IDC %d, CNT (1.003) lists Type-%d IDC %d", i+1, r.Type, r.IDC, e.typ, e.idc)
		}
	}
	return nil
}

func encodeTagged(out *bytes.Buffer, r *Record, index int) error {
	if r.Type < 1 || r.Type > 99 {
		return fmt.Errorf("ansinist: encode: record %d: record type %d outside 1..99", index, r.Type)
	}
	if index > 0 {
		f, ok := r.Field(2)
		if idc, isNum := atoi(f.Value, 9); !ok || !isNum || idc != r.IDC {
			return fmt.Errorf("ansinist: encode: record %d (Type-%d): IDC field %s does not hold the record's IDC %d", index, r.Type, tag(r.Type, 2), r.IDC)
		}
	}
	fields := make([]Field, 0, len(r.Fields))
	for _, f := range r.Fields {
		if f.Tag != 1 { // LEN is computed below
			fields = append(fields, f)
		}
	}
	var body bytes.Buffer // every field after LEN, each preceded by GS
	for i, f := range fields {
		if f.Tag < 1 || f.Tag > 999_999_999 {
			return fmt.Errorf("ansinist: encode: record %d (Type-%d): field number %d outside 1..999999999", index, r.Type, f.Tag)
		}
		dataField := f.Tag == 999 && hasBinaryData(r.Type)
		last := i == len(fields)-1
		// Only the last field may hold separators: Read takes the x.999
		// field of an image record to run to the record's end. An x.999
		// before it is read back as text only when another x.999 follows
		// at once (see isTextPlaceholder).
		if dataField && !last && fields[i+1].Tag != 999 {
			return fmt.Errorf("ansinist: encode: record %d (Type-%d): data field %s must be the last field", index, r.Type, tag(r.Type, 999))
		}
		if dataField && last && isTextPlaceholder(f.Value, 0, r.Type) {
			return fmt.Errorf("ansinist: encode: record %d (Type-%d): data field %s starts with bytes that read as a text field and another %s tag", index, r.Type, tag(r.Type, 999), tag(r.Type, 999))
		}
		if !(dataField && last) && bytes.ContainsAny(f.Value, "\x1c\x1d") {
			return fmt.Errorf("ansinist: encode: record %d (Type-%d): field %s contains a GS or FS separator", index, r.Type, tag(r.Type, f.Tag))
		}
		body.WriteByte(gs)
		fmt.Fprintf(&body, "%d.%03d:", r.Type, f.Tag)
		body.Write(f.Value)
	}
	body.WriteByte(fs)
	// LEN counts its own digits: find the digit count d for which the
	// total has d digits.
	prefix := fmt.Sprintf("%d.%03d:", r.Type, 1)
	n := 0
	for d := 1; ; d++ {
		n = len(prefix) + d + body.Len()
		if len(strconv.Itoa(n)) == d {
			break
		}
	}
	out.WriteString(prefix)
	out.WriteString(strconv.Itoa(n))
	out.Write(body.Bytes())
	return nil
}

func encodeBinary(out *bytes.Buffer, r *Record, index int) error {
	h := r.Binary
	if h == nil {
		return fmt.Errorf("ansinist: encode: record %d (Type-%d): binary record without a Binary header", index, r.Type)
	}
	if r.IDC < 0 || r.IDC > 255 {
		return fmt.Errorf("ansinist: encode: record %d (Type-%d): IDC %d does not fit one byte", index, r.Type, r.IDC)
	}
	if h.HLL < 0 || h.HLL > 0xFFFF || h.VLL < 0 || h.VLL > 0xFFFF {
		return fmt.Errorf("ansinist: encode: record %d (Type-%d): HLL/VLL %d×%d do not fit two bytes", index, r.Type, h.HLL, h.VLL)
	}
	n := uint64(binaryHeaderBytes(r.Type)) + uint64(len(r.Data))
	if n > 0xFFFFFFFF {
		return fmt.Errorf("ansinist: encode: record %d (Type-%d): %d bytes do not fit the 4-byte LEN", index, r.Type, n)
	}
	hdr := make([]byte, binaryHeaderBytes(r.Type))
	binary.BigEndian.PutUint32(hdr, uint32(n))
	hdr[4] = byte(r.IDC)
	switch r.Type {
	case 3, 4, 5, 6:
		hdr[5] = h.IMP
		copy(hdr[6:12], h.FGP[:])
		hdr[12] = h.ISR
		binary.BigEndian.PutUint16(hdr[13:], uint16(h.HLL))
		binary.BigEndian.PutUint16(hdr[15:], uint16(h.VLL))
		hdr[17] = h.CGA
	case 8:
		hdr[5] = h.SIG
		hdr[6] = h.SRT
		hdr[7] = h.ISR
		binary.BigEndian.PutUint16(hdr[8:], uint16(h.HLL))
		binary.BigEndian.PutUint16(hdr[10:], uint16(h.VLL))
	}
	out.Write(hdr)
	out.Write(r.Data)
	return nil
}
