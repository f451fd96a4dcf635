package matcher

import (
	"cmp"
	"math"
	"slices"

	"github.com/whorlafis/whorl/minutiae"
)

// point is one minutia as the matcher sees it.
type point struct {
	x, y, dir float32
	// dir16 is dir in fixed point (see toFixed).
	dir16 uint16
	kind  minutiae.Kind
}

// Angles in the comparison's hot loops are fixed point, 65536 to the turn:
// the difference of two, read as an int16, is the signed difference in
// (-π, π] without any branch or wrap-around.
const fixedTurn = 1 << 16

// toFixed converts radians to fixed point.
func toFixed(a float64) uint16 {
	return uint16(int64(math.Round(a/(2*math.Pi)*fixedTurn)) & (fixedTurn - 1))
}

// fromFixed converts fixed point to radians in [0, 2π).
func fromFixed(a uint16) float32 { return float32(a) * (2 * math.Pi / fixedTurn) }

// edge is the shape of the directed pair from one minutia (the reference)
// to another. It does not change when the print is rotated or shifted.
type edge struct {
	// length is the distance between the two minutiae, and tol the length
	// difference tolerated when an edge of another template is compared
	// with this one (lengthTol(length)).
	length, tol float32
	// refAngle is the edge's direction relative to the reference minutia's
	// direction, nbrAngle relative to the other minutia's, in fixed point.
	refAngle, nbrAngle uint16
	// from and to are the indexes of the reference and the other minutia.
	from, to uint8
	// cell is the edge's own cell in the edge table (see cell).
	cell uint16
}

// tableEdge is an edge as the edge table keeps it: 8 bytes, because a
// search streams through the tables of the whole gallery. Lengths are in
// fixed point, lengthUnits to the pixel.
type tableEdge struct {
	length             uint16
	refAngle, nbrAngle uint16
	from, to           uint8
}

// lookup is a probe edge as it is looked up in a candidate's edge table:
// lengths from lo to hi (fixed point) match.
type lookup struct {
	lo, hi             uint16
	refAngle, nbrAngle uint16
	from, to           uint8
	cell               uint16
}

// lengthUnits is the fixed-point scale of edge lengths in the edge table.
const lengthUnits = 32

func toLengthUnits(l float32) uint16 {
	return uint16(min(max(math.Round(float64(l)*lengthUnits), 0), math.MaxUint16))
}

// Prepared is a template prepared once for fast comparison: its minutiae,
// each minutia's nearest-neighbour edges, and a table of all edges of
// moderate length indexed by quantised shape. It is read-only once made,
// so one Prepared may be compared from many goroutines at once.
type Prepared struct {
	points []point
	// neighbors[nbrStart[i]:nbrStart[i+1]] are minutia i's edges to its
	// nearest neighbours, nearest first.
	nbrStart  []uint16
	neighbors []edge
	// rootEdges is the edge table, the neighbour edges of moderate length
	// indexed by quantised shape: the edges in cell k (see cell) are
	// rootEdges[cellStart[k]:cellStart[k+1]], sorted by length. An edge
	// near a cell boundary is stored in the neighbouring cells too (up to 12
	// cells in all), so that a probe edge finds every edge that matches it
	// within tolerance by looking in its own cell only. This is what a
	// probe looks up when this template is the candidate. (Duplicating on
	// the probe's side instead, several lookups per probe edge, keeps this
	// table 5× smaller but measured slower.)
	cellStart []uint16
	rootEdges []tableEdge
	// lookups are the same edges once each, with their own cell: what this
	// template looks up when it is the probe.
	lookups []lookup
}

// Len returns the number of minutiae in the prepared template.
func (p *Prepared) Len() int { return len(p.points) }

const numCells = rootLengthBins * rootAngleBins * rootAngleBins

// Prepare builds the structures the matcher needs from a template. Minutiae
// beyond minutiae.MaxMinutiae are ignored.
func Prepare(t minutiae.Template) *Prepared {
	ms := t.Minutiae
	if len(ms) > minutiae.MaxMinutiae {
		ms = ms[:minutiae.MaxMinutiae]
	}
	p := &Prepared{points: make([]point, len(ms))}
	for i, m := range ms {
		dir := minutiae.NormalizeAngle(float64(m.Direction))
		p.points[i] = point{x: m.X, y: m.Y, dir: dir, dir16: toFixed(float64(dir)), kind: m.Kind}
	}
	p.prepareNeighbors()
	p.prepareRootEdges()
	return p
}

// makeEdge measures the edge from minutia i to minutia j. Angles follow the
// template's convention: counter-clockwise as the image is viewed, with y
// pointing down, so the edge direction is atan2(-dy, dx).
func (p *Prepared) makeEdge(i, j int) edge {
	a, b := p.points[i], p.points[j]
	dx, dy := float64(b.x-a.x), float64(b.y-a.y)
	phi := math.Atan2(-dy, dx)
	length := float32(math.Hypot(dx, dy))
	return edge{
		length:   length,
		tol:      lengthTol(length),
		refAngle: toFixed(phi - float64(a.dir)),
		nbrAngle: toFixed(phi - float64(b.dir)),
		from:     uint8(i),
		to:       uint8(j),
	}
}

