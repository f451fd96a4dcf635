package server

import (
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// hitBuffer is how many hits a WatchLatentHits subscriber may have unsent
// before it is dropped. Publishing never waits for a subscriber: an
// enrolment's reverse search must not slow down because an examiner's
// connection is slow, so a subscriber that falls this far behind is cut
// off with ResourceExhausted and catches up with ListHits. 256 hits is
// far more than one enrolment makes (maxHitsPerEnrolment), so only a
// stalled client reaches it.
const hitBuffer = 256

// hitBroadcaster hands each new hit to every WatchLatentHits stream.
type hitBroadcaster struct {
	mu     sync.Mutex
	subs   map[*hitSubscriber]struct{}
	closed bool
	done   chan struct{} // closed by close: the server is shutting down
}

type hitSubscriber struct {
	hits    chan *whorlv1.LatentHit
	dropped chan struct{} // closed when the subscriber overflowed
}

func newHitBroadcaster() *hitBroadcaster {
	return &hitBroadcaster{subs: map[*hitSubscriber]struct{}{}, done: make(chan struct{})}
}

// subscribe adds a subscriber; ok is false once the broadcaster is closed.
func (b *hitBroadcaster) subscribe() (sub *hitSubscriber, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, false
	}
	sub = &hitSubscriber{hits: make(chan *whorlv1.LatentHit, hitBuffer), dropped: make(chan struct{})}
	b.subs[sub] = struct{}{}
	return sub, true
}

func (b *hitBroadcaster) unsubscribe(sub *hitSubscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, sub)
}

// publish offers a hit to every subscriber without waiting: one whose
// buffer is full is dropped.
func (b *hitBroadcaster) publish(h *whorlv1.LatentHit) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs {
		select {
		case sub.hits <- h:
		default:
			delete(b.subs, sub)
			close(sub.dropped)
		}
	}
}

// subscribers is how many streams are watching.
func (b *hitBroadcaster) subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// close ends every stream (with Unavailable) and refuses new ones.
func (b *hitBroadcaster) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.done)
	}
}

// EndStreams ends the WatchLatentHits streams with Unavailable and refuses
// new ones. A graceful stop waits for every stream to end, and these end
// only when told: call it before grpc.Server.GracefulStop.
func (s *Server) EndStreams() { s.latent.hits.close() }

// WatchLatentHits implements LatentService.WatchLatentHits: a first message
// with no hit once the subscription is in place, then every hit as the
// reverse search makes it.
func (s *Server) WatchLatentHits(req *whorlv1.WatchLatentHitsRequest, stream grpc.ServerStreamingServer[whorlv1.WatchLatentHitsResponse]) error {
	if s.latent.store == nil {
		return status.Error(codes.FailedPrecondition, "this server has no store: there is no latent file")
	}
	sub, ok := s.latent.hits.subscribe()
	if !ok {
		return status.Error(codes.Unavailable, "the server is shutting down")
	}
	defer s.latent.hits.unsubscribe(sub)
	if err := stream.Send(&whorlv1.WatchLatentHitsResponse{}); err != nil {
		return err
	}
	ctx := stream.Context()
	for {
		select {
		case h := <-sub.hits:
			if err := stream.Send(&whorlv1.WatchLatentHitsResponse{Hit: h}); err != nil {
				return err
			}
		case <-sub.dropped:
			s.log.Warn("hit subscriber dropped: it fell behind", "caller", caller(ctx), "buffer", hitBuffer)
			return status.Errorf(codes.ResourceExhausted,
				"more than %d hits went unread: this stream was dropped so enrolment does not wait for it; watch again and catch up with ListHits", hitBuffer)
		case <-s.latent.hits.done:
			return status.Error(codes.Unavailable, "the server is shutting down: watch again when it is back")
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}
