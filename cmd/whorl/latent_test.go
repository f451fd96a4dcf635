package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

// signalWriter collects output and closes ready when it first holds want.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	want  string
	ready chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.ready != nil && strings.Contains(w.buf.String(), w.want) {
		close(w.ready)
		w.ready = nil
	}
	return len(p), nil
}

// writeCrop writes the centre of an FVC image, latent-sized, as a PNG in dir.
func writeCrop(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fvcDB1, name))
	require.NoError(t, err)
	img, err := minutiae.DecodeImage(data, 0)
	require.NoError(t, err)
	b := img.Gray.Bounds()
	cx, cy := b.Dx()/2, b.Dy()/2
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img.Gray.SubImage(image.Rect(cx-100, cy-110, cx+100, cy+110))))
	path := filepath.Join(dir, strings.TrimSuffix(name, ".tif")+"-latent.png")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	return path
}

// TestLatentCommands runs the examiner's commands against a real server:
// register (image and marked minutiae), watch, enrol, list, decide, retire,
// and the file after a restart.
func TestLatentCommands(t *testing.T) {
	if _, err := os.Stat(fvcDB1); err != nil {
		t.Skipf("reference data absent (%s): skipping", fvcDB1)
	}
	tmp := t.TempDir()
	data := filepath.Join(tmp, "whorl-data")
	addr, stop := startServe(t, data)
	cli := func(args ...string) (string, int) {
		var out, errOut bytes.Buffer
		words := 1 // the command, and its subcommand for latent and hits
		if args[0] == "latent" || args[0] == "hits" {
			words = 2
		}
		code := run(append(args[:words:words], append([]string{"--server", addr, "--data", data}, args[words:]...)...), &out, &errOut)
		if code != 0 {
			t.Logf("whorl %v: %s", args, errOut.String())
		}
		return out.String(), code
	}
	decode := func(out string) map[string]any {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &m), out)
		return m
	}

	out, code := cli("latent", "register", "--json", "--id", "lat-101", "--case", "case-7", "--notes", "door handle", writeCrop(t, tmp, "101_2.tif"))
	require.Equal(t, 0, code)
	assert.Equal(t, "unsolved", decode(out)["latent"].(map[string]any)["state"])

	// Marked minutiae: what `whorl extract --json` prints, cut to a region.
	var extracted bytes.Buffer
	require.Equal(t, 0, run([]string{"extract", "--server", addr, "--data", data, "--json", writeCrop(t, tmp, "106_2.tif")}, &extracted, os.Stderr))
	marked := filepath.Join(tmp, "marked.json")
	require.NoError(t, os.WriteFile(marked, extracted.Bytes(), 0o600))
	out, code = cli("latent", "register", "--json", "--case", "case-8", "--position", "3", "--position", "4",
		"--region", "0,0 150,0 150,300 0,300", "--minutiae", marked)
	require.Equal(t, 0, code)
	markedID := decode(out)["latent"].(map[string]any)["id"].(string)
	assert.NotEmpty(t, markedID)
	assert.Equal(t, []any{3.0, 4.0}, decode(out)["latent"].(map[string]any)["positions"])

	// Watch, enrol the mate, see the hit.
	watchOut := &signalWriter{}
	watchErr := &signalWriter{want: "watching", ready: make(chan struct{})}
	ready := watchErr.ready
	watched := make(chan int)
	go func() {
		watched <- run([]string{"hits", "watch", "--server", addr, "--data", data, "--json", "--count", "1"}, watchOut, watchErr)
	}()
	<-ready
	_, code = cli("enroll", "--subject", "person-101", "--position", "2", filepath.Join(fvcDB1, "101_1.tif"))
	require.Equal(t, 0, code)
	require.Equal(t, 0, <-watched)
	pushed := decode(watchOut.buf.String())
	assert.Equal(t, "lat-101", pushed["latent"])
	assert.Equal(t, "person-101", pushed["subject"])
	assert.Equal(t, "case-7", pushed["case"])

	out, code = cli("hits", "list", "--json", "--undecided")
	require.Equal(t, 0, code)
	hits := decode(out)["hits"].([]any)
	require.Len(t, hits, 1)
	hitID := hits[0].(map[string]any)["hit"].(string)
	assert.Equal(t, pushed["hit"], hitID)

	out, code = cli("latent", "search", "--json", "--top", "3", writeCrop(t, tmp, "101_2.tif"))
	require.Equal(t, 0, code)
	cands := decode(out)["candidates"].([]any)
	require.NotEmpty(t, cands)
	assert.Equal(t, "person-101", cands[0].(map[string]any)["subject"])

	_, code = cli("hits", "decide", "--note", "14 points", hitID, "maybe")
	assert.Equal(t, 1, code, "not a decision")
	out, code = cli("hits", "decide", hitID, "identified", "--json", "--note", "14 points") // flags after the arguments, as the README writes them
	require.Equal(t, 0, code)
	assert.Equal(t, "identified", decode(out)["latent"].(map[string]any)["state"])

	out, code = cli("latent", "retire", markedID, "--note", "case closed")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "retired latent "+markedID)
	_, code = cli("latent", "retire", markedID)
	assert.Equal(t, 1, code, "already retired")

	out, code = cli("latent", "list", "--json")
	require.Equal(t, 0, code)
	assert.Empty(t, decode(out)["latents"])

	// After a restart the records are there.
	stop()
	addr, stop = startServe(t, data)
	defer stop()
	out, code = cli("latent", "list", "--json", "--all")
	require.Equal(t, 0, code)
	assert.Len(t, decode(out)["latents"], 2)
	out, code = cli("latent", "get", "lat-101")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "identified: subject person-101 finger 2")
	out, code = cli("hits", "list")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "identified")
}