func (p *Prepared) prepareNeighbors() {
	n := len(p.points)
	p.nbrStart = make([]uint16, n+1)
	p.neighbors = make([]edge, 0, n*min(maxNeighbors, max(n-1, 0)))
	type near struct {
		d2 float32
		j  int
	}
	nearest := make([]near, 0, maxNeighbors+1)
	for i := range n {
		// Keep the maxNeighbors nearest by insertion: n is at most 255.
		nearest = nearest[:0]
		a := p.points[i]
		for j := range n {
			b := p.points[j]
			d2 := (b.x-a.x)*(b.x-a.x) + (b.y-a.y)*(b.y-a.y)
			if j == i || d2 > maxNeighborDistance*maxNeighborDistance {
				continue
			}
			if len(nearest) == maxNeighbors && d2 >= nearest[maxNeighbors-1].d2 {
				continue
			}
			if len(nearest) < maxNeighbors {
				nearest = append(nearest, near{d2, j})
			} else {
				nearest[maxNeighbors-1] = near{d2, j}
			}
			for k := len(nearest) - 1; k > 0 && nearest[k].d2 < nearest[k-1].d2; k-- {
				nearest[k], nearest[k-1] = nearest[k-1], nearest[k]
			}
		}
		for _, nb := range nearest {
			p.neighbors = append(p.neighbors, p.makeEdge(i, nb.j))
		}
		p.nbrStart[i+1] = uint16(len(p.neighbors))
	}
}

// binsOf returns the bin of v in [0, span) cut into nbins, and the
// neighbouring bin an edge within tol of the boundary must also go into
// (-1 if none). With wrap, the last and first bins are neighbours.
func binsOf(v, span, tol float32, nbins int, wrap bool) (int, int) {
	w := span / float32(nbins)
	b := int(v / w)
	if b >= nbins {
		b = nbins - 1
	}
	if b < 0 {
		b = 0
	}
	lo, hi := float32(b)*w, float32(b+1)*w
	other := b
	if v-lo < tol {
		other = b - 1
	} else if hi-v < tol {
		other = b + 1
	}
	switch {
	case other == b:
		return b, -1
	case other >= 0 && other < nbins:
		return b, other
	case wrap:
		return b, (other + nbins) % nbins
	}
	return b, -1
}

// lengthBins returns the first and last length cells that a probe edge
// within tol of length v can fall in. The length tolerance grows with the
// length and exceeds half a cell for edges longer than about 24 pixels, so
// an edge may have to be filed in three cells, not two.
func lengthBins(v, tol float32) (first, last int) {
	first, _ = binsOf(v-tol, maxRootEdge, 0, rootLengthBins, false)
	last, _ = binsOf(v+tol, maxRootEdge, 0, rootLengthBins, false)
	return first, last
}

// cell returns the table cell of an edge shape (its own, without tolerance).
func cell(e *edge) int {
	l, _ := binsOf(e.length, maxRootEdge, 0, rootLengthBins, false)
	a, _ := binsOf(fromFixed(e.refAngle), 2*math.Pi, 0, rootAngleBins, true)
	b, _ := binsOf(fromFixed(e.nbrAngle), 2*math.Pi, 0, rootAngleBins, true)
	return (l*rootAngleBins+a)*rootAngleBins + b
}

func lengthTol(l float32) float32 { return lengthTolerance + lengthToleranceRel*l }

func (p *Prepared) prepareRootEdges() {
	type entry struct {
		cell int
		e    tableEdge
	}
	var entries []entry
	for k, e := range p.neighbors {
		if e.length < minRootEdge || e.length > maxRootEdge || k-int(p.nbrStart[e.from]) >= rootNeighbors {
			continue
		}
		p.lookups = append(p.lookups, lookup{
			lo:       toLengthUnits(e.length - e.tol),
			hi:       toLengthUnits(e.length + e.tol),
			refAngle: e.refAngle,
			nbrAngle: e.nbrAngle,
			from:     e.from,
			to:       e.to,
			cell:     uint16(cell(&e)),
		})
		// The cells a matching probe edge can be in: this edge's own and,
		// per dimension, the neighbouring one when the edge is within
		// tolerance of the boundary. The length tolerance is that of the
		// longest probe edge that can match.
		te := tableEdge{length: toLengthUnits(e.length), refAngle: e.refAngle, nbrAngle: e.nbrAngle, from: e.from, to: e.to}
		lFirst, lLast := lengthBins(e.length, lengthTol(e.length+e.tol))
		a0, a1 := binsOf(fromFixed(e.refAngle), 2*math.Pi, angleTolerance, rootAngleBins, true)
		b0, b1 := binsOf(fromFixed(e.nbrAngle), 2*math.Pi, angleTolerance, rootAngleBins, true)
		for l := lFirst; l <= lLast; l++ {
			for _, a := range [2]int{a0, a1} {
				for _, b := range [2]int{b0, b1} {
					if l < 0 || a < 0 || b < 0 {
						continue
					}
					entries = append(entries, entry{(l*rootAngleBins+a)*rootAngleBins + b, te})
				}
			}
		}
	}
	// The probe's lookups in cell order walk the candidate's table forwards,
	// which the processor's prefetcher follows.
	slices.SortFunc(p.lookups, func(a, b lookup) int {
		return cmp.Or(cmp.Compare(a.cell, b.cell), cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	// The table: a counting sort by cell, then each cell by length, so that
	// a lookup can stop at the first edge too long to match.
	p.cellStart = make([]uint16, numCells+1)
	for _, en := range entries {
		p.cellStart[en.cell+1]++
	}
	for k := range numCells {
		p.cellStart[k+1] += p.cellStart[k]
	}
	p.rootEdges = make([]tableEdge, len(entries))
	next := slices.Clone(p.cellStart[:numCells])
	for _, en := range entries {
		p.rootEdges[next[en.cell]] = en.e
		next[en.cell]++
	}
	for k := range numCells {
		slices.SortFunc(p.rootEdges[p.cellStart[k]:p.cellStart[k+1]], func(a, b tableEdge) int {
			return cmp.Or(cmp.Compare(a.length, b.length), cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
		})
	}
}
