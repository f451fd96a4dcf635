package matcher

// The first stage of a search: a cheap score for every gallery entry, so
// that the precise comparison only runs on a shortlist.
//
// A gallery entry keeps, besides its minutiae, its index edges: the edges
// from each minutia to its indexNeighbors nearest neighbours, 4 bytes each
// (length in pixels, the edge's angle against each end's minutia direction
// in 256ths of a turn, and the index of its reference minutia). The probe
// files its own edges, once per search, into a probeIndex table of edge
// shapes, each edge in every cell a gallery edge matching it within
// tolerance can fall in. Scoring an entry streams its index edges through
// that table, and each match votes for the rotation and translation that
// would bring the gallery edge onto the probe's (a generalised Hough
// transform). Matching shapes alone are common between different fingers,
// because ridges flow alike; many matches that agree on one placement of
// the print are not: the score is the largest number of votes in one cell
// of rotation × translation, divided by a power of the entry's edge count
// (indexNorm), because a larger template collects more chance votes.
//
// Measured on FVC2002 (TestIndexSelectivity): these choices each cut the
// mates the first stage ranks below the top 0.2% of impostors — translation
// with rotation, not rotation alone (which every upright print shares);
// tolerances tighter than the precise matcher's; no edges under 20 pixels;
// two offset grids of vote cells, not one. Tried and not kept (mates
// scoring at least the score of FMR 1e-4 that a 0.2% shortlist loses: 66
// of 2,070 with these settings): the precise matcher's tolerances, 138;
// counting each probe × entry minutia pair's matching edges instead of
// voting for a placement, 495 (it does not find the distorted mates the
// placement misses either); translation cells of 20, 28 and 32 pixels,
// 61, 67 and 72, and more of the strongest mates lost at each.

import (
	"cmp"
	"math"
	"slices"

	"github.com/whorlafis/whorl/minutiae"
)

// indexEdge is an edge as a gallery entry keeps it for the first stage:
// length (pixels, ≤ maxRootEdge) | refAngle<<8 | nbrAngle<<16 | from<<24,
// angles in 256ths of a turn, from the index of the reference minutia.
type indexEdge uint32

func (e indexEdge) length() uint8   { return uint8(e) }
func (e indexEdge) refAngle() uint8 { return uint8(e >> 8) }
func (e indexEdge) nbrAngle() uint8 { return uint8(e >> 16) }
func (e indexEdge) from() uint8     { return uint8(e >> 24) }

// galleryPoint is a minutia as a gallery entry keeps it, 6 bytes: position
// in whole pixels relative to the centroid of the entry's minutiae (so that
// in the first stage a rotation error moves far-off minutiae least), and
// the direction in fixed point (65536 to the turn) with the kind in its two
// lowest bits (a 1/16384 turn is far below any tolerance).
type galleryPoint struct {
	x, y    int16
	dirKind uint16
}

func (g galleryPoint) dir16() uint16       { return g.dirKind &^ 3 }
func (g galleryPoint) dir8() uint8         { return to8(g.dirKind &^ 3) }
func (g galleryPoint) kind() minutiae.Kind { return minutiae.Kind(g.dirKind & 3) }

// to8 rounds a fixed-point angle (65536 to the turn) to 256ths of a turn.
func to8(a uint16) uint8 { return uint8((uint32(a) + 128) >> 8) }

// appendGalleryPoints appends a prepared template's minutiae as a gallery
// keeps them.
func appendGalleryPoints(dst []galleryPoint, p *Prepared) []galleryPoint {
	var cx, cy float64
	for _, q := range p.points {
		cx += float64(q.x)
		cy += float64(q.y)
	}
	n := float64(max(len(p.points), 1))
	cx, cy = cx/n, cy/n
	for _, q := range p.points {
		dst = append(dst, galleryPoint{
			x:       int16(max(min(math.Round(float64(q.x)-cx), math.MaxInt16), math.MinInt16)),
			y:       int16(max(min(math.Round(float64(q.y)-cy), math.MaxInt16), math.MinInt16)),
			dirKind: q.dir16&^3 | uint16(q.kind&3),
		})
	}
	return dst
}

// galleryTemplate rebuilds, from a gallery entry's points, the template the
// precise matcher compares.
func galleryTemplate(pts []galleryPoint, dst []minutiae.Minutia) minutiae.Template {
	dst = dst[:0]
	for _, g := range pts {
		dst = append(dst, minutiae.Minutia{
			X:         float32(g.x),
			Y:         float32(g.y),
			Direction: fromFixed(g.dir16()),
			Kind:      g.kind(),
		})
	}
	return minutiae.Template{Minutiae: dst}
}

