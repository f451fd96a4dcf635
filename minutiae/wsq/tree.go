package wsq

// The WSQ wavelet decomposition is not a plain dyadic pyramid: the FBI
// specification fixes a tree of 20 two-dimensional splits (the "W tree")
// which cuts the image into 64 rectangular subbands (the "Q tree"), of which
// the 60 numbered 0–59 are quantized and coded and the last 4 (the
// high-frequency bottom-right quadrant of the first split) are dropped. Both
// trees depend only on the image's width and height; this file computes them
// exactly as the specification (and NBIS's tree.c) does, including which half
// gets the extra sample when a length is odd, because the decoder must cut
// the image at the same places as the encoder did.

const (
	numWNodes    = 20 // splits in the wavelet tree
	numSubbands  = 60 // subbands that carry coefficients
	numQSubbands = 64 // all subbands, including the 4 that are always dropped

	// Subbands 0–18 are coded in block 1, 19–51 in block 2 and 52–59 in
	// block 3 (the encoder needs this; a decoder just reads the blocks in
	// order).
	firstSubbandBlock2 = 19
	firstSubbandBlock3 = 52
)

// rect is a rectangle of the image plane in pixels: x, y its top-left corner.
type rect struct {
	x, y, w, h int
}

// wNode is one split of the wavelet tree: the region it covers, and whether
// the high-pass half comes first (is "spectrally inverted") along the rows or
// the columns.
type wNode struct {
	rect
	invRow, invCol bool
}

// trees holds the geometry of one image size.
type trees struct {
	w [numWNodes]wNode
	q [numQSubbands]rect
}

// buildTrees computes both trees for a width × height image.
func buildTrees(width, height int) *trees {
	t := new(trees)
	t.buildW(width, height)
	t.buildQ()
	return t
}

func (t *trees) buildW(width, height int) {
	w := &t.w
	for _, n := range []int{2, 4, 7, 9, 11, 13, 16, 18} {
		w[n].invRow = true
	}
	for _, n := range []int{3, 5, 8, 9, 12, 13, 17, 18} {
		w[n].invCol = true
	}

	// Level 1: the whole image (node 0) into nodes 1, 2, 3 and the dropped
	// bottom-right quadrant, which is not a node.
	t.split4(0, 1, width, height, 0, 0, false)

	// Node 1 (the low-pass quadrant) is cut once more, into nodes 14, 4, 5
	// and subband 51; the low-pass side gets the extra sample of an odd
	// length.
	lenx, lenx2 := halves(w[1].w)
	leny, leny2 := halves(w[1].h)
	t.split4(4, 6, lenx2, leny, lenx, 0, true)
	t.split4(5, 10, lenx, leny2, 0, leny, true)
	t.split4(14, 15, lenx, leny, 0, 0, true)

	// Node 19 is the low-pass quarter of node 15; it splits into the four
	// coarsest subbands 0–3.
	w[19].rect = rect{0, 0, (w[15].w + 1) / 2, (w[15].h + 1) / 2}
}

// halves splits a length n into a first part that gets the extra sample when
// n is odd and a second part.
func halves(n int) (first, second int) {
	if n%2 == 0 {
		return n / 2, n / 2
	}
	return (n + 1) / 2, (n+1)/2 - 1
}

// split4 records node p1 as the region (x, y, lenx, leny) and nodes
// p2..p2+3 as its four quadrants (top-left, top-right, bottom-left,
// bottom-right). Node 4 gives the extra column of an odd width to its right
// half and node 5 the extra row of an odd height to its bottom half; every
// other node gives it to the left or top. With setLast false the bottom-right
// quadrant is not recorded (for node 0, whose bottom-right quadrant is
// dropped and whose slot p2+3 = 4 is a different node).
func (t *trees) split4(p1, p2, lenx, leny, x, y int, setLast bool) {
	w := &t.w
	w[p1].rect = rect{x, y, lenx, leny}

	w[p2].x, w[p2+2].x = x, x
	w[p2].y, w[p2+1].y = y, y

	switch {
	case lenx%2 == 0:
		w[p2].w = lenx / 2
		w[p2+1].w = w[p2].w
	case p1 == 4:
		w[p2].w = (lenx - 1) / 2
		w[p2+1].w = w[p2].w + 1
	default:
		w[p2].w = (lenx + 1) / 2
		w[p2+1].w = w[p2].w - 1
	}
	w[p2+1].x = w[p2].w + x
	if setLast {
		w[p2+3].w = w[p2+1].w
		w[p2+3].x = w[p2+1].x
	}
	w[p2+2].w = w[p2].w

	switch {
	case leny%2 == 0:
		w[p2].h = leny / 2
		w[p2+2].h = w[p2].h
	case p1 == 5:
		w[p2].h = (leny - 1) / 2
		w[p2+2].h = w[p2].h + 1
	default:
		w[p2].h = (leny + 1) / 2
		w[p2+2].h = w[p2].h - 1
	}
	w[p2+2].y = w[p2].h + y
	if setLast {
		w[p2+3].h = w[p2+2].h
		w[p2+3].y = w[p2+2].y
	}
	w[p2+1].h = w[p2].h
}

func (t *trees) buildQ() {
	w := &t.w
	// The order matters: later calls overwrite some subbands of earlier ones
	// (35–50 overwrite 48–50, and 0–3 overwrite 3), exactly as in the
	// specification's tables.
	t.split16(3, w[14].rect, false, false)
	t.split16(19, w[4].rect, false, true)
	t.split16(48, w[0].rect, false, false)
	t.split16(35, w[5].rect, true, false)
	t.split4q(0, w[19].rect)
}

