package minutiae

import "math"

// How a walk along the skeleton stopped.
const (
	stopLength   = iota // it went the whole length asked for
	stopEnd             // it reached a ridge ending
	stopJunction        // it reached a bifurcation or crossing
)

// walkResult is where a walk along a ridge of the skeleton went.
type walkResult struct {
	// x, y is where the walk stopped, after length steps.
	x, y, length int
	stop         int
	// dx, dy is the offset from the start to the pixel reached after
	// directionTraceLength steps (or where the walk stopped, if sooner).
	dx, dy int
}

// candidate is a minutia on its way through detection and filtering.
type candidate struct {
	x, y int
	kind Kind
	// dir is the direction in the model's convention (radians in [0, 2π),
	// counter-clockwise as viewed, y down).
	dir     float64
	quality uint8
	// removedBy names the filter that removed the candidate; "" while kept.
	removedBy string
	// walks are the ridges followed from the minutia: one for an ending,
	// three for a bifurcation.
	walks  [3]walkResult
	nwalks int
}

// remove marks the candidate as removed by the named filter, unless an
// earlier one already did.
func (c *candidate) remove(by string) {
	if c.removedBy == "" {
		c.removedBy = by
	}
}

func (c *candidate) removed() bool { return c.removedBy != "" }

func (c *candidate) minutia() Minutia {
	dir := NormalizeAngle(c.dir)
	if dir == 0 {
		dir = 0 // not −0 (atan2 of −0), which prints as "-0"
	}
	return Minutia{X: float32(c.x), Y: float32(c.y), Direction: dir, Kind: c.kind, Quality: c.quality}
}

// detectMinutiae finds the ridge endings (crossing number 1) and
// bifurcations (crossing number 3) of the skeleton and gives each its
// direction by following its ridges for directionTraceLength steps:
//
//   - an ending points from the ending to where its ridge leads;
//   - a bifurcation points along the bisector of its two closest branches
//     (the fork), away from the third (the stem): the direction of the
//     valley that ends there, as ISO/IEC 19794-2 measures it.
//
// A minutia whose ridges are too short to follow takes the local ridge
// orientation instead. Bifurcation pixels next to one another are one
// bifurcation.
func detectMinutiae(p *plane, s []uint8, o *orientation, tr Trace) []candidate {
	w, h := p.w, p.h
	var cands []candidate
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			if s[i] == 0 {
				continue
			}
			r := ring(s, i, w)
			switch ringCrossing[r] {
			case 1:
				c := candidate{x: x, y: y, kind: KindEnding}
				first, others := branchStart(r, 0)
				c.walks[0] = walk(s, w, i, first, others, walkMaxLength, nil)
				c.nwalks = 1
				c.dir = endingDirection(&c, o, p)
				cands = append(cands, c)
			case 3:
				if nearBifurcation(cands, x, y) {
					continue
				}
				c := candidate{x: x, y: y, kind: KindBifurcation}
				for k := range 3 {
					first, others := branchStart(r, k)
					c.walks[k] = walk(s, w, i, first, others, walkMaxLength, nil)
				}
				c.nwalks = 3
				c.dir = bifurcationDirection(&c, o, p)
				cands = append(cands, c)
			}
		}
	}
	if tr != nil {
		tr.Stage(StageRawMinutiae, toMinutiae(cands))
	}
	return cands
}

// nearBifurcation reports whether a bifurcation was already found at a
// neighbouring pixel (the scan is in raster order, so only the last few
// candidates can be that close).
func nearBifurcation(cands []candidate, x, y int) bool {
	for k := len(cands) - 1; k >= 0; k-- {
		c := &cands[k]
		if c.y < y-2 {
			break
		}
		if c.kind == KindBifurcation && abs(c.x-x) <= 2 && abs(c.y-y) <= 2 {
			return true
		}
	}
	return false
}

// branchStart returns, for branch k of a pixel with ring r (the runs of
// set neighbours counted from N, clockwise), the ring position to step to,
// preferring a 4-neighbour, and the ring bits of the other branches.
func branchStart(r, k int) (first, others int) {
	run := -1
	for i := range 8 {
		if r>>i&1 == 0 || r>>((i+7)&7)&1 != 0 {
			continue // not where a run starts
		}
		run++
		if run != k {
			continue
		}
		first = i
		bits := 0
		for j := i; j < i+8 && r>>(j&7)&1 == 1; j++ {
			bits |= 1 << (j & 7)
			if j&1 == 0 && first&1 == 1 {
				first = j & 7
			}
		}
		return first, r &^ bits
	}
	return 0, 0
}

