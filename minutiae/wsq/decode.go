package wsq

import (
	"bytes"
	"fmt"
	"image"
	"strconv"
)

// Decode decodes a WSQ file. ppi is the resolution from the file's NIST
// comment (PPI field) or 0 when the file does not say.
//
// The pixels are those NIST's reference decoder (NBIS dwsq) produces, bit
// for bit. Any malformed, truncated or over-limit input gives a
// *FormatError; Decode does not panic.
func Decode(data []byte) (img *image.Gray, ppi int, err error) {
	d := newDecoder(data)
	if err := d.readHeader(); err != nil {
		return nil, 0, err
	}
	width, height := d.frame.width, d.frame.height
	t := buildTrees(width, height)
	if err := t.check(width, height); err != nil {
		return nil, 0, errorf(d.frameAt, "SOF", "%v", err)
	}

	// Stage 1: entropy decoding, into the quantized coefficients of the
	// coded subbands, in coding order.
	coeffs := make([]int16, width*height)
	if err := d.readBlocks(t, coeffs); err != nil {
		return nil, 0, err
	}
	eoiAt := d.r.pos - 2 // readBlocks stopped just after the EOI marker
	if d.dtt == nil {
		return nil, 0, errorf(eoiAt, "EOI", "the file has no transform table (DTT)")
	}
	if d.dqt == nil {
		return nil, 0, errorf(eoiAt, "EOI", "the file has no quantization table (DQT)")
	}

	// Stage 2: unquantization, into the wavelet plane. Coefficients the
	// file did not carry (a short but well-formed stream) stay 0, as in
	// NBIS (whose buffers are zeroed).
	f := make([]float32, width*height)
	unquantize(f, width, coeffs, t, d.dqt)

	// Stage 3: the inverse wavelet transform.
	scratch := make([]float32, width*height)
	if err := reconstruct(f, scratch, width, t, newSynthesisBank(d.dtt)); err != nil {
		return nil, 0, errorf(d.frameAt, "SOF", "%d × %d image: inverse wavelet transform: %v", width, height, err)
	}

	// Stage 4: undo the encoder's shift and scale, round to bytes.
	img = image.NewGray(image.Rect(0, 0, width, height))
	toBytes(img.Pix, f, d.frame.mShift, d.frame.rScale)
	return img, d.ppi, nil
}

// DecodeConfig reads only the header: width, height and ppi, without
// decoding pixels. It parses the segments up to the first block (where the
// NIST comment, if any, lives) and applies the same checks and limits as
// Decode, so a file it accepts is one Decode will at least start on.
func DecodeConfig(data []byte) (width, height, ppi int, err error) {
	d := newDecoder(data)
	if err := d.readHeader(); err != nil {
		return 0, 0, 0, err
	}
	return d.frame.width, d.frame.height, d.ppi, nil
}

// toBytes converts the reconstructed plane to pixels: x·rScale + mShift,
// rounded half up and clamped to 0..255, with NBIS's float32 arithmetic
// (the 0.5 is a double in C, so that addition is done in double and rounded
// back). A NaN, which only absurd filters can produce, becomes 0.
func toBytes(pix []byte, f []float32, mShift, rScale float32) {
	for i, v := range f {
		t := float32(float32(v*rScale) + mShift)
		t = float32(float64(t) + 0.5)
		switch {
		case t < 0:
			pix[i] = 0
		case t > 255:
			pix[i] = 255
		case t != t: // NaN
			pix[i] = 0
		default:
			pix[i] = uint8(t) // truncation, as C's (unsigned char) cast
		}
	}
}

// decoder holds the state of one decode: the input and the tables defined
// so far. Tables may be (re)defined before the frame header and between
// blocks; each block uses the tables in force when it starts.
type decoder struct {
	r     reader
	dtt   *transformTable
	dqt   *quantTable
	dht   [maxHuffTables]*huffTable
	frame frameHeader
	// frameAt is the offset of the SOF marker: errors about the image's
	// size (too small for the transform) point there.
	frameAt int

	ppi      int  // from the first NIST comment before the first block
	nistSeen bool // a NIST comment has been read
	inBlocks bool // the first SOB has been read
}

func newDecoder(data []byte) *decoder {
	return &decoder{r: reader{data: data, end: len(data)}}
}

