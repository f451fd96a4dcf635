package ansinist

// Tagged records: "t.nnn:value" fields separated by GS, the record ended by
// FS, its length given by the first field (LEN, t.001).

// maxLenDigits bounds the LEN value of a tagged record: ten digits reach
// past any input a transaction could be, and keep the arithmetic in range.
const maxLenDigits = 10

// hasBinaryData reports whether field 999 of the record type is binary data
// running to the end of the record, rather than text. These are the
// image-bearing types of ANSI/NIST-ITL 1-2011/2013 (and user-defined 16, 99).
func hasBinaryData(t int) bool {
	switch t {
	case 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 99:
		return true
	}
	return false
}

// parseTag reads a field tag "t.n:" at data[p:] and returns the record
// type, the field number and the offset just past the colon. data sits at
// byte base of the input, for error offsets.
func parseTag(data []byte, p, base int, w where) (typ, field, next int, err error) {
	start := p
	number := func(stop byte, maxDigits int) (int, error) {
		q := p
		for q < len(data) && data[q] >= '0' && data[q] <= '9' && q-p <= maxDigits {
			q++
		}
		if q >= len(data) {
			return 0, w.truncated(base+start, "", "input ends inside a field tag")
		}
		n, ok := atoi(data[p:q], maxDigits)
		if !ok || data[q] != stop {
			return 0, w.errorf(base+start, "", "expected a field tag \"type.field:\", found %q", preview(data[start:]))
		}
		p = q + 1
		return n, nil
	}
	if typ, err = number('.', 2); err != nil {
		return
	}
	if field, err = number(':', 9); err != nil {
		return
	}
	return typ, field, p, nil
}

// preview shows at most the first bytes of b, for error messages.
func preview(b []byte) []byte {
	if len(b) > 12 {
		return b[:12]
	}
	return b
}

// readTagged reads the tagged record that starts at data[off:], expecting
// the record type w.typ and, unless wantIDC is -1 (the Type-1 record), the
// IDC listed for it in CNT.
func readTagged(data []byte, off int, w where, wantIDC int) (Record, error) {
	typ, field, p, err := parseTag(data, off, 0, w)
	if err != nil {
		return Record{}, err
	}
	if typ != w.typ {
		return Record{}, w.errorf(off, tag(typ, field), "record starts with a Type-%d field, but CNT (1.003) lists a Type-%d record here", typ, w.typ)
	}
	lenTag := tag(typ, 1)
	if field != 1 {
		return Record{}, w.errorf(off, tag(typ, field), "record starts with field %s, want the LEN field %s", tag(typ, field), lenTag)
	}
	q := p
	for q < len(data) && data[q] != gs && data[q] != fs && q-p <= maxLenDigits {
		q++
	}
	if q >= len(data) {
		return Record{}, w.truncated(p, lenTag, "input ends inside the LEN field")
	}
	n, ok := atoi(data[p:q], maxLenDigits)
	if !ok || (data[q] != gs && data[q] != fs) {
		return Record{}, w.errorf(p, lenTag, "LEN %q is not a number followed by a separator", preview(data[p:q+1]))
	}
	if n > len(data)-off {
		return Record{}, w.truncated(off, lenTag, "LEN is %d bytes, but only %d remain in the input", n, len(data)-off)
	}
	if n < q+1-off {
		return Record{}, w.errorf(off, lenTag, "LEN is %d bytes, shorter than the LEN field itself (%d)", n, q+1-off)
	}
	rec := data[off : off+n]
	if rec[n-1] != fs {
		return Record{}, w.errorf(off+n-1, "", "record of LEN %d does not end with the FS separator (is LEN wrong?)", n)
	}
	r := Record{Type: typ, IDC: -1, Offset: off, Length: n}
	if r.Fields, err = readFields(rec, off, w); err != nil {
		return Record{}, err
	}
	for i := len(r.Fields) - 1; i >= 0 && hasBinaryData(typ); i-- {
		if r.Fields[i].Tag == 999 {
			r.Data = r.Fields[i].Value
			break
		}
	}
	if wantIDC < 0 {
		return r, nil
	}
	f, ok := r.Field(2)
	if !ok {
		return Record{}, w.errorf(off, tag(typ, 2), "no IDC field; CNT (1.003) lists this record with IDC %d", wantIDC)
	}
	if r.IDC, ok = atoi(f.Value, 9); !ok {
		return Record{}, w.errorf(f.Offset, tag(typ, 2), "IDC %q is not a number", preview(f.Value))
	}
	if r.IDC != wantIDC {
		return Record{}, w.errorf(f.Offset, tag(typ, 2), "IDC is %d, but CNT (1.003) lists IDC %d for this record", r.IDC, wantIDC)
	}
	return r, nil
}

// readFields splits a whole tagged record rec (which ends with FS and sits
// at byte base of the input) into its fields.
func readFields(rec []byte, base int, w where) ([]Field, error) {
	n := len(rec)
	var fields []Field
	for p := 0; p < n; {
		typ, field, v, err := parseTag(rec, p, base, w)
		if err != nil {
			return nil, err
		}
		if typ != w.typ {
			return nil, w.errorf(base+p, tag(typ, field), "field of a Type-%d record inside a Type-%d record", typ, w.typ)
		}
		if field == 0 {
			return nil, w.errorf(base+p, tag(typ, field), "field number 0 is not defined")
		}
		if field == 1 && p != 0 {
			return nil, w.errorf(base+p, tag(typ, field), "LEN field repeated inside the record")
		}
		if field == 999 && hasBinaryData(typ) && !isTextPlaceholder(rec, v, typ) {
			// The binary data field runs to the FS that ends the record.
			fields = append(fields, Field{Tag: 999, Value: rec[v : n-1 : n-1], Offset: base + p})
			break
		}
		q := v
		for rec[q] != gs && rec[q] != fs { // rec ends with FS, so this stops
			q++
		}
		if rec[q] == fs && q != n-1 {
			return nil, w.errorf(base+q, tag(typ, field), "FS separator %d bytes before the end that LEN gives the record", n-1-q)
		}
		fields = append(fields, Field{Tag: field, Value: rec[v:q:q], Offset: base + p})
		p = q + 1
	}
	return fields, nil
}

// isTextPlaceholder reports whether the x.999 value starting at rec[v:] is
// a short text value followed by GS and another x.999 tag: NIST's test
// files write a text x.999 field before the real, binary one.
func isTextPlaceholder(rec []byte, v, typ int) bool {
	q := v
	for q < len(rec) && rec[q] != gs && rec[q] != fs {
		q++
	}
	if q >= len(rec)-1 || rec[q] != gs {
		return false
	}
	t, f, _, err := parseTag(rec, q+1, 0, where{})
	return err == nil && t == typ && f == 999
}
