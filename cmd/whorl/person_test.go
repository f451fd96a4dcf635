package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/pki"
)

// startServeWith is startServe with any options (data and addresses set
// here).
func startServeWith(t *testing.T, o serveOptions) (addr string, stop func()) {
	t.Helper()
	o.listen, o.metrics = "127.0.0.1:0", ""
	ctx, cancel := context.WithCancel(context.Background())
	// Write clears w.addr under its lock; the test reads its own copy.
	reported := make(chan string, 1)
	w := &addrWriter{addr: reported}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, o, slog.New(slog.NewTextHandler(io.Discard, nil)), w) }()
	select {
	case addr = <-reported:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not report its address")
	}
	return addr, func() {
		cancel()
		require.NoError(t, <-done)
	}
}

// testIssuer writes a JWKS with a fresh P-256 key and returns its path
// and a token for the person, signed with it.
func testIssuer(t *testing.T, person string) (jwksPath, token string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	raw, err := key.PublicKey.Bytes()
	require.NoError(t, err)
	b64 := base64.RawURLEncoding.EncodeToString
	set, err := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "x": b64(raw[1:33]), "y": b64(raw[33:])}}})
	require.NoError(t, err)
	jwksPath = filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(jwksPath, set, 0o600))
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": "https://idp.example.test", "aud": "whorl",
		"sub": "u-1", "preferred_username": person, "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = "k1"
	token, err = tok.SignedString(key)
	require.NoError(t, err)
	return jwksPath, token
}

// TestPersonTokenCLI: serve with person tokens; the CLI sends one from a
// file or the environment; the audit trail and `audit query --person`
// show the person beside the station.
func TestPersonTokenCLI(t *testing.T) {
	jwks, token := testIssuer(t, "j.doe")
	data := filepath.Join(t.TempDir(), "whorl-data")
	addr, stop := startServeWith(t, serveOptions{data: data, person: personFlags{
		issuer: "https://idp.example.test", audience: "whorl", keys: jwks, claim: "preferred_username"}})
	defer stop()
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"certs", "issue", "--data", data, "--role", "auditor", "--name", "auditor-1"}, &out, &errOut), errOut.String())
	tokenFile := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(token+"\n"), 0o600))
	badFile := filepath.Join(t.TempDir(), "bad")
	require.NoError(t, os.WriteFile(badFile, []byte("not.a.token"), 0o600))
	query := func(args ...string) (int, string) {
		var o, e bytes.Buffer
		base := []string{"audit", "query", "--server", addr, "--data", data,
			"--cert", filepath.Join(data, "tls", "clients", "auditor-1.pem"), "--key", filepath.Join(data, "tls", "clients", "auditor-1-key.pem")}
		code := run(append(base, args...), &o, &e)
		return code, o.String() + e.String()
	}

	code, msg := query("--person-token", tokenFile)
	require.Equal(t, 0, code, msg)
	code, msg = query("--person-token", badFile)
	assert.Equal(t, 1, code)
	assert.Contains(t, msg, "Unauthenticated")
	t.Setenv(personTokenEnv, token)
	code, msg = query("--method", "/whorl.v1.AuditService/QueryAudit")
	require.Equal(t, 0, code, msg)
	assert.Contains(t, msg, "PERSON")
	assert.Contains(t, msg, "j.doe")
	t.Setenv(personTokenEnv, "")

	code, msg = query("--json", "--person", "j.doe")
	require.Equal(t, 0, code, msg)
	var page struct {
		Records []struct{ Station, Person, Method, Code string } `json:"records"`
	}
	require.NoError(t, json.Unmarshal([]byte(msg), &page), msg)
	require.Len(t, page.Records, 2, "the call with the file's token and the one with the environment's")
	for _, r := range page.Records {
		assert.Equal(t, "auditor-1", r.Station)
		assert.Equal(t, "j.doe", r.Person)
		assert.Equal(t, "OK", r.Code)
	}

	// Never over a connection without TLS.
	code, msg = query("--insecure", "--person-token", tokenFile)
	assert.Equal(t, 1, code)
	assert.Contains(t, msg, "only over TLS")
}

// TestRequirePersonTokenCLI: under --require-person-token a call without
// a token fails Unauthenticated; with one it is served.
func TestRequirePersonTokenCLI(t *testing.T) {
	jwks, token := testIssuer(t, "k.smith")
	data := filepath.Join(t.TempDir(), "whorl-data")
	addr, stop := startServeWith(t, serveOptions{data: data, person: personFlags{
		issuer: "https://idp.example.test", audience: "whorl", keys: jwks, require: true}})
	defer stop()
	var o, e bytes.Buffer
	assert.Equal(t, 1, run([]string{"list", "--server", addr, "--data", data}, &o, &e))
	assert.Contains(t, e.String(), "Unauthenticated")
	t.Setenv(personTokenEnv, token)
	e.Reset()
	assert.Equal(t, 0, run([]string{"list", "--server", addr, "--data", data}, &o, &e), e.String())
}

func TestServeFlagChecks(t *testing.T) {
	jwks, _ := testIssuer(t, "x")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for name, o := range map[string]serveOptions{
		"issuer without keys":       {person: personFlags{issuer: "i", audience: "a"}},
		"require without an issuer": {person: personFlags{require: true}},
		"claim alone":               {person: personFlags{claim: "email"}},
		"keys that do not load":     {person: personFlags{issuer: "i", audience: "a", keys: filepath.Join(t.TempDir(), "absent")}},
		"tokens with --insecure":    {insecure: true, person: personFlags{issuer: "i", audience: "a", keys: jwks}},
		"--tls12 with --insecure":   {insecure: true, tls12: true},
	} {
		o.data, o.listen = t.TempDir(), "127.0.0.1:0"
		assert.Error(t, serve(context.Background(), o, log, io.Discard), name)
	}
}

// TestServeTLS12: serve --tls12 accepts a TLS 1.2 client; without it the
// handshake fails.
func TestServeTLS12(t *testing.T) {
	for _, allow := range []bool{false, true} {
		data := filepath.Join(t.TempDir(), "whorl-data")
		addr, stop := startServeWith(t, serveOptions{data: data, tls12: allow})
		cfg, err := pki.ClientTLS(tlsDir(data), pki.AdminFile, pki.AdminKeyFile)
		require.NoError(t, err)
		cfg.ServerName, cfg.MinVersion, cfg.MaxVersion = "localhost", tls.VersionTLS12, tls.VersionTLS12
		conn, err := tls.Dial("tcp", addr, cfg)
		if allow {
			require.NoError(t, err)
			assert.Equal(t, uint16(tls.VersionTLS12), conn.ConnectionState().Version)
			conn.Close()
		} else {
			assert.Error(t, err)
		}
		stop()
	}
}
