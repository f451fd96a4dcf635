package wsq

import (
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"strconv"
)

// DefaultBitrate is the bitrate Encode uses when EncodeOptions.Bitrate is
// 0: 0.75 bits a pixel, the FBI's setting for 500 ppi prints (about 15:1),
// and NBIS cwsq's usual one.
const DefaultBitrate = 0.75

// MaxBitrate is the largest bitrate Encode accepts: 8 bits a pixel is the
// size of the raw image, and beyond it the quantizer's bins become too
// narrow for the format's 16-bit coefficients.
const MaxBitrate = 8

// DefaultPPI is the resolution Encode writes when EncodeOptions.PPI is 0:
// WSQ is defined for 500 ppi images.
const DefaultPPI = 500

// EncodeOptions are the parameters of Encode. A nil *EncodeOptions means all
// defaults.
type EncodeOptions struct {
	// Bitrate is the target compressed size in bits a pixel, in (0,
	// MaxBitrate]; 0 means DefaultBitrate. The result lands near it, not on
	// it (the specification's rate control is an estimate).
	Bitrate float64

	// PPI is the scan resolution written in the file's NIST comment; 0
	// means DefaultPPI.
	PPI int
}

// Encode writes img as WSQ to w. The image must be at least 65 pixels on
// each side (the wavelet tree's smallest lines must fit the 9-tap filter)
// and within MaxWidth, MaxHeight and MaxPixels.
//
// The file has the layout NIST's cwsq writes: SOI, a NIST comment (size,
// PPI, bitrate), the transform, quantization and frame headers, then block
// 1 with its own Huffman table and blocks 2 and 3 sharing a second one.
func Encode(w io.Writer, img *image.Gray, opts *EncodeOptions) error {
	bitrate, ppi := DefaultBitrate, DefaultPPI
	if opts != nil {
		if opts.Bitrate != 0 {
			bitrate = opts.Bitrate
		}
		if opts.PPI != 0 {
			ppi = opts.PPI
		}
	}
	if !(bitrate > 0 && bitrate <= MaxBitrate) {
		return fmt.Errorf("wsq: encode: bitrate %g bits a pixel is outside (0, %d]", bitrate, MaxBitrate)
	}
	if ppi < 0 || ppi > 1e6 {
		return fmt.Errorf("wsq: encode: ppi %d is not a resolution", ppi)
	}
	if img == nil {
		return errors.New("wsq: encode: nil image")
	}
	width, height := img.Rect.Dx(), img.Rect.Dy()
	switch {
	case width < minEncodeSide || height < minEncodeSide:
		return fmt.Errorf("wsq: encode: image is %d × %d pixels; WSQ needs at least %d on each side", width, height, minEncodeSide)
	case width > MaxWidth || height > MaxHeight || width*height > MaxPixels:
		return fmt.Errorf("wsq: encode: image is %d × %d pixels, beyond the limits (%d × %d, %d pixels)", width, height, MaxWidth, MaxHeight, MaxPixels)
	case img.Stride < width || len(img.Pix) < (height-1)*img.Stride+width:
		return fmt.Errorf("wsq: encode: image's Pix (%d bytes, stride %d) is too small for %d × %d pixels", len(img.Pix), img.Stride, width, height)
	}

	// Stage 1: pixels to floats, centred on the mean and scaled to ±128.
	f, mShift, rScale := toFloats(img, width, height)

	// Stage 2: the forward wavelet transform.
	t := buildTrees(width, height)
	if err := decompose(f, make([]float32, width*height), width, t); err != nil {
		return fmt.Errorf("wsq: encode: %v", err)
	}

	// Stage 3: quantization.
	v := subbandVariances(f, width, t)
	bins := chooseBinWidths(&v, float32(bitrate))
	coeffs, blockLen := quantize(f, width, t, bins)
	f = nil

	// Stage 4: the file.
	out := make([]byte, 0, int(float64(width*height)*bitrate/8)+1024)
	out = appendU16(out, markerSOI)
	out = appendComment(out, nistComment(width, height, ppi, float32(bitrate)))
	afterComment := len(out)
	out = appendTransformTable(out)
	out = appendQuantTable(out, bins)
	out = appendFrameHeader(out, width, height, mShift, rScale)

	block1 := coeffs[:blockLen[0]]
	block2 := coeffs[blockLen[0] : blockLen[0]+blockLen[1]]
	block3 := coeffs[blockLen[0]+blockLen[1]:]

	table0 := newHuffEncoder(categoryCounts(block1))
	out = appendHuffmanTable(out, 0, table0)
	out = appendBlock(out, 0, table0, block1)

	freq := categoryCounts(block2)
	for i, n := range categoryCounts(block3) {
		freq[i] += n
	}
	table1 := newHuffEncoder(freq)
	out = appendHuffmanTable(out, 1, table1)
	out = appendBlock(out, 1, table1, block2)
	out = appendBlock(out, 1, table1, block3)

	out = appendU16(out, markerEOI)
	out = padForDecoders(out, afterComment, int64(width)*int64(height))
	_, err := w.Write(out)
	return err
}

