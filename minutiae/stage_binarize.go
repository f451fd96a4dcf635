package minutiae

// binarize marks the ridge pixels: foreground pixels where the enhanced
// image is negative. The image's outermost pixels stay 0, so that every
// later 3 × 3 neighbourhood lies inside the image.
func binarize(p *plane, enh []float32, m *mask, tr Trace) []uint8 {
	w, h := p.w, p.h
	bin := make([]uint8, w*h)
	for y := 1; y < h-1; y++ {
		brow := (y / blockSize) * p.bw
		for x := 1; x < w-1; x++ {
			i := y*w + x
			if enh[i] < 0 && m.bits[brow+x/blockSize] != 0 {
				bin[i] = 1
			}
		}
	}
	traceBitmap(tr, StageBinarize, w, h, 1, bin)
	return bin
}
