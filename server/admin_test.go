package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/whorlafis/whorl/matcher"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
	"github.com/whorlafis/whorl/store"
)

func openStore(t *testing.T, opts store.Options) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), opts)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// A backup goes to a new directory under the backup directory, named by
// the request; any other path is InvalidArgument with a BadRequest detail.
func TestBackupDirectory(t *testing.T) {
	ctx := context.Background()
	backups := filepath.Join(t.TempDir(), "backups")
	outside := t.TempDir()
	require.NoError(t, os.MkdirAll(backups, 0o700))
	require.NoError(t, os.Symlink(outside, filepath.Join(backups, "link")))
	admin := whorlv1.NewAdminServiceClient(startServer(t, Config{Gallery: &matcher.Gallery{}, Store: openStore(t, store.Options{}), BackupDir: backups}))

	for _, tc := range []struct {
		name string
		code codes.Code
	}{
		{"", codes.InvalidArgument},
		{outside + "/x", codes.InvalidArgument},
		{"../x", codes.InvalidArgument},
		{"a/../../x", codes.InvalidArgument},
		{".", codes.InvalidArgument},
		{"a/..", codes.InvalidArgument},
		{"bad\x00name", codes.InvalidArgument},
		{"new\nline", codes.InvalidArgument},
		{"link/x", codes.InvalidArgument},
		{"link", codes.InvalidArgument},
		{"daily-1", codes.OK},
		{"daily-1", codes.AlreadyExists},
		{"2026/11/28", codes.OK},
		{"2026/11", codes.AlreadyExists},
	} {
		resp, err := admin.Backup(ctx, &whorlv1.BackupRequest{Directory: tc.name})
		require.Equal(t, tc.code, status.Code(err), "%q: %v", tc.name, err)
		if tc.code == codes.InvalidArgument {
			d := status.Convert(err).Details()
			require.Len(t, d, 1, "%q", tc.name)
			assert.Equal(t, "directory", d[0].(*errdetails.BadRequest).FieldViolations[0].Field)
		}
		if tc.code == codes.OK {
			assert.Equal(t, filepath.Join(backups, tc.name), resp.Directory)
			_, err := os.Stat(filepath.Join(backups, tc.name, "db"))
			assert.NoError(t, err)
		}
	}
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing written through the symbolic link")

	// Without a backup directory, no backup.
	admin = whorlv1.NewAdminServiceClient(startServer(t, Config{Gallery: &matcher.Gallery{}, Store: openStore(t, store.Options{})}))
	_, err = admin.Backup(ctx, &whorlv1.BackupRequest{Directory: "x"})
	assert.Equal(t, codes.FailedPrecondition, status.Code(err))
}

func TestKeyRPCs(t *testing.T) {
	ctx := context.Background()
	admin := whorlv1.NewAdminServiceClient(startServer(t, Config{Gallery: &matcher.Gallery{}, Store: openStore(t, store.Options{})}))
	st, err := admin.KeyStatus(ctx, &whorlv1.KeyStatusRequest{})
	require.NoError(t, err)
	assert.Equal(t, uint32(1), st.CurrentKeyId)
	assert.True(t, st.Rotatable)
	require.Len(t, st.Keys, 1)
	assert.Equal(t, uint64(1), st.Keys[0].Records, "the index key")

	r, err := admin.RotateKeys(ctx, &whorlv1.RotateKeysRequest{})
	require.NoError(t, err)
	assert.Equal(t, uint32(2), r.KeyId)
	for st.CurrentKeyId != 2 || st.Resealing {
		st, err = admin.KeyStatus(ctx, &whorlv1.KeyStatusRequest{})
		require.NoError(t, err)
	}
	require.Len(t, st.Keys, 2)
	assert.Equal(t, &whorlv1.DataKeyStatus{KeyId: 1, Records: 0, Held: true}, st.Keys[0])

	for _, tc := range []struct {
		id   uint32
		code codes.Code
	}{{0, codes.InvalidArgument}, {9, codes.NotFound}, {2, codes.FailedPrecondition}, {1, codes.OK}, {1, codes.NotFound}} {
		_, err := admin.RetireKey(ctx, &whorlv1.RetireKeyRequest{KeyId: tc.id})
		assert.Equal(t, tc.code, status.Code(err), "retire %d: %v", tc.id, err)
	}
	r, err = admin.RotateKeys(ctx, &whorlv1.RotateKeysRequest{ResealOnly: true})
	require.NoError(t, err)
	assert.Equal(t, uint32(2), r.KeyId, "reseal_only makes no key")

	// An operator's single key cannot rotate.
	admin = whorlv1.NewAdminServiceClient(startServer(t, Config{Gallery: &matcher.Gallery{}, Store: openStore(t, store.Options{DataKey: make([]byte, 32)})}))
	_, err = admin.RotateKeys(ctx, &whorlv1.RotateKeysRequest{})
	assert.Equal(t, codes.FailedPrecondition, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "supplied by the operator")
}

// Backup names come from clients: an accepted name always lands strictly
// inside the backup directory; a refused one is InvalidArgument.
func FuzzCheckBackupName(f *testing.F) {
	for _, seed := range []string{"daily", "a/b/c", "", ".", "..", "../x", "a/../..", "/etc", "a\x00b", "./a", "a//b/"} {
		f.Add(seed)
	}
	const root = "/var/backups/whorl"
	f.Fuzz(func(t *testing.T, name string) {
		if err := checkBackupName(name); err != nil {
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("checkBackupName(%q): %v", name, err)
			}
			return
		}
		rel, err := filepath.Rel(root, filepath.Join(root, filepath.Clean(name)))
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) {
			t.Fatalf("checkBackupName(%q) accepted a path outside the backup directory: %q", name, rel)
		}
	})
}
