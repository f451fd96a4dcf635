package store

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// ErrKeyInUse: RetireKey was asked to retire the current data key, or one
// that records are still sealed under.
var ErrKeyInUse = errors.New("store: data key in use")

// Re-sealing works in small batches: the candidates are found under the
// shared lock, then each batch is re-read, re-sealed and committed (synced)
// under the exclusive one, which holds writers off for one batch only.
const (
	// resealBatch is the most records one batch re-seals.
	resealBatch = 128
)

// resealScan is the most records one candidate search (or one piece of
// keyCounts' walk) steps over, so that a store whose records are mostly
// re-sealed already still yields between batches. (A variable only so that
// a test can walk in many pieces.)
var resealScan = 8192

// KeyInfo describes one data key id in KeyStatus.
type KeyInfo struct {
	// ID is the key id stored in front of each value sealed under it.
	ID uint32
	// Records is how many stored values are sealed under the key.
	Records uint64
	// Current is true for the key new values are sealed under.
	Current bool
	// Held is false for an id that records name but the store does not
	// hold a key for: those records cannot be read.
	Held bool
}

// KeyStatus is the state of the store's data keys.
type KeyStatus struct {
	// Current is the id new values are sealed under.
	Current uint32
	// Keys lists every key the store holds and every id a record names,
	// by id.
	Keys []KeyInfo
	// Resealing is true while a background re-seal runs.
	Resealing bool
	// Resealed counts the records the latest re-seal re-sealed so far.
	Resealed uint64
	// ResealFailed counts the records it could not open (damaged or under
	// a key the store does not hold); they stay as they are, and
	// ResealError says why the last one failed.
	ResealFailed uint64
	ResealError  string
	// Rotatable is false when the store was given its one key in
	// Options.DataKey, which RotateKey refuses.
	Rotatable bool
}

// resealer is the state of the background re-seal.
type resealer struct {
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	mu               sync.Mutex
	running          bool
	again            bool          // a rotation came during the pass: make another
	done             chan struct{} // closed when the running re-seal ends
	resealed, failed uint64
	lastErr          string
}

func (r *resealer) init() { r.ctx, r.cancel = context.WithCancel(context.Background()) }

// stop cancels a running re-seal and waits for it to end.
func (r *resealer) stop() {
	r.cancel()
	r.mu.Lock()
	done := r.done
	r.mu.Unlock()
	if done != nil {
		<-done
	}
}

// start runs a re-seal unless one runs already, in which case that one
// makes another pass when it ends, to re-seal what it re-sealed under a key
// that is no longer current.
func (r *resealer) start(s *Store) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running {
		r.again = true
		return
	}
	r.running, r.again = true, false
	r.resealed, r.failed, r.lastErr = 0, 0, ""
	r.done = make(chan struct{})
	go s.resealLoop(r.done)
}

// wait waits for the running re-seal, if any, to end.
func (r *resealer) wait(ctx context.Context) error {
	r.mu.Lock()
	done := r.done
	r.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RotateKey makes a new data key and makes it current: values written from
// then on are sealed under it. It then starts re-sealing, in the
// background, every record sealed under an older key, and returns the new
// key's id without waiting for that (KeyStatus reports its progress).
//
// The new key is durable in the key directory (a synced file, see
// keyring.go) before any value is sealed under it. Switching the current key
// waits for the store operations in flight to finish, so that once RotateKey
// returns no write sealed under an older key is still to be committed: the
// re-seal misses nothing, and an older key that KeyStatus shows unused stays
// unused.
//
// The index key (metadata "index_key") is re-sealed like any record but is
// never changed: the name and request-id indexes are keyed by HMACs under
// it, and a new index key would move every index entry.
//
// A store given its key in Options.DataKey refuses (ErrKey): it has no key
// directory to write the new key to.
func (s *Store) RotateKey(ctx context.Context) (uint32, error) {
	// Refuse a closed store before a key file is written for nothing.
	if err := s.acquire(ctx); err != nil {
		return 0, err
	}
	s.closeMu.RUnlock()
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.keyDir == "" {
		return 0, fmt.Errorf("%w: the data key was supplied by the operator (Options.DataKey, serve --data-key-file FILE); rotation writes new keys to a key directory, so supply one instead (Options.KeyDir, serve --data-key-file DIR)", ErrKey)
	}
	ids := s.sealer.ids()
	last := ids[len(ids)-1]
	if last == math.MaxUint32 {
		return 0, fmt.Errorf("%w: data key ids are used up", ErrKey)
	}
	id := last + 1
	key, err := newDataKey()
	if err != nil {
		return 0, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return 0, err
	}
	path := filepath.Join(s.keyDir, keyFileName(id))
	if err := writeKeyFile(path, key); err != nil {
		return 0, err
	}

	// The exclusive lock waits for every operation in flight (each holds
	// the shared lock from its first seal to its commit).
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		// The key file stays: unused, and current on the next open,
		// which is harmless.
		return 0, ErrClosed
	}
	s.sealer.addCurrent(id, aead)
	s.keyPaths[id] = path
	s.closeMu.Unlock()

	s.reseal.start(s)
	return id, nil
}

