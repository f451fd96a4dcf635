package ansinist

import (
	"math"
	"strconv"
	"strings"

	"github.com/whorlafis/whorl/minutiae"
)

// Limits on the images Read accepts in fingerprint and palm records. They
// bound what decoding an image may allocate, whatever the record claims.
const (
	// MaxImageSide is the largest width or height in pixels: a full palm
	// (8 in) at 2000 ppi.
	MaxImageSide = 16000
	// MaxImagePixels is the largest width × height: a full palm
	// (5.5 in × 8 in) at 1000 ppi, with a margin.
	MaxImagePixels = 64 << 20
)

// Compression is how a record's image data is encoded.
type Compression int

const (
	CompressionNone             Compression = iota // raw pixels, row by row
	CompressionWSQ                                 // FBI WSQ ("WSQ20", Type-4 code 1)
	CompressionJPEG                                // baseline JPEG ("JPEGB", code 2)
	CompressionJPEGLossless                        // lossless JPEG ("JPEGL", code 3)
	CompressionJPEG2000                            // JPEG 2000 ("JP2", code 4)
	CompressionJPEG2000Lossless                    // lossless JPEG 2000 ("JP2L", code 5)
	CompressionPNG                                 // PNG ("PNG", code 6)
	CompressionFacsimile                           // ANSI/EIA-538 facsimile, binary Type-5/6 images
	CompressionUnknown                             // a vendor or unrecognised code
)

var compressionNames = [...]string{"NONE", "WSQ20", "JPEGB", "JPEGL", "JP2", "JP2L", "PNG", "FAX", "unknown"}

// String returns the standard's label for c (Type-13/14 CGA values).
func (c Compression) String() string {
	if c >= 0 && int(c) < len(compressionNames) {
		return compressionNames[c]
	}
	return "Compression(" + strconv.Itoa(int(c)) + ")"
}

// grayCompression maps the one-byte GCA code of a Type-3/4 record (table 15
// of ANSI/NIST-ITL 1-2011; EBTS used 1 for WSQ long before).
func grayCompression(code byte) Compression {
	if code <= 6 {
		return Compression(code)
	}
	return CompressionUnknown
}

// binaryCompression maps the BCA code of a binary-image Type-5/6 record.
func binaryCompression(code byte) Compression {
	switch code {
	case 0:
		return CompressionNone
	case 1:
		return CompressionFacsimile
	}
	return CompressionUnknown
}

// taggedCompression maps the CGA label of a Type-13/14/15 record. "WSQ" is
// the label of the editions before 2011.
func taggedCompression(label string) Compression {
	switch strings.ToUpper(strings.TrimSpace(label)) {
	case "NONE":
		return CompressionNone
	case "WSQ", "WSQ20":
		return CompressionWSQ
	case "JPEGB":
		return CompressionJPEG
	case "JPEGL":
		return CompressionJPEGLossless
	case "JP2":
		return CompressionJPEG2000
	case "JP2L":
		return CompressionJPEG2000Lossless
	case "PNG":
		return CompressionPNG
	}
	return CompressionUnknown
}

// Fingerprint describes one friction-ridge image of a transaction.
type Fingerprint struct {
	// Record is the index of the record in Transaction.Records.
	Record int
	// RecordType is 3, 4, 5, 6 (binary finger images), 13 (latent), 14
	// (variable-resolution fingerprint) or 15 (palm).
	RecordType int
	// IDC links the record to the transaction's CNT field.
	IDC int
	// Positions are the finger (or palm) position codes the image covers,
	// in record order: one for a single finger, more for a slap or an
	// uncertain latent. The model's codes are 0–10; ANSI/NIST adds 11–15
	// (plain thumbs and slaps), 19 (EJI) and 20–38 (palms), which a caller
	// can test with FingerPosition.Valid. Empty when the record names none.
	Positions []minutiae.FingerPosition
	// Impression is the impression type code (IMP).
	Impression minutiae.Impression
	// Width and Height are in pixels, as stored.
	Width, Height int
	// PPI is the resolution in pixels per inch, 0 when the record does not
	// give one (SLC 0, or ISR 1 with no usable NSR).
	PPI float64
	// Compression is how Data is encoded.
	Compression Compression
	// BitsPerPixel is 8 for grey, 1 for the binary Type-5/6 images, or the
	// record's BPX.
	BitsPerPixel int
	// Data is the image data as stored in the record (a slice of the
	// transaction's input).
	Data []byte

	// verticalPPI is a tagged record's vertical resolution (VPS), 0 when
	// it gives none; Image refuses an image whose pixels are not square.
	verticalPPI float64
}

