package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// The audit trail's tail anchor. The hash chain shows a record edited,
// deleted or moved in the middle of the trail, but deleting the newest
// records leaves a shorter chain that is still whole. So every AppendAudit
// also writes, in the same synced batch, the metadata record "audit_anchor":
// the sequence number and the chain hash (SHA-256 of the stored encoding) of
// the record it appended, sealed like every value (so forging or editing it
// needs the data key, and rotation re-seals it). VerifyAudit compares the
// trail's end with it, and AppendAudit refuses to extend a trail whose end
// does not match it, which would hide the truncation.
//
// A store written before the anchor existed (schema 1) is anchored at its
// last record when this build first opens it (migrateToAnchor).
//
// What an anchor cannot show: someone who kept an older copy of the
// database can put back an older anchor together with the records up to it
// (a rollback); only a copy of the trail kept elsewhere shows that.

// anchorSize is the anchor's plaintext: uint64 sequence number, then the
// 32-byte hash.
const anchorSize = 8 + sha256Size

// auditAnchor is the end of the trail as the last append recorded it.
type auditAnchor struct {
	seq  uint64
	hash [sha256Size]byte
}

// putAuditAnchor adds the anchor for record seq with hash to b.
func (s *Store) putAuditAnchor(b *pebble.Batch, seq uint64, hash [sha256Size]byte) error {
	pt := make([]byte, 8, anchorSize)
	binary.BigEndian.PutUint64(pt, seq)
	pt = append(pt, hash[:]...)
	return b.Set(metaAuditAnchorKey, s.sealer.seal(metaAuditAnchorKey, pt), nil)
}

// commitAudit writes the sealed audit record at key and the anchor naming
// it in one synced batch.
func (s *Store) commitAudit(key, sealed []byte, seq uint64, hash [sha256Size]byte) error {
	b := s.db.NewBatch()
	defer b.Close()
	if err := b.Set(key, sealed, nil); err != nil {
		return err
	}
	if err := s.putAuditAnchor(b, seq, hash); err != nil {
		return err
	}
	return b.Commit(pebble.Sync)
}

// openAuditAnchor decodes a sealed anchor value.
func (s *Store) openAuditAnchor(v []byte) (auditAnchor, error) {
	pt, err := s.sealer.open(metaAuditAnchorKey, v)
	if err != nil {
		return auditAnchor{}, err
	}
	if len(pt) != anchorSize {
		return auditAnchor{}, fmt.Errorf("%w: the audit trail's anchor holds %d bytes, want %d", ErrCorrupt, len(pt), anchorSize)
	}
	var a auditAnchor
	a.seq = binary.BigEndian.Uint64(pt)
	copy(a.hash[:], pt[8:])
	return a, nil
}

// checkAuditHead compares the head AppendAudit loaded with the anchor, so an
// append never extends a trail whose end was cut off while the store was
// closed. An empty trail without an anchor is a new store.
func (s *Store) checkAuditHead(c *auditChain) error {
	v, err := s.get(metaAuditAnchorKey)
	if errors.Is(err, ErrNotFound) {
		if c.lastSeq == 0 {
			return nil
		}
		return fmt.Errorf("%w: the audit trail holds %d records but no tail anchor (deleted, perhaps with records after %d), so appending is refused; run whorl audit verify",
			ErrCorrupt, c.lastSeq, c.lastSeq)
	}
	if err != nil {
		return err
	}
	a, err := s.openAuditAnchor(v)
	if err != nil {
		return fmt.Errorf("%w: the audit trail's tail anchor does not open, so appending is refused; run whorl audit verify: %w", ErrCorrupt, err)
	}
	switch {
	case a.seq > c.lastSeq:
		return fmt.Errorf("%w: audit trail truncated: the anchor says %d records, found %d; appending is refused; run whorl audit verify",
			ErrCorrupt, a.seq, c.lastSeq)
	case a.seq < c.lastSeq || a.hash != c.lastHash:
		return fmt.Errorf("%w: the last audit record, %d, is not the one the tail anchor names (record %d); appending is refused; run whorl audit verify",
			ErrCorrupt, c.lastSeq, a.seq)
	}
	return nil
}

// verifyAuditAnchor checks the end of a whole chain, last records ending in
// a record with lastHash, against the anchor, read through the iterator
// VerifyAudit walked with so both are the same point in time. It moves the
// iterator's bounds.
func (s *Store) verifyAuditAnchor(it *pebble.Iterator, rep *AuditReport, last uint64, lastHash [sha256Size]byte) error {
	bad := func(seq uint64, format string, args ...any) {
		rep.FirstBad, rep.Problem = seq, fmt.Sprintf(format, args...)
	}
	it.SetBounds(metaAuditAnchorKey, append(bytes.Clone(metaAuditAnchorKey), 0))
	if !it.First() {
		if err := it.Error(); err != nil {
			return fmt.Errorf("store: reading the audit trail's anchor: %w", err)
		}
		if last > 0 {
			bad(last+1, "the tail anchor is missing: records after %d may have been deleted from the end of the trail, with the anchor", last)
		}
		return nil
	}
	v, err := it.ValueAndErr()
	if err != nil {
		return fmt.Errorf("store: reading the audit trail's anchor: %w", err)
	}
	a, err := s.openAuditAnchor(v)
	switch {
	case err != nil:
		bad(last+1, "the tail anchor fails authentication (altered on disk), so the end of the trail cannot be checked after record %d", last)
	case a.seq > last:
		bad(last+1, "trail truncated: anchor says %d records, found %d; records %d to %d were deleted from the end of the trail", a.seq, last, last+1, a.seq)
	case a.seq < last:
		bad(a.seq+1, "records %d to %d lie past the tail anchor (%d records): they were not appended by the store", a.seq+1, last, a.seq)
	case a.hash != lastHash:
		bad(last, "record %d is not the one the tail anchor names: it was replaced with the data key", last)
	}
	return nil
}
