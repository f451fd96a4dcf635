package wsq

import "fmt"

// The wavelet transform: a two-channel filter bank applied along the rows
// and then the columns of each node of the wavelet tree (tree.go), with
// symmetric extension at the ends of each line so that a line of n samples
// gives exactly n coefficients.
//
// This file reproduces NBIS's get_lets and join_lets (util.c), which walk
// the filter taps with a pointer that bounces off the two ends of the line.
// Their exact order of operations is what makes the decoder bit-exact, so
// the structure here follows theirs: the same start positions, the same
// bounce rules, the same order of additions. Pointers become indices into
// the line; reads are bounds-checked, because a file may carry filters (or
// an image size) for which the bouncing walk leaves the line, and that must
// be an error rather than a crash or a read of another line.

// synthesisBank holds the reconstruction filters and the constants of the
// walk that depend only on the filters.
type synthesisBank struct {
	lo, hi []float32 // hi is sign-flipped for even-length filters, as NBIS does in place

	evenFilters  bool    // NBIS: !fi_ev (asymmetric filters)
	loc, hoc     int     // start of the walk in the low-pass and high-pass halves
	lotap, hotap int     // whether the first output of each half uses tap 1 (1) or 0
	ssfac        float32 // initial sign factor of the high-pass sum
	ofhre        int     // initial right-edge repeat count (even filters)
}

func newSynthesisBank(t *transformTable) *synthesisBank {
	lsz, hsz := len(t.lo), len(t.hi)
	b := &synthesisBank{lo: t.lo, hi: t.hi}
	if lsz%2 == 1 {
		b.ssfac = 1
		b.loc = (lsz - 1) / 4
		b.hoc = (hsz+1)/4 - 1
		b.lotap = ((lsz - 1) / 2) % 2
		b.hotap = ((hsz + 1) / 2) % 2
	} else {
		b.evenFilters = true
		b.ssfac = -1
		b.ofhre = 2
		b.loc = lsz/4 - 1
		b.hoc = hsz/4 - 1
		b.lotap = (lsz / 2) % 2
		b.hotap = (hsz / 2) % 2
		b.hi = make([]float32, hsz)
		for i, v := range t.hi {
			b.hi[i] = -v
		}
	}
	return b
}

// edges returns the initial "repeat this end sample once" flags for the
// low-pass (left, right) and high-pass (left, right) halves of a line, which
// depend on the filters' and the line's parity (half-sample or whole-sample
// symmetry). joinLine clears the left ones when an even filter's start is
// moved from −1 to 0.
func (b *synthesisBank) edges(oddLine bool) (olle, olre, ohle, ohre bool) {
	switch {
	case !b.evenFilters && oddLine:
		olle, olre, ohle, ohre = false, false, true, true
	case !b.evenFilters:
		olle, olre, ohle, ohre = false, true, true, false
	case oddLine:
		olle, olre, ohle, ohre = true, false, true, true
	default:
		olle, olre, ohle, ohre = true, true, true, true
	}
	return
}

