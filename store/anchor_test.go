package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"
)

// Cut the end off the audit trail in the Pebble files of a closed store: the
// tail anchor shows it, where the hash chain alone would look whole, and
// appends are refused until someone looks.
func TestAuditTailAnchor(t *testing.T) {
	const n = 6
	sl, err := newSealer(testKey)
	require.NoError(t, err)
	cases := []struct {
		name     string
		tamper   func(t *testing.T, db *pebble.DB)
		firstBad uint64
		problem  string
		append   string // what AppendAudit says afterwards; "" if it works
	}{
		{"untouched", func(*testing.T, *pebble.DB) {}, 0, "", ""},
		{"delete the last record", func(t *testing.T, db *pebble.DB) {
			require.NoError(t, db.Delete(auditKey(n), pebble.Sync))
		}, n, "trail truncated: anchor says 6 records, found 5", "audit trail truncated: the anchor says 6 records, found 5"},
		{"delete the last three", func(t *testing.T, db *pebble.DB) {
			require.NoError(t, db.DeleteRange(auditKey(n-2), auditKey(n+1), pebble.Sync))
		}, n - 2, "records 4 to 6 were deleted from the end", "anchor says 6 records, found 3"},
		{"delete every record", func(t *testing.T, db *pebble.DB) {
			require.NoError(t, db.DeleteRange(auditKey(1), auditKey(n+1), pebble.Sync))
		}, 1, "anchor says 6 records, found 0", "anchor says 6 records, found 0"},
		{"delete the last record and the anchor", func(t *testing.T, db *pebble.DB) {
			require.NoError(t, db.Delete(auditKey(n), pebble.Sync))
			require.NoError(t, db.Delete(metaAuditAnchorKey, pebble.Sync))
		}, n, "the tail anchor is missing: records after 5", "no tail anchor"},
		{"flip a byte of the anchor", func(t *testing.T, db *pebble.DB) {
			v, closer, err := db.Get(metaAuditAnchorKey)
			require.NoError(t, err)
			v = append([]byte(nil), v...)
			closer.Close()
			v[len(v)-3] ^= 1
			require.NoError(t, db.Set(metaAuditAnchorKey, v, pebble.Sync))
		}, n + 1, "the tail anchor fails authentication", "tail anchor does not open"},
		{"append a record with the key", func(t *testing.T, db *pebble.DB) {
			// A forged record 7 that links to record 6 correctly.
			v, closer, err := db.Get(auditKey(n))
			require.NoError(t, err)
			pt, err := sl.open(auditKey(n), v)
			closer.Close()
			require.NoError(t, err)
			next := rawAudit(t, db, sl, n)
			next.Seq, next.Station = n+1, "forger"
			sum := sha256.Sum256(pt)
			next.PrevHash = sum[:]
			resealAudit(t, db, sl, n+1, next)
		}, n + 1, "records 7 to 7 lie past the tail anchor (6 records)", "is not the one the tail anchor names"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, dir := openTest(t)
			appendN(t, s, 0, n)
			require.NoError(t, s.Close())

			db := rawDB(t, dir)
			tc.tamper(t, db)
			require.NoError(t, db.Close())

			s = openAt(t, dir)
			rep, err := s.VerifyAudit(ctx)
			require.NoError(t, err)
			require.Equal(t, tc.firstBad, rep.FirstBad, rep.Problem)
			if tc.problem == "" {
				require.Empty(t, rep.Problem)
			} else {
				require.Contains(t, rep.Problem, tc.problem)
			}
			err = s.AppendAudit(ctx, auditRec(n))
			if tc.append == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrCorrupt)
			require.ErrorContains(t, err, tc.append)
		})
	}
}

// A store written before the anchor (schema 1: records, no anchor) is
// anchored at its last record when opened, and keeps working; the same
// store at the current schema without its anchor is refused.
func TestAuditAnchorMigration(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		schema uint32
		ok     bool
	}{{"schema 1 is migrated", schemaBeforeAnchor, true}, {"a current store without its anchor is refused", SchemaVersion, false}} {
		t.Run(tc.name, func(t *testing.T) {
			s, dir := openTest(t)
			appendN(t, s, 0, 4)
			require.NoError(t, s.Close())
			db := rawDB(t, dir)
			require.NoError(t, db.Delete(metaAuditAnchorKey, pebble.Sync))
			require.NoError(t, db.Set(metaSchemaKey, binary.BigEndian.AppendUint32(nil, tc.schema), pebble.Sync))
			require.NoError(t, db.Close())

			s = openAt(t, dir)
			rep, err := s.VerifyAudit(ctx)
			require.NoError(t, err)
			err = s.AppendAudit(ctx, auditRec(4))
			if !tc.ok {
				require.NotEmpty(t, rep.Problem)
				require.ErrorIs(t, err, ErrCorrupt)
				return
			}
			require.Empty(t, rep.Problem)
			require.NoError(t, err)
			rep, err = s.VerifyAudit(ctx)
			require.NoError(t, err)
			require.Empty(t, rep.Problem)
			require.Equal(t, 5, rep.Records)
			require.NoError(t, s.Close())
			db = rawDB(t, dir)
			v, closer, err := db.Get(metaSchemaKey)
			require.NoError(t, err)
			require.Equal(t, SchemaVersion, binary.BigEndian.Uint32(v))
			closer.Close()
			require.NoError(t, db.Close())
		})
	}
}

// The anchor is written with each record: after any number of appends and
// reopens the trail verifies, and the anchor names its last record.
func TestAuditAnchorFollowsAppends(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	appendN(t, s, 0, 3)
	require.NoError(t, s.Close())
	s = openAt(t, dir)
	appendN(t, s, 3, 2)
	v, err := s.get(metaAuditAnchorKey)
	require.NoError(t, err)
	a, err := s.openAuditAnchor(v)
	require.NoError(t, err)
	require.Equal(t, uint64(5), a.seq)
	rep, err := s.VerifyAudit(ctx)
	require.NoError(t, err)
	require.Empty(t, rep.Problem)
	require.Equal(t, 5, rep.Records)
}
