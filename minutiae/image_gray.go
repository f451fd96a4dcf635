package minutiae

import (
	"image"
	"image/color"
)

// toGray converts any decoded image to 8-bit grey with bounds at (0, 0).
//
// Every pixel goes through the same arithmetic, lumaOverWhite, whatever the
// decoder's pixel type; the type switch only avoids calling At (an interface
// call per pixel) for the types the decoders actually return. A grey image
// whose bounds already start at (0, 0) is returned as it is: the decoders
// allocated it for us alone.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	if g, ok := img.(*image.Gray); ok && b.Min == (image.Point{}) {
		return g
	}
	w, h := b.Dx(), b.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	switch src := img.(type) {
	case *image.Gray:
		for y := range h {
			copy(out.Pix[y*out.Stride:y*out.Stride+w], src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.Gray16:
		for y := range h {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				out.Pix[y*out.Stride+x] = row[2*x] // the high byte, as color.GrayModel keeps
			}
		}
	case *image.YCbCr:
		// Y is the ITU-R 601 luma of the pixel already (JFIF defines its
		// colour space that way), so the chroma planes are not needed.
		// Converting to RGB and back would only add rounding.
		for y := range h {
			row := src.Y[src.YOffset(b.Min.X, b.Min.Y+y):]
			copy(out.Pix[y*out.Stride:y*out.Stride+w], row[:w])
		}
	case *image.RGBA:
		for y := range h {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				c := color.RGBA{row[4*x], row[4*x+1], row[4*x+2], row[4*x+3]}
				out.Pix[y*out.Stride+x] = lumaOverWhite(c.RGBA())
			}
		}
	case *image.NRGBA:
		for y := range h {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				c := color.NRGBA{row[4*x], row[4*x+1], row[4*x+2], row[4*x+3]}
				out.Pix[y*out.Stride+x] = lumaOverWhite(c.RGBA())
			}
		}
	case *image.Paletted:
		// One conversion per palette entry. An index beyond the palette
		// (which the decoders refuse, but the type allows) reads as black
		// instead of panicking.
		var lut [256]uint8
		for i, c := range src.Palette {
			if i < len(lut) && c != nil {
				lut[i] = lumaOverWhite(c.RGBA())
			}
		}
		for y := range h {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				out.Pix[y*out.Stride+x] = lut[row[x]]
			}
		}
	default: // Gray16 aside, the 16-bit and CMYK types: rare, so the slow path
		for y := range h {
			for x := range w {
				out.Pix[y*out.Stride+x] = lumaOverWhite(img.At(b.Min.X+x, b.Min.Y+y).RGBA())
			}
		}
	}
	return out
}

// lumaOverWhite lays an alpha-premultiplied 16-bit colour over white and
// returns its 8-bit ITU-R 601 luma, with the weights and rounding of
// color.GrayModel (to which it is identical for opaque colours).
func lumaOverWhite(r, g, b, a uint32) uint8 {
	bg := 0xffff - a // the share of white showing through
	r, g, b = r+bg, g+bg, b+bg
	y := (19595*r + 38470*g + 7471*b + 1<<15) >> 24
	return uint8(y)
}

// copyGray returns a copy of g with bounds at (0, 0).
func copyGray(g *image.Gray) *image.Gray {
	b := g.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		copy(out.Pix[y*out.Stride:(y+1)*out.Stride], g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):])
	}
	return out
}
