package main

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

// Synthetic print: concentric ridges of period ridgePeriod around the
// centre of an ellipse of half-axes printRX, printRY on a light background.
const (
	printW, printH   = 320, 360
	printRX, printRY = 120.0, 150.0
	ridgePeriod      = 9.0
)

func syntheticPrint() *minutiae.Image {
	g := image.NewGray(image.Rect(0, 0, printW, printH))
	rng := rand.New(rand.NewPCG(1, 1))
	cx, cy := printW/2.0, printH/2.0
	for y := range printH {
		for x := range printW {
			v := 225 + 3*rng.NormFloat64()
			if inSyntheticPrint(float64(x), float64(y), 0) {
				r := math.Hypot(float64(x)-cx, float64(y)-cy+40)
				v = 130 + 80*math.Cos(2*math.Pi*r/ridgePeriod) + 3*rng.NormFloat64()
			}
			g.Pix[y*g.Stride+x] = uint8(max(0, min(255, v)))
		}
	}
	return &minutiae.Image{Gray: g, PPI: minutiae.StandardPPI}
}

// inSyntheticPrint reports whether (x, y) is inside the synthetic print's
// ellipse grown by margin pixels.
func inSyntheticPrint(x, y, margin float64) bool {
	ex, ey := (x-printW/2.0)/(printRX+margin), (y-printH/2.0)/(printRY+margin)
	return ex*ex+ey*ey <= 1
}

// syntheticExemplar is a template of minutiae on a 15-pixel grid over the
// synthetic print.
func syntheticExemplar() minutiae.Template {
	t := minutiae.Template{Width: printW, Height: printH}
	for y := 0.0; y < printH; y += 15 {
		for x := 0.0; x < printW; x += 15 {
			if inSyntheticPrint(x, y, -10) && len(t.Minutiae) < minutiae.MaxMinutiae {
				t.Minutiae = append(t.Minutiae, minutiae.Minutia{X: float32(x), Y: float32(y), Direction: float32(math.Mod(x+y, 6)), Kind: minutiae.KindEnding})
			}
		}
	}
	return t
}

func TestSimulateLatentIsReproducible(t *testing.T) {
	src := syntheticPrint()
	a, err := simulateLatent(src, latentSeed(7, "DB1_B-101/2"))
	require.NoError(t, err)
	b, err := simulateLatent(src, latentSeed(7, "DB1_B-101/2"))
	require.NoError(t, err)
	assert.Equal(t, a.Image.Gray.Pix, b.Image.Gray.Pix, "same seed and impression, same image")
	assert.Equal(t, a.Region, b.Region)
	ex := syntheticExemplar()
	assert.Equal(t, simulateMarking(a, ex, latentSeed(7, "m")), simulateMarking(b, ex, latentSeed(7, "m")))

	for _, other := range []*rand.Rand{latentSeed(8, "DB1_B-101/2"), latentSeed(7, "DB1_B-101/3")} {
		c, err := simulateLatent(src, other)
		require.NoError(t, err)
		assert.NotEqual(t, a.Region, c.Region, "another seed or impression, another region")
		assert.NotEqual(t, a.Image.Gray.Pix, c.Image.Gray.Pix)
	}
	assert.Equal(t, src.PPI, a.Image.PPI)
	assert.Equal(t, src.Gray.Rect, a.Image.Gray.Rect)
}

