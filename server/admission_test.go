package server

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
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
		{"nothing measured, nothing running", nil, nil, minRetryDelay},
		{"one 400 ms search, nothing running", []time.Duration{400 * time.Millisecond}, nil, 40 * time.Millisecond},
		{"one running for 100 ms of 400", []time.Duration{400 * time.Millisecond}, []time.Duration{100 * time.Millisecond}, 300 * time.Millisecond},
		{"the oldest running counts", []time.Duration{400 * time.Millisecond}, []time.Duration{50 * time.Millisecond, 250 * time.Millisecond}, 150 * time.Millisecond},
		{"running longer than the average", []time.Duration{400 * time.Millisecond}, []time.Duration{900 * time.Millisecond}, 40 * time.Millisecond},
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
	release, err := s.admitSearch(context.Background())
	require.NoError(t, err)
	clock.t = clock.t.Add(600 * time.Millisecond)
	release()

	release, err = s.admitSearch(context.Background())
	require.NoError(t, err)
	clock.t = clock.t.Add(200 * time.Millisecond)
	_, err = s.admitSearch(context.Background())
	assert.Equal(t, 400*time.Millisecond, retryInfo(t, err), "the running search has 400 of its 600 ms to go")
	release()
	_, err = s.admitSearch(context.Background())
	assert.NoError(t, err, "a freed slot admits again")
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
