package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/protobuf/proto"

	"github.com/whorlafis/whorl/minutiae"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// Limits on what a subject may hold.
const (
	// MaxIDLength bounds subject ids and request ids, in bytes.
	MaxIDLength = 256
	// MaxFingers bounds the templates of one subject: ten rolled and ten
	// plain impressions fit with room to spare.
	MaxFingers = 32
	// MaxPageSize is the largest page ListSubjects returns; larger requests
	// get this many.
	MaxPageSize = 1000
	// DefaultPageSize is the page ListSubjects returns when asked for 0.
	DefaultPageSize = 100
)

// Subject is an enrolled person: an external id and the templates of their
// fingers.
type Subject struct {
	// ID is the external subject id the client chose: 1 to MaxIDLength
	// bytes of UTF-8.
	ID string
	// Fingers holds one template per finger impression (1 to MaxFingers);
	// each template carries its finger position.
	Fingers []minutiae.Template
	// Created and Updated are set by the store: when the subject was first
	// enrolled and when it was last written. PutSubject ignores them.
	Created, Updated time.Time
	// RequestID is the request id of the last write, set by the store.
	// PutSubject ignores it and takes the request id as an argument.
	RequestID string
}

// PutResult describes a completed PutSubject.
type PutResult struct {
	// Replaced is true if a subject with that id existed and was replaced,
	// false if the subject was created.
	Replaced bool
	// Replayed is true if the request id had been seen before: nothing was
	// written, and Replaced and Time describe the original write.
	Replayed bool
	// Time is when the write happened (the subject's Updated time).
	Time time.Time
}

