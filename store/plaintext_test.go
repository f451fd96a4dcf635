package store

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

// The files on disk — write-ahead log, sstables, everything in the store
// directory — hold no subject id, request id or template bytes in the clear.
func TestNoPlaintextOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	require.NoError(t, err)

	type needle struct {
		what  string
		bytes []byte
	}
	var needles []needle
	for i := range 20 {
		id := fmt.Sprintf("PLAINTEXT-SUBJECT-%03d-ZQX", i)
		req := fmt.Sprintf("PLAINTEXT-REQUEST-%03d-ZQX", i)
		subj := synthSubject(id, uint64(1000+i), 10)
		mustPut(t, s, subj, req)
		needles = append(needles, needle{"subject id " + id, []byte(id)}, needle{"request id " + req, []byte(req)})
		for f := range subj.Fingers {
			native, err := minutiae.MarshalTemplate(&subj.Fingers[f])
			require.NoError(t, err)
			needles = append(needles, needle{fmt.Sprintf("native template %d of %s", f, id), native})
		}
	}

	// A control written in the clear, straight to Pebble, must be found by
	// the same search: it proves the search sees what reaches the WAL and
	// the sstables (through Pebble's block compression) and so would catch
	// a leak.
	control := synthTemplate(4242, minutiae.LeftIndex)
	controlNative, err := minutiae.MarshalTemplate(&control)
	require.NoError(t, err)
	controlID := []byte("PLAINTEXT-CONTROL-ZQX")
	require.NoError(t, s.db.Set([]byte("zcontrol"), append(append([]byte(nil), controlID...), controlNative...), pebble.Sync))

	check := func(phase string) {
		t.Helper()
		files := readTree(t, dir)
		require.NotEmpty(t, files)
		var all [][]byte
		for path, data := range files {
			for _, n := range needles {
				require.False(t, bytes.Contains(data, n.bytes), "%s: %s found in the clear in %s", phase, n.what, path)
			}
			all = append(all, data)
		}
		joined := bytes.Join(all, nil)
		require.True(t, bytes.Contains(joined, controlID), "%s: control id not found; the search sees nothing", phase)
		require.True(t, bytes.Contains(joined, controlNative), "%s: control template not found; the search sees nothing", phase)
	}

	// Everything so far is in the WAL and the memtable.
	check("write-ahead log")
	require.True(t, hasFile(t, dir, ".log"), "expected a WAL file")

	// Flushed to sstables, and compacted by a reopen.
	require.NoError(t, s.db.Flush())
	require.NoError(t, s.Close())
	require.True(t, hasFile(t, dir, ".sst"), "expected sstables after the flush")
	check("sstables")

	s, err = Open(dir, Options{})
	require.NoError(t, err)
	got, err := s.GetSubject(ctx, "PLAINTEXT-SUBJECT-007-ZQX")
	require.NoError(t, err, "the data is there, only sealed")
	require.Len(t, got.Fingers, 10)
	require.NoError(t, s.db.Compact(ctx, []byte{0}, []byte{0xff}, true))
	require.NoError(t, s.Close())
	check("after compaction")
}

// readTree reads every regular file under dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[path] = data
		return nil
	})
	require.NoError(t, err)
	return files
}

func hasFile(t *testing.T, dir, suffix string) bool {
	t.Helper()
	for path := range readTree(t, dir) {
		if strings.HasSuffix(path, suffix) {
			return true
		}
	}
	return false
}
