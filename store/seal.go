package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// DataKeySize is the length of a data key in bytes (AES-256).
const DataKeySize = 32

// KeyFileName is the data key file inside a store directory.
const KeyFileName = "datakey"

// legacyKeyID is the id of the key in the key file KeyFileName, and of the
// key passed in Options.DataKey: the one key every store had before
// rotation.
const legacyKeyID uint32 = 1

// sealKeyInfo is the HKDF label of the AES key derived from a data key. The
// version lets a later scheme derive a different key from the same secret.
const sealKeyInfo = "whorl store seal key v1"

const (
	keyIDSize   = 4
	nonceSize   = 12
	tagSize     = 16
	sealedExtra = keyIDSize + nonceSize + tagSize
)

// sealer seals and opens values under the data keys it holds, by key id.
// New values are sealed under the current key; any key it holds opens.
// mu guards the key set, which rotation and retirement change while the
// store serves.
type sealer struct {
	mu      sync.RWMutex
	current uint32
	aeads   map[uint32]cipher.AEAD
}

// newSealer returns a sealer holding one data key, under the legacy id 1.
func newSealer(dataKey []byte) (*sealer, error) {
	return newSealerKeys(map[uint32][]byte{legacyKeyID: dataKey})
}

// newSealerKeys returns a sealer holding keys by id; the highest id is the
// current key (rotation only ever adds a higher one, and refuses to retire
// the current one).
func newSealerKeys(keys map[uint32][]byte) (*sealer, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no data key", ErrKey)
	}
	s := &sealer{aeads: make(map[uint32]cipher.AEAD, len(keys))}
	for id, k := range keys {
		aead, err := newAEAD(k)
		if err != nil {
			return nil, fmt.Errorf("data key id %d: %w", id, err)
		}
		s.aeads[id] = aead
		s.current = max(s.current, id)
	}
	return s, nil
}

// newAEAD derives the AES-256-GCM sealing key from a data key.
func newAEAD(dataKey []byte) (cipher.AEAD, error) {
	if len(dataKey) != DataKeySize {
		return nil, fmt.Errorf("%w: data key is %d bytes, want %d", ErrKey, len(dataKey), DataKeySize)
	}
	aesKey, err := hkdf.Key(sha256.New, dataKey, nil, sealKeyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("store: deriving the sealing key: %w", err)
	}
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// The random-nonce form is the one FIPS 140-3 mode approves for
	// caller-managed keys; it also lays out nonce | ciphertext exactly as
	// the value format wants.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return aead, nil
}

// seal encrypts plaintext for the record at key under the current data
// key, binding the two.
func (s *sealer) seal(key, plaintext []byte) []byte {
	s.mu.RLock()
	id, aead := s.current, s.aeads[s.current]
	s.mu.RUnlock()
	out := make([]byte, keyIDSize, sealedExtra+len(plaintext))
	binary.BigEndian.PutUint32(out, id)
	return aead.Seal(out, nil, plaintext, key)
}

// open decrypts the value stored at key. The error names the key, so a
// report points at the damaged record.
func (s *sealer) open(key, value []byte) ([]byte, error) {
	id, ok := sealedKeyID(value)
	if !ok {
		return nil, fmt.Errorf("%w: record %s: sealed value of %d bytes is shorter than the %d-byte minimum",
			ErrCorrupt, keyString(key), len(value), sealedExtra)
	}
	s.mu.RLock()
	aead, ok := s.aeads[id]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: record %s is sealed under data key id %d, which this store was not given",
			ErrKey, keyString(key), id)
	}
	pt, err := aead.Open(nil, nil, value[keyIDSize:], key)
	if err != nil {
		return nil, fmt.Errorf("%w: record %s failed authentication under data key id %d (tampered, moved from another key, or sealed under a different key)",
			ErrCorrupt, keyString(key), id)
	}
	return pt, nil
}

// sealedKeyID returns the data key id a sealed value names; false if the
// value is too short to be sealed.
func sealedKeyID(value []byte) (uint32, bool) {
	if len(value) < sealedExtra {
		return 0, false
	}
	return binary.BigEndian.Uint32(value), true
}

// currentID returns the id new values are sealed under.
func (s *sealer) currentID() uint32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.current
}

// ids returns the ids of the keys the sealer holds, ascending.
func (s *sealer) ids() []uint32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]uint32, 0, len(s.aeads))
	for id := range s.aeads {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// addCurrent adds a key and makes it the current one.
func (s *sealer) addCurrent(id uint32, aead cipher.AEAD) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aeads[id] = aead
	s.current = id
}

// remove forgets a key that is not the current one.
func (s *sealer) remove(id uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != s.current {
		delete(s.aeads, id)
	}
}

// LoadKeyFile reads a data key file: 64 hex digits, optionally followed by a
// newline. It refuses a file that anyone but its owner may read or write,
// because the key is what keeps the database private.
func LoadKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	defer f.Close()
	// Stat the opened file rather than the path, so the mode checked is the
	// mode of the file read (a symlink to a secrets mount is fine).
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: key file %s is not a regular file", ErrKey, path)
	}
	// Windows has no Unix permission bits to check.
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%w: key file %s has permissions %04o; it must be readable by its owner only (chmod 600)",
			ErrKey, path, perm)
	}
	// A key file is 65 bytes; reading a little more is enough to tell one
	// that holds more than a key.
	buf, err := io.ReadAll(io.LimitReader(f, 4*DataKeySize))
	if err != nil {
		return nil, fmt.Errorf("%w: reading key file %s: %w", ErrKey, path, err)
	}
	text := strings.TrimRight(string(buf), "\r\n")
	key, err := hex.DecodeString(text)
	if err != nil || len(key) != DataKeySize {
		return nil, fmt.Errorf("%w: key file %s does not hold %d hex digits", ErrKey, path, 2*DataKeySize)
	}
	return key, nil
}

// createKeyFile makes a new random data key at path with owner-only
// permissions (see writeKeyFile). If another process made the file first,
// its key is used.
func createKeyFile(path string) ([]byte, error) {
	key, err := newDataKey()
	if err != nil {
		return nil, err
	}
	if err := writeKeyFile(path, key); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process made the key first; use theirs.
			return LoadKeyFile(path)
		}
		return nil, err
	}
	return key, nil
}

// newDataKey returns DataKeySize random bytes.
func newDataKey() ([]byte, error) {
	key := make([]byte, DataKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("store: generating a data key: %w", err)
	}
	return key, nil
}

// writeKeyFile writes key to a new file at path, owner-only, and makes it
// durable before returning. The key is written to a temporary file, synced,
// then linked into place and the directory synced, so a crash never leaves
// a half-written key under the real name, and an existing file is never
// overwritten (the error then wraps fs.ErrExist).
func writeKeyFile(path string, key []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".datakey-*")
	if err != nil {
		return fmt.Errorf("store: creating the key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp already uses 0600; Chmod states the requirement and
	// ignores the umask either way.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("store: creating the key file: %w", err)
	}
	if _, err := tmp.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("store: writing the key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("store: syncing the key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store: writing the key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("store: installing the key file %s: %w", path, err)
	}
	return syncDir(dir)
}

// syncDir makes a directory's new entries durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for syncing there
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: syncing %s: %w", dir, err)
	}
	return nil
}
