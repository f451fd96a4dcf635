// Package minutiae owns the way from outside bytes to Whorl's one internal
// fingerprint model: image decoding (PNG, JPEG, BMP, TIFF, PGM, WSQ) with
// resolution handling, the template model (Template, Minutia), and the
// compact native encoding used for storage and the wire.
//
// # Units
//
// Every Template in Whorl follows one convention, converted once at the edge:
//
//   - Positions are in pixels of the image rescaled to 500 ppi (pixels per
//     inch), origin at the top-left corner, x to the right, y downwards, as
//     float32. A minutia at (x, y) in a 1000 ppi image is at (x/2, y/2) here.
//   - Directions are in radians in [0, 2π), measured as ISO/IEC 19794-2 does:
//     counter-clockwise from the positive x axis (with y pointing down, so
//     "counter-clockwise" as the image is viewed), pointing along the ridge
//     away from the minutia.
//   - Qualities are 0–100 (0: unknown or unusable, 100: best).
//
// Foreign template formats live in sub-packages (fmr for ISO/IEC 19794-2 and
// ANSI INCITS 378), as do the WSQ codec (wsq) and the ANSI/NIST-ITL
// transaction reader (ansinist). Dependencies point one way: the
// sub-packages may import this package, never the reverse, except wsq, which
// is a leaf so that image decoding here can use it.
package minutiae
