package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// SchemaVersion is the layout of keys and values this build reads and writes.
// Open refuses a store with any other version but schemaBeforeAnchor, which
// it migrates: a newer one may hold records this build would misread or
// destroy, and an older one would need a migration.
const SchemaVersion uint32 = 2

// schemaBeforeAnchor is the schema of stores written before the audit
// trail's tail anchor (anchor.go). Open migrates such a store by anchoring
// its trail at its last record and writing SchemaVersion, in one synced
// batch: a truncation of the trail before that moment cannot be shown. In a
// store of SchemaVersion, a trail without an anchor has been tampered with.
const schemaBeforeAnchor uint32 = 1

// idBlock is how many internal ids the store reserves at a time. A block
// costs one synced metadata write; a restart skips what is left of it.
const idBlock = 1024

// Sentinel errors. Errors from the store wrap one of these, with the detail
// (which record, which file) in the message; test with errors.Is.
var (
	// ErrNotFound: no subject with that id.
	ErrNotFound = errors.New("store: not found")
	// ErrInvalid: the caller's argument breaks a rule (an empty or overlong
	// id, too many fingers, an invalid template, a bad page token).
	ErrInvalid = errors.New("store: invalid argument")
	// ErrRequestConflict: a request id already used for a different write.
	ErrRequestConflict = errors.New("store: request id already used for a different request")
	// ErrSchema: the database's schema version is not the one this build reads.
	ErrSchema = errors.New("store: unsupported schema version")
	// ErrKey: the data key is missing, malformed, exposed (key file
	// permissions), or not the key this store was sealed with.
	ErrKey = errors.New("store: data key")
	// ErrCorrupt: a record failed authentication or does not decode.
	ErrCorrupt = errors.New("store: corrupt record")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
)

// Options configure Open. The zero value is a store whose data keys live in
// the store directory.
type Options struct {
	// DataKey is the 32-byte data key, supplied by the operator. It is key
	// id 1 and the store's only key: RotateKey refuses, since the store
	// must not write key material the operator chose to keep elsewhere (use
	// KeyDir for an operator's key store that rotation may write to). When
	// nil, the keys are read from KeyDir.
	DataKey []byte
	// KeyDir is the directory of the data key files, one per key id
	// (keyring.go): KeyFileName is id 1, KeyFileName.N is id N. Rotation
	// writes new keys there and retirement removes them. Empty means the
	// store directory. If it holds no key and the database does not exist
	// yet, a fresh random key is created as KeyFileName.
	KeyDir string
	// Logger receives Pebble's messages; nil means slog.Default().
	Logger *slog.Logger
}

// Store is the system of record. Its methods are safe for concurrent use.
type Store struct {
	dir      string
	db       *pebble.DB
	sealer   *sealer
	indexKey []byte

	// closeMu is held for reading by every operation and for writing by
	// Close, so Close waits for operations in flight and later ones get
	// ErrClosed instead of a Pebble panic.
	closeMu sync.RWMutex
	closed  bool

	// stripes serialise the read-decide-write of writes that touch the same
	// subject name or request id (Pebble has no transactions), while writes
	// to different subjects proceed together and share Pebble's group commit.
	stripes [64]sync.Mutex

	idMu      sync.Mutex
	nextID    uint64 // next internal id to hand out
	idCeiling uint64 // ids below this are reserved on disk

	// audit is the head of the audit trail's hash chain (audit.go).
	audit auditChain

	// keyDir is where the data key files are, "" when the operator passed
	// the key in Options.DataKey; keyPaths is each key's file. keyMu
	// serialises rotations and retirements (rotate.go).
	keyDir   string
	keyPaths map[uint32]string
	keyMu    sync.Mutex
	// reseal runs the background re-sealing after a rotation (rotate.go).
	reseal resealer
}

