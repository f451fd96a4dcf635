package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
	"github.com/whorlafis/whorl/store"
)

// TestLockoutOverTheWire hammers the server with a wrong-role station, a
// revoked certificate and a client without one: each is slowed from the
// 5th failure, locked out at the 10th, and the lockout is in the audit
// trail; a good station (and a good station at the same address as the
// certificate-less client) is served throughout, at full speed.
func TestLockoutOverTheWire(t *testing.T) {
	clock := newFakeClock()
	var revokedSerial string
	w := startWire(t, Config{Now: clock.Now, Sleep: clock.Sleep,
		Revoked: func(c *x509.Certificate) bool { return c.SerialNumber.Text(16) == revokedSerial }})
	good, _ := w.station("auditor-good", RoleAuditor)
	wrongRole, _ := w.station("booking-probe", RoleBooking)
	revConn, revCert := w.station("stolen", RoleAuditor)
	revokedSerial = revCert.Leaf.SerialNumber.Text(16)
	noCert := w.conn(nil)
	ctx := context.Background()

	cases := []struct {
		name    string
		call    func() error
		code    codes.Code // the code of each failing call
		station string     // as the audit trail names it
	}{
		{"wrong role", func() error {
			_, err := whorlv1.NewAuditServiceClient(wrongRole).QueryAudit(ctx, &whorlv1.QueryAuditRequest{})
			return err
		}, codes.PermissionDenied, "booking-probe"},
		{"revoked", func() error {
			_, err := whorlv1.NewAuditServiceClient(revConn).QueryAudit(ctx, &whorlv1.QueryAuditRequest{})
			return err
		}, codes.Unauthenticated, "stolen"},
		{"no certificate", func() error {
			_, err := whorlv1.NewAuditServiceClient(noCert).QueryAudit(ctx, &whorlv1.QueryAuditRequest{})
			return err
		}, codes.Unauthenticated, "127.0.0.1"},
	}
	goodCall := func() {
		t.Helper()
		before := len(clock.Sleeps())
		_, err := whorlv1.NewAuditServiceClient(good).QueryAudit(ctx, &whorlv1.QueryAuditRequest{PageSize: 1})
		require.NoError(t, err)
		require.Len(t, clock.Sleeps(), before, "a good station is never slowed")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := len(clock.Sleeps())
			for i := 1; i <= 10; i++ {
				err := c.call()
				require.Equal(t, c.code, status.Code(err), "call %d: %v", i, err)
				require.NotContains(t, status.Convert(err).Message(), "locked out")
				goodCall()
			}
			// Calls 6 to 10 came after 5 to 9 failures: 1 s to 5 s.
			assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 5 * time.Second},
				clock.Sleeps()[start:])
			for range 3 {
				err := c.call()
				require.Equal(t, codes.PermissionDenied, status.Code(err), "%v", err)
				require.Contains(t, status.Convert(err).Message(), "locked out until")
				goodCall()
			}
			assert.Equal(t, []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second}, clock.Sleeps()[start+5:],
				"a locked-out client is refused after the longest delay")

			// The failures, the lockout's own record (written as the 10th
			// failure locked the client out), then the refused calls,
			// each audited. Without a certificate the station is the
			// address.
			var recs []store.AuditRecord
			for _, r := range w.records(store.AuditFilter{}) {
				if r.Station == c.station || c.station == "127.0.0.1" && strings.HasPrefix(r.Station, "127.0.0.1:") {
					recs = append(recs, r)
				}
			}
			require.Len(t, recs, 14, "10 failures, the lockout, 3 refusals")
			for i, r := range recs {
				want, method := c.code, "/whorl.v1.AuditService/QueryAudit"
				switch {
				case i == 9:
					want, method = codes.PermissionDenied, LockoutMethod
				case i > 10:
					want = codes.PermissionDenied
				}
				assert.Equal(t, method, r.Method, "record %d", i)
				assert.Equal(t, uint32(want), r.Code, "record %d", i)
			}
			assert.Len(t, w.records(store.AuditFilter{Method: LockoutMethod, Station: recs[9].Station}), 1)
		})
	}

	// 15 minutes on, the locks are over and the count starts afresh: the
	// wrong-role station is denied by its role again, without delay.
	clock.Advance(15 * time.Minute)
	start := len(clock.Sleeps())
	_, err := whorlv1.NewAuditServiceClient(wrongRole).QueryAudit(ctx, &whorlv1.QueryAuditRequest{})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	assert.NotContains(t, status.Convert(err).Message(), "locked out")
	assert.Len(t, clock.Sleeps(), start)
	_, err = whorlv1.NewAuditServiceClient(revConn).QueryAudit(ctx, &whorlv1.QueryAuditRequest{})
	assert.Equal(t, codes.Unauthenticated, status.Code(err))
}

