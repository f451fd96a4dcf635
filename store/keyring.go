package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// A key directory holds the data keys of a store, one file per key id:
//
//	datakey     key id 1 (the one key of a store made before rotation)
//	datakey.N   key id N, for N >= 2 (datakey.1 is also read as id 1)
//
// Each file is 64 hex digits, owner-only (0600), as LoadKeyFile reads it.
// One file per key makes the key set crash-safe without a list to keep
// consistent: a rotation writes the new key to a temporary file, syncs it,
// links it into place and syncs the directory (writeKeyFile) before any
// value is sealed under it, and a retirement removes one file. The current
// key is the one with the highest id: rotation only adds a higher one, and
// the current key cannot be retired. A crash after the new file is durable
// but before the rotation finished leaves a current key nothing uses yet,
// which is harmless.

// keyFileID returns the key id a file name in a key directory stands for.
// Ids are written in canonical decimal, so "datakey.02" is not a key.
func keyFileID(name string) (uint32, bool) {
	if name == KeyFileName {
		return legacyKeyID, true
	}
	digits, ok := strings.CutPrefix(name, KeyFileName+".")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(digits, 10, 32)
	if err != nil || id == 0 || strconv.FormatUint(id, 10) != digits {
		return 0, false
	}
	return uint32(id), true
}

// keyFileName is the name of a new key's file: KeyFileName for id 1, so a
// fresh store looks as it always has, else KeyFileName.N.
func keyFileName(id uint32) string {
	if id == legacyKeyID {
		return KeyFileName
	}
	return KeyFileName + "." + strconv.FormatUint(uint64(id), 10)
}

// loadKeyDir reads every data key in dir, by id, with the path of each
// file. A directory that does not exist holds no keys. A directory others
// may write to is refused: whoever plants a file with a higher id there
// chooses the key new records are sealed under.
func loadKeyDir(dir string) (keys map[uint32][]byte, paths map[uint32]string, err error) {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: key directory: %w", ErrKey, err)
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("%w: key directory %s is not a directory", ErrKey, dir)
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 && runtime.GOOS != "windows" {
		return nil, nil, fmt.Errorf("%w: key directory %s has permissions %04o; others must not write to it (chmod 700)", ErrKey, dir, perm)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: reading key directory: %w", ErrKey, err)
	}
	keys, paths = map[uint32][]byte{}, map[uint32]string{}
	for _, e := range entries {
		id, ok := keyFileID(e.Name())
		if !ok {
			continue // the database, TLS files, a temporary file a crash left
		}
		path := filepath.Join(dir, e.Name())
		if other, dup := paths[id]; dup {
			return nil, nil, fmt.Errorf("%w: %s and %s both hold data key id %d; keep one", ErrKey, other, path, id)
		}
		k, err := LoadKeyFile(path)
		if err != nil {
			return nil, nil, err
		}
		keys[id], paths[id] = k, path
	}
	return keys, paths, nil
}
