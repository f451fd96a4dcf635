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
func cropTemplate(t minutiae.Template, rng *rand.Rand, frac float64) (minutiae.Template, ellipse, bool) {
	if len(t.Minutiae) < latentMinMinutiae {
		return minutiae.Template{}, ellipse{}, false
	}
	area := hullArea(t.Minutiae)
	aspect := latentAspectMin + rng.Float64()*(1-latentAspectMin)
	// π·a·b = frac·area with b = aspect·a.
	a := math.Sqrt(frac * area / (math.Pi * aspect))
	theta := rng.Float64() * math.Pi
	c := t.Minutiae[rng.IntN(len(t.Minutiae))]
	e := ellipse{cx: float64(c.X), cy: float64(c.Y), a: a, b: aspect * a, cos: math.Cos(theta), sin: math.Sin(theta)}
	crop := t
	crop.Minutiae = nil
	crop.Impression = minutiae.Latent
	crop.Position = minutiae.UnknownFinger
	for _, m := range t.Minutiae {
		if e.inside(float64(m.X), float64(m.Y)) {
			crop.Minutiae = append(crop.Minutiae, m)
		}
	}
	return crop, e, len(crop.Minutiae) >= latentMinMinutiae
}

// ellipse is a crop's: centre, half-axes a and b, the first turned by an
// angle of the given cosine and sine.
type ellipse struct{ cx, cy, a, b, cos, sin float64 }

func (e ellipse) inside(x, y float64) bool {
	dx, dy := x-e.cx, y-e.cy
	u, v := (dx*e.cos+dy*e.sin)/e.a, (-dx*e.sin+dy*e.cos)/e.b
	return u*u+v*v <= 1
}

