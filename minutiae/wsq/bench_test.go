package wsq

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecode decodes the 832 × 768 sample.
func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(sharedData(b), "samples", "wsq_and_formats", "wsq-original.wsq"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