// Open opens the store in dir, creating it if needed. The database lives in
// dir/db; see the package documentation for the directory and key layout.
func Open(dir string, opts Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: creating %s: %w", dir, err)
	}
	dbDir := filepath.Join(dir, "db")
	_, err := os.Stat(dbDir)
	dbExists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: %w", err)
	}

	var (
		keys     map[uint32][]byte
		keyPaths map[uint32]string
		keyDir   string
	)
	if opts.DataKey != nil {
		keys = map[uint32][]byte{legacyKeyID: opts.DataKey}
	} else {
		keyDir = opts.KeyDir
		if keyDir == "" {
			keyDir = dir
		}
		if keys, keyPaths, err = loadKeyDir(keyDir); err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			keyPath := filepath.Join(keyDir, KeyFileName)
			if dbExists {
				// A new key would open nothing that is there.
				return nil, fmt.Errorf("%w: %s holds a database but no key file %s; pass the key in Options.DataKey or restore the file",
					ErrKey, dir, keyPath)
			}
			if err := os.MkdirAll(keyDir, 0o700); err != nil {
				return nil, fmt.Errorf("store: creating %s: %w", keyDir, err)
			}
			k, err := createKeyFile(keyPath)
			if err != nil {
				return nil, err
			}
			keys, keyPaths = map[uint32][]byte{legacyKeyID: k}, map[uint32]string{legacyKeyID: keyPath}
		}
	}
	sl, err := newSealerKeys(keys)
	if err != nil {
		return nil, err
	}

	// Pebble creates its directory world-readable; the data is sealed, but
	// its shape (how many subjects, when written) is nobody else's business.
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		return nil, fmt.Errorf("store: creating %s: %w", dbDir, err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	db, err := pebble.Open(dbDir, &pebble.Options{
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{logger.With("component", "pebble")},
	})
	if err != nil {
		return nil, fmt.Errorf("store: opening the database in %s: %w", dbDir, err)
	}
	s := &Store{dir: dir, db: db, sealer: sl, keyDir: keyDir, keyPaths: keyPaths}
	s.reseal.init()
	if err := s.init(dbDir); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// init checks the schema version and the data key, creating both records in
// a fresh database, and restores the id counter.
func (s *Store) init(dbDir string) error {
	version, err := s.getMeta(metaSchemaKey, 4)
	if err != nil {
		return err
	}
	if version == nil {
		empty, err := s.empty()
		if err != nil {
			return err
		}
		if !empty {
			return fmt.Errorf("%w: %s holds records but no schema version; it was not written by Whorl's store", ErrSchema, dbDir)
		}
		return s.create()
	}
	v := binary.BigEndian.Uint32(version)
	if v != SchemaVersion && v != schemaBeforeAnchor {
		if v > SchemaVersion {
			return fmt.Errorf("%w: %s has schema version %d, newer than the %d this build reads; run a newer Whorl",
				ErrSchema, dbDir, v, SchemaVersion)
		}
		return fmt.Errorf("%w: %s has schema version %d, older than %d, and there is no migration from it",
			ErrSchema, dbDir, v, SchemaVersion)
	}

	sealed, err := s.get(metaIndexKeyKey)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: %s has no index key record", ErrCorrupt, dbDir)
		}
		return err
	}
	ik, err := s.sealer.open(metaIndexKeyKey, sealed)
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			// The one record every store has: if it does not open, the
			// key is the likelier culprit than the disk.
			return fmt.Errorf("%w: the data key does not open the store in %s (it was sealed under another key, or its key record is damaged)",
				ErrKey, dbDir)
		}
		return err
	}
	if len(ik) != sha256Size {
		return fmt.Errorf("%w: index key record holds %d bytes, want %d", ErrCorrupt, len(ik), sha256Size)
	}
	s.indexKey = ik

	ceiling, err := s.getMeta(metaIDCeilingKey, 8)
	if err != nil {
		return err
	}
	if ceiling != nil {
		s.idCeiling = binary.BigEndian.Uint64(ceiling)
	}
	// Start past the reserved block: ids in it may have been handed out
	// before a crash. The last subject key guards against a ceiling record
	// that somehow lags.
	s.nextID = max(s.idCeiling, 1)
	last, err := s.lastSubjectID()
	if err != nil {
		return err
	}
	if last >= s.nextID {
		s.nextID = last + 1
	}
	s.idCeiling = s.nextID
	if v == schemaBeforeAnchor {
		return s.migrateToAnchor(dbDir)
	}
	return nil
}

// migrateToAnchor anchors the audit trail of a store of schemaBeforeAnchor
// at its last record and moves it to SchemaVersion.
func (s *Store) migrateToAnchor(dbDir string) error {
	c := s.auditChain()
	if err := s.loadAuditHead(c); err != nil {
		return fmt.Errorf("store: migrating %s to schema %d (the audit tail anchor): %w", dbDir, SchemaVersion, err)
	}
	b := s.db.NewBatch()
	defer b.Close()
	if c.lastSeq > 0 {
		if err := s.putAuditAnchor(b, c.lastSeq, c.lastHash); err != nil {
			return err
		}
	}
	if err := b.Set(metaSchemaKey, binary.BigEndian.AppendUint32(nil, SchemaVersion), nil); err != nil {
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("store: migrating %s to schema %d: %w", dbDir, SchemaVersion, err)
	}
	return nil
}