func TestParseMinutiaeJSON(t *testing.T) {
	good := `{"width": 300, "height": 400, "minutiae": [
		{"x": 10, "y": 20, "direction": 1.5, "kind": "ending"},
		{"x": 50, "y": 60, "direction": 0, "kind": "MINUTIA_KIND_BIFURCATION", "quality": 40},
		{"x": 90, "y": 90, "direction": 3, "kind": "other"}]}`
	tpl, err := parseMinutiaeJSON([]byte(good))
	require.NoError(t, err)
	assert.Len(t, tpl.X, 3)
	assert.Equal(t, uint32(40), tpl.Qualities[1])
	bad := map[string]string{
		"not JSON":          `{`,
		"unknown field":     `{"minutiae": [], "colour": 1}`,
		"no direction":      `{"width": 300, "height": 400, "minutiae": [{"x": 1, "y": 2}]}`,
		"unknown kind":      `{"width": 300, "height": 400, "minutiae": [{"x": 1, "y": 2, "direction": 1, "kind": "loop"}]}`,
		"direction too big": `{"width": 300, "height": 400, "minutiae": [{"x": 1, "y": 2, "direction": 99, "kind": "ending"}]}`,
	}
	for name, in := range bad {
		_, err := parseMinutiaeJSON([]byte(in))
		assert.Error(t, err, name)
	}
	_, err = parseRegion("0,0 10,0 10,10")
	assert.NoError(t, err)
	for _, in := range []string{"0,0 10,0", "0,0 a,b 1,1", "0;0 1,1 2,2"} {
		_, err := parseRegion(in)
		assert.Error(t, err, in)
	}
}

func FuzzParseMinutiaeJSON(f *testing.F) {
	f.Add([]byte(`{"width": 300, "height": 400, "minutiae": [{"x": 10, "y": 20, "direction": 1.5, "kind": "ending"}]}`))
	f.Add([]byte(`{"minutiae": [{"x": 1e39, "y": -1, "direction": "NaN"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := parseMinutiaeJSON(data)
		if err != nil {
			return
		}
		if _, err := minutiae.TemplateFromProto(tpl); err != nil {
			t.Fatalf("accepted a template the server refuses: %v", err)
		}
	})
}

func FuzzParseRegion(f *testing.F) {
	for _, s := range []string{"0,0 10,0 10,10", "1,1;2,2;3,3", "", "NaN,1 2,2 3,3", ",,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pts, err := parseRegion(s)
		if err != nil {
			return
		}
		if len(pts) < 3 || len(pts) > 64 {
			t.Fatalf("%q: %d points accepted", s, len(pts))
		}
		for _, p := range pts {
			if math.IsNaN(float64(p.X)) || math.IsInf(float64(p.X), 0) || math.IsNaN(float64(p.Y)) || math.IsInf(float64(p.Y), 0) {
				t.Fatalf("%q: a point that is not finite accepted", s)
			}
		}
	})
}
