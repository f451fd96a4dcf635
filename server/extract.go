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

// templates checks and converts a request's repeated fingers field.
func (s *Server) templates(ctx context.Context, field string, fingers []*whorlv1.Finger) ([]minutiae.Template, error) {
	var v violations
	if len(fingers) == 0 {
		v.add(field, "at least one finger is required")
	}
	if len(fingers) > maxFingers {
		v.add(field, "%d fingers, at most %d", len(fingers), maxFingers)
	}
	named := make([]namedFinger, min(len(fingers), maxFingers))
	for i := range named {
		named[i] = namedFinger{indexed(field, i), fingers[i]}
	}
	return s.convert(ctx, v, named...)
}

// namedFinger is a finger of a request with the field that holds it, for
// error details.
type namedFinger struct {
	field  string
	finger *whorlv1.Finger
}

// convert checks fingers, reporting every violation at once together with
// those already found in v, then takes one extraction token for the lot and
// turns each into a template. A caller that has gone (ctx done) stops it
// between fingers, so that its tokens are freed for callers still waiting.
func (s *Server) convert(ctx context.Context, v violations, fingers ...namedFinger) ([]minutiae.Template, error) {
	for _, f := range fingers {
		checkFinger(&v, f.field, f.finger)
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
		if err := ctx.Err(); err != nil {
			return nil, contextStatus(ctx, err)
		}
		if ts[i], err = fingerTemplate(f.field, f.finger); err != nil {
			return nil, err
		}
	}
	return ts, nil
}