// PutSubject creates the subject, or replaces the subject with the same ID
// (keeping its Created time). It returns once the write is synced.
//
// A non-empty requestID makes the call idempotent: if a write under that
// request id already succeeded, PutSubject writes nothing and returns the
// original result with Replayed set, even if the subject has since been
// deleted (the retried request did succeed). Reusing a request id for a
// different subject or different templates fails with ErrRequestConflict.
// Request ids are remembered for the life of the store.
func (s *Store) PutSubject(ctx context.Context, subj *Subject, requestID string) (PutResult, error) {
	rec, err := subjectRecord(subj)
	if err != nil {
		return PutResult{}, err
	}
	if requestID != "" {
		if err := checkID("request id", requestID); err != nil {
			return PutResult{}, err
		}
	}
	// The digest covers what the request asks to store and nothing the
	// store adds (times, request id). Deterministic marshalling is stable
	// within a build, which is the span over which clients retry.
	content, err := proto.MarshalOptions{Deterministic: true}.Marshal(rec)
	if err != nil {
		return PutResult{}, fmt.Errorf("store: encoding subject: %w", err)
	}
	digest := sha256.Sum256(content)

	if err := s.acquire(ctx); err != nil {
		return PutResult{}, err
	}
	defer s.closeMu.RUnlock()

	nameKey := indexKey(kindName, s.indexKey, subj.ID)
	var reqKey []byte
	if requestID != "" {
		reqKey = indexKey(kindRequest, s.indexKey, requestID)
		defer s.lockStripes(nameKey[1], reqKey[1])()
	} else {
		defer s.lockStripes(nameKey[1], nameKey[1])()
	}

	if reqKey != nil {
		res, found, err := s.replay(reqKey, subj.ID, digest[:])
		if err != nil || found {
			return res, err
		}
	}

	id, old, err := s.lookup(nameKey, subj.ID)
	replaced := err == nil
	switch {
	case errors.Is(err, ErrNotFound):
		if id, err = s.allocID(); err != nil {
			return PutResult{}, err
		}
	case err != nil:
		return PutResult{}, err
	}

	now := time.Now().UTC()
	rec.CreatedUnixNanos = now.UnixNano()
	if replaced {
		rec.CreatedUnixNanos = old.Created.UnixNano()
	}
	rec.UpdatedUnixNanos = now.UnixNano()
	rec.RequestId = requestID

	b := s.db.NewBatch()
	defer b.Close()
	sk := subjectKey(id)
	if err := s.setSealed(b, sk, rec); err != nil {
		return PutResult{}, err
	}
	if !replaced {
		if err := s.setSealed(b, nameKey, &whorlv1.StoredSubjectRef{InternalId: id}); err != nil {
			return PutResult{}, err
		}
	}
	if reqKey != nil {
		req := &whorlv1.StoredRequest{
			InternalId:    id,
			SubjectId:     subj.ID,
			Replaced:      replaced,
			TimeUnixNanos: now.UnixNano(),
			Digest:        digest[:],
		}
		if err := s.setSealed(b, reqKey, req); err != nil {
			return PutResult{}, err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return PutResult{}, fmt.Errorf("store: writing subject record %s: %w", keyString(sk), err)
	}
	return PutResult{Replaced: replaced, Time: time.Unix(0, now.UnixNano()).UTC()}, nil
}

// replay looks up a request id; found reports a write already made under it.
func (s *Store) replay(reqKey []byte, subjectID string, digest []byte) (PutResult, bool, error) {
	var req whorlv1.StoredRequest
	err := s.getSealed(reqKey, &req)
	if errors.Is(err, ErrNotFound) {
		return PutResult{}, false, nil
	}
	if err != nil {
		return PutResult{}, false, err
	}
	if req.GetSubjectId() != subjectID || !bytes.Equal(req.GetDigest(), digest) {
		return PutResult{}, false, fmt.Errorf("%w: it wrote %s, not this request's content", ErrRequestConflict, sameOrOther(req.GetSubjectId() == subjectID))
	}
	return PutResult{
		Replaced: req.GetReplaced(),
		Replayed: true,
		Time:     time.Unix(0, req.GetTimeUnixNanos()).UTC(),
	}, true, nil
}

// sameOrOther words a conflict without echoing either subject id, which may
// be personal data, into an error that may be logged.
func sameOrOther(sameSubject bool) string {
	if sameSubject {
		return "the same subject with different templates"
	}
	return "a different subject"
}

// GetSubject returns the subject with that external id, or ErrNotFound.
func (s *Store) GetSubject(ctx context.Context, subjectID string) (*Subject, error) {
	if err := checkID("subject id", subjectID); err != nil {
		return nil, err
	}
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.closeMu.RUnlock()
	_, subj, err := s.lookup(indexKey(kindName, s.indexKey, subjectID), subjectID)
	return subj, err
}

// DeleteSubject removes the subject and its name index in one synced write,
// or returns ErrNotFound. Request-id records stay (see PutSubject).
func (s *Store) DeleteSubject(ctx context.Context, subjectID string) error {
	if err := checkID("subject id", subjectID); err != nil {
		return err
	}
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.closeMu.RUnlock()
	nameKey := indexKey(kindName, s.indexKey, subjectID)
	defer s.lockStripes(nameKey[1], nameKey[1])()
	id, _, err := s.lookup(nameKey, subjectID)
	if err != nil {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	sk := subjectKey(id)
	b.Delete(sk, nil)
	b.Delete(nameKey, nil)
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("store: deleting subject record %s: %w", keyString(sk), err)
	}
	return nil
}

// ListSubjects returns one page of subjects in internal-id order (roughly
// enrolment order) and the token of the next page, empty after the last.
// pageToken is empty for the first page, else a token ListSubjects returned.
// pageSize 0 means DefaultPageSize; above MaxPageSize it means MaxPageSize.
// Pages are not a snapshot: subjects written between calls may or may not
// appear, but none is returned twice.
func (s *Store) ListSubjects(ctx context.Context, pageToken string, pageSize int) ([]*Subject, string, error) {
	pageSize, err := pageSizeOf(pageSize)
	if err != nil {
		return nil, "", err
	}
	start, err := decodePageToken(pageToken)
	if err != nil {
		return nil, "", err
	}
	if err := s.acquire(ctx); err != nil {
		return nil, "", err
	}
	defer s.closeMu.RUnlock()

	_, hi := prefixBounds(kindSubject)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: subjectKey(start), UpperBound: hi})
	if err != nil {
		return nil, "", fmt.Errorf("store: listing subjects: %w", err)
	}
	defer it.Close()
	var out []*Subject
	for valid := it.First(); valid; valid = it.Next() {
		if len(out) == pageSize {
			id, ok := subjectKeyID(it.Key())
			if !ok {
				return nil, "", fmt.Errorf("%w: malformed subject key %x", ErrCorrupt, it.Key())
			}
			return out, encodePageToken(id), nil
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, "", fmt.Errorf("store: reading %s: %w", keyString(it.Key()), err)
		}
		subj, err := s.decodeSubject(it.Key(), v)
		if err != nil {
			return nil, "", err
		}
		out = append(out, subj)
	}
	if err := it.Error(); err != nil {
		return nil, "", fmt.Errorf("store: listing subjects: %w", err)
	}
	return out, "", nil
}

