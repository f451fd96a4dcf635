package server

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/whorlafis/whorl/minutiae"
	"github.com/whorlafis/whorl/minutiae/ansinist"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
	"github.com/whorlafis/whorl/store"
)

// Store is the system of record the gallery service writes through;
// package store implements it.
type Store interface {
	PutSubject(ctx context.Context, s *store.Subject, requestID string) (store.PutResult, error)
	GetSubject(ctx context.Context, subjectID string) (*store.Subject, error)
	DeleteSubject(ctx context.Context, subjectID string) error
	ListSubjects(ctx context.Context, pageToken string, pageSize int) ([]*store.Subject, string, error)
	Scan(ctx context.Context, workers int, fn func(*store.Subject) error) error
	Checkpoint(dir string) error
}

// Load fills the gallery from the store, decoding on every core; the
// server calls it once, before it serves.
func (s *Server) Load(ctx context.Context) (subjects int, err error) {
	if s.store == nil {
		return 0, nil
	}
	var n atomic.Int64
	err = s.store.Scan(ctx, 0, func(subj *store.Subject) error {
		if err := s.gallery.AddSubject(subj.ID, subj.Fingers); err != nil {
			return fmt.Errorf("loading a subject into the gallery: %w", err)
		}
		n.Add(1)
		return nil
	})
	return int(n.Load()), err
}

// chanMutex is a mutex as a one-token channel (an array of them needs no
// initialisation order).
type chanMutex chan struct{}

// subjectLocks serialise writes to one subject across the store and the
// gallery, so that the gallery ends with what the store has.
type subjectLocks struct {
	seed    maphash.Seed
	stripes [64]chanMutex
}

func newSubjectLocks() *subjectLocks {
	l := &subjectLocks{seed: maphash.MakeSeed()}
	for i := range l.stripes {
		l.stripes[i] = make(chanMutex, 1)
	}
	return l
}

func (l *subjectLocks) lock(subject string) func() {
	m := l.stripes[maphash.String(l.seed, subject)%uint64(len(l.stripes))]
	m <- struct{}{}
	return func() { <-m }
}