// appendIndexEdges appends the index edges of a prepared template: for each
// minutia, its edges to its indexNeighbors nearest neighbours of length
// indexMinEdge to maxRootEdge, each pair of minutiae once. They are sorted by their cell in the probe's
// index table (indexCell), so that scoring an entry walks the probe's table
// forwards, which the processor's prefetcher follows.
func appendIndexEdges(dst []indexEdge, p *Prepared) []indexEdge {
	start := len(dst)
	for i := range p.points {
		nbrs := p.neighbors[p.nbrStart[i]:p.nbrStart[i+1]]
		for k := range min(len(nbrs), indexNeighbors) {
			e := &nbrs[k]
			if e.length < indexMinEdge || e.length > maxRootEdge || mutual(p, e) {
				continue
			}
			dst = append(dst, indexEdge(uint32(uint8(math.Round(float64(e.length))))|
				uint32(to8(e.refAngle))<<8|uint32(to8(e.nbrAngle))<<16|uint32(i)<<24))
		}
	}
	slices.SortFunc(dst[start:], func(a, b indexEdge) int {
		return cmp.Or(cmp.Compare(indexCell(a), indexCell(b)), cmp.Compare(a, b))
	})
	return dst
}

// mutual reports whether an edge's reverse is kept too, from the other end,
// and this is the one of the two to leave out: the pair of minutiae votes
// for the same placement either way, and the probe's table holds both
// directions, so one is enough.
func mutual(p *Prepared, e *edge) bool {
	if e.from < e.to {
		return false
	}
	nbrs := p.neighbors[p.nbrStart[e.to]:p.nbrStart[e.to+1]]
	for k := range min(len(nbrs), indexNeighbors) {
		if nbrs[k].to == e.from {
			return true
		}
	}
	return false
}

// Cells of the probe's index table: an edge shape cut into lengths of
// 1<<indexLengthShift pixels and relative angles of 1<<indexAngleShift
// 256ths of a turn. The cells are finer than the tolerances, so that
// falling in a cell the probe filed an edge in is the whole test of a
// match (within tolerance, give or take half a cell).
const (
	indexLengthShift = 2
	indexAngleShift  = 3
	indexAngleCells  = 256 >> indexAngleShift
	indexCells       = (maxRootEdge>>indexLengthShift + 1) * indexAngleCells * indexAngleCells
)

// indexCell returns the cell of an edge shape; the gallery's edges are
// sorted by it.
func indexCell(e indexEdge) int {
	return (int(e.length())>>indexLengthShift*indexAngleCells+int(e.refAngle()>>indexAngleShift))*indexAngleCells + int(e.nbrAngle()>>indexAngleShift)
}

// indexSlots is how many probe edges a cell of the probe's table holds. A
// cell filed more often keeps the first ones; measured on FVC2002 (see
// index_test.go), few filings are dropped and the ranking of mates does not
// suffer from it.
const indexSlots = 2 // score is written out for exactly two

// probeVote is what a match with a probe edge votes with: the edge's own
// direction in the image, and its reference minutia's position (as in
// galleryPoint).
type probeVote struct {
	x, y float32
	dir  uint8
}

// probeIndex is the probe's side of the first stage, built once per search.
type probeIndex struct {
	// slots[cell] are 1 + the indexes in votes of the probe edges filed in
	// the cell; 0 is an empty slot.
	slots [indexCells][indexSlots]uint16
	votes []probeVote
	// filed and dropped count filings into the table and those beyond a
	// cell's slots.
	filed, dropped int
}

// newProbeIndex files every edge of the probe (each minutia's
// indexProbeNeighbors nearest) in every cell that a gallery edge matching
// it within tolerance can fall in.
func newProbeIndex(p *Prepared) *probeIndex {
	x := new(probeIndex)
	tol := p.tolerances().index // indexAngleTol, or a marked latent's
	pts := appendGalleryPoints(nil, p)
	const angleMask = indexAngleCells - 1
	for i := range p.points {
		nbrs := p.neighbors[p.nbrStart[i]:p.nbrStart[i+1]]
		for k := range min(len(nbrs), indexProbeNeighbors) {
			e := &nbrs[k]
			if e.length < indexMinEdge || e.length > maxRootEdge || len(x.votes) >= math.MaxUint16 {
				continue
			}
			ltol := indexLengthTol(e.length)
			lo := int(max(math.Ceil(float64(e.length-ltol)), 0))
			hi := int(min(math.Floor(float64(e.length+ltol)), maxRootEdge))
			ref, nbr := int(to8(e.refAngle)), int(to8(e.nbrAngle))
			x.votes = append(x.votes, probeVote{x: float32(pts[i].x), y: float32(pts[i].y), dir: to8(e.refAngle + p.points[i].dir16)})
			id := uint16(len(x.votes))
			// Every cell overlapping the tolerance box: lengths lo..hi,
			// angles ref±tol and nbr±tol (wrapping around the turn).
			for l := lo >> indexLengthShift; l <= hi>>indexLengthShift; l++ {
				for a := (ref - tol) >> indexAngleShift; a <= (ref+tol)>>indexAngleShift; a++ {
					for b := (nbr - tol) >> indexAngleShift; b <= (nbr+tol)>>indexAngleShift; b++ {
						cell := &x.slots[(l*indexAngleCells+a&angleMask)*indexAngleCells+b&angleMask]
						x.filed++
						switch {
						case cell[0] == 0:
							cell[0] = id
						case cell[1] == 0:
							cell[1] = id
						default:
							x.dropped++
						}
					}
				}
			}
		}
	}
	return x
}

