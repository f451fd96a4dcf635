package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const dataDir = "../../shared/data/fvc2002"

func TestProtocolCounts(t *testing.T) {
	var samples []sample
	for f := range fingers {
		for i := 1; i <= impressions; i++ {
			samples = append(samples, sample{finger: firstFinger + f, impression: i})
		}
	}
	count := func(comps []comparison) (gen, imp int) {
		for _, c := range comps {
			if c.genuine {
				gen++
			} else {
				imp++
			}
		}
		return gen, imp
	}
	gen, imp := count(pairs(samples, "full"))
	assert.Equal(t, 280, gen)
	assert.Equal(t, 2880, imp)
	gen, imp = count(pairs(samples, "fvc"))
	assert.Equal(t, 280, gen)
	assert.Equal(t, 45, imp)
}

func TestAccuracyOnDB1(t *testing.T) {
	set := filepath.Join(dataDir, "DB1_B")
	if _, err := os.Stat(set); err != nil {
		t.Skipf("reference data absent (%s): skipping", set)
	}
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "out.json")
	require.NoError(t, runAccuracy([]string{"--json", jsonPath, "--scores", dir, "--plot", dir, set}))
	assert.FileExists(t, filepath.Join(dir, "DB1_B.png"))
	var rep report
	b, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rep))
	require.Len(t, rep.Sets, 1)
	s := rep.Sets[0]
	assert.Equal(t, "DB1_B", s.Name)
	assert.Equal(t, 280, s.Genuine)
	assert.Equal(t, 2880, s.Impostor)
	assert.Equal(t, 0, s.FTE)
	assert.Less(t, s.EER, 20.0, "the matcher should separate genuine from impostor pairs")
	assert.Equal(t, s.EER, rep.MeanEER)
	scores, err := os.ReadFile(filepath.Join(dir, "DB1_B.txt"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(scores)), "\n")
	assert.Len(t, lines, 280+2880)
	assert.Len(t, strings.Fields(lines[0]), 3)
}

func TestAccuracyMissingTemplatesAreFTE(t *testing.T) {
	dir := t.TempDir()
	for f := range fingers {
		for i := 1; i <= impressions; i++ {
			require.NoError(t, os.WriteFile(filepath.Join(dir, filepathName(firstFinger+f, i)), nil, 0o644))
		}
	}
	samples, err := loadSet(dir, isoTemplate)
	require.NoError(t, err)
	comps := pairs(samples, "fvc")
	compareAll(samples, comps, "empty")
	r := evaluate("empty", samples, comps)
	assert.Equal(t, 80, r.FTE)
	assert.Equal(t, 100.0, r.FMR100, "no template, no match")
}

func filepathName(finger, impression int) string {
	return fmt.Sprintf("%d_%d.tif", finger, impression)
}
