package matcher

import (
	"math"
	"slices"
	"sync"
	"unsafe"

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
	// cell is the edge's own cell in the edge table (see fileRootEdges).
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
	// indexed by quantised shape: the edges in cell k (see binsOf) are
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
	// latent marks a latent print (its impression type says so): compared
	// as the probe, its score counts the share of its own minutiae paired
	// (see score).
	latent bool
	// marked marks a latent whose minutiae an examiner marked by hand
	// (impression minutiae.LatentTracing): compared as the probe, its
	// comparisons apply the marked tolerances (see markedAngleTolerance)
	// and its scores are read with the marked latent calibration.
	marked bool
}

// tolerances returns how comparisons with p as the probe treat it: a
// hand-marked latent's tolerances, an image latent's or a print's.
func (p *Prepared) tolerances() *tolerances {
	switch {
	case p.marked:
		return markedTolerances
	case p.latent:
		return latentTolerances
	}
	return printTolerances
}

// Len returns the number of minutiae in the prepared template.
func (p *Prepared) Len() int { return len(p.points) }

const numCells = rootLengthBins * rootAngleBins * rootAngleBins

// Prepare builds the structures the matcher needs from a template. Minutiae
// beyond minutiae.MaxMinutiae are ignored.
//
// A search prepares its shortlisted gallery candidates on the fly, so
// Prepare is written for speed. It works in a reused scratch
// (prepareScratch) until it knows the exact length of every slice, then
// makes one allocation for all of them (see arena). What it builds must not
// change by a bit: every order here (neighbours, table cells, lookups)
// decides which root pairs a comparison finds, and so its score.
// TestPrepareMatchesReference holds it to referencePrepare, the plain
// version it replaced.
func Prepare(t minutiae.Template) *Prepared {
	ms := t.Minutiae
	if len(ms) > minutiae.MaxMinutiae {
		ms = ms[:minutiae.MaxMinutiae]
	}
	n := len(ms)
	s := scratchPool.Get().(*prepareScratch)
	defer scratchPool.Put(s)

	for i, m := range ms {
		dir := minutiae.NormalizeAngle(float64(m.Direction))
		s.points[i] = point{x: m.X, y: m.Y, dir: dir, dir16: toFixed(float64(dir)), kind: m.Kind}
	}
	nn := s.findNeighbors(n)
	nr, entries := s.fileRootEdges(n)
	s.sortRootsByLength(nr)

	// One allocation for all slices, each exactly as long as it must be.
	var a arena
	atPoints := reserve[point](&a, n)
	atNeighbors := reserve[edge](&a, nn)
	atLookups := reserve[lookup](&a, nr)
	atRootEdges := reserve[tableEdge](&a, entries)
	atNbrStart := reserve[uint16](&a, n+1)
	atCellStart := reserve[uint16](&a, numCells+1)
	buf := a.alloc()
	p := &Prepared{
		points:    carve[point](buf, atPoints, n),
		nbrStart:  carve[uint16](buf, atNbrStart, n+1),
		neighbors: carve[edge](buf, atNeighbors, nn),
		cellStart: carve[uint16](buf, atCellStart, numCells+1),
		rootEdges: carve[tableEdge](buf, atRootEdges, entries),
		lookups:   carve[lookup](buf, atLookups, nr),
		latent:    t.Impression.IsLatent(),
		marked:    t.Impression == minutiae.LatentTracing,
	}
	copy(p.points, s.points[:n])
	copy(p.nbrStart, s.nbrStart[:n+1])
	copy(p.neighbors, s.neighbors[:nn])
	s.placeRootEdges(p, nr)
	return p
}

// maxRootEdges bounds the number of root edges of a template.
const maxRootEdges = minutiae.MaxMinutiae * rootNeighbors

