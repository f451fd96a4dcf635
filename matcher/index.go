package matcher

// The first stage of a search: a cheap score for every gallery entry, so
// that the precise comparison only runs on a shortlist.
//
// A gallery entry keeps, besides its minutiae, its index edges: the edges
// from each minutia to its indexNeighbors nearest neighbours, 4 bytes each
// (length in pixels and three angles in 256ths of a turn: the edge against
// each end's minutia direction, and the edge's own direction in the
// image). The probe files its own edges, once per search, into a probeIndex
// table by quantised shape, each edge in every cell a matching gallery edge
// can fall in. Scoring an entry streams its index edges through that table:
// each gallery edge whose shape matches a probe edge within tolerance votes
// for the rotation between the two (the difference of the edges' own
// directions). Matching shapes alone are common between different fingers;
// matching shapes that agree on one rotation are not, so the score is the
// largest number of votes within a window of rotations (generalised Hough
// transform on rotation).
//
// The probe's table is small enough to stay in the processor's cache for
// the whole scan, and the gallery's edges are read once, forwards.

import (
	"math"

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

// template rebuilds the template the precise matcher compares from a
// gallery entry's points.
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
// minutia, its edges to its indexNeighbors nearest neighbours whose length is
// within the root edge range.
func appendIndexEdges(dst []indexEdge, p *Prepared) []indexEdge {
	for i := range p.points {
		nbrs := p.neighbors[p.nbrStart[i]:p.nbrStart[i+1]]
		for k := range min(len(nbrs), indexNeighbors) {
			e := &nbrs[k]
			if e.length < minRootEdge || e.length > maxRootEdge {
				continue
			}
			dst = append(dst, indexEdge(uint32(uint8(math.Round(float64(e.length))))|
				uint32(to8(e.refAngle))<<8|uint32(to8(e.nbrAngle))<<16|uint32(i)<<24))
		}
	}
	return dst
}

// Cells of the probe's index table: length in bins of indexLengthBin pixels,
// each relative angle in 16 bins. indexCell is computed from a gallery edge
// with shifts only.
const (
	indexLengthCells = maxRootEdge/indexLengthBin + 1
	indexAngleShift  = 4 // 256 >> 4 = 16 angle bins
	indexAngleCells  = 256 >> indexAngleShift
	indexCells       = indexLengthCells * indexAngleCells * indexAngleCells
)

func indexCell(length, ref, nbr uint8) int {
	return (int(length)/indexLengthBin*indexAngleCells+int(ref>>indexAngleShift))*indexAngleCells + int(nbr>>indexAngleShift)
}

// probeEdge is a probe edge in the index table: gallery edges of length
// lo..hi whose relative angles are within indexAngleTolerance of ref and
// nbr match it. dir is the edge's own direction in the image, x and y its
// reference minutia's position (as in galleryPoint).
type probeEdge struct {
	lo, hi   uint8
	ref, nbr uint8
	dir      uint8
	from     uint8
	x, y     float32
}

// probeIndex is the probe's side of the first stage, built once per search.
type probeIndex struct {
	cellStart [indexCells + 1]uint16
	edges     []probeEdge
}

// indexAngleTolerance is the first stage's angle tolerance in 256ths of a
// turn.
var indexAngleTolerance = uint8(math.Round(indexAngleTol / (2 * math.Pi) * 256))

// newProbeIndex files every edge of the probe (each minutia's rootNeighbors
// nearest, more than a gallery entry keeps, so that a gallery edge still
// finds its mate when a minutia is missing from the probe) in every cell
// that a gallery edge matching it within tolerance can fall in.
func newProbeIndex(p *Prepared) *probeIndex {
	type filed struct {
		cell int
		e    probeEdge
	}
	var all []filed
	tol := int(indexAngleTolerance)
	pts := appendGalleryPoints(nil, p)
	for i := range p.points {
		nbrs := p.neighbors[p.nbrStart[i]:p.nbrStart[i+1]]
		for k := range min(len(nbrs), rootNeighbors) {
			e := &nbrs[k]
			if e.length < minRootEdge || e.length > maxRootEdge {
				continue
			}
			ltol := indexLengthTol(e.length)
			lo := max(math.Ceil(float64(e.length-ltol)), 0)
			hi := min(math.Floor(float64(e.length+ltol)), maxRootEdge)
			pe := probeEdge{
				lo:   uint8(lo),
				hi:   uint8(hi),
				ref:  to8(e.refAngle),
				nbr:  to8(e.nbrAngle),
				dir:  to8(e.refAngle + p.points[i].dir16),
				from: uint8(i),
				x:    float32(pts[i].x),
				y:    float32(pts[i].y),
			}
			// Every cell overlapping the tolerance box: lengths lo..hi,
			// angles ref±tol and nbr±tol (wrapping around the turn).
			for l := int(pe.lo) / indexLengthBin; l <= int(pe.hi)/indexLengthBin; l++ {
				for a := (int(pe.ref) - tol) >> indexAngleShift; a <= (int(pe.ref)+tol)>>indexAngleShift; a++ {
					for b := (int(pe.nbr) - tol) >> indexAngleShift; b <= (int(pe.nbr)+tol)>>indexAngleShift; b++ {
						c := (l*indexAngleCells+a&(indexAngleCells-1))*indexAngleCells + b&(indexAngleCells-1)
						all = append(all, filed{c, pe})
					}
				}
			}
		}
	}
	// Counting sort by cell.
	x := &probeIndex{edges: make([]probeEdge, len(all))}
	for _, f := range all {
		x.cellStart[f.cell+1]++
	}
	for c := range indexCells {
		x.cellStart[c+1] += x.cellStart[c]
	}
	next := x.cellStart
	for _, f := range all {
		x.edges[next[f.cell]] = f.e
		next[f.cell]++
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

// houghSlots is the size of the first stage's vote table, a hash table of
// (rotation, translation) cells; a power of two.
const houghSlots = 1024

// hough is the first stage's scratch memory: votes per (rotation,
// translation) cell, and the slots touched, to clear them after an entry.
type hough struct {
	votes   [houghSlots]uint16
	touched [4096]uint16
}

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
// This is the loop every search runs over the whole gallery: no allocation,
// no interface call, the probe table in cache.
func (x *probeIndex) score(edges []indexEdge, pts []galleryPoint, h *hough) int {
	cs := &x.cellStart
	tol := indexAngleTolerance
	best := uint16(0)
	nt := 0
	for _, ge := range edges {
		l, ref, nbr := ge.length(), ge.refAngle(), ge.nbrAngle()
		c := indexCell(l, ref, nbr)
		bucket := x.edges[cs[c]:cs[c+1]]
		for k := range bucket {
			pe := &bucket[k]
			// uint8(d + tol) <= 2·tol tests |d| <= tol with wrap-around.
			if l < pe.lo || l > pe.hi || uint8(ref-pe.ref+tol) > 2*tol || uint8(nbr-pe.nbr+tol) > 2*tol {
				continue
			}
			g := pts[ge.from()]
			rot := pe.dir - (ref + g.dir8())

			cr, sr := cos256[rot], sin256[rot]
			gx, gy := float32(g.x), float32(g.y)
			// The rotation in image coordinates (y down, angles
			// counter-clockwise as viewed).
			tx := pe.x - (gx*cr + gy*sr)
			ty := pe.y - (gy*cr - gx*sr)
			for grid := range 2 {
				off := float32(grid) * (indexShiftBin / 2)
				r := uint32(rot+uint8(grid)*(indexRotationBin/2)) / indexRotationBin
				bx := uint32(int32(math.Floor(float64((tx + off) / indexShiftBin))))
				by := uint32(int32(math.Floor(float64((ty + off) / indexShiftBin))))
				slot := ((r*0x9E3779B1 ^ bx*0x85EBCA77 ^ by*0xC2B2AE3D ^ uint32(grid)*0x27D4EB2F) >> 7) & (houghSlots - 1)
				v := h.votes[slot] + 1
				h.votes[slot] = v
				best = max(best, v)
				if nt < len(h.touched) {
					h.touched[nt] = uint16(slot)
					nt++
				}
			}
		}
	}
	if nt < len(h.touched) {
		for _, s := range h.touched[:nt] {
			h.votes[s] = 0
		}
	} else {
		clear(h.votes[:])
	}
	return int(best)
}