func TestSimulateLatentRegionAndDistortion(t *testing.T) {
	src := syntheticPrint()
	printArea := math.Pi * printRX * printRY
	var fractions []float64
	for seed := range uint64(15) {
		l, err := simulateLatent(src, latentSeed(seed, "print"))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, l.AreaFraction, areaMin, "seed %d", seed)
		assert.LessOrEqual(t, l.AreaFraction, areaMax+1e-3, "seed %d", seed)
		fractions = append(fractions, l.AreaFraction)

		// The region is of the print, not its blank surround (a margin
		// for the distortion and the foreground's block grid), and about
		// as large as the fraction says of the print's true area (within
		// 20 %: the foreground found on 16-pixel blocks loses a little of
		// the ellipse's rim).
		n := 0
		for i, in := range l.Region {
			if in {
				n++
				assert.True(t, inSyntheticPrint(float64(i%printW), float64(i/printW), distortionMax+fgBlock), "seed %d: region pixel %d outside the print", seed, i)
			}
		}
		share := float64(n) / printArea
		assert.InDelta(t, l.AreaFraction, share, 0.2*l.AreaFraction, "seed %d: region share of the true print area", seed)

		d := l.maxDisplacement()
		assert.GreaterOrEqual(t, d, distortionMin-1e-3, "seed %d", seed)
		assert.LessOrEqual(t, d, distortionMax+1e-3, "seed %d", seed)

		// Inside the region, with its edge faded in, the ridges show;
		// outside is the surface's background, without structure.
		var inSD, outSD []float64
		for y := 0; y+8 <= printH; y += 8 {
			for x := 0; x+8 <= printW; x += 8 {
				all, none := true, true
				var s, ss float64
				for j := y; j < y+8; j++ {
					for i := x; i < x+8; i++ {
						in := l.Region[j*printW+i]
						all, none = all && in, none && !in
						v := float64(l.Image.Gray.Pix[j*printW+i])
						s, ss = s+v, ss+v*v
					}
				}
				sd := math.Sqrt(ss/64 - s*s/64/64)
				if all {
					inSD = append(inSD, sd)
				} else if none {
					outSD = append(outSD, sd)
				}
			}
		}
		slices.Sort(inSD)
		slices.Sort(outSD)
		assert.Greater(t, inSD[len(inSD)/2], 1.3*outSD[len(outSD)/2], "seed %d: ridges stand out of the background", seed)
	}
	t.Logf("area fractions: min %.3f max %.3f", slices.Min(fractions), slices.Max(fractions))
}

func TestSimulateMarking(t *testing.T) {
	src := syntheticPrint()
	ex := syntheticExemplar()
	for seed := range uint64(10) {
		l, err := simulateLatent(src, latentSeed(seed, "print"))
		require.NoError(t, err)
		inside := 0
		for _, m := range ex.Minutiae {
			if qx, qy := l.inverse(float64(m.X), float64(m.Y)); l.inRegion(qx, qy) {
				inside++
			}
		}
		mk := simulateMarking(l, ex, latentSeed(seed, "marking"))
		assert.Equal(t, minutiae.LatentTracing, mk.Impression)
		assert.Equal(t, minutiae.UnknownFinger, mk.Position)
		require.NoError(t, mk.Validate(), "seed %d", seed)
		// Jitter may carry a mark a few pixels past the region's edge:
		// every mark is within 4σ of the region.
		for _, m := range mk.Minutiae {
			assert.True(t, nearRegion(l, float64(m.X), float64(m.Y), 4*markJitter), "seed %d: mark (%.0f, %.0f) outside the region", seed, m.X, m.Y)
		}
		assert.LessOrEqual(t, len(mk.Minutiae), inside+markSpuriousMax, "seed %d", seed)
		assert.GreaterOrEqual(t, len(mk.Minutiae), markSpuriousMin, "seed %d", seed)
		// About markMiss of the minutiae inside are missed: with ~60 of
		// them, far fewer than all and far more than half are kept.
		kept := len(mk.Minutiae) - markSpuriousMax
		assert.Greater(t, kept, inside/2, "seed %d: %d of %d inside kept at least", seed, kept, inside)
	}
}

func TestNoiseFreeMarking(t *testing.T) {
	src := syntheticPrint()
	ex := syntheticExemplar()
	for seed := range uint64(5) {
		l, err := simulateLatent(src, latentSeed(seed, "print"))
		require.NoError(t, err)
		mk := noiseFreeMarking(l, ex)
		assert.Equal(t, minutiae.LatentTracing, mk.Impression)
		require.NoError(t, mk.Validate(), "seed %d", seed)
		// Every minutia of the region is marked, once, where the
		// distortion put it (kept on the image): none missed, none added,
		// none jittered.
		var want []minutiae.Minutia
		for _, m := range ex.Minutiae {
			if qx, qy, dir, ok := l.onLatent(m); ok {
				want = append(want, minutiae.Minutia{
					X: float32(clampTo(qx, l.width)), Y: float32(clampTo(qy, l.height)),
					Direction: minutiae.NormalizeAngle(dir), Kind: m.Kind,
				})
			}
		}
		require.NotEmpty(t, want, "seed %d: a region without minutiae tests nothing", seed)
		assert.Equal(t, want, mk.Minutiae, "seed %d", seed)
	}
}