// prepareScratch is where Prepare works before it knows the sizes of
// Prepared's slices: room for the largest template, reused through
// scratchPool (about 100 KB; a Prepared of 40 minutiae is about 30 KB).
// Prepare writes everything it reads.
type prepareScratch struct {
	n      int // minutiae
	points [minutiae.MaxMinutiae]point
	// byY are the minutiae sorted by y (see sortByY), rankY their ranks.
	byY       [minutiae.MaxMinutiae]uint64
	rankY     [minutiae.MaxMinutiae]uint8
	nbrStart  [minutiae.MaxMinutiae + 1]uint16
	neighbors [minutiae.MaxMinutiae * maxNeighbors]edge
	// atan[k] is the arc tangent behind the direction of neighbors[k], or
	// NaN (see edgeAtan2), kept for the edge back.
	atan [minutiae.MaxMinutiae * maxNeighbors]float64
	// roots are the root edges, by from and then to; byLength is their
	// order by length, then from, then to (the order of the edge table),
	// and radixTmp the other buffer of that sort.
	roots              [maxRootEdges]rootFiling
	byLength, radixTmp [maxRootEdges]uint16
	// cellCount counts the table entries of each cell, lookupCount the
	// lookups; placeRootEdges turns them into positions.
	cellCount, lookupCount [numCells]uint16
}

var scratchPool = sync.Pool{New: func() any { return new(prepareScratch) }}

// rootFiling is a root edge (one of a minutia's rootNeighbors nearest, of
// moderate length) and the table cells it is filed in: every combination
// of the length cells lFirst..lLast, the angle cells a[0] and a[1] of its
// refAngle and b[0] and b[1] of its nbrAngle, where a[1] and b[1] are -1
// if the edge is not within tolerance of an angle cell boundary.
type rootFiling struct {
	lookup               // the edge as it is looked up, in its own cell
	length        uint16 // in the table (lengthUnits): the table's order
	lFirst, lLast uint8
	a, b          [2]int8
}

// findNeighbors finds each minutia's maxNeighbors nearest neighbours
// within maxNeighborDistance, nearest first, and measures the edges to them
// into s.neighbors and s.nbrStart. It returns the number of edges.
func (s *prepareScratch) findNeighbors(n int) int {
	s.n = n
	pts := s.points[:n]
	finite := true
	for i := range pts {
		finite = finite && math.Abs(float64(pts[i].x)) <= math.MaxFloat32 && math.Abs(float64(pts[i].y)) <= math.MaxFloat32
	}
	if finite {
		s.sortByY(n)
	}
	s.nbrStart[0] = 0
	nn := 0
	for i := range pts {
		var nearest [maxNeighbors]near
		var count int
		if finite {
			count = s.nearestSwept(i, &nearest)
		} else {
			count = s.nearestScanned(i, &nearest)
		}
		for _, nb := range nearest[:count] {
			s.neighbors[nn], s.atan[nn] = s.measureEdge(i, nb.j)
			nn++
		}
		s.nbrStart[i+1] = uint16(nn)
	}
	return nn
}

// near is a neighbour found: the squared distance, and the index.
type near struct {
	d2 float32
	j  int
}

// A minutia's neighbours are the maxNeighbors least (d2, j), in that order,
// among the minutiae j within maxNeighborDistance: nearest first, and of
// equally near ones the lower index first. nearestScanned finds them as
// the reference does, all minutiae in index order; nearestSwept visits
// only those close in y, by sweeping from the minutia up and down the
// minutiae sorted by y (s.byY) until the distance in y alone rules out
// the rest, and finds the same neighbours for any finite coordinates. A
// NaN or infinite coordinate (odd input) leaves distances NaN, which the
// reference's order decides: only nearestScanned handles that.

// sortByY sorts the minutiae by y into s.byY and s.rankY. The coordinates
// must be finite.
func (s *prepareScratch) sortByY(n int) {
	for i := range n {
		// Float bits to a uint32 that sorts like the float, index below.
		b := math.Float32bits(s.points[i].y)
		if b>>31 == 1 {
			b = ^b
		} else {
			b |= 1 << 31
		}
		s.byY[i] = uint64(b)<<8 | uint64(i)
	}
	slices.Sort(s.byY[:n])
	for r, key := range s.byY[:n] {
		s.rankY[uint8(key)] = uint8(r)
	}
}