// cos256 and sin256 are the cosine and sine of 256ths of a turn.
var cos256, sin256 [256]float32

func init() {
	for i := range 256 {
		a := float64(i) * 2 * math.Pi / 256
		cos256[i], sin256[i] = float32(math.Cos(a)), float32(math.Sin(a))
	}
}

// The first stage's votes go to a direct-mapped table of rotation ×
// translation cells: houghBits bits of each cell coordinate index it, so
// that translations houghSide cells apart (several hundred pixels) share a
// counter, which only adds a little noise.
const (
	houghBits  = 4
	houghSide  = 1 << houghBits
	houghCells = houghSide * houghSide * houghSide
)

// maxIndexEdges bounds a gallery entry's index edges.
const maxIndexEdges = minutiae.MaxMinutiae * indexNeighbors

// hough is the first stage's scratch memory: the matches of an entry's
// edges and the votes, one table per grid (see score), cleared after each
// entry.
type hough struct {
	matches [matchCap]uint32
	votes   [indexGrids][houghCells]uint8
}

// matchCap is the power of two above the most matches an entry can have
// (every slot checked matching), so that the index into matches can be
// masked instead of bounds-checked.
const matchCap = 4096

const _ = uint(matchCap - maxIndexEdges*indexSlots) // a compile-time check

// shiftBias makes translations positive before they are cut into cells,
// so that truncation is floor: no translation is 4096 cells away.
const shiftBias = 4096

// score returns the first-stage score of a gallery entry: the most votes
// that matching edges give to one cell of rotation and translation.
//
// Each gallery edge whose shape matches a probe edge implies a rotation
// (the difference of their directions) and, with it, a translation (where
// the rotated gallery reference minutia lands against the probe's). Votes
// go to a cell of indexRotationBin × indexShiftBin² in two grids, the second
// offset by half a cell in every dimension, so that a cluster of votes on
// a cell boundary is still whole in one grid.
//
// This is the loop every search runs over the whole gallery, written for
// the machine: the gallery's edges are sorted by cell, so the probe's table
// is walked forwards; finding the matches has no branch (whether an edge
// matches is a coin toss for the branch predictor): they go to a buffer
// whose end advances by whether a slot is filled, and only the matches are
// voted for, in a second loop.
func (x *probeIndex) score(edges []indexEdge, pts []galleryPoint, h *hough) int {
	if len(edges) > maxIndexEdges {
		edges = edges[:maxIndexEdges]
	}
	n := 0
	matches := &h.matches
	for i, ge := range edges {
		s := &x.slots[indexCell(ge)]
		base := uint32(i) << 16
		matches[n&(matchCap-1)] = base | uint32(s[0])
		n += int(b2u(s[0] != 0))
		matches[n&(matchCap-1)] = base | uint32(s[1])
		n += int(b2u(s[1] != 0))
	}
	best := uint8(0)
	for _, m := range matches[:n] {
		ge, pv := edges[m>>16], &x.votes[uint16(m)-1]
		g := pts[ge.from()]
		rot := pv.dir - (ge.refAngle() + g.dir8())
		cr, sr := cos256[rot], sin256[rot]
		gx, gy := float32(g.x), float32(g.y)
		// The rotation in image coordinates (y down, angles
		// counter-clockwise as viewed), in units of translation cells.
		tx := (pv.x-(gx*cr+gy*sr))*(1.0/indexShiftBin) + shiftBias
		ty := (pv.y-(gy*cr-gx*sr))*(1.0/indexShiftBin) + shiftBias
		for grid := range indexGrids {
			off := float32(grid) / indexGrids
			r := uint32(rot+uint8(grid*indexRotationBin/indexGrids)) / indexRotationBin
			cell := (r%houghSide)<<(2*houghBits) | (uint32(int32(tx+off))%houghSide)<<houghBits | uint32(int32(ty+off))%houghSide
			// One byte a counter keeps the table small to clear; a count
			// stops at 255, which no impostor comes near.
			v := h.votes[grid][cell]
			v += uint8(b2u(v != 255))
			h.votes[grid][cell] = v
			best = max(best, v)
		}
	}
	if n > 0 {
		clear(h.votes[:])
	}
	return int(best)
}
