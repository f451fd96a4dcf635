package server

import (
	"container/list"
	"context"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
)

// Abuse limits: a client that keeps failing authentication or
// authorisation (Unauthenticated or PermissionDenied) is first slowed,
// then locked out for a while, so that a stolen-but-revoked certificate,
// a station probing for methods outside its role or a guessed person
// token cannot be tried at full speed.
//
// The client is its certificate (by serial number) when it presented one
// that chains to the CA (revoked or not), else its IP address. So a good
// station is never locked out by a certificate-less client behind the
// same address.
//
// Defaults (LockoutConfig):
//
//   - failures are counted over a sliding window of 10 minutes;
//   - from the 5th failure in the window, each further call from that
//     client waits before it is decided: 1 s, then 1 s more for each
//     further failure, at most 5 s. The wait happens before any work and
//     before any admission token is taken, and ends early, with the
//     call's own deadline or cancellation, when the client gives up;
//   - the 10th failure in the window locks the client out for 15
//     minutes: every call is refused with PermissionDenied ("locked out
//     until T"), without being authenticated. The lockout's start is
//     written to the audit trail as its own record (method
//     "whorl.lockout"), and each refused call is audited as usual;
//   - the table holds at most 10,000 clients; past that the one seen
//     least recently is forgotten.
//
// A successful call does not reset the count: failures only age out of
// the window. Otherwise a station could interleave one allowed call with
// its denied ones and probe without end. A refused call during a lockout
// is not counted (the lockout does not extend itself), and when it ends
// the client starts with a clean count.
//
// Why PermissionDenied and not ResourceExhausted or Unauthenticated:
// ResourceExhausted is what this server answers when it sheds load, and
// clients treat it as "retry later, with backoff", which is the opposite
// of what a locked-out client should do; Unauthenticated says "present
// other credentials". PermissionDenied says "you, as identified, may not
// do this now", which is what a lockout is.

// LockoutConfig sets the abuse limits; the zero value of each field picks
// its default.
type LockoutConfig struct {
	// Disabled turns the limits off (tests of the role table, which fail
	// on purpose many times).
	Disabled bool
	// Window is how long a failure counts. Default 10 minutes.
	Window time.Duration
	// SlowAfter is the failures in the window from which each call is
	// delayed. Default 5.
	SlowAfter int
	// Delay is the wait at SlowAfter failures, growing by Delay with each
	// further failure. Default 1 s.
	Delay time.Duration
	// MaxDelay bounds the wait. Default 5 s.
	MaxDelay time.Duration
	// LockAfter is the failures in the window that lock the client out.
	// Default 10.
	LockAfter int
	// LockFor is how long a lockout lasts. Default 15 minutes.
	LockFor time.Duration
	// MaxClients bounds the clients remembered. Default 10,000.
	MaxClients int
}

func (c LockoutConfig) withDefaults() LockoutConfig {
	if c.Window <= 0 {
		c.Window = 10 * time.Minute
	}
	if c.SlowAfter <= 0 {
		c.SlowAfter = 5
	}
	if c.Delay <= 0 {
		c.Delay = time.Second
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 5 * time.Second
	}
	if c.LockAfter <= 0 {
		c.LockAfter = 10
	}
	if c.LockFor <= 0 {
		c.LockFor = 15 * time.Minute
	}
	if c.MaxClients <= 0 {
		c.MaxClients = 10000
	}
	return c
}

// lockout is the table of failing clients. Only clients that failed are
// in it; a client in good standing costs one map lookup a call.
type lockout struct {
	cfg     LockoutConfig
	mu      sync.Mutex
	entries map[string]*list.Element // of *lockEntry
	lru     list.List                // front: seen most recently
}

type lockEntry struct {
	key         string
	fails       []time.Time // the most recent failures, oldest first, at most LockAfter
	lockedUntil time.Time
}

func newLockout(cfg LockoutConfig) *lockout {
	return &lockout{cfg: cfg.withDefaults(), entries: map[string]*list.Element{}}
}

// check says whether key is locked out at now, and if not, how long its
// call must wait first.
func (l *lockout) check(key string, now time.Time) (lockedUntil time.Time, delay time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.entries[key]
	if !ok {
		return time.Time{}, 0
	}
	e := el.Value.(*lockEntry)
	l.lru.MoveToFront(el)
	if now.Before(e.lockedUntil) {
		return e.lockedUntil, 0
	}
	n := e.recent(now, l.cfg.Window)
	if n == 0 {
		// Not locked, no recent failure: nothing left to remember.
		l.lru.Remove(el)
		delete(l.entries, key)
		return time.Time{}, 0
	}
	if n < l.cfg.SlowAfter {
		return time.Time{}, 0
	}
	return time.Time{}, min(l.cfg.Delay*time.Duration(n-l.cfg.SlowAfter+1), l.cfg.MaxDelay)
}

// fail counts a failure of key at now and reports whether it started a
// lockout, and until when.
func (l *lockout) fail(key string, now time.Time) (locked bool, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.entries[key]
	if !ok {
		if l.lru.Len() >= l.cfg.MaxClients {
			l.evict(now)
		}
		el = l.lru.PushFront(&lockEntry{key: key})
		l.entries[key] = el
	}
	l.lru.MoveToFront(el)
	e := el.Value.(*lockEntry)
	if now.Before(e.lockedUntil) {
		return false, e.lockedUntil // already locked: not counted
	}
	e.prune(now, l.cfg.Window)
	e.fails = append(e.fails, now)
	if len(e.fails) > l.cfg.LockAfter {
		e.fails = e.fails[len(e.fails)-l.cfg.LockAfter:]
	}
	if len(e.fails) < l.cfg.LockAfter {
		return false, time.Time{}
	}
	e.fails = nil
	e.lockedUntil = now.Add(l.cfg.LockFor)
	return true, e.lockedUntil
}

// evictScan is how many of the least recently seen entries evict looks at
// for one that is not locked out.
const evictScan = 64

// evict forgets the least recently seen client that is not locked out (of
// the evictScan least recent; the least recent of all if every one of them
// is), so that a flood of new failing clients (addresses are cheap) cannot
// push a locked-out certificate out of the table and free it.
func (l *lockout) evict(now time.Time) {
	victim := l.lru.Back()
	el := victim
	for range evictScan {
		if el == nil {
			break
		}
		if !now.Before(el.Value.(*lockEntry).lockedUntil) {
			victim = el
			break
		}
		el = el.Prev()
	}
	l.lru.Remove(victim)
	delete(l.entries, victim.Value.(*lockEntry).key)
}

// recent counts the failures within window before now.
func (e *lockEntry) recent(now time.Time, window time.Duration) int {
	e.prune(now, window)
	return len(e.fails)
}

func (e *lockEntry) prune(now time.Time, window time.Duration) {
	cut := now.Add(-window)
	i := 0
	for i < len(e.fails) && !e.fails[i].After(cut) {
		i++
	}
	e.fails = e.fails[i:]
}

// clientKey names the client for the abuse limits: its certificate's
// serial number if it presented one that chains to the CA (the TLS
// handshake refuses any other), else its IP address.
func clientKey(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return "unknown"
	}
	if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.VerifiedChains) > 0 && len(ti.State.VerifiedChains[0]) > 0 {
		return "cert:" + ti.State.VerifiedChains[0][0].SerialNumber.Text(16)
	}
	if p.Addr == nil {
		return "unknown"
	}
	host, _, err := net.SplitHostPort(p.Addr.String())
	if err != nil {
		host = p.Addr.String()
	}
	return "ip:" + host
}

// sleepContext waits d, or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
