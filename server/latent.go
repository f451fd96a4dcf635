package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/whorlafis/whorl/matcher"
	"github.com/whorlafis/whorl/minutiae"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
	"github.com/whorlafis/whorl/store"
)

// LatentStore keeps the latent file and its hits; package store implements
// it. The server uses it when its Config.Store does.
type LatentStore interface {
	PutLatent(ctx context.Context, l *store.Latent, registeredBy, requestID string) (*store.Latent, bool, error)
	GetLatent(ctx context.Context, latentID string) (*store.Latent, error)
	ListLatents(ctx context.Context, pageToken string, pageSize int, all bool) ([]*store.Latent, string, error)
	RetireLatent(ctx context.Context, latentID, by, note string) (*store.Latent, error)
	ScanUnsolvedLatents(ctx context.Context, fn func(*store.Latent) error) error
	PutHit(ctx context.Context, h *store.Hit) (*store.Hit, bool, error)
	GetHit(ctx context.Context, hitID uint64) (*store.Hit, error)
	ListHits(ctx context.Context, f store.HitFilter, pageToken string, pageSize int) ([]*store.Hit, string, error)
	DecideHit(ctx context.Context, hitID uint64, d whorlv1.HitDecision, note, by string) (*store.Hit, *store.Latent, error)
}

// DefaultLatentHitFMR is the hit threshold when Config.LatentHitFMR is 0.
const DefaultLatentHitFMR = 1e-4

// Limits of the latent workflow.
const (
	// maxHitsPerEnrolment caps the hits one enrolment makes. Expected false
	// hits per enrolment are fingers × unsolved latents × the hit FMR; a
	// file large enough, or a threshold loose enough, for that to pass the
	// cap drowns examiners in false hits, and the log says so.
	maxHitsPerEnrolment = 20
	maxRegionPoints     = 64
	maxNoteBytes        = store.MaxNoteLength
)

// reverseSearchTimeout bounds how long an enrolment waits for its reverse
// search, its turn included (10 fingers against 10,000 latents take under a
// second on this project's 2-core test machine). A variable only so that a
// test can make the search fail.
var reverseSearchTimeout = 30 * time.Second

// latentState is the server's part of the latent workflow.
type latentState struct {
	file   *matcher.Gallery // the unsolved latents, keyed by latent id and hinted position
	store  LatentStore      // nil: no latent service
	hitFMR float64
	hits   *hitBroadcaster
	// reverse is a token per running reverse search: one at a time, as
	// each uses every core; enrolments wait their turn, within
	// reverseSearchTimeout.
	reverse chan struct{}

	hitsMade        atomic.Int64
	reverseFailures atomic.Int64
}

func newLatentState(cfg Config) *latentState {
	l := &latentState{file: cfg.LatentFile, hitFMR: cfg.LatentHitFMR, hits: newHitBroadcaster(), reverse: make(chan struct{}, 1)}
	if l.file == nil {
		l.file = &matcher.Gallery{LatentFile: true}
	}
	if l.hitFMR <= 0 {
		l.hitFMR = DefaultLatentHitFMR
	}
	l.store, _ = cfg.Store.(LatentStore)
	return l
}

// latentCollectors are the latent workflow's metrics, for NewMetrics.
func (s *Server) latentCollectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "whorl_unsolved_latents", Help: "Latents in the unsolved file the reverse search scans."},
			func() float64 { _, n := s.latent.file.Len(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "whorl_latent_hits_total", Help: "Hits the reverse search of enrolments made."},
			func() float64 { return float64(s.latent.hitsMade.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "whorl_reverse_search_failures_total", Help: "Enrolments whose reverse search failed (the enrolment stands; hits may be missing)."},
			func() float64 { return float64(s.latent.reverseFailures.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "whorl_hit_subscribers", Help: "WatchLatentHits streams open."},
			func() float64 { return float64(s.latent.hits.subscribers()) }),
	}
}

