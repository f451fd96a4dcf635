package server

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/whorlafis/whorl/minutiae"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// Extract implements ExtractionService.Extract.
func (s *Server) Extract(ctx context.Context, req *whorlv1.ExtractRequest) (*whorlv1.ExtractResponse, error) {
	var v violations
	if req.GetImage() == nil {
		v.add("image", "required")
	} else {
		checkImage(&v, "image", req.GetImage())
	}
	checkPosition(&v, "position", req.GetPosition())
	checkImpression(&v, "impression_type", req.GetImpressionType())
	if err := v.err(); err != nil {
		return nil, err
	}
	release, err := admit(s.extractions, "extractions")
	if err != nil {
		return nil, err
	}
	defer release()
	t, err := extract("image", req.GetImage(), req.GetPosition(), req.GetImpressionType())
	if err != nil {
		return nil, err
	}
	p, err := t.ToProto()
	if err != nil {
		return nil, status.Errorf(codes.Internal, "template: %v", err)
	}
	return &whorlv1.ExtractResponse{Template: p}, nil
}

// templates checks and converts a request's fingers, taking one extraction
// token for the lot.
func (s *Server) templates(field string, fingers []*whorlv1.Finger) ([]minutiae.Template, error) {
	var v violations
	if len(fingers) == 0 {
		v.add(field, "at least one finger is required")
	}
	if len(fingers) > maxFingers {
		v.add(field, "%d fingers, at most %d", len(fingers), maxFingers)
	}
	for i, f := range fingers[:min(len(fingers), maxFingers)] {
		checkFinger(&v, indexed(field, i), f)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	release, err := admit(s.extractions, "extractions")
	if err != nil {
		return nil, err
	}
	defer release()
	ts := make([]minutiae.Template, len(fingers))
	for i, f := range fingers {
		if ts[i], err = fingerTemplate(indexed(field, i), f); err != nil {
			return nil, err
		}
	}
	return ts, nil
}
