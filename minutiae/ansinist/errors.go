package ansinist

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrFormat is matched (errors.Is) by every error Read returns for bytes
	// that are not a well-formed transaction.
	ErrFormat = errors.New("ansinist: malformed transaction")

	// ErrTruncated is matched, besides ErrFormat, when the input ends inside
	// a record or a record's LEN claims more bytes than the input holds.
	ErrTruncated = errors.New("ansinist: transaction truncated")

	// ErrUnsupportedCompression is matched by the error Fingerprint.Image
	// returns for image data it cannot decode by design (JPEG 2000, lossless
	// JPEG, facsimile-compressed binary images, vendor codes), so a caller
	// can tell "this print is in a format we do not read" from "these bytes
	// are broken".
	ErrUnsupportedCompression = errors.New("ansinist: unsupported image compression")
)

// FormatError describes what is wrong with a transaction and where: the
// record (its index in the transaction and its type), the field, and the
// byte offset in the input.
type FormatError struct {
	// Record is the index of the record in the transaction (0 is the Type-1
	// record, then the order of the Type-1 CNT field), or -1 when the
	// problem is not inside one record.
	Record int
	// Type is the record type, 0 when it is not known.
	Type int
	// Field names the field: a tag such as "14.011" for tagged records, or
	// the mnemonic of a binary header field such as "HLL". Empty when the
	// problem is not in one field.
	Field string
	// Offset is the byte offset in the input where the problem was found.
	Offset int
	// Msg says what is wrong.
	Msg string
	// Err is a sentinel the error also matches (ErrTruncated), or nil.
	Err error
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("ansinist: ")
	if e.Record >= 0 {
		fmt.Fprintf(&b, "record %d", e.Record)
		if e.Type > 0 {
			fmt.Fprintf(&b, " (Type-%d)", e.Type)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "field %s: ", e.Field)
	}
	b.WriteString(e.Msg)
	fmt.Fprintf(&b, " (at byte %d)", e.Offset)
	return b.String()
}

// Unwrap makes errors.Is match ErrFormat and, when set, Err.
func (e *FormatError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrFormat, e.Err}
	}
	return []error{ErrFormat}
}

// where is the position a parser is at, used to build FormatErrors.
type where struct {
	record int
	typ    int
}

func (w where) errorf(offset int, field string, format string, args ...any) *FormatError {
	return &FormatError{Record: w.record, Type: w.typ, Field: field, Offset: offset, Msg: fmt.Sprintf(format, args...)}
}

func (w where) truncated(offset int, field string, format string, args ...any) *FormatError {
	e := w.errorf(offset, field, format, args...)
	e.Err = ErrTruncated
	return e
}

// tag formats a field tag the way the standard writes it, e.g. "14.011".
func tag(recordType, field int) string {
	return fmt.Sprintf("%d.%03d", recordType, field)
}
