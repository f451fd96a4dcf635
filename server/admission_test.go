package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/whorlafis/whorl/matcher"
)

func TestRetryAfterEstimatesWhenASlotFrees(t *testing.T) {
	base := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		searches []time.Duration // each search's length, run one after another
		running  []time.Duration // ages of the searches running at the end
		want     time.Duration
	}{
		{"nothing measured, nothing running", nil, nil, firstSearchEstimate / 20},
		{"nothing measured, one running for 100 ms", nil, []time.Duration{100 * time.Millisecond}, firstSearchEstimate - 100*time.Millisecond},
		{"one 400 ms search, nothing running", []time.Duration{400 * time.Millisecond}, nil, 20 * time.Millisecond},
		{"one running for 100 ms of 400", []time.Duration{400 * time.Millisecond}, []time.Duration{100 * time.Millisecond}, 300 * time.Millisecond},
		{"the oldest running counts", []time.Duration{400 * time.Millisecond}, []time.Duration{50 * time.Millisecond, 250 * time.Millisecond}, 150 * time.Millisecond},
		{"running longer than the average", []time.Duration{400 * time.Millisecond}, []time.Duration{900 * time.Millisecond}, 20 * time.Millisecond},
		{"the average moves an eighth", []time.Duration{400 * time.Millisecond, 1200 * time.Millisecond}, []time.Duration{0}, 500 * time.Millisecond},
		{"capped", []time.Duration{time.Minute}, []time.Duration{0}, maxRetryDelay},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := &fakeClock{t: base}
			nowOf := clock.Now
			var sc searchClock
			for _, d := range c.searches {
				end := sc.start(nowOf)
				clock.t = clock.t.Add(d)
				end()
			}
			// Start the running ones at their ages before "now".
			now := clock.t.Add(time.Hour)
			for _, age := range c.running {
				clock.t = now.Add(-age)
				sc.start(nowOf)
			}
			assert.Equal(t, c.want, sc.retryAfter(now))
		})
	}
}

// retryInfo returns the RetryInfo delay of a refusal, failing the test if
// it has none.
func retryInfo(t *testing.T, err error) time.Duration {
	t.Helper()
	st := status.Convert(err)
	require.Equal(t, codes.ResourceExhausted, st.Code(), "%v", err)
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	t.Fatalf("refusal without RetryInfo: %v", err)
	return 0
}

func TestRefusedSearchSaysWhenToRetry(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	s := New(Config{Gallery: &matcher.Gallery{}, Now: clock.Now})
	assert.Equal(t, 1, cap(s.searches), "one search at a time by default")
	release, err := s.admitSearch(fromConn("a"))
	require.NoError(t, err)
	clock.t = clock.t.Add(600 * time.Millisecond)
	release()

	release, err = s.admitSearch(fromConn("a"))
	require.NoError(t, err)
	clock.t = clock.t.Add(200 * time.Millisecond)
	_, err = s.admitSearch(fromConn("bb"))
	assert.Equal(t, 400*time.Millisecond, retryInfo(t, err), "the running search has 400 of its 600 ms to go")
	release()
	_, err = s.admitSearch(fromConn("bb"))
	assert.NoError(t, err, "a freed slot admits the connection in line")
}

func TestEachFinger(t *testing.T) {
	s := New(Config{Gallery: &matcher.Gallery{}})
	t.Run("every finger, at most GOMAXPROCS at once", func(t *testing.T) {
		var running, most atomic.Int64
		done := make([]bool, 10)
		err := s.eachFinger(context.Background(), len(done), func(i int) error {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
			done[i] = true
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, []bool{true, true, true, true, true, true, true, true, true, true}, done)
		assert.LessOrEqual(t, most.Load(), int64(cap(s.extractors)))
		assert.Empty(t, s.extractors, "every token given back")
	})
	t.Run("the lowest failed finger's error, as a loop would", func(t *testing.T) {
		var calls atomic.Int64
		err := s.eachFinger(context.Background(), 20, func(i int) error {
			calls.Add(1)
			if i == 3 || i == 4 {
				return fmt.Errorf("finger %d", i)
			}
			return nil
		})
		assert.EqualError(t, err, "finger 3")
		assert.Less(t, calls.Load(), int64(20), "no finger started after the failure")
		assert.Empty(t, s.extractors)
	})
	t.Run("a gone caller", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := s.eachFinger(ctx, 5, func(int) error { return errors.New("ran") })
		assert.Equal(t, codes.Canceled, status.Code(err), "%v", err)
	})
}

// fromConn is a request context arriving on the connection named addr,
// from a client whose certificate was verified.
func fromConn(addr string) context.Context {
	return peer.NewContext(context.Background(), &peer.Peer{
		Addr:     &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: len(addr) * 1000},
		AuthInfo: credentials.TLSInfo{State: tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{}}}}},
	})
}

// fromStranger is a request context from a TLS client without a
// certificate.
func fromStranger(port int) context.Context {
	return peer.NewContext(context.Background(), &peer.Peer{
		Addr:     &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port},
		AuthInfo: credentials.TLSInfo{},
	})
}

