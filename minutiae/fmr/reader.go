package fmr

import (
	"encoding/binary"
	"fmt"
	"io"
)

// DecodeError says what is wrong with a record and where: the field and the
// byte offset of the field in the input. Truncation errors wrap
// io.ErrUnexpectedEOF.
type DecodeError struct {
	// Format is the format being decoded, zero before it is known.
	Format Format
	// Field names the field, with the view and minutia it belongs to.
	Field string
	// Offset is the byte offset of the field in the input.
	Offset int
	Err    error
}

func (e *DecodeError) Error() string {
	prefix := "fmr"
	if e.Format.valid() {
		prefix = "fmr: " + e.Format.String()
	}
	return fmt.Sprintf("%s: %s at byte %d: %v", prefix, e.Field, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// reader reads big-endian fields from untrusted bytes. It never reads past
// end, and names the field and its offset in every error. The scope (a view
// or representation index) is formatted only when an error is made, so the
// happy path does not allocate for error text.
type reader struct {
	format Format
	data   []byte
	off    int
	// end bounds reads: the input's end, or the end of the ISO 2011
	// representation being read, as its length field says.
	end int
	// endWhat names what end is, for truncation errors.
	endWhat func() string

	scopeName  string // "finger view", "representation" or ""
	scopeIndex int
}

func newReader(f Format, data []byte) *reader {
	return &reader{format: f, data: data, end: len(data), endWhat: inputEnd}
}

func inputEnd() string { return "the end of the input" }

func (r *reader) left() int { return r.end - r.off }

// field returns the full name of a field in the current scope.
func (r *reader) field(name string) string {
	if r.scopeName == "" {
		return name
	}
	return fmt.Sprintf("%s %d %s", r.scopeName, r.scopeIndex, name)
}

// fail makes a DecodeError for the field at offset off.
func (r *reader) fail(off int, name, format string, args ...any) error {
	return &DecodeError{Format: r.format, Field: r.field(name), Offset: off, Err: fmt.Errorf(format, args...)}
}

// need checks that n more bytes can be read for the named field.
func (r *reader) need(n int, name string) error {
	if n <= r.left() {
		return nil
	}
	return &DecodeError{Format: r.format, Field: r.field(name), Offset: r.off,
		Err: fmt.Errorf("needs %s, %d left before %s: %w", nbytes(n), r.left(), r.endWhat(), io.ErrUnexpectedEOF)}
}

func nbytes(n int) string {
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

func (r *reader) u8(name string) (uint8, error) {
	if err := r.need(1, name); err != nil {
		return 0, err
	}
	v := r.data[r.off]
	r.off++
	return v, nil
}

func (r *reader) u16(name string) (uint16, error) {
	if err := r.need(2, name); err != nil {
		return 0, err
	}
	v := binary.BigEndian.Uint16(r.data[r.off:])
	r.off += 2
	return v, nil
}

func (r *reader) u32(name string) (uint32, error) {
	if err := r.need(4, name); err != nil {
		return 0, err
	}
	v := binary.BigEndian.Uint32(r.data[r.off:])
	r.off += 4
	return v, nil
}

// decodeMinutiae reads count minutiae of size bytes each (6, or 5 without
// the quality byte). The whole run is checked against the bytes left before
// anything is allocated.
func (r *reader) minutiae(count, size int) ([]Minutia, error) {
	if count == 0 {
		return nil, nil
	}
	if count*size > r.left() {
		return nil, r.fail(r.off, "minutiae", "%d minutiae of %d bytes need %d bytes, %d left before %s: %w",
			count, size, count*size, r.left(), r.endWhat(), io.ErrUnexpectedEOF)
	}
	ms := make([]Minutia, count)
	b := r.data[r.off : r.off+count*size]
	for i := range ms {
		m := b[i*size:]
		x := binary.BigEndian.Uint16(m)
		y := binary.BigEndian.Uint16(m[2:])
		ms[i] = Minutia{
			Type:     uint8(x >> 14),
			X:        x & 0x3FFF,
			Reserved: uint8(y >> 14),
			Y:        y & 0x3FFF,
			Angle:    m[4],
		}
		if size == 6 {
			ms[i].Quality = m[5]
		}
	}
	r.off += count * size
	return ms, nil
}

// extended reads a view's extended data block: a 2-byte block length, then
// areas of a 2-byte type, a 2-byte length that counts the 4 header bytes, and
// the data. The areas must fill the block exactly.
func (r *reader) extended() ([]ExtendedData, error) {
	lenOff := r.off
	n, err := r.u16("extended data block length")
	if err != nil || n == 0 {
		return nil, err
	}
	if int(n) > r.left() {
		return nil, r.fail(lenOff, "extended data block length", "says %d bytes, %d left before %s: %w",
			n, r.left(), r.endWhat(), io.ErrUnexpectedEOF)
	}
	end := r.off + int(n)
	var out []ExtendedData
	for i := 0; r.off < end; i++ {
		areaOff := r.off
		if end-r.off < 4 {
			return nil, r.fail(areaOff, fmt.Sprintf("extended data area %d header", i),
				"needs 4 bytes, %d left in the extended data block (length %d at byte %d)", end-r.off, n, lenOff)
		}
		typ := binary.BigEndian.Uint16(r.data[r.off:])
		l := int(binary.BigEndian.Uint16(r.data[r.off+2:]))
		if l < 4 {
			return nil, r.fail(areaOff+2, fmt.Sprintf("extended data area %d length", i),
				"%d is less than the area's own 4-byte header", l)
		}
		if l > end-r.off {
			return nil, r.fail(areaOff+2, fmt.Sprintf("extended data area %d length", i),
				"says %d bytes, %d left in the extended data block (length %d at byte %d)", l, end-r.off, n, lenOff)
		}
		var data []byte
		if l > 4 {
			// A copy, so the record does not pin or alias the caller's buffer.
			data = append([]byte(nil), r.data[r.off+4:r.off+l]...)
		}
		out = append(out, ExtendedData{Type: typ, Data: data})
		r.off += l
	}
	return out, nil
}

// errEncode makes the error for a record that cannot be encoded.
func errEncode(f Format, format string, args ...any) error {
	return fmt.Errorf("fmr: encode %s: %s", f, fmt.Sprintf(format, args...))
}

// appendExtended writes a view's extended data block.
func appendExtended(b []byte, ext []ExtendedData) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(extendedSize(ext)-2))
	for _, e := range ext {
		b = binary.BigEndian.AppendUint16(b, e.Type)
		b = binary.BigEndian.AppendUint16(b, uint16(4+len(e.Data)))
		b = append(b, e.Data...)
	}
	return b
}

// extendedSize is the size of a view's extended data block including its
// 2-byte length.
func extendedSize(ext []ExtendedData) int {
	n := 2
	for _, e := range ext {
		n += 4 + len(e.Data)
	}
	return n
}

func checkExtended(f Format, view int, ext []ExtendedData) error {
	for j, e := range ext {
		if 4+len(e.Data) > 0xFFFF {
			return errEncode(f, "view %d extended data area %d: %d bytes, more than a 16-bit length holds", view, j, 4+len(e.Data))
		}
	}
	if n := extendedSize(ext) - 2; n > 0xFFFF {
		return errEncode(f, "view %d extended data block: %d bytes, more than a 16-bit length holds", view, n)
	}
	return nil
}

// appendMinutia writes one minutia of size 6, or 5 without the quality.
func appendMinutia(b []byte, m Minutia, size int) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(m.Type)<<14|m.X)
	b = binary.BigEndian.AppendUint16(b, uint16(m.Reserved)<<14|m.Y)
	b = append(b, m.Angle)
	if size == 6 {
		b = append(b, m.Quality)
	}
	return b
}

