package wsq

import (
	"bytes"
	"fmt"
)

// Markers: two bytes, 0xFF then a code. Every marker but SOI and EOI starts a
// segment whose first two bytes give its length (counting those two bytes
// but not the marker).
const (
	markerSOI = 0xFFA0 // start of image
	markerEOI = 0xFFA1 // end of image
	markerSOF = 0xFFA2 // start of frame: the frame header
	markerSOB = 0xFFA3 // start of block: a block header, then coded data
	markerDTT = 0xFFA4 // define transform table: the wavelet filters
	markerDQT = 0xFFA5 // define quantization table
	markerDHT = 0xFFA6 // define Huffman table(s)
	markerDRT = 0xFFA7 // define restart interval (never used by WSQ encoders)
	markerCOM = 0xFFA8 // comment
)

// markerName names a marker for error messages.
func markerName(m uint16) string {
	switch m {
	case markerSOI:
		return "SOI"
	case markerEOI:
		return "EOI"
	case markerSOF:
		return "SOF"
	case markerSOB:
		return "SOB"
	case markerDTT:
		return "DTT"
	case markerDQT:
		return "DQT"
	case markerDHT:
		return "DHT"
	case markerDRT:
		return "DRT"
	case markerCOM:
		return "COM"
	}
	return fmt.Sprintf("0x%04X", m)
}

// reader reads big-endian fields from data[pos:end]. Reads past end fail
// with a *FormatError naming the field, so a segment's reader (whose end is
// the segment's end) cannot stray into the next segment, and offsets in
// errors are always offsets in the whole input.
type reader struct {
	data []byte
	pos  int
	end  int
	seg  string // the segment being read, for errors
}

func (r *reader) need(n int, field string) error {
	if r.end-r.pos < n {
		if r.end < len(r.data) {
			return errorf(r.pos, r.seg, "%s: segment ends %s too early (its length field is too small)", field, plural(n-(r.end-r.pos), "byte"))
		}
		return errorf(r.pos, r.seg, "%s: data truncated (%s left, %d needed)", field, plural(r.end-r.pos, "byte"), n)
	}
	return nil
}

func (r *reader) u8(field string) (byte, error) {
	if err := r.need(1, field); err != nil {
		return 0, err
	}
	v := r.data[r.pos]
	r.pos++
	return v, nil
}

func (r *reader) u16(field string) (uint16, error) {
	if err := r.need(2, field); err != nil {
		return 0, err
	}
	v := uint16(r.data[r.pos])<<8 | uint16(r.data[r.pos+1])
	r.pos += 2
	return v, nil
}

func (r *reader) u32(field string) (uint32, error) {
	if err := r.need(4, field); err != nil {
		return 0, err
	}
	d := r.data[r.pos:]
	v := uint32(d[0])<<24 | uint32(d[1])<<16 | uint32(d[2])<<8 | uint32(d[3])
	r.pos += 4
	return v, nil
}

