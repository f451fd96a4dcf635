package fmr

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

var (
	magic     = []byte("FMR\x00")
	version20 = []byte(" 20\x00")
	version30 = []byte("030\x00")
)

// Detect tells which format data is in from its header, without decoding the
// rest. The rule for the two formats that share the version " 20\0" is in
// the package documentation. Detect does not validate the record: Decode
// does.
func Detect(data []byte) (Format, error) {
	if len(data) < 8 {
		return 0, &DecodeError{Field: "format identifier and version", Offset: 0,
			Err: fmt.Errorf("need 8 bytes, the input has %d: %w", len(data), io.ErrUnexpectedEOF)}
	}
	if !bytes.Equal(data[:4], magic) {
		return 0, &DecodeError{Field: "format identifier", Offset: 0,
			Err: fmt.Errorf("is %q, want %q: not a finger minutiae record", data[:4], magic)}
	}
	switch {
	case bytes.Equal(data[4:8], version30):
		return ISO2011, nil
	case !bytes.Equal(data[4:8], version20):
		return 0, &DecodeError{Field: "version", Offset: 4,
			Err: fmt.Errorf("is %q; supported are %q (ISO/IEC 19794-2:2005, ANSI INCITS 378-2004) and %q (ISO/IEC 19794-2:2011)",
				data[4:8], version20, version30)}
	}
	if len(data) < 12 {
		return 0, &DecodeError{Field: "record length", Offset: 8,
			Err: fmt.Errorf("need 4 bytes to tell ISO/IEC 19794-2:2005 from ANSI INCITS 378-2004, %d left: %w",
				len(data)-8, io.ErrUnexpectedEOF)}
	}
	return detect20(data), nil
}

// detect20 tells ISO 2005 from ANSI 378 (see the package documentation).
func detect20(data []byte) Format {
	n := uint64(len(data))
	isoLen := uint64(binary.BigEndian.Uint32(data[8:]))
	short := binary.BigEndian.Uint16(data[8:])
	ansiLen := uint64(short)
	if short == 0 && len(data) >= 14 {
		ansiLen = uint64(binary.BigEndian.Uint32(data[10:]))
	}
	// 1. The length field that matches the input decides. At most one can.
	switch n {
	case isoLen:
		return ISO2005
	case ansiLen:
		return ANSI378
	}
	// 2. Neither matches (truncated, padded or lying): judge by which
	// reading of bytes 8–11 is possible at all.
	hi := binary.BigEndian.Uint16(data[10:])
	switch {
	case short >= ansi378HeaderSize:
		// An ISO length would be at least 26·65536 bytes.
		return ANSI378
	case short > 0:
		// Too short for any ANSI record.
		return ISO2005
	case hi >= iso2005HeaderSize:
		// An ISO length under 64 KiB; as the top half of an ANSI 4-byte
		// length it would mean a record of at least 24·65536 bytes.
		return ISO2005
	default:
		// Too short for any ISO record: the ANSI 4-byte length form.
		return ANSI378
	}
}

// Decode reads one finger minutiae record in any of the supported formats,
// chosen by Detect. It checks every length and count against the bytes
// there are before it allocates, and returns a *DecodeError naming the
// field and its byte offset for anything it cannot read. The record must
// fill data exactly. Codes are not interpreted here (see Record.Template), so
// a record with an unknown finger position still decodes and re-encodes.
func Decode(data []byte) (*Record, error) {
	f, err := Detect(data)
	if err != nil {
		return nil, err
	}
	switch f {
	case ISO2005:
		return decodeISO2005(data)
	case ANSI378:
		return decodeANSI378(data)
	default:
		return decodeISO2011(data)
	}
}

// Encode writes r in its Format. A record from Decode encodes to the bytes it
// was decoded from. Encode returns an error, naming the field, for a value
// that does not fit its field or a field that r's format does not have.
func Encode(r *Record) ([]byte, error) {
	if r == nil {
		return nil, errors.New("fmr: encode: nil record")
	}
	switch r.Format {
	case ISO2005:
		return encodeISO2005(r)
	case ANSI378:
		return encodeANSI378(r)
	case ISO2011:
		return encodeISO2011(r)
	}
	return nil, fmt.Errorf("fmr: encode: unknown format %v", r.Format)
}
