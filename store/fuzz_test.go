package store

import (
	"errors"
	"testing"
)

// Page tokens come from clients: any string either decodes to a start id
// that encodes back to the same token, or fails with ErrInvalid.
func FuzzDecodePageToken(f *testing.F) {
	for _, seed := range []string{"", encodePageToken(0), encodePageToken(1 << 40), "AQ", "!!", "AQAAAAAAAAAA="} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		start, err := decodePageToken(tok)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("decodePageToken(%q): %v does not wrap ErrInvalid", tok, err)
			}
			return
		}
		if tok != "" && encodePageToken(start) != tok {
			t.Fatalf("decodePageToken(%q) = %d, which encodes as %q", tok, start, encodePageToken(start))
		}
	})
}

// Values come from disk, which may be damaged or tampered with: opening any
// bytes fails cleanly unless they are exactly what was sealed at that key.
func FuzzOpenSealed(f *testing.F) {
	sl, err := newSealer(testKey)
	if err != nil {
		f.Fatal(err)
	}
	key := subjectKey(7)
	f.Add(key, sl.seal(key, []byte("a record")))
	f.Add(key, []byte{0, 0, 0, 1})
	f.Add(subjectKey(8), sl.seal(key, nil))
	f.Fuzz(func(t *testing.T, k, value []byte) {
		pt, err := sl.open(k, value)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrKey) {
				t.Fatalf("open: %v wraps neither ErrCorrupt nor ErrKey", err)
			}
			return
		}
		// Whatever opened must survive a seal and open at the same key
		// unchanged.
		again, err := sl.open(k, sl.seal(k, pt))
		if err != nil || string(again) != string(pt) {
			t.Fatalf("reseal of an opened value does not round-trip: %v", err)
		}
	})
}