// split16 cuts region r into 4 × 4 subbands start..start+15: first into
// quadrants, then each quadrant into four. invRow (invCol) gives the extra row
// (column) of an odd height (width) to the second half at the first cut.
func (t *trees) split16(start int, r rect, invRow, invCol bool) {
	q := t.q[start : start+16 : start+16]
	x, y := r.x, r.y

	var tempx, temp2x int // widths of the left and right halves
	if r.w%2 == 0 {
		tempx, temp2x = r.w/2, r.w/2
	} else if invCol {
		temp2x = (r.w + 1) / 2
		tempx = temp2x - 1
	} else {
		tempx = (r.w + 1) / 2
		temp2x = tempx - 1
	}
	var tempy, temp2y int // heights of the top and bottom halves
	if r.h%2 == 0 {
		tempy, temp2y = r.h/2, r.h/2
	} else if invRow {
		temp2y = (r.h + 1) / 2
		tempy = temp2y - 1
	} else {
		tempy = (r.h + 1) / 2
		temp2y = tempy - 1
	}

	// Top-left quadrant: 0..3.
	q[0].x, q[2].x = x, x
	q[0].y, q[1].y = y, y
	if tempx%2 == 0 {
		q[0].w = tempx / 2
		q[1].w, q[2].w, q[3].w = q[0].w, q[0].w, q[0].w
	} else {
		q[0].w = (tempx + 1) / 2
		q[1].w = q[0].w - 1
		q[2].w = q[0].w
		q[3].w = q[1].w
	}
	q[1].x = x + q[0].w
	q[3].x = q[1].x
	if tempy%2 == 0 {
		q[0].h = tempy / 2
		q[1].h, q[2].h, q[3].h = q[0].h, q[0].h, q[0].h
	} else {
		q[0].h = (tempy + 1) / 2
		q[1].h = q[0].h
		q[2].h = q[0].h - 1
		q[3].h = q[2].h
	}
	q[2].y = y + q[0].h
	q[3].y = q[2].y

	// Top-right quadrant: 4..7 (the extra column of an odd width goes right).
	q[4].x = x + tempx
	q[6].x = q[4].x
	q[4].y, q[5].y = y, y
	q[6].y, q[7].y = q[2].y, q[2].y
	q[4].h, q[5].h = q[0].h, q[0].h
	q[6].h, q[7].h = q[2].h, q[2].h
	if temp2x%2 == 0 {
		q[4].w = temp2x / 2
		q[5].w, q[6].w, q[7].w = q[4].w, q[4].w, q[4].w
	} else {
		q[5].w = (temp2x + 1) / 2
		q[4].w = q[5].w - 1
		q[6].w = q[4].w
		q[7].w = q[5].w
	}
	q[5].x = q[4].x + q[4].w
	q[7].x = q[5].x

	// Bottom-left quadrant: 8..11 (the extra row of an odd height goes down).
	q[8].x, q[10].x = x, x
	q[9].x, q[11].x = q[1].x, q[1].x
	q[8].y = y + tempy
	q[9].y = q[8].y
	q[8].w, q[10].w = q[0].w, q[0].w
	q[9].w, q[11].w = q[1].w, q[1].w
	if temp2y%2 == 0 {
		q[8].h = temp2y / 2
		q[9].h, q[10].h, q[11].h = q[8].h, q[8].h, q[8].h
	} else {
		q[10].h = (temp2y + 1) / 2
		q[11].h = q[10].h
		q[8].h = q[10].h - 1
		q[9].h = q[8].h
	}
	q[10].y = q[8].y + q[8].h
	q[11].y = q[10].y

	// Bottom-right quadrant: 12..15, aligned with the two above.
	q[12].x, q[14].x = q[4].x, q[4].x
	q[13].x, q[15].x = q[5].x, q[5].x
	q[12].y, q[13].y = q[8].y, q[8].y
	q[14].y, q[15].y = q[10].y, q[10].y
	q[12].w, q[14].w = q[4].w, q[4].w
	q[13].w, q[15].w = q[5].w, q[5].w
	q[12].h, q[13].h = q[8].h, q[8].h
	q[14].h, q[15].h = q[10].h, q[10].h
}

// split4q cuts region r into the four subbands start..start+3 (top-left,
// top-right, bottom-left, bottom-right), the extra sample of an odd length
// going to the left or top.
func (t *trees) split4q(start int, r rect) {
	q := t.q[start : start+4 : start+4]
	x, y := r.x, r.y
	q[0].x, q[2].x = x, x
	q[0].y, q[1].y = y, y
	if r.w%2 == 0 {
		q[0].w = r.w / 2
		q[1].w, q[2].w, q[3].w = q[0].w, q[0].w, q[0].w
	} else {
		q[0].w = (r.w + 1) / 2
		q[1].w = q[0].w - 1
		q[2].w = q[0].w
		q[3].w = q[1].w
	}
	q[1].x = x + q[0].w
	q[3].x = q[1].x
	if r.h%2 == 0 {
		q[0].h = r.h / 2
		q[1].h, q[2].h, q[3].h = q[0].h, q[0].h, q[0].h
	} else {
		q[0].h = (r.h + 1) / 2
		q[1].h = q[0].h
		q[2].h = q[0].h - 1
		q[3].h = q[2].h
	}
	q[2].y = y + q[0].h
	q[3].y = q[2].y
}
