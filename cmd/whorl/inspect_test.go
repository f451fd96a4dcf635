package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
	"github.com/whorlafis/whorl/minutiae/fmr"
)

// inspectJSON runs "whorl inspect --json" and decodes what it prints.
func inspectJSON(t *testing.T, args ...string) ([]fileReport, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"inspect", "--json"}, args...), &stdout, &stderr)
	var reports []fileReport
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &reports), "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
	return reports, code
}

func TestInspectSyntheticFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o600))
		return p
	}

	var pngBytes bytes.Buffer
	require.NoError(t, png.Encode(&pngBytes, image.NewGray(image.Rect(0, 0, 200, 100))))
	tmpl := minutiae.Template{Width: 300, Height: 400, Position: minutiae.LeftIndex, Impression: minutiae.LiveRolled,
		Minutiae: []minutiae.Minutia{{X: 10, Y: 20, Direction: 1, Kind: minutiae.KindEnding}}}
	native, err := minutiae.MarshalTemplate(&tmpl)
	require.NoError(t, err)
	rec, err := fmr.FromTemplates(fmr.ANSI378, tmpl)
	require.NoError(t, err)
	ansi, err := fmr.Encode(rec)
	require.NoError(t, err)

	files := []string{
		write("print.png", pngBytes.Bytes()),
		write("finger.tmpl", native),
		write("finger.ansi", ansi),
		write("notes.txt", []byte("not a fingerprint")),
	}
	reports, code := inspectJSON(t, "--ppi", "1000", files[0], files[1], files[2], files[3])
	assert.Equal(t, 1, code, "a file that is not understood makes the exit code 1")
	require.Len(t, reports, 4)

	assert.Equal(t, "image", reports[0].Kind)
	require.NotNil(t, reports[0].Image)
	assert.Equal(t, imageReport{Format: "png", Width: 100, Height: 50, SourcePPI: 1000}, *reports[0].Image,
		"a PNG without a resolution takes --ppi and is rescaled to 500 ppi")

	for i, format := range map[int]string{1: "native", 2: "ANSI INCITS 378-2004"} {
		assert.Equal(t, "template", reports[i].Kind, files[i])
		require.Len(t, reports[i].Templates, 1, files[i])
		got := reports[i].Templates[0]
		assert.Equal(t, format, got.Format)
		assert.Equal(t, "left index", got.Position)
		assert.Equal(t, 1, got.Minutiae)
	}

	assert.Equal(t, "unknown", reports[3].Kind)
	assert.Contains(t, reports[3].Error, "unknown or unsupported image format")
}

func TestInspectUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(nil, &stdout, &stderr))
	assert.Equal(t, 2, run([]string{"inspect"}, &stdout, &stderr))
	assert.Equal(t, 2, run([]string{"frobnicate"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), `unknown command "frobnicate"`)
}

func TestInspectRealTransaction(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "data", "samples", "ansi_nist", "valid1.14.an2")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("reference data not found (%v); skipping", err)
	}
	reports, code := inspectJSON(t, path)
	require.Equal(t, 0, code)
	require.Len(t, reports, 1)
	r := reports[0]
	assert.Equal(t, "transaction", r.Kind)
	var types []int
	for _, rec := range r.Records {
		types = append(types, rec.Type)
	}
	assert.Equal(t, []int{1, 2, 4, 9}, types)
	require.Len(t, r.Fingerprint, 1)
	assert.Equal(t, []string{"right thumb"}, r.Fingerprint[0].Positions)
	assert.Equal(t, "784×1133 at 500 ppi", r.Fingerprint[0].Decoded)
}

func TestParseFlagsAnywhere(t *testing.T) {
	for _, c := range []struct {
		args []string
		note string
		json bool
		rest []string
	}{
		{[]string{"7", "identified"}, "", false, []string{"7", "identified"}},
		{[]string{"--note", "x", "7", "identified"}, "x", false, []string{"7", "identified"}},
		{[]string{"7", "identified", "--note", "14 points"}, "14 points", false, []string{"7", "identified"}},
		{[]string{"7", "--json", "identified", "--note=y"}, "y", true, []string{"7", "identified"}},
		{[]string{"7", "--", "--note", "z"}, "", false, []string{"7", "--note", "z"}},
		{nil, "", false, []string{}},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		note := fs.String("note", "", "")
		asJSON := fs.Bool("json", false, "")
		require.NoError(t, parseFlags(fs, c.args), "%q", c.args)
		assert.Equal(t, c.note, *note, "%q", c.args)
		assert.Equal(t, c.json, *asJSON, "%q", c.args)
		assert.Equal(t, c.rest, fs.Args(), "%q", c.args)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	assert.Error(t, parseFlags(fs, []string{"7", "--nope"}), "an unknown flag after the arguments is still an error")
}
