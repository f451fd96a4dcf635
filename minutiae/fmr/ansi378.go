package fmr

import "encoding/binary"

// ANSI INCITS 378-2004 record header, 26 bytes (30 with the long length):
//
//	 0  format identifier      "FMR\0"
//	 4  version                " 20\0"
//	 8  record length          2 bytes; or 0x0000 and then 4 bytes
//	10  CBEFF product owner    2 bytes (14 with the long length, and so on)
//	12  CBEFF product type     2 bytes
//	14  equipment              compliance (4 bits), capture equipment ID (12 bits)
//	16  image width, height    2 bytes each, pixels
//	20  x, y resolution        2 bytes each, pixels per centimetre
//	24  finger view count      1 byte
//	25  reserved               1 byte
//
// then the finger views, laid out as in ISO 2005 (view.go). Angles are in
// units of 2 degrees (0–179).
const (
	ansi378HeaderSize     = 26
	ansi378LongHeaderSize = 30
)

func decodeANSI378(data []byte) (*Record, error) {
	r := newReader(ANSI378, data)
	r.off = 8 // magic and version were checked by Detect
	rec := &Record{Format: ANSI378}
	short, err := r.u16("record length")
	if err != nil {
		return nil, err
	}
	n := uint32(short)
	if short == 0 {
		// Zero in the 2-byte field means the length follows in 4 bytes.
		rec.LongLength = true
		if n, err = r.u32("record length (4-byte form)"); err != nil {
			return nil, err
		}
		if int64(n) != int64(len(data)) {
			return nil, r.fail(10, "record length (4-byte form)", "says %d bytes, the input has %d", n, len(data))
		}
	} else if int(n) != len(data) {
		return nil, r.fail(8, "record length", "says %d bytes, the input has %d", n, len(data))
	}
	if rec.ProductOwner, err = r.u16("CBEFF product owner"); err != nil {
		return nil, err
	}
	if rec.ProductType, err = r.u16("CBEFF product type"); err != nil {
		return nil, err
	}
	if err := r.legacyHeader(rec); err != nil {
		return nil, err
	}
	return rec, r.legacyBody(rec)
}

func encodeANSI378(rec *Record) ([]byte, error) {
	if err := checkLegacyRecord(rec); err != nil {
		return nil, err
	}
	body := 0
	for i := range rec.Views {
		body += legacyViewSize(&rec.Views[i])
	}
	size := ansi378HeaderSize + body
	long := rec.LongLength || size > 0xFFFF
	if long {
		size = ansi378LongHeaderSize + body
	}
	if uint64(size) > 0xFFFFFFFF {
		return nil, errEncode(rec.Format, "record of %d bytes is longer than the 4-byte length holds", size)
	}
	b := make([]byte, 0, size)
	b = append(b, magic...)
	b = append(b, version20...)
	if long {
		b = binary.BigEndian.AppendUint16(b, 0)
		b = binary.BigEndian.AppendUint32(b, uint32(size))
	} else {
		b = binary.BigEndian.AppendUint16(b, uint16(size))
	}
	b = binary.BigEndian.AppendUint16(b, rec.ProductOwner)
	b = binary.BigEndian.AppendUint16(b, rec.ProductType)
	b = appendLegacyHeader(b, rec)
	for i := range rec.Views {
		b = appendLegacyView(b, &rec.Views[i])
	}
	return b, nil
}
