package minutiae

import (
	"errors"
	"fmt"
	"image"
)

// PGM is the Netpbm greyscale format (netpbm.sourceforge.net/doc/pgm.html).
// A file is a header of ASCII tokens followed by the raster:
//
//	P5                 magic: P5 binary raster, P2 plain (ASCII) raster
//	# a comment        from '#' to the end of the line, anywhere in the header
//	364 536            width and height, in decimal
//	255                maxval: the value of white, 1..65535
//	<raster>           after exactly one whitespace byte
//
// In a P5 raster each sample is one byte when maxval < 256, else two bytes,
// most significant first; in P2 samples are decimal numbers separated by
// whitespace. 0 is black and maxval is white, as in image.Gray, and samples
// are scaled from 0..maxval to 0..255. Only the first image of a file is read
// (the format allows several in a row). A PGM file carries no resolution.
//
// The parser is written here rather than taken from a library: it is small,
// and every length in it is checked against the limits and the bytes present
// before anything is allocated.

// pgmHeader is what parsePGMHeader reads.
type pgmHeader struct {
	plain         bool // P2: ASCII samples; false for P5: binary samples
	width, height int
	maxval        int
	raster        int // offset in the file of the first raster byte
}

// isNetpbm reports whether d starts like a Netpbm file: 'P', a digit 1–7
// and whitespace. PBM, PPM and PAM are recognised only to refuse them with a
// clear message.
func isNetpbm(d []byte) bool {
	return len(d) >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '7' && (isPGMSpace(d[2]) || d[2] == '#')
}

// isPGMSpace reports whether c is whitespace as Netpbm defines it.
func isPGMSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// parsePGMHeader reads and checks a PGM header. It allocates nothing.
func parsePGMHeader(d []byte) (pgmHeader, error) {
	var h pgmHeader
	if len(d) < 2 || d[0] != 'P' {
		return h, errors.New("pgm: magic: file does not start with P2 or P5")
	}
	switch d[1] {
	case '2':
		h.plain = true
	case '5':
	case '1', '4':
		return h, fmt.Errorf("pgm: magic: P%c is PBM (black and white bitmap): only PGM (P2, P5) is supported: %w",
			d[1], ErrUnknownImageFormat)
	case '3', '6':
		return h, fmt.Errorf("pgm: magic: P%c is PPM (colour): only PGM (P2, P5) is supported: %w",
			d[1], ErrUnknownImageFormat)
	case '7':
		return h, fmt.Errorf("pgm: magic: P7 is PAM: only PGM (P2, P5) is supported: %w", ErrUnknownImageFormat)
	default:
		return h, fmt.Errorf("pgm: magic: %q is not P2 or P5", d[:2])
	}
	p := 2
	if p >= len(d) || !(isPGMSpace(d[p]) || d[p] == '#') {
		return h, errors.New("pgm: magic: not followed by whitespace")
	}
	var err error
	if h.width, p, err = pgmNumber(d, p, "width"); err != nil {
		return h, err
	}
	if h.height, p, err = pgmNumber(d, p, "height"); err != nil {
		return h, err
	}
	if h.maxval, p, err = pgmNumber(d, p, "maxval"); err != nil {
		return h, err
	}
	switch {
	case h.width < 1:
		return h, fmt.Errorf("pgm: width: %d, must be at least 1", h.width)
	case h.height < 1:
		return h, fmt.Errorf("pgm: height: %d, must be at least 1", h.height)
	case h.maxval < 1 || h.maxval > 65535:
		return h, fmt.Errorf("pgm: maxval: %d outside 1..65535", h.maxval)
	}
	// Exactly one whitespace byte separates maxval from the raster (whose
	// first byte may itself be a whitespace value in P5). A comment may come
	// first; the newline that ends it is then the separator.
	if p < len(d) && d[p] == '#' {
		for p < len(d) && d[p] != '\n' && d[p] != '\r' {
			p++
		}
	}
	if p >= len(d) {
		return h, errors.New("pgm: raster: file ends after the header")
	}
	if !isPGMSpace(d[p]) {
		return h, fmt.Errorf("pgm: maxval: followed by %q at byte %d, not whitespace", d[p], p)
	}
	h.raster = p + 1
	return h, nil
}

