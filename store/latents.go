package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/protobuf/proto"

	"github.com/whorlafis/whorl/minutiae"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// Record kinds of the latent workflow. See doc.go for the layout.
const (
	kindLatent     byte = 'l' // 'l' + uint64 internal id: StoredLatent
	kindLatentName byte = 'k' // 'k' + HMAC(latent id): StoredLatentRef
	kindHit        byte = 'h' // 'h' + uint64 internal id: StoredHit
	kindHitPair    byte = 'g' // 'g' + HMAC(latent, subject, position): StoredLatentRef
	// latentRequestDomain separates the HMAC of a registration's request
	// id, from which a server-assigned latent id is made; never a key.
	latentRequestDomain byte = 'q'
)

// Limits of latent records.
const (
	// MaxNoteLength bounds a latent's notes and a decision's or
	// retirement's note, in bytes.
	MaxNoteLength = 4096
	// MaxLatentPositions bounds a latent's finger-position hints.
	MaxLatentPositions = 10
)

// ErrConflict: the record is not in a state that allows the change (a
// latent already out of the unsolved file, a hit already decided).
var ErrConflict = errors.New("store: record state does not allow this")

// Latent is a latent print on file.
type Latent struct {
	// ID is the latent's external id: 1 to MaxIDLength bytes of UTF-8. Empty
	// in PutLatent lets the store assign one.
	ID        string
	CaseID    string
	Notes     string
	Template  minutiae.Template
	Positions []minutiae.FingerPosition
	// State and the fields below are the store's: PutLatent ignores them.
	State              whorlv1.LatentState
	Created, Updated   time.Time
	RegisteredBy       string
	ClosedBy           string
	CloseNote          string
	IdentifiedSubject  string
	IdentifiedPosition minutiae.FingerPosition
}

// HitPair is a matched pair of minutiae of a hit: indexes into the latent's
// template and the enrolled finger's.
type HitPair struct{ Latent, Finger int }

// Hit is an enrolled finger the reverse search found for an unsolved latent.
type Hit struct {
	// ID is assigned by PutHit.
	ID        uint64
	LatentID  string
	CaseID    string // filled in by PutHit from the latent
	SubjectID string
	Position  minutiae.FingerPosition
	Score     float64
	FMR       float64
	Pairs     []HitPair
	// Created and the decision fields are the store's: PutHit ignores them.
	Created      time.Time
	Decision     whorlv1.HitDecision
	DecisionNote string
	DecidedBy    string
	Decided      time.Time
}

// HitFilter selects hits for ListHits; the zero value selects all.
type HitFilter struct {
	LatentID  string // only this latent's hits
	Undecided bool   // only hits with no decision yet
}

func latentKey(id uint64) []byte { return idKey(kindLatent, id) }
func hitKey(id uint64) []byte    { return idKey(kindHit, id) }

func idKey(kind byte, id uint64) []byte {
	k := make([]byte, 9)
	k[0] = kind
	binary.BigEndian.PutUint64(k[1:], id)
	return k
}

// hitPairKey indexes a hit by what it pairs, so that one latent and one
// finger make one hit however often the subject is enrolled again.
func (s *Store) hitPairKey(latentID, subjectID string, p minutiae.FingerPosition) []byte {
	return indexKey(kindHitPair, s.indexKey, latentID+"\x00"+subjectID+"\x00"+strconv.Itoa(int(p)))
}

