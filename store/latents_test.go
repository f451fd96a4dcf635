package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

func synthLatent(id string, seed uint64) *Latent {
	t := synthTemplate(seed, minutiae.UnknownFinger)
	t.Minutiae = t.Minutiae[:12]
	t.Impression = minutiae.Latent
	return &Latent{ID: id, CaseID: "case-" + id, Notes: "found on a glass", Template: t, Positions: []minutiae.FingerPosition{2, 7}}
}

func TestLatentLifecycle(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)

	l, replayed, err := s.PutLatent(ctx, synthLatent("lat-1", 1), "station-a", "")
	require.NoError(t, err)
	assert.False(t, replayed)
	assert.Equal(t, whorlv1.LatentState_LATENT_STATE_UNSOLVED, l.State)
	assert.Equal(t, "station-a", l.RegisteredBy)

	// The same registration again is a replay; other content under the
	// same id a conflict.
	again, replayed, err := s.PutLatent(ctx, synthLatent("lat-1", 1), "station-b", "")
	require.NoError(t, err)
	assert.True(t, replayed)
	assert.Equal(t, l.Created, again.Created)
	_, _, err = s.PutLatent(ctx, synthLatent("lat-1", 2), "station-a", "")
	assert.ErrorIs(t, err, ErrRequestConflict)

	// A server-assigned id follows the request id, so a retry registers once.
	anon := synthLatent("", 3)
	a1, replayed, err := s.PutLatent(ctx, anon, "station-a", "req-1")
	require.NoError(t, err)
	require.False(t, replayed)
	a2, replayed, err := s.PutLatent(ctx, anon, "station-a", "req-1")
	require.NoError(t, err)
	assert.True(t, replayed)
	assert.Equal(t, a1.ID, a2.ID)
	a3, _, err := s.PutLatent(ctx, anon, "station-a", "")
	require.NoError(t, err)
	assert.NotEqual(t, a1.ID, a3.ID, "no request id: a fresh random id")

	got, err := s.GetLatent(ctx, "lat-1")
	require.NoError(t, err)
	assert.Equal(t, synthLatent("lat-1", 1).Template, got.Template)
	assert.Equal(t, []minutiae.FingerPosition{2, 7}, got.Positions)
	_, err = s.GetLatent(ctx, "nobody")
	assert.ErrorIs(t, err, ErrNotFound)

	// Hits: one per latent and finger, however often it is found.
	h := &Hit{LatentID: "lat-1", SubjectID: "person-1", Position: 2, Score: 40, FMR: 1e-6, Pairs: []HitPair{{0, 3}, {1, 9}}}
	h1, created, err := s.PutHit(ctx, h)
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, "case-lat-1", h1.CaseID)
	h1b, created, err := s.PutHit(ctx, h)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, h1.ID, h1b.ID)
	h2, created, err := s.PutHit(ctx, &Hit{LatentID: a1.ID, SubjectID: "person-2", Position: 5, Score: 30, FMR: 1e-5})
	require.NoError(t, err)
	require.True(t, created)
	_, _, err = s.PutHit(ctx, &Hit{LatentID: "nobody", SubjectID: "person-2", Position: 5})
	assert.ErrorIs(t, err, ErrNotFound)

	hits, next, err := s.ListHits(ctx, HitFilter{LatentID: "lat-1"}, "", 0)
	require.NoError(t, err)
	assert.Empty(t, next)
	require.Len(t, hits, 1)
	assert.Equal(t, []HitPair{{0, 3}, {1, 9}}, hits[0].Pairs)

	// Decisions: inconclusive may be revisited, identified closes the latent
	// and is final.
	_, _, err = s.DecideHit(ctx, h1.ID, whorlv1.HitDecision_HIT_DECISION_INCONCLUSIVE, "smudged", "examiner-1")
	require.NoError(t, err)
	undecided, _, err := s.ListHits(ctx, HitFilter{Undecided: true}, "", 0)
	require.NoError(t, err)
	require.Len(t, undecided, 1)
	assert.Equal(t, h2.ID, undecided[0].ID)
	dh, dl, err := s.DecideHit(ctx, h1.ID, whorlv1.HitDecision_HIT_DECISION_IDENTIFIED, "12 points", "examiner-2")
	require.NoError(t, err)
	assert.Equal(t, "examiner-2", dh.DecidedBy)
	assert.Equal(t, whorlv1.LatentState_LATENT_STATE_IDENTIFIED, dl.State)
	assert.Equal(t, "person-1", dl.IdentifiedSubject)
	assert.Equal(t, minutiae.FingerPosition(2), dl.IdentifiedPosition)
	_, _, err = s.DecideHit(ctx, h1.ID, whorlv1.HitDecision_HIT_DECISION_EXCLUDED, "", "examiner-2")
	assert.ErrorIs(t, err, ErrConflict)
	_, _, err = s.PutHit(ctx, &Hit{LatentID: "lat-1", SubjectID: "person-9", Position: 2})
	assert.ErrorIs(t, err, ErrConflict, "an identified latent gets no new hits")
	_, _, err = s.DecideHit(ctx, 999999, whorlv1.HitDecision_HIT_DECISION_EXCLUDED, "", "x")
	assert.ErrorIs(t, err, ErrNotFound)
	_, _, err = s.DecideHit(ctx, h2.ID, whorlv1.HitDecision_HIT_DECISION_UNSPECIFIED, "", "x")
	assert.ErrorIs(t, err, ErrInvalid)

	// Retirement.
	r, err := s.RetireLatent(ctx, a3.ID, "examiner-1", "case closed")
	require.NoError(t, err)
	assert.Equal(t, whorlv1.LatentState_LATENT_STATE_RETIRED, r.State)
	_, err = s.RetireLatent(ctx, a3.ID, "examiner-1", "")
	assert.ErrorIs(t, err, ErrConflict)
	_, err = s.RetireLatent(ctx, "lat-1", "examiner-1", "")
	assert.ErrorIs(t, err, ErrConflict, "identified is not unsolved")

	unsolvedIDs := func(s *Store) []string {
		var ids []string
		require.NoError(t, s.ScanUnsolvedLatents(ctx, func(l *Latent) error { ids = append(ids, l.ID); return nil }))
		return ids
	}
	assert.Equal(t, []string{a1.ID}, unsolvedIDs(s))

	// Everything survives a reopen.
	require.NoError(t, s.Close())
	s = openAt(t, dir)
	assert.Equal(t, []string{a1.ID}, unsolvedIDs(s))
	all, _, err := s.ListLatents(ctx, "", 0, true)
	require.NoError(t, err)
	assert.Len(t, all, 3)
	hits, _, err = s.ListHits(ctx, HitFilter{}, "", 0)
	require.NoError(t, err)
	require.Len(t, hits, 2)
	assert.Equal(t, whorlv1.HitDecision_HIT_DECISION_IDENTIFIED, hits[0].Decision)
	assert.Equal(t, "12 points", hits[0].DecisionNote)
	assert.False(t, hits[0].Decided.IsZero())
}

