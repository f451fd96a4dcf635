package minutiae

import (
	"errors"
	"fmt"
	"sort"
)

// ExtractOptions are what Extract needs besides the pixels.
type ExtractOptions struct {
	// Position and Impression are copied into the template.
	Position   FingerPosition
	Impression Impression
	// Trace, when not nil, receives every stage's intermediate result.
	Trace Trace
}

// ErrNoFingerprint is returned (wrapped) by Extract when the image holds no
// area with ridges: blank, too small, or all noise.
var ErrNoFingerprint = errors.New("no fingerprint area found")

// minExtractSide is the smallest image side Extract works on: three blocks.
const minExtractSide = 3 * blockSize

// Extract finds the minutiae of a fingerprint image (at 500 ppi, as
// DecodeImage returns it).
//
// The pipeline, one stage a file (stage_*.go), every constant in
// parameters.go:
//
//  1. normalise the grey levels to mean 0 and deviation 1;
//  2. orientation field: least-squares gradient moments in blocks, as
//     doubled angles, with their coherence;
//  3. segmentation mask: blocks with enough local contrast (absolute,
//     relative and Otsu thresholds) and coherent ridge flow, cleaned into
//     the print's region;
//  4. smooth the orientation field (Gaussian on the doubled-angle vectors);
//  5. ridge frequency from oriented x-signatures (Hong, Wan and Jain 1998),
//     invalid blocks filled from their neighbours;
//  6. enhancement: a separable oriented Gabor filter tuned to the local
//     orientation and period;
//  7. binarisation (ridges are where the enhanced image is negative);
//  8. thinning to a one-pixel skeleton (Guo–Hall, then staircase removal
//     and spur pruning);
//  9. minutia detection by crossing number, directions by following the
//     ridges;
//  10. false-minutia removal: border, spurs, islands, bridges, breaks,
//     clusters;
//  11. quality per minutia and per print; minutiae below
//     minMinutiaQuality (faint or incoherent ridges) are dropped.
//
// Directions follow the model (doc.go): for an ending, along its ridge away
// from the minutia; for a bifurcation, the ISO/IEC 19794-2 choice, along the
// valley that ends at it, that is the bisector of the two ridges that fork
// away from the stem (the opposite of the stem's direction).
//
// The stages run in this order rather than the mask first because the mask
// uses the orientation coherence. Positions are skeleton pixels (whole
// pixels of the 500 ppi image). When more than MaxMinutiae remain, the best
// by quality are kept.
//
// An image with no fingerprint area returns an error wrapping
// ErrNoFingerprint. Extract does not modify img and is safe for concurrent
// use. With opts.Trace set, every stage's result is passed to it (see
// Trace); nil opts means no trace and an unknown finger.
func Extract(img *Image, opts *ExtractOptions) (Template, error) {
	if opts == nil {
		opts = &ExtractOptions{}
	}
	if img == nil || img.Gray == nil {
		return Template{}, errors.New("minutiae: extract: nil image")
	}
	if !opts.Position.Valid() {
		return Template{}, fmt.Errorf("minutiae: extract: finger position %d outside 0..%d", opts.Position, MaxFingerPosition)
	}
	if !opts.Impression.Valid() {
		return Template{}, fmt.Errorf("minutiae: extract: impression type %d is not defined", opts.Impression)
	}
	w, h := img.Gray.Rect.Dx(), img.Gray.Rect.Dy()
	if w > MaxDimension || h > MaxDimension {
		return Template{}, fmt.Errorf("minutiae: extract: %d × %d pixels: a side exceeds %d", w, h, MaxDimension)
	}
	if w < minExtractSide || h < minExtractSide {
		return Template{}, fmt.Errorf("minutiae: extract: %d × %d pixels, smaller than %d × %d: %w",
			w, h, minExtractSide, minExtractSide, ErrNoFingerprint)
	}
	tr := opts.Trace
	p := newPlane(img)
	p.tune = &fullPrintTuning
	if opts.Impression.IsLatent() {
		p.tune = &latentTuning
	}

	normalize(p, tr)
	o := orientationField(p, tr)
	m := segmentationMask(p, o, tr)
	if m.area == 0 {
		return Template{}, fmt.Errorf("minutiae: extract: %d × %d image: %w", w, h, ErrNoFingerprint)
	}
	smoothOrientation(o, m, tr)
	period := ridgePeriod(p, o, m, tr)
	enh := enhance(p, o, period, m, tr)
	bin := binarize(p, enh, m, tr)
	skel := thin(p, bin, tr)
	cands := detectMinutiae(p, skel, o, tr)
	cands = removeFalseMinutiae(p, cands, m, tr)
	q := assessQuality(p, cands, o, m, tr)
	cands = dropWeakMinutiae(cands, p.tune.minQuality, tr)

	t := Template{
		Width:      w,
		Height:     h,
		Position:   opts.Position,
		Impression: opts.Impression,
		Quality:    q.print,
		Minutiae:   toMinutiae(cands),
	}
	if len(t.Minutiae) > MaxMinutiae {
		// Keep the best; equal qualities keep their scan order (row by row).
		sort.SliceStable(t.Minutiae, func(i, j int) bool { return t.Minutiae[i].Quality > t.Minutiae[j].Quality })
		t.Minutiae = t.Minutiae[:MaxMinutiae]
	}
	return t, nil
}

// plane is the pixel grid the stages share: the image size, the block grid
// and the working pixels.
type plane struct {
	w, h   int // image size in pixels
	bw, bh int // block grid size
	gray   []uint8
	f      []float32 // normalised grey levels, w × h
	// tune holds the constants that differ between full prints and
	// latents (parameters.go).
	tune *tuning
}

func newPlane(img *Image) *plane {
	g := img.Gray
	w, h := g.Rect.Dx(), g.Rect.Dy()
	p := &plane{w: w, h: h, bw: (w + blockSize - 1) / blockSize, bh: (h + blockSize - 1) / blockSize}
	p.gray = make([]uint8, w*h)
	for y := 0; y < h; y++ {
		o := g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y)
		copy(p.gray[y*w:(y+1)*w], g.Pix[o:o+w])
	}
	return p
}

// blockOf returns the index of the block holding pixel (x, y), clamped to
// the grid.
func (p *plane) blockOf(x, y int) int {
	bx, by := x/blockSize, y/blockSize
	bx = min(max(bx, 0), p.bw-1)
	by = min(max(by, 0), p.bh-1)
	return by*p.bw + bx
}

// toMinutiae converts the kept candidates to the model.
func toMinutiae(cs []candidate) []Minutia {
	out := make([]Minutia, 0, len(cs))
	for i := range cs {
		if !cs[i].removed() {
			out = append(out, cs[i].minutia())
		}
	}
	return out
}

// dropWeakMinutiae removes the candidates whose quality is below
// minQuality (minMinutiaQuality, or latentMinMinutiaQuality for latents)
// and passes them to the trace (StageWeak), with their quality, so that an
// examiner sees why they are not in the template.
func dropWeakMinutiae(cs []candidate, minQuality int, tr Trace) []candidate {
	var weak []RemovedMinutia
	kept := cs[:0]
	for _, c := range cs {
		if int(c.quality) >= minQuality {
			kept = append(kept, c)
		} else if tr != nil {
			m := c.minutia()
			m.Quality = c.quality
			weak = append(weak, RemovedMinutia{Minutia: m, Reason: RemovedLowQuality})
		}
	}
	if tr != nil {
		tr.Stage(StageWeak, weak)
	}
	return kept
}