// reconstruct runs the inverse transform in place on the wavelet plane f
// (width pixels a row), node 19 first and node 0 last; each node is joined
// along its columns (into scratch) and then along its rows (back into f),
// as NBIS's wsq_reconstruct does.
//
// scratch must be as large as f and zeroed, like NBIS's (calloc): for
// unusual filters the walk reads outputs before it writes them, so what the
// output held before matters, and it is kept: a column's output is gathered
// from scratch before the join and scattered back after it, and a row's
// output is the row of f itself.
func reconstruct(f, scratch []float32, width int, t *trees, bank *synthesisBank) error {
	longest := 0
	for _, n := range t.w {
		longest = max(longest, n.w, n.h)
	}
	colIn := make([]float32, longest)
	colOut := make([]float32, longest)
	for node := numWNodes - 1; node >= 0; node-- {
		n := t.w[node]
		base := n.y*width + n.x
		for c := 0; c < n.w; c++ {
			// Columns are strided in the plane; joining them as contiguous
			// lines keeps the filter loops cache-friendly.
			in, out := colIn[:n.h], colOut[:n.h]
			for k := range in {
				in[k] = f[base+c+k*width]
				out[k] = scratch[c+k*width]
			}
			if err := bank.joinLine(out, in, n.invCol); err != nil {
				return fmt.Errorf("node %d (%d × %d at %d,%d), column %d: %w", node, n.w, n.h, n.x, n.y, c, err)
			}
			for k, v := range out {
				scratch[c+k*width] = v
			}
		}
		for r := 0; r < n.h; r++ {
			out := f[base+r*width : base+r*width+n.w]
			in := scratch[r*width : r*width+n.w]
			if err := bank.joinLine(out, in, n.invRow); err != nil {
				return fmt.Errorf("node %d (%d × %d at %d,%d), row %d: %w", node, n.w, n.h, n.x, n.y, r, err)
			}
		}
	}
	return nil
}

// slowJoinOnly turns joinLine's interior fast path off, for the test that
// checks both paths give the same bits.
var slowJoinOnly = false

// lineError reports a walk that left its line.
type lineError struct{ n int }

func (e lineError) Error() string {
	return fmt.Sprintf("the filters' symmetric extension steps outside a line of %d samples (image too small for these filters)", e.n)
}

