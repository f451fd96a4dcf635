package minutiae

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/whorlafis/whorl/minutiae/wsq"
)

// Image is an 8-bit grey fingerprint image and its resolution.
type Image struct {
	// Gray holds the pixels, 0 = black (ridges are dark on a light
	// background). Its bounds always start at (0, 0).
	Gray *image.Gray
	// PPI is the resolution of Gray in pixels per inch: StandardPPI (500)
	// after DecodeImage and NewImage.
	PPI float64
	// SourcePPI is the resolution the input was taken to have, chosen by the
	// rule documented on DecodeImage: the file's when credible, else the
	// caller's, else 500.
	SourcePPI float64
	// FilePPI is the horizontal resolution the file itself states, in pixels
	// per inch, 0 when it states none. It is kept even when it was not
	// believed (a 96 dpi "default", say), so that callers can log or report
	// a file that disagrees with what they were told.
	FilePPI float64
	// Format is where the pixels came from: "png", "jpeg", "bmp", "tiff",
	// "pgm", "wsq", or "raw" for NewImage.
	Format string
}

// Errors that callers may want to tell apart (with errors.Is), for example to
// report which part of a request was wrong. Every error DecodeImage returns
// also says which format and which field or stage failed.
var (
	// ErrUnknownImageFormat: the bytes are not one of the supported formats.
	ErrUnknownImageFormat = errors.New("unknown or unsupported image format")
	// ErrImageTooLarge: the image, as its header states or as it would be
	// after rescaling, exceeds MaxImageSide or MaxImagePixels.
	ErrImageTooLarge = errors.New("image too large")
	// ErrImageResolution: a stated resolution is outside MinPPI..MaxPPI or
	// not a number.
	ErrImageResolution = errors.New("image resolution out of range")
)

// Format names, as they appear in Image.Format and in errors.
const (
	formatPNG  = "png"
	formatJPEG = "jpeg"
	formatBMP  = "bmp"
	formatTIFF = "tiff"
	formatPGM  = "pgm"
	formatWSQ  = "wsq"
	formatRaw  = "raw"
)

// imageHeader is what DecodeImage learns from a file before decoding its
// pixels: enough to refuse it cheaply.
type imageHeader struct {
	width, height int
	res           resolution // what the file states; zero when nothing
}

// imageFormat is one supported input format.
type imageFormat struct {
	name string
	// match reports whether data starts with the format's signature.
	match func(data []byte) bool
	// header reads the dimensions and stated resolution without decoding
	// (and without allocating anything in proportion to the image).
	header func(data []byte) (imageHeader, error)
	// decode decodes the pixels. It is called only after header has passed
	// the size limits.
	decode func(data []byte) (image.Image, error)
	// maxPixelsPerByte is the most pixels a real file of the format can
	// describe per byte of its own length (see checkPixelBudget).
	maxPixelsPerByte int64
}

