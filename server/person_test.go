package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/whorlafis/whorl/matcher"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
	"github.com/whorlafis/whorl/store"
)

// fakeClock is the injected clock: it moves only when a test moves it,
// or when the server "sleeps" a slowed client's delay.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Sleep records the delay and advances the clock by it, as a real wait
// would; it honours a context already done.
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// wire is a real server on loopback with mutual TLS and a store on disk
// keeping the audit trail.
type wire struct {
	t    *testing.T
	addr string
	ca   *roleCA
	st   *store.Store
}

// startWire starts the services with cfg (its Gallery, Store and Audit
// filled in) and the health service.
func startWire(t *testing.T, cfg Config) *wire {
	t.Helper()
	ca := newRoleCA(t)
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	cfg.Gallery, cfg.Store, cfg.Audit = &matcher.Gallery{}, st, st
	srv := New(cfg)
	g := grpc.NewServer(append(srv.Interceptors(nil), grpc.Creds(credentials.NewTLS(&tls.Config{
		MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{ca.cert("server", "", x509.ExtKeyUsageServerAuth)},
		ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: ca.pool,
	})))...)
	srv.Register(g)
	healthpb.RegisterHealthServer(g, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	return &wire{t: t, addr: lis.Addr().String(), ca: ca, st: st}
}

// conn dials with the certificate, or with none if cert is nil.
func (w *wire) conn(cert *tls.Certificate) *grpc.ClientConn {
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: w.ca.pool, ServerName: "127.0.0.1"}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	conn, err := grpc.NewClient(w.addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	require.NoError(w.t, err)
	w.t.Cleanup(func() { conn.Close() })
	return conn
}

// station issues a client certificate and dials with it.
func (w *wire) station(name string, role Role) (*grpc.ClientConn, tls.Certificate) {
	c := w.ca.cert(name, string(role), x509.ExtKeyUsageClientAuth)
	return w.conn(&c), c
}

// last returns the last audit record.
func (w *wire) last() store.AuditRecord {
	recs := w.records(store.AuditFilter{})
	require.NotEmpty(w.t, recs)
	return recs[len(recs)-1]
}

func (w *wire) records(f store.AuditFilter) []store.AuditRecord {
	recs, _, err := w.st.QueryAudit(context.Background(), f, "", 1000)
	require.NoError(w.t, err)
	return recs
}

// issuer is a test OIDC issuer: keys made in the test, its JWKS in a file.
type issuer struct {
	url   string
	ec    *ecdsa.PrivateKey
	rsa   *rsa.PrivateKey
	other *ecdsa.PrivateKey // not in the key set
	path  string
}

func newIssuer(t *testing.T) *issuer {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	is := &issuer{url: "https://idp.example.test/realms/cjis", ec: ec, rsa: rk, other: other, path: filepath.Join(t.TempDir(), "jwks.json")}
	writeJWKS(t, is.path, map[string]any{"ec-1": &ec.PublicKey, "rsa-1": &rk.PublicKey})
	return is
}

// jwkOf is a public key as a JWK.
func jwkOf(t *testing.T, kid string, pub any) map[string]string {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		raw, err := k.Bytes()
		require.NoError(t, err)
		n := (len(raw) - 1) / 2
		crv := map[int]string{32: "P-256", 48: "P-384"}[n]
		return map[string]string{"kty": "EC", "kid": kid, "use": "sig", "crv": crv, "x": b64(raw[1 : 1+n]), "y": b64(raw[1+n:])}
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	}
	t.Fatalf("no JWK for %T", pub)
	return nil
}

func writeJWKS(t *testing.T, path string, keys map[string]any) {
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	for kid, k := range keys {
		set.Keys = append(set.Keys, jwkOf(t, kid, k))
	}
	data, err := json.Marshal(set)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o600))
}

