package minutiae

// Limits on the images DecodeImage and NewImage accept. Image bytes come from
// outside (booking stations, examiners, anyone who can reach the API), so
// every size is checked against these limits from the file's header, before
// a single pixel is decoded or allocated: a 200-byte file claiming to be
// 60,000 × 60,000 pixels is refused without allocating anything.
//
// The same limits apply to the image after it has been rescaled to
// StandardPPI, so a small image with a tiny stated resolution cannot be
// blown up into a huge one either.
const (
	// MaxImageSide is the largest width or height in pixels, before and
	// after rescaling. 12,000 pixels is 12 inches at 1000 ppi or 6 inches at
	// 2000 ppi: longer than any fingerprint scanner's platen or the 8-inch
	// side of a fingerprint card. It also keeps every image side within the
	// template's MaxDimension.
	MaxImageSide = 12000

	// MaxImagePixels is the largest width × height, before and after
	// rescaling. The largest inputs a fingerprint service meets are a
	// four-finger slap at 1000 ppi (3.2 × 3 inches, about 10 million
	// pixels), a latent at 1000–2000 ppi (2.5 × 2.5 inches at 2000 ppi is 25
	// million) and a palm at 500 ppi (5.5 × 8 inches, 11 million). The limit
	// is there for memory: while it works, a decoder holds up to about 16
	// bytes a pixel in the worst case (a progressive colour JPEG keeps every
	// coefficient, 4 bytes a pixel and component; an interlaced 16-bit RGBA
	// PNG holds its passes and the image at 8 bytes a pixel each), so one
	// decode at this limit may briefly hold about 400 MB, and an 8-bit grey
	// image about 25 MB. The server's admission control bounds how many
	// decodes run at once.
	MaxImagePixels = 25_000_000

	// MinPPI and MaxPPI bound the resolutions, in pixels per inch, that a
	// caller may state and that are believed when a file states them.
	// Fingerprint capture runs from about 250 ppi (legacy low-resolution
	// records, small sensors) to 1000–2000 ppi (latents); 100 and 5000
	// leave a wide margin while refusing nonsense such as 1 ppi (a TIFF's
	// "1/1") or 10^9 ppi, which would turn a tiny image into a huge one or a
	// large one into a single pixel.
	MinPPI = 100
	MaxPPI = 5000

	// PPITolerance is the relative difference from StandardPPI below which
	// an image is not rescaled: rescaling always blurs a little, and a 1%
	// scale error (5 pixels across a 500-pixel print) is far below the
	// distortion of skin on a platen, which a matcher tolerates anyway. A
	// 508 ppi sensor (20 pixels a millimetre) is 1.6% off and is rescaled.
	PPITolerance = 0.01
)