// joinLine reconstructs one line, out, from its low-pass and high-pass
// halves in in (the same length). With inv the high-pass half comes first.
//
// The low-pass half has llen samples and the high-pass half hlen (equal for
// even n; one fewer high-pass sample for odd n). Each output sample is the
// sum of low-pass samples times every other tap of lo, then high-pass
// samples times every other tap of hi, accumulated in float32 in exactly
// NBIS's order.
func (b *synthesisBank) joinLine(out, in []float32, inv bool) error {
	n := len(out)
	if n < 2 || len(in) != n {
		return lineError{n}
	}
	oddLine := n%2 == 1
	llen, hlen := n/2, n/2
	if oddLine {
		llen = (n + 1) / 2
		hlen = llen - 1
	}
	loOff, hiOff := 0, llen // where each half starts in the input line
	if inv {
		loOff, hiOff = hlen, 0
	}
	olle, olre, ohle, ohre := b.edges(oddLine)
	loc, hoc := b.loc, b.hoc
	if b.evenFilters {
		// NBIS: a start of −1 becomes 0 without the edge repeat.
		if loc < 0 {
			loc, olle = 0, false
		}
		if hoc < 0 {
			hoc, ohle = 0, false
		}
	}

	w := lineWalk{
		b: b, out: out,
		lo: in[loOff : loOff+llen], hi: in[hiOff : hiOff+hlen],
		oddLine: oddLine,
	}

	// NBIS zeroes the first two outputs: when the high-pass half runs ahead
	// of the low-pass one (it never does for real filters) it adds into them
	// before the low-pass half has written them.
	out[0] = 0
	out[1] = 0

	lspx, lspxstr := loc, -1 // start of the low-pass walk, and its direction
	lstap := b.lotap
	lle2, lre2 := olle, olre
	hspx, hspxstr := hoc, -1
	hstap := b.hotap
	hle2, hre2 := ohle, ohre
	osfac := b.ssfac
	fhre := 0

	// The interior fast path applies while both walks move right, start
	// past the left end and stay short of the right end for all their taps:
	// then every edge test of lowTap and highTap would be false, and the
	// same products are summed in the same order without them.
	loSteps, hiSteps := (len(b.lo)-1)/2, (len(b.hi)-1)/2
	loIn, hiIn := w.lo, w.hi
	std := len(b.lo) == 7 && len(b.hi) == 9
	for pix := 0; pix < hlen; pix++ {
		if !slowJoinOnly && lstap == 1 && hstap == 1 && lspxstr == 1 && hspxstr == 1 &&
			lspx >= 1 && lspx+loSteps < llen-1 && hspx >= 1 && hspx+hiSteps < hlen-1 {
			if std && osfac == 1 {
				// The 7- and 9-tap filters of every real file, unrolled.
				// The sign factor is 1, and t*1 is t exactly, so the
				// product with it is left out.
				lo, hi := (*[7]float32)(b.lo), (*[9]float32)(b.hi)
				x := (*[4]float32)(loIn[lspx:])
				o := out[w.limg : w.limg+2]
				a := float32(x[0] * lo[1])
				a = a + float32(x[1]*lo[3])
				a = a + float32(x[2]*lo[5])
				o[0] = a
				a = float32(x[0] * lo[0])
				a = a + float32(x[1]*lo[2])
				a = a + float32(x[2]*lo[4])
				a = a + float32(x[3]*lo[6])
				o[1] = a
				w.limg += 2
				y := (*[5]float32)(hiIn[hspx:])
				o = out[w.himg : w.himg+2]
				a = o[0]
				a = a + float32(y[0]*hi[1])
				a = a + float32(y[1]*hi[3])
				a = a + float32(y[2]*hi[5])
				a = a + float32(y[3]*hi[7])
				o[0] = a
				a = o[1]
				a = a + float32(y[0]*hi[0])
				a = a + float32(y[1]*hi[2])
				a = a + float32(y[2]*hi[4])
				a = a + float32(y[3]*hi[6])
				a = a + float32(y[4]*hi[8])
				o[1] = a
				w.himg += 2
				lspx++
				hspx++
				fhre = b.ofhre
				continue
			}
			for tap := 1; tap >= 0; tap-- {
				x := loIn[lspx:]
				acc := float32(x[0] * b.lo[tap])
				for i, k := tap+2, 1; i < len(b.lo); i, k = i+2, k+1 {
					acc = acc + float32(x[k]*b.lo[i])
				}
				out[w.limg] = acc
				w.limg++
			}
			for tap := 1; tap >= 0; tap-- {
				x := hiIn[hspx:]
				acc := out[w.himg]
				for i, k := tap, 0; i < len(b.hi); i, k = i+2, k+1 {
					t := float32(x[k] * b.hi[i])
					acc = acc + float32(t*osfac) // NBIS: *hpx * hi[i] * sfac
				}
				out[w.himg] = acc
				w.himg++
			}
			lspx++
			hspx++
			fhre = b.ofhre
			continue
		}
		for tap := lstap; tap >= 0; tap-- {
			if err := w.lowTap(tap, lspx, lspxstr, lle2, lre2); err != nil {
				return err
			}
		}
		if lspx == 0 {
			if lle2 {
				lspxstr, lle2 = 0, false
			} else {
				lspxstr = 1
			}
		}
		lspx += lspxstr
		lstap = 1

		for tap := hstap; tap >= 0; tap-- {
			fhre = b.ofhre
			if err := w.highTap(tap, hspx, hspxstr, hle2, hre2, osfac, &fhre); err != nil {
				return err
			}
		}
		if hspx == 0 {
			if hle2 {
				hspxstr, hle2 = 0, false
			} else {
				hspxstr = 1
				osfac = 1
			}
		}
		hspx += hspxstr
		hstap = 1
	}

	// The last one or two outputs of each half.
	switch {
	case oddLine && b.lotap == 1:
		lstap = 1
	case oddLine:
		lstap = 0
	case b.lotap == 1:
		lstap = 2
	default:
		lstap = 1
	}
	for tap := 1; tap >= lstap; tap-- {
		if err := w.lowTap(tap, lspx, lspxstr, lle2, lre2); err != nil {
			return err
		}
	}

	if oddLine {
		hstap = 0
		if b.hotap == 1 {
			hstap = 1
		}
		if len(b.hi) == 2 {
			hspx -= hspxstr
			fhre = 1
		}
	} else {
		hstap = 1
		if b.hotap == 1 {
			hstap = 2
		}
	}
	for tap := 1; tap >= hstap; tap-- {
		if len(b.hi) != 2 {
			fhre = b.ofhre
		}
		if err := w.highTap(tap, hspx, hspxstr, hle2, hre2, osfac, &fhre); err != nil {
			return err
		}
	}

	// Each half writes exactly n outputs; check it, as a guard against a
	// walk that would write into the next line.
	if w.limg != n || w.himg != n {
		return lineError{n}
	}
	return nil
}

