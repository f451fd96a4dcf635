package ansinist

import "encoding/binary"

// Binary records (Types 3–8): a fixed big-endian header, then data. They
// carry no record type of their own, which is why Read follows CNT.

// BinaryHeader is the fixed header of a binary record. The field names are
// the standard's mnemonics; which fields a type has is noted on each.
type BinaryHeader struct {
	// IMP is the impression type (Types 3–6).
	IMP byte
	// FGP holds up to six finger positions (Types 3–6), 255 filling the
	// unused bytes.
	FGP [6]byte
	// ISR is the image scanning resolution flag (Types 3–6 and 8): 0 for
	// the minimum scanning resolution, 1 for the native resolution of the
	// Type-1 NSR field.
	ISR byte
	// HLL and VLL are the image width and height in pixels (Types 3–6, 8).
	HLL, VLL int
	// CGA is the compression algorithm (Types 3–6; GCA for grey images, BCA
	// for binary ones).
	CGA byte
	// SIG is the signature type (Type-8): 0 subject, 1 official.
	SIG byte
	// SRT is the signature representation (Type-8): 0 scanned, 1 scanned
	// and compressed, 2 vectors.
	SRT byte
}

// binaryHeaderBytes returns the header size of a binary record type.
func binaryHeaderBytes(t int) int {
	switch t {
	case 7: // LEN and IDC; the rest is user-defined
		return 5
	case 8:
		return 12
	}
	return 18
}

// readBinary reads the binary record of type w.typ that starts at
// data[off:], expecting the IDC that CNT lists for it.
func readBinary(data []byte, off int, w where, wantIDC int) (Record, error) {
	hdr := binaryHeaderBytes(w.typ)
	rest := len(data) - off
	if rest < 4 {
		return Record{}, w.truncated(off, "LEN", "the 4-byte LEN needs %d more bytes than the input holds", 4-rest)
	}
	n64 := uint64(binary.BigEndian.Uint32(data[off:]))
	if n64 < uint64(hdr) {
		return Record{}, w.errorf(off, "LEN", "LEN is %d bytes, smaller than the %d-byte Type-%d header", n64, hdr, w.typ)
	}
	if n64 > uint64(rest) {
		return Record{}, w.truncated(off, "LEN", "LEN is %d bytes, but only %d remain in the input", n64, rest)
	}
	n := int(n64)
	rec := data[off : off+n]
	r := Record{Type: w.typ, IDC: int(rec[4]), Offset: off, Length: n, Binary: &BinaryHeader{}, Data: rec[hdr:n:n]}
	if r.IDC != wantIDC {
		return Record{}, w.errorf(off+4, "IDC", "IDC is %d, but CNT (1.003) lists IDC %d for this record", r.IDC, wantIDC)
	}
	h := r.Binary
	switch w.typ {
	case 3, 4, 5, 6:
		h.IMP = rec[5]
		copy(h.FGP[:], rec[6:12])
		h.ISR = rec[12]
		h.HLL = int(binary.BigEndian.Uint16(rec[13:]))
		h.VLL = int(binary.BigEndian.Uint16(rec[15:]))
		h.CGA = rec[17]
	case 8:
		h.SIG = rec[5]
		h.SRT = rec[6]
		h.ISR = rec[7]
		h.HLL = int(binary.BigEndian.Uint16(rec[8:]))
		h.VLL = int(binary.BigEndian.Uint16(rec[10:]))
	}
	return r, nil
}
