package ansinist

import (
	"bytes"
	"fmt"
	"image"

	"github.com/whorlafis/whorl/minutiae"
)

// Image decodes the fingerprint to 8-bit grey rescaled to 500 ppi, through
// the minutiae package: uncompressed pixels with minutiae.NewImage, WSQ,
// PNG and baseline JPEG with minutiae.DecodeImageAt.
//
// The record's resolution is the standard's own statement, so it wins over
// whatever an embedded file says (a JPEG in a 1000 ppi latent record may
// carry a generic 300 dpi density), when it is one minutiae accepts
// (minutiae.MinPPI..MaxPPI). Otherwise (0, unknown, or a stated 96 ppi that
// no fingerprint is captured at) the embedded file's own resolution or 500
// ppi is used, as DecodeImage documents, and Image.SourcePPI tells which.
//
// JPEG 2000, lossless JPEG, facsimile-compressed binary images and vendor
// codes return an error matching ErrUnsupportedCompression. Some Type-5/6
// records hold a TIFF file whatever their compression code says (the WVU
// samples do); such data is decoded as TIFF.
func (f Fingerprint) Image() (*minutiae.Image, error) {
	img, err := f.decode()
	if err != nil {
		return nil, fmt.Errorf("ansinist: record %d (Type-%d, IDC %d): %w", f.Record, f.RecordType, f.IDC, err)
	}
	return img, nil
}

func (f Fingerprint) decode() (*minutiae.Image, error) {
	// Read checked these; a Fingerprint built by hand may not have been,
	// and the length arithmetic below must not overflow.
	if f.Width < 1 || f.Height < 1 || f.Width > MaxImageSide || f.Height > MaxImageSide || f.BitsPerPixel < 1 || f.BitsPerPixel > 48 {
		return nil, fmt.Errorf("image of %d×%d pixels, %d bits per pixel, is outside the limits", f.Width, f.Height, f.BitsPerPixel)
	}
	if f.verticalPPI != 0 && f.verticalPPI != f.PPI {
		return nil, fmt.Errorf("non-square pixels (%g × %g ppi) are not supported", f.PPI, f.verticalPPI)
	}
	ppi := f.PPI
	if ppi < minutiae.MinPPI || ppi > minutiae.MaxPPI {
		ppi = 0 // not credible: let the image or the default decide
	}
	switch f.Compression {
	case CompressionWSQ, CompressionPNG, CompressionJPEG:
		return minutiae.DecodeImageAt(f.Data, ppi)
	case CompressionNone:
		if len(f.Data) == rowBytes(f.Width, f.BitsPerPixel)*f.Height {
			return f.raw(ppi)
		}
		if isTIFF(f.Data) {
			return minutiae.DecodeImageAt(f.Data, ppi)
		}
		return nil, fmt.Errorf("uncompressed %d×%d image of %d bits per pixel needs %d bytes of data, the record holds %d",
			f.Width, f.Height, f.BitsPerPixel, rowBytes(f.Width, f.BitsPerPixel)*f.Height, len(f.Data))
	case CompressionFacsimile:
		if isTIFF(f.Data) {
			return minutiae.DecodeImageAt(f.Data, ppi)
		}
	}
	return nil, fmt.Errorf("%w: %v", ErrUnsupportedCompression, f.Compression)
}

func isTIFF(data []byte) bool {
	return bytes.HasPrefix(data, []byte("II*\x00")) || bytes.HasPrefix(data, []byte("MM\x00*"))
}

// raw wraps uncompressed pixels, whose length matches the size.
func (f Fingerprint) raw(ppi float64) (*minutiae.Image, error) {
	w, h := f.Width, f.Height
	rect := image.Rect(0, 0, w, h)
	if f.BitsPerPixel == 8 {
		// NewImage copies the pixels, so the record's bytes are not shared.
		return minutiae.NewImage(&image.Gray{Pix: f.Data, Stride: w, Rect: rect}, ppi)
	}
	// The other depths need a grey copy: refuse sizes NewImage would refuse
	// before allocating it.
	if w > minutiae.MaxImageSide || h > minutiae.MaxImageSide || w*h > minutiae.MaxImagePixels {
		return nil, fmt.Errorf("%d×%d pixels exceed the image limits (%w)", w, h, minutiae.ErrImageTooLarge)
	}
	g := image.NewGray(rect)
	switch f.BitsPerPixel {
	case 1:
		// Binary images: a set bit is black, rows padded to whole bytes.
		stride := rowBytes(w, 1)
		for y := range h {
			row := f.Data[y*stride:]
			for x := range w {
				if row[x>>3]&(0x80>>(x&7)) == 0 {
					g.Pix[y*w+x] = 255
				}
			}
		}
	case 16:
		// Big-endian samples: keep the high byte.
		for i := range g.Pix {
			g.Pix[i] = f.Data[2*i]
		}
	case 24:
		// RGB: ITU-R 601 luma, as image/color converts.
		for i := range g.Pix {
			r, gr, b := uint32(f.Data[3*i]), uint32(f.Data[3*i+1]), uint32(f.Data[3*i+2])
			g.Pix[i] = uint8((19595*r + 38470*gr + 7471*b + 1<<15) >> 16)
		}
	default:
		return nil, fmt.Errorf("uncompressed images of %d bits per pixel are not supported (1, 8, 16 and 24 are)", f.BitsPerPixel)
	}
	return minutiae.NewImage(g, ppi)
}
