package server

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
	"github.com/whorlafis/whorl/store"
)

// AuditLog keeps the audit trail; package store implements it.
type AuditLog interface {
	AppendAudit(ctx context.Context, r *store.AuditRecord) error
	QueryAudit(ctx context.Context, f store.AuditFilter, pageToken string, pageSize int) ([]store.AuditRecord, string, error)
}

// Audit is the interceptor that writes one audit record per RPC before its
// response is sent: time, the caller's station, role and person (from a
// verified person token), the method, the
// subject ids the request touched, the candidate ids the response returned
// and the status code. Refused calls (no certificate, revoked, denied) are
// recorded too. Health checks are not: they touch no data and load
// balancers send them by the thousand. If the record cannot be written
// the call fails: no access goes unrecorded.
func (s *Server) Audit(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if s.audit == nil || strings.HasPrefix(info.FullMethod, "/grpc.health.") {
		return handler(ctx, req)
	}
	start := s.now()
	slot := &identitySlot{}
	resp, err := handler(context.WithValue(ctx, identitySlotKey{}, slot), req)
	rec := s.auditRecord(ctx, slot, start, info.FullMethod, err)
	rec.Subjects = subjectsOf(req)
	rec.Candidates = append(candidatesOf(resp), latentCandidatesOf(resp)...)
	rec.Latents = latentsOf(req, resp)
	if werr := s.appendAudit(ctx, rec); werr != nil {
		return nil, werr
	}
	return resp, err
}

// AuditStream is Audit for streaming RPCs (the latent hit stream,
// reflection): every message that discloses latents or subjects is
// recorded before it is sent, naming them, and the stream's end is
// recorded with its status code (a refused stream too).
func (s *Server) AuditStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if s.audit == nil || strings.HasPrefix(info.FullMethod, "/grpc.health.") {
		return handler(srv, ss)
	}
	start := s.now()
	slot := &identitySlot{}
	as := &auditedStream{ServerStream: ss, ctx: context.WithValue(ss.Context(), identitySlotKey{}, slot), s: s, method: info.FullMethod, slot: slot}
	err := handler(srv, as)
	if werr := s.appendAudit(ss.Context(), s.auditRecord(ss.Context(), slot, start, info.FullMethod, err)); werr != nil {
		return werr
	}
	return err
}

// auditedStream records each message a stream sends (see AuditStream).
type auditedStream struct {
	grpc.ServerStream
	ctx    context.Context
	s      *Server
	method string
	slot   *identitySlot
}

func (a *auditedStream) Context() context.Context { return a.ctx }

func (a *auditedStream) SendMsg(m any) error {
	latents, candidates := latentsOf(nil, m), latentCandidatesOf(m)
	if len(latents) > 0 || len(candidates) > 0 {
		rec := a.s.auditRecord(a.ctx, a.slot, a.s.now(), a.method, nil)
		rec.Latents, rec.Candidates = latents, candidates
		if err := a.s.appendAudit(a.ctx, rec); err != nil {
			return err
		}
	}
	return a.ServerStream.SendMsg(m)
}

// auditRecord starts the record of a call: when, who (as far as
// authorisation established it), the method and its outcome.
func (s *Server) auditRecord(ctx context.Context, slot *identitySlot, start time.Time, method string, err error) *store.AuditRecord {
	rec := &store.AuditRecord{Time: start, Method: method, Code: uint32(status.Code(err))}
	if slot.ok {
		rec.Station, rec.Role, rec.Person = slot.id.Station, string(slot.id.Role), slot.id.Person
	} else {
		rec.Station = caller(ctx) // whoever failed: the name presented, or the address
	}
	return rec
}

// appendAudit writes a record, even when the client has gone (a detached
// context, bounded). A record that cannot be written fails the call: no
// access goes unrecorded.
func (s *Server) appendAudit(ctx context.Context, rec *store.AuditRecord) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.audit.AppendAudit(actx, rec); err != nil {
		s.log.Error("audit record not written: failing the call", "method", rec.Method, "err", err)
		return status.Error(codes.Internal, "the audit trail could not record this call")
	}
	return nil
}

// LockoutMethod is the method name of the audit record that marks the
// start of a client's lockout (lockout.go); no RPC has this name.
const LockoutMethod = "whorl.lockout"

