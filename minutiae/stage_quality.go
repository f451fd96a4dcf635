package minutiae

import "math"

// qualities is the outcome of the quality stage.
type qualities struct {
	block []float32 // per block, 0–1
	print uint8     // 0–100
}

// assessQuality rates every foreground block from its contrast (grey-level
// standard deviation against qualityGoodStdDev) and the clarity of its
// ridge flow (orientation coherence against qualityGoodCoherence), sets each
// minutia's quality from the mean over its block and the 8 around it,
// scaled down towards half near the mask's edge (within qualityBorderRange,
// or latentQualityBorderRange for latents, where ridges are less reliable), and the print's from the mean over the
// mask, scaled down when the mask is smaller than qualityMinArea.
func assessQuality(p *plane, cs []candidate, o *orientation, m *mask, tr Trace) qualities {
	nb := p.bw * p.bh
	q := qualities{block: make([]float32, nb)}
	var sum float64
	n := 0
	for b := range nb {
		if m.bits[b] == 0 {
			continue
		}
		contrast := min(float64(m.std[b])/qualityGoodStdDev, 1)
		clarity := min(float64(o.coherence[b])/qualityGoodCoherence, 1)
		v := math.Sqrt(contrast * clarity)
		q.block[b] = float32(v)
		sum += v
		n++
	}
	for i := range cs {
		c := &cs[i]
		bx, by := c.x/blockSize, c.y/blockSize
		var s float32
		k := 0
		for yy := max(by-1, 0); yy <= min(by+1, p.bh-1); yy++ {
			for xx := max(bx-1, 0); xx <= min(bx+1, p.bw-1); xx++ {
				s += q.block[yy*p.bw+xx]
				k++
			}
		}
		bm, br := p.tune.borderMargin, p.tune.qualityBorderRange
		d := borderDistance(p, m, c.x, c.y, bm, br)
		edge := 0.5 + 0.5*float64(d-bm)/float64(br-bm)
		edge = min(max(edge, 0.5), 1)
		c.quality = uint8(min(max(math.Round(float64(s/float32(k))*edge*100), 1), 100))
	}
	if n > 0 {
		v := sum / float64(n) * min(float64(m.area)/qualityMinArea, 1)
		q.print = uint8(min(max(math.Round(v*100), 1), 100))
	}
	if tr != nil {
		vals := make([]float32, nb)
		for b, v := range q.block {
			vals[b] = v * 100
		}
		tr.Stage(StageQuality, &Field{Width: p.bw, Height: p.bh, Step: blockSize, Values: vals})
	}
	return q
}

// borderDistance returns the smallest radius, from minR up to maxR in
// steps of 4 pixels, at which one of eight probes around (x, y) leaves the
// mask; maxR when none does.
func borderDistance(p *plane, m *mask, x, y, minR, maxR int) int {
	for r := minR; r < maxR; r += 4 {
		d := r * 7 / 10
		for _, o := range [8][2]int{{r, 0}, {-r, 0}, {0, r}, {0, -r}, {d, d}, {d, -d}, {-d, d}, {-d, -d}} {
			if !m.in(p, x+o[0], y+o[1]) {
				return r
			}
		}
	}
	return maxR
}
