package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

func TestLatentSuiteJSON(t *testing.T) {
	set := filepath.Join(dataDir, "DB1_B")
	if _, err := os.Stat(set); err != nil {
		t.Skipf("reference data absent (%s): skipping", set)
	}
	got := latentJSON(t, set, "--limit", "10", "--gallery", "200", "--unsolved", "50")
	for _, field := range []string{
		"gallery", "latents", "image_rank1", "image_rank10", "image_rank100",
		"marked_rank1", "marked_rank10", "marked_rank100", "search_ms_median", "search_ms_p99",
		"unsolved", "reverse_ms_per_enrolment_median", "reverse_ms_per_enrolment_p99", "reverse_found",
	} {
		assert.Contains(t, got, field)
	}
	assert.EqualValues(t, 200, got["gallery"])
	assert.EqualValues(t, 10, got["latents"], "--limit 10")
	assert.EqualValues(t, 10, got["mates"], "impression 1 of DB1_B's ten fingers")
	assert.EqualValues(t, 50, got["unsolved"])
	assert.EqualValues(t, 10, got["reverse_mated"], "every marking on file")
	assert.EqualValues(t, 10, got["reverse_enrolments"], "the first ten latents are impression 2 of the ten fingers")
	for _, kind := range []string{"image", "marked"} {
		r1, r10, r100 := got[kind+"_rank1"].(float64), got[kind+"_rank10"].(float64), got[kind+"_rank100"].(float64)
		assert.True(t, 0 <= r1 && r1 <= r10 && r10 <= r100 && r100 <= 100, "%s ranks %v %v %v", kind, r1, r10, r100)
	}
	// The markings are the exemplar's own minutiae: some latent of ten
	// finds its mate first.
	assert.Greater(t, got["marked_rank1"], 0.0)
	assert.Greater(t, got["search_ms_median"], 0.0)
	assert.GreaterOrEqual(t, got["search_ms_p99"], got["search_ms_median"])
	assert.Greater(t, got["reverse_ms_per_enrolment_median"], 0.0)
	found := got["reverse_found"].(float64)
	assert.True(t, 0 <= found && found <= 100, "reverse_found %v", found)

	assert.NotContains(t, got, "noise_free_rank10", "only with --noise-free")

	// The same seed simulates the same latents: the same results.
	got2 := latentJSON(t, set, "--limit", "10", "--gallery", "200", "--unsolved", "50")
	for _, field := range []string{"image_rank1", "image_rank10", "marked_rank1", "marked_rank10", "reverse_found", "image_minutiae_median", "marked_minutiae_median"} {
		assert.Equal(t, got[field], got2[field], field)
	}
}

// TestLatentSuiteNoiseFree checks that --noise-free adds the noise-free
// markings' rates and changes none of the others, on DB3_B, where the
// image and marked rates are not all 100 % (a leak would show).
func TestLatentSuiteNoiseFree(t *testing.T) {
	set := filepath.Join(dataDir, "DB3_B")
	if _, err := os.Stat(set); err != nil {
		t.Skipf("reference data absent (%s): skipping", set)
	}
	args := []string{"--limit", "20", "--gallery", "300", "--unsolved", "0"}
	plain, noiseFree := latentJSON(t, set, args...), latentJSON(t, set, append(args, "--noise-free")...)
	rates := []string{"image_rank1", "image_rank10", "image_rank100", "marked_rank1", "marked_rank10", "marked_rank100"}
	for _, field := range append(rates, "image_no_minutiae", "image_minutiae_median", "marked_minutiae_median") {
		assert.Equal(t, plain[field], noiseFree[field], field)
	}
	notAll := false
	for _, field := range rates {
		notAll = notAll || plain[field].(float64) < 100
	}
	assert.True(t, notAll, "every rate is 100 %%: the comparison shows nothing")
	assert.NotContains(t, plain, "noise_free_rank1")
	for _, field := range []string{"noise_free_rank1", "noise_free_rank10", "noise_free_rank100"} {
		assert.Contains(t, noiseFree, field)
	}
	assert.Positive(t, noiseFree["noise_free_rank1"], "the exemplar's own minutiae find some mate first")
}

// latentJSON runs the latent suite on set with flags and returns what
// --json wrote.
func latentJSON(t *testing.T, set string, flags ...string) map[string]any {
	t.Helper()
	path := filepath.Join(t.TempDir(), "latent.json")
	require.NoError(t, runLatent(append(append(flags, "--json", path), set)))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	return got
}

func TestLatentSuiteRefuses(t *testing.T) {
	set := filepath.Join(dataDir, "DB1_B")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no set", nil, "no set folder"},
		{"negative limit", []string{"--limit", "-1", set}, "negative"},
		{"zero fmr", []string{"--reverse-fmr", "0", set}, "--reverse-fmr"},
		{"missing set", []string{filepath.Join(t.TempDir(), "DB9_B")}, "DB9_B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runLatent(tc.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	if _, err := os.Stat(set); err == nil {
		err := runLatent([]string{"--gallery", "5", "--limit", "1", set})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "smaller than the 10 exemplars")
	}
}

func TestSyntheticLatent(t *testing.T) {
	model := fitDistractorModel(fakeRealTemplates(rand.New(rand.NewPCG(1, 2)), 50))
	var sizes, whole []int
	for k := range uint64(200) {
		lt := syntheticLatent(model, rand.New(rand.NewPCG(3, k)))
		require.GreaterOrEqual(t, len(lt.Minutiae), 2)
		assert.Equal(t, minutiae.LatentTracing, lt.Impression)
		assert.Equal(t, minutiae.UnknownFinger, lt.Position)
		require.NoError(t, lt.Validate())
		assert.Equal(t, lt, syntheticLatent(model, rand.New(rand.NewPCG(3, k))), "reproducible")
		sizes = append(sizes, len(lt.Minutiae))
		whole = append(whole, len(model.Template(rand.New(rand.NewPCG(4, k))).Minutiae))
	}
	// A cut of 25–40 % of a print's minutiae, a fifth of them missed, and
	// 1–3 added: about a quarter to a third of a whole print's count.
	ratio := float64(medianInt(sizes)) / float64(medianInt(whole))
	assert.Greater(t, ratio, 0.2)
	assert.Less(t, ratio, 0.45)
	t.Logf("median minutiae: synthetic latent %d, synthetic print %d", medianInt(sizes), medianInt(whole))

	// A template without minutiae cannot be cut.
	assert.Empty(t, cutLatent(minutiae.Template{}, rand.New(rand.NewPCG(1, 1))).Minutiae)
}