// lockedOut records the start of a lockout: a log line and an audit
// record of its own, naming the station (or, without a verified
// certificate, the name or address presented), with the code the
// refused calls get. A record that cannot be written is logged; the call
// that caused the lockout is failing anyway.
func (s *Server) lockedOut(ctx context.Context, id Identity, until time.Time) {
	rec := &store.AuditRecord{
		Time: s.now(), Method: LockoutMethod, Code: uint32(codes.PermissionDenied),
		Station: id.Station, Role: string(id.Role), Person: id.Person,
	}
	if rec.Station == "" {
		rec.Station = caller(ctx)
	}
	s.log.Warn("client locked out after repeated failed calls", "station", rec.Station, "key", clientKey(ctx),
		"until", until.UTC().Format(time.RFC3339))
	if s.audit == nil {
		return
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.audit.AppendAudit(actx, rec); err != nil {
		s.log.Error("audit record of a lockout not written", "station", rec.Station, "err", err)
	}
}

// subjectsOf lists the subject ids a request names.
func subjectsOf(req any) []string {
	var id string
	switch r := req.(type) {
	case *whorlv1.EnrollRequest:
		id = r.GetSubjectId()
	case *whorlv1.GetSubjectRequest:
		id = r.GetSubjectId()
	case *whorlv1.DeleteSubjectRequest:
		id = r.GetSubjectId()
	case *whorlv1.VerifyRequest:
		id = r.GetSubjectId()
	case *whorlv1.QueryAuditRequest:
		id = r.GetSubjectId()
	}
	if id == "" {
		return nil
	}
	return []string{id}
}

// candidatesOf lists the subject ids a response returns.
func candidatesOf(resp any) []string {
	var ids []string
	switch r := resp.(type) {
	case *whorlv1.IdentifyResponse:
		for _, c := range r.GetCandidates() {
			ids = append(ids, c.GetSubjectId())
		}
	case *whorlv1.ListSubjectsResponse:
		for _, s := range r.GetSubjects() {
			ids = append(ids, s.GetSubjectId())
		}
	}
	return ids
}

// QueryAudit implements AuditService.QueryAudit.
func (s *Server) QueryAudit(ctx context.Context, req *whorlv1.QueryAuditRequest) (*whorlv1.QueryAuditResponse, error) {
	var v violations
	if req.GetPageSize() > maxPageSize {
		v.add("page_size", "%d, at most %d", req.GetPageSize(), maxPageSize)
	}
	if len(req.GetPageToken()) > maxPageTokenBytes {
		v.add("page_token", "not a page token of this server")
	}
	if req.GetFromUnixNanos() < 0 || req.GetToUnixNanos() < 0 {
		v.add("from_unix_nanos", "times are nanoseconds since 1970, not negative")
	}
	checkID(&v, "station", req.GetStation(), maxSubjectIDBytes, false)
	checkID(&v, "subject_id", req.GetSubjectId(), maxSubjectIDBytes, false)
	checkID(&v, "method", req.GetMethod(), maxSubjectIDBytes, false)
	checkID(&v, "person", req.GetPerson(), maxPersonBytes, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	if s.audit == nil {
		return nil, status.Error(codes.FailedPrecondition, "this server keeps no audit trail")
	}
	f := store.AuditFilter{Station: req.GetStation(), Subject: req.GetSubjectId(), Method: req.GetMethod(), Person: req.GetPerson()}
	if n := req.GetFromUnixNanos(); n > 0 {
		f.From = time.Unix(0, n)
	}
	if n := req.GetToUnixNanos(); n > 0 {
		f.To = time.Unix(0, n)
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	recs, next, err := s.audit.QueryAudit(ctx, f, req.GetPageToken(), size)
	if err != nil {
		return nil, storeStatus(err)
	}
	resp := &whorlv1.QueryAuditResponse{NextPageToken: next}
	for _, r := range recs {
		resp.Records = append(resp.Records, &whorlv1.AuditRecord{
			Seq: r.Seq, TimeUnixNanos: r.Time.UnixNano(), Station: r.Station, Role: r.Role, Method: r.Method,
			SubjectIds: r.Subjects, CandidateIds: r.Candidates, Code: r.Code, Person: r.Person, LatentIds: r.Latents,
		})
	}
	return resp, nil
}
