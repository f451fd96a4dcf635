package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

var auditT0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// auditRec makes the i-th test record: stations, methods and subjects cycle
// with different periods so that filters select different sets.
func auditRec(i int) *AuditRecord {
	return &AuditRecord{
		Time:       auditT0.Add(time.Duration(i) * time.Minute),
		Station:    fmt.Sprintf("station-%d", i%3),
		Role:       "booking",
		Method:     fmt.Sprintf("/whorl.v1.Whorl/Method%d", i%4),
		Subjects:   []string{fmt.Sprintf("subj-%d", i%5)},
		Candidates: []string{fmt.Sprintf("cand-%d", i%7), "subj-0"},
		Code:       uint32(i % 2),
	}
}

func appendN(t *testing.T, s *Store, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		r := auditRec(i)
		require.NoError(t, s.AppendAudit(context.Background(), r))
		require.Equal(t, uint64(i+1), r.Seq)
	}
}

// queryAll pages through f with pageSize and returns the seqs found.
func queryAll(t *testing.T, s *Store, f AuditFilter, pageSize int) []uint64 {
	t.Helper()
	var seqs []uint64
	tok := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 1000)
		recs, next, err := s.QueryAudit(context.Background(), f, tok, pageSize)
		require.NoError(t, err)
		if pageSize > 0 {
			require.LessOrEqual(t, len(recs), pageSize)
		}
		if next != "" {
			require.NotEmpty(t, recs, "no empty pages before the last")
		}
		for _, r := range recs {
			seqs = append(seqs, r.Seq)
		}
		if next == "" {
			return seqs
		}
		tok = next
	}
}

// wantSeqs lists the seqs of records 0..n-1 that keep selects.
func wantSeqs(n int, keep func(i int, r *AuditRecord) bool) []uint64 {
	var out []uint64
	for i := range n {
		if keep(i, auditRec(i)) {
			out = append(out, uint64(i+1))
		}
	}
	return out
}

func TestAuditAppendQuery(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	const n = 40
	appendN(t, s, 0, n)

	recs, next, err := s.QueryAudit(ctx, AuditFilter{}, "", 0)
	require.NoError(t, err)
	require.Empty(t, next)
	require.Len(t, recs, n)
	require.Equal(t, make([]byte, 32), recs[0].PrevHash)
	for i, r := range recs {
		want := auditRec(i)
		want.Seq = uint64(i + 1)
		want.PrevHash = r.PrevHash
		require.Equal(t, *want, r)
		if i > 0 {
			require.NotEqual(t, recs[i-1].PrevHash, r.PrevHash)
			require.Len(t, r.PrevHash, 32)
		}
	}

	all := func(int, *AuditRecord) bool { return true }
	for _, size := range []int{0, 1, 7, 40, 41, 5000} {
		require.Equal(t, wantSeqs(n, all), queryAll(t, s, AuditFilter{}, size), "page size %d", size)
	}

	cases := []struct {
		name string
		f    AuditFilter
		keep func(i int, r *AuditRecord) bool
	}{
		{"station", AuditFilter{Station: "station-1"}, func(_ int, r *AuditRecord) bool { return r.Station == "station-1" }},
		{"method", AuditFilter{Method: "/whorl.v1.Whorl/Method2"}, func(_ int, r *AuditRecord) bool { return r.Method == "/whorl.v1.Whorl/Method2" }},
		{"subject touched", AuditFilter{Subject: "subj-3"}, func(i int, _ *AuditRecord) bool { return i%5 == 3 }},
		{"subject as candidate", AuditFilter{Subject: "cand-4"}, func(i int, _ *AuditRecord) bool { return i%7 == 4 }},
		{"subject either", AuditFilter{Subject: "subj-0"}, all},
		{"from", AuditFilter{From: auditT0.Add(30 * time.Minute)}, func(i int, _ *AuditRecord) bool { return i >= 30 }},
		{"to exclusive", AuditFilter{To: auditT0.Add(10 * time.Minute)}, func(i int, _ *AuditRecord) bool { return i < 10 }},
		{"window", AuditFilter{From: auditT0.Add(5 * time.Minute), To: auditT0.Add(25 * time.Minute).In(time.FixedZone("X", 3600))},
			func(i int, _ *AuditRecord) bool { return i >= 5 && i < 25 }},
		{"combined", AuditFilter{Station: "station-0", Method: "/whorl.v1.Whorl/Method0", From: auditT0.Add(time.Minute)},
			func(i int, _ *AuditRecord) bool { return i%12 == 0 && i >= 1 }},
		{"none", AuditFilter{Station: "nobody"}, func(int, *AuditRecord) bool { return false }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := wantSeqs(n, tc.keep)
			for _, size := range []int{0, 1, 3} {
				require.Equal(t, want, queryAll(t, s, tc.f, size), "page size %d", size)
			}
		})
	}

	_, _, err = s.QueryAudit(ctx, AuditFilter{}, "", -1)
	require.ErrorIs(t, err, ErrInvalid)
	for _, tok := range []string{"x", "!!", encodePageToken(3)} {
		_, _, err = s.QueryAudit(ctx, AuditFilter{}, tok, 0)
		require.ErrorIs(t, err, ErrInvalid, "token %q", tok)
	}

	rep, err := s.VerifyAudit(ctx)
	require.NoError(t, err)
	require.Equal(t, AuditReport{Records: n}, rep)
}