// nearestSwept finds minutia i's neighbours into nearest and returns how
// many there are. The coordinates must be finite.
func (s *prepareScratch) nearestSwept(i int, nearest *[maxNeighbors]near) int {
	pts := s.points[:s.n]
	ax, ay := pts[i].x, pts[i].y
	count := 0
	// A minutia farther than bound in y alone cannot be a neighbour: its
	// squared distance is at least the squared difference in y, rounding
	// included, and the difference only grows along the sweep.
	bound := float32(maxNeighborDistance * maxNeighborDistance)
	var keys [maxNeighbors]uint64
	r := int(s.rankY[i])
	for step := -1; step <= 1; step += 2 {
		for q := r + step; q >= 0 && q < len(pts); q += step {
			j := int(uint8(s.byY[q]))
			bx, by := pts[j].x, pts[j].y
			if (by-ay)*(by-ay) > bound {
				break
			}
			d2 := (bx-ax)*(bx-ax) + (by-ay)*(by-ay)
			if d2 > maxNeighborDistance*maxNeighborDistance {
				continue
			}
			// (d2, j) in one number: d2 is not negative, and the bits of
			// floats that are not negative sort like the floats.
			key := uint64(math.Float32bits(d2))<<8 | uint64(j)
			if count == maxNeighbors {
				if key > keys[maxNeighbors-1] {
					continue
				}
			} else {
				count++
			}
			k := count - 1
			for ; k > 0 && key < keys[k-1]; k-- {
				keys[k] = keys[k-1]
			}
			keys[k] = key
			if count == maxNeighbors {
				bound = math.Float32frombits(uint32(keys[maxNeighbors-1] >> 8))
			}
		}
	}
	for k, key := range keys[:count] {
		nearest[k] = near{math.Float32frombits(uint32(key >> 8)), int(uint8(key))}
	}
	return count
}

// nearestScanned finds minutia i's neighbours into nearest and returns how
// many there are: the reference's scan, for any coordinates.
func (s *prepareScratch) nearestScanned(i int, nearest *[maxNeighbors]near) int {
	pts := s.points[:s.n]
	ax, ay := pts[i].x, pts[i].y
	count := 0
	for j := range pts {
		bx, by := pts[j].x, pts[j].y
		d2 := (bx-ax)*(bx-ax) + (by-ay)*(by-ay)
		if j == i || d2 > maxNeighborDistance*maxNeighborDistance {
			continue
		}
		if count == maxNeighbors && d2 >= nearest[maxNeighbors-1].d2 {
			continue
		}
		if count < maxNeighbors {
			count++
		}
		// Ties keep the lower index first; a NaN stays where it lands.
		k := count - 1
		for ; k > 0 && d2 < nearest[k-1].d2; k-- {
			nearest[k] = nearest[k-1]
		}
		nearest[k] = near{d2, j}
	}
	return count
}

// measureEdge measures the edge from minutia i to minutia j, and returns
// it with its arc tangent (see edgeAtan2). Angles follow the template's
// convention: counter-clockwise as the image is viewed, with y pointing
// down, so the edge direction is atan2(-dy, dx).
//
// Two minutiae are often (4 times in 10) each other's neighbours. Then the
// edge back from j to i, measured already if j < i, has the same length
// and the same arc tangent, and the costly math.Hypot and math.Atan are not
// repeated: dx and dy are exactly those of the edge back negated (float
// subtraction is exact under negation), math.Hypot takes their absolute
// values, and -dy/dx is the same quotient.
func (s *prepareScratch) measureEdge(i, j int) (edge, float64) {
	a, b := &s.points[i], &s.points[j]
	dx, dy := float64(b.x-a.x), float64(b.y-a.y)
	back := -1
	if j < i {
		for r := int(s.nbrStart[j]); r < int(s.nbrStart[j+1]); r++ {
			if int(s.neighbors[r].to) == i {
				back = r
				break
			}
		}
	}
	var length float32
	var phi, q float64
	if back >= 0 && !math.IsNaN(s.atan[back]) {
		length, q = s.neighbors[back].length, s.atan[back]
		phi = atanQuadrant(q, dx)
	} else {
		length = float32(math.Hypot(dx, dy))
		phi, q = edgeAtan2(-dy, dx)
	}
	return edge{
		length:   length,
		tol:      lengthTol(length),
		refAngle: toFixed(phi - float64(a.dir)),
		nbrAngle: toFixed(phi - float64(b.dir)),
		from:     uint8(i),
		to:       uint8(j),
	}, q
}

