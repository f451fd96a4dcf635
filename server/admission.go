package server

import (
	"context"
	"slices"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Admission of searches. A search (Identify, SearchLatent) takes one of
// MaxSearches slots for its whole time, decoding included. A search that
// finds every slot taken is refused at once with ResourceExhausted; it
// does not wait on the server, where its wait would be added to its time
// and its request would hold memory. Instead its connection takes a place
// in the line of connections with refused searches, and the refusal
// carries a google.rpc.RetryInfo saying when that place's turn should
// come. A freed slot goes to the connection at the head of the line: the
// first refused is the first served, whatever the clients' retry timing.
// A place the connection does not come back for within its delay and a
// grace (searchLine.graceFor) is dropped, so a client that gave up holds
// no one back for long.
//
// Without the line, the freed slot went to whichever request came first,
// which was nearly always the next search of the station whose search had
// just ended and freed it: at 16 stations on 2 cores and 100,000 fingers
// (`benchmarks load --clients 16`), with the RetryInfo alone one
// identification in ten waited over 17 s and the slowest 55 s; with the
// line, p99 11.7 s. The line's places are connections: stations that
// share one connection (behind a proxy) share one place.
//
// Measured with `benchmarks load --overload` on 2 cores, 20,000 fingers,
// tenprint image identifications at ten times the limit (p99 of admitted
// searches against one client alone): 2 slots and 2 waiting on the server
// 4.6×, 2 slots and none waiting 1.7×, 1 slot and 1 waiting 2.1×, 1 slot
// and none waiting 1.1–1.5×; with the line, 1.12–1.35× over four runs.
// Hence one slot, and no waiting on the server.

// Bounds of the RetryInfo delay: never sooner than minRetryDelay (a
// refusal is cheap, but not free), never later than maxRetryDelay. The
// estimate is an average and grows less sure with each place ahead; a
// client far back in line that comes back early is told again, from a
// better estimate, whereas one that comes back late leaves the slot idle.
const (
	minRetryDelay = 5 * time.Millisecond
	maxRetryDelay = time.Second
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

// averagePerSlot is the average search time shared among slots: how
// often, on average, a slot frees under load.
func (c *searchClock) averagePerSlot(slots int) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.averageLocked() / time.Duration(max(slots, 1))
}

// firstSearchEstimate stands for the average search time until a search
// has ended: refused callers are not told to poll every few milliseconds
// while the first search runs.
const firstSearchEstimate = 250 * time.Millisecond

// averageLocked is the average search time, or firstSearchEstimate before
// any search ended. The caller holds c.mu.
func (c *searchClock) averageLocked() time.Duration {
	if c.average == 0 {
		return firstSearchEstimate
	}
	return c.average
}

// retryAfter estimates how long until a slot frees: the average search
// time less the age of the oldest running search; a twentieth of the
// average once that one has run longer than the average (it may end any
// moment, and a slot left idle costs more than a refusal); within
// [minRetryDelay, maxRetryDelay].
func (c *searchClock) retryAfter(now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	average := c.averageLocked()
	d := average / 20
	if len(c.started) > 0 {
		oldest := c.started[0]
		for _, s := range c.started[1:] {
			if s.Before(oldest) {
				oldest = s
			}
		}
		if left := average - now.Sub(oldest); left > d {
			d = left
		}
	}
	return min(max(d, minRetryDelay), maxRetryDelay)
}

// busy is the ResourceExhausted refusal of a search, with its RetryInfo.
func busy(delay time.Duration, format string, args ...any) error {
	st := status.Newf(codes.ResourceExhausted, format, args...)
	if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)}); err == nil {
		st = d
	}
	return st.Err()
}

// connOf names the connection a request came on, the line's key, and
// says whether it may have a place in line: only a client that presented
// a verified certificate (or any, on a server without authentication),
// so that a stranger cannot open connections to stand in line ahead of
// the stations; a stranger's search is refused by Authorize anyway.
func (s *Server) connOf(ctx context.Context) (conn string, placed bool) {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return "", false
	}
	if tlsInfo, ok := p.AuthInfo.(credentials.TLSInfo); ok {
		return p.Addr.String(), len(tlsInfo.State.VerifiedChains) > 0
	}
	return p.Addr.String(), s.noAuth
}

// admitSearch takes a search slot if one is free and it is this
// connection's turn (the line is empty or the connection heads it), and
// leaves the line; else the connection keeps or takes its place in the
// line and the search is refused with the place's RetryInfo. A caller
// that has gone takes no place.
func (s *Server) admitSearch(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, contextStatus(ctx, err)
	}
	conn, placed := s.connOf(ctx)
	now := s.now()
	s.line.mu.Lock()
	defer s.line.mu.Unlock()
	if s.line.turn(conn, now) {
		select {
		case s.searches <- struct{}{}:
			s.line.leave(conn)
			return s.searchStarted(), nil
		default:
		}
	}
	return nil, s.refuseSearch(conn, placed, now)
}

// mayStart is the transport tap's check: whether a search arriving on conn
// would be admitted now. It does not take the slot (the handler does), so
// a request that passes may still be refused by admitSearch.
func (s *Server) mayStart(conn string) bool {
	now := s.now()
	s.line.mu.Lock()
	defer s.line.mu.Unlock()
	return len(s.searches) < cap(s.searches) && s.line.turn(conn, now)
}

