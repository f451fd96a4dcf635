package pki

import (
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnsureMakesAWorkingOwnerOnlyPKI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	created, err := Ensure(dir, []string{"localhost", "127.0.0.1"})
	require.NoError(t, err)
	assert.True(t, created)
	created, err = Ensure(dir, []string{"localhost"})
	require.NoError(t, err)
	assert.False(t, created, "an existing PKI is kept")
	for _, f := range []string{CAFile, CAKeyFile, ServerFile, ServerKeyFile, AdminFile, AdminKeyFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), f)
	}

	serverTLS, err := ServerTLS(dir)
	require.NoError(t, err)
	clientTLS, err := ClientTLS(dir, AdminFile, AdminKeyFile)
	require.NoError(t, err)
	lis, err := tls.Listen("tcp", "127.0.0.1:0", serverTLS)
	require.NoError(t, err)
	defer lis.Close()
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			go func() {
				c.SetDeadline(time.Now().Add(10 * time.Second))
				io.Copy(c, c)
				c.Close()
			}()
		}
	}()
	clientTLS.ServerName = "localhost"
	conn, err := tls.Dial("tcp", lis.Addr().String(), clientTLS)
	require.NoError(t, err)
	defer conn.Close()
	assert.Equal(t, uint16(tls.VersionTLS13), conn.ConnectionState().Version)
	assert.Equal(t, []string{RoleAdmin}, clientTLS.Certificates[0].Leaf.Subject.OrganizationalUnit)

	// A certificate from another CA: the handshake fails. (No certificate
	// at all passes the handshake; the server refuses its RPCs.)
	other := t.TempDir()
	_, err = Ensure(other, []string{"localhost"})
	require.NoError(t, err)
	foreign, err := ClientTLS(other, AdminFile, AdminKeyFile)
	require.NoError(t, err)
	foreign.RootCAs, foreign.ServerName = clientTLS.RootCAs, "localhost"
	c2, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", lis.Addr().String(), foreign)
	if err == nil {
		// In TLS 1.3 the server's refusal arrives after the client's
		// handshake: the first read gets it.
		c2.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = c2.Read(make([]byte, 1))
		c2.Close()
	}
	assert.Error(t, err)
}

func TestKeysReadableByOthersAreRefused(t *testing.T) {
	dir := t.TempDir()
	_, err := Ensure(dir, []string{"localhost"})
	require.NoError(t, err)
	require.NoError(t, os.Chmod(filepath.Join(dir, ServerKeyFile), 0o644))
	_, err = ServerTLS(dir)
	assert.ErrorContains(t, err, "readable by others")
}

func TestServerCertificateIsIssuedAgainForNewHosts(t *testing.T) {
	dir := t.TempDir()
	_, err := Ensure(dir, []string{"localhost"})
	require.NoError(t, err)
	ca, err := os.ReadFile(filepath.Join(dir, CAFile))
	require.NoError(t, err)
	_, err = Ensure(dir, []string{"localhost", "afis.example.org"})
	require.NoError(t, err)
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, ServerFile), filepath.Join(dir, ServerKeyFile))
	require.NoError(t, err)
	assert.NoError(t, cert.Leaf.VerifyHostname("afis.example.org"))
	again, err := os.ReadFile(filepath.Join(dir, CAFile))
	require.NoError(t, err)
	assert.Equal(t, ca, again, "the CA is kept")
	_, err = ServerTLS(dir)
	assert.NoError(t, err)
}

func TestIssueAndRevoke(t *testing.T) {
	dir := t.TempDir()
	_, err := Ensure(dir, []string{"localhost"})
	require.NoError(t, err)
	certPath, keyPath, err := Issue(dir, "station-12", "examiner")
	require.NoError(t, err)
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	require.NoError(t, err)
	assert.Equal(t, "station-12", cert.Leaf.Subject.CommonName)
	assert.Equal(t, []string{"examiner"}, cert.Leaf.Subject.OrganizationalUnit)
	_, _, err = Issue(dir, "station-12", "examiner")
	assert.Error(t, err, "no overwrite")
	_, _, err = Issue(dir, "../evil", "admin")
	assert.Error(t, err)

	r := NewRevocations(dir)
	assert.False(t, r.IsRevoked(cert.Leaf))
	serial, err := Revoke(dir, certPath)
	require.NoError(t, err)
	assert.Equal(t, cert.Leaf.SerialNumber.Text(16), serial)
	assert.True(t, r.IsRevoked(cert.Leaf), "seen without a restart")
	admin, err := tls.LoadX509KeyPair(filepath.Join(dir, AdminFile), filepath.Join(dir, AdminKeyFile))
	require.NoError(t, err)
	assert.False(t, r.IsRevoked(admin.Leaf))
}