// Fingerprints returns the fingerprint images of the transaction in record
// order: Type-3/4/5/6 finger images, Type-13 latents and Type-14 prints.
func (t *Transaction) Fingerprints() []Fingerprint {
	return t.images(func(typ int) bool { return typ >= 3 && typ <= 6 || typ == 13 || typ == 14 })
}

// Palmprints returns the Type-15 palm images of the transaction, described
// like fingerprints (their Positions are palm codes 20–38).
func (t *Transaction) Palmprints() []Fingerprint {
	return t.images(func(typ int) bool { return typ == 15 })
}

func (t *Transaction) images(want func(int) bool) []Fingerprint {
	var out []Fingerprint
	native := t.nativePPI()
	for i := range t.Records {
		if !want(t.Records[i].Type) {
			continue
		}
		// Read has checked every image record, so an error can only come
		// from Records changed since; such a record is left out.
		if f, ok, err := t.imageAt(i, native); ok && err == nil {
			out = append(out, f)
		}
	}
	return out
}

// imageAt describes record i if it is a friction-ridge image record
// (ok true), with an error saying why the description is impossible.
// native is the transaction's nativePPI.
func (t *Transaction) imageAt(i int, native float64) (f Fingerprint, ok bool, err error) {
	r := &t.Records[i]
	w := where{record: i, typ: r.Type}
	switch {
	case r.Type >= 3 && r.Type <= 6 && r.Binary != nil:
		f, err = t.binaryImage(i, w, native)
	case r.Type >= 13 && r.Type <= 15 && r.Binary == nil:
		f, err = taggedImage(r, i, w)
	default:
		return Fingerprint{}, false, nil
	}
	return f, true, err
}

func (t *Transaction) binaryImage(i int, w where, native float64) (Fingerprint, error) {
	r := &t.Records[i]
	h := r.Binary
	f := Fingerprint{
		Record: i, RecordType: r.Type, IDC: r.IDC,
		Impression: minutiae.Impression(h.IMP),
		Width:      h.HLL, Height: h.VLL,
		Data: r.Data,
	}
	for _, p := range h.FGP {
		if p != 255 {
			f.Positions = append(f.Positions, minutiae.FingerPosition(p))
		}
	}
	if r.Type == 3 || r.Type == 4 {
		f.BitsPerPixel, f.Compression = 8, grayCompression(h.CGA)
	} else {
		f.BitsPerPixel, f.Compression = 1, binaryCompression(h.CGA)
	}
	if h.ISR > 1 {
		return f, w.errorf(r.Offset+12, "ISR", "ISR is %d, want 0 (minimum scanning resolution) or 1 (native)", h.ISR)
	}
	f.PPI = binaryPPI(r.Type, h.ISR, native)
	if err := checkSize(f.Width, f.Height, w, r.Offset+13, "HLL/VLL"); err != nil {
		return f, err
	}
	// Binary-image Type-5/6 data is checked when decoded (see the package
	// documentation).
	if f.BitsPerPixel == 8 && f.Compression == CompressionNone && len(f.Data) != f.Width*f.Height {
		return f, w.errorf(r.Offset+18, "", "uncompressed %d×%d 8-bit image needs %d bytes of data, the record holds %d",
			f.Width, f.Height, f.Width*f.Height, len(f.Data))
	}
	return f, nil
}

// binaryPPI is the resolution of a Type-3/4/5/6 image: the minimum scanning
// resolution (500 ppi) for ISR 0, the native resolution for ISR 1, halved
// for the low-resolution Types 3 and 5.
func binaryPPI(typ int, isr byte, native float64) float64 {
	ppi := float64(minutiae.StandardPPI)
	if isr == 1 {
		ppi = native
	}
	if typ == 3 || typ == 5 {
		ppi /= 2
	}
	return ppi
}

// nativePPI is the native scanning resolution of the Type-1 NSR field
// (1.011, in pixels per mm), 0 when it is missing or not a plausible number.
// It is computed once per transaction, not once per record: a hostile
// Type-1 record may have many fields.
func (t *Transaction) nativePPI() float64 {
	if len(t.Records) == 0 {
		return 0
	}
	if nsr, ok := t.Records[0].Field(11); ok {
		if v, err := strconv.ParseFloat(strings.TrimSpace(nsr.String()), 64); err == nil && v > 0 && v <= 200 {
			return ppmmToPPI(v)
		}
	}
	return 0
}

