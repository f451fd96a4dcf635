package main

import (
	"bytes"
	"cmp"
	"fmt"
	"go/format"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/whorlafis/whorl/matcher"
	"github.com/whorlafis/whorl/minutiae"
)

// Latent calibration: a latent is a quarter to two fifths of a print, so it
// has fewer minutiae than a full impression and fewer chances to pair with
// an impostor's; the full-print table would overstate its FMR. The
// impostor scores of latent-sized probes are measured on crops of the FVC
// prints, in classes by the probe's number of minutiae (a class's FMR holds
// for probes of that size, whatever made them small).
//
// Method: each print is cropped latentCrops times to a random ellipse
// covering latentAreaMin to latentAreaMax of its print area (the convex
// hull of its minutiae), centred on one of its minutiae so that the crop
// lies on the print; a crop keeps the minutiae inside, at least
// latentMinMinutiae. Each crop is compared, as the probe, with every print
// of a different finger in its set (impostor) and every other impression of
// its finger (genuine, reported, not used for the table). A crop drawn
// twice from one print is compared once.
const (
	latentCrops       = 48
	latentAreaMin     = 0.25
	latentAreaMax     = 0.40
	latentAspectMin   = 0.6 // short over long axis of the ellipse
	latentMinMinutiae = 5
)

// latentClassBounds are the classes' largest probe sizes (minutiae); a
// probe larger than the last is read with the full-print table.
var latentClassBounds = []int{8, 11, 15, 30}

// cropTemplate keeps the minutiae of t inside a random ellipse of frac of
// its print area, centred on one of its minutiae. It returns false when the
// template has too few minutiae to crop.
func cropTemplate(t minutiae.Template, rng *rand.Rand, frac float64) (minutiae.Template, bool) {
	if len(t.Minutiae) < latentMinMinutiae {
		return minutiae.Template{}, false
	}
	area := hullArea(t.Minutiae)
	aspect := latentAspectMin + rng.Float64()*(1-latentAspectMin)
	// π·a·b = frac·area with b = aspect·a.
	a := math.Sqrt(frac * area / (math.Pi * aspect))
	b := aspect * a
	theta := rng.Float64() * math.Pi
	c := t.Minutiae[rng.IntN(len(t.Minutiae))]
	cos, sin := math.Cos(theta), math.Sin(theta)
	crop := t
	crop.Minutiae = nil
	crop.Impression = minutiae.Latent
	crop.Position = minutiae.UnknownFinger
	for _, m := range t.Minutiae {
		dx, dy := float64(m.X-c.X), float64(m.Y-c.Y)
		u, v := (dx*cos+dy*sin)/a, (-dx*sin+dy*cos)/b
		if u*u+v*v <= 1 {
			crop.Minutiae = append(crop.Minutiae, m)
		}
	}
	return crop, len(crop.Minutiae) >= latentMinMinutiae
}

// hullArea is the area of the convex hull of the minutiae (monotone chain).
func hullArea(ms []minutiae.Minutia) float64 {
	pts := make([][2]float64, len(ms))
	for i, m := range ms {
		pts[i] = [2]float64{float64(m.X), float64(m.Y)}
	}
	slices.SortFunc(pts, func(p, q [2]float64) int { return cmp.Or(cmp.Compare(p[0], q[0]), cmp.Compare(p[1], q[1])) })
	cross := func(o, a, b [2]float64) float64 {
		return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
	}
	var hull [][2]float64
	for pass := 0; pass < 2; pass++ {
		start := len(hull)
		for _, p := range pts {
			for len(hull) >= start+2 && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
				hull = hull[:len(hull)-1]
			}
			hull = append(hull, p)
		}
		hull = hull[:len(hull)-1]
		slices.Reverse(pts)
	}
	area := 0.0
	for i := range hull {
		p, q := hull[i], hull[(i+1)%len(hull)]
		area += p[0]*q[1] - q[0]*p[1]
	}
	return math.Abs(area) / 2
}

