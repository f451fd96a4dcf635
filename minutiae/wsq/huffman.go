package wsq

import "fmt"

// Entropy coding. A WSQ block is a stream of Huffman codes, most significant
// bit first, with every 0xFF byte followed by a stuffed 0x00 so that a marker
// (0xFF then a non-zero byte) can only mean the end of the block. Each code
// stands for one "category" (NBIS: a Huffman value):
//
//	1..100     a run of that many zero coefficients
//	101, 102   a coefficient whose magnitude follows in 8 bits: +, −
//	103, 104   a coefficient whose magnitude follows in 16 bits: +, −
//	105, 106   a run of zeros whose length follows in 8 or 16 bits
//	107..254   the coefficient (category − 180), that is −73..74
//
// The coefficients of all blocks form one sequence: the quantized subbands
// 0..59 in order, skipping subbands whose bin width is 0, each in raster
// order.

const (
	maxHuffTables = 8   // table ids 0..7
	maxHuffBits   = 16  // longest code
	maxHuffValues = 257 // most values one table may list (NBIS's limit)

	catMaxZeroRun = 100 // categories 1..100: zero runs
	catPos8       = 101
	catNeg8       = 102
	catPos16      = 103
	catNeg16      = 104
	catZeroRun8   = 105
	catZeroRun16  = 106
	catCoeffFirst = 107 // categories 107..254: small coefficients
	catCoeffLast  = 254
	catCoeffBias  = 180 // coefficient = category − 180
)

// huffTable is one DHT table with its decoding tables. Codes are canonical
// (as in JPEG): all codes of one length are consecutive integers, and the
// first code of length l+1 is (last code of length l + 1) << 1.
type huffTable struct {
	counts [maxHuffBits]byte // counts[l-1]: number of codes of length l
	values []byte            // the categories, in code order

	// For each length l: maxCode[l] is the largest code of that length (−1
	// if there is none), minCode[l] the smallest and valPtr[l] the index in
	// values of the value of minCode[l]. (JPEG's decoding tables, F.2.2.3.)
	maxCode [maxHuffBits + 1]int32
	minCode [maxHuffBits + 1]int32
	valPtr  [maxHuffBits + 1]int32
}

// parseHuffmanTables reads the tables of one DHT segment (a segment may hold
// several) into tables.
func parseHuffmanTables(s *reader, tables *[maxHuffTables]*huffTable) error {
	if s.pos == s.end {
		return errorf(s.pos, s.seg, "empty segment: no table")
	}
	for s.pos < s.end {
		at := s.pos
		id, err := s.u8("table id")
		if err != nil {
			return err
		}
		if id >= maxHuffTables {
			return errorf(at, s.seg, "table id %d: ids run from 0 to %d", id, maxHuffTables-1)
		}
		t := new(huffTable)
		total := 0
		for l := range t.counts {
			if t.counts[l], err = s.u8("code count"); err != nil {
				return err
			}
			total += int(t.counts[l])
		}
		if total > maxHuffValues {
			return errorf(at, s.seg, "table %d lists %d codes, more than %d", id, total, maxHuffValues)
		}
		v, err := s.bytes(total, "table values")
		if err != nil {
			return err
		}
		t.values = v
		if err := t.build(); err != nil {
			return errorf(at, s.seg, "table %d: %v", id, err)
		}
		tables[id] = t
	}
	return nil
}

// build computes the canonical codes and the decoding tables, and rejects
// code lengths that do not form a prefix code.
func (t *huffTable) build() error {
	code, k := int32(0), int32(0)
	for l := 1; l <= maxHuffBits; l++ {
		n := int32(t.counts[l-1])
		if n == 0 {
			t.maxCode[l] = -1
		} else {
			t.valPtr[l] = k
			t.minCode[l] = code
			code += n
			k += n
			t.maxCode[l] = code - 1
			// All codes of length l must fit in l bits.
			if code > 1<<l {
				return fmt.Errorf("more codes of length ≤ %d than %d bits can hold (not a prefix code)", l, l)
			}
		}
		code <<= 1
	}
	return nil
}

// bitReader reads the entropy-coded data of a block from data[pos:].
type bitReader struct {
	data  []byte
	pos   int  // next byte to load
	cur   byte // the bits of the current byte not yet read, in its low nbits bits
	nbits uint
}

// loadByte loads the next data byte, undoing byte stuffing. If the next two
// bytes are a marker it returns the marker instead (and consumes it).
func (b *bitReader) loadByte(seg string) (marker uint16, err error) {
	if b.pos >= len(b.data) {
		return 0, errorf(b.pos, seg, "coded data truncated: no EOI marker")
	}
	c := b.data[b.pos]
	b.pos++
	if c == 0xFF {
		if b.pos >= len(b.data) {
			return 0, errorf(b.pos, seg, "coded data truncated after a 0xFF byte")
		}
		c2 := b.data[b.pos]
		b.pos++
		if c2 != 0x00 {
			return 0xFF00 | uint16(c2), nil
		}
	}
	b.cur, b.nbits = c, 8
	return 0, nil
}

