package server

import (
	"context"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Admission of searches. A search (Identify, SearchLatent) takes one of
// MaxSearches slots for its whole time, decoding included; a search that
// finds every slot taken is refused at once with ResourceExhausted, unless
// SearchQueue lets it wait. The refusal carries a google.rpc.RetryInfo
// whose delay is when a slot is expected to free: the end of the running
// search that started first, from the time searches have been taking.
// Well-behaved clients come back then, rather than guessing with a
// backoff; and because every refused caller is told the same moment, the
// freed slot goes to whichever comes back first, not always to the one
// whose backoff happens to be shortest (a station refused for a whole
// minute was measured with plain backoff).
//
// Measured with `benchmarks load --overload` on 2 cores, 20,000 fingers,
// tenprint image identifications at ten times the limit (p99 of admitted
// searches against one client alone): 2 slots and 2 waiting 4.6×, 2 slots
// and none waiting 1.7×, 1 slot and 1 waiting 2.1×, 1 slot and none
// waiting 1.1–1.5×. Hence the defaults: one slot, no queue.

// maxSearchWait bounds a search's wait in the queue (SearchQueue > 0)
// when its caller set no shorter deadline.
const maxSearchWait = 10 * time.Second

// Bounds of the RetryInfo delay: never sooner than minRetryDelay (a
// refusal is cheap, but not free), never later than maxRetryDelay (the
// estimate is an average, and a slot may free early).
const (
	minRetryDelay = 5 * time.Millisecond
	maxRetryDelay = 5 * time.Second
)

// searchClock keeps when each running search started and a moving average
// of how long searches take, to tell refused callers when to come back.
// Searches are few at once (MaxSearches), so a mutex and a short slice do.
type searchClock struct {
	mu      sync.Mutex
	started []time.Time   // of the running searches, in no order
	average time.Duration // exponentially weighted, weight 1/8 per search
}

// start records a search starting at now; the returned function records
// its end.
func (c *searchClock) start(now func() time.Time) (end func()) {
	t := now()
	c.mu.Lock()
	c.started = append(c.started, t)
	c.mu.Unlock()
	return func() {
		took := now().Sub(t)
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, s := range c.started {
			if s.Equal(t) {
				c.started[i] = c.started[len(c.started)-1]
				c.started = c.started[:len(c.started)-1]
				break
			}
		}
		if c.average == 0 {
			c.average = took
		} else {
			c.average += (took - c.average) / 8
		}
	}
}

// retryAfter estimates how long until a slot frees: the average search
// time less the age of the oldest running search; a tenth of the average
// once that one has run longer than the average (it may end any moment,
// but no one knows when); within [minRetryDelay, maxRetryDelay].
func (c *searchClock) retryAfter(now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.average / 10
	if len(c.started) > 0 {
		oldest := c.started[0]
		for _, s := range c.started[1:] {
			if s.Before(oldest) {
				oldest = s
			}
		}
		if left := c.average - now.Sub(oldest); left > d {
			d = left
		}
	}
	return min(max(d, minRetryDelay), maxRetryDelay)
}

// busy is the ResourceExhausted refusal of a search, with the RetryInfo.
func (s *Server) busy(format string, args ...any) error {
	st := status.Newf(codes.ResourceExhausted, format, args...)
	if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(s.running.retryAfter(s.now()))}); err == nil {
		st = d
	}
	return st.Err()
}

// admitSearch takes a search slot: at once if one is free; else, if fewer
// than SearchQueue searches are waiting, after those before it (waiters on
// a channel are served in the order they came), within the caller's
// deadline and maxSearchWait; else it refuses at once (busy).
func (s *Server) admitSearch(ctx context.Context) (release func(), err error) {
	select {
	case s.searches <- struct{}{}:
		return s.searchStarted(), nil
	default:
	}
	if s.waiting.Add(1) > s.searchQueue {
		s.waiting.Add(-1)
		return nil, s.busy("%d searches running and %d waiting: retry later", cap(s.searches), s.searchQueue)
	}
	defer s.waiting.Add(-1)
	timer := time.NewTimer(maxSearchWait)
	defer timer.Stop()
	select {
	case s.searches <- struct{}{}:
		return s.searchStarted(), nil
	case <-ctx.Done():
		return nil, contextStatus(ctx, ctx.Err())
	case <-timer.C:
		return nil, s.busy("no search slot within %v: retry later", maxSearchWait)
	}
}

// searchStarted clocks a search that has its slot; the returned function
// ends it and gives the slot back.
func (s *Server) searchStarted() (release func()) {
	end := s.running.start(s.now)
	return func() {
		end()
		<-s.searches
	}
}
