package fmr

import (
	"encoding/binary"
	"fmt"
	"io"
)

// ISO/IEC 19794-2:2011 general header, 15 bytes:
//
//	 0  format identifier          "FMR\0"
//	 4  version                    "030\0"
//	 8  record length              4 bytes, the whole record
//	12  representation count       2 bytes
//	14  certification flag         1 byte, 0 or 1
//
// then the finger representations, each:
//
//	 0  representation length      4 bytes, this representation
//	 4  capture date and time      9 bytes: year (2), month, day, hour, minute,
//	                               second, millisecond (2)
//	13  device technology          1 byte
//	14  device vendor ID           2 bytes
//	16  device type ID             2 bytes
//	18  quality record             count (1), then 5 bytes each: score (1),
//	                               algorithm vendor ID (2), algorithm ID (2)
//	    certification record       only when the flag is set: count (1), then
//	                               3 bytes each: authority ID (2), scheme ID (1)
//	    finger position            1 byte
//	    representation number      1 byte
//	    x, y resolution            2 bytes each, pixels per centimetre
//	    impression type            1 byte
//	    image width, height        2 bytes each, pixels
//	    minutia size, ending type  4 bits each: 5 or 6; 0 or 1
//	    minutia count              1 byte
//	    minutiae                   5 or 6 bytes each (no quality byte in 5)
//	    extended data block        2-byte length, then the areas
//
// Angles are in units of 360/256 degrees.
const (
	iso2011HeaderSize = 15
	// iso2011ReprMin is the smallest representation: no quality blocks, no
	// certification record, no minutiae, an empty extended data block.
	iso2011ReprMin = 34
)

func decodeISO2011(data []byte) (*Record, error) {
	r := newReader(ISO2011, data)
	if err := r.isoRecordLength(); err != nil {
		return nil, err
	}
	count, err := r.u16("representation count")
	if err != nil {
		return nil, err
	}
	flag, err := r.u8("certification flag")
	if err != nil {
		return nil, err
	}
	if flag > 1 {
		return nil, r.fail(14, "certification flag", "is %d; only 0 and 1 are defined", flag)
	}
	rec := &Record{Format: ISO2011, HasCertifications: flag == 1}
	if int(count)*iso2011ReprMin > r.left() {
		return nil, r.fail(12, "representation count", "%d representations need at least %d bytes, %d left: %w",
			count, int(count)*iso2011ReprMin, r.left(), io.ErrUnexpectedEOF)
	}
	if count > 0 {
		rec.Views = make([]View, count)
	}
	r.scopeName = "representation"
	for i := range rec.Views {
		r.scopeIndex = i
		if err := r.representation(&rec.Views[i], rec.HasCertifications); err != nil {
			return nil, err
		}
	}
	r.scopeName = ""
	if r.off != len(data) {
		return nil, r.fail(r.off, "end of record", "%d bytes after the last of %d representations, which the record length counts but no representation holds",
			len(data)-r.off, count)
	}
	return rec, nil
}

