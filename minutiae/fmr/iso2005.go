package fmr

import "encoding/binary"

// ISO/IEC 19794-2:2005 record header, 24 bytes:
//
//	 0  format identifier      "FMR\0"
//	 4  version                " 20\0"
//	 8  record length          4 bytes, the whole record
//	12  equipment              certification (4 bits), capture device type (12 bits)
//	14  image width, height    2 bytes each, pixels
//	18  x, y resolution        2 bytes each, pixels per centimetre
//	22  finger view count      1 byte
//	23  reserved               1 byte
//
// then the finger views (view.go). Angles are in units of 360/256 degrees.
const iso2005HeaderSize = 24

func decodeISO2005(data []byte) (*Record, error) {
	r := newReader(ISO2005, data)
	if err := r.isoRecordLength(); err != nil {
		return nil, err
	}
	rec := &Record{Format: ISO2005}
	if err := r.legacyHeader(rec); err != nil {
		return nil, err
	}
	return rec, r.legacyBody(rec)
}

// legacyHeader reads the header fields that ISO 2005 and ANSI 378 share,
// from the equipment field to the reserved byte.
func (r *reader) legacyHeader(rec *Record) error {
	eq, err := r.u16("capture equipment")
	if err != nil {
		return err
	}
	rec.EquipmentCompliance, rec.EquipmentID = uint8(eq>>12), eq&0x0FFF
	for _, f := range []struct {
		p    *uint16
		name string
	}{
		{&rec.Width, "image width"},
		{&rec.Height, "image height"},
		{&rec.ResolutionX, "x resolution"},
		{&rec.ResolutionY, "y resolution"},
	} {
		if *f.p, err = r.u16(f.name); err != nil {
			return err
		}
	}
	return nil
}

// legacyBody reads the finger view count, the reserved byte and the views,
// and checks that the views end exactly where the record does.
func (r *reader) legacyBody(rec *Record) error {
	countOff := r.off
	count, err := r.u8("finger view count")
	if err != nil {
		return err
	}
	if rec.Reserved, err = r.u8("reserved byte"); err != nil {
		return err
	}
	if rec.Views, err = r.legacyViews(int(count), countOff); err != nil {
		return err
	}
	if r.off != len(r.data) {
		return r.fail(r.off, "end of record", "%d bytes after the last of %d finger views, which the record length counts but no view holds",
			len(r.data)-r.off, count)
	}
	return nil
}

func encodeISO2005(rec *Record) ([]byte, error) {
	f := rec.Format
	switch {
	case rec.ProductOwner != 0 || rec.ProductType != 0:
		return nil, notInFormat(f, "ProductOwner/ProductType (ANSI 378's CBEFF product identifier)")
	case rec.LongLength:
		return nil, notInFormat(f, "LongLength (ANSI 378's 6-byte length form)")
	}
	if err := checkLegacyRecord(rec); err != nil {
		return nil, err
	}
	size := iso2005HeaderSize
	for i := range rec.Views {
		size += legacyViewSize(&rec.Views[i])
	}
	if uint64(size) > 0xFFFFFFFF {
		return nil, errEncode(f, "record of %d bytes is longer than the 4-byte length holds", size)
	}
	b := make([]byte, 0, size)
	b = append(b, magic...)
	b = append(b, version20...)
	b = binary.BigEndian.AppendUint32(b, uint32(size))
	b = appendLegacyHeader(b, rec)
	for i := range rec.Views {
		b = appendLegacyView(b, &rec.Views[i])
	}
	return b, nil
}

// appendLegacyHeader writes the header fields that ISO 2005 and ANSI 378
// share, from the equipment field to the reserved byte.
func appendLegacyHeader(b []byte, rec *Record) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(rec.EquipmentCompliance)<<12|rec.EquipmentID)
	b = binary.BigEndian.AppendUint16(b, rec.Width)
	b = binary.BigEndian.AppendUint16(b, rec.Height)
	b = binary.BigEndian.AppendUint16(b, rec.ResolutionX)
	b = binary.BigEndian.AppendUint16(b, rec.ResolutionY)
	return append(b, uint8(len(rec.Views)), rec.Reserved)
}