// imageFormats lists the supported formats. Detection is by signature only,
// never by a file name or a caller's claim, and it does not use the image
// package's global registry, so what is accepted does not change when some
// other package registers a decoder.
var imageFormats = []imageFormat{
	{
		name:   formatPNG,
		match:  func(d []byte) bool { return bytes.HasPrefix(d, []byte("\x89PNG\r\n\x1a\n")) },
		header: stdHeader(png.DecodeConfig, pngResolution),
		decode: func(d []byte) (image.Image, error) { return png.Decode(bytes.NewReader(d)) },
		// Deflate expands at most about 1032 times, and every pixel is at
		// least one byte of the inflated stream at the bit depths that
		// fingerprints use (1-bit PNGs reach 8 times more, and are not worth
		// a budget that lets forged headers through).
		maxPixelsPerByte: 1032,
	},
	{
		name:   formatJPEG,
		match:  func(d []byte) bool { return bytes.HasPrefix(d, []byte{0xFF, 0xD8, 0xFF}) },
		header: stdHeader(jpeg.DecodeConfig, jfifResolution),
		decode: func(d []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(d)) },
		// Every 8 × 8 block of every scan costs at least a DC code and an
		// end-of-block code, two bits at the shortest: 256 pixels a byte,
		// doubled for progressive files' run-length-coded AC scans.
		maxPixelsPerByte: 512,
	},
	{
		name:   formatBMP,
		match:  func(d []byte) bool { return bytes.HasPrefix(d, []byte("BM")) },
		header: stdHeader(bmp.DecodeConfig, bmpResolution),
		decode: func(d []byte) (image.Image, error) { return bmp.Decode(bytes.NewReader(d)) },
		// Uncompressed (the decoder reads no RLE): at least one bit a pixel.
		maxPixelsPerByte: 8,
	},
	{
		name: formatTIFF,
		match: func(d []byte) bool {
			return bytes.HasPrefix(d, []byte("II*\x00")) || bytes.HasPrefix(d, []byte("MM\x00*"))
		},
		header: stdHeader(tiff.DecodeConfig, tiffResolution),
		// Only the first image of a multi-page TIFF is decoded.
		decode: func(d []byte) (image.Image, error) { return tiff.Decode(bytes.NewReader(d)) },
		// LZW's 12-bit codes stand for strings of up to 4096 bytes, about
		// 2730 bytes a byte; bilevel CCITT strips compress blank lines even
		// further, so the budget is generous.
		maxPixelsPerByte: 4096,
	},
	{
		name:   formatPGM,
		match:  isNetpbm,
		header: pgmImageHeader,
		decode: func(d []byte) (image.Image, error) { return decodePGM(d) },
		// Uncompressed: a byte a pixel in P5, two or more in P2.
		maxPixelsPerByte: 1,
	},
	{
		// A WSQ file starts with the SOI marker 0xFF 0xA0 (JPEG's is 0xFF 0xD8).
		name:  formatWSQ,
		match: func(d []byte) bool { return bytes.HasPrefix(d, []byte{0xFF, 0xA0}) },
		header: func(d []byte) (imageHeader, error) {
			w, h, ppi, err := wsq.DecodeConfig(d)
			if err != nil {
				return imageHeader{}, err
			}
			var res resolution
			if ppi > 0 { // the NIST comment's PPI; 0 or -1 mean unknown
				res = resolution{x: float64(ppi), y: float64(ppi)}
			}
			return imageHeader{width: w, height: h, res: res}, nil
		},
		decode: func(d []byte) (image.Image, error) {
			g, _, err := wsq.Decode(d) // the PPI was already read by header
			if err != nil {
				return nil, err
			}
			return g, nil
		},
		// The wsq package checks its own, tighter, budget on the header.
		maxPixelsPerByte: wsq.MaxPixelsPerByte,
	},
}

// stdHeader builds a header function from a decoder's DecodeConfig, which
// reads only the header, and a reader of the format's resolution field.
func stdHeader(config func(r io.Reader) (image.Config, error), res func([]byte) resolution) func([]byte) (imageHeader, error) {
	return func(d []byte) (imageHeader, error) {
		c, err := config(bytes.NewReader(d))
		if err != nil {
			return imageHeader{}, err
		}
		return imageHeader{width: c.Width, height: c.Height, res: res(d)}, nil
	}
}

// detectFormat returns the format whose signature data starts with.
func detectFormat(data []byte) (*imageFormat, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("minutiae: decode image: no bytes: %w", ErrUnknownImageFormat)
	}
	for i := range imageFormats {
		if imageFormats[i].match(data) {
			return &imageFormats[i], nil
		}
	}
	n := min(len(data), 8)
	return nil, fmt.Errorf("minutiae: decode image: first bytes % x match none of PNG, JPEG, BMP, TIFF, PGM, WSQ: %w",
		data[:n], ErrUnknownImageFormat)
}