func TestAuditEmptyAndInvalid(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	rep, err := s.VerifyAudit(ctx)
	require.NoError(t, err)
	require.Equal(t, AuditReport{}, rep)
	recs, next, err := s.QueryAudit(ctx, AuditFilter{}, "", 0)
	require.NoError(t, err)
	require.Empty(t, recs)
	require.Empty(t, next)

	require.ErrorIs(t, s.AppendAudit(ctx, nil), ErrInvalid)
	// Bad UTF-8 (a client-chosen method name) is stored, not refused; a
	// zero time becomes now; a cancelled context does not drop the record.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	r := &AuditRecord{Method: "/x\xff"}
	require.NoError(t, s.AppendAudit(cancelled, r))
	require.Equal(t, uint64(1), r.Seq)
	require.False(t, r.Time.IsZero())
	recs, _, err = s.QueryAudit(ctx, AuditFilter{}, "", 0)
	require.NoError(t, err)
	require.Equal(t, "/x\uFFFD", recs[0].Method)

	require.NoError(t, s.Close())
	require.ErrorIs(t, s.AppendAudit(ctx, &AuditRecord{}), ErrClosed)
	_, err = s.VerifyAudit(ctx)
	require.ErrorIs(t, err, ErrClosed)
}

func TestAuditReopenContinuesChain(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	appendN(t, s, 0, 3)
	require.NoError(t, s.Close())

	s = openAt(t, dir)
	appendN(t, s, 3, 2) // asserts seqs 4 and 5
	require.NoError(t, s.Close())

	s = openAt(t, dir)
	rep, err := s.VerifyAudit(ctx)
	require.NoError(t, err)
	require.Equal(t, AuditReport{Records: 5}, rep)
	recs, _, err := s.QueryAudit(ctx, AuditFilter{}, "", 0)
	require.NoError(t, err)
	require.Len(t, recs, 5)
	appendN(t, s, 5, 1)
}

func TestAuditConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	const workers, each = 8, 15
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				require.NoError(t, s.AppendAudit(ctx, auditRec(w*each+i)))
			}
		})
	}
	// Verify and query alongside the appends: every view is a whole chain.
	for range 5 {
		rep, err := s.VerifyAudit(ctx)
		require.NoError(t, err)
		require.Zero(t, rep.FirstBad, rep.Problem)
	}
	wg.Wait()
	rep, err := s.VerifyAudit(ctx)
	require.NoError(t, err)
	require.Equal(t, AuditReport{Records: workers * each}, rep)
}