// PutLatent registers a latent as unsolved and returns it as stored, once
// the write is synced. With an empty ID the store assigns one: derived from
// requestID when one is given (so a retry names the same latent), else
// random. A latent id already registered with the same content (case,
// notes, template, positions) returns that latent with replayed set;
// with different content it is ErrRequestConflict.
func (s *Store) PutLatent(ctx context.Context, l *Latent, registeredBy, requestID string) (out *Latent, replayed bool, err error) {
	if l == nil {
		return nil, false, fmt.Errorf("%w: nil latent", ErrInvalid)
	}
	if requestID != "" {
		if err := checkID("request id", requestID); err != nil {
			return nil, false, err
		}
	}
	rec, err := latentRecord(l)
	if err != nil {
		return nil, false, err
	}
	if err := s.acquire(ctx); err != nil {
		return nil, false, err
	}
	defer s.closeMu.RUnlock()
	if rec.LatentId == "" {
		var b []byte
		if requestID != "" {
			b = indexKey(latentRequestDomain, s.indexKey, requestID)[1:11]
		} else {
			b = make([]byte, 10)
			rand.Read(b)
		}
		rec.LatentId = "L" + hex.EncodeToString(b)
	}
	content, err := proto.MarshalOptions{Deterministic: true}.Marshal(rec)
	if err != nil {
		return nil, false, fmt.Errorf("store: encoding latent: %w", err)
	}
	digest := sha256.Sum256(content)

	nameKey := indexKey(kindLatentName, s.indexKey, rec.LatentId)
	defer s.lockStripes(nameKey[1], nameKey[1])()
	_, old, err := s.lookupLatent(nameKey, rec.LatentId)
	switch {
	case err == nil:
		if !bytes.Equal(old.GetDigest(), digest[:]) {
			return nil, false, fmt.Errorf("%w: latent id already registered with other content", ErrRequestConflict)
		}
		return latentFromRecord(old), true, nil
	case !errors.Is(err, ErrNotFound):
		return nil, false, err
	}
	id, err := s.allocID()
	if err != nil {
		return nil, false, err
	}
	now := time.Now().UTC().UnixNano()
	rec.State = whorlv1.LatentState_LATENT_STATE_UNSOLVED
	rec.CreatedUnixNanos, rec.UpdatedUnixNanos = now, now
	rec.RegisteredBy = registeredBy
	rec.Digest = digest[:]
	b := s.db.NewBatch()
	defer b.Close()
	lk := latentKey(id)
	if err := s.setSealed(b, lk, rec); err != nil {
		return nil, false, err
	}
	if err := s.setSealed(b, nameKey, &whorlv1.StoredLatentRef{InternalId: id}); err != nil {
		return nil, false, err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return nil, false, fmt.Errorf("store: writing latent record %s: %w", keyString(lk), err)
	}
	return latentFromRecord(rec), false, nil
}

// GetLatent returns the latent with that id, or ErrNotFound.
func (s *Store) GetLatent(ctx context.Context, latentID string) (*Latent, error) {
	if err := checkID("latent id", latentID); err != nil {
		return nil, err
	}
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.closeMu.RUnlock()
	_, rec, err := s.lookupLatent(indexKey(kindLatentName, s.indexKey, latentID), latentID)
	if err != nil {
		return nil, err
	}
	return latentFromRecord(rec), nil
}

// RetireLatent takes an unsolved latent out of the unsolved file, recording
// who did and why, in one synced write. A latent no longer unsolved is
// ErrConflict; an unknown one ErrNotFound.
func (s *Store) RetireLatent(ctx context.Context, latentID, by, note string) (*Latent, error) {
	if err := checkID("latent id", latentID); err != nil {
		return nil, err
	}
	if len(note) > MaxNoteLength {
		return nil, fmt.Errorf("%w: note is %d bytes, more than %d", ErrInvalid, len(note), MaxNoteLength)
	}
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.closeMu.RUnlock()
	nameKey := indexKey(kindLatentName, s.indexKey, latentID)
	defer s.lockStripes(nameKey[1], nameKey[1])()
	id, rec, err := s.lookupLatent(nameKey, latentID)
	if err != nil {
		return nil, err
	}
	if rec.GetState() != whorlv1.LatentState_LATENT_STATE_UNSOLVED {
		return nil, fmt.Errorf("%w: the latent is %s, not unsolved", ErrConflict, stateWord(rec.GetState()))
	}
	rec.State = whorlv1.LatentState_LATENT_STATE_RETIRED
	rec.ClosedBy, rec.CloseNote = by, note
	rec.UpdatedUnixNanos = time.Now().UTC().UnixNano()
	b := s.db.NewBatch()
	defer b.Close()
	if err := s.setSealed(b, latentKey(id), rec); err != nil {
		return nil, err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return nil, fmt.Errorf("store: retiring latent %s: %w", keyString(latentKey(id)), err)
	}
	return latentFromRecord(rec), nil
}

// ListLatents returns one page of latents in registration order, only the
// unsolved unless all is set, and the next page's token ("" after the
// last). Page sizes and tokens follow ListSubjects.
func (s *Store) ListLatents(ctx context.Context, pageToken string, pageSize int, all bool) ([]*Latent, string, error) {
	var out []*Latent
	next, err := s.page(ctx, kindLatent, latentPageToken, pageToken, pageSize, "ListLatents", func(key, value []byte) (bool, error) {
		var rec whorlv1.StoredLatent
		if err := s.openRecord(key, value, &rec); err != nil {
			return false, err
		}
		if !all && rec.GetState() != whorlv1.LatentState_LATENT_STATE_UNSOLVED {
			return false, nil
		}
		out = append(out, latentFromRecord(&rec))
		return true, nil
	})
	return out, next, err
}

