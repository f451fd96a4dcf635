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
	// pixel) carry about 11 pixels a byte, and nearly blank captures up to
	// about 1,400. The format itself sets no bound: subbands that quantize to
	// nothing are not transmitted at all, so a blank 4000 × 4000 image needs
	// no more bytes than a blank 400 × 400 one. 2,048 admits every real
	// print and keeps the memory a forged header can make the decoder
	// allocate within about 23 KB per input byte. Encode pads the files of
	// blank images with a comment segment so that they stay within it;
	// another encoder's blank image beyond it is refused.
	MaxPixelsPerByte = 2048
)