// Reseal starts re-sealing, in the background, the records sealed under a
// data key other than the current one, as RotateKey does after a rotation.
// It is for a re-seal that a restart interrupted: a re-seal does not resume
// by itself when the store is opened.
func (s *Store) Reseal(ctx context.Context) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.closeMu.RUnlock()
	s.reseal.start(s)
	return nil
}

// resealLoop makes re-seal passes until one ends with no rotation during
// it, then closes done.
func (s *Store) resealLoop(done chan struct{}) {
	r := &s.reseal
	for {
		err := s.resealPass(r.ctx)
		r.mu.Lock()
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, ErrClosed) {
			r.lastErr = err.Error()
		}
		if err != nil || !r.again {
			r.running = false
			close(done)
			r.mu.Unlock()
			return
		}
		r.again = false
		r.mu.Unlock()
	}
}

// resealPass walks every sealed record once, in key order, re-sealing
// those not under the current key.
func (s *Store) resealPass(ctx context.Context) error {
	var from []byte
	for {
		keys, next, err := s.resealCandidates(ctx, from)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := s.resealBatch(ctx, keys); err != nil {
				return err
			}
		}
		if next == nil {
			return nil
		}
		from = next
	}
}

// resealCandidates returns up to resealBatch keys from from on whose values
// are not sealed under the current key, and where the next search starts
// (nil at the end).
func (s *Store) resealCandidates(ctx context.Context, from []byte) (keys [][]byte, next []byte, err error) {
	if err := s.acquire(ctx); err != nil {
		return nil, nil, err
	}
	defer s.closeMu.RUnlock()
	current := s.sealer.currentID()
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: from})
	if err != nil {
		return nil, nil, fmt.Errorf("store: re-sealing: %w", err)
	}
	defer it.Close()
	scanned := 0
	for valid := it.First(); valid; valid = it.Next() {
		k := it.Key()
		if isSealedKey(k) {
			v, err := it.ValueAndErr()
			if err != nil {
				return nil, nil, fmt.Errorf("store: re-sealing: reading %s: %w", keyString(k), err)
			}
			if id, ok := sealedKeyID(v); !ok || id != current {
				keys = append(keys, bytes.Clone(k))
			}
		}
		if scanned++; len(keys) == resealBatch || scanned == resealScan {
			// The next search starts just after this key.
			return keys, append(bytes.Clone(k), 0), nil
		}
	}
	if err := it.Error(); err != nil {
		return nil, nil, fmt.Errorf("store: re-sealing: %w", err)
	}
	return keys, nil, nil
}

// resealBatch re-seals the records at keys under the current key in one
// synced batch. It holds the store exclusively, so no writer changes a
// record between its read here and its re-sealed write: a record rewritten
// or deleted since resealCandidates saw it is re-read as it is now, and a
// stale value never overwrites a newer one. Plaintexts are kept byte for
// byte, so the audit trail's hash chain (over the stored encodings before
// sealing) and the tail anchor still hold.
func (s *Store) resealBatch(ctx context.Context, keys [][]byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return ErrClosed
	}
	current := s.sealer.currentID()
	b := s.db.NewBatch()
	defer b.Close()
	var done, failed uint64
	var lastErr error
	for _, k := range keys {
		v, err := s.get(k)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since
		}
		if err != nil {
			return err
		}
		if id, ok := sealedKeyID(v); ok && id == current {
			continue // rewritten since
		}
		pt, err := s.sealer.open(k, v)
		if err != nil {
			failed++
			lastErr = err
			continue
		}
		if err := b.Set(k, s.sealer.seal(k, pt), nil); err != nil {
			return fmt.Errorf("store: re-sealing %s: %w", keyString(k), err)
		}
		done++
	}
	if done > 0 {
		if err := b.Commit(pebble.Sync); err != nil {
			return fmt.Errorf("store: re-sealing: %w", err)
		}
	}
	r := &s.reseal
	r.mu.Lock()
	r.resealed += done
	r.failed += failed
	if lastErr != nil {
		r.lastErr = lastErr.Error()
	}
	r.mu.Unlock()
	return nil
}