// pageTokenVersion leads every page token, so the format can change
// without old tokens being misread.
const pageTokenVersion = 1

// encodePageToken makes the token of a page starting at internal id start.
func encodePageToken(start uint64) string { return encodeToken(pageTokenVersion, start) }

func decodePageToken(tok string) (uint64, error) {
	return decodeToken(pageTokenVersion, tok, 0, "ListSubjects")
}

// encodeToken makes a page token: a tag byte that says which listing it
// belongs to, then the position where the page starts.
func encodeToken(tag byte, start uint64) string {
	var b [9]byte
	b[0] = tag
	binary.BigEndian.PutUint64(b[1:], start)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// decodeToken reads a token of encodeToken with the given tag; the empty
// token is the first page, starting at first. method names the listing in
// the error.
func decodeToken(tag byte, tok string, first uint64, method string) (uint64, error) {
	if tok == "" {
		return first, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	// Only the canonical spelling is accepted (the decoder skips newlines
	// and ignores stray trailing bits), so each page has one token.
	if err != nil || len(b) != 9 || b[0] != tag || encodeToken(tag, binary.BigEndian.Uint64(b[1:])) != tok {
		return 0, fmt.Errorf("%w: page token is not one %s returned", ErrInvalid, method)
	}
	return binary.BigEndian.Uint64(b[1:]), nil
}

// pageSizeOf applies the page size rule of every listing: 0 means
// DefaultPageSize, more than MaxPageSize means MaxPageSize, negative is
// invalid.
func pageSizeOf(n int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("%w: page size %d is negative", ErrInvalid, n)
	case n == 0:
		return DefaultPageSize, nil
	case n > MaxPageSize:
		return MaxPageSize, nil
	}
	return n, nil
}

// scanBatch is how many records the reader hands a worker at a time: large
// enough that channel traffic is small beside decryption and decoding.
const scanBatch = 64

// Scan calls fn for every subject, decrypting and decoding them on workers
// goroutines (GOMAXPROCS if workers < 1); fn is called concurrently from
// those goroutines and must be safe for that. Each subject is passed once,
// in no particular order. Scan stops at the first error from fn or from
// decoding, or when ctx is done, and returns that error. It reads a
// consistent snapshot: writes made during the scan are not seen.
func (s *Store) Scan(ctx context.Context, workers int, fn func(*Subject) error) error {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.closeMu.RUnlock()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	type record struct{ key, value []byte }
	batches := make(chan []record, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for batch := range batches {
				for _, r := range batch {
					if ctx.Err() != nil {
						continue // drain so the reader never blocks
					}
					subj, err := s.decodeSubject(r.key, r.value)
					if err == nil {
						err = fn(subj)
					}
					if err != nil {
						cancel(err)
					}
				}
			}
		})
	}

	readErr := func() error {
		defer close(batches)
		lo, hi := prefixBounds(kindSubject)
		it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lo, UpperBound: hi})
		if err != nil {
			return fmt.Errorf("store: scanning subjects: %w", err)
		}
		defer it.Close()
		batch := make([]record, 0, scanBatch)
		for valid := it.First(); valid; valid = it.Next() {
			v, err := it.ValueAndErr()
			if err != nil {
				return fmt.Errorf("store: reading %s: %w", keyString(it.Key()), err)
			}
			// The iterator reuses its buffers; the workers need copies.
			batch = append(batch, record{bytes.Clone(it.Key()), bytes.Clone(v)})
			if len(batch) == scanBatch {
				select {
				case batches <- batch:
				case <-ctx.Done():
					return nil // the cause is reported below
				}
				batch = make([]record, 0, scanBatch)
			}
		}
		if err := it.Error(); err != nil {
			return fmt.Errorf("store: scanning subjects: %w", err)
		}
		if len(batch) > 0 {
			select {
			case batches <- batch:
			case <-ctx.Done():
			}
		}
		return nil
	}()
	wg.Wait()
	if readErr != nil {
		return readErr
	}
	return context.Cause(ctx)
}