// readHeader reads SOI, the tables and comments before the frame header,
// the frame header (SOF), and the tables and comments after it, up to and
// including the first SOB marker.
func (d *decoder) readHeader() error {
	r := &d.r
	r.seg = "SOI"
	m, err := r.u16("marker")
	if err != nil {
		return err
	}
	if m != markerSOI {
		return errorf(0, "", "not a WSQ file: starts with 0x%04X, not the SOI marker 0xFFA0", m)
	}
	for {
		at := r.pos
		r.seg = "header"
		m, err := r.marker()
		if err != nil {
			return err
		}
		switch m {
		case markerDTT, markerDQT, markerDHT, markerCOM:
			if err := d.table(m); err != nil {
				return err
			}
			continue
		case markerSOF:
		default:
			return errorf(at, "header", "unexpected %s marker: expected a table, a comment or the frame header (SOF)", markerName(m))
		}
		d.frameAt = at
		s, err := r.segment("SOF")
		if err != nil {
			return err
		}
		if d.frame, err = parseFrameHeader(s); err != nil {
			return err
		}
		if err := checkDimensions(d.frame.width, d.frame.height, at, len(r.data)); err != nil {
			return err
		}
		break
	}
	for {
		at := r.pos
		r.seg = "header"
		m, err := r.marker()
		if err != nil {
			return err
		}
		switch m {
		case markerDTT, markerDQT, markerDHT, markerCOM:
			if err := d.table(m); err != nil {
				return err
			}
		case markerSOB:
			d.inBlocks = true
			return nil
		default:
			return errorf(at, "header", "unexpected %s marker after the frame header: expected a table, a comment or the first block (SOB)", markerName(m))
		}
	}
}

// table reads the segment of table or comment marker m.
func (d *decoder) table(m uint16) error {
	s, err := d.r.segment(markerName(m))
	if err != nil {
		return err
	}
	switch m {
	case markerDTT:
		d.dtt, err = parseTransformTable(s)
	case markerDQT:
		d.dqt, err = parseQuantTable(s)
	case markerDHT:
		err = parseHuffmanTables(s, &d.dht)
	case markerCOM:
		body := s.data[s.pos:s.end]
		if !d.inBlocks && !d.nistSeen && bytes.HasPrefix(body, []byte(nistComHeader)) {
			d.nistSeen = true
			d.ppi = parseNISTPPI(body)
		}
	}
	return err
}

// readBlocks decodes the blocks, from the block header after the first SOB
// marker to EOI, into coeffs.
func (d *decoder) readBlocks(t *trees, coeffs []int16) error {
	r := &d.r
	n := 0                 // coefficients decoded so far
	limit := len(coeffs)   // how many the file may carry ...
	limitKnown := false    // ... once a DQT says which subbands are coded
	m := uint16(markerSOB) // readHeader stopped just after the first SOB marker
	for block := 0; ; {
		switch m {
		case markerSOB:
			block++
			seg := "block " + strconv.Itoa(block)
			s, err := r.segment(seg + " header (SOB)")
			if err != nil {
				return err
			}
			idAt := s.pos
			id, err := s.u8("Huffman table id")
			if err != nil {
				return err
			}
			if err := s.done(); err != nil {
				return err
			}
			if id >= maxHuffTables || d.dht[id] == nil {
				return errorf(idAt, s.seg, "uses Huffman table %d, which is not defined", id)
			}
			if !limitKnown && d.dqt != nil {
				limit, limitKnown = codedCoefficients(t, d.dqt), true
				if n > limit {
					return errorf(idAt, s.seg, "%d coefficients already decoded, but the quantization table codes only %d", n, limit)
				}
			}
			var next int
			m, next, err = decodeBlock(r.data, r.pos, d.dht[id], coeffs, &n, limit, seg)
			if err != nil {
				return err
			}
			r.pos = next
		case markerEOI:
			return nil
		case markerDTT, markerDQT, markerDHT, markerCOM:
			if err := d.table(m); err != nil {
				return err
			}
			r.seg = "after block " + strconv.Itoa(block)
			var err error
			if m, err = r.marker(); err != nil {
				return err
			}
		default:
			return errorf(r.pos-2, "after block "+strconv.Itoa(block), "unexpected %s marker: expected a table, a comment, a block (SOB) or EOI", markerName(m))
		}
	}
}

// check verifies that every node and subband lies inside the image (true by
// construction for any size; checked because the decoder indexes the planes
// with these rectangles).
func (t *trees) check(width, height int) error {
	in := func(r rect) bool {
		return r.x >= 0 && r.y >= 0 && r.w >= 0 && r.h >= 0 && r.x+r.w <= width && r.y+r.h <= height
	}
	for i, n := range t.w {
		if !in(n.rect) {
			return fmt.Errorf("internal error: wavelet node %d (%+v) is outside the %d × %d image", i, n.rect, width, height)
		}
	}
	for i, q := range t.q {
		if !in(q) {
			return fmt.Errorf("internal error: subband %d (%+v) is outside the %d × %d image", i, q, width, height)
		}
	}
	return nil
}