// lineWalk is the state of joinLine shared by its tap loops: where the next
// low-pass and high-pass outputs go.
type lineWalk struct {
	b          *synthesisBank
	out        []float32
	lo, hi     []float32 // the two halves of the input line
	oddLine    bool
	limg, himg int // next output index of the low-pass and high-pass sums
}

// lowTap computes one output from the low-pass half: taps tap, tap+2, ...
// of lo against samples walked from px in direction dir, bouncing at the
// ends (repeating an end sample once first when lle or lre is set). The
// sum is assigned to the output.
func (w *lineWalk) lowTap(tap, px, dir int, lle, lre bool) error {
	lo, in := w.b.lo, w.lo
	last := len(in) - 1
	if uint(px) > uint(last) {
		return lineError{len(w.out)}
	}
	// float32(x*y) rounds the product before the addition: no fused
	// multiply-add, as in NBIS.
	acc := float32(in[px] * lo[tap])
	for i := tap + 2; i < len(lo); i += 2 {
		if px == 0 {
			if lle {
				dir, lle = 0, false
			} else {
				dir = 1
			}
		}
		if px == last {
			if lre {
				dir, lre = 0, false
			} else {
				dir = -1
			}
		}
		px += dir
		if uint(px) > uint(last) {
			return lineError{len(w.out)}
		}
		acc = acc + float32(in[px]*lo[i])
	}
	w.out[w.limg] = acc
	w.limg++
	return nil
}

// highTap adds one output's high-pass contribution: taps tap, tap+2, ...
// of hi against samples walked from px, each product times a sign factor
// that even-length (antisymmetric) filters flip at the edges. Each term is
// added to the output in memory, one float32 rounding per term, as NBIS's
// "*himg += *hpx * hi[i] * sfac" does.
func (w *lineWalk) highTap(tap, px, dir int, hle, hre bool, sfac float32, fhre *int) error {
	hi, in := w.b.hi, w.hi
	last := len(in) - 1
	asym := w.b.evenFilters
	// The sum starts from what the output holds (normally the low-pass
	// sum) and is rounded to float32 after every term, as in memory in NBIS.
	acc := w.out[w.himg]
	for i := tap; i < len(hi); i += 2 {
		if px == 0 {
			if hle {
				dir, hle = 0, false
			} else {
				dir = 1
				sfac = 1
			}
		}
		if px == last {
			if hre {
				dir, hre = 0, false
				if asym && w.oddLine {
					hre = true
					*fhre--
					sfac = float32(*fhre)
					if sfac == 0 {
						hre = false
					}
				}
			} else {
				dir = -1
				if asym {
					sfac = -1
				}
			}
		}
		if uint(px) > uint(last) {
			return lineError{len(w.out)}
		}
		t := float32(in[px] * hi[i])
		acc = acc + float32(t*sfac)
		px += dir
	}
	w.out[w.himg] = acc
	w.himg++
	return nil
}

// ---------------------------------------------------------------------------
// Forward transform (Encode)

// The analysis filters every WSQ encoder uses: the Cohen–Daubechies–Feauveau
// 9/7 biorthogonal pair given in the specification, as float32 like NBIS's
// tables. Both are symmetric with an odd number of taps, so the forward
// transform below handles only that case.
var (
	analysisLo = [9]float32{
		0.03782845550699546, -0.02384946501938000, -0.11062440441842342,
		0.37740285561265380, 0.85269867900940344, 0.37740285561265380,
		-0.11062440441842342, -0.02384946501938000, 0.03782845550699546,
	}
	analysisHi = [7]float32{
		0.06453888262893845, -0.04068941760955844, -0.41809227322221221,
		0.78848561640566439, -0.41809227322221221, -0.04068941760955844,
		0.06453888262893845,
	}
)

