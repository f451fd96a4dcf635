package wsq

import "sort"

// The encoder's side of entropy coding (huffman.go has the format): turning
// coefficients into categories, building an optimal length-limited Huffman
// code for a block's category counts (the procedure of Annex K.2–K.3 of the
// JPEG standard, ITU-T T.81, which WSQ borrows), and writing the bits.

const (
	maxCoeffInTable = 74 // coefficients −73..74 have categories of their own
	reservedSymbol  = 256
)

// categorize turns coefficients into categories (with their extra bits),
// calling emit for each, in the specification's way: zero runs up to 65,535
// long, escapes for coefficients outside −73..74.
func categorize(coeffs []int16, emit func(cat int, extra uint32, extraBits uint)) {
	coeff := func(p int) {
		switch {
		case p > maxCoeffInTable && p > 255:
			emit(catPos16, uint32(p), 16)
		case p > maxCoeffInTable:
			emit(catPos8, uint32(p), 8)
		case p < 1-maxCoeffInTable && p < -255:
			emit(catNeg16, uint32(-p), 16)
		case p < 1-maxCoeffInTable:
			emit(catNeg8, uint32(-p), 8)
		default:
			emit(p+catCoeffBias, 0, 0)
		}
	}
	run := func(n int) {
		switch {
		case n <= catMaxZeroRun:
			emit(n, 0, 0)
		case n <= 0xFF:
			emit(catZeroRun8, uint32(n), 8)
		default:
			emit(catZeroRun16, uint32(n), 16)
		}
	}
	zeros := 0 // length of the current zero run; 0 when not in one
	for _, c := range coeffs {
		p := int(c)
		if p == 0 && zeros < 0xFFFF {
			zeros++
			continue
		}
		if zeros > 0 {
			run(zeros)
			zeros = 0
		}
		if p == 0 { // a run reached 65,535: this zero starts the next one
			zeros = 1
			continue
		}
		coeff(p)
	}
	if zeros > 0 {
		run(zeros)
	}
}

// huffEncoder is a Huffman table as written in a DHT segment, with each
// category's code.
type huffEncoder struct {
	counts [maxHuffBits]byte // number of codes of each length 1..16
	values []byte            // categories in code order
	code   [256]uint16
	size   [256]uint8 // 0: the category does not occur
}

// newHuffEncoder builds the code for the category frequencies freq.
func newHuffEncoder(freq *[256]int) *huffEncoder {
	// Code sizes by Huffman's procedure (K.2), over the categories plus a
	// reserved symbol of frequency 1 whose code, the longest and all ones,
	// is removed afterwards so that no real code is all ones.
	var f [257]int
	copy(f[:], freq[:])
	f[reservedSymbol] = 1
	var size [257]int
	var next [257]int // the chains of symbols merged into one tree node
	for i := range next {
		next[i] = -1
	}
	for {
		// v1, v2: the two least frequent nodes; ties go to the larger
		// symbol, as in the standard's reference implementations.
		v1, v2 := -1, -1
		for i := range f {
			if f[i] == 0 {
				continue
			}
			switch {
			case v1 < 0 || f[i] <= f[v1]:
				v1, v2 = i, v1
			case v2 < 0 || f[i] <= f[v2]:
				v2 = i
			}
		}
		if v2 < 0 {
			break
		}
		f[v1] += f[v2]
		f[v2] = 0
		for size[v1]++; next[v1] >= 0; size[v1]++ {
			v1 = next[v1]
		}
		next[v1] = v2
		for size[v2]++; next[v2] >= 0; size[v2]++ {
			v2 = next[v2]
		}
	}

	// Count the codes of each length, then limit lengths to 16 (K.3): take
	// two codes from the longest length, put one a bit shorter and pair the
	// other with a shorter code made one bit longer.
	var bits [2*maxHuffBits + 2]int
	for _, s := range size {
		if s > 0 {
			bits[s]++
		}
	}
	for i := len(bits) - 1; i > maxHuffBits; i-- {
		for bits[i] > 0 {
			j := i - 2
			for bits[j] == 0 {
				j--
			}
			bits[i] -= 2
			bits[i-1]++
			bits[j+1] += 2
			bits[j]--
		}
	}
	// Remove the reserved symbol's code, the longest one.
	for i := maxHuffBits; i > 0; i-- {
		if bits[i] > 0 {
			bits[i]--
			break
		}
	}

	// The values: categories by code size, then by category (K.4 sorts by
	// the sizes before limiting; the limited codes are assigned in that
	// order).
	e := new(huffEncoder)
	for i := 0; i < 256; i++ {
		if size[i] > 0 {
			e.values = append(e.values, byte(i))
		}
	}
	sort.SliceStable(e.values, func(a, b int) bool { return size[e.values[a]] < size[e.values[b]] })
	for l := 1; l <= maxHuffBits; l++ {
		e.counts[l-1] = byte(bits[l])
	}

	// Canonical codes (C.2) in the values' order.
	code, k := uint16(0), 0
	for l := 1; l <= maxHuffBits; l++ {
		for n := 0; n < bits[l]; n++ {
			v := e.values[k]
			e.code[v], e.size[v] = code, uint8(l)
			code++
			k++
		}
		code <<= 1
	}
	return e
}

// bitWriter writes codes most significant bit first, stuffing a 0x00 after
// every 0xFF byte.
type bitWriter struct {
	buf   []byte
	acc   uint32 // pending bits, in the low n bits
	nbits uint
}

func (w *bitWriter) write(v uint32, n uint) {
	for n > 0 {
		take := min(n, 8)
		n -= take
		w.acc = w.acc<<take | (v>>n)&(1<<take-1)
		w.nbits += take
		if w.nbits >= 8 {
			w.nbits -= 8
			b := byte(w.acc >> w.nbits)
			w.buf = append(w.buf, b)
			if b == 0xFF {
				w.buf = append(w.buf, 0x00)
			}
			w.acc &= 1<<w.nbits - 1
		}
	}
}

// flush pads the last byte with 1 bits.
func (w *bitWriter) flush() {
	if w.nbits > 0 {
		w.write(1<<(8-w.nbits)-1, 8-w.nbits)
	}
}
