package wsq

import "fmt"

// FormatError reports WSQ data that is malformed, truncated, unsupported or
// beyond this package's limits. Offset is the byte offset in the input at
// which the problem was found (the start of the field or segment concerned),
// Segment names the marker segment or stage ("SOF", "DHT", "block 2", ...),
// and Msg says what is wrong.
type FormatError struct {
	Offset  int
	Segment string
	Msg     string
}

func (e *FormatError) Error() string {
	if e.Segment == "" {
		return fmt.Sprintf("wsq: at byte %d: %s", e.Offset, e.Msg)
	}
	return fmt.Sprintf("wsq: %s at byte %d: %s", e.Segment, e.Offset, e.Msg)
}

// errorf builds a *FormatError.
func errorf(offset int, segment, format string, args ...any) *FormatError {
	return &FormatError{Offset: offset, Segment: segment, Msg: fmt.Sprintf(format, args...)}
}
