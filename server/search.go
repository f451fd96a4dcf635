package server

import (
	"context"
	"errors"
	"fmt"
	"math"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/whorlafis/whorl/matcher"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

func indexed(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

// Identify implements SearchService.Identify.
func (s *Server) Identify(ctx context.Context, req *whorlv1.IdentifyRequest) (*whorlv1.IdentifyResponse, error) {
	if req.GetTop() > maxTop {
		return nil, invalid("top", "%d, at most %d", req.GetTop(), maxTop)
	}
	// A search slot first: a busy server refuses before decoding anything.
	release, err := s.admitSearch(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	probe, err := s.templates(ctx, "fingers", req.GetFingers())
	if err != nil {
		return nil, err
	}
	var v violations
	checkSearchable(&v, "fingers", probe)
	if err := v.err(); err != nil {
		return nil, err
	}
	top := int(req.GetTop())
	if top == 0 {
		top = defaultTop
	}
	cs, err := s.gallery.Identify(ctx, probe, matcher.SearchOptions{Top: top})
	if err != nil {
		return nil, contextStatus(ctx, err)
	}
	resp := &whorlv1.IdentifyResponse{}
	for _, c := range cs {
		sc := &whorlv1.SubjectCandidate{SubjectId: c.Subject, Score: c.Score, Fmr: c.FMR}
		for _, f := range c.Fingers {
			sc.Fingers = append(sc.Fingers, &whorlv1.FingerMatch{
				ProbeIndex: uint32(f.Probe),
				Position:   whorlv1.FingerPosition(f.Position),
				Score:      f.Score,
				Fmr:        f.FMR,
				Pairs:      pairs(f.Pairs),
			})
		}
		resp.Candidates = append(resp.Candidates, sc)
	}
	return resp, nil
}

// Verify implements SearchService.Verify.
func (s *Server) Verify(ctx context.Context, req *whorlv1.VerifyRequest) (*whorlv1.VerifyResponse, error) {
	var v violations
	checkID(&v, "subject_id", req.GetSubjectId(), maxSubjectIDBytes, true)
	if f := req.GetFmr(); f < 0 || f >= 1 || math.IsNaN(f) {
		v.add("fmr", "%g outside (0, 1)", f)
	} else if _, ok := matcher.ThresholdAtFMR(f); f != 0 && !ok {
		v.add("fmr", "%g is below what the score calibration resolves (%.2g)", f, matcher.FMR(math.Inf(1)))
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	ts, err := s.convert(ctx, nil, namedFinger{"finger", req.GetFinger()})
	if err != nil {
		return nil, err
	}
	probe := ts[0]
	rate := req.GetFmr()
	if rate == 0 {
		rate = matcher.DecisionFMR
	}
	threshold, _ := matcher.ThresholdAtFMR(rate)
	cs, err := s.gallery.CompareSubject(req.GetSubjectId(), probe, matcher.SearchOptions{})
	switch {
	case errors.Is(err, matcher.ErrUnknownSubject):
		return nil, status.Errorf(codes.NotFound, "subject %q is not enrolled", req.GetSubjectId())
	case errors.Is(err, matcher.ErrNoMinutiae):
		return nil, invalid("finger", "fewer than 2 minutiae: nothing to compare")
	case err != nil:
		return nil, status.Errorf(codes.Internal, "verify: %v", err)
	}
	resp := &whorlv1.VerifyResponse{Fmr: 1, Threshold: threshold}
	if len(cs) > 0 {
		best := cs[0]
		resp.Score, resp.Fmr, resp.Position = best.Score, best.FMR, whorlv1.FingerPosition(best.Key.Position)
		resp.Match = best.Score >= threshold
	}
	return resp, nil
}

// Compare implements SearchService.Compare.
func (s *Server) Compare(ctx context.Context, req *whorlv1.CompareRequest) (*whorlv1.CompareResponse, error) {
	ts, err := s.convert(ctx, nil, namedFinger{"probe", req.GetProbe()}, namedFinger{"candidate", req.GetCandidate()})
	if err != nil {
		return nil, err
	}
	// A latent probe (by its impression type, a latent tracing as marked
	// by hand) is scored and calibrated as latent searches score it.
	r := matcher.Compare(matcher.Prepare(ts[0]), matcher.Prepare(ts[1]))
	fmr := matcher.ProbeFMR(r.Score, ts[0])
	resp := &whorlv1.CompareResponse{Score: r.Score, Fmr: fmr, Pairs: pairs(r.Pairs)}
	if resp.ProbeTemplate, err = ts[0].ToProto(); err != nil {
		return nil, status.Errorf(codes.Internal, "probe template: %v", err)
	}
	if resp.CandidateTemplate, err = ts[1].ToProto(); err != nil {
		return nil, status.Errorf(codes.Internal, "candidate template: %v", err)
	}
	return resp, nil
}

func pairs(ps []matcher.Pair) []*whorlv1.MinutiaPair {
	out := make([]*whorlv1.MinutiaPair, len(ps))
	for i, p := range ps {
		out[i] = &whorlv1.MinutiaPair{Probe: uint32(p.Probe), Candidate: uint32(p.Candidate)}
	}
	return out
}

// contextStatus turns work stopped by its context into the matching
// status code.
func contextStatus(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "cancelled by the caller")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "past its deadline")
	}
	return status.Errorf(codes.Internal, "search: %v", err)
}