func TestLatentListingPages(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	for i := range 25 {
		_, _, err := s.PutLatent(ctx, synthLatent(fmt.Sprintf("lat-%02d", i), uint64(i)), "st", "")
		require.NoError(t, err)
		if i%2 == 1 {
			_, err = s.RetireLatent(ctx, fmt.Sprintf("lat-%02d", i), "st", "")
			require.NoError(t, err)
		}
	}
	walk := func(all bool) []string {
		var ids []string
		tok := ""
		for {
			page, next, err := s.ListLatents(ctx, tok, 4, all)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(page), 4)
			for _, l := range page {
				ids = append(ids, l.ID)
			}
			if next == "" {
				return ids
			}
			tok = next
		}
	}
	assert.Len(t, walk(true), 25)
	unsolved := walk(false)
	require.Len(t, unsolved, 13)
	assert.Equal(t, "lat-00", unsolved[0])
	assert.Equal(t, "lat-24", unsolved[12])

	_, _, err := s.ListLatents(ctx, "garbage", 4, true)
	assert.ErrorIs(t, err, ErrInvalid)
	// A subject listing's token is not a latent listing's.
	_, _, err = s.ListLatents(ctx, encodePageToken(3), 4, true)
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestLatentRecordsAreSealed(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	secret := "case-PLAINTEXT-CANARY"
	l := synthLatent("latent-PLAINTEXT-CANARY", 1)
	l.CaseID = secret
	_, _, err := s.PutLatent(ctx, l, "st", "")
	require.NoError(t, err)
	_, _, err = s.PutHit(ctx, &Hit{LatentID: l.ID, SubjectID: "subject-PLAINTEXT-CANARY", Position: 2})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	db := rawDB(t, dir)
	kinds := map[byte]int{}
	it, err := db.NewIter(nil)
	require.NoError(t, err)
	var latentValue []byte
	for it.First(); it.Valid(); it.Next() {
		assert.False(t, bytes.Contains(it.Key(), []byte("CANARY")))
		assert.False(t, bytes.Contains(it.Value(), []byte("CANARY")), "plaintext in %s", keyString(it.Key()))
		kinds[it.Key()[0]]++
		if it.Key()[0] == kindLatent {
			latentValue = bytes.Clone(it.Value())
		}
	}
	require.NoError(t, it.Close())
	for _, k := range []byte{kindLatent, kindLatentName, kindHit, kindHitPair} {
		assert.Equal(t, 1, kinds[k], "kind %c", k)
	}
	// A latent value moved under a hit's key does not open.
	require.NoError(t, db.Set(hitKey(1<<40), latentValue, nil))
	require.NoError(t, db.Close())
	s = openAt(t, dir)
	_, err = s.GetHit(ctx, 1<<40)
	assert.ErrorIs(t, err, ErrCorrupt)
}

func TestLatentBadInput(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	long := string(make([]byte, MaxNoteLength+1))
	cases := map[string]*Latent{
		"bad id":        {ID: "\xff", Template: synthLatent("x", 1).Template},
		"long notes":    {ID: "x", Notes: long, Template: synthLatent("x", 1).Template},
		"bad position":  {ID: "x", Template: synthLatent("x", 1).Template, Positions: []minutiae.FingerPosition{11}},
		"bad template":  {ID: "x", Template: minutiae.Template{Minutiae: make([]minutiae.Minutia, minutiae.MaxMinutiae+1)}},
		"many position": {ID: "x", Template: synthLatent("x", 1).Template, Positions: make([]minutiae.FingerPosition, 11)},
	}
	for name, l := range cases {
		_, _, err := s.PutLatent(ctx, l, "st", "")
		assert.ErrorIs(t, err, ErrInvalid, name)
	}
	_, err := s.RetireLatent(ctx, "x", "st", long)
	assert.ErrorIs(t, err, ErrInvalid)
}

func FuzzParseHitID(f *testing.F) {
	for _, s := range []string{"1", "0", "01", "18446744073709551615", "18446744073709551616", "-1", "+1", " 1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseHitID(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: %v is not ErrInvalid", s, err)
			}
			return
		}
		if FormatHitID(id) != s || id == 0 {
			t.Fatalf("%q parsed as %d", s, id)
		}
	})
}