// A record deleted from the end while the store is open leaves no gap, but
// the store remembers how far the chain reached.
func TestAuditTruncationWhileOpen(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	appendN(t, s, 0, 5)
	require.NoError(t, s.db.Delete(auditKey(4), pebble.Sync))
	require.NoError(t, s.db.Delete(auditKey(5), pebble.Sync))
	rep, err := s.VerifyAudit(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(4), rep.FirstBad)
	require.Contains(t, rep.Problem, "records 4 to 5")
	require.Contains(t, rep.Problem, "end of the trail")
	require.Equal(t, 3, rep.Records)
}

// rawAudit reads and opens audit record seq directly from the database.
func rawAudit(t *testing.T, db *pebble.DB, sl *sealer, seq uint64) *whorlv1.StoredAuditRecord {
	t.Helper()
	v, closer, err := db.Get(auditKey(seq))
	require.NoError(t, err)
	defer closer.Close()
	pt, err := sl.open(auditKey(seq), v)
	require.NoError(t, err)
	var rec whorlv1.StoredAuditRecord
	require.NoError(t, proto.Unmarshal(pt, &rec))
	return &rec
}

// resealAudit writes rec at key seq, sealed with the data key: what an
// attacker who holds the key can do.
func resealAudit(t *testing.T, db *pebble.DB, sl *sealer, seq uint64, rec *whorlv1.StoredAuditRecord) {
	t.Helper()
	pt, err := proto.MarshalOptions{Deterministic: true}.Marshal(rec)
	require.NoError(t, err)
	require.NoError(t, db.Set(auditKey(seq), sl.seal(auditKey(seq), pt), pebble.Sync))
}

func rawValue(t *testing.T, db *pebble.DB, seq uint64) []byte {
	t.Helper()
	v, closer, err := db.Get(auditKey(seq))
	require.NoError(t, err)
	defer closer.Close()
	return bytes.Clone(v)
}

// Tamper with the audit trail in the Pebble files of a closed store, then
// reopen it: VerifyAudit names the first bad record each time.
func TestAuditTamper(t *testing.T) {
	const n = 6
	sl, err := newSealer(testKey)
	require.NoError(t, err)

	cases := []struct {
		name     string
		tamper   func(t *testing.T, db *pebble.DB)
		firstBad uint64
		problem  string
		records  int
	}{
		{"untouched", func(*testing.T, *pebble.DB) {}, 0, "", n},
		{"delete", func(t *testing.T, db *pebble.DB) {
			require.NoError(t, db.Delete(auditKey(3), pebble.Sync))
		}, 3, "record 3 is missing (deleted)", n - 1},
		{"delete first two", func(t *testing.T, db *pebble.DB) {
			require.NoError(t, db.DeleteRange(auditKey(1), auditKey(3), pebble.Sync))
		}, 1, "records 1 to 2 are missing", n - 2},
		{"flip a byte", func(t *testing.T, db *pebble.DB) {
			v := rawValue(t, db, 4)
			v[len(v)/2] ^= 0x01
			require.NoError(t, db.Set(auditKey(4), v, pebble.Sync))
		}, 4, "record 4 fails authentication", n},
		{"flip the key id", func(t *testing.T, db *pebble.DB) {
			v := rawValue(t, db, 4)
			v[0] ^= 0x80
			require.NoError(t, db.Set(auditKey(4), v, pebble.Sync))
		}, 4, "record 4 is sealed under a data key id", n},
		{"swap two records", func(t *testing.T, db *pebble.DB) {
			v2, v5 := rawValue(t, db, 2), rawValue(t, db, 5)
			b := db.NewBatch()
			require.NoError(t, b.Set(auditKey(2), v5, nil))
			require.NoError(t, b.Set(auditKey(5), v2, nil))
			require.NoError(t, b.Commit(pebble.Sync))
		}, 2, "record 2 fails authentication", n},
		{"edit with the key", func(t *testing.T, db *pebble.DB) {
			rec := rawAudit(t, db, sl, 3)
			rec.Station = "someone-else"
			resealAudit(t, db, sl, 3, rec)
		}, 3, "record 3 was altered and resealed with the data key", n},
		{"edit the first with the key", func(t *testing.T, db *pebble.DB) {
			rec := rawAudit(t, db, sl, 1)
			rec.SubjectIds = nil
			resealAudit(t, db, sl, 1, rec)
		}, 1, "record 1 was altered", n},
		{"edit the last with the key", func(t *testing.T, db *pebble.DB) {
			rec := rawAudit(t, db, sl, n)
			rec.PrevHash = make([]byte, 32)
			resealAudit(t, db, sl, n, rec)
		}, n, fmt.Sprintf("record %d does not link to record %d", n, n-1), n},
		{"reorder with the key", func(t *testing.T, db *pebble.DB) {
			r2, r4 := rawAudit(t, db, sl, 2), rawAudit(t, db, sl, 4)
			r2.Seq, r4.Seq = 4, 2
			resealAudit(t, db, sl, 2, r4)
			resealAudit(t, db, sl, 4, r2)
		}, 2, "record 2 does not link to record 1", n},
		{"move with the key", func(t *testing.T, db *pebble.DB) {
			resealAudit(t, db, sl, 3, rawAudit(t, db, sl, 5))
		}, 3, "record 3 holds sequence number 5", n},
		{"forge record 1 with the key", func(t *testing.T, db *pebble.DB) {
			rec := rawAudit(t, db, sl, 2)
			rec.Seq = 1
			resealAudit(t, db, sl, 1, rec)
		}, 1, "record 1 does not start the chain", n},
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
			require.Equal(t, tc.records, rep.Records)
			if tc.problem == "" {
				require.Empty(t, rep.Problem)
			} else {
				require.Contains(t, rep.Problem, tc.problem)
			}
		})
	}
}