// representation reads one finger representation, bounded by its own length
// field: a field that runs past that length is an error even when the input
// goes on.
func (r *reader) representation(v *View, certs bool) error {
	start := r.off
	l, err := r.u32("length")
	if err != nil {
		return err
	}
	if l < iso2011ReprMin {
		return r.fail(start, "length", "%d is less than the smallest representation (%d bytes)", l, iso2011ReprMin)
	}
	if int64(l)-4 > int64(r.left()) {
		return r.fail(start, "length", "says %d bytes, %d left: %w", l, r.left()+4, io.ErrUnexpectedEOF)
	}
	outerEnd, outerWhat := r.end, r.endWhat
	r.end = start + int(l)
	r.endWhat = func() string {
		return fmt.Sprintf("the end of representation %d (length %d at byte %d)", r.scopeIndex, l, start)
	}
	defer func() { r.end, r.endWhat = outerEnd, outerWhat }()

	t := &v.CaptureTime
	if t.Year, err = r.u16("capture year"); err != nil {
		return err
	}
	for _, f := range []struct {
		p    *uint8
		name string
	}{
		{&t.Month, "capture month"}, {&t.Day, "capture day"}, {&t.Hour, "capture hour"},
		{&t.Minute, "capture minute"}, {&t.Second, "capture second"},
	} {
		if *f.p, err = r.u8(f.name); err != nil {
			return err
		}
	}
	if t.Millisecond, err = r.u16("capture millisecond"); err != nil {
		return err
	}
	if v.DeviceTechnology, err = r.u8("device technology"); err != nil {
		return err
	}
	if v.DeviceVendor, err = r.u16("device vendor ID"); err != nil {
		return err
	}
	if v.DeviceType, err = r.u16("device type ID"); err != nil {
		return err
	}

	qOff := r.off
	nq, err := r.u8("quality block count")
	if err != nil {
		return err
	}
	if int(nq)*5 > r.left() {
		return r.fail(qOff, "quality block count", "%d blocks need %d bytes, %d left before %s: %w",
			nq, int(nq)*5, r.left(), r.endWhat(), io.ErrUnexpectedEOF)
	}
	if nq > 0 {
		v.Qualities = make([]QualityBlock, nq)
		for i := range v.Qualities {
			b := r.data[r.off:]
			v.Qualities[i] = QualityBlock{Score: b[0], VendorID: binary.BigEndian.Uint16(b[1:]), AlgorithmID: binary.BigEndian.Uint16(b[3:])}
			r.off += 5
		}
	}
	if certs {
		cOff := r.off
		nc, err := r.u8("certification block count")
		if err != nil {
			return err
		}
		if int(nc)*3 > r.left() {
			return r.fail(cOff, "certification block count", "%d blocks need %d bytes, %d left before %s: %w",
				nc, int(nc)*3, r.left(), r.endWhat(), io.ErrUnexpectedEOF)
		}
		if nc > 0 {
			v.Certifications = make([]CertificationBlock, nc)
			for i := range v.Certifications {
				b := r.data[r.off:]
				v.Certifications[i] = CertificationBlock{AuthorityID: binary.BigEndian.Uint16(b), SchemeID: b[2]}
				r.off += 3
			}
		}
	}

	if v.Position, err = r.u8("finger position"); err != nil {
		return err
	}
	if v.Number, err = r.u8("representation number"); err != nil {
		return err
	}
	if v.ResolutionX, err = r.u16("x resolution"); err != nil {
		return err
	}
	if v.ResolutionY, err = r.u16("y resolution"); err != nil {
		return err
	}
	if v.Impression, err = r.u8("impression type"); err != nil {
		return err
	}
	if v.Width, err = r.u16("image width"); err != nil {
		return err
	}
	if v.Height, err = r.u16("image height"); err != nil {
		return err
	}
	sizeOff := r.off
	b, err := r.u8("minutia size and ridge ending type")
	if err != nil {
		return err
	}
	v.MinutiaSize, v.RidgeEndingType = b>>4, b&0x0F
	if v.MinutiaSize != 5 && v.MinutiaSize != 6 {
		return r.fail(sizeOff, "minutia size", "is %d bytes; only 5 and 6 are defined", v.MinutiaSize)
	}
	n, err := r.u8("minutia count")
	if err != nil {
		return err
	}
	if v.Minutiae, err = r.minutiae(int(n), int(v.MinutiaSize)); err != nil {
		return err
	}
	if v.Extended, err = r.extended(); err != nil {
		return err
	}
	if r.off != r.end {
		return r.fail(start, "length", "says %d bytes, but the representation's fields end after %d", l, r.off-start)
	}
	return nil
}