// pgmNumber skips whitespace and comments from d[p:] and reads a decimal
// number. It returns the number and the offset just after it. field names
// the number in errors. No number above 2^30 can be valid in a file within
// the limits, so such numbers are refused before they can overflow.
func pgmNumber(d []byte, p int, field string) (int, int, error) {
	for p < len(d) {
		if isPGMSpace(d[p]) {
			p++
		} else if d[p] == '#' {
			for p < len(d) && d[p] != '\n' && d[p] != '\r' {
				p++
			}
		} else {
			break
		}
	}
	if p >= len(d) {
		return 0, p, fmt.Errorf("pgm: %s: file ends before it", field)
	}
	start, v := p, 0
	for p < len(d) && d[p] >= '0' && d[p] <= '9' {
		v = v*10 + int(d[p]-'0')
		if v > 1<<30 {
			return 0, p, fmt.Errorf("pgm: %s: number at byte %d too large", field, start)
		}
		p++
	}
	if p == start {
		return 0, p, fmt.Errorf("pgm: %s: expected a decimal number at byte %d, found %q", field, p, d[p])
	}
	return v, p, nil
}

// pgmImageHeader is the imageHeader of a PGM file, for DecodeImage.
func pgmImageHeader(d []byte) (imageHeader, error) {
	h, err := parsePGMHeader(d)
	if err != nil {
		return imageHeader{}, err
	}
	return imageHeader{width: h.width, height: h.height}, nil
}

// decodePGM decodes a P2 or P5 PGM file to 8-bit grey. It checks the size
// against the limits and against the bytes present before it allocates the
// image, so it is safe on untrusted bytes by itself.
func decodePGM(d []byte) (*image.Gray, error) {
	h, err := parsePGMHeader(d)
	if err != nil {
		return nil, err
	}
	if err := checkImageSize(h.width, h.height); err != nil {
		return nil, fmt.Errorf("pgm: header: %w", err)
	}
	n := h.width * h.height // at most MaxImagePixels: no overflow
	raster := d[h.raster:]

	// scale maps a sample in 0..maxval to 0..255, rounding to nearest.
	scale := func(v int) uint8 { return uint8((v*255 + h.maxval/2) / h.maxval) }

	if !h.plain {
		bps := 1 // bytes per sample
		if h.maxval > 255 {
			bps = 2
		}
		if len(raster) < n*bps {
			return nil, fmt.Errorf("pgm: raster: truncated: %d × %d pixels of %d byte(s) need %d bytes, the file has %d",
				h.width, h.height, bps, n*bps, len(raster))
		}
		g := image.NewGray(image.Rect(0, 0, h.width, h.height))
		if h.maxval == 255 {
			copy(g.Pix, raster[:n])
			return g, nil
		}
		for i := range n {
			v := int(raster[i])
			if bps == 2 {
				v = int(raster[2*i])<<8 | int(raster[2*i+1])
			}
			if v > h.maxval {
				return nil, fmt.Errorf("pgm: raster: sample %d at (%d, %d) exceeds maxval %d",
					v, i%h.width, i/h.width, h.maxval)
			}
			g.Pix[i] = scale(v)
		}
		return g, nil
	}

	// P2: each sample takes at least one digit and one separator, except
	// the last: refuse a file too short to hold them all before allocating.
	if len(raster) < 2*n-1 {
		return nil, fmt.Errorf("pgm: raster: truncated: %d × %d plain samples need at least %d bytes, the file has %d",
			h.width, h.height, 2*n-1, len(raster))
	}
	g := image.NewGray(image.Rect(0, 0, h.width, h.height))
	p := h.raster
	for i := range n {
		var v int
		// Comments are not allowed in the raster by the specification, but
		// '#' cannot be mistaken for a sample, so some writers' comments
		// there are skipped rather than refused.
		if v, p, err = pgmNumber(d, p, "raster"); err != nil {
			return nil, fmt.Errorf("%w (sample %d at (%d, %d))", err, i, i%h.width, i/h.width)
		}
		if v > h.maxval {
			return nil, fmt.Errorf("pgm: raster: sample %d at (%d, %d) exceeds maxval %d",
				v, i%h.width, i/h.width, h.maxval)
		}
		g.Pix[i] = scale(v)
	}
	return g, nil
}