// ScanUnsolvedLatents calls fn for every unsolved latent, in registration
// order, from a consistent snapshot: the server loads its unsolved-latent
// gallery with it at start. It stops at the first error.
func (s *Store) ScanUnsolvedLatents(ctx context.Context, fn func(*Latent) error) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.closeMu.RUnlock()
	lo, hi := prefixBounds(kindLatent)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return fmt.Errorf("store: scanning latents: %w", err)
	}
	defer it.Close()
	for valid := it.First(); valid; valid = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("store: reading %s: %w", keyString(it.Key()), err)
		}
		var rec whorlv1.StoredLatent
		if err := s.openRecord(it.Key(), v, &rec); err != nil {
			return err
		}
		if rec.GetState() != whorlv1.LatentState_LATENT_STATE_UNSOLVED {
			continue
		}
		if err := fn(latentFromRecord(&rec)); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("store: scanning latents: %w", err)
	}
	return ctx.Err()
}

// PutHit records a hit of an unsolved latent, once the write is synced,
// and returns it with its id; created is false when the same latent already
// had a hit on the same subject's finger (then nothing is written and the
// earlier hit is returned). A latent no longer unsolved is ErrConflict, an
// unknown one ErrNotFound.
func (s *Store) PutHit(ctx context.Context, h *Hit) (out *Hit, created bool, err error) {
	if h == nil {
		return nil, false, fmt.Errorf("%w: nil hit", ErrInvalid)
	}
	if err := checkID("latent id", h.LatentID); err != nil {
		return nil, false, err
	}
	if err := checkID("subject id", h.SubjectID); err != nil {
		return nil, false, err
	}
	if !h.Position.Valid() {
		return nil, false, fmt.Errorf("%w: finger position %d", ErrInvalid, h.Position)
	}
	if err := s.acquire(ctx); err != nil {
		return nil, false, err
	}
	defer s.closeMu.RUnlock()
	nameKey := indexKey(kindLatentName, s.indexKey, h.LatentID)
	defer s.lockStripes(nameKey[1], nameKey[1])()
	latentInternal, latent, err := s.lookupLatent(nameKey, h.LatentID)
	if err != nil {
		return nil, false, err
	}
	if latent.GetState() != whorlv1.LatentState_LATENT_STATE_UNSOLVED {
		return nil, false, fmt.Errorf("%w: the latent is %s, not unsolved", ErrConflict, stateWord(latent.GetState()))
	}
	pairKey := s.hitPairKey(h.LatentID, h.SubjectID, h.Position)
	var ref whorlv1.StoredLatentRef
	switch err := s.getSealed(pairKey, &ref); {
	case err == nil:
		var rec whorlv1.StoredHit
		if err := s.getSealed(hitKey(ref.GetInternalId()), &rec); err != nil {
			return nil, false, fmt.Errorf("hit pair index %s: %w", keyString(pairKey), err)
		}
		return hitFromRecord(ref.GetInternalId(), &rec), false, nil
	case !errors.Is(err, ErrNotFound):
		return nil, false, err
	}
	id, err := s.allocID()
	if err != nil {
		return nil, false, err
	}
	rec := &whorlv1.StoredHit{
		LatentInternalId: latentInternal, LatentId: h.LatentID, CaseId: latent.GetCaseId(),
		SubjectId: h.SubjectID, Position: whorlv1.FingerPosition(h.Position), Score: h.Score, Fmr: h.FMR,
		CreatedUnixNanos: time.Now().UTC().UnixNano(),
	}
	for _, p := range h.Pairs {
		rec.Probe = append(rec.Probe, uint32(p.Latent))
		rec.Candidate = append(rec.Candidate, uint32(p.Finger))
	}
	b := s.db.NewBatch()
	defer b.Close()
	hk := hitKey(id)
	if err := s.setSealed(b, hk, rec); err != nil {
		return nil, false, err
	}
	if err := s.setSealed(b, pairKey, &whorlv1.StoredLatentRef{InternalId: id}); err != nil {
		return nil, false, err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return nil, false, fmt.Errorf("store: writing hit record %s: %w", keyString(hk), err)
	}
	return hitFromRecord(id, rec), true, nil
}

