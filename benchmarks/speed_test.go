package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpeedJSON(t *testing.T) {
	set := filepath.Join(dataDir, "DB1_B")
	if _, err := os.Stat(set); err != nil {
		t.Skipf("reference data absent (%s): skipping", set)
	}
	jsonPath := filepath.Join(t.TempDir(), "speed.json")
	require.NoError(t, runSpeed([]string{"--rounds", "1", "--json", jsonPath, set}))
	b, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	for _, field := range []string{"extract_ms_median", "compare_per_sec", "prepare_us_median", "comparisons"} {
		assert.Contains(t, got, field)
	}
	assert.EqualValues(t, 80*79, got["comparisons"], "every ordered pair of DB1_B's 80 templates")
	assert.Greater(t, got["extract_ms_median"], 0.0)
	assert.Greater(t, got["compare_per_sec"], 0.0)

	assert.Error(t, runSpeed([]string{"--rounds", "0", set}))
}

func TestSpeedRefusesAMissingSet(t *testing.T) {
	err := runSpeed([]string{filepath.Join(t.TempDir(), "DB1_B")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DB1_B")
}