// padForDecoders makes a file that describes more than MaxPixelsPerByte
// pixels a byte long enough for Decode to accept, by inserting a comment
// segment of filler at pos. Only nearly blank images need it: their subbands
// quantize to nothing and are not transmitted, so a blank 4000 × 4000 image
// takes as few bytes as a blank 400 × 400 one, while Decode refuses such
// ratios as the mark of a forged header (see MaxPixelsPerByte).
func padForDecoders(out []byte, pos int, pixels int64) []byte {
	const segmentOverhead = 4 // COM marker and length
	const maxText = 0xFFFF - 2
	need := (pixels+MaxPixelsPerByte-1)/MaxPixelsPerByte - int64(len(out))
	if need <= 0 {
		return out
	}
	var pad []byte
	for need > 0 {
		n := min(max(need-segmentOverhead, 1), maxText)
		text := []byte("WHORL_PADDING nearly blank image, padded to the decoders' pixels-a-byte bound")
		for int64(len(text)) < n {
			text = append(text, ' ')
		}
		pad = appendComment(pad, string(text[:n]))
		need -= n + segmentOverhead
	}
	padded := make([]byte, 0, len(out)+len(pad))
	padded = append(padded, out[:pos]...)
	padded = append(padded, pad...)
	return append(padded, out[pos:]...)
}

// toFloats converts the pixels as NBIS's conv_img_2_flt does: the shift is
// the mean, the scale makes the larger of (mean − darkest) and (brightest −
// mean) equal 128. A flat image (scale 0) keeps scale 1: all its
// coefficients are 0 and it decodes to the mean.
func toFloats(img *image.Gray, width, height int) (f []float32, mShift, rScale float32) {
	var sum uint64
	low, high := 255, 0
	for y := 0; y < height; y++ {
		for _, p := range img.Pix[y*img.Stride : y*img.Stride+width] {
			sum += uint64(p)
			low, high = min(low, int(p)), max(high, int(p))
		}
	}
	mShift = float32(sum) / float32(width*height)
	lowDiff, highDiff := mShift-float32(low), float32(high)-mShift
	rScale = highDiff
	if lowDiff >= highDiff {
		rScale = lowDiff
	}
	rScale /= 128
	if rScale == 0 {
		rScale = 1
	}
	f = make([]float32, width*height)
	for y := 0; y < height; y++ {
		row := f[y*width : (y+1)*width]
		for x, p := range img.Pix[y*img.Stride : y*img.Stride+width] {
			row[x] = (float32(p) - mShift) / rScale
		}
	}
	return f, mShift, rScale
}

// categoryCounts counts the categories a block's coefficients code to.
func categoryCounts(coeffs []int16) *[256]int {
	var freq [256]int
	categorize(coeffs, func(cat int, _ uint32, _ uint) { freq[cat]++ })
	return &freq
}

// appendBlock appends a block: SOB, its header (the Huffman table id), and
// its coded coefficients.
func appendBlock(out []byte, table byte, e *huffEncoder, coeffs []int16) []byte {
	out = appendU16(out, markerSOB)
	out = appendU16(out, 3)
	out = append(out, table)
	bw := bitWriter{buf: out}
	categorize(coeffs, func(cat int, extra uint32, extraBits uint) {
		bw.write(uint32(e.code[cat]), uint(e.size[cat]))
		if extraBits > 0 {
			bw.write(extra, extraBits)
		}
	})
	bw.flush()
	return bw.buf
}

func appendU16(out []byte, v uint16) []byte {
	return append(out, byte(v>>8), byte(v))
}