// TestOnlyCertifiedCallersStandInLine: a client without a verified
// certificate, or one that has gone, is refused without a place; the line
// holds at most maxLine places.
func TestOnlyCertifiedCallersStandInLine(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	s := New(Config{Gallery: &matcher.Gallery{}, Now: clock.Now})
	release, err := s.admitSearch(fromConn("a"))
	require.NoError(t, err)
	defer release()

	_, err = s.admitSearch(fromStranger(1))
	assert.Equal(t, maxRetryDelay, retryInfo(t, err), "no place: the longest delay")
	assert.Equal(t, 0, s.line.waiting(clock.Now()), "a stranger takes no place")

	gone, cancel := context.WithCancel(fromConn("bb"))
	cancel()
	_, err = s.admitSearch(gone)
	assert.Equal(t, codes.Canceled, status.Code(err), "%v", err)
	assert.Equal(t, 0, s.line.waiting(clock.Now()), "a caller that has gone takes no place")

	for i := range maxLine + 5 {
		_, err := s.admitSearch(peer.NewContext(context.Background(), &peer.Peer{
			Addr:     &net.TCPAddr{IP: net.IPv4(10, 0, byte(i>>8), byte(i)), Port: 1},
			AuthInfo: credentials.TLSInfo{State: tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{}}}}},
		}))
		require.Equal(t, codes.ResourceExhausted, status.Code(err))
	}
	assert.Equal(t, maxLine, s.line.waiting(clock.Now()), "the line is bounded")
}

func TestSearchLineServesTheFirstRefusedFirst(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	s := New(Config{Gallery: &matcher.Gallery{}, Now: clock.Now})
	a, b, c, d, x := fromConn("a"), fromConn("bb"), fromConn("ccc"), fromConn("dddd"), fromConn("eeeee")
	admitted := func(ctx context.Context) func() {
		t.Helper()
		release, err := s.admitSearch(ctx)
		require.NoError(t, err)
		return release
	}
	refused := func(ctx context.Context) time.Duration {
		t.Helper()
		_, err := s.admitSearch(ctx)
		return retryInfo(t, err)
	}

	// One 300 ms search teaches the clock; then x runs one for 100 ms.
	release := admitted(x)
	clock.t = clock.t.Add(300 * time.Millisecond)
	release()
	releaseX := admitted(x)
	clock.t = clock.t.Add(100 * time.Millisecond)

	assert.Equal(t, 200*time.Millisecond, refused(a), "first in line: when x's search should end")
	assert.Equal(t, 500*time.Millisecond, refused(b), "second: one more search")
	assert.Equal(t, 800*time.Millisecond, refused(c))
	y := fromConn("yyyyyy")
	assert.Equal(t, maxRetryDelay, refused(y), "the fourth would be 1.1 s: told to come back sooner")
	s.line.leave(s.connOfName(c))
	s.line.leave(s.connOfName(y))
	assert.Equal(t, 2, s.line.waiting(clock.Now()))
	assert.False(t, s.mayStart(s.connOfName(a)), "no slot free: the tap refuses too")

	releaseX()
	refused(b) // b comes back first, but a is ahead
	assert.True(t, s.mayStart(s.connOfName(a)), "the freed slot waits for a")
	assert.False(t, s.mayStart(s.connOfName(c)), "and not for a newcomer")
	refused(c)
	releaseA := admitted(a)
	assert.Equal(t, 2, s.line.waiting(clock.Now()), "b and c still in line")

	releaseA()
	refused(c)
	releaseB := admitted(b)
	releaseB()

	// c does not come back: its place lapses after its delay and grace,
	// and then a newcomer is served.
	assert.False(t, s.mayStart(s.connOfName(d)), "c still heads the line")
	clock.t = clock.t.Add(maxRetryDelay + graceFor(maxRetryDelay) + time.Millisecond)
	admitted(d)()
	assert.Equal(t, 0, s.line.waiting(clock.Now()))
}

// connOfName is the line's key of a request context.
func (s *Server) connOfName(ctx context.Context) string {
	conn, _ := s.connOf(ctx)
	return conn
}

// TestEachFingerTurnsAPanicIntoInternal: a finger whose extraction panics
// fails its request with Internal, and the server keeps its tokens.
func TestEachFingerTurnsAPanicIntoInternal(t *testing.T) {
	s := New(Config{Gallery: &matcher.Gallery{}})
	err := s.eachFinger(context.Background(), 4, func(i int) error {
		if i == 1 {
			panic("a decoder met bytes it was not written for")
		}
		return nil
	})
	assert.Equal(t, codes.Internal, status.Code(err), "%v", err)
	assert.Empty(t, s.extractors, "every token given back")
}

// TestALateHeadHoldsAFreedSlotBriefly: when a slot frees and the head of
// the line is past the time it was told to come back, it keeps its place
// only lateHold longer; a head not yet due keeps its full grace.
func TestALateHeadHoldsAFreedSlotBriefly(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	s := New(Config{Gallery: &matcher.Gallery{}, Now: clock.Now})
	a, b, c := fromConn("a"), fromConn("bb"), fromConn("ccc")

	release, err := s.admitSearch(a)
	require.NoError(t, err)
	_, err = s.admitSearch(b)
	delay := retryInfo(t, err)
	clock.t = clock.t.Add(delay / 2)
	release() // b is not due yet: its place stands for its delay and grace
	clock.t = clock.t.Add(delay/2 + lateHold + time.Millisecond)
	_, err = s.admitSearch(c)
	require.Equal(t, codes.ResourceExhausted, status.Code(err), "b still heads the line")
	release, err = s.admitSearch(b)
	require.NoError(t, err)

	_, err = s.admitSearch(c)
	delay = retryInfo(t, err)
	clock.t = clock.t.Add(delay + time.Millisecond)
	release() // c is late: the freed slot waits lateHold for it
	clock.t = clock.t.Add(lateHold + time.Millisecond)
	release, err = s.admitSearch(a)
	require.NoError(t, err, "c's place lapsed")
	release()
	assert.Equal(t, 0, s.line.waiting(clock.Now()))
}
