package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/protobuf/proto"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// kindAudit is the key kind of audit records: 'a' + uint64 sequence number.
const kindAudit byte = 'a'

// AuditRecord is one RPC the server answered, as the audit trail keeps it.
// It holds ids only: there is no field for image or template bytes.
type AuditRecord struct {
	// Seq is assigned by AppendAudit, from 1, with no gaps.
	Seq uint64
	// Time is when the RPC was answered, set by the caller (AppendAudit
	// uses the current time if it is zero). Kept to the nanosecond, UTC.
	Time time.Time
	// Station is the client certificate's common name, "" if none.
	Station string
	// Role is the role the client certificate carries, "" if none.
	Role string
	// Method is the full gRPC method name.
	Method string
	// Subjects are the subject ids the RPC touched.
	Subjects []string
	// Candidates are the candidate subject ids the RPC returned.
	Candidates []string
	// Code is the gRPC status code of the response.
	Code uint32
	// Person is the person behind the station, named by a verified person
	// token (an OIDC token); "" if the call carried none.
	Person string
	// Latents are the latent print ids the RPC touched.
	Latents []string
	// PrevHash is set by AppendAudit: the SHA-256 of the previous record's
	// stored encoding, 32 zero bytes for the first record.
	PrevHash []byte
}

// AuditFilter selects audit records for QueryAudit. Zero fields match all.
type AuditFilter struct {
	// From and To bound the record's Time: From inclusive, To exclusive.
	From, To time.Time
	// Station matches the record's Station exactly.
	Station string
	// Subject matches records that touched the subject or returned it as a
	// candidate.
	Subject string
	// Method matches the full gRPC method name exactly.
	Method string
	// Person matches the record's Person exactly.
	Person string
}

// AuditReport is the outcome of VerifyAudit.
type AuditReport struct {
	// Records is how many audit records the store holds.
	Records int
	// FirstBad is the sequence number of the first record found deleted,
	// altered or out of place; 0 if the chain is whole.
	FirstBad uint64
	// Problem says what is wrong with FirstBad; "" if the chain is whole.
	Problem string
}

// auditChain is the head of the chain: what the next record links to.
// Appends hold mu for the whole read-decide-write, as the chain is
// sequential.
type auditChain struct {
	mu       sync.Mutex
	loaded   bool // lastSeq and lastHash reflect the database
	lastSeq  uint64
	lastHash [sha256Size]byte
}

// auditChain returns the store's chain head.
func (s *Store) auditChain() *auditChain { return &s.audit }

func auditKey(seq uint64) []byte {
	k := make([]byte, 9)
	k[0] = kindAudit
	binary.BigEndian.PutUint64(k[1:], seq)
	return k
}

func auditKeySeq(k []byte) (uint64, bool) {
	if len(k) != 9 || k[0] != kindAudit {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[1:]), true
}

