package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// A record without a person or latents encodes exactly as records did
// before those fields existed, so the hashes of old records, and of the
// records that link to them, do not change. The golden bytes were taken
// from the encoding before fields 10 and 11 were added.
func TestAuditEncodingOfOldRecordsUnchanged(t *testing.T) {
	const golden = "0807108080ceb1e880ab94181a0973746174696f6e2d312207626f6f6b696e672a202f77686f726c2e76312e536561726368536572766963652f4964656e74696679320273313a0263313a02633240074a200000000000000000000000000000000000000000000000000000000000000000"
	rec := &whorlv1.StoredAuditRecord{Seq: 7, TimeUnixNanos: 1740830400000000000, Station: "station-1", Role: "booking",
		Method: "/whorl.v1.SearchService/Identify", SubjectIds: []string{"s1"}, CandidateIds: []string{"c1", "c2"}, Code: 7, PrevHash: make([]byte, 32)}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(rec)
	require.NoError(t, err)
	require.Equal(t, golden, hex.EncodeToString(b))

	// With a person, the encoding (and so the chain hash) differs.
	rec.Person = "j.doe"
	b2, err := proto.MarshalOptions{Deterministic: true}.Marshal(rec)
	require.NoError(t, err)
	require.NotEqual(t, sha256.Sum256(b), sha256.Sum256(b2))
}

// Person and latents are kept, returned, filtered on, and covered by the
// hash chain.
func TestAuditPersonAndLatents(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	// An old-style record first, then ones with a person.
	appendN(t, s, 0, 1)
	for i, p := range []string{"alice", "bob", "alice", ""} {
		r := auditRec(i + 1)
		r.Person = p
		if p == "bob" {
			r.Latents = []string{"latent-1", "latent-2"}
		}
		require.NoError(t, s.AppendAudit(ctx, r))
	}
	recs, _, err := s.QueryAudit(ctx, AuditFilter{}, "", 0)
	require.NoError(t, err)
	require.Len(t, recs, 5)
	require.Equal(t, "", recs[0].Person)
	require.Equal(t, "alice", recs[1].Person)
	require.Equal(t, []string{"latent-1", "latent-2"}, recs[2].Latents)
	require.Nil(t, recs[1].Latents)

	require.Equal(t, []uint64{2, 4}, queryAll(t, s, AuditFilter{Person: "alice"}, 1))
	require.Equal(t, []uint64{3}, queryAll(t, s, AuditFilter{Person: "bob", Station: auditRec(2).Station}, 0))
	require.Empty(t, queryAll(t, s, AuditFilter{Person: "carol"}, 0))

	rep, err := s.VerifyAudit(ctx)
	require.NoError(t, err)
	require.Equal(t, AuditReport{Records: 5}, rep)

	// The person is part of what the chain covers: rewrite record 3 with
	// another person (sealed properly, with the data key) and the chain
	// breaks there.
	require.NoError(t, s.Close())
	s = openAt(t, dir)
	v, err := s.get(auditKey(3))
	require.NoError(t, err)
	pt, err := s.sealer.open(auditKey(3), v)
	require.NoError(t, err)
	var rec whorlv1.StoredAuditRecord
	require.NoError(t, proto.Unmarshal(pt, &rec))
	require.Equal(t, "bob", rec.GetPerson())
	rec.Person = "mallory"
	pt2, err := proto.MarshalOptions{Deterministic: true}.Marshal(&rec)
	require.NoError(t, err)
	require.NoError(t, s.db.Set(auditKey(3), s.sealer.seal(auditKey(3), pt2), nil))
	rep, err = s.VerifyAudit(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(3), rep.FirstBad, rep.Problem)
}
