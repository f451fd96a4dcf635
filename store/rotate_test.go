package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// rawKeyIDs returns the key id of every sealed value in the database.
func rawKeyIDs(t *testing.T, s *Store) map[uint32]int {
	t.Helper()
	it, err := s.db.NewIter(nil)
	require.NoError(t, err)
	defer it.Close()
	ids := map[uint32]int{}
	for valid := it.First(); valid; valid = it.Next() {
		if !isSealedKey(it.Key()) {
			continue
		}
		id, ok := sealedKeyID(it.Value())
		require.True(t, ok, "%s", keyString(it.Key()))
		ids[id]++
	}
	return ids
}

func keyRecords(t *testing.T, s *Store) map[uint32]uint64 {
	t.Helper()
	st, err := s.KeyStatus(context.Background())
	require.NoError(t, err)
	out := map[uint32]uint64{}
	for _, k := range st.Keys {
		require.True(t, k.Held, "key %d named by records but not held", k.ID)
		out[k.ID] = k.Records
	}
	return out
}

func TestRotateResealRetireReopen(t *testing.T) {
	defer func(n int) { resealScan = n }(resealScan)
	resealScan = 100 // the walks go in many pieces
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	require.NoError(t, err)
	const n = 300 // several re-seal batches
	want := map[string]*Subject{}
	for i := range n {
		subj := synthSubject(subjectName(i), uint64(i), 1+i%3)
		mustPut(t, s, subj, fmt.Sprintf("req-%d", i))
		want[subj.ID] = subj
	}
	appendN(t, s, 0, 20)
	// n subjects, n name entries, n request entries, 20 audit records, the
	// anchor and the index key.
	sealed := uint64(3*n + 20 + 2)
	require.Equal(t, map[uint32]uint64{1: sealed}, keyRecords(t, s))

	id, err := s.RotateKey(ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(2), id)
	info, err := os.Stat(filepath.Join(dir, "datakey.2"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	// New writes use the new key at once.
	mustPut(t, s, synthSubject("after-rotation", 7777, 2), "")
	require.NoError(t, s.waitReseal(ctx))

	st, err := s.KeyStatus(ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(2), st.Current)
	require.False(t, st.Resealing)
	require.Zero(t, st.ResealFailed, st.ResealError)
	require.Equal(t, map[uint32]uint64{1: 0, 2: sealed + 2}, keyRecords(t, s))
	require.Equal(t, map[uint32]int{2: int(sealed + 2)}, rawKeyIDs(t, s))

	// The current key cannot be retired, an unknown or zero id neither.
	require.ErrorIs(t, s.RetireKey(ctx, 2), ErrKeyInUse)
	require.ErrorIs(t, s.RetireKey(ctx, 9), ErrNotFound)
	require.ErrorIs(t, s.RetireKey(ctx, 0), ErrInvalid)
	require.NoError(t, s.RetireKey(ctx, 1))
	_, err = os.Stat(filepath.Join(dir, KeyFileName))
	require.ErrorIs(t, err, os.ErrNotExist, "retiring removes the key file")
	require.ErrorIs(t, s.RetireKey(ctx, 1), ErrNotFound)

	check := func(s *Store) {
		t.Helper()
		for id, subj := range want {
			got, err := s.GetSubject(ctx, id)
			require.NoError(t, err)
			requireSame(t, subj, got)
		}
		// Request ids still replay: the index key did not change.
		res, err := s.PutSubject(ctx, want[subjectName(5)], "req-5")
		require.NoError(t, err)
		require.True(t, res.Replayed)
		rep, err := s.VerifyAudit(ctx)
		require.NoError(t, err)
		require.Empty(t, rep.Problem)
	}
	check(s)
	appendN(t, s, 20, 2) // the chain goes on across the rotation
	require.NoError(t, s.Close())

	// Reopen with the keys from disk: only datakey.2 is left.
	s, err = Open(dir, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	check(s)
	id, err = s.RotateKey(ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(3), id)
	require.NoError(t, s.waitReseal(ctx))
	require.NoError(t, s.RetireKey(ctx, 2))
	check(s)

	// The grep of TestNoPlaintextOnDisk finds no subject id after all that.
	require.NoError(t, s.db.Flush())
	for path, data := range readTree(t, dir) {
		for id := range want {
			require.False(t, bytes.Contains(data, []byte(id)), "%s in the clear in %s", id, path)
		}
	}
}

// A store given its key by the operator has nowhere to write a new one.
func TestRotateRefusedWithOperatorKey(t *testing.T) {
	s, _ := openTest(t)
	_, err := s.RotateKey(context.Background())
	require.ErrorIs(t, err, ErrKey)
	require.ErrorContains(t, err, "supplied by the operator")
	st, err := s.KeyStatus(context.Background())
	require.NoError(t, err)
	require.False(t, st.Rotatable)
	require.Equal(t, []KeyInfo{{ID: 1, Records: 1, Current: true, Held: true}}, st.Keys)
}

// An operator's key directory works like the store directory's keys.
func TestOperatorKeyDir(t *testing.T) {
	ctx := context.Background()
	dir, keys := t.TempDir(), filepath.Join(t.TempDir(), "keys")
	s, err := Open(dir, Options{KeyDir: keys})
	require.NoError(t, err)
	mustPut(t, s, synthSubject("x", 1, 1), "")
	_, err = s.RotateKey(ctx)
	require.NoError(t, err)
	require.NoError(t, s.waitReseal(ctx))
	require.NoError(t, s.RetireKey(ctx, 1))
	require.NoError(t, s.Close())
	names := func(d string) []string {
		var out []string
		es, err := os.ReadDir(d)
		require.NoError(t, err)
		for _, e := range es {
			out = append(out, e.Name())
		}
		return out
	}
	require.Equal(t, []string{"datakey.2"}, names(keys))
	require.Equal(t, []string{"db"}, names(dir), "no key in the store directory")
	_, err = Open(dir, Options{})
	require.ErrorIs(t, err, ErrKey, "the keys are elsewhere")
	s, err = Open(dir, Options{KeyDir: keys})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.GetSubject(ctx, "x")
	require.NoError(t, err)
}

// A key added while the store was closed (what a crash after a rotation's
// key file was made durable, but before the store used it, leaves) is the
// current key on open; the records under the older key stay readable, are
// counted, block that key's retirement, and Reseal moves them.
func TestResealAfterRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	require.NoError(t, err)
	for i := range 10 {
		mustPut(t, s, synthSubject(subjectName(i), uint64(i), 1), "")
	}
	require.NoError(t, s.Close())
	k, err := newDataKey()
	require.NoError(t, err)
	require.NoError(t, writeKeyFile(filepath.Join(dir, "datakey.2"), k))
	// A temporary file a crash left mid-write is not a key.
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".datakey-123"), []byte("0123"), 0o600))

	s, err = Open(dir, Options{})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, map[uint32]uint64{1: 21, 2: 0}, keyRecords(t, s))
	err = s.RetireKey(ctx, 1)
	require.ErrorIs(t, err, ErrKeyInUse)
	require.ErrorContains(t, err, "21 records are still sealed under data key 1")
	_, err = s.GetSubject(ctx, subjectName(3))
	require.NoError(t, err)

	require.NoError(t, s.Reseal(ctx))
	require.NoError(t, s.waitReseal(ctx))
	st, err := s.KeyStatus(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(21), st.Resealed)
	require.Equal(t, map[uint32]uint64{1: 0, 2: 21}, keyRecords(t, s))
	require.NoError(t, s.RetireKey(ctx, 1))
}