// nearRegion reports whether a point of the region lies within r of (x, y).
func nearRegion(l *latentSim, x, y, r float64) bool {
	for j := int(y - r); j <= int(y+r); j++ {
		for i := int(x - r); i <= int(x+r); i++ {
			if math.Hypot(float64(i)-x, float64(j)-y) <= r && l.inRegion(float64(i), float64(j)) {
				return true
			}
		}
	}
	return false
}

func TestSimulateMarkingFollowsTheDistortion(t *testing.T) {
	src := syntheticPrint()
	l, err := simulateLatent(src, latentSeed(3, "print"))
	require.NoError(t, err)
	// A source point maps to the latent point that shows it.
	for _, p := range [][2]float64{{100, 120}, {160, 180}, {220, 240}} {
		qx, qy := l.inverse(p[0], p[1])
		i := int(math.Round(qy))*printW + int(math.Round(qx))
		assert.InDelta(t, p[0], qx+float64(l.dx[i]), 0.75)
		assert.InDelta(t, p[1], qy+float64(l.dy[i]), 0.75)
	}
}

func TestSimulateLatentRefuses(t *testing.T) {
	src := syntheticPrint()
	rng := latentSeed(1, "x")
	_, err := simulateLatent(&minutiae.Image{Gray: src.Gray, PPI: 569}, rng)
	assert.ErrorContains(t, err, "569 ppi")
	_, err = simulateLatent(&minutiae.Image{Gray: image.NewGray(image.Rect(0, 0, 20, 20)), PPI: 500}, rng)
	assert.ErrorContains(t, err, "20 × 20")
	_, err = simulateLatent(nil, rng)
	assert.Error(t, err)
	blank := image.NewGray(image.Rect(0, 0, 100, 100))
	_, err = simulateLatent(&minutiae.Image{Gray: blank, PPI: 500}, rng)
	assert.ErrorContains(t, err, "no foreground")
}

// TestLatentExtractionCounts simulates a latent of impression 2 of every
// finger of the FVC2002 sets present and logs how many minutiae our
// extractor reads from the latent image beside the exemplar's and the
// marking's counts.
func TestLatentExtractionCounts(t *testing.T) {
	var exCounts, imgCounts, mkCounts []int
	for _, set := range []string{"DB1_B", "DB2_B", "DB3_B"} {
		dir := filepath.Join(dataDir, set)
		if _, err := os.Stat(dir); err != nil {
			t.Skipf("reference data absent (%s): skipping", dir)
		}
		for f := range fingers {
			path := filepath.Join(dir, fmt.Sprintf("%d_2.tif", firstFinger+f))
			img, err := decodeSetImage(path)
			require.NoError(t, err)
			ex, err := minutiae.Extract(img, nil)
			require.NoError(t, err)
			l, err := simulateLatent(img, latentSeed(1, path))
			require.NoError(t, err)
			lt, err := minutiae.Extract(l.Image, &minutiae.ExtractOptions{Impression: minutiae.Latent})
			if err != nil {
				require.ErrorIs(t, err, minutiae.ErrNoFingerprint)
			}
			mk := simulateMarking(l, ex, latentSeed(1, path+"/marking"))
			exCounts = append(exCounts, len(ex.Minutiae))
			imgCounts = append(imgCounts, len(lt.Minutiae))
			mkCounts = append(mkCounts, len(mk.Minutiae))
		}
	}
	for _, c := range [][]int{exCounts, imgCounts, mkCounts} {
		slices.Sort(c)
	}
	t.Logf("minutiae per print (sorted), %d prints:\n exemplar %v\n latent image %v\n marking %v", len(exCounts), exCounts, imgCounts, mkCounts)
	ex, img, mk := medianInt(exCounts), medianInt(imgCounts), medianInt(mkCounts)
	// A latent of a third of the print holds fewer minutiae than the
	// print, and enough to search with.
	assert.GreaterOrEqual(t, img, 4, "median minutiae on a latent image")
	assert.Less(t, img, ex*2/3)
	assert.GreaterOrEqual(t, mk, 6, "median marked minutiae")
	assert.Less(t, mk, ex*2/3)
}
