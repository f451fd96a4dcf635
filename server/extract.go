package server

import (
	"context"
	"runtime/debug"
	"sync"
	"sync/atomic"

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
// turns each into a template, several at once (eachFinger). A caller that
// has gone (ctx done) stops it between fingers, so that its tokens are
// freed for callers still waiting.
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
	err = s.eachFinger(ctx, len(fingers), func(i int) (err error) {
		ts[i], err = fingerTemplate(fingers[i].field, fingers[i].finger)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ts, nil
}

// eachFinger runs do for fingers 0..n-1 of one request on up to GOMAXPROCS
// goroutines, each finger holding one of the server's extractor tokens
// (so that however many requests extract at once, at most GOMAXPROCS
// images are decoded at once). A tenprint's extraction is most of an
// identification's time, and one finger's extraction is mostly one core's
// work: in parallel, one request uses every core, which is what lets the
// server run one search at a time (Config.MaxSearches) without leaving
// cores idle.
//
// A panic in do (a decoder meeting bytes it was not written for) is the
// finger's Internal error, logged with its stack as Recover logs a
// handler's: it happens on eachFinger's goroutines, which the handler's
// recovery does not reach.
//
// It returns the error of the lowest-numbered finger that failed, as a
// loop would: fingers are taken in order, and after a failure no new one
// is started but those already taken finish. A done ctx stops it between
// fingers with the context's status.
func (s *Server) eachFinger(ctx context.Context, n int, do func(i int) error) error {
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(n, cap(s.extractors)) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				select {
				case s.extractors <- struct{}{}:
				case <-ctx.Done():
					errs[i] = contextStatus(ctx, ctx.Err())
					failed.Store(true)
					return
				}
				errs[i] = s.extractOne(ctx, i, do)
				if errs[i] != nil {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// extractOne runs do(i) holding an extractor token, which it gives back
// however do ends, a panic included.
func (s *Server) extractOne(ctx context.Context, i int, do func(i int) error) (err error) {
	defer func() {
		<-s.extractors
		if r := recover(); r != nil {
			s.log.Error("panic extracting a finger", "finger", i, "panic", r, "stack", string(debug.Stack()))
			err = status.Error(codes.Internal, "internal error")
		}
	}()
	if err := ctx.Err(); err != nil {
		return contextStatus(ctx, err)
	}
	return do(i)
}