// ppmmToPPI converts pixels per mm to pixels per inch. The standard writes
// ppmm with two decimals, so 500 ppi is written 19.69 (500.13 ppi): a value
// within that rounding of a whole ppi is that ppi.
func ppmmToPPI(ppmm float64) float64 {
	ppi := ppmm * 25.4
	if r := math.Round(ppi); math.Abs(ppi-r) <= 0.005*25.4 {
		return r
	}
	return ppi
}

func taggedImage(r *Record, i int, w where) (Fingerprint, error) {
	f := Fingerprint{Record: i, RecordType: r.Type, IDC: r.IDC}
	// get returns a mandatory field.
	get := func(n int, name string) (Field, error) {
		fl, ok := r.Field(n)
		if !ok {
			return Field{}, w.errorf(r.Offset, tag(r.Type, n), "mandatory %s field is missing", name)
		}
		return fl, nil
	}
	// num returns a mandatory numeric field.
	num := func(n int, name string, lo, hi int) (int, error) {
		fl, err := get(n, name)
		if err != nil {
			return 0, err
		}
		v, ok := atoi(fl.Value, 9)
		if !ok || v < lo || v > hi {
			return 0, w.errorf(fl.Offset, tag(r.Type, n), "%s %q is not a number in %d..%d", name, preview(fl.Value), lo, hi)
		}
		return v, nil
	}
	imp, err := num(3, "IMP", 0, 255)
	if err != nil {
		return f, err
	}
	f.Impression = minutiae.Impression(imp)
	if f.Width, err = num(6, "HLL", 0, 99999); err != nil {
		return f, err
	}
	if f.Height, err = num(7, "VLL", 0, 99999); err != nil {
		return f, err
	}
	slc, err := num(8, "SLC", 0, 2)
	if err != nil {
		return f, err
	}
	hps, err := num(9, "HPS", 0, 99999)
	if err != nil {
		return f, err
	}
	vps, err := num(10, "VPS", 0, 99999)
	if err != nil {
		return f, err
	}
	switch slc {
	case 1: // pixels per inch
		f.PPI, f.verticalPPI = float64(hps), float64(vps)
	case 2: // pixels per cm
		f.PPI, f.verticalPPI = float64(hps)*2.54, float64(vps)*2.54
	}
	cga, err := get(11, "CGA")
	if err != nil {
		return f, err
	}
	f.Compression = taggedCompression(cga.String())
	if f.BitsPerPixel, err = num(12, "BPX", 1, 48); err != nil {
		return f, err
	}
	fgp, err := get(13, "FGP")
	if err != nil {
		return f, err
	}
	for _, sub := range fgp.Subfields() {
		p, ok := atoi([]byte(sub[0]), 3)
		if !ok || p > 255 {
			return f, w.errorf(fgp.Offset, tag(r.Type, 13), "position %q is not a number in 0..255", sub[0])
		}
		f.Positions = append(f.Positions, minutiae.FingerPosition(p))
	}
	data, err := get(999, "image data")
	if err != nil {
		return f, err
	}
	f.Data = r.Data
	if err := checkSize(f.Width, f.Height, w, r.Offset, tag(r.Type, 6)+"/"+tag(r.Type, 7)); err != nil {
		return f, err
	}
	if f.Compression == CompressionNone {
		if want := rowBytes(f.Width, f.BitsPerPixel) * f.Height; len(f.Data) != want {
			return f, w.errorf(data.Offset, tag(r.Type, 999), "uncompressed %d×%d image of %d bits per pixel needs %d bytes of data, the record holds %d",
				f.Width, f.Height, f.BitsPerPixel, want, len(f.Data))
		}
	}
	return f, nil
}

// rowBytes is the length of one uncompressed row, padded to a whole byte.
func rowBytes(width, bpp int) int { return (width*bpp + 7) / 8 }

func checkSize(width, height int, w where, offset int, field string) error {
	if width < 1 || height < 1 || width > MaxImageSide || height > MaxImageSide {
		return w.errorf(offset, field, "image size %d×%d outside 1..%d pixels a side", width, height, MaxImageSide)
	}
	if width*height > MaxImagePixels {
		return w.errorf(offset, field, "image size %d×%d is more than %d pixels", width, height, MaxImagePixels)
	}
	return nil
}
