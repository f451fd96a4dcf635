// Package ansinist reads (and writes) ANSI/NIST-ITL transactions, the
// container booking stations and the FBI's EBTS send fingerprints in, and
// hands their friction-ridge images to the rest of Whorl.
//
// # What it owns
//
// Read walks every record of a transaction and checks its framing:
//
//   - The Type-1 record first. Its CNT field (1.003) lists every other record
//     with its type and IDC, and it is the only way to know the type of a
//     binary record, which carries no type of its own; Read follows it and
//     checks each record's IDC against it.
//   - Tagged records (Type-1, 2, 9, 10, 13–17, 99 and every other type but
//     3–8): fields "t.nnn:value" separated by GS, ended by FS, with RS and US
//     splitting subfields and items inside a value. The LEN field (x.001)
//     gives the record length. In image-bearing types the data field x.999
//     is binary and runs to the FS that ends the record.
//   - Binary records with a fixed big-endian header: Type-3/4/5/6 (18 bytes:
//     LEN 4, IDC 1, IMP 1, FGP 6, ISR 1, HLL 2, VLL 2, GCA 1), Type-7 (LEN 4,
//     IDC 1, the rest user-defined) and Type-8 signatures (12 bytes: LEN 4,
//     IDC 1, SIG 1, SRT 1, ISR 1, HLL 2, VLL 2).
//
// Transaction.Fingerprints describes each fingerprint image (Type-3/4/5/6
// finger images, Type-13 latents, Type-14 variable-resolution prints) in the
// internal model's terms (minutiae.FingerPosition, minutiae.Impression,
// pixels per inch), Transaction.Palmprints the Type-15 palms, and
// Fingerprint.Image decodes one to grey at 500 ppi through the minutiae
// package's decoders. Transaction.Encode writes a transaction back.
//
// # Edition
//
// The layout is that of ANSI/NIST-ITL 1-2011 (and its 2013 update), which
// reads the earlier editions too: field tags may carry fewer than three
// digits ("1.03:" as in 1997-era files), WSQ may be labelled "WSQ" or
// "WSQ20", and the Type-3, 5 and 6 records that 2011 no longer allows are
// still read, since old archives hold them.
//
// # Resolution
//
// Type-4 and 6: ISR 0 means the minimum scanning resolution, 19.69 ppmm
// (500 ppi); ISR 1 means the native scanning resolution given in the Type-1
// NSR field (1.011, pixels per mm). Type-3 and 5 are the low-resolution
// halves of those. Type-13/14/15 give their own: HPS/VPS (x.009/x.010) in
// the unit SLC (x.008) names, 1 pixels per inch and 2 pixels per cm; SLC 0
// (no scale) leaves the resolution unknown (PPI 0). Resolutions given in
// ppmm are rounded to the whole ppi they stand for when they are within the
// two-decimal rounding of the field (19.69 ppmm is 500 ppi, not 500.13).
//
// # Untrusted input
//
// Read never panics and never allocates much more than the input: records,
// fields and image data are slices of the input, not copies (do not modify
// the input while the Transaction is in use). Every error is a *FormatError
// naming the record, field and byte offset, matching ErrFormat (and
// ErrTruncated when the input ends early). Read rejects a transaction whose
// records do not add up exactly to the input, whose CNT lists records that
// are not there, or whose fingerprint records cannot be described: a
// missing mandatory field, a non-numeric value, a width or height of 0 or
// above MaxImageSide, more than MaxImagePixels pixels, or uncompressed
// grey data whose length is not width × height × bits per pixel / 8. The
// obsolete binary-image Type-5/6 records are the exception to the last
// check: NIST's own test file valid1.2.an2 carries a Type-6 record whose
// data does not match its header, so their data is checked only when
// decoded.
//
// # Decoding
//
// Fingerprint.Image hands uncompressed pixels (8-bit grey, and 1-, 16- and
// 24-bit, converted to grey) to minutiae.NewImage, and WSQ, PNG and
// baseline JPEG to minutiae.DecodeImageAt. The record's resolution (ISR
// with NSR, or HPS with SLC) is the standard's own statement and wins over
// whatever the embedded file says, when it is one minutiae accepts
// (MinPPI..MaxPPI); otherwise the embedded file's resolution or 500 ppi is
// used, by DecodeImage's rule. The decoder's own limits
// (minutiae.MaxImageSide, MaxImagePixels) apply per image and are stricter
// than Read's, which only refuse the absurd: a transaction is not refused
// whole because one palm is too large to decode. A compressed image's own
// header decides its decoded size; the record's HLL/VLL describe it (NIST's
// valid1.8.an2 states 1800×1000 for a 1600×976 WSQ image). Type-5/6
// records that hold a TIFF file, whatever their compression code says (the
// WVU samples hold CCITT-compressed TIFFs), are decoded as TIFF.
//
// # Not supported
//
//   - Decoding JPEG 2000 (JP2, JP2L), lossless JPEG (JPEGL), raw facsimile
//     data of binary Type-5/6 images and vendor codes: Image returns an
//     error matching ErrUnsupportedCompression. The raw bytes are still in
//     Fingerprint.Data for a caller that has such a decoder.
//   - Type-9 minutiae, Type-1 DCS character sets other than ASCII, and the
//     XML encoding of the standard: fields are given as bytes, not
//     interpreted.
//   - Non-square pixels (HPS ≠ VPS): described, but Image refuses them.
//
// A quirk of NIST's test files is read as they mean it: some put a short
// text x.999 field before the real binary x.999 field ("13.999:38423 GS
// 13.999:<JPEG>"). The standard makes x.999 the last field, so a value that
// is followed by GS and another x.999 tag is taken as text and the image as
// the last x.999 field.
package ansinist