// TestLockoutDelayHonoursTheDeadline: a slowed client whose deadline
// comes first gets DeadlineExceeded, with the server's real wait.
func TestLockoutDelayHonoursTheDeadline(t *testing.T) {
	w := startWire(t, Config{Lockout: LockoutConfig{SlowAfter: 1, Delay: time.Hour, MaxDelay: time.Hour}})
	probe, _ := w.station("probe", RoleBooking)
	audit := whorlv1.NewAuditServiceClient(probe)
	_, err := audit.QueryAudit(context.Background(), &whorlv1.QueryAuditRequest{})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = audit.QueryAudit(ctx, &whorlv1.QueryAuditRequest{})
	assert.Equal(t, codes.DeadlineExceeded, status.Code(err), "%v", err)
}

func TestLockoutTable(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t.Run("a success does not reset the count; failures age out", func(t *testing.T) {
		l := newLockout(LockoutConfig{})
		for i := range 4 {
			l.fail("a", t0.Add(time.Duration(i)*time.Minute))
		}
		// (successes are not reported to the table: nothing to reset)
		_, d := l.check("a", t0.Add(4*time.Minute))
		assert.Zero(t, d, "4 failures: not slowed")
		l.fail("a", t0.Add(4*time.Minute))
		_, d = l.check("a", t0.Add(5*time.Minute))
		assert.Equal(t, time.Second, d)
		// The first failure leaves the 10-minute window.
		_, d = l.check("a", t0.Add(10*time.Minute+time.Second))
		assert.Zero(t, d)
		_, d = l.check("a", t0.Add(30*time.Minute))
		assert.Zero(t, d)
		assert.Empty(t, l.entries, "a client with no recent failure is forgotten")
	})
	t.Run("lock and its end", func(t *testing.T) {
		l := newLockout(LockoutConfig{LockAfter: 3, LockFor: time.Minute, SlowAfter: 2})
		for i := range 2 {
			locked, _ := l.fail("a", t0.Add(time.Duration(i)*time.Second))
			assert.False(t, locked)
		}
		locked, until := l.fail("a", t0.Add(2*time.Second))
		require.True(t, locked)
		assert.Equal(t, t0.Add(2*time.Second+time.Minute), until)
		u, _ := l.check("a", t0.Add(30*time.Second))
		assert.Equal(t, until, u)
		locked, _ = l.fail("a", t0.Add(31*time.Second))
		assert.False(t, locked, "failures while locked are not counted")
		u, d := l.check("a", until)
		assert.True(t, u.IsZero())
		assert.Zero(t, d, "a clean count after the lockout")
		u, _ = l.check("b", t0)
		assert.True(t, u.IsZero(), "another client")
	})
	t.Run("memory is bounded", func(t *testing.T) {
		l := newLockout(LockoutConfig{MaxClients: 3})
		for i := range 10 {
			l.fail(fmt.Sprint("client-", i), t0)
		}
		assert.Len(t, l.entries, 3)
		assert.Equal(t, 3, l.lru.Len())
		for i := 7; i < 10; i++ {
			assert.Contains(t, l.entries, fmt.Sprint("client-", i), "the most recent are kept")
		}
	})
	t.Run("a flood of new clients does not free a locked one", func(t *testing.T) {
		l := newLockout(LockoutConfig{MaxClients: 3, LockAfter: 2})
		l.fail("locked", t0)
		locked, _ := l.fail("locked", t0)
		require.True(t, locked)
		for i := range 100 {
			l.fail(fmt.Sprint("flood-", i), t0)
		}
		until, _ := l.check("locked", t0)
		assert.False(t, until.IsZero(), "still locked out")
		assert.Len(t, l.entries, 3)
	})
	t.Run("the delay is bounded", func(t *testing.T) {
		l := newLockout(LockoutConfig{LockAfter: 1000})
		for range 100 {
			l.fail("a", t0)
		}
		_, d := l.check("a", t0)
		assert.Equal(t, 5*time.Second, d)
	})
}