// AppendAudit adds r to the end of the audit trail and returns once it is
// synced. It sets r.Seq and r.PrevHash (and r.Time, if zero). Strings that are
// not valid UTF-8 are stored with the bad bytes replaced by U+FFFD.
//
// ctx does not abandon the write: a record must be kept even when the client
// has gone away, so only a closed store stops it. Appends run one at a time.
// If the last record on disk does not open, AppendAudit refuses (ErrCorrupt)
// rather than extend the chain past a break it cannot hash; VerifyAudit says
// what is wrong.
func (s *Store) AppendAudit(ctx context.Context, r *AuditRecord) error {
	if r == nil {
		return fmt.Errorf("%w: nil audit record", ErrInvalid)
	}
	if err := s.acquire(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	defer s.closeMu.RUnlock()

	c := s.auditChain()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded {
		if err := s.loadAuditHead(c); err != nil {
			return err
		}
		if err := s.checkAuditHead(c); err != nil {
			c.loaded = false
			return err
		}
	}

	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	seq := c.lastSeq + 1
	rec := &whorlv1.StoredAuditRecord{
		Seq:           seq,
		TimeUnixNanos: r.Time.UnixNano(),
		Station:       validUTF8(r.Station),
		Role:          validUTF8(r.Role),
		Method:        validUTF8(r.Method),
		SubjectIds:    validUTF8s(r.Subjects),
		CandidateIds:  validUTF8s(r.Candidates),
		Code:          r.Code,
		PrevHash:      bytes.Clone(c.lastHash[:]),
		Person:        validUTF8(r.Person),
		LatentIds:     validUTF8s(r.Latents),
	}
	pt, err := proto.MarshalOptions{Deterministic: true}.Marshal(rec)
	if err != nil {
		return fmt.Errorf("store: encoding audit record %d: %w", seq, err)
	}
	key := auditKey(seq)
	hash := sha256.Sum256(pt)
	if err := s.commitAudit(key, s.sealer.seal(key, pt), seq, hash); err != nil {
		// The record may or may not have reached the log: read the head
		// again before the next append.
		c.loaded = false
		return fmt.Errorf("store: writing audit record %d: %w", seq, err)
	}
	c.lastSeq, c.lastHash = seq, hash
	r.Seq, r.PrevHash = seq, rec.PrevHash
	return nil
}

// loadAuditHead reads the last audit record into c.
func (s *Store) loadAuditHead(c *auditChain) error {
	lo, hi := prefixBounds(kindAudit)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return fmt.Errorf("store: reading the audit trail: %w", err)
	}
	defer it.Close()
	if !it.Last() {
		if err := it.Error(); err != nil {
			return fmt.Errorf("store: reading the audit trail: %w", err)
		}
		c.lastSeq, c.lastHash, c.loaded = 0, [sha256Size]byte{}, true
		return nil
	}
	seq, ok := auditKeySeq(it.Key())
	if !ok {
		return fmt.Errorf("%w: malformed audit key %x; appending refused (run whorl audit verify)", ErrCorrupt, it.Key())
	}
	v, err := it.ValueAndErr()
	if err != nil {
		return fmt.Errorf("store: reading audit record %d: %w", seq, err)
	}
	pt, err := s.sealer.open(it.Key(), v)
	if err != nil {
		return fmt.Errorf("%w: the last audit record, %d, does not open, so the trail cannot be extended; run whorl audit verify: %w",
			ErrCorrupt, seq, err)
	}
	var rec whorlv1.StoredAuditRecord
	if err := proto.Unmarshal(pt, &rec); err != nil {
		return fmt.Errorf("%w: the last audit record, %d, does not decode: %w", ErrCorrupt, seq, err)
	}
	if rec.GetSeq() != seq {
		return fmt.Errorf("%w: the last audit record, %d, holds sequence number %d; run whorl audit verify", ErrCorrupt, seq, rec.GetSeq())
	}
	c.lastSeq, c.lastHash, c.loaded = seq, sha256.Sum256(pt), true
	return nil
}

// QueryAudit returns one page of the audit records f selects, in sequence
// order, and the token of the next page, empty after the last. pageToken is
// empty for the first page, else a token QueryAudit returned; pageSize 0
// means DefaultPageSize, above MaxPageSize it means MaxPageSize. A record
// that does not open fails the query with ErrCorrupt (VerifyAudit reports
// it). Records are scanned and opened in order until the page fills, so a
// narrow filter over a long trail reads the whole trail.
func (s *Store) QueryAudit(ctx context.Context, f AuditFilter, pageToken string, pageSize int) ([]AuditRecord, string, error) {
	pageSize, err := pageSizeOf(pageSize)
	if err != nil {
		return nil, "", err
	}
	start, err := decodeToken(auditTokenTag, pageToken, 1, "QueryAudit")
	if err != nil {
		return nil, "", err
	}
	if err := s.acquire(ctx); err != nil {
		return nil, "", err
	}
	defer s.closeMu.RUnlock()

	_, hi := prefixBounds(kindAudit)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: auditKey(start), UpperBound: hi})
	if err != nil {
		return nil, "", fmt.Errorf("store: querying the audit trail: %w", err)
	}
	defer it.Close()
	var out []AuditRecord
	n := 0
	for valid := it.First(); valid; valid = it.Next() {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, "", err
			}
		}
		seq, ok := auditKeySeq(it.Key())
		if !ok {
			return nil, "", fmt.Errorf("%w: malformed audit key %x", ErrCorrupt, it.Key())
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, "", fmt.Errorf("store: reading audit record %d: %w", seq, err)
		}
		rec, _, err := s.openAudit(seq, it.Key(), v)
		if err != nil {
			return nil, "", err
		}
		if !f.matches(rec) {
			continue
		}
		if len(out) == pageSize {
			return out, encodeToken(auditTokenTag, seq), nil
		}
		out = append(out, auditRecord(rec))
	}
	if err := it.Error(); err != nil {
		return nil, "", fmt.Errorf("store: querying the audit trail: %w", err)
	}
	return out, "", nil
}