// GetHit returns the hit with that id, or ErrNotFound.
func (s *Store) GetHit(ctx context.Context, hitID uint64) (*Hit, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.closeMu.RUnlock()
	var rec whorlv1.StoredHit
	if err := s.getSealed(hitKey(hitID), &rec); err != nil {
		return nil, err
	}
	return hitFromRecord(hitID, &rec), nil
}

// ListHits returns one page of the hits the filter selects, oldest first,
// and the next page's token ("" after the last). The filter is applied
// while walking every hit from the token on: hits are thousands, not
// millions, so no per-latent index is kept.
func (s *Store) ListHits(ctx context.Context, f HitFilter, pageToken string, pageSize int) ([]*Hit, string, error) {
	var out []*Hit
	next, err := s.page(ctx, kindHit, hitPageToken, pageToken, pageSize, "ListHits", func(key, value []byte) (bool, error) {
		var rec whorlv1.StoredHit
		if err := s.openRecord(key, value, &rec); err != nil {
			return false, err
		}
		if (f.LatentID != "" && rec.GetLatentId() != f.LatentID) ||
			(f.Undecided && rec.GetDecision() != whorlv1.HitDecision_HIT_DECISION_UNSPECIFIED) {
			return false, nil
		}
		out = append(out, hitFromRecord(binary.BigEndian.Uint64(key[1:]), &rec))
		return true, nil
	})
	return out, next, err
}

// DecideHit records an examiner's decision on a hit, in one synced write
// with its consequence: IDENTIFIED closes the latent (state identified,
// with the subject, the finger and who decided). A hit decided
// IDENTIFIED or EXCLUDED is final (ErrConflict); an INCONCLUSIVE one may be
// decided again, unless its latent has been closed meanwhile.
func (s *Store) DecideHit(ctx context.Context, hitID uint64, d whorlv1.HitDecision, note, by string) (*Hit, *Latent, error) {
	switch d {
	case whorlv1.HitDecision_HIT_DECISION_IDENTIFIED, whorlv1.HitDecision_HIT_DECISION_EXCLUDED, whorlv1.HitDecision_HIT_DECISION_INCONCLUSIVE:
	default:
		return nil, nil, fmt.Errorf("%w: decision %d", ErrInvalid, d)
	}
	if len(note) > MaxNoteLength {
		return nil, nil, fmt.Errorf("%w: note is %d bytes, more than %d", ErrInvalid, len(note), MaxNoteLength)
	}
	if err := s.acquire(ctx); err != nil {
		return nil, nil, err
	}
	defer s.closeMu.RUnlock()
	hk := hitKey(hitID)
	var peek whorlv1.StoredHit
	if err := s.getSealed(hk, &peek); err != nil {
		return nil, nil, err
	}
	// The latent's stripe serialises this with PutHit, RetireLatent and
	// other decisions on the latent's hits; the hit is read again under it.
	nameKey := indexKey(kindLatentName, s.indexKey, peek.GetLatentId())
	defer s.lockStripes(nameKey[1], nameKey[1])()
	var rec whorlv1.StoredHit
	if err := s.getSealed(hk, &rec); err != nil {
		return nil, nil, err
	}
	switch rec.GetDecision() {
	case whorlv1.HitDecision_HIT_DECISION_UNSPECIFIED, whorlv1.HitDecision_HIT_DECISION_INCONCLUSIVE:
	default:
		return nil, nil, fmt.Errorf("%w: the hit was already decided %s", ErrConflict, decisionWord(rec.GetDecision()))
	}
	latentInternal, latent, err := s.lookupLatent(nameKey, rec.GetLatentId())
	if err != nil {
		return nil, nil, fmt.Errorf("hit %s: %w", keyString(hk), err)
	}
	now := time.Now().UTC().UnixNano()
	rec.Decision, rec.DecisionNote, rec.DecidedBy, rec.DecidedUnixNanos = d, note, by, now
	b := s.db.NewBatch()
	defer b.Close()
	if err := s.setSealed(b, hk, &rec); err != nil {
		return nil, nil, err
	}
	if d == whorlv1.HitDecision_HIT_DECISION_IDENTIFIED {
		if latent.GetState() != whorlv1.LatentState_LATENT_STATE_UNSOLVED {
			return nil, nil, fmt.Errorf("%w: the hit's latent is %s, not unsolved", ErrConflict, stateWord(latent.GetState()))
		}
		latent.State = whorlv1.LatentState_LATENT_STATE_IDENTIFIED
		latent.ClosedBy, latent.CloseNote = by, note
		latent.IdentifiedSubjectId, latent.IdentifiedPosition = rec.GetSubjectId(), rec.GetPosition()
		latent.UpdatedUnixNanos = now
		if err := s.setSealed(b, latentKey(latentInternal), latent); err != nil {
			return nil, nil, err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return nil, nil, fmt.Errorf("store: deciding hit %s: %w", keyString(hk), err)
	}
	return hitFromRecord(hitID, &rec), latentFromRecord(latent), nil
}

// FormatHitID and ParseHitID convert a hit's id to and from its external
// form, decimal.
func FormatHitID(id uint64) string { return strconv.FormatUint(id, 10) }

// ParseHitID reads an external hit id; anything but a canonical decimal
// number above 0 is ErrInvalid.
func ParseHitID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 || strconv.FormatUint(id, 10) != s {
		return 0, fmt.Errorf("%w: hit id is not one this server assigned", ErrInvalid)
	}
	return id, nil
}