// markCrop marks a crop as the latent suite's examiner marks a latent
// (simulateMarking, with its constants and functions): each minutia missed
// with probability markMiss, the others jittered, and markSpuriousMin to
// markSpuriousMax spurious minutiae added at random places of the ellipse,
// in random order; the impression a latent tracing. There is no
// distortion: the crop's mates, other impressions of the finger, bring
// their own.
func markCrop(crop minutiae.Template, e ellipse, rng *rand.Rand) minutiae.Template {
	marked := crop
	marked.Minutiae = nil
	marked.Impression = minutiae.LatentTracing
	for _, m := range crop.Minutiae {
		if rng.Float64() < markMiss {
			continue
		}
		marked.Minutiae = append(marked.Minutiae, markMinutia(float64(m.X), float64(m.Y), float64(m.Direction), m.Kind, crop.Width, crop.Height, rng))
	}
	for range spuriousMarks(rng) {
		r, phi := math.Sqrt(rng.Float64()), 2*math.Pi*rng.Float64()
		u, v := e.a*r*math.Cos(phi), e.b*r*math.Sin(phi)
		x, y := e.cx+u*e.cos-v*e.sin, e.cy+u*e.sin+v*e.cos
		marked.Minutiae = append(marked.Minutiae, spuriousMark(clampTo(x, crop.Width), clampTo(y, crop.Height), rng))
	}
	rng.Shuffle(len(marked.Minutiae), func(i, j int) { marked.Minutiae[i], marked.Minutiae[j] = marked.Minutiae[j], marked.Minutiae[i] })
	return marked
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

// latentProbeKind is a kind of latent probe with its own calibration:
// crops as our extractor reads them, or marked as an examiner marks.
type latentProbeKind struct {
	name string // in messages
	// file is the generated file's name, variable the table's.
	file, variable string
	// salt separates the kind's crops' random numbers from the other's;
	// the image crops keep the stream they had before marked ones existed.
	salt   uint64
	marked bool
}

var latentProbeKinds = []latentProbeKind{
	{name: "image", file: "calibration_latent_table.go", variable: "latentCalibration"},
	{name: "marked", file: "calibration_marked_table.go", variable: "markedCalibration", salt: 0x3A4C, marked: true},
}

// runLatentCalibration measures the latent classes' impostor scores, of
// image crops and of marked crops, and writes them as matcher's latent
// calibration tables: out, and the marked table beside it.
func runLatentCalibration(dirs []string, src TemplateSource, source, out string, seed uint64) error {
	var sets [][]sample
	var names []string
	for _, dir := range dirs {
		samples, err := loadSet(dir, src)
		if err != nil {
			return err
		}
		sets = append(sets, samples)
		names = append(names, filepath.Base(filepath.Clean(dir)))
	}
	for _, kind := range latentProbeKinds {
		file := filepath.Join(filepath.Dir(out), kind.file)
		if !kind.marked {
			file = out
		}
		if err := calibrateLatentKind(kind, sets, names, source, file, seed); err != nil {
			return err
		}
	}
	return nil
}

// calibrateLatentKind measures and writes the tables of one kind of
// latent probe.
func calibrateLatentKind(kind latentProbeKind, sets [][]sample, names []string, source, out string, seed uint64) error {
	impostor := make([][]float64, len(latentClassBounds))
	genuine := make([][]float64, len(latentClassBounds))
	for set, samples := range sets {
		samples = slices.Clone(samples)
		prints := len(samples)
		rng := rand.New(rand.NewPCG(seed, uint64(set)^kind.salt<<32))
		var comps []comparison
		for p := range prints {
			if samples[p].failed {
				continue
			}
			seen := map[string]bool{} // a print with few minutiae gives the same crop twice: compare it once
			for range latentCrops {
				frac := latentAreaMin + rng.Float64()*(latentAreaMax-latentAreaMin)
				crop, e, ok := cropTemplate(samples[p].template, rng, frac)
				if ok && kind.marked {
					crop = markCrop(crop, e, rng)
					ok = len(crop.Minutiae) >= latentMinMinutiae
				}
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
		compareAll(samples, comps, names[set]+" latent "+kind.name)
		for _, c := range comps {
			k := latentClassOf(len(samples[c.probe].template.Minutiae))
			if c.genuine {
				genuine[k] = append(genuine[k], c.score)
			} else {
				impostor[k] = append(impostor[k], c.score)
			}
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by `go run ./benchmarks calibrate --latent`; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package matcher\n\n")
	if kind.marked {
		fmt.Fprintf(&b, "// %s: score → FMR tables of hand-marked latent probes by\n", kind.variable)
		fmt.Fprintf(&b, "// size class, measured on impostor pairs of crops (%d per print, %.0f–%.0f%% of its\n", latentCrops, 100*latentAreaMin, 100*latentAreaMax)
		fmt.Fprintf(&b, "// area) marked with the latent suite's noise (%.0f%% missed, %.1f px and %.0f° jitter,\n", 100*markMiss, markJitter, markDirJitter*180/math.Pi)
		fmt.Fprintf(&b, "// %d–%d spurious) against whole prints: templates %q, sets %s, seed %d.\n", markSpuriousMin, markSpuriousMax, source, strings.Join(names, " "), seed)
	} else {
		fmt.Fprintf(&b, "// %s: score → FMR tables of latent-sized probes by size\n", kind.variable)
		fmt.Fprintf(&b, "// class, measured on impostor pairs of crops (%d per print, %.0f–%.0f%% of its\n", latentCrops, 100*latentAreaMin, 100*latentAreaMax)
		fmt.Fprintf(&b, "// area) against whole prints: templates %q, sets %s, seed %d.\n", source, strings.Join(names, " "), seed)
	}
	fmt.Fprintf(&b, "var %s = []latentClass{\n", kind.variable)
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
		fmt.Printf("%s class %2d–%2d minutiae: %7d impostor, %6d genuine comparisons; highest impostor %v; genuine FNMR at FMR 1e-3 %.1f%%, at 1e-4 %.1f%%\n",
			kind.name, lo+1, bound, len(impostor[k]), len(genuine[k]), lastN(imp, 3),
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
