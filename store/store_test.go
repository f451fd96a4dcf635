package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

func TestPutGetReplaceDelete(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)

	first := synthSubject("AB-1234", 1, 10)
	before := time.Now()
	res := mustPut(t, s, first, "")
	require.False(t, res.Replaced)
	require.False(t, res.Replayed)
	require.False(t, res.Time.Before(before.Truncate(time.Microsecond)))

	got, err := s.GetSubject(ctx, "AB-1234")
	require.NoError(t, err)
	requireSame(t, first, got)
	require.Equal(t, res.Time, got.Created)
	require.Equal(t, res.Time, got.Updated)
	require.Empty(t, got.RequestID)

	// Replacing keeps the internal id and the creation time.
	idBefore, _, err := s.lookup(indexKey(kindName, s.indexKey, "AB-1234"), "AB-1234")
	require.NoError(t, err)
	second := synthSubject("AB-1234", 2, 2)
	res2 := mustPut(t, s, second, "req-2")
	require.True(t, res2.Replaced)
	got, err = s.GetSubject(ctx, "AB-1234")
	require.NoError(t, err)
	requireSame(t, second, got)
	require.Equal(t, res.Time, got.Created)
	require.Equal(t, res2.Time, got.Updated)
	require.Equal(t, "req-2", got.RequestID)
	idAfter, _, err := s.lookup(indexKey(kindName, s.indexKey, "AB-1234"), "AB-1234")
	require.NoError(t, err)
	require.Equal(t, idBefore, idAfter)

	require.NoError(t, s.DeleteSubject(ctx, "AB-1234"))
	_, err = s.GetSubject(ctx, "AB-1234")
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorIs(t, s.DeleteSubject(ctx, "AB-1234"), ErrNotFound)
	_, err = s.GetSubject(ctx, "never-enrolled")
	require.ErrorIs(t, err, ErrNotFound)

	// Deleted, then enrolled again: a new record.
	mustPut(t, s, first, "")
	got, err = s.GetSubject(ctx, "AB-1234")
	require.NoError(t, err)
	requireSame(t, first, got)
}

func TestPutSubjectRefusesInvalid(t *testing.T) {
	badTemplate := synthTemplate(1, minutiae.RightThumb)
	badTemplate.Minutiae[3].Direction = 7 // outside [0, 2π)
	tests := []struct {
		name      string
		subj      *Subject
		requestID string
		want      string
	}{
		{"nil subject", nil, "", "nil subject"},
		{"empty id", synthSubject("", 1, 1), "", "subject id is empty"},
		{"long id", synthSubject(strings.Repeat("x", MaxIDLength+1), 1, 1), "", "257 bytes"},
		{"id not UTF-8", synthSubject("a\xffb", 1, 1), "", "not valid UTF-8"},
		{"no fingers", &Subject{ID: "x"}, "", "0 fingers"},
		{"too many fingers", synthSubject("x", 1, MaxFingers+1), "", "33 fingers"},
		{"invalid template", &Subject{ID: "x", Fingers: []minutiae.Template{badTemplate}}, "", "finger 0: minutiae: minutia 3: direction"},
		{"long request id", synthSubject("x", 1, 1), strings.Repeat("r", MaxIDLength+1), "request id is 257 bytes"},
	}
	s, _ := openTest(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.PutSubject(context.Background(), tt.subj, tt.requestID)
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tt.want)
		})
	}
	// A maximal id is accepted.
	mustPut(t, s, synthSubject(strings.Repeat("x", MaxIDLength), 1, MaxFingers), "")
	_, err := s.GetSubject(context.Background(), "")
	require.ErrorIs(t, err, ErrInvalid)
}