// edgeAtan2 returns math.Atan2(y, x), and q = math.Atan(y/x), from which
// the edge back's math.Atan2(-y, -x) follows (atanQuadrant). It is
// math.Atan2 taken apart: for finite, non-zero x and y, math.Atan2 is
// math.Atan(y/x) moved to the quadrant of (x, y). Otherwise (a special case
// of math.Atan2) q is NaN. This holds where math.Atan2 is the portable Go
// code (every platform but s390x, which has its own assembly);
// TestEdgeAtan2MatchesMath holds it to math.Atan2.
func edgeAtan2(y, x float64) (phi, q float64) {
	if x == 0 || y == 0 || !(math.Abs(x) <= math.MaxFloat64 && math.Abs(y) <= math.MaxFloat64) {
		return math.Atan2(y, x), math.NaN()
	}
	q = math.Atan(y / x)
	return atanQuadrant(q, x), q
}

// atanQuadrant returns math.Atan2(y, x) from q = math.Atan(y/x), for
// finite, non-zero x and y: as math.Atan2 does.
func atanQuadrant(q, x float64) float64 {
	if x < 0 {
		if q <= 0 {
			return q + math.Pi
		}
		return q - math.Pi
	}
	return q
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

func lengthTol(l float32) float32 { return lengthTolerance + lengthToleranceRel*l }

// The cells of the edge table along one dimension are binsOf's. lengthCell
// and angleCells give binsOf's results for the table's lengths and angles
// faster, because they are called for every root edge.

// lengthCell is binsOf(v, maxRootEdge, 0, rootLengthBins, false)'s cell:
// binsOf written out, the same float32 operations on the same constants
// (binsOf is too large to be inlined).
func lengthCell(v float32) int {
	const w = float32(maxRootEdge) / rootLengthBins
	return max(min(int(v/w), rootLengthBins-1), 0)
}

// angleCells is binsOf(fromFixed(a), 2*math.Pi, angleTolerance,
// rootAngleBins, true), for a fixed-point angle a, by integer comparisons
// with angleCuts (TestAngleCellsMatchBinsOf tries every angle).
func angleCells(a uint16) (cell, other int) {
	x := uint32(a)
	// The cell in exact arithmetic; binsOf's float32 rounding moves its
	// boundaries by less than an angle unit, so by one cell at most.
	b := int(x * rootAngleBins >> 16)
	if x < angleCuts[b].start {
		b--
	} else if x >= angleCuts[b+1].start {
		b++
	}
	switch c := &angleCuts[b]; {
	case x < c.lowEnd:
		return b, (b + rootAngleBins - 1) % rootAngleBins
	case x >= c.highStart:
		return b, (b + 1) % rootAngleBins
	}
	return b, -1
}

// angleCuts[b] are, for angle cell b, the first fixed-point angle in it
// (start), the first no longer within tolerance of its lower boundary
// (lowEnd) and the first within tolerance of its upper boundary
// (highStart), as binsOf decides them. angleCuts[rootAngleBins].start
// closes the last cell.
var angleCuts = findAngleCuts()

type angleCut struct{ start, lowEnd, highStart uint32 }

// findAngleCuts finds angleCuts by bisection: binsOf's cell, and within a
// cell whether an angle is near the lower or the upper boundary, do not
// decrease with the angle.
func findAngleCuts() (cuts [rootAngleBins + 1]angleCut) {
	bins := func(a uint32) (int, int) {
		return binsOf(fromFixed(uint16(a)), 2*math.Pi, angleTolerance, rootAngleBins, true)
	}
	// first returns the first angle in [lo, hi) where ok holds (hi if none).
	first := func(lo, hi uint32, ok func(uint32) bool) uint32 {
		for lo < hi {
			mid := lo + (hi-lo)/2
			if ok(mid) {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		return lo
	}
	for b := range rootAngleBins + 1 {
		cuts[b].start = first(0, fixedTurn, func(a uint32) bool { c, _ := bins(a); return c >= b })
	}
	for b := range rootAngleBins {
		lo, hi := cuts[b].start, cuts[b+1].start
		lower, upper := (b+rootAngleBins-1)%rootAngleBins, (b+1)%rootAngleBins
		cuts[b].lowEnd = first(lo, hi, func(a uint32) bool { _, o := bins(a); return o != lower })
		cuts[b].highStart = first(cuts[b].lowEnd, hi, func(a uint32) bool { _, o := bins(a); return o == upper })
	}
	return cuts
}

// fileRootEdges finds the root edges among s.neighbors, and the table cells
// each is filed in, into s.roots, by from and then to; and counts the
// entries of each cell and the lookups of each cell. It returns the number
// of root edges and of table entries.
func (s *prepareScratch) fileRootEdges(n int) (roots, entries int) {
	clear(s.cellCount[:])
	clear(s.lookupCount[:])
	for i := range n {
		// The rootNeighbors nearest of minutia i, if of moderate length.
		first := roots
		start := int(s.nbrStart[i])
		for k := start; k < min(start+rootNeighbors, int(s.nbrStart[i+1])); k++ {
			e := &s.neighbors[k]
			if e.length < minRootEdge || e.length > maxRootEdge {
				continue
			}
			// The cells a matching probe edge can be in: this edge's own
			// and, per dimension, the neighbouring one when the edge is
			// within tolerance of the boundary. The length tolerance is
			// that of the longest probe edge that can match.
			ltol := lengthTol(e.length + e.tol)
			lFirst, lLast := lengthCell(e.length-ltol), lengthCell(e.length+ltol)
			a0, a1 := angleCells(e.refAngle)
			b0, b1 := angleCells(e.nbrAngle)
			own := (lengthCell(e.length)*rootAngleBins+a0)*rootAngleBins + b0
			f := rootFiling{
				lookup: lookup{
					lo:       toLengthUnits(e.length - e.tol),
					hi:       toLengthUnits(e.length + e.tol),
					refAngle: e.refAngle,
					nbrAngle: e.nbrAngle,
					from:     e.from,
					to:       e.to,
					cell:     uint16(own),
				},
				length: toLengthUnits(e.length),
				lFirst: uint8(lFirst), lLast: uint8(lLast),
				a: [2]int8{int8(a0), int8(a1)}, b: [2]int8{int8(b0), int8(b1)},
			}
			// Minutia i's root edges in the order of to (they come
			// nearest first): an insertion among at most rootNeighbors.
			r := roots
			for ; r > first && s.roots[r-1].to > f.to; r-- {
				s.roots[r] = s.roots[r-1]
			}
			s.roots[r] = f
			roots++

			s.lookupCount[own]++
			for l := lFirst; l <= lLast; l++ {
				for _, a := range [2]int{a0, a1} {
					for _, b := range [2]int{b0, b1} {
						if a >= 0 && b >= 0 {
							s.cellCount[(l*rootAngleBins+a)*rootAngleBins+b]++
							entries++
						}
					}
				}
			}
		}
	}
	return roots, entries
}

// sortRootsByLength puts into s.byLength the order of s.roots[:nr] by
// table length, then from, then to: the order within each cell of the edge
// table. s.roots is in the order of from and to already, so a stable sort
// by length does: radix, a byte of the length at a time, least significant
// first (a few hundred edges; 2 passes of counting).
func (s *prepareScratch) sortRootsByLength(nr int) {
	src, dst := s.byLength[:nr], s.radixTmp[:nr]
	for r := range src {
		src[r] = uint16(r)
	}
	for shift := 0; shift < 16; shift += 8 {
		var next [256 + 1]uint16
		for _, r := range src {
			next[(s.roots[r].length>>shift)&0xff+1]++
		}
		for d := range 256 {
			next[d+1] += next[d]
		}
		for _, r := range src {
			d := (s.roots[r].length >> shift) & 0xff
			dst[next[d]] = r
			next[d]++
		}
		src, dst = dst, src
	}
	// An even number of passes: the result is back in s.byLength.
}

// placeRootEdges fills p's lookups and edge table from s.roots[:nr], each
// by a counting sort on the cell. The sorts are stable, so the lookups of a
// cell keep the order of s.roots (from, then to), and the entries of a cell
// the order of s.byLength (length, then from, then to): a lookup stops at
// the first edge too long to match. The probe's lookups in cell order walk
// the candidate's table forwards, which the processor's prefetcher follows.
func (s *prepareScratch) placeRootEdges(p *Prepared, nr int) {
	// Running sums: cellStart[k] and lookupEnd[k] become the ends of the
	// cells. Placing an entry counts its cell's end down to the entry's
	// place, so placing backwards keeps the order (and leaves cellStart[k]
	// at the cell's start).
	lookupEnd := &s.lookupCount
	var entries, lookups uint16
	for k := range numCells {
		entries += s.cellCount[k]
		p.cellStart[k] = entries
		lookups += lookupEnd[k]
		lookupEnd[k] = lookups
	}
	p.cellStart[numCells] = entries

	// Local slices: the compiler cannot tell that the stores below leave
	// p's slice headers alone, and would load them again for every store.
	lookupsOut, cellStart, rootEdges := p.lookups, p.cellStart[:numCells], p.rootEdges
	for r := nr - 1; r >= 0; r-- {
		f := &s.roots[r]
		lookupEnd[f.cell]--
		lookupsOut[lookupEnd[f.cell]] = f.lookup
	}
	for x := nr - 1; x >= 0; x-- {
		f := &s.roots[s.byLength[x]]
		te := tableEdge{length: f.length, refAngle: f.refAngle, nbrAngle: f.nbrAngle, from: f.from, to: f.to}
		for l := int(f.lFirst); l <= int(f.lLast); l++ {
			for _, a := range f.a {
				for _, b := range f.b {
					if a >= 0 && b >= 0 {
						c := (l*rootAngleBins+int(a))*rootAngleBins + int(b)
						cellStart[c]--
						rootEdges[cellStart[c]] = te
					}
				}
			}
		}
	}
}

// arena lays Prepared's slices out in one allocation, which is cheaper to
// make and for the garbage collector to keep than six, and keeps a
// template's data together in memory. This is safe only because no element
// type holds a pointer (TestArenaTypesHoldNoPointers): the collector never
// looks inside the block, and keeps all of it while any slice of it is
// reachable. Each slice is aligned for its type and capped at its length,
// so an append cannot run into the next one.
type arena struct{ size uintptr }

// reserve makes room for n elements of T and returns their offset.
func reserve[T any](a *arena, n int) uintptr {
	var zero T
	align := unsafe.Alignof(zero)
	off := (a.size + align - 1) &^ (align - 1)
	a.size = off + uintptr(n)*unsafe.Sizeof(zero)
	return off
}

// alloc allocates the block, zeroed, 8-byte aligned.
func (a *arena) alloc() []uint64 { return make([]uint64, (a.size+7)/8) }

// carve returns the n elements of T at offset off of buf (reserved by
// reserve), or nil if n is 0: an empty slice must not point past the end
// of the block.
func carve[T any](buf []uint64, off uintptr, n int) []T {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(buf)), off)), n)
}
