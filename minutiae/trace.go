package minutiae

// Trace receives the intermediate results of Extract, one call per stage in
// the pipeline's order, for debugging and for examiners ("why did it miss
// this minutia?"). A nil Trace in ExtractOptions switches tracing off and
// costs nothing.
//
// Stage is called with one of the Stage* names and its data:
//
//	StageNormalize    *Field   normalised grey levels (mean 0, deviation 1), Step 1
//	StageOrientation  *Field   raw ridge orientation per block, radians in [0, π), Step blockSize
//	StageCoherence    *Field   orientation coherence per block, 0–1
//	StageMask         *Bitmap  foreground blocks, Step blockSize
//	StageSmoothOrient *Field   smoothed ridge orientation per block
//	StageFrequency    *Field   ridge period per block, pixels
//	StageEnhance      *Field   enhanced image (negative on ridges), Step 1
//	StageBinarize     *Bitmap  ridge pixels, Step 1
//	StageSkeleton     *Bitmap  one-pixel-wide ridge skeleton, Step 1
//	StageRawMinutiae  []Minutia every crossing-number minutia, before filtering
//	StageRemoved      []RemovedMinutia the ones false-minutia removal took out, and why
//	StageMinutiae     []Minutia what is left after false-minutia removal (quality not yet set)
//	StageQuality      *Field   quality per block, 0–100
//	StageWeak         []RemovedMinutia the minutiae then dropped for a quality below minMinutiaQuality
//
// The template's minutiae are those of StageMinutiae less those of
// StageWeak, in the same order, with their qualities set.
// Orientations are in image coordinates, x to the right and y down: a ridge
// of orientation θ runs along (cos θ, sin θ) in pixels. The data belongs to
// the trace: Extract does not touch it after the call.
type Trace interface {
	Stage(name string, data any)
}

// Names of the stages passed to Trace.Stage, in the order they are called.
const (
	StageNormalize    = "normalize"
	StageOrientation  = "orientation"
	StageCoherence    = "coherence"
	StageMask         = "mask"
	StageSmoothOrient = "orientation.smoothed"
	StageFrequency    = "frequency"
	StageEnhance      = "enhance"
	StageBinarize     = "binarize"
	StageSkeleton     = "skeleton"
	StageRawMinutiae  = "minutiae.raw"
	StageRemoved      = "minutiae.removed"
	StageMinutiae     = "minutiae"
	StageQuality      = "quality"
	StageWeak         = "minutiae.weak"
)

// RemovedMinutia is a candidate that false-minutia removal took out, with
// the filter that did (one of the Removed* reasons).
type RemovedMinutia struct {
	Minutia
	Reason string
}

// Why a candidate minutia was removed (RemovedMinutia.Reason).
const (
	RemovedSpur     = "spur"      // an ending on a short branch off a ridge
	RemovedIsland   = "island"    // an end of a short ridge fragment or dot
	RemovedBridge   = "bridge"    // a bifurcation joined to another by a short ridge
	RemovedHole     = "hole"      // a bifurcation whose branches meet again
	RemovedBreak    = "break"     // an ending facing another across a short gap
	RemovedBorder   = "border"    // too close to the mask's or the image's edge
	RemovedTooClose = "too close" // closer than minDistance to another minutia
	RemovedCluster  = "cluster"   // in a crowd of minutiae (noise)
	// RemovedLowQuality is the reason of StageWeak: quality below
	// minMinutiaQuality.
	RemovedLowQuality = "low quality"
)

// Field is a grid of values: one a pixel (Step 1) or one a block of Step ×
// Step pixels, row by row, Width × Height cells.
type Field struct {
	Width, Height int
	// Step is the side in pixels of the square each value covers.
	Step   int
	Values []float32
}

// At returns the value of cell (x, y).
func (f *Field) At(x, y int) float32 { return f.Values[y*f.Width+x] }

// Bitmap is a grid of 0/1 values laid out as Field.
type Bitmap struct {
	Width, Height int
	Step          int
	Bits          []uint8
}

// At reports whether cell (x, y) is set.
func (b *Bitmap) At(x, y int) bool { return b.Bits[y*b.Width+x] != 0 }

// traceField sends a copy of values to t as a Field, when t is on.
func traceField(t Trace, name string, w, h, step int, values []float32) {
	if t == nil {
		return
	}
	t.Stage(name, &Field{Width: w, Height: h, Step: step, Values: append([]float32(nil), values...)})
}

// traceBitmap sends a copy of bits (any non-zero is set) to t, when t is on.
func traceBitmap(t Trace, name string, w, h, step int, bits []uint8) {
	if t == nil {
		return
	}
	out := make([]uint8, len(bits))
	for i, b := range bits {
		if b != 0 {
			out[i] = 1
		}
	}
	t.Stage(name, &Bitmap{Width: w, Height: h, Step: step, Bits: out})
}