func (f *AuditFilter) matches(r *whorlv1.StoredAuditRecord) bool {
	t := r.GetTimeUnixNanos()
	switch {
	case !f.From.IsZero() && t < f.From.UnixNano():
		return false
	case !f.To.IsZero() && t >= f.To.UnixNano():
		return false
	case f.Station != "" && r.GetStation() != f.Station:
		return false
	case f.Method != "" && r.GetMethod() != f.Method:
		return false
	case f.Person != "" && r.GetPerson() != f.Person:
		return false
	case f.Subject != "" && !slices.Contains(r.GetSubjectIds(), f.Subject) && !slices.Contains(r.GetCandidateIds(), f.Subject):
		return false
	}
	return true
}

// openAudit opens and decodes the audit record at key, returning it and the
// SHA-256 of its stored encoding.
func (s *Store) openAudit(seq uint64, key, value []byte) (*whorlv1.StoredAuditRecord, [sha256Size]byte, error) {
	pt, err := s.sealer.open(key, value)
	if err != nil {
		return nil, [sha256Size]byte{}, fmt.Errorf("audit record %d: %w", seq, err)
	}
	var rec whorlv1.StoredAuditRecord
	if err := proto.Unmarshal(pt, &rec); err != nil {
		return nil, [sha256Size]byte{}, fmt.Errorf("%w: audit record %d: %w", ErrCorrupt, seq, err)
	}
	return &rec, sha256.Sum256(pt), nil
}

func auditRecord(r *whorlv1.StoredAuditRecord) AuditRecord {
	return AuditRecord{
		Seq:        r.GetSeq(),
		Time:       time.Unix(0, r.GetTimeUnixNanos()).UTC(),
		Station:    r.GetStation(),
		Role:       r.GetRole(),
		Method:     r.GetMethod(),
		Subjects:   r.GetSubjectIds(),
		Candidates: r.GetCandidateIds(),
		Code:       r.GetCode(),
		Person:     r.GetPerson(),
		Latents:    r.GetLatentIds(),
		PrevHash:   r.GetPrevHash(),
	}
}