// Enroll implements GalleryService.Enroll.
func (s *Server) Enroll(ctx context.Context, req *whorlv1.EnrollRequest) (*whorlv1.EnrollResponse, error) {
	var v violations
	checkID(&v, "request_id", req.GetRequestId(), maxRequestIDBytes, false)
	checkID(&v, "subject_id", req.GetSubjectId(), maxSubjectIDBytes, true)
	switch {
	case len(req.GetAnsiNist()) > 0 && len(req.GetFingers()) > 0:
		v.add("ansi_nist", "give fingers or an ANSI/NIST-ITL transaction, not both")
	case len(req.GetAnsiNist()) == 0 && len(req.GetFingers()) == 0:
		v.add("fingers", "at least one finger (or ansi_nist) is required")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var fingers []minutiae.Template
	var err error
	if len(req.GetAnsiNist()) > 0 {
		fingers, err = s.transactionTemplates(ctx, req.GetAnsiNist())
	} else {
		fingers, err = s.templates(ctx, "fingers", req.GetFingers())
	}
	if err != nil {
		return nil, err
	}
	// Everything the gallery would refuse is refused before the store is
	// written: an acknowledged subject is always searchable.
	checkSearchable(&v, "fingers", fingers)
	if err := v.err(); err != nil {
		return nil, err
	}
	if s.store == nil {
		return nil, status.Error(codes.FailedPrecondition, "this server has no store: enrolment is not possible")
	}
	resp, err := s.storeEnrolment(ctx, req, fingers)
	if err != nil {
		return nil, err
	}
	// The subject is stored and searchable; its fingers are searched
	// against the unsolved latents without its lock held, and the response
	// waits for that (see reverseSearch).
	if err := s.reverseSearch(ctx, req.GetSubjectId(), fingers); err != nil {
		return nil, status.Error(codes.Unavailable,
			"the subject is enrolled, but the search of the unsolved latent file did not finish: send the request again (with the same request_id) to complete it")
	}
	return resp, nil
}

// storeEnrolment writes a checked enrolment through the store to the
// gallery, under the subject's lock.
func (s *Server) storeEnrolment(ctx context.Context, req *whorlv1.EnrollRequest, fingers []minutiae.Template) (*whorlv1.EnrollResponse, error) {
	unlock := s.locks.lock(req.GetSubjectId())
	defer unlock()
	res, err := s.store.PutSubject(ctx, &store.Subject{ID: req.GetSubjectId(), Fingers: fingers}, req.GetRequestId())
	if err != nil {
		return nil, storeStatus(err)
	}
	switch {
	case !res.Replayed:
		if err := s.gallery.AddSubject(req.GetSubjectId(), fingers); err != nil {
			// Not reachable after checkSearchable, but if it were, the
			// gallery must not keep an older version of the subject than
			// the store: take it out; the next start loads the new one.
			s.gallery.RemoveSubject(req.GetSubjectId())
			s.log.Error("enrolled subject not added to the gallery", "err", err)
			return nil, status.Errorf(codes.Internal, "stored but not searchable until restart: %v", err)
		}
	case !s.gallery.HasSubject(req.GetSubjectId()):
		// A replayed request whose first attempt was stored but never
		// reached the gallery (see above): repair from the store.
		if subj, err := s.store.GetSubject(ctx, req.GetSubjectId()); err == nil {
			if err := s.gallery.AddSubject(subj.ID, subj.Fingers); err != nil {
				s.log.Error("replayed subject not added to the gallery", "err", err)
			}
		}
	}
	resp := &whorlv1.EnrollResponse{SubjectId: req.GetSubjectId(), Replaced: res.Replaced, Replayed: res.Replayed}
	for _, t := range fingers {
		resp.Fingers = append(resp.Fingers, whorlv1.FingerPosition(t.Position))
	}
	return resp, nil
}

// transactionTemplates extracts the fingers of an ANSI/NIST-ITL
// transaction: its single-finger images (Type-3/4/5/6/14) with one finger
// position 1-10; latents, palms, slaps and images of unknown position are
// not enrolled, and of two images of one finger the first is. The images
// are counted before any is decoded.
func (s *Server) transactionTemplates(ctx context.Context, data []byte) ([]minutiae.Template, error) {
	t, err := ansinist.Read(data)
	if err != nil {
		return nil, invalid("ansi_nist", "%v", err)
	}
	var prints []ansinist.Fingerprint
	seen := map[minutiae.FingerPosition]bool{}
	for _, fp := range t.Fingerprints() {
		if fp.RecordType == 13 || len(fp.Positions) != 1 {
			continue
		}
		if p := fp.Positions[0]; p != minutiae.UnknownFinger && p.Valid() && !seen[p] {
			seen[p] = true
			prints = append(prints, fp)
		}
	}
	switch {
	case len(prints) == 0:
		return nil, invalid("ansi_nist", "no single-finger image with a finger position 1-10")
	case len(prints) > maxFingers:
		return nil, invalid("ansi_nist", "%d finger images, at most %d", len(prints), maxFingers)
	}
	release, err := admit(s.extractions, "extractions")
	if err != nil {
		return nil, err
	}
	defer release()
	out := make([]minutiae.Template, len(prints))
	err = s.eachFinger(ctx, len(prints), func(i int) error {
		fp := prints[i]
		img, err := fp.Image()
		if err != nil {
			return invalid("ansi_nist", "%v", err)
		}
		tpl, err := minutiae.Extract(img, &minutiae.ExtractOptions{Position: fp.Positions[0], Impression: fp.Impression})
		if err != nil {
			return invalid("ansi_nist", "record %d: %v", fp.Record, err)
		}
		if len(tpl.Minutiae) < 2 {
			return invalid("ansi_nist", "record %d (finger %d): fewer than 2 minutiae, the print cannot be searched", fp.Record, fp.Positions[0])
		}
		out[i] = tpl
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkSubjectRequest checks a request that names one stored subject.
func (s *Server) checkSubjectRequest(id string) error {
	var v violations
	checkID(&v, "subject_id", id, maxSubjectIDBytes, true)
	if err := v.err(); err != nil {
		return err
	}
	if s.store == nil {
		return status.Error(codes.FailedPrecondition, "this server has no store")
	}
	return nil
}

// GetSubject implements GalleryService.GetSubject.
func (s *Server) GetSubject(ctx context.Context, req *whorlv1.GetSubjectRequest) (*whorlv1.GetSubjectResponse, error) {
	if err := s.checkSubjectRequest(req.GetSubjectId()); err != nil {
		return nil, err
	}
	subj, err := s.store.GetSubject(ctx, req.GetSubjectId())
	if err != nil {
		return nil, storeStatus(err)
	}
	out := &whorlv1.Subject{SubjectId: subj.ID, CreatedUnixNanos: unixNanos(subj.Created), UpdatedUnixNanos: unixNanos(subj.Updated)}
	for _, t := range subj.Fingers {
		p, err := t.ToProto()
		if err != nil {
			return nil, status.Errorf(codes.Internal, "stored template: %v", err)
		}
		out.Fingers = append(out.Fingers, p)
	}
	return &whorlv1.GetSubjectResponse{Subject: out}, nil
}

// ListSubjects implements GalleryService.ListSubjects.
func (s *Server) ListSubjects(ctx context.Context, req *whorlv1.ListSubjectsRequest) (*whorlv1.ListSubjectsResponse, error) {
	if req.GetPageSize() > maxPageSize {
		return nil, invalid("page_size", "%d, at most %d", req.GetPageSize(), maxPageSize)
	}
	if len(req.GetPageToken()) > maxPageTokenBytes {
		return nil, invalid("page_token", "not a page token of this server")
	}
	if s.store == nil {
		return nil, status.Error(codes.FailedPrecondition, "this server has no store")
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	subjects, next, err := s.store.ListSubjects(ctx, req.GetPageToken(), size)
	if errors.Is(err, store.ErrInvalid) {
		return nil, invalid("page_token", "not a page token of this server")
	}
	if err != nil {
		return nil, storeStatus(err)
	}
	resp := &whorlv1.ListSubjectsResponse{NextPageToken: next}
	for _, subj := range subjects {
		sum := &whorlv1.SubjectSummary{SubjectId: subj.ID}
		for _, t := range subj.Fingers {
			sum.Fingers = append(sum.Fingers, whorlv1.FingerPosition(t.Position))
		}
		resp.Subjects = append(resp.Subjects, sum)
	}
	return resp, nil
}

// DeleteSubject implements GalleryService.DeleteSubject.
func (s *Server) DeleteSubject(ctx context.Context, req *whorlv1.DeleteSubjectRequest) (*whorlv1.DeleteSubjectResponse, error) {
	if err := s.checkSubjectRequest(req.GetSubjectId()); err != nil {
		return nil, err
	}
	unlock := s.locks.lock(req.GetSubjectId())
	defer unlock()
	if err := s.store.DeleteSubject(ctx, req.GetSubjectId()); err != nil {
		return nil, storeStatus(err)
	}
	s.gallery.RemoveSubject(req.GetSubjectId())
	return &whorlv1.DeleteSubjectResponse{}, nil
}

func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// storeStatus maps the store's errors to status codes.
func storeStatus(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return status.Error(codes.NotFound, "subject not enrolled")
	case errors.Is(err, store.ErrRequestConflict):
		return status.Error(codes.AlreadyExists, "request_id was used for a different enrolment")
	case errors.Is(err, store.ErrInvalid):
		return status.Errorf(codes.InvalidArgument, "%v", err)
	case errors.Is(err, store.ErrClosed):
		return status.Error(codes.Unavailable, "the server is shutting down")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "past its deadline")
	}
	return status.Errorf(codes.Internal, "store: %v", err)
}