func encodeISO2011(rec *Record) ([]byte, error) {
	if err := checkISO2011(rec); err != nil {
		return nil, err
	}
	size := iso2011HeaderSize
	for i := range rec.Views {
		size += reprSize(&rec.Views[i], rec.HasCertifications)
	}
	if uint64(size) > 0xFFFFFFFF {
		return nil, errEncode(rec.Format, "record of %d bytes is longer than the 4-byte length holds", size)
	}
	b := make([]byte, 0, size)
	b = append(b, magic...)
	b = append(b, version30...)
	b = binary.BigEndian.AppendUint32(b, uint32(size))
	b = binary.BigEndian.AppendUint16(b, uint16(len(rec.Views)))
	flag := uint8(0)
	if rec.HasCertifications {
		flag = 1
	}
	b = append(b, flag)
	for i := range rec.Views {
		v := &rec.Views[i]
		b = binary.BigEndian.AppendUint32(b, uint32(reprSize(v, rec.HasCertifications)))
		t := v.CaptureTime
		b = binary.BigEndian.AppendUint16(b, t.Year)
		b = append(b, t.Month, t.Day, t.Hour, t.Minute, t.Second)
		b = binary.BigEndian.AppendUint16(b, t.Millisecond)
		b = append(b, v.DeviceTechnology)
		b = binary.BigEndian.AppendUint16(b, v.DeviceVendor)
		b = binary.BigEndian.AppendUint16(b, v.DeviceType)
		b = append(b, uint8(len(v.Qualities)))
		for _, q := range v.Qualities {
			b = append(b, q.Score)
			b = binary.BigEndian.AppendUint16(b, q.VendorID)
			b = binary.BigEndian.AppendUint16(b, q.AlgorithmID)
		}
		if rec.HasCertifications {
			b = append(b, uint8(len(v.Certifications)))
			for _, c := range v.Certifications {
				b = binary.BigEndian.AppendUint16(b, c.AuthorityID)
				b = append(b, c.SchemeID)
			}
		}
		b = append(b, v.Position, v.Number)
		b = binary.BigEndian.AppendUint16(b, v.ResolutionX)
		b = binary.BigEndian.AppendUint16(b, v.ResolutionY)
		b = append(b, v.Impression)
		b = binary.BigEndian.AppendUint16(b, v.Width)
		b = binary.BigEndian.AppendUint16(b, v.Height)
		b = append(b, v.MinutiaSize<<4|v.RidgeEndingType, uint8(len(v.Minutiae)))
		for _, m := range v.Minutiae {
			b = appendMinutia(b, m, int(v.MinutiaSize))
		}
		b = appendExtended(b, v.Extended)
	}
	return b, nil
}

func reprSize(v *View, certs bool) int {
	n := iso2011ReprMin - 2 + 5*len(v.Qualities) + int(v.MinutiaSize)*len(v.Minutiae) + extendedSize(v.Extended)
	if certs {
		n += 1 + 3*len(v.Certifications)
	}
	return n
}

// checkISO2011 reports the first field of r that ISO 2011 cannot hold.
func checkISO2011(r *Record) error {
	f := r.Format
	switch {
	case r.ProductOwner != 0 || r.ProductType != 0:
		return notInFormat(f, "ProductOwner/ProductType (ANSI 378's CBEFF product identifier)")
	case r.EquipmentCompliance != 0 || r.EquipmentID != 0:
		return notInFormat(f, "EquipmentCompliance/EquipmentID (the representations hold the device)")
	case r.Width != 0 || r.Height != 0:
		return notInFormat(f, "Width/Height in the record header (the representations hold the image size)")
	case r.ResolutionX != 0 || r.ResolutionY != 0:
		return notInFormat(f, "ResolutionX/ResolutionY in the record header (the representations hold the resolution)")
	case r.Reserved != 0:
		return notInFormat(f, "Reserved")
	case r.LongLength:
		return notInFormat(f, "LongLength (ANSI 378's 6-byte length form)")
	case len(r.Views) > 0xFFFF:
		return errEncode(f, "%d representations, more than the 2-byte count holds", len(r.Views))
	}
	for i := range r.Views {
		v := &r.Views[i]
		switch {
		case v.Quality != 0:
			return notInFormat(f, viewField(i, "Quality (ISO 2011 keeps finger quality in Qualities)"))
		case len(v.Qualities) > 255:
			return errEncode(f, "view %d: %d quality blocks, more than the one-byte count holds", i, len(v.Qualities))
		case len(v.Certifications) > 255:
			return errEncode(f, "view %d: %d certification blocks, more than the one-byte count holds", i, len(v.Certifications))
		case len(v.Certifications) > 0 && !r.HasCertifications:
			return errEncode(f, "view %d: certification blocks set but the record's HasCertifications flag is not", i)
		case v.MinutiaSize != 5 && v.MinutiaSize != 6:
			return errEncode(f, "view %d: minutia size %d; only 5 and 6 are defined", i, v.MinutiaSize)
		case v.RidgeEndingType > 0x0F:
			return errEncode(f, "view %d: ridge ending type %d does not fit in 4 bits", i, v.RidgeEndingType)
		}
		if err := checkMinutiae(f, i, v.Minutiae, int(v.MinutiaSize)); err != nil {
			return err
		}
		if err := checkExtended(f, i, v.Extended); err != nil {
			return err
		}
		if uint64(reprSize(v, r.HasCertifications)) > 0xFFFFFFFF {
			return errEncode(f, "view %d: representation longer than the 4-byte length holds", i)
		}
	}
	return nil
}
