// Package fmr reads and writes finger minutiae records (FMR), the standard
// template formats that other fingerprint systems send and expect:
//
//   - ISO/IEC 19794-2:2005 (magic "FMR\0", version " 20\0"),
//   - ISO/IEC 19794-2:2011 (magic "FMR\0", version "030\0"),
//   - ANSI INCITS 378-2004 (magic "FMR\0", version " 20\0").
//
// It owns two things: a faithful Record that keeps every field of a file, so
// that Encode(Decode(b)) is b byte for byte (vendor extended data, reserved
// bits and all), and the conversion between a Record and Whorl's internal
// model, minutiae.Template (Record.Template, FromTemplates), which is where
// the formats' units are turned into the model's once:
//
//   - positions and image sizes are rescaled from the record's resolution
//     (pixels per centimetre) to 500 ppi, reading 197 px/cm as exactly 500
//     ppi and any other resolution as px/cm × 2.54 ppi;
//   - angles go from 360/256-degree units (both ISO editions) or 2-degree
//     units (ANSI 378) to radians; all three measure counter-clockwise from
//     the x axis, as the model does;
//   - minutia types 0, 1, 2 become other, ending, bifurcation;
//   - qualities stay 0–100, with ISO 2011's 254 (not reported) and 255
//     (failed) read as 0 (unknown);
//   - finger positions 0–10 and impression types map to the model's
//     ANSI/NIST codes.
//
// Neither direction adjusts minutia placement: ANSI 378 puts a ridge ending
// at the end of the ridge skeleton, ISO 2005 at the valley bifurcation, a
// difference of about half a ridge width that matchers tolerate.
//
// # Telling the formats apart
//
// ISO 2011 has its own version string. ISO 2005 and ANSI 378 share "FMR\0
// 20\0" and differ first in the record length: ISO 2005 stores it in the 4
// bytes at offset 8, ANSI 378 in the 2 bytes at offset 8, or, when those are
// zero, in the 4 bytes at offset 10. Detect decides, in order:
//
//  1. The reading whose length equals the input's length. At most one can:
//     if bytes 8–9 are non-zero the ISO reading is 65536 times the ANSI one
//     plus bytes 10–11; if they are zero the ANSI reading is 65536 times the
//     ISO one plus bytes 12–13, and the two agree only for a length of zero.
//  2. Otherwise (a truncated, padded or lying record) the reading that is
//     possible at all: bytes 8–9 of 26 or more are an ANSI length, because as
//     the top half of an ISO length they would mean at least 1.7 MB; 1 to 25
//     are too short for any ANSI record (its header alone is 26 bytes), so
//     ISO; with bytes 8–9 zero, bytes 10–11 of 24 or more are an ISO length
//     (the ANSI 4-byte form would mean at least 1.5 MB), and below 24 too
//     short for any ISO record, so ANSI's 4-byte form.
//
// Decode then checks the chosen format's length against the input and
// reports a mismatch, with the field and offset, rather than guessing again.
// ANSI INCITS 378-2009 also uses version "030\0"; it is not supported, and
// such a record fails to decode as ISO 2011.
//
// # Untrusted input
//
// Records come from outside. Decode never panics, checks every count and
// length against the bytes there are before allocating (a 70-byte input
// claiming 65,535 representations fails before any is allocated), requires
// the record to fill the input exactly, and reports every problem as a
// *DecodeError naming the field and its byte offset.
package fmr