// minEncodeSide is the smallest width and height Encode accepts: below 65
// pixels some node of the wavelet tree has lines shorter than 5 samples, too
// short for the 9-tap filter's symmetric extension.
const minEncodeSide = 65

// decompose runs the forward transform in place on the plane f (width pixels
// a row), node 0 first: each node is split along its rows (into scratch) and
// then along its columns (back into f), as NBIS's wsq_decompose does.
// Columns are gathered into contiguous lines first.
func decompose(f, scratch []float32, width int, t *trees) error {
	colIn := make([]float32, t.w[0].h)
	colOut := make([]float32, t.w[0].h)
	for node := 0; node < numWNodes; node++ {
		n := t.w[node]
		base := n.y*width + n.x
		for r := 0; r < n.h; r++ {
			in := f[base+r*width : base+r*width+n.w]
			if err := analysisLine(scratch[r*width:r*width+n.w], in, n.invRow); err != nil {
				return err
			}
		}
		for c := 0; c < n.w; c++ {
			in, out := colIn[:n.h], colOut[:n.h]
			for k := range in {
				in[k] = scratch[c+k*width]
			}
			if err := analysisLine(out, in, n.invCol); err != nil {
				return err
			}
			for k, v := range out {
				f[base+c+k*width] = v
			}
		}
	}
	return nil
}

// analysisLine splits the line in into its low-pass half (the first
// (n+1)/2 outputs of out) and its high-pass half (the last n/2), or
// high-pass first with inv. It follows NBIS's get_lets for odd filters: the
// walks start at the filters' centres and bounce off the line's ends without
// repeating the end sample (whole-sample symmetry).
func analysisLine(out, in []float32, inv bool) error {
	const loc, hoc = (len(analysisLo) - 1) / 2, (len(analysisHi)-1)/2 - 1
	n := len(in)
	if n <= loc || len(out) != n {
		return lineError{n}
	}
	llen, hlen := n/2, n/2
	if n%2 == 1 {
		llen = (n + 1) / 2
		hlen = llen - 1
	}
	loOut, hiOut := out[:llen], out[llen:]
	if inv {
		hiOut, loOut = out[:hlen], out[hlen:]
	}
	lspx, lspxstr := loc, -1
	hspx, hspxstr := hoc, -1
	for pix := 0; pix < hlen; pix++ {
		loOut[pix] = analysisTap(analysisLo[:], in, lspx, lspxstr)
		hiOut[pix] = analysisTap(analysisHi[:], in, hspx, hspxstr)
		// Each output pair advances the walks' starts by two samples.
		for i := 0; i < 2; i++ {
			if lspx == 0 {
				lspxstr = 1
			}
			lspx += lspxstr
			if hspx == 0 {
				hspxstr = 1
			}
			hspx += hspxstr
		}
	}
	if n%2 == 1 {
		loOut[hlen] = analysisTap(analysisLo[:], in, lspx, lspxstr)
	}
	return nil
}

// analysisTap is one output of the forward transform: the filter f against
// the samples walked from px in direction dir, bouncing off the ends, with
// one float32 rounding per product and per addition, in NBIS's order. A line
// of 5 samples or more keeps the walk inside it.
func analysisTap(f []float32, in []float32, px, dir int) float32 {
	last := len(in) - 1
	acc := float32(in[px] * f[0])
	for i := 1; i < len(f); i++ {
		if px == 0 {
			dir = 1
		}
		if px == last {
			dir = -1
		}
		px += dir
		acc = acc + float32(in[px]*f[i])
	}
	return acc
}