// walk follows the skeleton from pixel start through its neighbour at ring
// position first, for at most maxLen steps. The start's neighbours in the
// ring bits others are not entered: they belong to other branches.
//
// When path is not nil, the pixels walked through (not the start, nor the
// pixel where a junction stopped the walk) are appended to it.
func walk(s []uint8, w, start, first, others, maxLen int, path *[]int) walkResult {
	var off [8]int
	for i := range 8 {
		off[i] = ringDY[i]*w + ringDX[i]
	}
	// visited holds the start, its ring and the recent path.
	var visited [24]int
	nv := 0
	visited[nv] = start
	nv++
	for i := range 8 {
		if others>>i&1 == 1 {
			visited[nv] = start + off[i]
			nv++
		}
	}
	fixed := nv // entries below are kept; the rest is a ring buffer
	next := fixed
	seen := func(q int) bool {
		for _, v := range visited[:nv] {
			if v == q {
				return true
			}
		}
		return false
	}
	mark := func(q int) {
		if nv < len(visited) {
			visited[nv] = q
			nv++
			return
		}
		visited[next] = q
		next++
		if next == len(visited) {
			next = fixed
		}
	}
	sx, sy := start%w, start/w
	prev, cur := start, start+off[first]
	mark(cur)
	res := walkResult{stop: stopLength}
	length := 1
	for {
		if length == directionTraceLength {
			res.dx, res.dy = cur%w-sx, cur/w-sy
		}
		if length >= maxLen {
			break
		}
		bits := 0
		for i := range 8 {
			q := cur + off[i]
			if s[q] != 0 && !seen(q) {
				bits |= 1 << i
			}
		}
		if bits == 0 {
			res.stop = stopEnd
			if path != nil {
				*path = append(*path, cur)
			}
			break
		}
		if ringCrossing[bits] >= 2 || bits == 255 {
			res.stop = stopJunction
			break
		}
		if path != nil {
			*path = append(*path, cur)
		}
		// One run: step to its pixel farthest from the previous one.
		px, py := prev%w, prev/w
		best, bestD := -1, -1
		for i := range 8 {
			if bits>>i&1 == 0 {
				continue
			}
			q := cur + off[i]
			dx, dy := q%w-px, q/w-py
			if d := dx*dx + dy*dy; d > bestD {
				best, bestD = q, d
			}
		}
		for i := range 8 {
			if bits>>i&1 == 1 {
				mark(cur + off[i])
			}
		}
		prev, cur = cur, best
		length++
	}
	res.x, res.y, res.length = cur%w, cur/w, length
	if length < directionTraceLength {
		res.dx, res.dy = res.x-sx, res.y-sy
	}
	return res
}

// modelAngle converts an image-coordinate offset (y down) to the model's
// direction: counter-clockwise as viewed from the x axis.
func modelAngle(dx, dy float64) float64 {
	return math.Atan2(-dy, dx)
}

// endingDirection is the direction from an ending along its ridge.
func endingDirection(c *candidate, o *orientation, p *plane) float64 {
	wr := &c.walks[0]
	if wr.length >= directionTraceMin {
		return modelAngle(float64(wr.dx), float64(wr.dy))
	}
	return orientedLike(o, p, c.x, c.y, float64(wr.dx), float64(wr.dy))
}

// bifurcationDirection is the bisector of the two branches of a
// bifurcation that are closest in angle.
func bifurcationDirection(c *candidate, o *orientation, p *plane) float64 {
	var ux, uy [3]float64
	for k := range 3 {
		dx, dy := float64(c.walks[k].dx), float64(c.walks[k].dy)
		n := math.Hypot(dx, dy)
		if n == 0 {
			return orientedLike(o, p, c.x, c.y, 0, 0)
		}
		ux[k], uy[k] = dx/n, dy/n
	}
	best, bestDot := 0, -2.0
	for k := range 3 {
		a, b := k, (k+1)%3
		if d := ux[a]*ux[b] + uy[a]*uy[b]; d > bestDot {
			best, bestDot = k, d
		}
	}
	a, b := best, (best+1)%3
	sx, sy := ux[a]+ux[b], uy[a]+uy[b]
	if math.Hypot(sx, sy) < 1e-6 { // the fork is a straight line: away from the stem
		st := 3 - a - b
		sx, sy = -ux[st], -uy[st]
	}
	return modelAngle(sx, sy)
}

// orientedLike returns the local ridge orientation at (x, y) as a model
// direction, choosing of its two senses the one closer to (dx, dy).
func orientedLike(o *orientation, p *plane, x, y int, dx, dy float64) float64 {
	t := float64(o.theta[p.blockOf(x, y)])
	ux, uy := math.Cos(t), math.Sin(t)
	if ux*dx+uy*dy < 0 {
		ux, uy = -ux, -uy
	}
	return modelAngle(ux, uy)
}