// Page-token tags of the latent listings (ListSubjects' is 1).
const (
	latentPageToken byte = 2
	hitPageToken    byte = 3
)

// page walks the records of one id-keyed kind from pageToken, calling keep
// for each until it has accepted pageSize of them, and returns the token of
// the next page.
func (s *Store) page(ctx context.Context, kind, tag byte, pageToken string, pageSize int, method string, keep func(key, value []byte) (bool, error)) (string, error) {
	pageSize, err := pageSizeOf(pageSize)
	if err != nil {
		return "", err
	}
	start, err := decodeToken(tag, pageToken, 0, method)
	if err != nil {
		return "", err
	}
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer s.closeMu.RUnlock()
	_, hi := prefixBounds(kind)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: idKey(kind, start), UpperBound: hi})
	if err != nil {
		return "", fmt.Errorf("store: %s: %w", method, err)
	}
	defer it.Close()
	kept := 0
	for valid := it.First(); valid; valid = it.Next() {
		if len(it.Key()) != 9 {
			return "", fmt.Errorf("%w: malformed key %x", ErrCorrupt, it.Key())
		}
		if kept == pageSize {
			return encodeToken(tag, binary.BigEndian.Uint64(it.Key()[1:])), nil
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return "", fmt.Errorf("store: reading %s: %w", keyString(it.Key()), err)
		}
		ok, err := keep(it.Key(), v)
		if err != nil {
			return "", err
		}
		if ok {
			kept++
		}
	}
	if err := it.Error(); err != nil {
		return "", fmt.Errorf("store: %s: %w", method, err)
	}
	return "", ctx.Err()
}

// lookupLatent follows the latent-id index to the latent record, checking
// the id in the record against the one asked for.
func (s *Store) lookupLatent(nameKey []byte, latentID string) (uint64, *whorlv1.StoredLatent, error) {
	var ref whorlv1.StoredLatentRef
	if err := s.getSealed(nameKey, &ref); err != nil {
		return 0, nil, err
	}
	lk := latentKey(ref.GetInternalId())
	var rec whorlv1.StoredLatent
	if err := s.getSealed(lk, &rec); err != nil {
		if errors.Is(err, ErrNotFound) {
			return 0, nil, fmt.Errorf("%w: latent index %s points at %s, which does not exist", ErrCorrupt, keyString(nameKey), keyString(lk))
		}
		return 0, nil, err
	}
	if rec.GetLatentId() != latentID {
		return 0, nil, fmt.Errorf("%w: latent index %s points at %s, which holds another latent", ErrCorrupt, keyString(nameKey), keyString(lk))
	}
	return ref.GetInternalId(), &rec, nil
}

// openRecord opens and decodes a sealed value read by an iterator.
func (s *Store) openRecord(key, value []byte, m proto.Message) error {
	pt, err := s.sealer.open(key, value)
	if err != nil {
		return err
	}
	if err := proto.Unmarshal(pt, m); err != nil {
		return fmt.Errorf("%w: record %s: %w", ErrCorrupt, keyString(key), err)
	}
	return nil
}

