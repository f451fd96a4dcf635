package minutiae

import (
	"bytes"
	"encoding/binary"
	"math"
)

// This file reads the resolution an image file states, and decides whether
// to believe it. The readers never fail: a resolution field that is absent,
// truncated or malformed is simply "no resolution" (the zero value), and it
// is left to the pixel decoder to complain about a broken file.

// resolution is what a file states, in pixels per inch; 0 when it states
// nothing in absolute units.
type resolution struct {
	x, y float64
}

const (
	inchesPerMetre = 1 / 0.0254
	inchesPerCm    = 1 / 2.54
)

// near reports whether a and b differ by at most PPITolerance relative to b.
func near(a, b float64) bool {
	return math.Abs(a-b) <= PPITolerance*b
}

// credible reports whether a stated resolution is to be believed (see
// DecodeImage): stated in absolute units, with square pixels, and within
// MinPPI..MaxPPI. The last test is what rejects the values general-purpose
// software writes when it knows nothing, 72 dpi (Mac, GIMP, many JPEG
// writers) and 96 dpi (Windows, .NET: 3780 pixels a metre), and TIFF's
// meaningless 1/1.
func (r resolution) credible() bool {
	return r.x > 0 && r.y > 0 && near(r.y, r.x) && r.x >= MinPPI && r.x <= MaxPPI
}

// chooseSourcePPI applies the rule documented on DecodeImage: the file's
// resolution when credible, else the caller's, else StandardPPI. callerPPI has
// already been checked to be 0 or within MinPPI..MaxPPI.
func chooseSourcePPI(callerPPI float64, file resolution) float64 {
	switch {
	case file.credible():
		return file.x
	case callerPPI > 0:
		return callerPPI
	default:
		return StandardPPI
	}
}

// pngResolution reads the pHYs chunk of a PNG file: pixels per unit on x and
// y, and a unit byte that is 1 for the metre or 0 for "aspect ratio only".
// pHYs must come before the first IDAT chunk, so the walk stops there.
func pngResolution(d []byte) resolution {
	p := 8 // the signature
	for p+8 <= len(d) {
		n := uint64(binary.BigEndian.Uint32(d[p:]))
		typ := string(d[p+4 : p+8])
		if uint64(p)+12+n > uint64(len(d)) { // length, type, data, CRC
			return resolution{}
		}
		switch typ {
		case "pHYs":
			c := d[p+8 : p+8+int(n)]
			if n != 9 || c[8] != 1 {
				return resolution{}
			}
			return resolution{
				x: float64(binary.BigEndian.Uint32(c[0:])) / inchesPerMetre,
				y: float64(binary.BigEndian.Uint32(c[4:])) / inchesPerMetre,
			}
		case "IDAT", "IEND":
			return resolution{}
		}
		p += 12 + int(n)
	}
	return resolution{}
}

// jfifResolution reads the density of a JPEG file's JFIF APP0 segment:
// units 1 = dots per inch, 2 = dots per cm, 0 = aspect ratio only (the
// common "1:1", which says nothing about resolution). The walk stops at the
// first scan. EXIF resolution tags are not read: cameras and phones fill them
// with 72 dpi, which would not be believed anyway.
func jfifResolution(d []byte) resolution {
	p := 2 // SOI
	for p+4 <= len(d) {
		if d[p] != 0xFF {
			return resolution{}
		}
		m := d[p+1]
		switch {
		case m == 0xFF: // fill byte before a marker
			p++
			continue
		case m == 0xDA || m == 0xD9: // start of scan, end of image
			return resolution{}
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // markers without a length
			p += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(d[p+2:])) // counts itself
		if n < 2 || p+2+n > len(d) {
			return resolution{}
		}
		seg := d[p+4 : p+2+n]
		if m == 0xE0 && len(seg) >= 12 && bytes.HasPrefix(seg, []byte("JFIF\x00")) {
			x := float64(binary.BigEndian.Uint16(seg[8:]))
			y := float64(binary.BigEndian.Uint16(seg[10:]))
			switch seg[7] {
			case 1:
				return resolution{x: x, y: y}
			case 2:
				return resolution{x: x / inchesPerCm, y: y / inchesPerCm}
			}
			return resolution{}
		}
		p += 2 + n
	}
	return resolution{}
}

// bmpResolution reads biXPelsPerMeter and biYPelsPerMeter of a BMP file's
// info header (at offsets 38 and 42; the old 12-byte OS/2 header has none).
// 0 means unknown, and is what most writers put.
func bmpResolution(d []byte) resolution {
	if len(d) < 46 || binary.LittleEndian.Uint32(d[14:]) < 40 {
		return resolution{}
	}
	x := int32(binary.LittleEndian.Uint32(d[38:]))
	y := int32(binary.LittleEndian.Uint32(d[42:]))
	if x <= 0 || y <= 0 {
		return resolution{}
	}
	return resolution{x: float64(x) / inchesPerMetre, y: float64(y) / inchesPerMetre}
}

// TIFF tags and types read by tiffResolution.
const (
	tiffTagXResolution    = 282
	tiffTagYResolution    = 283
	tiffTagResolutionUnit = 296
	tiffTypeShort         = 3
	tiffTypeRational      = 5
)

// tiffResolution reads XResolution, YResolution (RATIONALs) and
// ResolutionUnit (1 = none, 2 = inch, the default when absent, 3 = cm) from
// the first image file directory of a TIFF file.
func tiffResolution(d []byte) resolution {
	if len(d) < 8 {
		return resolution{}
	}
	var bo binary.ByteOrder
	switch string(d[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return resolution{}
	}
	if bo.Uint16(d[2:]) != 42 {
		return resolution{}
	}
	size := uint64(len(d))
	ifd := uint64(bo.Uint32(d[4:]))
	if ifd+2 > size {
		return resolution{}
	}
	entries := uint64(bo.Uint16(d[ifd:]))
	if ifd+2+12*entries > size {
		return resolution{}
	}
	// rational reads the RATIONAL an entry points to; 0 when malformed.
	rational := func(e []byte) float64 {
		if bo.Uint16(e[2:]) != tiffTypeRational || bo.Uint32(e[4:]) < 1 {
			return 0
		}
		off := uint64(bo.Uint32(e[8:]))
		if off+8 > size {
			return 0
		}
		num, den := bo.Uint32(d[off:]), bo.Uint32(d[off+4:])
		if den == 0 {
			return 0
		}
		return float64(num) / float64(den)
	}
	var x, y float64
	unit := uint16(2)
	for i := range entries {
		e := d[ifd+2+12*i : ifd+2+12*(i+1)]
		switch bo.Uint16(e) {
		case tiffTagXResolution:
			x = rational(e)
		case tiffTagYResolution:
			y = rational(e)
		case tiffTagResolutionUnit:
			if bo.Uint16(e[2:]) == tiffTypeShort {
				unit = bo.Uint16(e[8:])
			}
		}
	}
	if y == 0 {
		y = x // YResolution is required with XResolution; assume square pixels
	}
	switch unit {
	case 2:
		return resolution{x: x, y: y}
	case 3:
		return resolution{x: x / inchesPerCm, y: y / inchesPerCm}
	}
	return resolution{}
}