const sha256Size = 32

// create writes the records of a fresh store: its schema version and its
// random index key.
func (s *Store) create() error {
	ik := make([]byte, sha256Size)
	if _, err := rand.Read(ik); err != nil {
		return fmt.Errorf("store: generating the index key: %w", err)
	}
	b := s.db.NewBatch()
	defer b.Close()
	var v [4]byte
	binary.BigEndian.PutUint32(v[:], SchemaVersion)
	b.Set(metaSchemaKey, v[:], nil)
	b.Set(metaIndexKeyKey, s.sealer.seal(metaIndexKeyKey, ik), nil)
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("store: initialising the database: %w", err)
	}
	s.indexKey = ik
	s.nextID, s.idCeiling = 1, 1
	return nil
}

// getMeta reads a plaintext metadata value of a fixed size; nil if absent.
func (s *Store) getMeta(key []byte, size int) ([]byte, error) {
	v, err := s.get(key)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(v) != size {
		return nil, fmt.Errorf("%w: record %s holds %d bytes, want %d", ErrCorrupt, keyString(key), len(v), size)
	}
	return v, nil
}

// get returns a copy of the value at key, or ErrNotFound.
func (s *Store) get(key []byte) ([]byte, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: reading %s: %w", keyString(key), err)
	}
	out := bytes.Clone(v)
	closer.Close()
	return out, nil
}

// empty reports whether the database holds no keys at all.
func (s *Store) empty() (bool, error) {
	it, err := s.db.NewIter(nil)
	if err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	found := it.First()
	if err := it.Close(); err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	return !found, nil
}

// lastSubjectID returns the largest internal id in use, 0 if none.
func (s *Store) lastSubjectID() (uint64, error) {
	lo, hi := prefixBounds(kindSubject)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	var id uint64
	if it.Last() {
		var ok bool
		if id, ok = subjectKeyID(it.Key()); !ok {
			it.Close()
			return 0, fmt.Errorf("%w: malformed subject key %x", ErrCorrupt, it.Key())
		}
	}
	if err := it.Close(); err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	return id, nil
}

// allocID hands out a fresh internal id, reserving a new block on disk (one
// synced write) when the current one is used up.
func (s *Store) allocID() (uint64, error) {
	s.idMu.Lock()
	defer s.idMu.Unlock()
	if s.nextID >= s.idCeiling {
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], s.nextID+idBlock)
		if err := s.db.Set(metaIDCeilingKey, v[:], pebble.Sync); err != nil {
			return 0, fmt.Errorf("store: reserving internal ids: %w", err)
		}
		s.idCeiling = s.nextID + idBlock
	}
	id := s.nextID
	s.nextID++
	return id, nil
}

// acquire takes the store for one operation; release with s.closeMu.RUnlock.
func (s *Store) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return ErrClosed
	}
	return nil
}

// Checkpoint writes a consistent copy of the database to dir/db, a backup
// that Open(dir, ...) opens given the same data key. dir must not exist. The
// key file is not copied: keep the key apart from the backups it protects
// (LoadKeyFile reads it for a restore).
func (s *Store) Checkpoint(dir string) error {
	if err := s.acquire(context.Background()); err != nil {
		return err
	}
	defer s.closeMu.RUnlock()
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	// Mkdir, not MkdirAll: it fails if dir exists, so a backup never
	// mixes with an older one.
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	if err := s.db.Checkpoint(filepath.Join(dir, "db")); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("store: checkpoint to %s: %w", dir, err)
	}
	return nil
}

// Close waits for operations in flight and closes the database. Later calls
// to any method return ErrClosed.
func (s *Store) Close() error {
	// A re-seal in progress stops between batches; what it did not reach
	// stays under the older key, readable, until the next re-seal.
	s.reseal.stop()
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: closing %s: %w", s.dir, err)
	}
	return nil
}

// pebbleLogger sends Pebble's messages to slog. Pebble's messages name files
// and key ranges; keys hold no plaintext ids (see doc.go), so nothing
// biometric or personal reaches the log.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	// Pebble's informational messages are routine housekeeping.
	p.l.Debug(fmt.Sprintf(format, args...))
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...))
}

// Fatalf must not return (Pebble calls it on unrecoverable states such as
// on-disk corruption). Exiting, as Pebble's own logger does, rather than
// panicking keeps a recovering gRPC interceptor from serving on from a
// broken database.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "fatal", true)
	os.Exit(1)
}
