package server

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
	"github.com/whorlafis/whorl/store"
)

// maxBackupName bounds the directory a Backup request names.
const maxBackupName = 1024

// Backup implements AdminService.Backup. The request names a new directory
// under the server's backup directory (Config.BackupDir), never a path of
// the client's choosing: an administrator's certificate should not let its
// holder write a copy of the database anywhere the server may write.
func (s *Server) Backup(ctx context.Context, req *whorlv1.BackupRequest) (*whorlv1.BackupResponse, error) {
	if err := checkBackupName(req.GetDirectory()); err != nil {
		return nil, err
	}
	name := req.GetDirectory()
	if s.store == nil {
		return nil, status.Error(codes.FailedPrecondition, "this server has no store")
	}
	if s.backupDir == "" {
		return nil, status.Error(codes.FailedPrecondition, "this server has no backup directory (serve --backup-dir)")
	}
	root, err := filepath.Abs(s.backupDir)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "backup directory: %v", err)
	}
	dir := filepath.Join(root, filepath.Clean(name))
	if err := noSymlinkBelow(root, dir); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(dir); err == nil {
		return nil, status.Errorf(codes.AlreadyExists, "%s exists in the backup directory: a backup goes to a new directory", name)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, status.Errorf(codes.FailedPrecondition, "%v", err)
	}
	if err := s.store.Checkpoint(dir); err != nil {
		return nil, status.Errorf(codes.Internal, "backup: %v", err)
	}
	s.log.Info("backup written", "directory", dir)
	return &whorlv1.BackupResponse{Directory: dir}, nil
}

// checkBackupName accepts a new directory's name, or relative path, under
// the backup directory: nothing absolute, nothing with "..", not the backup
// directory itself.
func checkBackupName(name string) error {
	var v violations
	switch {
	case name == "":
		v.add("directory", "required")
	case len(name) > maxBackupName:
		v.add("directory", "%d bytes, at most %d", len(name), maxBackupName)
	case strings.ContainsFunc(name, unicode.IsControl):
		v.add("directory", "holds control characters")
	case !filepath.IsLocal(name):
		v.add("directory", "must be a name, or a relative path without \"..\", under the server's backup directory")
	case filepath.Clean(name) == ".":
		v.add("directory", "must name a new directory under the server's backup directory")
	}
	return v.err()
}

// noSymlinkBelow refuses a backup path that passes through a symbolic link
// below the backup directory, which could lead out of it.
func noSymlinkBelow(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return status.Errorf(codes.Internal, "backup directory: %v", err)
	}
	p := root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		p = filepath.Join(p, part)
		info, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // the rest is made by the backup
		}
		if err != nil {
			return status.Errorf(codes.FailedPrecondition, "%v", err)
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			return invalid("directory", "passes through a symbolic link in the backup directory")
		}
	}
	return nil
}

// KeyManager manages the store's data keys; package store implements it.
type KeyManager interface {
	RotateKey(ctx context.Context) (uint32, error)
	Reseal(ctx context.Context) error
	KeyStatus(ctx context.Context) (store.KeyStatus, error)
	RetireKey(ctx context.Context, id uint32) error
}

// keys returns the store's key manager.
func (s *Server) keys() (KeyManager, error) {
	km, ok := s.store.(KeyManager)
	if !ok || s.store == nil {
		return nil, status.Error(codes.FailedPrecondition, "this server's store has no data keys to manage")
	}
	return km, nil
}

// RotateKeys implements AdminService.RotateKeys.
func (s *Server) RotateKeys(ctx context.Context, req *whorlv1.RotateKeysRequest) (*whorlv1.RotateKeysResponse, error) {
	km, err := s.keys()
	if err != nil {
		return nil, err
	}
	if req.GetResealOnly() {
		if err := km.Reseal(ctx); err != nil {
			return nil, keyStatusErr(err)
		}
		st, err := km.KeyStatus(ctx)
		if err != nil {
			return nil, keyStatusErr(err)
		}
		s.log.Info("re-seal started", "current_key_id", st.Current)
		return &whorlv1.RotateKeysResponse{KeyId: st.Current}, nil
	}
	id, err := km.RotateKey(ctx)
	if err != nil {
		return nil, keyStatusErr(err)
	}
	s.log.Info("data key rotated; re-sealing in the background", "key_id", id)
	return &whorlv1.RotateKeysResponse{KeyId: id}, nil
}

// KeyStatus implements AdminService.KeyStatus.
func (s *Server) KeyStatus(ctx context.Context, _ *whorlv1.KeyStatusRequest) (*whorlv1.KeyStatusResponse, error) {
	km, err := s.keys()
	if err != nil {
		return nil, err
	}
	st, err := km.KeyStatus(ctx)
	if err != nil {
		return nil, keyStatusErr(err)
	}
	resp := &whorlv1.KeyStatusResponse{
		CurrentKeyId: st.Current,
		Resealing:    st.Resealing,
		Resealed:     st.Resealed,
		ResealFailed: st.ResealFailed,
		ResealError:  st.ResealError,
		Rotatable:    st.Rotatable,
	}
	for _, k := range st.Keys {
		resp.Keys = append(resp.Keys, &whorlv1.DataKeyStatus{KeyId: k.ID, Records: k.Records, Current: k.Current, Held: k.Held})
	}
	return resp, nil
}

// RetireKey implements AdminService.RetireKey.
func (s *Server) RetireKey(ctx context.Context, req *whorlv1.RetireKeyRequest) (*whorlv1.RetireKeyResponse, error) {
	if req.GetKeyId() == 0 {
		return nil, invalid("key_id", "required (key ids start at 1)")
	}
	km, err := s.keys()
	if err != nil {
		return nil, err
	}
	if err := km.RetireKey(ctx, req.GetKeyId()); err != nil {
		return nil, keyStatusErr(err)
	}
	s.log.Info("data key retired", "key_id", req.GetKeyId())
	return &whorlv1.RetireKeyResponse{}, nil
}

// keyStatusErr maps the store's key errors to status codes. Their messages
// name key ids and counts, nothing personal; the rest are the store's
// (storeStatus).
func keyStatusErr(err error) error {
	switch {
	case errors.Is(err, store.ErrKeyInUse), errors.Is(err, store.ErrKey):
		return status.Error(codes.FailedPrecondition, strings.TrimPrefix(err.Error(), "store: "))
	case errors.Is(err, store.ErrNotFound):
		return status.Error(codes.NotFound, strings.TrimPrefix(err.Error(), "store: "))
	case errors.Is(err, store.ErrInvalid):
		return invalid("key_id", "%s", strings.TrimPrefix(err.Error(), "store: "))
	}
	return storeStatus(err)
}
