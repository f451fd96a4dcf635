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

// Key file names come from a directory on disk: a name is a key id exactly
// when it is the canonical name of that id (datakey.1 aside, which also
// reads as id 1).
func FuzzKeyFileID(f *testing.F) {
	for _, seed := range []string{"datakey", "datakey.1", "datakey.2", "datakey.02", "datakey.4294967296", "datakey.", ".datakey-1", "db"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		id, ok := keyFileID(name)
		if !ok {
			return
		}
		if id == 0 || (keyFileName(id) != name && name != "datakey.1") {
			t.Fatalf("keyFileID(%q) = %d, whose file name is %q", name, id, keyFileName(id))
		}
	})
}

// The tail anchor comes from disk: any value either opens to an anchor or
// fails with ErrCorrupt or ErrKey, never a panic.
func FuzzOpenAuditAnchor(f *testing.F) {
	sl, err := newSealer(testKey)
	if err != nil {
		f.Fatal(err)
	}
	s := &Store{sealer: sl}
	f.Add(sl.seal(metaAuditAnchorKey, make([]byte, anchorSize)))
	f.Add(sl.seal(metaAuditAnchorKey, []byte("short")))
	f.Add([]byte{0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, v []byte) {
		if _, err := s.openAuditAnchor(v); err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrKey) {
			t.Fatalf("openAuditAnchor: %v wraps neither ErrCorrupt nor ErrKey", err)
		}
	})
}