func appendU32(out []byte, v uint32) []byte {
	return append(out, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// nistComment is the NISTCOM comment NBIS's cwsq writes.
func nistComment(width, height, ppi int, bitrate float32) string {
	return "NIST_COM 9\n" +
		"PIX_WIDTH " + strconv.Itoa(width) + "\n" +
		"PIX_HEIGHT " + strconv.Itoa(height) + "\n" +
		"PIX_DEPTH 8\n" +
		"PPI " + strconv.Itoa(ppi) + "\n" +
		"LOSSY 1\n" +
		"COLORSPACE GRAY\n" +
		"COMPRESSION WSQ\n" +
		"WSQ_BITRATE " + strconv.FormatFloat(float64(bitrate), 'f', 6, 64)
}

func appendComment(out []byte, text string) []byte {
	out = appendU16(out, markerCOM)
	out = appendU16(out, uint16(len(text)+2))
	return append(out, text...)
}

// cRound is NBIS's sround: round half away from zero, then truncate.
func cRound(x float64) float64 {
	if x < 0 {
		return math.Trunc(x - 0.5)
	}
	return math.Trunc(x + 0.5)
}

// decimal16 writes f ≥ 0 as an exponent e and a 16-bit v with f ≈ v/10^e,
// the way NBIS does for the DQT and SOF (multiplying by 10 in float32 until
// the value reaches 65535, then backing off one digit). f must be < 65535.
func decimal16(f float32) (e byte, v uint16) {
	if f == 0 {
		return 0, 0
	}
	n := 0
	for f < 65535 {
		n++
		f = f * 10
	}
	return byte(n - 1), uint16(cRound(float64(f) / 10.0))
}

// appendTransformTable writes the DTT of the analysis filters: their sizes,
// then the right half of each, centre first, as sign, exponent and a 32-bit
// integer (NBIS scales in float32 by 10 until the value reaches 2^32 − 1).
func appendTransformTable(out []byte) []byte {
	out = appendU16(out, markerDTT)
	out = appendU16(out, uint16(2+2+6*((len(analysisLo)+1)/2+(len(analysisHi)+1)/2)))
	out = append(out, byte(len(analysisLo)), byte(len(analysisHi)))
	for _, filter := range [][]float32{analysisLo[:], analysisHi[:]} {
		for _, c := range filter[len(filter)/2:] {
			var sign, exp byte
			if c < 0 {
				sign, c = 1, -c
			}
			var v uint32
			if c != 0 {
				n := 0
				for float64(c) < 4294967295.0 {
					n++
					c = float32(float64(c) * 10.0)
				}
				exp = byte(n - 1)
				v = uint32(cRound(float64(c) / 10.0))
			}
			out = append(out, sign, exp)
			out = appendU32(out, v)
		}
	}
	return out
}

// appendQuantTable writes the DQT: the bin centre 0.44, then each of the 64
// subbands' bin and zero-bin widths (0 for the last 4 and for uncoded ones).
func appendQuantTable(out []byte, b *binWidths) []byte {
	out = appendU16(out, markerDQT)
	out = appendU16(out, 2+3+numQSubbands*6)
	out = append(out, 2)
	out = appendU16(out, 44)
	for k := 0; k < numQSubbands; k++ {
		var qe, ze byte
		var qv, zv uint16
		if k < numSubbands && b.q[k] != 0 {
			qe, qv = decimal16(b.q[k])
			ze, zv = decimal16(b.z[k])
		}
		out = append(out, qe)
		out = appendU16(out, qv)
		out = append(out, ze)
		out = appendU16(out, zv)
	}
	return out
}

// appendFrameHeader writes the SOF: black 0, white 255, the size, the shift
// and scale, encoder 2 and software 0, as NBIS does.
func appendFrameHeader(out []byte, width, height int, mShift, rScale float32) []byte {
	out = appendU16(out, markerSOF)
	out = appendU16(out, 17)
	out = append(out, 0, 255)
	out = appendU16(out, uint16(height))
	out = appendU16(out, uint16(width))
	e, v := decimal16(mShift)
	out = append(out, e)
	out = appendU16(out, v)
	e, v = decimal16(rScale)
	out = append(out, e)
	out = appendU16(out, v)
	out = append(out, 2)
	return appendU16(out, 0)
}

// appendHuffmanTable writes a DHT segment with one table.
func appendHuffmanTable(out []byte, id byte, e *huffEncoder) []byte {
	out = appendU16(out, markerDHT)
	out = appendU16(out, uint16(2+1+maxHuffBits+len(e.values)))
	out = append(out, id)
	out = append(out, e.counts[:]...)
	return append(out, e.values...)
}