func TestKeyDirRefusals(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"two files for id 1", func(t *testing.T, dir string) {
			k, err := LoadKeyFile(filepath.Join(dir, KeyFileName))
			require.NoError(t, err)
			require.NoError(t, writeKeyFile(filepath.Join(dir, "datakey.1"), k))
		}, "both hold data key id 1"},
		{"a key file others read", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "datakey.2"), []byte(fmt.Sprintf("%064x\n", 7)), 0o644))
			require.NoError(t, os.Chmod(filepath.Join(dir, "datakey.2"), 0o644))
		}, "permissions 0644"},
		{"a malformed key", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "datakey.3"), []byte("short\n"), 0o600))
		}, "64 hex digits"},
		{"a directory others write", func(t *testing.T, dir string) {
			require.NoError(t, os.Chmod(dir, 0o777))
		}, "others must not write to it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{})
			require.NoError(t, err)
			require.NoError(t, s.Close())
			tc.setup(t, dir)
			_, err = Open(dir, Options{})
			require.ErrorIs(t, err, ErrKey)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestKeyFileID(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   uint32
		ok   bool
	}{
		{"datakey", 1, true},
		{"datakey.1", 1, true},
		{"datakey.2", 2, true},
		{"datakey.4294967295", 4294967295, true},
		{"datakey.4294967296", 0, false},
		{"datakey.0", 0, false},
		{"datakey.02", 0, false},
		{"datakey.+2", 0, false},
		{"datakey.", 0, false},
		{"datakey2", 0, false},
		{".datakey-123", 0, false},
		{"db", 0, false},
	} {
		id, ok := keyFileID(tc.name)
		require.Equal(t, tc.ok, ok, tc.name)
		require.Equal(t, tc.id, id, tc.name)
		if ok && tc.name != "datakey.1" {
			require.Equal(t, tc.name, keyFileName(id))
		}
	}
}

// Writers replacing and deleting subjects while keys rotate twice: no
// stale re-seal overwrites a newer value or brings back a deleted one.
func TestResealRacesWriters(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	defer s.Close()
	const subjects, versions, writers = 60, 12, 6
	for i := range subjects {
		mustPut(t, s, synthSubject(subjectName(i), uint64(i), 2), "")
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for v := 1; v <= versions; v++ {
				for i := w; i < subjects; i += writers {
					var err error
					if i%5 == 0 && v == versions {
						err = s.DeleteSubject(ctx, subjectName(i))
					} else {
						_, err = s.PutSubject(ctx, synthSubject(subjectName(i), uint64(i*1000+v), 2), "")
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	for range 2 {
		_, err := s.RotateKey(ctx)
		require.NoError(t, err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, s.waitReseal(ctx))
	for i := range subjects {
		got, err := s.GetSubject(ctx, subjectName(i))
		if i%5 == 0 {
			require.ErrorIs(t, err, ErrNotFound, subjectName(i))
			continue
		}
		require.NoError(t, err)
		requireSame(t, synthSubject(subjectName(i), uint64(i*1000+versions), 2), got)
	}
	counts := keyRecords(t, s)
	require.Zero(t, counts[1])
	require.Zero(t, counts[2])
	require.NoError(t, s.RetireKey(ctx, 1))
	require.NoError(t, s.RetireKey(ctx, 2))
}

// Close stops a re-seal in progress; what it did not reach stays readable
// under the older key.
func TestCloseDuringReseal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	require.NoError(t, err)
	for i := range 500 {
		mustPut(t, s, synthSubject(subjectName(i), uint64(i), 1), "")
	}
	_, err = s.RotateKey(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = s.RotateKey(ctx)
	require.ErrorIs(t, err, ErrClosed)

	s, err = Open(dir, Options{})
	require.NoError(t, err)
	defer s.Close()
	for i := range 500 {
		_, err := s.GetSubject(ctx, subjectName(i))
		require.NoError(t, err)
	}
}
