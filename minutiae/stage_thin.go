package minutiae

// The 8 neighbours of a pixel, in the order of the bits of a ring value:
// N, NE, E, SE, S, SW, W, NW (clockwise as the image is viewed, y down).
var ringDX = [8]int{0, 1, 1, 1, 0, -1, -1, -1}
var ringDY = [8]int{-1, -1, 0, 1, 1, 1, 0, -1}

// Lookup tables on ring values.
var (
	// ringCount is the number of set neighbours.
	ringCount [256]uint8
	// ringCrossing is the crossing number: the number of 0 → 1 transitions
	// around the ring (½ Σ |P(i) − P(i+1)|).
	ringCrossing [256]uint8
	// ringComponents is the number of 8-connected groups of set neighbours.
	ringComponents [256]uint8
	// guoHall[s] tells whether a pixel with that ring may be deleted in
	// sub-iteration s of Guo and Hall's parallel thinning (1989,
	// algorithm A1). Unlike Zhang and Suen's, it keeps diagonal ridges two
	// pixels thick instead of erasing them.
	guoHall [2][256]bool
)

func init() {
	for v := range 256 {
		bit := func(i int) int { return v >> (i & 7) & 1 }
		n, a := 0, 0
		for i := range 8 {
			n += bit(i)
			if bit(i) == 0 && bit(i+1) == 1 {
				a++
			}
		}
		ringCount[v] = uint8(n)
		ringCrossing[v] = uint8(a)
		// Components: union of set neighbours that are 8-adjacent.
		var parent [8]int
		for i := range parent {
			parent[i] = i
		}
		find := func(i int) int {
			for parent[i] != i {
				i = parent[i]
			}
			return i
		}
		for i := range 8 {
			for j := i + 1; j < 8; j++ {
				if bit(i) == 1 && bit(j) == 1 && abs(ringDX[i]-ringDX[j]) <= 1 && abs(ringDY[i]-ringDY[j]) <= 1 {
					parent[find(i)] = find(j)
				}
			}
		}
		comps := 0
		for i := range 8 {
			if bit(i) == 1 && find(i) == i {
				comps++
			}
		}
		ringComponents[v] = uint8(comps)
		// Guo–Hall, with P2 = N, P3 = NE, …, P9 = NW.
		p2, p3, p4, p5, p6, p7, p8, p9 := bit(0), bit(1), bit(2), bit(3), bit(4), bit(5), bit(6), bit(7)
		c := (1 - p2) & (p3 | p4)
		c += (1 - p4) & (p5 | p6)
		c += (1 - p6) & (p7 | p8)
		c += (1 - p8) & (p9 | p2)
		n1 := (p9 | p2) + (p3 | p4) + (p5 | p6) + (p7 | p8)
		n2 := (p2 | p3) + (p4 | p5) + (p6 | p7) + (p8 | p9)
		nm := min(n1, n2)
		if c == 1 && nm >= 2 && nm <= 3 {
			guoHall[0][v] = (p2|p3|(1-p5))&p4 == 0
			guoHall[1][v] = (p6|p7|(1-p9))&p8 == 0
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// ring returns the ring value of pixel i of a w-wide 0/1 image; i must not
// lie on the image's edge.
func ring(img []uint8, i, w int) int {
	return int(img[i-w]) | int(img[i-w+1])<<1 | int(img[i+1])<<2 | int(img[i+w+1])<<3 |
		int(img[i+w])<<4 | int(img[i+w-1])<<5 | int(img[i-1])<<6 | int(img[i-w-1])<<7
}

// thin reduces the ridges of bin to a one-pixel-wide, 8-connected skeleton:
// the parallel thinning of Guo and Hall (1989), then the removal of the
// staircase corners it leaves (a pixel whose two 4-neighbours at a right
// angle are set, when removing it keeps its neighbours connected), so that
// every pixel along a ridge has exactly two neighbours and the crossing
// number is reliable; last, short spurs are pruned (pruneSpurs).
func thin(p *plane, bin []uint8, tr Trace) []uint8 {
	w, h := p.w, p.h
	s := make([]uint8, len(bin))
	copy(s, bin)
	// Candidate pixels: the foreground, shrinking as pixels are deleted.
	fg := make([]int32, 0, len(s)/3)
	for i, v := range s {
		if v != 0 {
			fg = append(fg, int32(i))
		}
	}
	del := make([]int32, 0, len(fg))
	for {
		changed := false
		for sub := range 2 {
			del = del[:0]
			zs := &guoHall[sub]
			for _, i := range fg {
				if s[i] != 0 && zs[ring(s, int(i), w)] {
					del = append(del, i)
				}
			}
			for _, i := range del {
				s[i] = 0
			}
			changed = changed || len(del) > 0
		}
		if !changed {
			break
		}
		k := 0
		for _, i := range fg {
			if s[i] != 0 {
				fg[k] = i
				k++
			}
		}
		fg = fg[:k]
	}
	// Staircases (few are left): delete, in raster order, corners whose removal keeps the
	// neighbours in one 8-connected group.
	for _, i := range fg {
		if s[i] == 0 {
			continue
		}
		r := ring(s, int(i), w)
		n, e, so, we := r&1 != 0, r&4 != 0, r&16 != 0, r&64 != 0
		corner := (n && e) || (e && so) || (so && we) || (we && n)
		if corner && ringCount[r] >= 2 && ringComponents[r] == 1 {
			s[i] = 0
		}
	}
	pruneSpurs(s, w, fg)
	traceBitmap(tr, StageSkeleton, w, h, 1, s)
	return s
}

// pruneSpurs erases the short branches of the skeleton: from every ending,
// the ridge is followed for up to spurMaxLength pixels, and when it meets a
// junction that soon, the branch is a spur (a hair from a noisy ridge edge)
// and its pixels go, so that the junction it hangs from becomes a plain
// ridge pixel instead of a false bifurcation. fg lists the pixels that may
// be set.
func pruneSpurs(s []uint8, w int, fg []int32) {
	var ends []int
	for _, i := range fg {
		if s[i] != 0 && ringCrossing[ring(s, int(i), w)] == 1 {
			ends = append(ends, int(i))
		}
	}
	path := make([]int, 0, spurMaxLength+1)
	for _, i := range ends {
		r := ring(s, i, w)
		if s[i] == 0 || ringCrossing[r] != 1 {
			continue // erased or changed by an earlier pruning
		}
		first, others := branchStart(r, 0)
		path = path[:0]
		wr := walk(s, w, i, first, others, spurMaxLength, &path)
		if wr.stop != stopJunction || wr.length > spurMaxLength {
			continue
		}
		s[i] = 0
		for _, q := range path {
			s[q] = 0
		}
	}
}