func sign(t *testing.T, m jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

const testAudience = "whorl"

func (is *issuer) claims(now time.Time, person string) jwt.MapClaims {
	return jwt.MapClaims{"iss": is.url, "aud": testAudience, "sub": "user-0042", "preferred_username": person,
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(10 * time.Minute).Unix()}
}

func (is *issuer) verifier(t *testing.T) *PersonVerifier {
	v, err := NewPersonVerifier(PersonConfig{Issuer: is.url, Audience: testAudience, KeysFile: is.path})
	require.NoError(t, err)
	return v
}

func withToken(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// TestPersonTokensOverTheWire: a valid person token puts the person in
// the audit record beside the station; every kind of bad token is
// Unauthenticated, and audited with the station but no person.
func TestPersonTokensOverTheWire(t *testing.T) {
	clock := newFakeClock()
	is := newIssuer(t)
	w := startWire(t, Config{PersonTokens: is.verifier(t), Now: clock.Now, Sleep: clock.Sleep, Lockout: LockoutConfig{Disabled: true}})
	conn, _ := w.station("audit-desk-3", RoleAuditor)
	audit := whorlv1.NewAuditServiceClient(conn)
	now := clock.Now()

	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := is.claims(now, "j.doe")
		edit(c)
		return c
	}
	noUsername := with(func(c jwt.MapClaims) { delete(c, "preferred_username") })
	b64 := base64.RawURLEncoding.EncodeToString
	good := sign(t, jwt.SigningMethodES256, is.ec, "ec-1", is.claims(now, "j.doe"))
	parts := strings.Split(good, ".")
	hmacKey, err := x509.MarshalPKIXPublicKey(&is.ec.PublicKey)
	require.NoError(t, err)

	cases := []struct {
		name   string
		md     []string // authorization values sent
		code   codes.Code
		person string
	}{
		{"ES256, preferred_username", []string{"Bearer " + good}, codes.OK, "j.doe"},
		{"RS256, sub when no preferred_username", []string{"Bearer " + sign(t, jwt.SigningMethodRS256, is.rsa, "rsa-1", noUsername)}, codes.OK, "user-0042"},
		{"PS256", []string{"Bearer " + sign(t, jwt.SigningMethodPS256, is.rsa, "rsa-1", is.claims(now, "a.examiner"))}, codes.OK, "a.examiner"},
		{"no kid: every fitting key is tried", []string{"Bearer " + sign(t, jwt.SigningMethodES256, is.ec, "", is.claims(now, "k.nokid"))}, codes.OK, "k.nokid"},
		{"scheme in lower case", []string{"bearer " + good}, codes.OK, "j.doe"},
		{"expired within the leeway", []string{"Bearer " + sign(t, jwt.SigningMethodES256, is.ec, "ec-1", with(func(c jwt.MapClaims) { c["exp"] = now.Add(-30 * time.Second).Unix() }))}, codes.OK, "j.doe"},
		{"expired", []string{"Bearer " + sign(t, jwt.SigningMethodES256, is.ec, "ec-1", with(func(c jwt.MapClaims) { c["exp"] = now.Add(-2 * time.Minute).Unix() }))}, codes.Unauthenticated, ""},
		{"no exp", []string{"Bearer " + sign(t, jwt.SigningMethodES256, is.ec, "ec-1", with(func(c jwt.MapClaims) { delete(c, "exp") }))}, codes.Unauthenticated, ""},
		{"not valid yet", []string{"Bearer " + sign(t, jwt.SigningMethodES256, is.ec, "ec-1", with(func(c jwt.MapClaims) { c["nbf"] = now.Add(5 * time.Minute).Unix() }))}, codes.Unauthenticated, ""},
		{"wrong issuer", []string{"Bearer " + sign(t, jwt.SigningMethodES256, is.ec, "ec-1", with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example.test" }))}, codes.Unauthenticated, ""},
		{"wrong audience", []string{"Bearer " + sign(t, jwt.SigningMethodES256, is.ec, "ec-1", with(func(c jwt.MapClaims) { c["aud"] = "another-app" }))}, codes.Unauthenticated, ""},
		{"audience list with ours", []string{"Bearer " + sign(t, jwt.SigningMethodES256, is.ec, "ec-1", with(func(c jwt.MapClaims) { c["aud"] = []string{"x", testAudience} }))}, codes.OK, "j.doe"},
		{"bad signature: a key not in the set, same kid", []string{"Bearer " + sign(t, jwt.SigningMethodES256, is.other, "ec-1", is.claims(now, "mallory"))}, codes.Unauthenticated, ""},
		{"bad signature: payload swapped", []string{"Bearer " + parts[0] + "." + b64([]byte(`{"iss":"`+is.url+`","aud":"whorl","preferred_username":"mallory","exp":`+big.NewInt(now.Add(time.Hour).Unix()).String()+`}`)) + "." + parts[2]}, codes.Unauthenticated, ""},
		{"alg none", []string{"Bearer " + b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."}, codes.Unauthenticated, ""},
		{"HS256 keyed with the public key", []string{"Bearer " + sign(t, jwt.SigningMethodHS256, hmacKey, "ec-1", is.claims(now, "mallory"))}, codes.Unauthenticated, ""},
		{"RS256 with the EC key's kid", []string{"Bearer " + sign(t, jwt.SigningMethodRS256, is.rsa, "ec-1", is.claims(now, "mallory"))}, codes.Unauthenticated, ""},
		{"unknown kid", []string{"Bearer " + sign(t, jwt.SigningMethodES256, is.ec, "ec-9", is.claims(now, "j.doe"))}, codes.Unauthenticated, ""},
		{"no person claim", []string{"Bearer " + sign(t, jwt.SigningMethodES256, is.ec, "ec-1", with(func(c jwt.MapClaims) { delete(c, "preferred_username"); delete(c, "sub") }))}, codes.Unauthenticated, ""},
		{"control character in the name", []string{"Bearer " + sign(t, jwt.SigningMethodES256, is.ec, "ec-1", is.claims(now, "j.doe\u202e"))}, codes.Unauthenticated, ""},
		{"not a JWT", []string{"Bearer not-a-token"}, codes.Unauthenticated, ""},
		{"another scheme", []string{"Basic dXNlcjpwYXNz"}, codes.Unauthenticated, ""},
		{"empty bearer", []string{"Bearer "}, codes.Unauthenticated, ""},
		{"two tokens", []string{"Bearer " + good, "Bearer " + good}, codes.Unauthenticated, ""},
		{"oversized", []string{"Bearer " + strings.Repeat("a", maxTokenBytes+1)}, codes.Unauthenticated, ""},
		{"no token (not required)", nil, codes.OK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			for _, v := range c.md {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", v)
			}
			_, err := audit.QueryAudit(ctx, &whorlv1.QueryAuditRequest{Station: "nobody"})
			require.Equal(t, c.code, status.Code(err), "%v", err)
			rec := w.last()
			assert.Equal(t, "/whorl.v1.AuditService/QueryAudit", rec.Method)
			assert.Equal(t, uint32(c.code), rec.Code)
			assert.Equal(t, "audit-desk-3", rec.Station, "the station is recorded whatever the token")
			assert.Equal(t, string(RoleAuditor), rec.Role)
			assert.Equal(t, c.person, rec.Person)
		})
	}

	// The auditor finds the person's calls, and sees the person.
	resp, err := audit.QueryAudit(context.Background(), &whorlv1.QueryAuditRequest{Person: "j.doe"})
	require.NoError(t, err)
	require.Len(t, resp.Records, 4)
	for _, r := range resp.Records {
		assert.Equal(t, "j.doe", r.Person)
		assert.Equal(t, "audit-desk-3", r.Station)
	}
	_, err = audit.QueryAudit(context.Background(), &whorlv1.QueryAuditRequest{Person: "bad\x00name"})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))

	// Time moves on: the good token expires.
	clock.Advance(11 * time.Minute)
	_, err = audit.QueryAudit(withToken(context.Background(), good), &whorlv1.QueryAuditRequest{})
	assert.Equal(t, codes.Unauthenticated, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "expired")
}

// TestRequirePersonToken: under the policy switch every RPC without a
// valid person token is Unauthenticated, except health checks.
func TestRequirePersonToken(t *testing.T) {
	clock := newFakeClock()
	is := newIssuer(t)
	w := startWire(t, Config{PersonTokens: is.verifier(t), RequirePersonToken: true, Now: clock.Now, Sleep: clock.Sleep,
		Lockout: LockoutConfig{Disabled: true}})
	conn, _ := w.station("booking-7", RoleBooking)
	ctx := context.Background()
	tpl := &whorlv1.Template{X: []float32{10, 50}, Y: []float32{10, 60}, Direction: []float32{0, 1}, Kinds: []whorlv1.MinutiaKind{1, 2}, Qualities: []uint32{50, 50}}
	req := &whorlv1.IdentifyRequest{Fingers: []*whorlv1.Finger{{Source: &whorlv1.Finger_Template{Template: tpl}}}}
	search := whorlv1.NewSearchServiceClient(conn)

	_, err := search.Identify(ctx, req)
	require.Equal(t, codes.Unauthenticated, status.Code(err), "%v", err)
	assert.Contains(t, status.Convert(err).Message(), "authorization: Bearer")
	rec := w.last()
	assert.Equal(t, uint32(codes.Unauthenticated), rec.Code)
	assert.Equal(t, "booking-7", rec.Station)

	_, err = search.Identify(withToken(ctx, "garbage"), req)
	assert.Equal(t, codes.Unauthenticated, status.Code(err))

	_, err = search.Identify(withToken(ctx, sign(t, jwt.SigningMethodES256, is.ec, "ec-1", is.claims(clock.Now(), "officer.k"))), req)
	require.NoError(t, err)
	rec = w.last()
	assert.Equal(t, "officer.k", rec.Person)
	assert.Equal(t, "booking-7", rec.Station)
	assert.Equal(t, uint32(codes.OK), rec.Code)

	// Health checks need no person.
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	assert.NoError(t, err)
	// A token is still needed for everything else, even denied methods.
	_, err = whorlv1.NewAuditServiceClient(conn).QueryAudit(ctx, &whorlv1.QueryAuditRequest{})
	assert.Equal(t, codes.Unauthenticated, status.Code(err))
}

// TestPersonTokenWithoutVerifier: a server configured for no person
// tokens refuses a call that carries one rather than ignore it.
func TestPersonTokenWithoutVerifier(t *testing.T) {
	w := startWire(t, Config{Lockout: LockoutConfig{Disabled: true}})
	conn, _ := w.station("audit-1", RoleAuditor)
	_, err := whorlv1.NewAuditServiceClient(conn).QueryAudit(withToken(context.Background(), "a.b.c"), &whorlv1.QueryAuditRequest{})
	assert.Equal(t, codes.Unauthenticated, status.Code(err))
	_, err = whorlv1.NewAuditServiceClient(conn).QueryAudit(context.Background(), &whorlv1.QueryAuditRequest{})
	assert.NoError(t, err)
}

// TestPersonKeysRotate: the key set file is read again when it changes;
// one that stops loading fails closed (Unavailable, a server fault).
func TestPersonKeysRotate(t *testing.T) {
	clock := newFakeClock()
	is := newIssuer(t)
	w := startWire(t, Config{PersonTokens: is.verifier(t), Now: clock.Now, Sleep: clock.Sleep})
	conn, _ := w.station("audit-1", RoleAuditor)
	audit := whorlv1.NewAuditServiceClient(conn)
	call := func(tok string) error {
		_, err := audit.QueryAudit(withToken(context.Background(), tok), &whorlv1.QueryAuditRequest{})
		return err
	}
	newKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	rotated := sign(t, jwt.SigningMethodES384, newKey, "ec-2", is.claims(clock.Now(), "rotated"))
	old := sign(t, jwt.SigningMethodES256, is.ec, "ec-1", is.claims(clock.Now(), "j.doe"))
	require.NoError(t, call(old))
	assert.Equal(t, codes.Unauthenticated, status.Code(call(rotated)))

	writeJWKS(t, is.path, map[string]any{"ec-2": &newKey.PublicKey})
	bump := func() {
		st, err := os.Stat(is.path)
		require.NoError(t, err)
		require.NoError(t, os.Chtimes(is.path, st.ModTime(), st.ModTime().Add(time.Second)))
	}
	bump()
	require.NoError(t, call(rotated))
	assert.Equal(t, "rotated", w.last().Person)
	assert.Equal(t, codes.Unauthenticated, status.Code(call(old)), "a key removed from the set no longer verifies")

	require.NoError(t, os.WriteFile(is.path, []byte(`{"keys":[`), 0o600))
	bump()
	assert.Equal(t, codes.Unavailable, status.Code(call(rotated)))
	require.NoError(t, os.Remove(is.path))
	assert.Equal(t, codes.Unavailable, status.Code(call(rotated)))
	// Without a token the call is served: the keys matter only to tokens.
	_, err = audit.QueryAudit(context.Background(), &whorlv1.QueryAuditRequest{})
	assert.NoError(t, err)
}

func TestNewPersonVerifierChecksItsConfiguration(t *testing.T) {
	is := newIssuer(t)
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"keys":[]}`), 0o600))
	for _, c := range []PersonConfig{
		{Audience: "a", KeysFile: is.path},
		{Issuer: "i", KeysFile: is.path},
		{Issuer: "i", Audience: "a"},
		{Issuer: "i", Audience: "a", KeysFile: filepath.Join(t.TempDir(), "absent.json")},
		{Issuer: "i", Audience: "a", KeysFile: bad},
		{Issuer: "i", Audience: "a", KeysFile: is.path, Leeway: time.Hour},
	} {
		_, err := NewPersonVerifier(c)
		assert.Error(t, err, "%+v", c)
	}
	v, err := NewPersonVerifier(PersonConfig{Issuer: is.url, Audience: testAudience, KeysFile: is.path, Claim: "email"})
	require.NoError(t, err)
	now := time.Now()
	c := is.claims(now, "ignored")
	c["email"] = "j.doe@agency.example"
	p, err := v.Verify(sign(t, jwt.SigningMethodES256, is.ec, "ec-1", c), now)
	require.NoError(t, err)
	assert.Equal(t, "j.doe@agency.example", p)
	delete(c, "email")
	p, err = v.Verify(sign(t, jwt.SigningMethodES256, is.ec, "ec-1", c), now)
	require.NoError(t, err)
	assert.Equal(t, "user-0042", p, "sub when the configured claim is absent")
}

func TestParseJWKS(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	good := jwkOf(t, "k", &ec.PublicKey)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	goodRSA := jwkOf(t, "r", &rk.PublicKey)
	set := func(keys ...map[string]string) []byte {
		b, err := json.Marshal(map[string]any{"keys": keys})
		require.NoError(t, err)
		return b
	}
	edit := func(k map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for a, b := range k {
			out[a] = b
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(out, kv[i])
			} else {
				out[kv[i]] = kv[i+1]
			}
		}
		return out
	}
	smallRSA := map[string]string{"kty": "RSA", "n": base64.RawURLEncoding.EncodeToString(make([]byte, 128)), "e": "AQAB"}
	smallRSA["n"] = base64.RawURLEncoding.EncodeToString(append([]byte{0xc1}, make([]byte, 127)...))
	cases := []struct {
		name string
		data []byte
		keys int // usable keys; -1: an error
	}{
		{"one EC key", set(good), 1},
		{"EC and RSA", set(good, goodRSA), 2},
		{"an encryption key is skipped", set(good, edit(goodRSA, "use", "enc")), 1},
		{"an Ed25519 key is skipped", set(good, map[string]string{"kty": "OKP", "crv": "Ed25519", "x": "AA"}), 1},
		{"a P-521 key is skipped", set(good, edit(good, "crv", "P-521")), 1},
		{"an RS512 key is skipped", set(good, edit(goodRSA, "alg", "RS512")), 1},
		{"only skipped keys", set(edit(good, "use", "enc")), -1},
		{"empty set", set(), -1},
		{"not JSON", []byte("{"), -1},
		{"keys not an array", []byte(`{"keys":{}}`), -1},
		{"private EC key", set(edit(good, "d", "AAAA")), -1},
		{"private RSA key", set(edit(goodRSA, "p", "AAAA")), -1},
		{"x padded", set(edit(good, "x", good["x"]+"=")), -1},
		{"x standard base64", set(edit(good, "x", strings.NewReplacer("-", "+", "_", "/").Replace(good["x"])+"+")), -1},
		{"x missing", set(edit(good, "x", "")), -1},
		{"x short", set(edit(good, "x", good["x"][4:])), -1},
		{"point not on the curve", set(edit(good, "y", good["x"])), -1},
		{"alg not fitting the curve", set(edit(good, "alg", "ES384")), -1},
		{"RSA of 1024 bits", set(smallRSA), -1},
		{"RSA even exponent", set(edit(goodRSA, "e", "AQAA")), -1},
		{"RSA exponent 1", set(edit(goodRSA, "e", "AQ")), -1},
		{"RSA exponent too wide", set(edit(goodRSA, "e", "AQAAAAAB")), -1},
		{"RSA leading zero", set(edit(goodRSA, "n", "AA"+goodRSA["n"])), -1},
		{"too large", append(set(good), make([]byte, maxJWKSBytes)...), -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParseJWKS(c.data)
			if c.keys < 0 {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.keys, s.Len())
		})
	}
}

// FuzzParseJWKS: any bytes give a key set or an error, never a panic;
// a set that parses has usable keys only.
func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"a"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"r"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-384","x":"","y":""},{"kty":"OKP"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseJWKS(data)
		if err != nil {
			return
		}
		if s.Len() == 0 {
			t.Fatal("a key set with no usable key parsed")
		}
		for _, k := range s.keys {
			switch pub := k.key.(type) {
			case *ecdsa.PublicKey:
				if pub.Curve != elliptic.P256() && pub.Curve != elliptic.P384() {
					t.Fatalf("curve %v", pub.Curve.Params().Name)
				}
			case *rsa.PublicKey:
				if pub.N.BitLen() < 2048 || pub.E < 3 {
					t.Fatalf("weak RSA key: %d bits, e %d", pub.N.BitLen(), pub.E)
				}
			default:
				t.Fatalf("key of type %T", k.key)
			}
		}
	})
}

// FuzzPersonToken: any token string is verified or refused, never a
// panic; what verifies names a valid person. The seeds include a valid
// token, so the fuzzer mutates from a real signature.
func FuzzPersonToken(f *testing.F) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "jwks.json")
	raw, err := ec.PublicKey.Bytes()
	if err != nil {
		f.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	data := `{"keys":[{"kty":"EC","crv":"P-256","kid":"k","x":"` + b64(raw[1:33]) + `","y":"` + b64(raw[33:]) + `"}]}`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		f.Fatal(err)
	}
	v, err := NewPersonVerifier(PersonConfig{Issuer: "https://idp", Audience: "whorl", KeysFile: path})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": "https://idp", "aud": "whorl", "sub": "p", "exp": now.Add(time.Hour).Unix()})
	tok.Header["kid"] = "k"
	good, err := tok.SignedString(ec)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJwIn0.")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		p, err := v.Verify(token, now)
		if err == nil && (p == "" || len(p) > maxPersonBytes) {
			t.Fatalf("verified with person %q", p)
		}
	})
}