// LoadLatents fills the unsolved-latent gallery from the store; the server
// calls it once, before it serves.
func (s *Server) LoadLatents(ctx context.Context) (latents int, err error) {
	if s.latent.store == nil {
		return 0, nil
	}
	err = s.latent.store.ScanUnsolvedLatents(ctx, func(l *store.Latent) error {
		if err := s.latent.file.AddSubject(l.ID, latentEntries(l.Template, l.Positions)); err != nil {
			// No id in the message: it is logged.
			return fmt.Errorf("loading a latent into the unsolved file: %w", err)
		}
		latents++
		return nil
	})
	return latents, err
}

// latentEntries are a latent's fingers in the unsolved file: one per hinted
// position, so an exemplar is compared with the latents that may be its
// finger, or one of unknown position, compared with every finger.
func latentEntries(t minutiae.Template, positions []minutiae.FingerPosition) []minutiae.Template {
	if len(positions) == 0 {
		t.Position = minutiae.UnknownFinger
		return []minutiae.Template{t}
	}
	var out []minutiae.Template
	seen := map[minutiae.FingerPosition]bool{}
	for _, p := range positions {
		if !seen[p] {
			seen[p] = true
			e := t
			e.Position = p
			out = append(out, e)
		}
	}
	return out
}

// latentLock serialises the writes to one latent across the store and the
// unsolved-latent gallery (the subject locks' stripes, in a domain of
// their own).
func (s *Server) latentLock(latentID string) func() { return s.locks.lock("latent\x00" + latentID) }

// reverseSearch searches each newly enrolled finger against the unsolved
// latents and stores and publishes the hits. The enrolment is already
// stored and searchable when it runs; Enroll waits for it, bounded by
// reverseSearchTimeout, so that a client that has its response knows the
// hits are recorded. If it fails (its turn or the search took too long, a
// hit could not be stored), it is logged and counted
// (whorl_reverse_search_failures_total) and Enroll says Unavailable: the
// client sends the request again, and the replayed enrolment searches
// again, which finds the same hits (one per latent and finger) and those
// the failure, or a crash between the enrolment and its hits, lost.
func (s *Server) reverseSearch(ctx context.Context, subjectID string, fingers []minutiae.Template) error {
	if s.latent.store == nil {
		return nil
	}
	if _, n := s.latent.file.Len(); n == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reverseSearchTimeout)
	defer cancel()
	select {
	case s.latent.reverse <- struct{}{}:
		defer func() { <-s.latent.reverse }()
	case <-ctx.Done():
		s.latent.reverseFailures.Add(1)
		s.log.Error("reverse search not started in time: the enrolment stands, the client is asked to send it again", "err", ctx.Err())
		return ctx.Err()
	}
	// Every finger is searched before any hit is stored, so that the cap
	// keeps the strongest hits of the enrolment, not the first fingers'.
	var found []*store.Hit
	for _, f := range fingers {
		cs, err := s.latent.file.SearchReverse(ctx, f, s.latent.hitFMR, maxHitsPerEnrolment)
		if err != nil {
			s.latent.reverseFailures.Add(1)
			s.log.Error("reverse search failed: the enrolment stands, the client is asked to send it again", "err", err)
			return err
		}
		seen := map[string]bool{}
		for _, c := range cs {
			// A latent with several hinted positions is in the file once
			// per position; the best (first) of them is the hit.
			if seen[c.Key.Subject] {
				continue
			}
			seen[c.Key.Subject] = true
			h := &store.Hit{LatentID: c.Key.Subject, SubjectID: subjectID, Position: f.Position, Score: c.Score, FMR: c.FMR}
			for _, p := range c.Pairs {
				h.Pairs = append(h.Pairs, store.HitPair{Latent: p.Candidate, Finger: p.Probe})
			}
			found = append(found, h)
		}
	}
	slices.SortStableFunc(found, func(a, b *store.Hit) int { return cmp.Compare(a.FMR, b.FMR) })
	if len(found) > maxHitsPerEnrolment {
		s.log.Warn("reverse search: hit cap reached; the weakest candidates under the threshold were dropped (is --latent-hit-fmr too loose for the file?)",
			"cap", maxHitsPerEnrolment, "candidates", len(found), "fmr", s.latent.hitFMR)
		found = found[:maxHitsPerEnrolment]
	}
	for _, h := range found {
		stored, created, err := s.latent.store.PutHit(ctx, h)
		switch {
		case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
			continue // the latent left the file meanwhile
		case err != nil:
			s.latent.reverseFailures.Add(1)
			s.log.Error("reverse search: hit not stored: the client is asked to send the enrolment again", "err", err)
			return err
		}
		if created {
			s.latent.hitsMade.Add(1)
			s.latent.hits.publish(hitProto(stored))
		}
	}
	return nil
}

