package matcher

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/whorlafis/whorl/minutiae"
)

// TestIndexSelectivity reports how well the first stage ranks mates on
// FVC2002 (our extractor, all four sets, every ordered pair of prints): for
// mates that the precise matcher scores at least the score of FMR 1e-4,
// 1.4 and 1.7 times it, how many the first stage ranks below a given
// fraction of the impostor pairs (a shortlist of that fraction would lose
// them). It is a measurement, run with WHORL_INDEX_REPORT=1; the
// parameters in parameters.go cite it.
func TestIndexSelectivity(t *testing.T) {
	if os.Getenv("WHORL_INDEX_REPORT") == "" {
		t.Skip("a measurement: set WHORL_INDEX_REPORT=1 to run it")
	}
	type print struct {
		finger int
		p      *Prepared
		x      *probeIndex
		edges  []indexEdge
		pts    []galleryPoint
	}
	var prints []print
	dropped, filed := 0, 0
	for s, set := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		ppi := 500.0
		if set == "DB2_B" {
			ppi = 569
		}
		for f := 101; f <= 110; f++ {
			for i := 1; i <= 8; i++ {
				data, err := os.ReadFile(filepath.Join(dataDir, set, fmt.Sprintf("%d_%d.tif", f, i)))
				if os.IsNotExist(err) {
					t.Skipf("reference data absent: %v", err)
				}
				if err != nil {
					t.Fatal(err)
				}
				img, err := minutiae.DecodeImage(data, ppi)
				if err != nil {
					t.Fatal(err)
				}
				tpl, err := minutiae.Extract(img, nil)
				if err != nil {
					t.Fatal(err)
				}
				p := Prepare(Stored(tpl))
				x := newProbeIndex(p)
				dropped += x.dropped
				filed += x.filed
				prints = append(prints, print{s*1000 + f, p, x, appendIndexEdges(nil, p), appendGalleryPoints(nil, p)})
			}
		}
	}
	t.Logf("probe tables: %.2f%% of filings dropped for want of a slot", 100*float64(dropped)/float64(filed))
	type pair struct{ hough, precise float64 }
	var genuine []pair
	var impostor []float64
	h := new(hough)
	for i := range prints {
		for j := range prints {
			if i == j {
				continue
			}
			g := &prints[j]
			hs := float64(prints[i].x.score(g.edges, g.pts, h)) * indexNorm(len(g.edges))
			if prints[i].finger == g.finger {
				genuine = append(genuine, pair{hs, Score(prints[i].p, g.p)})
			} else {
				impostor = append(impostor, hs)
			}
		}
	}
	slices.Sort(impostor)
	t4, ok := ThresholdAtFMR(1e-4)
	if !ok {
		t.Fatal("the calibration does not resolve FMR 1e-4")
	}
	for _, minPrecise := range []float64{t4, 1.4 * t4, 1.7 * t4} {
		line := fmt.Sprintf("precise >= %4.1f:", minPrecise)
		n := 0
		for _, f := range []float64{0.001, 0.002, 0.005, 0.01, 0.02} {
			cut := impostor[int((1-f)*float64(len(impostor)-1))]
			lost := 0
			n = 0
			for _, g := range genuine {
				if g.precise >= minPrecise {
					n++
					if g.hough < cut {
						lost++
					}
				}
			}
			line += fmt.Sprintf("  %g: %d", f, lost)
		}
		t.Logf("%s lost of %d", line, n)
	}
}
