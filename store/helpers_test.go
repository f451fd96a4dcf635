package store

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

// testKey is a fixed data key, so tests that reopen a store need no key file.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// synthTemplate makes a valid template whose minutiae depend on seed, so
// different seeds give different bytes.
func synthTemplate(seed uint64, pos minutiae.FingerPosition) minutiae.Template {
	rng := rand.New(rand.NewPCG(seed, uint64(pos)))
	t := minutiae.Template{
		Width: 400, Height: 500, Position: pos,
		Impression: minutiae.LiveRolled, Quality: 60,
		Minutiae: make([]minutiae.Minutia, 30+rng.IntN(20)),
	}
	for i := range t.Minutiae {
		t.Minutiae[i] = minutiae.Minutia{
			X:         float32(rng.IntN(400)) + 0.25,
			Y:         float32(rng.IntN(500)) + 0.5,
			Direction: minutiae.NormalizeAngle(rng.Float64() * 7),
			Kind:      minutiae.Kind(1 + rng.IntN(2)),
			Quality:   uint8(rng.IntN(101)),
		}
	}
	return t
}

// synthSubject makes a subject with fingers templates.
func synthSubject(id string, seed uint64, fingers int) *Subject {
	s := &Subject{ID: id}
	for f := range fingers {
		s.Fingers = append(s.Fingers, synthTemplate(seed*100+uint64(f), minutiae.FingerPosition(1+f%10)))
	}
	return s
}

// openTest opens a store in a new temporary directory with testKey and
// closes it when the test ends (unless the test closed it).
func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	return openAt(t, dir), dir
}

func openAt(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{DataKey: testKey})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func mustPut(t *testing.T, s *Store, subj *Subject, requestID string) PutResult {
	t.Helper()
	res, err := s.PutSubject(context.Background(), subj, requestID)
	require.NoError(t, err)
	return res
}

// requireSame checks that got holds what want asked to store.
func requireSame(t *testing.T, want, got *Subject) {
	t.Helper()
	require.Equal(t, want.ID, got.ID)
	require.Equal(t, want.Fingers, got.Fingers)
}

// rawDB opens a closed store's database directly, for tests that tamper
// with it.
func rawDB(t *testing.T, dir string) *pebble.DB {
	t.Helper()
	db, err := pebble.Open(filepath.Join(dir, "db"), &pebble.Options{
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{slog.New(slog.DiscardHandler)},
	})
	require.NoError(t, err)
	return db
}

func subjectName(i int) string { return fmt.Sprintf("subject-%04d", i) }