func checkMinutiae(f Format, view int, ms []Minutia, size int) error {
	if len(ms) > 255 {
		return errEncode(f, "view %d: %d minutiae, more than the one-byte count holds (255)", view, len(ms))
	}
	for j, m := range ms {
		switch {
		case m.Type > 3:
			return errEncode(f, "view %d minutia %d: type %d does not fit in 2 bits", view, j, m.Type)
		case m.X > 0x3FFF || m.Y > 0x3FFF:
			return errEncode(f, "view %d minutia %d: position (%d, %d) does not fit in 14 bits", view, j, m.X, m.Y)
		case m.Reserved > 3:
			return errEncode(f, "view %d minutia %d: reserved bits %d do not fit in 2 bits", view, j, m.Reserved)
		case size == 5 && m.Quality != 0:
			return errEncode(f, "view %d minutia %d: quality %d set but the 5-byte minutia has no quality byte", view, j, m.Quality)
		}
	}
	return nil
}

// notInFormat is the error for a field that the format cannot hold.
func notInFormat(f Format, field string) error {
	return errEncode(f, "%s is set but the format has no such field", field)
}

// isoRecordLength reads the 4-byte record length of both ISO editions, after
// the magic and version that Detect checked, and requires it to equal the
// input's length.
func (r *reader) isoRecordLength() error {
	r.off = 8
	n, err := r.u32("record length")
	if err != nil {
		return err
	}
	if int64(n) != int64(len(r.data)) {
		return r.fail(8, "record length", "says %d bytes, the input has %d", n, len(r.data))
	}
	return nil
}