// DecodeImage detects the format of data from its first bytes (PNG, JPEG,
// BMP, TIFF, PGM or WSQ), decodes it, converts it to 8-bit grey and rescales
// it once to StandardPPI (500 ppi).
//
// # Resolution
//
// The resolution of the input (Image.SourcePPI) is chosen in this order:
//
//  1. The file's own resolution, when it states a credible one: PNG pHYs
//     (in pixels per metre), JPEG JFIF density (dots per inch or cm), BMP
//     pixels per metre, TIFF XResolution with ResolutionUnit, or the PPI of
//     a WSQ file's NIST comment. The file travels with its pixels, and a
//     capture device that writes its resolution knows it. Credible means: in
//     absolute units (not a bare aspect ratio such as JFIF's common 1:1),
//     the same horizontally and vertically (within PPITolerance), and within
//     MinPPI..MaxPPI. That last test rejects what image software writes when
//     it knows nothing, 72 dpi (Mac, GIMP, many JPEG writers) and 96 dpi
//     (Windows), as well as TIFF's "1/1". A value that is not credible is
//     ignored, not an error; Image.FilePPI still reports it.
//  2. Otherwise callerPPI, when it is above 0: the request's resolution
//     field, a booking station's configuration, the scanning resolution of
//     an ANSI/NIST-ITL record. Many files state nothing: none of the FVC2002
//     TIFFs carries a resolution, although DB2 is 569 ppi, so the caller
//     says 569.
//  3. Otherwise StandardPPI: 500 ppi, the resolution of nearly every
//     fingerprint scanner and of the FBI's Appendix F.
//
// A file that states a wrong but credible resolution (an NBIS-made WSQ of a
// DB2 print says 500) is believed; Image.FilePPI and Image.SourcePPI let a
// caller see that its own value was not used.
//
// callerPPI must be 0 or within MinPPI..MaxPPI; anything else (negative, NaN,
// infinite, 50, 10000) is refused with ErrImageResolution.
//
// # Rescaling
//
// When SourcePPI differs from StandardPPI by more than PPITolerance (1%), the
// image is resampled with a Catmull-Rom filter (see rescaleGray) to
// round(width × 500 / SourcePPI) × round(height × 500 / SourcePPI) pixels; a
// 569 ppi FVC2002 DB2 print of 296 × 560 becomes 260 × 492. Within the
// tolerance the pixels are kept as they are and taken to be 500 ppi.
//
// # Grey
//
// Colour converts to grey with the ITU-R 601 luma weights that image/color
// uses (0.299 R + 0.587 G + 0.114 B); 16-bit samples keep their high 8 bits;
// transparent pixels are laid over white, the colour of paper and of a
// platen where no finger touches.
//
// # Untrusted input
//
// The dimensions are read from the header and checked against MaxImageSide
// and MaxImagePixels, and so is the size after rescaling, before any pixel
// is decoded (ErrImageTooLarge). Both are also checked against what the
// file's length can describe in its format (from 1 pixel a byte for PGM to
// 4096 for TIFF, plus 65,536 pixels for any file), so the memory a decode
// takes is bounded by the input's size as well as by the limits. Unknown formats return
// ErrUnknownImageFormat. Every error names the format and the field or
// stage that failed. DecodeImage does not panic.
func DecodeImage(data []byte, callerPPI float64) (*Image, error) {
	if err := checkPPI("caller", callerPPI, true); err != nil {
		return nil, fmt.Errorf("minutiae: decode image: %w", err)
	}
	return decodeImage(data, func(file resolution) float64 { return chooseSourcePPI(callerPPI, file) })
}

// DecodeImageAt is DecodeImage for containers that state the resolution
// themselves, such as the HPS field or scanning resolution of an
// ANSI/NIST-ITL record: ppi is the image's resolution whatever the embedded
// file says (a JPEG inside a 1000 ppi latent record may carry a generic 300
// dpi density). ppi must be within MinPPI..MaxPPI; ppi 0 means the container
// does not know, and DecodeImage's rule applies.
func DecodeImageAt(data []byte, ppi float64) (*Image, error) {
	if err := checkPPI("container", ppi, true); err != nil {
		return nil, fmt.Errorf("minutiae: decode image: %w", err)
	}
	if ppi == 0 {
		return DecodeImage(data, 0)
	}
	return decodeImage(data, func(resolution) float64 { return ppi })
}

// decodeImage is the body of DecodeImage and DecodeImageAt; sourcePPI
// decides the resolution from what the file states.
func decodeImage(data []byte, sourcePPIOf func(file resolution) float64) (*Image, error) {
	f, err := detectFormat(data)
	if err != nil {
		return nil, err
	}
	hdr, err := f.header(data)
	if err != nil {
		return nil, fmt.Errorf("minutiae: decode %s image: header: %w", f.name, err)
	}
	if err := checkImageSize(hdr.width, hdr.height); err != nil {
		return nil, fmt.Errorf("minutiae: decode %s image: header: %w", f.name, err)
	}
	if err := checkPixelBudget(f, hdr.width, hdr.height, len(data)); err != nil {
		return nil, fmt.Errorf("minutiae: decode %s image: header: %w", f.name, err)
	}
	sourcePPI := sourcePPIOf(hdr.res)
	outW, outH, resize := rescaledSize(hdr.width, hdr.height, sourcePPI)
	if err := checkImageSize(outW, outH); err != nil {
		return nil, fmt.Errorf("minutiae: decode %s image: %d × %d at %g ppi rescaled to %d ppi: %w",
			f.name, hdr.width, hdr.height, sourcePPI, StandardPPI, err)
	}
	if err := checkPixelBudget(f, outW, outH, len(data)); err != nil {
		return nil, fmt.Errorf("minutiae: decode %s image: %d × %d at %g ppi rescaled to %d ppi: %w",
			f.name, hdr.width, hdr.height, sourcePPI, StandardPPI, err)
	}

	img, err := f.decode(data)
	if err != nil {
		return nil, fmt.Errorf("minutiae: decode %s image: pixels: %w", f.name, err)
	}
	// The decoder read the header again; it must agree with what was
	// checked, or the limits above would have checked the wrong thing.
	if b := img.Bounds(); b.Dx() != hdr.width || b.Dy() != hdr.height {
		return nil, fmt.Errorf("minutiae: decode %s image: decoded %d × %d pixels, header said %d × %d",
			f.name, b.Dx(), b.Dy(), hdr.width, hdr.height)
	}
	g := toGray(img)
	if resize {
		g = rescaleGray(g, outW, outH)
	}
	return &Image{
		Gray:      g,
		PPI:       StandardPPI,
		SourcePPI: sourcePPI,
		FilePPI:   hdr.res.x,
		Format:    f.name,
	}, nil
}

