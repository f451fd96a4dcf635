package wsq

// Limits on the images Decode, DecodeConfig and Encode accept. WSQ bytes come
// from outside, so the frame header's dimensions are checked against these
// before anything the size of the image is allocated: a 200-byte file
// claiming to be 60,000 × 60,000 pixels is refused at once.
const (
	// MaxWidth and MaxHeight bound each side, in pixels. WSQ is defined for
	// 500 ppi only, so 12,000 pixels is 24 inches: far more than the 8-inch
	// side of a fingerprint card. (The format itself allows 65,535.)
	MaxWidth  = 12000
	MaxHeight = 12000

	// MaxPixels bounds width × height. A whole 8 × 8-inch card at 500 ppi is
	// 16 million pixels. Decoding holds about 11 bytes a pixel at its peak
	// (2 for the quantized coefficients, 4 for the wavelet plane, 4 for the
	// transform's scratch plane, 1 for the output), so one decode at this
	// limit may briefly use about 220 MB.
	MaxPixels = 20_000_000

	// MaxPixelsPerByte bounds how many pixels a file may claim for each byte
	// of its own length. Real WSQ files at the usual bitrate (0.75 bits a
	// pixel) carry about 11 pixels a byte, and nearly blank captures, whose
	// subbands all quantize to nothing, a few hundred; the format could, in
	// principle, describe about 20,000 pixels a byte (one 16-bit zero run of
	// 65,535 coefficients in 3 bytes). 2,048 admits every real file and keeps
	// the memory a forged header can make the decoder allocate within about
	// 23 KB per input byte.
	MaxPixelsPerByte = 2048
)