// latentStatus maps the store's errors on latents and hits to status codes.
func latentStatus(err error, what string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return status.Errorf(codes.NotFound, "%s not on file", what)
	case errors.Is(err, store.ErrConflict):
		return status.Errorf(codes.FailedPrecondition, "%s: %v", what, err)
	case errors.Is(err, store.ErrRequestConflict):
		return status.Errorf(codes.AlreadyExists, "%s: %v", what, err)
	}
	return storeStatus(err)
}

func (s *Server) needLatentStore() error {
	if s.latent.store == nil {
		return status.Error(codes.FailedPrecondition, "this server has no store: there is no latent file")
	}
	return nil
}

// checkLatentProbe checks what can be checked of a probe without decoding
// it and returns it as a finger to convert.
func checkLatentProbe(v *violations, field string, p *whorlv1.LatentProbe) *whorlv1.Finger {
	if p == nil {
		v.add(field, "required: an image or a template")
		return nil
	}
	var f *whorlv1.Finger
	switch {
	case p.GetImage() != nil && p.GetTemplate() != nil:
		v.add(field, "give an image or a template, not both")
	case p.GetImage() != nil:
		f = &whorlv1.Finger{ImpressionType: whorlv1.ImpressionType_IMPRESSION_TYPE_LATENT, Source: &whorlv1.Finger_Image{Image: p.GetImage()}}
	case p.GetTemplate() != nil:
		f = &whorlv1.Finger{Source: &whorlv1.Finger_Template{Template: p.GetTemplate()}}
	default:
		v.add(field, "an image or a template is required")
	}
	if f != nil {
		checkFinger(v, field, f)
	}
	if n := len(p.GetRegion()); n != 0 && (n < 3 || n > maxRegionPoints) {
		v.add(field+".region", "%d vertices: a region is a polygon of 3 to %d", n, maxRegionPoints)
	}
	for i, pt := range p.GetRegion() {
		if !finite(pt.GetX()) || !finite(pt.GetY()) {
			v.add(indexed(field+".region", i), "not a finite point")
		}
	}
	if n := len(p.GetPositions()); n > store.MaxLatentPositions {
		v.add(field+".positions", "%d positions, at most %d", n, store.MaxLatentPositions)
	}
	for i, pos := range p.GetPositions() {
		if pos < 1 || pos > whorlv1.FingerPosition(minutiae.MaxFingerPosition) {
			v.add(indexed(field+".positions", i), "finger position %d: a hint names a finger, 1-10", pos)
		}
	}
	return f
}

func finite(f float32) bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

// latentTemplate checks and converts a probe: the template (extracted from
// the image, or the examiner's) with only the minutiae inside the region,
// and the position hints. Errors are InvalidArgument naming the field.
func (s *Server) latentTemplate(ctx context.Context, v violations, field string, p *whorlv1.LatentProbe) (minutiae.Template, []minutiae.FingerPosition, error) {
	f := checkLatentProbe(&v, field, p)
	if err := v.err(); err != nil {
		return minutiae.Template{}, nil, err
	}
	ts, err := s.convert(ctx, nil, namedFinger{field, f})
	if err != nil {
		return minutiae.Template{}, nil, err
	}
	t := ts[0]
	t.Position = minutiae.UnknownFinger
	if t.Impression == minutiae.UnknownImpression {
		t.Impression = minutiae.Latent
	}
	if p.GetTemplate() != nil {
		// Minutiae given, not an image: an examiner's, marked or corrected
		// by hand. As a latent tracing the matcher compares them with the
		// tolerances of hand-marked directions and reads their scores with
		// the marked calibration; the impression is stored with the
		// latent, so the unsolved file treats it alike after a restart.
		t.Impression = minutiae.LatentTracing
	}
	if region := p.GetRegion(); len(region) > 0 {
		kept := t.Minutiae[:0:0]
		for _, m := range t.Minutiae {
			if inPolygon(region, m.X, m.Y) {
				kept = append(kept, m)
			}
		}
		t.Minutiae = kept
	}
	if len(t.Minutiae) < 2 {
		return t, nil, invalid(field, "%d minutiae (inside the region, if one was given): at least 2 are needed to search", len(t.Minutiae))
	}
	var positions []minutiae.FingerPosition
	for _, pos := range p.GetPositions() {
		positions = append(positions, minutiae.FingerPosition(pos))
	}
	return t, positions, nil
}

