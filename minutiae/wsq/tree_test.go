package wsq

import "testing"

// TestSubbandsTile checks, for many sizes, that the 64 subbands cover the
// image exactly once (the last 4 being the dropped quadrant), so the decoder
// can index the planes with them.
func TestSubbandsTile(t *testing.T) {
	sizes := [][2]int{{1, 1}, {2, 3}, {17, 17}, {49, 50}, {65, 65}, {257, 301}, {301, 257}, {388, 374}, {832, 768}, {1001, 333}}
	for w := 60; w < 140; w += 7 {
		for h := 61; h < 140; h += 11 {
			sizes = append(sizes, [2]int{w, h})
		}
	}
	for _, s := range sizes {
		w, h := s[0], s[1]
		tr := buildTrees(w, h)
		if err := tr.check(w, h); err != nil {
			t.Fatalf("%d × %d: %v", w, h, err)
		}
		cover := make([]int, w*h)
		for _, q := range tr.q {
			for y := q.y; y < q.y+q.h; y++ {
				for x := q.x; x < q.x+q.w; x++ {
					cover[y*w+x]++
				}
			}
		}
		for i, c := range cover {
			if c != 1 {
				t.Fatalf("%d × %d: pixel (%d,%d) is in %d subbands, want 1", w, h, i%w, i/w, c)
			}
		}
	}
}

// TestTreeSample pins a few nodes of the 257 × 301 tree (the odd-sized
// sample), whose odd lengths exercise every "which half gets the extra
// sample" rule.
func TestTreeSample(t *testing.T) {
	tr := buildTrees(257, 301)
	for node, want := range map[int]rect{
		1:  {0, 0, 129, 151},
		2:  {129, 0, 128, 151},
		3:  {0, 151, 129, 150},
		4:  {65, 0, 64, 76},
		5:  {0, 76, 65, 75},
		19: {0, 0, 17, 19},
	} {
		if got := tr.w[node].rect; got != want {
			t.Errorf("node %d: %+v, want %+v", node, got, want)
		}
	}
}
