package wsq

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

// TestJoinFastPathMatchesSlow checks that joinLine's interior fast paths
// (generic and unrolled) give the same bits and the same errors as the
// plain bouncing walk, on random lines, filters of every small length (odd
// and even, where the sign factor and edge rules differ) and stale output
// contents.
func TestJoinFastPathMatchesSlow(t *testing.T) {
	defer func() { slowJoinOnly = false }()
	rng := rand.New(rand.NewPCG(1, 2))
	randoms := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 50)
		}
		return v
	}
	same := func(a, b []float32) bool {
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				return false
			}
		}
		return true
	}
	for iter := 0; iter < 20000; iter++ {
		lsz, hsz := 2+rng.IntN(10), 2+rng.IntN(10)
		if iter%3 == 0 {
			lsz, hsz = 7, 9
		}
		bank := newSynthesisBank(&transformTable{lo: randoms(lsz), hi: randoms(hsz)})
		n := 2 + rng.IntN(40)
		in := randoms(n)
		fast := randoms(n)
		slow := append([]float32(nil), fast...)
		inv := rng.IntN(2) == 0

		slowJoinOnly = false
		errFast := bank.joinLine(fast, in, inv)
		slowJoinOnly = true
		errSlow := bank.joinLine(slow, in, inv)
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("filters %d/%d, line %d: fast path error %v, slow path error %v", lsz, hsz, n, errFast, errSlow)
		}
		if errFast == nil && !same(fast, slow) {
			t.Fatalf("filters %d/%d, line %d, inv %v: fast path\n%v\nslow path\n%v", lsz, hsz, n, inv, fast, slow)
		}
	}

	// And a whole decode.
	slowJoinOnly = false
	valid := validFile(t)
	a, _, err := Decode(valid)
	if err != nil {
		t.Fatal(err)
	}
	slowJoinOnly = true
	b, _, err := Decode(valid)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Error("decoding with and without the fast path differs")
	}
}