// latentRecord validates l and converts it to its stored form, content
// fields only.
func latentRecord(l *Latent) (*whorlv1.StoredLatent, error) {
	if l.ID != "" {
		if err := checkID("latent id", l.ID); err != nil {
			return nil, err
		}
	}
	if len(l.CaseID) > MaxIDLength {
		return nil, fmt.Errorf("%w: case id is %d bytes, more than %d", ErrInvalid, len(l.CaseID), MaxIDLength)
	}
	if len(l.Notes) > MaxNoteLength {
		return nil, fmt.Errorf("%w: notes are %d bytes, more than %d", ErrInvalid, len(l.Notes), MaxNoteLength)
	}
	if len(l.Positions) > MaxLatentPositions {
		return nil, fmt.Errorf("%w: %d finger positions, at most %d", ErrInvalid, len(l.Positions), MaxLatentPositions)
	}
	t, err := l.Template.ToProto()
	if err != nil {
		return nil, fmt.Errorf("%w: latent template: %w", ErrInvalid, err)
	}
	rec := &whorlv1.StoredLatent{LatentId: l.ID, CaseId: l.CaseID, Notes: l.Notes, Template: t}
	for _, p := range l.Positions {
		if !p.Valid() {
			return nil, fmt.Errorf("%w: finger position %d", ErrInvalid, p)
		}
		rec.Positions = append(rec.Positions, whorlv1.FingerPosition(p))
	}
	return rec, nil
}

func latentFromRecord(rec *whorlv1.StoredLatent) *Latent {
	l := &Latent{
		ID: rec.GetLatentId(), CaseID: rec.GetCaseId(), Notes: rec.GetNotes(), State: rec.GetState(),
		Created: time.Unix(0, rec.GetCreatedUnixNanos()).UTC(), Updated: time.Unix(0, rec.GetUpdatedUnixNanos()).UTC(),
		RegisteredBy: rec.GetRegisteredBy(), ClosedBy: rec.GetClosedBy(), CloseNote: rec.GetCloseNote(),
		IdentifiedSubject: rec.GetIdentifiedSubjectId(), IdentifiedPosition: minutiae.FingerPosition(rec.GetIdentifiedPosition()),
	}
	// The template was validated when written and the record authenticated
	// when opened: a failure here is a record from a future schema, kept as
	// the empty template rather than failing a listing.
	l.Template, _ = minutiae.TemplateFromProto(rec.GetTemplate())
	for _, p := range rec.GetPositions() {
		l.Positions = append(l.Positions, minutiae.FingerPosition(p))
	}
	return l
}

func hitFromRecord(id uint64, rec *whorlv1.StoredHit) *Hit {
	h := &Hit{
		ID: id, LatentID: rec.GetLatentId(), CaseID: rec.GetCaseId(), SubjectID: rec.GetSubjectId(),
		Position: minutiae.FingerPosition(rec.GetPosition()), Score: rec.GetScore(), FMR: rec.GetFmr(),
		Created: time.Unix(0, rec.GetCreatedUnixNanos()).UTC(), Decision: rec.GetDecision(),
		DecisionNote: rec.GetDecisionNote(), DecidedBy: rec.GetDecidedBy(),
	}
	if n := rec.GetDecidedUnixNanos(); n != 0 {
		h.Decided = time.Unix(0, n).UTC()
	}
	for i := range min(len(rec.GetProbe()), len(rec.GetCandidate())) {
		h.Pairs = append(h.Pairs, HitPair{int(rec.GetProbe()[i]), int(rec.GetCandidate()[i])})
	}
	return h
}

func stateWord(s whorlv1.LatentState) string {
	switch s {
	case whorlv1.LatentState_LATENT_STATE_UNSOLVED:
		return "unsolved"
	case whorlv1.LatentState_LATENT_STATE_IDENTIFIED:
		return "identified"
	case whorlv1.LatentState_LATENT_STATE_RETIRED:
		return "retired"
	}
	return fmt.Sprintf("in state %d", s)
}

func decisionWord(d whorlv1.HitDecision) string {
	switch d {
	case whorlv1.HitDecision_HIT_DECISION_IDENTIFIED:
		return "identified"
	case whorlv1.HitDecision_HIT_DECISION_EXCLUDED:
		return "excluded"
	case whorlv1.HitDecision_HIT_DECISION_INCONCLUSIVE:
		return "inconclusive"
	}
	return "undecided"
}
