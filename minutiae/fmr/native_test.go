package fmr

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

// Every real template, once in the model, survives the native encoding that
// storage uses, and comes back out as the same ISO record: the chain
// ISO → model → native → model → ISO loses nothing.
func TestRealTemplatesThroughNativeEncoding(t *testing.T) {
	iso, ist := realTemplates(t, dataDir(t))
	total, bytesNative, bytesISO := 0, 0, 0
	for _, path := range append(iso, ist...) {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		rec, err := Decode(data)
		require.NoError(t, err, path)
		var back []minutiae.Template
		for i := range rec.Views {
			tmpl, err := rec.Template(i)
			require.NoError(t, err, path)
			native, err := minutiae.MarshalTemplate(&tmpl)
			require.NoError(t, err, path)
			got, err := minutiae.UnmarshalTemplate(native)
			require.NoError(t, err, path)
			require.Equal(t, tmpl, got, "%s view %d", path, i)
			back = append(back, got)
			bytesNative += len(native)
		}
		again, err := FromTemplates(ISO2005, back...)
		require.NoError(t, err, path)
		out, err := Encode(again)
		require.NoError(t, err, path)
		require.Equal(t, data, out, path)
		total++
		bytesISO += len(data)
	}
	t.Logf("%d templates through the native encoding: %d bytes native, %d bytes ISO", total, bytesNative, bytesISO)
}