// bit reads one bit. At a byte boundary the data may instead hold a marker,
// which ends the block: then bit returns it, as NBIS does, only here.
func (b *bitReader) bit(seg string) (bit uint32, marker uint16, err error) {
	if b.nbits == 0 {
		if marker, err = b.loadByte(seg); marker != 0 || err != nil {
			return 0, marker, err
		}
	}
	b.nbits--
	return uint32(b.cur>>b.nbits) & 1, 0, nil
}

// bits reads n ≤ 16 bits, most significant first. A marker here is an
// error: the data ended in the middle of a coefficient or run length.
func (b *bitReader) bits(n uint, seg string) (uint32, error) {
	var v uint32
	for n > 0 {
		if b.nbits == 0 {
			at := b.pos
			marker, err := b.loadByte(seg)
			if err != nil {
				return 0, err
			}
			if marker != 0 {
				return 0, errorf(at, seg, "%s marker inside the bits of a coefficient or run length", markerName(marker))
			}
		}
		take := min(n, b.nbits)
		b.nbits -= take
		v = v<<take | uint32(b.cur>>b.nbits)&(1<<take-1)
		n -= take
	}
	return v, nil
}

// decodeBlock decodes the coded data of one block, starting at data[pos],
// appending coefficients to coeffs[*n:limit]. It stops at the first marker
// and returns it with the offset just past it.
func decodeBlock(data []byte, pos int, t *huffTable, coeffs []int16, n *int, limit int, seg string) (marker uint16, next int, err error) {
	b := bitReader{data: data, pos: pos}
	for {
		// Read one Huffman code, bit by bit (F.2.2.3 of the JPEG standard).
		codeAt := b.pos // for errors: the byte the code starts in
		if b.nbits > 0 {
			codeAt--
		}
		bit, marker, err := b.bit(seg)
		if err != nil {
			return 0, 0, err
		}
		if marker != 0 {
			return marker, b.pos, nil
		}
		code := int32(bit)
		l := 1
		for code > t.maxCode[l] {
			if l == maxHuffBits {
				return 0, 0, errorf(codeAt, seg, "no Huffman code matches the bits here (corrupt data or table)")
			}
			bit, marker, err := b.bit(seg)
			if err != nil {
				return 0, 0, err
			}
			if marker != 0 {
				// A marker in the middle of a code: NBIS ends the block
				// here too, dropping the partial code.
				return marker, b.pos, nil
			}
			code = code<<1 | int32(bit)
			l++
		}
		k := t.valPtr[l] + code - t.minCode[l]
		if k < 0 || int(k) >= len(t.values) {
			return 0, 0, errorf(codeAt, seg, "Huffman code has no value (corrupt table)")
		}
		cat := int(t.values[k])

		// Act on the category.
		var run int // zeros to append
		switch {
		case cat >= 1 && cat <= catMaxZeroRun:
			run = cat
		case cat == catZeroRun8 || cat == catZeroRun16:
			width := uint(16)
			if cat == catZeroRun8 {
				width = 8
			}
			v, err := b.bits(width, seg)
			if err != nil {
				return 0, 0, err
			}
			run = int(v)
		case cat >= catPos8 && cat <= catNeg16:
			width := uint(8)
			if cat >= catPos16 {
				width = 16
			}
			v, err := b.bits(width, seg)
			if err != nil {
				return 0, 0, err
			}
			if *n >= limit {
				return 0, 0, errorf(codeAt, seg, "more coefficients than the image's coded subbands hold (%d)", limit)
			}
			// NBIS stores into a C short: 16-bit magnitudes above 32767 wrap.
			if cat == catPos8 || cat == catPos16 {
				coeffs[*n] = int16(v)
			} else {
				coeffs[*n] = int16(-int32(v))
			}
			*n++
			continue
		case cat >= catCoeffFirst && cat <= catCoeffLast:
			if *n >= limit {
				return 0, 0, errorf(codeAt, seg, "more coefficients than the image's coded subbands hold (%d)", limit)
			}
			coeffs[*n] = int16(cat - catCoeffBias)
			*n++
			continue
		default:
			return 0, 0, errorf(codeAt, seg, "invalid Huffman category %d", cat)
		}
		if run > limit-*n {
			return 0, 0, errorf(codeAt, seg, "zero run of %d passes the end of the image's coded subbands (%d coefficients)", run, limit)
		}
		// coeffs is zeroed when allocated and each position is written
		// once, so a run of zeros only has to advance.
		*n += run
	}
}
