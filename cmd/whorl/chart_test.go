package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
	"github.com/whorlafis/whorl/minutiae/chart"
)

// TestChart runs `whorl chart` against a real server on real FVC2002
// prints: a genuine pair, an impostor pair and a 569 ppi pair, and looks at
// the PNGs it writes.
func TestChart(t *testing.T) {
	if _, err := os.Stat(fvcDB1); err != nil {
		t.Skipf("reference data absent (%s): skipping", fvcDB1)
	}
	data := filepath.Join(t.TempDir(), "whorl-data")
	addr, stop := startServe(t, data)
	defer stop()
	cli := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := run(append([]string{"chart", "--server", addr, "--data", data}, args...), &out, &errOut)
		return out.String(), errOut.String(), code
	}
	dir := t.TempDir()
	db1 := func(f string) string { return filepath.Join(fvcDB1, f) }

	// Genuine: impressions 1 and 2 of finger 101.
	genuine := filepath.Join(dir, "genuine.png")
	out, errOut, code := cli("--json", "--out", genuine, db1("101_2.tif"), db1("101_1.tif"))
	require.Equal(t, 0, code, errOut)
	var res chartOutput
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.NotEmpty(t, res.Pairs, "a genuine pair has matched minutiae")
	assert.Equal(t, genuine, res.Out)
	st, err := os.Stat(genuine)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "a chart shows biometric images: owner-only")

	// The PNG: the size the layout gives for these images, and every
	// pair's line where it crosses the gap between the panels (only pair
	// lines are drawn there), so the CLI put the server's pairs on the
	// right pixels.
	img := decodePNG(t, genuine)
	sides := [2]chart.Side{{Image: decodeFile(t, db1("101_2.tif"), 0)}, {Image: decodeFile(t, db1("101_1.tif"), 0)}}
	pairs := make([]chart.Pair, len(res.Pairs))
	for k, p := range res.Pairs {
		assert.Equal(t, k+1, p.Number)
		pairs[k] = chart.Pair{Probe: p.Probe.Index, Candidate: p.Candidate.Index}
		for i, m := range []chartMinutia{p.Probe, p.Candidate} {
			for len(sides[i].Minutiae) <= m.Index {
				sides[i].Minutiae = append(sides[i].Minutiae, minutiae.Minutia{})
			}
			sides[i].Minutiae[m.Index] = minutiae.Minutia{X: m.X, Y: m.Y, Direction: m.Direction}
		}
	}
	g := chart.Layout(sides[0], sides[1], pairs, res.Score, res.FMR, chart.Options{})
	require.Equal(t, g.Size, img.Bounds().Size())
	assert.Equal(t, image.Pt(388, 374), g.Panels[0].Size(), "DB1 is 500 ppi: drawn as it is")
	gapX := float64(g.Panels[0].Max.X+g.Panels[1].Min.X)/2 + 0.5
	for k, p := range pairs {
		x0, y0 := g.Point(0, sides[0].Minutiae[p.Probe])
		x1, y1 := g.Point(1, sides[1].Minutiae[p.Candidate])
		y := y0 + (gapX-x0)*(y1-y0)/(x1-x0)
		assert.Equal(t, chart.PairColor, img.At(int(gapX), int(math.Floor(y))), "pair %d's line at the gap", k+1)
	}

	// Impostor: finger 102; the text output.
	impostor := filepath.Join(dir, "impostor.png")
	out, errOut, code = cli("--out", impostor, db1("101_2.tif"), db1("102_1.tif"))
	require.Equal(t, 0, code, errOut)
	m := regexp.MustCompile(`^.*impostor.png: score ([0-9.]+), estimated FMR (\S+), (\d+) matched pairs\n$`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	impostorFMR, err := strconv.ParseFloat(m[2], 64)
	require.NoError(t, err)
	assert.Greater(t, impostorFMR, res.FMR, "the impostor's estimated FMR is higher than the genuine pair's")
	assert.Equal(t, g.Size, decodePNG(t, impostor).Bounds().Size())

	// 569 ppi (FVC2002 DB2): decoded here at the resolution the server was
	// given, so the templates fit the pixels.
	db2 := filepath.Join(fvcDB1, "..", "DB2_B")
	if _, err := os.Stat(db2); err == nil {
		out, errOut, code = cli("--json", "--ppi", "569", "--out", filepath.Join(dir, "db2.png"), filepath.Join(db2, "101_1.tif"), filepath.Join(db2, "101_2.tif"))
		require.Equal(t, 0, code, errOut)
		var res2 chartOutput
		require.NoError(t, json.Unmarshal([]byte(out), &res2), out)
		assert.NotEmpty(t, res2.Pairs)
		want := decodeFile(t, filepath.Join(db2, "101_1.tif"), 569).Bounds().Size()
		assert.Equal(t, want.Y, decodePNG(t, filepath.Join(dir, "db2.png")).Bounds().Dy()-(g.Size.Y-374), "panels as tall as the print at 500 ppi")
	}

	// Mistakes.
	_, _, code = cli(db1("101_2.tif"), db1("101_1.tif"))
	assert.Equal(t, 2, code, "neither --out nor --json")
	_, _, code = cli("--out", filepath.Join(dir, "x.png"), db1("101_2.tif"))
	assert.Equal(t, 2, code, "one file")
	notImage := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(notImage, []byte("not a fingerprint"), 0o600))
	_, errOut, code = cli("--out", filepath.Join(dir, "x.png"), notImage, db1("101_1.tif"))
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "notes.txt")
	_, err = os.Stat(filepath.Join(dir, "x.png"))
	assert.True(t, os.IsNotExist(err), "no chart written for a failed comparison")
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img
}

func decodeFile(t *testing.T, path string, ppi float64) *image.Gray {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	im, err := minutiae.DecodeImage(b, ppi)
	require.NoError(t, err)
	return im.Gray
}
