package minutiae

import (
	"math"
	"slices"
)

// mask is the segmentation of the image into the print (foreground) and
// the rest, on the block grid.
type mask struct {
	bw, bh int
	bits   []uint8   // 1: foreground block
	std    []float32 // grey-level standard deviation of each block's window (0–255 scale)
	area   int       // foreground area in pixels
}

// in reports whether pixel (x, y) lies in a foreground block; outside the
// image is background.
func (m *mask) in(p *plane, x, y int) bool {
	if x < 0 || y < 0 || x >= p.w || y >= p.h {
		return false
	}
	return m.bits[(y/blockSize)*m.bw+x/blockSize] != 0
}

// segmentationMask marks the blocks that belong to the print: enough local
// contrast and coherent ridge flow. Contrast is the grey-level standard
// deviation over the block's window, which must reach an absolute floor, a
// share of the image's well-contrasted blocks (so that faint prints are
// kept) and a share of the Otsu threshold between background and print
// blocks (so that textured sensor backgrounds are not). The block mask is
// then smoothed by majority votes, reduced to its large regions, and its
// holes are filled.
func segmentationMask(p *plane, o *orientation, tr Trace) *mask {
	bw, bh := p.bw, p.bh
	nb := bw * bh
	sum := make([]float64, nb)
	sum2 := make([]float64, nb)
	cnt := make([]float64, nb)
	for y := 0; y < p.h; y++ {
		row := (y / blockSize) * bw
		for x, v := range p.gray[y*p.w : (y+1)*p.w] {
			b := row + x/blockSize
			fv := float64(v)
			sum[b] += fv
			sum2[b] += fv * fv
			cnt[b]++
		}
	}
	m := &mask{bw: bw, bh: bh, bits: make([]uint8, nb), std: make([]float32, nb)}
	const r = maskWindowBlocks
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			var s, s2, n float64
			for yy := max(by-r, 0); yy <= min(by+r, bh-1); yy++ {
				for xx := max(bx-r, 0); xx <= min(bx+r, bw-1); xx++ {
					k := yy*bw + xx
					s += sum[k]
					s2 += sum2[k]
					n += cnt[k]
				}
			}
			mean := s / n
			m.std[by*bw+bx] = float32(math.Sqrt(max(s2/n-mean*mean, 0)))
		}
	}
	sorted := slices.Clone(m.std)
	slices.Sort(sorted)
	ref := sorted[min(int(float64(nb)*maskStdPercentile), nb-1)]
	thr := max(float32(maskMinStdDev), float32(maskRelStdDev)*ref, float32(maskOtsuShare)*otsuThreshold(sorted))
	for b := range nb {
		if m.std[b] >= thr && o.coherence[b] >= maskMinCoherence {
			m.bits[b] = 1
		}
	}
	for range maskSmoothPasses {
		m.majority()
	}
	m.keepLargeRegions()
	m.fillHoles()
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			if m.bits[by*bw+bx] != 0 {
				m.area += (min((bx+1)*blockSize, p.w) - bx*blockSize) * (min((by+1)*blockSize, p.h) - by*blockSize)
			}
		}
	}
	traceBitmap(tr, StageMask, bw, bh, blockSize, m.bits)
	return m
}

// majority sets each block to the majority of its 3 × 3 neighbourhood
// (outside the grid counts as background).
func (m *mask) majority() {
	out := make([]uint8, len(m.bits))
	for by := 0; by < m.bh; by++ {
		for bx := 0; bx < m.bw; bx++ {
			n := 0
			for yy := by - 1; yy <= by+1; yy++ {
				for xx := bx - 1; xx <= bx+1; xx++ {
					if yy >= 0 && xx >= 0 && yy < m.bh && xx < m.bw && m.bits[yy*m.bw+xx] != 0 {
						n++
					}
				}
			}
			if n >= 5 {
				out[by*m.bw+bx] = 1
			}
		}
	}
	m.bits = out
}

// label numbers the 4-connected regions of blocks whose bit equals want,
// returning the label of each block (-1 for the others) and each region's size.
func (m *mask) label(want uint8) ([]int32, []int) {
	labels := make([]int32, len(m.bits))
	for i := range labels {
		labels[i] = -1
	}
	var sizes []int
	stack := make([]int, 0, 64)
	for start, b := range m.bits {
		if b != want || labels[start] >= 0 {
			continue
		}
		id := int32(len(sizes))
		size := 0
		labels[start] = id
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			x, y := k%m.bw, k/m.bw
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				nx, ny := x+d[0], y+d[1]
				if nx < 0 || ny < 0 || nx >= m.bw || ny >= m.bh {
					continue
				}
				nk := ny*m.bw + nx
				if m.bits[nk] == want && labels[nk] < 0 {
					labels[nk] = id
					stack = append(stack, nk)
				}
			}
		}
		sizes = append(sizes, size)
	}
	return labels, sizes
}

// keepLargeRegions keeps the largest foreground region and those at least
// maskKeepRatio of its size.
func (m *mask) keepLargeRegions() {
	labels, sizes := m.label(1)
	if len(sizes) == 0 {
		return
	}
	largest := slices.Max(sizes)
	for k, l := range labels {
		if l >= 0 && float64(sizes[l]) < maskKeepRatio*float64(largest) {
			m.bits[k] = 0
		}
	}
}

// fillHoles sets the background regions that do not touch the grid's edge.
func (m *mask) fillHoles() {
	labels, sizes := m.label(0)
	touches := make([]bool, len(sizes))
	for k, l := range labels {
		if l < 0 {
			continue
		}
		x, y := k%m.bw, k/m.bw
		if x == 0 || y == 0 || x == m.bw-1 || y == m.bh-1 {
			touches[l] = true
		}
	}
	for k, l := range labels {
		if l >= 0 && !touches[l] {
			m.bits[k] = 1
		}
	}
}

// dilated returns the block mask grown by r blocks (chessboard distance).
func (m *mask) dilated(r int) []uint8 {
	out := make([]uint8, len(m.bits))
	for by := 0; by < m.bh; by++ {
		for bx := 0; bx < m.bw; bx++ {
			if m.bits[by*m.bw+bx] == 0 {
				continue
			}
			for yy := max(by-r, 0); yy <= min(by+r, m.bh-1); yy++ {
				for xx := max(bx-r, 0); xx <= min(bx+r, m.bw-1); xx++ {
					out[yy*m.bw+xx] = 1
				}
			}
		}
	}
	return out
}

// otsuThreshold returns the value that splits the sorted values into the
// two classes of least within-class variance (Otsu 1979).
func otsuThreshold(sorted []float32) float32 {
	n := len(sorted)
	if n < 2 {
		return 0
	}
	var total float64
	for _, v := range sorted {
		total += float64(v)
	}
	best, bestT := -1.0, sorted[0]
	var sumLo float64
	for i := 0; i < n-1; i++ {
		sumLo += float64(sorted[i])
		if sorted[i] == sorted[i+1] {
			continue
		}
		wLo, wHi := float64(i+1), float64(n-i-1)
		mLo, mHi := sumLo/wLo, (total-sumLo)/wHi
		if between := wLo * wHi * (mHi - mLo) * (mHi - mLo); between > best {
			best, bestT = between, (sorted[i]+sorted[i+1])/2
		}
	}
	return bestT
}
