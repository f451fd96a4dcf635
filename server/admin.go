package server

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// Backup implements AdminService.Backup.
func (s *Server) Backup(ctx context.Context, req *whorlv1.BackupRequest) (*whorlv1.BackupResponse, error) {
	dir := req.GetDirectory()
	var v violations
	switch {
	case dir == "":
		v.add("directory", "required")
	case len(dir) > 4096:
		v.add("directory", "%d bytes, at most 4096", len(dir))
	case !filepath.IsAbs(dir):
		v.add("directory", "must be an absolute path on the server's machine")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if s.store == nil {
		return nil, status.Error(codes.FailedPrecondition, "this server has no store")
	}
	if _, err := os.Stat(dir); err == nil {
		return nil, status.Errorf(codes.AlreadyExists, "%s exists: a backup goes to a new directory", dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, status.Errorf(codes.FailedPrecondition, "%v", err)
	}
	if err := s.store.Checkpoint(dir); err != nil {
		return nil, status.Errorf(codes.Internal, "backup: %v", err)
	}
	s.log.Info("backup written", "directory", dir)
	return &whorlv1.BackupResponse{Directory: dir}, nil
}