// inPolygon is the even-odd rule: a ray from the point crosses the
// polygon's edges an odd number of times when the point is inside.
func inPolygon(poly []*whorlv1.Point, x, y float32) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		xi, yi, xj, yj := poly[i].GetX(), poly[i].GetY(), poly[j].GetX(), poly[j].GetY()
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

// SearchLatent implements LatentService.SearchLatent.
func (s *Server) SearchLatent(ctx context.Context, req *whorlv1.SearchLatentRequest) (*whorlv1.SearchLatentResponse, error) {
	var v violations
	if req.GetTop() > maxTop {
		v.add("top", "%d, at most %d", req.GetTop(), maxTop)
	}
	checkLatentProbe(&v, "probe", req.GetProbe())
	if err := v.err(); err != nil {
		return nil, err
	}
	// A search slot first: a busy server refuses before decoding anything.
	release, err := s.admitSearch(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	probe, positions, err := s.latentTemplate(ctx, nil, "probe", req.GetProbe())
	if err != nil {
		return nil, err
	}
	top := int(req.GetTop())
	if top == 0 {
		top = defaultTop
	}
	cs, err := s.gallery.SearchLatent(ctx, probe, matcher.LatentOptions{Top: top, Positions: positions})
	if err != nil {
		return nil, contextStatus(ctx, err)
	}
	resp := &whorlv1.SearchLatentResponse{}
	if resp.Template, err = probe.ToProto(); err != nil {
		return nil, status.Errorf(codes.Internal, "latent template: %v", err)
	}
	for _, c := range cs {
		resp.Candidates = append(resp.Candidates, &whorlv1.LatentCandidate{
			SubjectId: c.Key.Subject, Position: whorlv1.FingerPosition(c.Key.Position),
			Score: c.Score, Fmr: c.FMR, Pairs: pairs(c.Pairs),
		})
	}
	return resp, nil
}

// RegisterLatent implements LatentService.RegisterLatent.
func (s *Server) RegisterLatent(ctx context.Context, req *whorlv1.RegisterLatentRequest) (*whorlv1.RegisterLatentResponse, error) {
	var v violations
	checkID(&v, "request_id", req.GetRequestId(), maxRequestIDBytes, false)
	checkID(&v, "latent_id", req.GetLatentId(), maxSubjectIDBytes, false)
	checkID(&v, "case_id", req.GetCaseId(), maxSubjectIDBytes, false)
	checkNote(&v, "notes", req.GetNotes())
	if err := s.needLatentStore(); err != nil {
		return nil, err
	}
	t, positions, err := s.latentTemplate(ctx, v, "probe", req.GetProbe())
	if err != nil {
		return nil, err
	}
	l := &store.Latent{ID: req.GetLatentId(), CaseID: req.GetCaseId(), Notes: req.GetNotes(), Template: t, Positions: positions}
	if l.ID != "" {
		defer s.latentLock(l.ID)()
	}
	stored, replayed, err := s.latent.store.PutLatent(ctx, l, actor(ctx), req.GetRequestId())
	if err != nil {
		return nil, latentStatus(err, "latent")
	}
	if l.ID == "" {
		defer s.latentLock(stored.ID)()
	}
	// A replay repairs a first attempt that was stored but never reached
	// the file; an unsolved latent already there is left as it is.
	if stored.State == whorlv1.LatentState_LATENT_STATE_UNSOLVED && (!replayed || !s.latent.file.HasSubject(stored.ID)) {
		if err := s.latent.file.AddSubject(stored.ID, latentEntries(stored.Template, stored.Positions)); err != nil {
			s.log.Error("registered latent not added to the unsolved file", "err", err)
			return nil, status.Errorf(codes.Internal, "stored but not in the unsolved file until restart: %v", err)
		}
	}
	return &whorlv1.RegisterLatentResponse{Latent: latentProto(stored, true), Replayed: replayed}, nil
}

func checkNote(v *violations, field, note string) {
	if len(note) > maxNoteBytes {
		v.add(field, "%d bytes, at most %d", len(note), maxNoteBytes)
	}
}

// GetLatent implements LatentService.GetLatent.
func (s *Server) GetLatent(ctx context.Context, req *whorlv1.GetLatentRequest) (*whorlv1.GetLatentResponse, error) {
	var v violations
	checkID(&v, "latent_id", req.GetLatentId(), maxSubjectIDBytes, true)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.needLatentStore(); err != nil {
		return nil, err
	}
	l, err := s.latent.store.GetLatent(ctx, req.GetLatentId())
	if err != nil {
		return nil, latentStatus(err, "latent")
	}
	return &whorlv1.GetLatentResponse{Latent: latentProto(l, true)}, nil
}

// checkPage checks a listing's page size and token.
func checkPage(v *violations, size uint32, token string) int {
	if size > maxPageSize {
		v.add("page_size", "%d, at most %d", size, maxPageSize)
	}
	if len(token) > maxPageTokenBytes {
		v.add("page_token", "not a page token of this server")
	}
	if size == 0 {
		return defaultPageSize
	}
	return int(size)
}

// pageStatus maps a listing's store error: a token the store does not
// recognise is the page_token field's fault.
func pageStatus(err error) error {
	if errors.Is(err, store.ErrInvalid) {
		return invalid("page_token", "not a page token of this listing")
	}
	return storeStatus(err)
}

// ListLatents implements LatentService.ListLatents.
func (s *Server) ListLatents(ctx context.Context, req *whorlv1.ListLatentsRequest) (*whorlv1.ListLatentsResponse, error) {
	var v violations
	size := checkPage(&v, req.GetPageSize(), req.GetPageToken())
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.needLatentStore(); err != nil {
		return nil, err
	}
	ls, next, err := s.latent.store.ListLatents(ctx, req.GetPageToken(), size, req.GetAll())
	if err != nil {
		return nil, pageStatus(err)
	}
	resp := &whorlv1.ListLatentsResponse{NextPageToken: next}
	for _, l := range ls {
		resp.Latents = append(resp.Latents, latentProto(l, false))
	}
	return resp, nil
}

// RetireLatent implements LatentService.RetireLatent.
func (s *Server) RetireLatent(ctx context.Context, req *whorlv1.RetireLatentRequest) (*whorlv1.RetireLatentResponse, error) {
	var v violations
	checkID(&v, "latent_id", req.GetLatentId(), maxSubjectIDBytes, true)
	checkNote(&v, "note", req.GetNote())
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.needLatentStore(); err != nil {
		return nil, err
	}
	defer s.latentLock(req.GetLatentId())()
	l, err := s.latent.store.RetireLatent(ctx, req.GetLatentId(), actor(ctx), req.GetNote())
	if err != nil {
		return nil, latentStatus(err, "latent")
	}
	s.latent.file.RemoveSubject(l.ID)
	return &whorlv1.RetireLatentResponse{Latent: latentProto(l, false)}, nil
}

// ListHits implements LatentService.ListHits.
func (s *Server) ListHits(ctx context.Context, req *whorlv1.ListHitsRequest) (*whorlv1.ListHitsResponse, error) {
	var v violations
	checkID(&v, "latent_id", req.GetLatentId(), maxSubjectIDBytes, false)
	size := checkPage(&v, req.GetPageSize(), req.GetPageToken())
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.needLatentStore(); err != nil {
		return nil, err
	}
	hs, next, err := s.latent.store.ListHits(ctx, store.HitFilter{LatentID: req.GetLatentId(), Undecided: req.GetUndecided()}, req.GetPageToken(), size)
	if err != nil {
		return nil, pageStatus(err)
	}
	resp := &whorlv1.ListHitsResponse{NextPageToken: next}
	for _, h := range hs {
		resp.Hits = append(resp.Hits, hitProto(h))
	}
	return resp, nil
}

// DecideHit implements LatentService.DecideHit.
func (s *Server) DecideHit(ctx context.Context, req *whorlv1.DecideHitRequest) (*whorlv1.DecideHitResponse, error) {
	var v violations
	id, err := store.ParseHitID(req.GetHitId())
	if err != nil {
		v.add("hit_id", "%q is not a hit id this server assigned", truncate(req.GetHitId(), 32))
	}
	switch req.GetDecision() {
	case whorlv1.HitDecision_HIT_DECISION_IDENTIFIED, whorlv1.HitDecision_HIT_DECISION_EXCLUDED, whorlv1.HitDecision_HIT_DECISION_INCONCLUSIVE:
	case whorlv1.HitDecision_HIT_DECISION_UNSPECIFIED:
		v.add("decision", "required: identified, excluded or inconclusive")
	default:
		v.add("decision", "decision %d is not defined", req.GetDecision())
	}
	checkNote(&v, "note", req.GetNote())
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.needLatentStore(); err != nil {
		return nil, err
	}
	h, err := s.latent.store.GetHit(ctx, id)
	if err != nil {
		return nil, latentStatus(err, "hit")
	}
	defer s.latentLock(h.LatentID)()
	h, l, err := s.latent.store.DecideHit(ctx, id, req.GetDecision(), req.GetNote(), actor(ctx))
	if err != nil {
		return nil, latentStatus(err, "hit")
	}
	if l.State != whorlv1.LatentState_LATENT_STATE_UNSOLVED {
		s.latent.file.RemoveSubject(l.ID)
	}
	return &whorlv1.DecideHitResponse{Hit: hitProto(h), Latent: latentProto(l, false)}, nil
}

// truncate shortens a string for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func latentProto(l *store.Latent, withTemplate bool) *whorlv1.Latent {
	p := &whorlv1.Latent{
		LatentId: l.ID, CaseId: l.CaseID, Notes: l.Notes, State: l.State,
		CreatedUnixNanos: unixNanos(l.Created), UpdatedUnixNanos: unixNanos(l.Updated),
		RegisteredBy: l.RegisteredBy, ClosedBy: l.ClosedBy, CloseNote: l.CloseNote,
		IdentifiedSubjectId: l.IdentifiedSubject, IdentifiedPosition: whorlv1.FingerPosition(l.IdentifiedPosition),
	}
	for _, pos := range l.Positions {
		p.Positions = append(p.Positions, whorlv1.FingerPosition(pos))
	}
	if withTemplate {
		// Validated when stored; a template that no longer converts is
		// left out rather than failing the call.
		p.Template, _ = l.Template.ToProto()
	}
	return p
}

func hitProto(h *store.Hit) *whorlv1.LatentHit {
	p := &whorlv1.LatentHit{
		HitId: store.FormatHitID(h.ID), LatentId: h.LatentID, CaseId: h.CaseID, SubjectId: h.SubjectID,
		Position: whorlv1.FingerPosition(h.Position), Score: h.Score, Fmr: h.FMR,
		CreatedUnixNanos: unixNanos(h.Created), Decision: h.Decision, DecisionNote: h.DecisionNote,
		DecidedBy: h.DecidedBy, DecidedUnixNanos: unixNanos(h.Decided),
	}
	for _, pr := range h.Pairs {
		p.Pairs = append(p.Pairs, &whorlv1.MinutiaPair{Probe: uint32(pr.Latent), Candidate: uint32(pr.Finger)})
	}
	return p
}