// bytes returns the next n bytes (a sub-slice, not a copy).
func (r *reader) bytes(n int, field string) ([]byte, error) {
	if err := r.need(n, field); err != nil {
		return nil, err
	}
	b := r.data[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

// marker reads a marker at the current position.
func (r *reader) marker() (uint16, error) {
	at := r.pos
	m, err := r.u16("marker")
	if err != nil {
		return 0, err
	}
	if m>>8 != 0xFF {
		return 0, errorf(at, r.seg, "expected a marker (0xFFxx), found 0x%04X", m)
	}
	return m, nil
}

// segment reads the length field of the segment whose marker was just read
// and returns a reader confined to the segment's body; r moves past the
// segment. name is the segment's name for errors.
func (r *reader) segment(name string) (*reader, error) {
	r.seg = name
	at := r.pos
	n, err := r.u16("length")
	if err != nil {
		return nil, err
	}
	if n < 2 {
		return nil, errorf(at, name, "length field %d is less than 2 (it counts its own two bytes)", n)
	}
	if int(n)-2 > r.end-r.pos {
		return nil, errorf(at, name, "length field %d runs past the end of the data (%s left)", n, plural(r.end-r.pos+2, "byte"))
	}
	body := &reader{data: r.data, pos: r.pos, end: r.pos + int(n) - 2, seg: name}
	r.pos = body.end
	return body, nil
}

// done checks that a segment's fields filled it exactly.
func (r *reader) done() error {
	if r.pos != r.end {
		return errorf(r.pos, r.seg, "%s unexpected at the end of the segment (its length field is too large)", plural(r.end-r.pos, "byte"))
	}
	return nil
}

// plural formats a count of things: "1 byte", "2 bytes".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// scaled reads a decimal number stored as an exponent byte e and an integer
// v, meaning v / 10^e, and converts it the way NBIS does: v becomes a float32
// and is divided by 10 e times, each division done in double precision (10.0
// is a double literal in C) and rounded back to float32.
func scaled(v uint32, e byte) float32 {
	f := float32(v)
	for ; e > 0; e-- {
		f = float32(float64(f) / 10.0)
	}
	return f
}

// ---------------------------------------------------------------------------
// Frame header (SOF)

// frameHeader is the content of the SOF segment.
type frameHeader struct {
	black, white  byte // the pixel values of black and white (0 and 255 in practice; unused)
	width, height int
	mShift        float32 // the image was shifted by -mShift and scaled by 1/rScale
	rScale        float32 // before the transform; the decoder undoes both
	encoder       byte    // encoder algorithm number (unused)
	software      uint16  // encoder software number (unused)
}

func parseFrameHeader(s *reader) (frameHeader, error) {
	var f frameHeader
	var err error
	if f.black, err = s.u8("black"); err != nil {
		return f, err
	}
	if f.white, err = s.u8("white"); err != nil {
		return f, err
	}
	h, err := s.u16("height")
	if err != nil {
		return f, err
	}
	w, err := s.u16("width")
	if err != nil {
		return f, err
	}
	f.width, f.height = int(w), int(h)
	e, err := s.u8("shift exponent")
	if err != nil {
		return f, err
	}
	v, err := s.u16("shift")
	if err != nil {
		return f, err
	}
	f.mShift = scaled(uint32(v), e)
	if e, err = s.u8("scale exponent"); err != nil {
		return f, err
	}
	if v, err = s.u16("scale"); err != nil {
		return f, err
	}
	f.rScale = scaled(uint32(v), e)
	if f.encoder, err = s.u8("encoder"); err != nil {
		return f, err
	}
	if f.software, err = s.u16("software"); err != nil {
		return f, err
	}
	return f, s.done()
}

// checkDimensions applies limits.go's bounds to a frame header found at
// offset at in an input of dataLen bytes.
func checkDimensions(width, height, at, dataLen int) error {
	// In int64: 65535 × 65535 does not fit a 32-bit int.
	pixels := int64(width) * int64(height)
	switch {
	case width == 0 || height == 0:
		return errorf(at, "SOF", "image is %d × %d pixels: a side is zero", width, height)
	case width > MaxWidth || height > MaxHeight:
		return errorf(at, "SOF", "image is %d × %d pixels: larger than this decoder's limit of %d × %d", width, height, MaxWidth, MaxHeight)
	case pixels > MaxPixels:
		return errorf(at, "SOF", "image is %d × %d = %d pixels: more than this decoder's limit of %d", width, height, pixels, MaxPixels)
	case pixels > MaxPixelsPerByte*int64(dataLen):
		return errorf(at, "SOF", "image claims %d × %d pixels but the file has only %s (more than %d pixels a byte): header is corrupt or forged", width, height, plural(dataLen, "byte"), MaxPixelsPerByte)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Transform table (DTT)

// transformTable holds the synthesis (reconstruction) filters derived from a
// DTT segment.
//
// The segment carries the encoder's analysis filters: the number of
// low-pass taps, the number of high-pass taps, then the right half of each
// symmetric filter (centre tap first). The synthesis filters are the
// analysis filters modulated by (-1)^n and swapped: the synthesis high-pass
// filter comes from the analysis low-pass one and vice versa. So lo has as
// many taps as the analysis high-pass filter (7 in every real file) and hi as
// many as the analysis low-pass filter (9).
type transformTable struct {
	lo, hi []float32
}

func parseTransformTable(s *reader) (*transformTable, error) {
	nLo, err := s.u8("number of low-pass taps")
	if err != nil {
		return nil, err
	}
	nHi, err := s.u8("number of high-pass taps")
	if err != nil {
		return nil, err
	}
	// One tap cannot be reconstructed from (the synthesis loops read two
	// taps at least); every real file has 9 and 7.
	if nLo < 2 || nHi < 2 {
		return nil, errorf(s.pos-2, s.seg, "filters with %d and %d taps: each needs at least 2", nLo, nHi)
	}
	t := &transformTable{hi: make([]float32, nLo), lo: make([]float32, nHi)}
	if err := readHalfFilter(s, t.hi, false, "low-pass coefficient"); err != nil {
		return nil, err
	}
	if err := readHalfFilter(s, t.lo, true, "high-pass coefficient"); err != nil {
		return nil, err
	}
	return t, s.done()
}

// readHalfFilter reads the (n+1)/2 stored coefficients of an n-tap analysis
// filter and fills dst (n taps) with the corresponding synthesis filter.
// fromHighPass says which analysis filter is stored: for an even n the two
// are mirrored with opposite signs.
func readHalfFilter(s *reader, dst []float32, fromHighPass bool, field string) error {
	n := len(dst)
	half := (n + 1) / 2
	mid := half - 1 // NBIS's "a_size" after its decrement
	for i := 0; i < half; i++ {
		sign, err := s.u8(field + " sign")
		if err != nil {
			return err
		}
		exp, err := s.u8(field + " exponent")
		if err != nil {
			return err
		}
		v, err := s.u32(field)
		if err != nil {
			return err
		}
		c := scaled(v, exp)
		if sign != 0 { // NBIS treats any non-zero sign byte as negative
			c = -c
		}
		// Modulate by (-1)^i, or (-1)^(i+1) for an even-length synthesis
		// low-pass filter; negation is exact.
		neg := i%2 == 1
		if n%2 == 0 && fromHighPass {
			neg = !neg
		}
		if neg {
			c = -c
		}
		if n%2 == 1 {
			dst[mid+i] = c
			dst[mid-i] = c
		} else {
			dst[mid+1+i] = c
			if fromHighPass {
				dst[mid-i] = c
			} else {
				dst[mid-i] = -c
			}
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Quantization table (DQT)

// quantTable is the content of a DQT segment: per subband, the quantizer bin
// width q and zero-bin width z (q = 0 means the subband is not coded), and
// the bin centre C shared by all subbands.
type quantTable struct {
	binCenter float32
	q, z      [numQSubbands]float32
}

func parseQuantTable(s *reader) (*quantTable, error) {
	t := new(quantTable)
	e, err := s.u8("bin centre exponent")
	if err != nil {
		return nil, err
	}
	v, err := s.u16("bin centre")
	if err != nil {
		return nil, err
	}
	t.binCenter = scaled(uint32(v), e)
	for k := 0; k < numQSubbands; k++ {
		if e, err = s.u8("bin width exponent"); err != nil {
			return nil, err
		}
		if v, err = s.u16("bin width"); err != nil {
			return nil, err
		}
		t.q[k] = scaled(uint32(v), e)
		if e, err = s.u8("zero-bin width exponent"); err != nil {
			return nil, err
		}
		if v, err = s.u16("zero-bin width"); err != nil {
			return nil, err
		}
		t.z[k] = scaled(uint32(v), e)
	}
	return t, s.done()
}

// ---------------------------------------------------------------------------
// Comments (COM) and the NIST comment

// nistComHeader starts a NISTCOM comment: lines of "NAME value", the first
// being "NIST_COM <number of lines>". Its PPI line gives the resolution.
const nistComHeader = "NIST_COM"

// parseNISTPPI returns the PPI value of a NISTCOM comment, or 0 when the
// comment has no PPI line or its value is not a positive number. It reads
// the comment as NBIS does: a name runs to the first space or tab, the value
// from the next non-blank character to the end of the line, and the first
// PPI line counts. The number is read like C's atoi (leading blanks, digits,
// anything after them ignored); values beyond 9 digits count as absent.
func parseNISTPPI(text []byte) int {
	for len(text) > 0 {
		var line []byte
		line, text, _ = bytes.Cut(text, []byte{'\n'})
		name, value := line, []byte(nil)
		if i := bytes.IndexAny(line, " \t"); i >= 0 {
			name, value = line[:i], line[i:]
		}
		if string(name) != "PPI" {
			continue
		}
		value = bytes.TrimLeft(value, " \t")
		n, digits := 0, 0
		if len(value) > 0 && value[0] == '+' {
			value = value[1:]
		}
		for _, c := range value {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
			if digits++; digits > 9 {
				return 0
			}
		}
		return n
	}
	return 0
}