// VerifyAudit walks the audit trail in sequence order and reports the first
// record that was deleted, altered or moved:
//
//   - a value that fails to open: edited on disk, or copied from another
//     record's key (the key is the AEAD's additional data), which is what
//     swapping two records without the data key looks like;
//   - a sequence number in the value that differs from the one in its key;
//   - a gap in the sequence: deleted records (FirstBad is the first missing);
//   - a record whose PrevHash is not the hash of the record before it: a
//     record altered or reordered by someone holding the data key. A record
//     k-1 whose content was changed shows as a break between k-1 and k while
//     k links to k+1; a record k that was replaced breaks both of its links.
//     FirstBad names k-1 in the first case and k in the second.
//
// Deleting records from the end of the trail leaves no gap; the tail anchor
// (anchor.go), written with every record, shows it: "trail truncated".
// Records counts every audit record, including those after the first bad one.
func (s *Store) VerifyAudit(ctx context.Context) (AuditReport, error) {
	if err := s.acquire(ctx); err != nil {
		return AuditReport{}, err
	}
	defer s.closeMu.RUnlock()

	// The head this Store knows, read before the walk so every record up
	// to it is committed and visible to the iterator.
	c := s.auditChain()
	c.mu.Lock()
	knownLast := uint64(0)
	if c.loaded {
		knownLast = c.lastSeq
	}
	c.mu.Unlock()

	lo, hi := prefixBounds(kindAudit)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return AuditReport{}, fmt.Errorf("store: reading the audit trail: %w", err)
	}
	defer it.Close()

	var rep AuditReport
	bad := func(seq uint64, format string, args ...any) {
		rep.FirstBad, rep.Problem = seq, fmt.Sprintf(format, args...)
	}
	var (
		expect   uint64 = 1
		prevHash [sha256Size]byte
	)
	for valid := it.First(); valid; valid = it.Next() {
		rep.Records++
		if rep.Records%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return AuditReport{}, err
			}
		}
		if rep.FirstBad != 0 {
			continue // count the rest
		}
		seq, ok := auditKeySeq(it.Key())
		if !ok {
			bad(expect, "malformed audit key %x where record %d should be", it.Key(), expect)
			continue
		}
		if seq != expect {
			if seq == expect+1 {
				bad(expect, "record %d is missing (deleted); the next record present is %d", expect, seq)
			} else {
				bad(expect, "records %d to %d are missing (deleted); the next record present is %d", expect, seq-1, seq)
			}
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return AuditReport{}, fmt.Errorf("store: reading audit record %d: %w", seq, err)
		}
		pt, err := s.sealer.open(it.Key(), v)
		switch {
		case errors.Is(err, ErrKey):
			bad(seq, "record %d is sealed under a data key id this store does not hold: its stored value was altered, or it was sealed elsewhere", seq)
			continue
		case err != nil:
			bad(seq, "record %d fails authentication (AES-GCM): its stored value was altered, or moved from another record's key (records swapped or reordered)", seq)
			continue
		}
		var rec whorlv1.StoredAuditRecord
		if err := proto.Unmarshal(pt, &rec); err != nil {
			bad(seq, "record %d opens but does not decode (%v): it was written with the data key by something other than the store", seq, err)
			continue
		}
		hash := sha256.Sum256(pt)
		if rec.GetSeq() != seq {
			bad(seq, "record %d holds sequence number %d: it was moved from another position and resealed with the data key", seq, rec.GetSeq())
			continue
		}
		if !bytes.Equal(rec.GetPrevHash(), prevHash[:]) {
			if seq == 1 {
				bad(1, "record 1 does not start the chain: its previous-record hash is not zero (it was altered and resealed with the data key)")
				continue
			}
			// Which side of the broken link changed? If record seq
			// links correctly to the next one, seq is as written and
			// the record before it was altered.
			if s.linksToNext(it, seq, hash) {
				bad(seq-1, "record %d was altered and resealed with the data key: record %d holds a different hash of it", seq-1, seq)
			} else {
				bad(seq, "record %d does not link to record %d (its previous-record hash differs), nor does the next record link to it: record %d was altered, replaced or reordered with the data key",
					seq, seq-1, seq)
			}
			if !it.Valid() {
				break // linksToNext ran off the end
			}
			rep.Records++ // linksToNext stepped onto the next record
			continue
		}
		prevHash = hash
		expect = seq + 1
	}
	if err := it.Error(); err != nil {
		return AuditReport{}, fmt.Errorf("store: reading the audit trail: %w", err)
	}
	if rep.FirstBad == 0 && knownLast >= expect {
		if knownLast == expect {
			bad(expect, "record %d, appended since the store was opened, is missing (deleted from the end of the trail)", expect)
		} else {
			bad(expect, "records %d to %d, appended since the store was opened, are missing (deleted from the end of the trail)", expect, knownLast)
		}
	}
	if rep.FirstBad == 0 {
		if err := s.verifyAuditAnchor(it, &rep, expect-1, prevHash); err != nil {
			return AuditReport{}, err
		}
	}
	return rep, nil
}

// linksToNext steps it to the next record and reports whether that record is
// seq+1, opens, and holds hash as its previous-record hash. The iterator is
// left on the next record (or invalid past the end).
func (s *Store) linksToNext(it *pebble.Iterator, seq uint64, hash [sha256Size]byte) bool {
	if !it.Next() {
		return false
	}
	next, ok := auditKeySeq(it.Key())
	if !ok || next != seq+1 {
		return false
	}
	v, err := it.ValueAndErr()
	if err != nil {
		return false
	}
	rec, _, err := s.openAudit(next, it.Key(), v)
	return err == nil && rec.GetSeq() == next && bytes.Equal(rec.GetPrevHash(), hash[:])
}

// auditTokenTag leads every audit page token, so a ListSubjects token is
// refused rather than misread.
const auditTokenTag = 'a'

func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

func validUTF8s(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = validUTF8(s)
	}
	return out
}