// latentClassOf returns the index of a probe size's class, or -1 beyond
// the last.
func latentClassOf(n int) int {
	for i, b := range latentClassBounds {
		if n <= b {
			return i
		}
	}
	return -1
}

// runLatentCalibration measures the latent classes' impostor scores and
// writes them as matcher's latent calibration tables.
func runLatentCalibration(dirs []string, src TemplateSource, source, out string, seed uint64) error {
	impostor := make([][]float64, len(latentClassBounds))
	genuine := make([][]float64, len(latentClassBounds))
	var names []string
	for _, dir := range dirs {
		samples, err := loadSet(dir, src)
		if err != nil {
			return err
		}
		prints := len(samples)
		rng := rand.New(rand.NewPCG(seed, uint64(len(names))))
		var comps []comparison
		for p := range prints {
			if samples[p].failed {
				continue
			}
			seen := map[string]bool{} // a print with few minutiae gives the same crop twice: compare it once
			for range latentCrops {
				frac := latentAreaMin + rng.Float64()*(latentAreaMax-latentAreaMin)
				crop, ok := cropTemplate(samples[p].template, rng, frac)
				if !ok || latentClassOf(len(crop.Minutiae)) < 0 || seen[fmt.Sprint(crop.Minutiae)] {
					continue
				}
				seen[fmt.Sprint(crop.Minutiae)] = true
				samples = append(samples, sample{path: samples[p].path, finger: samples[p].finger, impression: samples[p].impression,
					template: crop, prepared: matcher.Prepare(crop)})
				c := len(samples) - 1
				for g := range prints {
					if g == p || samples[g].failed {
						continue
					}
					comps = append(comps, comparison{probe: c, gallery: g, genuine: samples[g].finger == samples[p].finger})
				}
			}
		}
		compareAll(samples, comps, filepath.Base(dir)+" latent")
		for _, c := range comps {
			k := latentClassOf(len(samples[c.probe].template.Minutiae))
			if c.genuine {
				genuine[k] = append(genuine[k], c.score)
			} else {
				impostor[k] = append(impostor[k], c.score)
			}
		}
		names = append(names, filepath.Base(filepath.Clean(dir)))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by `go run ./benchmarks calibrate --latent`; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package matcher\n\n")
	fmt.Fprintf(&b, "// latentCalibration: score → FMR tables of latent-sized probes by size\n")
	fmt.Fprintf(&b, "// class, measured on impostor pairs of crops (%d per print, %.0f–%.0f%% of its\n", latentCrops, 100*latentAreaMin, 100*latentAreaMax)
	fmt.Fprintf(&b, "// area) against whole prints: templates %q, sets %s, seed %d.\n", source, strings.Join(names, " "), seed)
	fmt.Fprintf(&b, "var latentCalibration = []latentClass{\n")
	lo := 0
	for k, bound := range latentClassBounds {
		table := calibrationTable(impostor[k])
		fmt.Fprintf(&b, "\t{maxMinutiae: %d, impostors: %d, table: calibration{\n", bound, len(impostor[k]))
		for _, p := range table {
			fmt.Fprintf(&b, "\t\t{%.4f, %.6g},\n", p.score, p.fmr)
		}
		fmt.Fprintf(&b, "\t}},\n")
		imp := slices.Clone(impostor[k])
		slices.Sort(imp)
		fmt.Printf("class %2d–%2d minutiae: %7d impostor, %6d genuine comparisons; highest impostor %v; genuine FNMR at FMR 1e-3 %.1f%%, at 1e-4 %.1f%%\n",
			lo+1, bound, len(impostor[k]), len(genuine[k]), lastN(imp, 3),
			100*FNMRAtFMR(genuine[k], impostor[k], 1e-3), 100*FNMRAtFMR(genuine[k], impostor[k], 1e-4))
		lo = bound
	}
	fmt.Fprintf(&b, "}\n")
	code, err := format.Source(b.Bytes())
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, code, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s (sets %s, templates %s)\n", out, strings.Join(names, " "), source)
	return nil
}