// lookup follows the name index to the subject record. The record's id is
// checked against the one asked for, which catches an index hash collision
// or an index entry pointing at the wrong record.
func (s *Store) lookup(nameKey []byte, subjectID string) (uint64, *Subject, error) {
	var ref whorlv1.StoredSubjectRef
	if err := s.getSealed(nameKey, &ref); err != nil {
		return 0, nil, err
	}
	sk := subjectKey(ref.GetInternalId())
	v, err := s.get(sk)
	if errors.Is(err, ErrNotFound) {
		return 0, nil, fmt.Errorf("%w: name index %s points at %s, which does not exist", ErrCorrupt, keyString(nameKey), keyString(sk))
	}
	if err != nil {
		return 0, nil, err
	}
	subj, err := s.decodeSubject(sk, v)
	if err != nil {
		return 0, nil, err
	}
	if subj.ID != subjectID {
		return 0, nil, fmt.Errorf("%w: name index %s points at %s, which holds another subject", ErrCorrupt, keyString(nameKey), keyString(sk))
	}
	return ref.GetInternalId(), subj, nil
}

// decodeSubject opens and decodes a subject record.
func (s *Store) decodeSubject(key, value []byte) (*Subject, error) {
	pt, err := s.sealer.open(key, value)
	if err != nil {
		return nil, err
	}
	var rec whorlv1.StoredSubject
	if err := proto.Unmarshal(pt, &rec); err != nil {
		return nil, fmt.Errorf("%w: record %s: %w", ErrCorrupt, keyString(key), err)
	}
	subj := &Subject{
		ID:        rec.GetSubjectId(),
		Fingers:   make([]minutiae.Template, len(rec.GetFingers())),
		Created:   time.Unix(0, rec.GetCreatedUnixNanos()).UTC(),
		Updated:   time.Unix(0, rec.GetUpdatedUnixNanos()).UTC(),
		RequestID: rec.GetRequestId(),
	}
	for i, f := range rec.GetFingers() {
		if subj.Fingers[i], err = minutiae.TemplateFromProto(f); err != nil {
			return nil, fmt.Errorf("%w: record %s, finger %d: %w", ErrCorrupt, keyString(key), i, err)
		}
	}
	return subj, nil
}

// subjectRecord validates subj and converts it to its stored form, without
// the fields the store fills in.
func subjectRecord(subj *Subject) (*whorlv1.StoredSubject, error) {
	if subj == nil {
		return nil, fmt.Errorf("%w: nil subject", ErrInvalid)
	}
	if err := checkID("subject id", subj.ID); err != nil {
		return nil, err
	}
	if n := len(subj.Fingers); n == 0 || n > MaxFingers {
		return nil, fmt.Errorf("%w: subject has %d fingers; want 1 to %d", ErrInvalid, n, MaxFingers)
	}
	rec := &whorlv1.StoredSubject{
		SubjectId: subj.ID,
		Fingers:   make([]*whorlv1.Template, len(subj.Fingers)),
	}
	for i := range subj.Fingers {
		p, err := subj.Fingers[i].ToProto() // validates the template
		if err != nil {
			return nil, fmt.Errorf("%w: finger %d: %w", ErrInvalid, i, err)
		}
		rec.Fingers[i] = p
	}
	return rec, nil
}

// checkID validates an external id. The message does not repeat the id: it
// may be personal data, and errors get logged.
func checkID(what, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: %s is empty", ErrInvalid, what)
	case len(id) > MaxIDLength:
		return fmt.Errorf("%w: %s is %d bytes, more than %d", ErrInvalid, what, len(id), MaxIDLength)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, what)
	}
	return nil
}

// setSealed adds the sealed encoding of m at key to the batch.
func (s *Store) setSealed(b *pebble.Batch, key []byte, m proto.Message) error {
	pt, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("store: encoding %s: %w", keyString(key), err)
	}
	return b.Set(key, s.sealer.seal(key, pt), nil)
}

// getSealed reads, opens and decodes the record at key into m.
func (s *Store) getSealed(key []byte, m proto.Message) error {
	v, err := s.get(key)
	if err != nil {
		return err
	}
	pt, err := s.sealer.open(key, v)
	if err != nil {
		return err
	}
	if err := proto.Unmarshal(pt, m); err != nil {
		return fmt.Errorf("%w: record %s: %w", ErrCorrupt, keyString(key), err)
	}
	return nil
}

// lockStripes locks the stripes of two index hashes (the same one twice is
// fine) in a fixed order, so two writers never wait on each other in a
// cycle, and returns the unlock.
func (s *Store) lockStripes(a, b byte) func() {
	i, j := int(a)%len(s.stripes), int(b)%len(s.stripes)
	if i > j {
		i, j = j, i
	}
	s.stripes[i].Lock()
	if j != i {
		s.stripes[j].Lock()
	}
	return func() {
		if j != i {
			s.stripes[j].Unlock()
		}
		s.stripes[i].Unlock()
	}
}