// A last record that does not open stops appends rather than let the chain
// go on past a break.
func TestAuditAppendRefusesBrokenHead(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	appendN(t, s, 0, 3)
	require.NoError(t, s.Close())
	db := rawDB(t, dir)
	v := rawValue(t, db, 3)
	v[len(v)-1] ^= 1
	require.NoError(t, db.Set(auditKey(3), v, pebble.Sync))
	require.NoError(t, db.Close())

	s = openAt(t, dir)
	err := s.AppendAudit(ctx, auditRec(3))
	require.ErrorIs(t, err, ErrCorrupt)
	require.Contains(t, err.Error(), "audit record, 3,")
}

// Audit records are sealed: their ids do not reach the disk in the clear.
func TestAuditNoPlaintextOnDisk(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	needles := []string{"PLAINTEXT-STATION-ZQX", "PLAINTEXT-SUBJECT-ZQX", "PLAINTEXT-CANDIDATE-ZQX", "/whorl.v1.Whorl/PlaintextZQX"}
	for range 3 {
		require.NoError(t, s.AppendAudit(ctx, &AuditRecord{
			Station: needles[0], Subjects: []string{needles[1]}, Candidates: []string{needles[2]}, Method: needles[3],
		}))
	}
	require.NoError(t, s.Close())
	files := 0
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, nd := range needles {
			require.False(t, bytes.Contains(data, []byte(nd)), "%s holds %q", path, nd)
		}
		return nil
	}))
	require.NotZero(t, files)
}

// The chain hash is over the stored encoding, as VerifyAudit recomputes it.
func TestAuditPrevHashIsHashOfStoredRecord(t *testing.T) {
	s, _ := openTest(t)
	appendN(t, s, 0, 2)
	v, err := s.get(auditKey(1))
	require.NoError(t, err)
	pt, err := s.sealer.open(auditKey(1), v)
	require.NoError(t, err)
	sum := sha256.Sum256(pt)
	recs, _, err := s.QueryAudit(context.Background(), AuditFilter{}, "", 0)
	require.NoError(t, err)
	require.Equal(t, sum[:], recs[1].PrevHash)
}