// refuseSearch puts conn in the line (or keeps its place) when it may
// have one and the line has room, and returns the refusal, with the delay
// until its place's turn: the running searches' expected end, plus an
// average search per slot for each place ahead. Without a place, the
// delay is maxRetryDelay. The caller holds s.line.mu.
func (s *Server) refuseSearch(conn string, placed bool, now time.Time) error {
	first, each := s.running.retryAfter(now), s.running.averagePerSlot(cap(s.searches))
	pos, delay, ok := -1, maxRetryDelay, false
	if placed {
		pos, delay, ok = s.line.join(conn, now, func(pos int) time.Duration {
			return min(first+time.Duration(pos)*each, maxRetryDelay)
		})
	}
	if !ok {
		return busy(delay, "all %d search slots taken: retry in %v", cap(s.searches), delay)
	}
	return busy(delay, "all %d search slots taken, place %d in line: retry in %v", cap(s.searches), pos+1, delay.Round(time.Millisecond))
}

// searchStarted clocks a search that has its slot; the returned function
// ends it and gives the slot back.
func (s *Server) searchStarted() (release func()) {
	end := s.running.start(s.now)
	return func() {
		end()
		<-s.searches
		s.line.mu.Lock()
		s.line.freed(s.now())
		s.line.mu.Unlock()
	}
}

// maxLine bounds the line: beyond it a refused search gets no place (and
// the longest delay). Places are connections of certified stations; a
// line that long is a misconfiguration or an attack, not a booking day.
const maxLine = 1024

// searchLine is the line of connections whose searches were refused, in
// the order of their first refusal, at most maxLine.
type searchLine struct {
	mu     sync.Mutex
	places []place
}

// place is one connection's place in the line.
type place struct {
	conn    string
	due     time.Time // when its connection was told to come back
	expires time.Time // dropped when its connection is not back by then
}

// lateHold is how long a freed slot waits for the head of the line when
// the head is already late (past its due time): a client that comes back
// late has most likely given up, and a slot held for its full grace stays
// idle for up to a second and a half.
const lateHold = 50 * time.Millisecond

// freed is told that a slot has just freed: a late head keeps its place
// only lateHold longer.
func (l *searchLine) freed(now time.Time) {
	l.prune(now)
	if len(l.places) > 0 && now.After(l.places[0].due) {
		l.places[0].expires = minTime(l.places[0].expires, now.Add(lateHold))
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// graceFor is how long past its delay a place is kept: clients come back
// at about their delay (the load harness: up to 20% early), and a late
// one should not lose its place; but a place whose client gave up holds
// the freed slot idle until it expires.
func graceFor(delay time.Duration) time.Duration { return 50*time.Millisecond + delay/2 }

// prune drops the places that have expired.
func (l *searchLine) prune(now time.Time) {
	l.places = slices.DeleteFunc(l.places, func(p place) bool { return now.After(p.expires) })
}

// turn reports whether conn may take a free slot: the line is empty, or
// conn heads it.
func (l *searchLine) turn(conn string, now time.Time) bool {
	l.prune(now)
	return len(l.places) == 0 || l.places[0].conn == conn
}

// leave takes conn out of the line (it was admitted).
func (l *searchLine) leave(conn string) {
	l.places = slices.DeleteFunc(l.places, func(p place) bool { return p.conn == conn })
}

// join gives conn a place at the back of the line, or keeps the one it
// has, and returns its position (0 heads the line) and the delay
// delayAt gives for it; the place is kept for that delay and its grace.
// A full line (maxLine) gives no new place: ok is false.
func (l *searchLine) join(conn string, now time.Time, delayAt func(pos int) time.Duration) (pos int, delay time.Duration, ok bool) {
	pos = slices.IndexFunc(l.places, func(p place) bool { return p.conn == conn })
	if pos < 0 {
		if len(l.places) >= maxLine {
			return -1, 0, false
		}
		pos = len(l.places)
		l.places = append(l.places, place{conn: conn})
	}
	delay = delayAt(pos)
	l.places[pos].due = now.Add(delay)
	l.places[pos].expires = now.Add(delay + graceFor(delay))
	return pos, delay, true
}

// waiting is the number of places in the line at now
// (whorl_searches_waiting).
func (l *searchLine) waiting(now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(now)
	return len(l.places)
}

// lineKeeper is a gRPC stats handler that takes a connection's place out
// of the line when the connection closes: its client is gone, and a
// freed slot should not wait for it until the place lapses.
type lineKeeper struct{ line *searchLine }

type connAddrKey struct{}

func (k lineKeeper) TagConn(ctx context.Context, info *stats.ConnTagInfo) context.Context {
	if info.RemoteAddr == nil {
		return ctx
	}
	return context.WithValue(ctx, connAddrKey{}, info.RemoteAddr.String())
}

func (k lineKeeper) HandleConn(ctx context.Context, s stats.ConnStats) {
	if _, end := s.(*stats.ConnEnd); !end {
		return
	}
	if conn, ok := ctx.Value(connAddrKey{}).(string); ok {
		k.line.mu.Lock()
		k.line.leave(conn)
		k.line.mu.Unlock()
	}
}

func (lineKeeper) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (lineKeeper) HandleRPC(context.Context, stats.RPCStats)                       {}