func TestIdempotentRequestID(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)

	subj := synthSubject("P-77", 7, 4)
	first := mustPut(t, s, subj, "station-3/0001")
	require.False(t, first.Replayed)

	// The retry answers as the first call did and writes nothing.
	again := mustPut(t, s, subj, "station-3/0001")
	require.True(t, again.Replayed)
	require.Equal(t, first.Replaced, again.Replaced)
	require.Equal(t, first.Time, again.Time)
	got, err := s.GetSubject(ctx, "P-77")
	require.NoError(t, err)
	require.Equal(t, first.Time, got.Updated)

	// The same request id for other content is a client bug, refused.
	_, err = s.PutSubject(ctx, synthSubject("P-77", 8, 4), "station-3/0001")
	require.ErrorIs(t, err, ErrRequestConflict)
	require.ErrorContains(t, err, "same subject with different templates")
	_, err = s.PutSubject(ctx, synthSubject("P-78", 7, 4), "station-3/0001")
	require.ErrorIs(t, err, ErrRequestConflict)
	require.ErrorContains(t, err, "different subject")
	require.NotContains(t, err.Error(), "P-7", "errors must not echo subject ids")

	// A new request id for the same content is a new write (a replace).
	third := mustPut(t, s, subj, "station-3/0002")
	require.False(t, third.Replayed)
	require.True(t, third.Replaced)

	// A retry after the subject was deleted still answers as the original
	// and does not bring the subject back.
	require.NoError(t, s.DeleteSubject(ctx, "P-77"))
	replay := mustPut(t, s, subj, "station-3/0002")
	require.True(t, replay.Replayed)
	_, err = s.GetSubject(ctx, "P-77")
	require.ErrorIs(t, err, ErrNotFound)
}

// Concurrent retries of one enrolment create one subject and one write.
func TestIdempotentConcurrentRetries(t *testing.T) {
	s, _ := openTest(t)
	const n = 8
	results := make([]PutResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = s.PutSubject(context.Background(), synthSubject("same", 1, 2), "one-request")
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	written := 0
	for _, r := range results {
		if !r.Replayed {
			written++
		}
		require.False(t, r.Replaced)
	}
	require.Equal(t, 1, written)
	subjects, _, err := s.ListSubjects(context.Background(), "", 0)
	require.NoError(t, err)
	require.Len(t, subjects, 1)
}

func TestListSubjectsPaging(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	const n = 25
	for i := range n {
		mustPut(t, s, synthSubject(subjectName(i), uint64(i), 1), "")
	}
	// Deleted subjects leave no hole in the pages.
	require.NoError(t, s.DeleteSubject(ctx, subjectName(3)))
	require.NoError(t, s.DeleteSubject(ctx, subjectName(24)))
	var want []string
	for i := range n {
		if i != 3 && i != 24 {
			want = append(want, subjectName(i))
		}
	}

	for _, size := range []int{1, 7, 23, 24, 0, 5000} {
		var got []string
		tok, pages := "", 0
		for {
			page, next, err := s.ListSubjects(ctx, tok, size)
			require.NoError(t, err)
			pages++
			if size > 0 {
				require.LessOrEqual(t, len(page), size)
			}
			for _, subj := range page {
				got = append(got, subj.ID)
			}
			if next == "" {
				break
			}
			tok = next
		}
		require.Equal(t, want, got, "page size %d", size)
		if size > 0 && size < len(want) {
			require.Equal(t, (len(want)+size-1)/size, pages, "page size %d", size)
		}
	}

	_, _, err := s.ListSubjects(ctx, "", -1)
	require.ErrorIs(t, err, ErrInvalid)
	for _, tok := range []string{"!!", "AAAA", encodePageToken(5)[1:], "Ag" + encodePageToken(5)[2:]} {
		_, _, err = s.ListSubjects(ctx, tok, 10)
		require.ErrorIs(t, err, ErrInvalid, "token %q", tok)
	}
}

func TestReopenKeepsSubjectsAndNeverReusesIDs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{DataKey: testKey})
	require.NoError(t, err)
	kept := synthSubject("kept", 1, 10)
	mustPut(t, s, kept, "req-kept")
	mustPut(t, s, synthSubject("gone", 2, 1), "")
	goneID, _, err := s.lookup(indexKey(kindName, s.indexKey, "gone"), "gone")
	require.NoError(t, err)
	require.NoError(t, s.DeleteSubject(ctx, "gone"))
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.Close(), ErrClosed)

	s = openAt(t, dir)
	got, err := s.GetSubject(ctx, "kept")
	require.NoError(t, err)
	requireSame(t, kept, got)
	require.Equal(t, "req-kept", got.RequestID)
	// The request id survives the restart.
	res := mustPut(t, s, kept, "req-kept")
	require.True(t, res.Replayed)
	// The id of the deleted last subject is not handed out again.
	mustPut(t, s, synthSubject("new", 3, 1), "")
	newID, _, err := s.lookup(indexKey(kindName, s.indexKey, "new"), "new")
	require.NoError(t, err)
	require.Greater(t, newID, goneID)
}

