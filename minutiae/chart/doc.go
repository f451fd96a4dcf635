// Package chart draws examiner charts: two fingerprints side by side with
// their minutiae, the matched pairs joined by numbered lines, and the score
// and estimated false match rate of the comparison.
//
// It owns only the picture. The comparison itself (the score, its FMR and
// the pairs) comes from elsewhere, typically SearchService.Compare over the
// wire, so this package depends on the minutiae model, the standard library
// and golang.org/x/image only, never on the matcher or the server: any
// client that has two images, two minutia lists and the pairs can draw the
// same chart.
//
// # Coordinates
//
// A Side's minutiae are in the pixels of its Image, as minutiae.Template
// positions are in the pixels of the image minutiae.DecodeImage returns
// (500 ppi). Decode the file with the same resolution the server was given
// and the two line up; a 569 ppi FVC2002 DB2 image must be decoded with
// ppi 569 here too.
//
// # What is drawn
//
//   - A header line: "score 87.3, estimated FMR 1.2e-06, 14 matched pairs",
//     or "no matched pairs".
//   - Each print in grey, faded a little so that the marks stand out, scaled
//     so that both panels have the same height (or, with Options.SameScale,
//     to one common scale), under a caption.
//   - Every minutia: an ending as a circle, a bifurcation as a square, any
//     other kind as a diamond, each with a tick pointing along its direction.
//     Unmatched minutiae are in a muted blue-grey; matched ones in crimson.
//   - A crimson line from each matched probe minutia to its candidate
//     minutia, and the pair's number (1..n, in the order given) beside both
//     ends, on a white label.
//   - A legend line under the panels.
//
// Rendering is deterministic: the same input gives the same pixels, so tests
// compare pixels at known positions. Marks outside an image are clipped to
// its panel; out-of-range pair indices and non-finite coordinates are
// skipped. Render does not panic on any minutiae, pairs, scores or
// options (a well-formed image.Gray is assumed, as image/draw assumes).
package chart