// waitReseal waits for the running re-seal, if any, to end.
func (s *Store) waitReseal(ctx context.Context) error { return s.reseal.wait(ctx) }

// KeyStatus reports the data keys: for each, how many records are sealed
// under it, and whether a re-seal is running. It reads every record's key id
// (not its contents), so it takes time in proportion to the store's size.
func (s *Store) KeyStatus(ctx context.Context) (KeyStatus, error) {
	counts, err := s.keyCounts(ctx)
	if err != nil {
		return KeyStatus{}, err
	}
	st := KeyStatus{Current: s.sealer.currentID(), Rotatable: s.keyDir != ""}
	held := s.sealer.ids()
	for _, id := range held {
		st.Keys = append(st.Keys, KeyInfo{ID: id, Records: counts[id], Current: id == st.Current, Held: true})
		delete(counts, id)
	}
	for id, n := range counts {
		st.Keys = append(st.Keys, KeyInfo{ID: id, Records: n})
	}
	slices.SortFunc(st.Keys, func(a, b KeyInfo) int { return cmp.Compare(a.ID, b.ID) })
	r := &s.reseal
	r.mu.Lock()
	st.Resealing, st.Resealed, st.ResealFailed, st.ResealError = r.running, r.resealed, r.failed, r.lastErr
	r.mu.Unlock()
	return st, nil
}

// keyCounts counts the sealed records by the key id they name. A value too
// short to name one counts under id 0, which no key has.
func (s *Store) keyCounts(ctx context.Context) (map[uint32]uint64, error) {
	counts := map[uint32]uint64{}
	var from []byte
	for {
		next, err := s.countKeysFrom(ctx, from, counts)
		if err != nil || next == nil {
			return counts, err
		}
		from = next
	}
}

// countKeysFrom adds the key ids of up to resealScan records from from on to
// counts and returns where the next call starts (nil at the end). The walk
// goes in such pieces, each under the read lock only while it reads: a
// whole-store walk under it would, once a rotation waits for the lock
// exclusively, hold up every other reader and writer (Go's RWMutex admits
// no new reader while a writer waits) for the length of the walk. Counts
// taken in pieces are not one point in time, which RetireKey's use of them
// allows: no record is ever sealed again under a key that is not current.
func (s *Store) countKeysFrom(ctx context.Context, from []byte, counts map[uint32]uint64) (next []byte, err error) {
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.closeMu.RUnlock()
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: from})
	if err != nil {
		return nil, fmt.Errorf("store: counting records by key: %w", err)
	}
	defer it.Close()
	n := 0
	for valid := it.First(); valid; valid = it.Next() {
		k := it.Key()
		if isSealedKey(k) {
			v, err := it.ValueAndErr()
			if err != nil {
				return nil, fmt.Errorf("store: reading %s: %w", keyString(k), err)
			}
			id, _ := sealedKeyID(v)
			counts[id]++
		}
		if n++; n == resealScan {
			return append(bytes.Clone(k), 0), ctx.Err()
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("store: counting records by key: %w", err)
	}
	return nil, nil
}

// RetireKey removes a data key from the key directory. It refuses
// (ErrKeyInUse) the current key and a key that any record is still sealed
// under; ErrNotFound if the store holds no key with that id. Once retired,
// the key is gone from this store: a backup made while records were sealed
// under it needs a copy of it kept elsewhere.
func (s *Store) RetireKey(ctx context.Context, id uint32) error {
	if id == 0 {
		return fmt.Errorf("%w: data key id 0 does not exist (ids start at 1)", ErrInvalid)
	}
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	held := false
	for _, h := range s.sealer.ids() {
		held = held || h == id
	}
	if !held {
		return fmt.Errorf("%w: no data key id %d in this store", ErrNotFound, id)
	}
	if id == s.sealer.currentID() {
		return fmt.Errorf("%w: data key %d is the current key; rotate to a new one first", ErrKeyInUse, id)
	}
	// Only the current key seals new values, and rotations are held off
	// by keyMu, so a count of zero stays zero.
	counts, err := s.keyCounts(ctx)
	if err != nil {
		return err
	}
	if n := counts[id]; n > 0 {
		return fmt.Errorf("%w: %d records are still sealed under data key %d; wait for the re-seal to finish (whorl keys status), or start one", ErrKeyInUse, n, id)
	}
	path, ok := s.keyPaths[id]
	if !ok {
		return fmt.Errorf("%w: data key %d has no key file", ErrKey, id)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("store: retiring data key %d: %w", id, err)
	}
	if err := syncDir(s.keyDir); err != nil {
		return err
	}
	s.sealer.remove(id)
	delete(s.keyPaths, id)
	return nil
}
