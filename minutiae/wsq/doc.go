// Package wsq reads and writes WSQ, the FBI's Wavelet Scalar Quantization
// codec for 8-bit grey fingerprint images scanned at 500 ppi. Booking
// stations send tenprints as WSQ (usually inside ANSI/NIST-ITL Type-4 and
// Type-14 records), so this package is where those bytes become pixels.
//
// The package owns the codec and nothing else: Decode turns WSQ bytes into an
// *image.Gray and the resolution its NIST comment states; DecodeConfig reads
// only the header; Encode writes WSQ. It imports only the standard library, so
// that package minutiae, which owns image decoding in general, can use it.
//
// # Specification and reference
//
// The code follows "WSQ Gray-scale Fingerprint Image Compression
// Specification" (FBI CJIS, IAFIS-IC-0110, version 3.1). Its decoder is
// bit-exact with NIST's reference implementation in NBIS (NIST Biometric
// Image Software, public domain), whose `dwsq` produced the reference decodes
// the tests compare against pixel for pixel. The two agree only because the
// arithmetic mirrors NBIS exactly: every value NBIS keeps in a C float is a
// float32 here, rounded after each operation in the same order, and where NBIS
// mixes in a double (a literal such as 2.0 or 10.0) the operation is done in
// float64 and rounded back, as C does. Go may fuse a*b+c into one
// fused multiply-add (it does on arm64, and on amd64 with GOAMD64=v3), which
// rounds once instead of twice; the explicit float32(...) conversions around
// products forbid that. They are not redundant: removing one can change
// pixels.
//
// # Stages
//
// A WSQ file is a sequence of marker segments, like JPEG's:
//
//	SOI, tables (DTT, DQT, DHT) and comments (COM), SOF, then blocks:
//	SOB + Huffman-coded data, with more tables or comments between blocks,
//	and finally EOI.
//
// Decoding runs through the files of this package in order:
//
//	markers.go   the byte reader, marker segments and the tables they carry
//	huffman.go   Huffman tables and the entropy-coded blocks → quantized coefficients
//	tree.go      the fixed wavelet decomposition: where each of the 64 subbands lies
//	quant.go     quantized coefficients → wavelet coefficients (and back, for Encode)
//	wavelet.go   the inverse (and forward) 2-D wavelet transform with symmetric extension
//	decode.go    Decode and DecodeConfig: the stages above, in order, then float → byte
//
// Encoding runs them in reverse: encode.go (Encode, and the headers it
// writes), wavelet.go, quant.go (bin widths from the bitrate), then
// huffenc.go (Huffman codes built for each block, and the bit writer).
// errors.go has FormatError; limits.go the size limits.
//
// Encode mirrors NBIS's cwsq as closely as Decode mirrors dwsq: on the
// sample images it writes the same bytes as cwsq.
//
// Decode, DecodeConfig and Encode are safe for concurrent use.
//
// # Untrusted input
//
// Every length, count and dimension in a file is checked before it is used,
// and every error names what is wrong and where (the segment and the byte
// offset), as a *FormatError. Allocation is bounded by the limits in
// limits.go, checked against the frame header before any pixel buffer exists.
// Decode never panics on any input; the fuzz test FuzzDecode checks that.
package wsq