func TestClosedStore(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	require.NoError(t, s.Close())
	_, err := s.PutSubject(ctx, synthSubject("x", 1, 1), "")
	require.ErrorIs(t, err, ErrClosed)
	_, err = s.GetSubject(ctx, "x")
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, s.DeleteSubject(ctx, "x"), ErrClosed)
	_, _, err = s.ListSubjects(ctx, "", 0)
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, s.Scan(ctx, 2, func(*Subject) error { return nil }), ErrClosed)
	require.ErrorIs(t, s.Checkpoint(filepath.Join(t.TempDir(), "b")), ErrClosed)
}

func TestSchemaVersionChecked(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(*pebble.DB) error
		want   string
	}{
		{"newer", func(db *pebble.DB) error {
			return db.Set(metaSchemaKey, binary.BigEndian.AppendUint32(nil, SchemaVersion+1), pebble.Sync)
		}, fmt.Sprintf("schema version %d, newer than the %d this build reads", SchemaVersion+1, SchemaVersion)},
		{"older", func(db *pebble.DB) error {
			return db.Set(metaSchemaKey, binary.BigEndian.AppendUint32(nil, 0), pebble.Sync)
		}, fmt.Sprintf("schema version 0, older than %d", SchemaVersion)},
		{"missing", func(db *pebble.DB) error {
			return db.Delete(metaSchemaKey, pebble.Sync)
		}, "holds records but no schema version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{DataKey: testKey})
			require.NoError(t, err)
			mustPut(t, s, synthSubject("x", 1, 1), "")
			require.NoError(t, s.Close())

			db := rawDB(t, dir)
			require.NoError(t, tt.tamper(db))
			require.NoError(t, db.Close())

			_, err = Open(dir, Options{DataKey: testKey})
			require.ErrorIs(t, err, ErrSchema)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestWrongDataKeyRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{DataKey: testKey})
	require.NoError(t, err)
	mustPut(t, s, synthSubject("x", 1, 1), "")
	require.NoError(t, s.Close())

	other := []byte("ffffffffffffffffffffffffffffffff")
	_, err = Open(dir, Options{DataKey: other})
	require.ErrorIs(t, err, ErrKey)
	require.ErrorContains(t, err, "the data key does not open the store")

	_, err = Open(dir, Options{DataKey: testKey[:16]})
	require.ErrorIs(t, err, ErrKey)
	require.ErrorContains(t, err, "data key is 16 bytes, want 32")

	// Records sealed under one key do not open under another either, each
	// with an error naming the record.
	good, err := newSealer(testKey)
	require.NoError(t, err)
	bad, err := newSealer(other)
	require.NoError(t, err)
	k := subjectKey(9)
	_, err = bad.open(k, good.seal(k, []byte("template bytes")))
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "record s/9 failed authentication")
}

func TestSealedValueBoundToItsKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{DataKey: testKey})
	require.NoError(t, err)
	mustPut(t, s, synthSubject("alpha", 1, 2), "")
	mustPut(t, s, synthSubject("beta", 2, 2), "")
	alphaID, _, err := s.lookup(indexKey(kindName, s.indexKey, "alpha"), "alpha")
	require.NoError(t, err)
	betaID, _, err := s.lookup(indexKey(kindName, s.indexKey, "beta"), "beta")
	require.NoError(t, err)
	require.NoError(t, s.Close())

	// Copy alpha's sealed record over beta's, and flip a bit in the name
	// index of alpha: both must fail authentication rather than read.
	db := rawDB(t, dir)
	v, closer, err := db.Get(subjectKey(alphaID))
	require.NoError(t, err)
	moved := append([]byte(nil), v...)
	closer.Close()
	require.NoError(t, db.Set(subjectKey(betaID), moved, pebble.Sync))
	require.NoError(t, db.Close())

	s = openAt(t, dir)
	_, err = s.GetSubject(ctx, "beta")
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "failed authentication")
	_, err = s.GetSubject(ctx, "alpha")
	require.NoError(t, err, "the original record is untouched")
	// Scan reports the bad record too instead of skipping it.
	err = s.Scan(ctx, 2, func(*Subject) error { return nil })
	require.ErrorIs(t, err, ErrCorrupt)

	nk := indexKey(kindName, s.indexKey, "alpha")
	v, err = s.get(nk)
	require.NoError(t, err)
	v[len(v)-1] ^= 1
	require.NoError(t, s.db.Set(nk, v, pebble.Sync))
	_, err = s.GetSubject(ctx, "alpha")
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestKeyFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	require.NoError(t, err)
	mustPut(t, s, synthSubject("x", 1, 1), "")
	require.NoError(t, s.Close())

	keyPath := filepath.Join(dir, KeyFileName)
	info, err := os.Stat(keyPath)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	key, err := LoadKeyFile(keyPath)
	require.NoError(t, err)
	require.Len(t, key, DataKeySize)

	// The same key opens the store from the file or from the option.
	for _, opts := range []Options{{}, {DataKey: key}} {
		s, err := Open(dir, opts)
		require.NoError(t, err)
		_, err = s.GetSubject(ctx, "x")
		require.NoError(t, err)
		require.NoError(t, s.Close())
	}

	// A key file others can read is refused, naming the fix.
	require.NoError(t, os.Chmod(keyPath, 0o644))
	_, err = Open(dir, Options{})
	require.ErrorIs(t, err, ErrKey)
	require.ErrorContains(t, err, "permissions 0644")
	require.ErrorContains(t, err, "chmod 600")

	// A missing key file is not silently replaced when a database exists.
	require.NoError(t, os.Remove(keyPath))
	_, err = Open(dir, Options{})
	require.ErrorIs(t, err, ErrKey)
	require.ErrorContains(t, err, "no key file")
	_, err = os.Stat(keyPath)
	require.ErrorIs(t, err, os.ErrNotExist)

	// A malformed key file is refused.
	require.NoError(t, os.WriteFile(keyPath, []byte("not a key\n"), 0o600))
	_, err = Open(dir, Options{})
	require.ErrorIs(t, err, ErrKey)
	require.ErrorContains(t, err, "64 hex digits")
}

func TestCheckpoint(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	const n = 40
	for i := range n {
		mustPut(t, s, synthSubject(subjectName(i), uint64(i), 1+i%10), "")
	}
	backup := filepath.Join(t.TempDir(), "backup")
	require.NoError(t, s.Checkpoint(backup))
	// A write after the checkpoint is not in it.
	mustPut(t, s, synthSubject("after", 99, 1), "")

	err := s.Checkpoint(backup)
	require.ErrorIs(t, err, os.ErrExist, "a checkpoint never overwrites")
	_, err = os.Stat(filepath.Join(backup, KeyFileName))
	require.ErrorIs(t, err, os.ErrNotExist, "a backup carries no key")

	b := openAt(t, backup)
	want, _, err := s.ListSubjects(ctx, "", MaxPageSize)
	require.NoError(t, err)
	got, _, err := b.ListSubjects(ctx, "", MaxPageSize)
	require.NoError(t, err)
	require.Len(t, got, n)
	require.Equal(t, want[:n], got)
	_, err = b.GetSubject(ctx, "after")
	require.ErrorIs(t, err, ErrNotFound)
}

func TestScan(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	const n = 300 // several scan batches
	for i := range n {
		mustPut(t, s, synthSubject(subjectName(i), uint64(i), 1), "")
	}
	for _, workers := range []int{1, 4, 16, 0} {
		var mu sync.Mutex
		seen := map[string]int{}
		err := s.Scan(ctx, workers, func(subj *Subject) error {
			require.Len(t, subj.Fingers, 1)
			mu.Lock()
			seen[subj.ID]++
			mu.Unlock()
			return nil
		})
		require.NoError(t, err)
		require.Len(t, seen, n, "workers %d", workers)
		for id, count := range seen {
			require.Equal(t, 1, count, "%s seen %d times with %d workers", id, count, workers)
		}
	}

	// The first error from fn stops the scan and is returned.
	stop := errors.New("stop here")
	err := s.Scan(ctx, 4, func(subj *Subject) error {
		if subj.ID == subjectName(10) {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, s.Scan(cancelled, 4, func(*Subject) error { return nil }), context.Canceled)
}
