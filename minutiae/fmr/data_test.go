package fmr

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

// dataDir is the shared reference data beside the repository; tests that
// need it skip where it is absent (a fresh clone has no ../shared).
func dataDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data")
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("reference data not found at %s (%v); skipping the tests on real templates", dir, err)
	}
	return dir
}

// realTemplates lists the FVC2002 .iso templates (SecuGen SDK) and the
// FingerJetFX .ist templates. Both are ISO/IEC 19794-2:2005.
func realTemplates(tb testing.TB, dir string) (iso, ist []string) {
	tb.Helper()
	iso, err := filepath.Glob(filepath.Join(dir, "fvc2002", "*", "iso_templates", "*.iso"))
	require.NoError(tb, err)
	ist, err = filepath.Glob(filepath.Join(dir, "samples", "plain_pgm", "templates-iso", "*.ist"))
	require.NoError(tb, err)
	return iso, ist
}

// checkRealTemplate decodes one real file and checks the byte-for-byte round
// trip, the conversion to the model, and the way back: the files are 500
// ppi with no vendor fields, so FromTemplates must rebuild them exactly.
func checkRealTemplate(t *testing.T, path string) *Record {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	rec, err := Decode(data)
	require.NoError(t, err, path)
	assert.Equal(t, ISO2005, rec.Format, path)
	out, err := Encode(rec)
	require.NoError(t, err, path)
	require.Equal(t, data, out, "%s: re-encoded bytes differ", path)

	require.NotEmpty(t, rec.Views, path)
	ts := make([]minutiae.Template, len(rec.Views))
	for i := range rec.Views {
		ts[i], err = rec.Template(i)
		require.NoError(t, err, "%s view %d", path, i)
		assert.NotEmpty(t, ts[i].Minutiae, "%s view %d", path, i)
	}
	back, err := FromTemplates(ISO2005, ts...)
	require.NoError(t, err, path)
	again, err := Encode(back)
	require.NoError(t, err, path)
	assert.Equal(t, data, again, "%s: record → template → record changed the bytes", path)
	return rec
}

func TestFVC2002ISOTemplates(t *testing.T) {
	dir := dataDir(t)
	iso, _ := realTemplates(t, dir)
	minutiaCount := 0
	for _, path := range iso {
		rec := checkRealTemplate(t, path)
		for _, v := range rec.Views {
			minutiaCount += len(v.Minutiae)
		}
	}
	t.Logf("%d FVC2002 .iso files (%d minutiae) decoded and re-encoded byte for byte", len(iso), minutiaCount)
	assert.Len(t, iso, 320, "FVC2002 DB1–DB4 set B: 4 × 80 templates")
}

// The .ist files from FingerJetFX OSE's samples are ISO/IEC 19794-2:2005
// records too (magic "FMR\0", version " 20\0", a 4-byte length equal to the
// file size), with finger quality and minutia qualities filled in.
func TestFingerJetISTTemplates(t *testing.T) {
	dir := dataDir(t)
	_, ist := realTemplates(t, dir)
	require.NotEmpty(t, ist)
	for _, path := range ist {
		rec := checkRealTemplate(t, path)
		assert.NotZero(t, rec.Views[0].Quality, "%s: FingerJetFX fills the finger quality", path)
	}
	t.Logf("%d FingerJetFX .ist files decoded and re-encoded byte for byte", len(ist))
}
