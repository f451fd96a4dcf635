package pki

import (
	"crypto/fips140"
	"crypto/tls"
	"net"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// handshake runs one TLS handshake over loopback and returns both sides'
// errors and, on success, the connection's state.
func handshake(t *testing.T, server, client *tls.Config) (serverErr, clientErr error, state tls.ConnectionState) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer lis.Close()
	done := make(chan error, 1)
	go func() {
		c, err := lis.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		done <- tls.Server(c, server).Handshake()
	}()
	raw, err := net.Dial("tcp", lis.Addr().String())
	require.NoError(t, err)
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	c := tls.Client(raw, client)
	clientErr = c.Handshake()
	if clientErr == nil {
		state = c.ConnectionState()
	} else {
		raw.Close() // the server is not left waiting for a hello never sent
	}
	return <-done, clientErr, state
}

// TestTLS12Option: TLS 1.2 is refused by default and accepted with
// AllowTLS12, but then only with the FIPS-approved AES-GCM suites and the
// NIST curves.
func TestTLS12Option(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	_, err := Ensure(dir, []string{"localhost"})
	require.NoError(t, err)
	strict, err := ServerTLS(dir)
	require.NoError(t, err)
	lenient, err := ServerTLS(dir)
	require.NoError(t, err)
	AllowTLS12(lenient)

	client := func(edit func(*tls.Config)) *tls.Config {
		c, err := ClientTLS(dir, AdminFile, AdminKeyFile)
		require.NoError(t, err)
		c.ServerName = "localhost"
		c.MinVersion, c.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		if edit != nil {
			edit(c)
		}
		return c
	}
	suites := func(s ...uint16) func(*tls.Config) { return func(c *tls.Config) { c.CipherSuites = s } }

	cases := []struct {
		name    string
		server  *tls.Config
		client  *tls.Config
		ok      bool
		version uint16
	}{
		{"TLS 1.2 client, default server", strict, client(nil), false, 0},
		{"TLS 1.2 client, --tls12", lenient, client(nil), true, tls.VersionTLS12},
		{"TLS 1.2 AES-256-GCM", lenient, client(suites(tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)), true, tls.VersionTLS12},
		{"TLS 1.2 CBC only", lenient, client(suites(tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA)), false, 0},
		{"TLS 1.2 ChaCha20 only", lenient, client(suites(tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256)), false, 0},
		{"TLS 1.2 X25519 only", lenient, client(func(c *tls.Config) { c.CurvePreferences = []tls.CurveID{tls.X25519} }), false, 0},
		{"TLS 1.3 client, --tls12", lenient, client(func(c *tls.Config) { c.MinVersion, c.MaxVersion = tls.VersionTLS13, 0 }), true, tls.VersionTLS13},
		{"TLS 1.3 client, default server", strict, client(func(c *tls.Config) { c.MinVersion, c.MaxVersion = tls.VersionTLS13, 0 }), true, tls.VersionTLS13},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			serr, cerr, st := handshake(t, c.server, c.client)
			if !c.ok {
				assert.Error(t, serr, "the server must refuse")
				assert.Error(t, cerr)
				return
			}
			require.NoError(t, serr)
			require.NoError(t, cerr)
			assert.Equal(t, c.version, st.Version)
			if st.Version == tls.VersionTLS12 {
				assert.True(t, slices.Contains(TLS12Suites, st.CipherSuite), tls.CipherSuiteName(st.CipherSuite))
			}
		})
	}

	// Outside FIPS mode the client really offers the suite, and it is the
	// server that refuses it. (In FIPS mode Go's client will not even
	// offer CBC-SHA1 or ChaCha20, which refuses them just the same.)
	if !fips140.Enabled() {
		serr, _, _ := handshake(t, lenient, client(suites(tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256)))
		require.Error(t, serr)
		assert.Contains(t, serr.Error(), "cipher suite")
	}
	assert.Equal(t, uint16(tls.VersionTLS13), strict.MinVersion, "the default stays TLS 1.3 only")
}