// NewImage wraps an already decoded grey image, such as the raw pixels of an
// ANSI/NIST-ITL Type-4 record, and rescales it to StandardPPI as DecodeImage
// does. ppi is its resolution: within MinPPI..MaxPPI, or 0 when unknown, in
// which case 500 is assumed. The result never shares pixels with g (the
// pipeline may then modify it freely), and its bounds start at (0, 0)
// whatever g's are. Format is "raw".
func NewImage(g *image.Gray, ppi float64) (*Image, error) {
	if g == nil {
		return nil, errors.New("minutiae: new image: nil image")
	}
	if err := checkPPI("image", ppi, true); err != nil {
		return nil, fmt.Errorf("minutiae: new image: %w", err)
	}
	if ppi == 0 {
		ppi = StandardPPI
	}
	b := g.Bounds()
	if err := checkImageSize(b.Dx(), b.Dy()); err != nil {
		return nil, fmt.Errorf("minutiae: new image: %w", err)
	}
	outW, outH, resize := rescaledSize(b.Dx(), b.Dy(), ppi)
	if err := checkImageSize(outW, outH); err != nil {
		return nil, fmt.Errorf("minutiae: new image: %d × %d at %g ppi rescaled to %d ppi: %w",
			b.Dx(), b.Dy(), ppi, StandardPPI, err)
	}
	// A hand-made image.Gray may have a Pix too short for its bounds;
	// reading it would panic.
	if g.Stride < b.Dx() || (b.Dy() > 1 && g.Stride > len(g.Pix)) ||
		int64(len(g.Pix)) < int64(b.Dy()-1)*int64(g.Stride)+int64(b.Dx()) {
		return nil, fmt.Errorf("minutiae: new image: %d bytes of pixels with stride %d do not cover %d × %d",
			len(g.Pix), g.Stride, b.Dx(), b.Dy())
	}
	out := copyGray(g)
	if resize {
		out = rescaleGray(out, outW, outH)
	}
	return &Image{Gray: out, PPI: StandardPPI, SourcePPI: ppi, Format: formatRaw}, nil
}

// pixelBudgetSlack is the number of pixels any file may describe whatever
// its length: a small image of any content is never refused by
// checkPixelBudget.
const pixelBudgetSlack = 1 << 16

// checkPixelBudget refuses a file that claims, or would be rescaled to, more
// pixels than its own length can describe in its format. The standard
// decoders allocate the whole image (a progressive JPEG every coefficient)
// from the header, before they find that the pixel data is missing, so
// without this a forged 59-byte header within MaxImagePixels would cost
// hundreds of megabytes; with it, memory stays proportional to the input.
func checkPixelBudget(f *imageFormat, w, h, dataLen int) error {
	budget := f.maxPixelsPerByte*int64(dataLen) + pixelBudgetSlack
	if int64(w)*int64(h) > budget {
		return fmt.Errorf("%d × %d pixels from %d bytes: more than a %s file can describe (%d pixels a byte): %w",
			w, h, dataLen, f.name, f.maxPixelsPerByte, ErrImageTooLarge)
	}
	return nil
}

// checkImageSize refuses empty images and images beyond the limits.
func checkImageSize(w, h int) error {
	switch {
	case w <= 0 || h <= 0:
		return fmt.Errorf("empty image: %d × %d pixels", w, h)
	case w > MaxImageSide || h > MaxImageSide:
		return fmt.Errorf("%d × %d pixels: a side exceeds MaxImageSide (%d): %w", w, h, MaxImageSide, ErrImageTooLarge)
	case int64(w)*int64(h) > MaxImagePixels:
		return fmt.Errorf("%d × %d pixels exceeds MaxImagePixels (%d): %w", w, h, MaxImagePixels, ErrImageTooLarge)
	}
	return nil
}

// checkPPI refuses a stated resolution outside MinPPI..MaxPPI. zeroOK lets 0
// through as "not stated".
func checkPPI(who string, ppi float64, zeroOK bool) error {
	if ppi == 0 && zeroOK {
		return nil
	}
	if math.IsNaN(ppi) || ppi < MinPPI || ppi > MaxPPI {
		return fmt.Errorf("%s resolution %g ppi outside %d..%d: %w", who, ppi, MinPPI, MaxPPI, ErrImageResolution)
	}
	return nil
}
