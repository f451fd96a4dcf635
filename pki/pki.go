// Package pki makes and loads the local certificate authority that secures
// a Whorl installation out of the box: on a fresh data directory, `whorl
// serve` creates a CA, a server certificate and an administrator's client
// certificate, all files owner-only, and both sides load their TLS
// configuration from them. Transport is TLS 1.3 with client certificates
// required; a client certificate names a station and, in its
// organisational unit, its role. Standard library cryptography only
// (ECDSA P-256), so a GOFIPS140 build runs in FIPS 140-3 mode.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// File names in the TLS directory.
const (
	CAFile        = "ca.pem"
	CAKeyFile     = "ca-key.pem"
	ServerFile    = "server.pem"
	ServerKeyFile = "server-key.pem"
	AdminFile     = "admin.pem"
	AdminKeyFile  = "admin-key.pem"
)

// RoleAdmin is the role of the certificate made with a fresh installation.
const RoleAdmin = "admin"

// Validity of what Ensure makes. A local CA outlives its leaves; leaves are
// reissued by the operator.
const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 365 * 24 * time.Hour
)

// Ensure makes the CA, the server certificate (for hosts: names or IP
// addresses) and the administrator's certificate in dir unless they exist,
// and reports whether it made them. Files are written owner-only.
//
// An existing installation keeps its CA; its server certificate is issued
// again when it expires within renewBefore or does not name every host, so
// that a server is never locked out by its own certificate.
func Ensure(dir string, hosts []string) (created bool, err error) {
	if _, err := os.Stat(filepath.Join(dir, CAFile)); err == nil {
		return false, renewServer(dir, hosts)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return false, err
	}
	now := time.Now()
	caTpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Whorl local CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	if err != nil {
		return false, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return false, err
	}
	// The leaves first, the CA last: a crash halfway leaves no CA file, and
	// the next start makes everything again.
	if err := issue(dir, ServerFile, ServerKeyFile, ca, caKey, "whorl server", "", hosts, x509.ExtKeyUsageServerAuth); err != nil {
		return false, err
	}
	if err := issue(dir, AdminFile, AdminKeyFile, ca, caKey, "admin", RoleAdmin, nil, x509.ExtKeyUsageClientAuth); err != nil {
		return false, err
	}
	if err := writeKey(filepath.Join(dir, CAKeyFile), caKey); err != nil {
		return false, err
	}
	if err := writePEM(filepath.Join(dir, CAFile), "CERTIFICATE", caDER); err != nil {
		return false, err
	}
	return true, nil
}

// renewBefore is how long before its expiry the server certificate is
// issued again.
const renewBefore = 30 * 24 * time.Hour

// renewServer issues the server certificate again from the CA when it
// expires within renewBefore or lacks one of hosts.
func renewServer(dir string, hosts []string) error {
	cur, err := tls.LoadX509KeyPair(filepath.Join(dir, ServerFile), filepath.Join(dir, ServerKeyFile))
	if err == nil && time.Until(cur.Leaf.NotAfter) > renewBefore && names(cur.Leaf, hosts) {
		return nil
	}
	ca, err := tls.LoadX509KeyPair(filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile))
	if err != nil {
		return fmt.Errorf("pki: the server certificate needs issuing again, but the CA does not load: %w", err)
	}
	caKey, ok := ca.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return fmt.Errorf("pki: %s is not an ECDSA key", filepath.Join(dir, CAKeyFile))
	}
	return issue(dir, ServerFile, ServerKeyFile, ca.Leaf, caKey, "whorl server", "", hosts, x509.ExtKeyUsageServerAuth)
}

// names reports whether the certificate is valid for every host.
func names(c *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if c.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

func issue(dir, certFile, keyFile string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, name, role string, hosts []string, usage x509.ExtKeyUsage) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(leafValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	if role != "" {
		tpl.Subject.OrganizationalUnit = []string{role}
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tpl.IPAddresses = append(tpl.IPAddresses, ip)
		} else {
			tpl.DNSNames = append(tpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	if err := writeKey(filepath.Join(dir, keyFile), key); err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, certFile), "CERTIFICATE", der)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der)
}

// writePEM writes owner-only, through a temporary file renamed into place,
// so that a file either exists whole or not at all.
func writePEM(path, kind string, der []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := pem.Encode(f, &pem.Block{Type: kind, Bytes: der}); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	// The rename is durable once the directory is synced.
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func caPool(dir string) (*x509.CertPool, error) {
	data, err := os.ReadFile(filepath.Join(dir, CAFile))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("pki: %s holds no certificate", filepath.Join(dir, CAFile))
	}
	return pool, nil
}

// ServerTLS returns the server's TLS configuration: TLS 1.3 only (see
// AllowTLS12 for the option); a client
// certificate, when given, must come from the local CA. The server then
// refuses every RPC without one (Unauthenticated) at the RPC level rather
// than in the handshake, so that the refusal is a status a client can read
// and an event the server can audit.
func ServerTLS(dir string) (*tls.Config, error) {
	if err := checkPrivate(filepath.Join(dir, ServerKeyFile)); err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, ServerFile), filepath.Join(dir, ServerKeyFile))
	if err != nil {
		return nil, fmt.Errorf("pki: server certificate: %w", err)
	}
	pool, err := caPool(dir)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
	}, nil
}

// TLS12Suites are the only cipher suites AllowTLS12 permits: ECDHE key
// agreement with AES-GCM, each FIPS-approved (SP 800-52 Rev. 2). No CBC
// (padding-oracle history), no ChaCha20-Poly1305 (not FIPS-approved), no
// static RSA key exchange (no forward secrecy). The ECDSA suites are those
// the local CA's P-256 server certificate can use; the RSA ones serve an
// operator's RSA certificate.
var TLS12Suites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
}

// TLS12Curves are the key agreement groups AllowTLS12 permits: the NIST
// curves P-256 and P-384, FIPS-approved.
var TLS12Curves = []tls.CurveID{tls.CurveP256, tls.CurveP384}

// AllowTLS12 lets a server configuration also accept TLS 1.2, for
// booking stations whose software cannot speak 1.3 yet, with only
// TLS12Suites and TLS12Curves (which then also apply to TLS 1.3's key
// agreement; TLS 1.3's own suites are all AES-GCM or ChaCha20, and Go
// leaves ChaCha20 out in FIPS mode). The default stays TLS 1.3 only.
func AllowTLS12(cfg *tls.Config) {
	cfg.MinVersion = tls.VersionTLS12
	cfg.CipherSuites = slices.Clone(TLS12Suites)
	cfg.CurvePreferences = slices.Clone(TLS12Curves)
}

// ClientTLS returns a client's TLS configuration with the certificate
// certFile/keyFile of dir (the administrator's: AdminFile, AdminKeyFile),
// trusting only the local CA.
func ClientTLS(dir, certFile, keyFile string) (*tls.Config, error) {
	return ClientTLSFrom(dir, filepath.Join(dir, certFile), filepath.Join(dir, keyFile))
}

// ClientTLSFrom is ClientTLS with the certificate and key at any path (a
// station's, issued by Issue); dir gives the CA.
func ClientTLSFrom(dir, certPath, keyPath string) (*tls.Config, error) {
	if err := checkPrivate(keyPath); err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("pki: client certificate: %w", err)
	}
	pool, err := caPool(dir)
	if err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}, RootCAs: pool}, nil
}

// checkPrivate refuses a key file that others may read.
func checkPrivate(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("pki: %s is readable by others (mode %v): chmod 600 it", path, st.Mode().Perm())
	}
	return nil
}

// ClientsDir is where Issue writes client certificates, under the TLS
// directory.
const ClientsDir = "clients"

// RevokedFile lists revoked certificates' serial numbers (hex), one a line.
const RevokedFile = "revoked"

// Issue makes a client certificate for a station with a role, signed by the
// local CA in dir, and returns the paths of the certificate and its key
// (dir/clients/<name>.pem and <name>-key.pem, owner-only). It refuses to
// overwrite an existing certificate of that name.
func Issue(dir, name, role string) (certPath, keyPath string, err error) {
	if name == "" || strings.ContainsAny(name, "/\\.") || len(name) > 64 {
		return "", "", fmt.Errorf("pki: station name %q: 1-64 characters, no dots or slashes", name)
	}
	ca, err := tls.LoadX509KeyPair(filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile))
	if err != nil {
		return "", "", fmt.Errorf("pki: the local CA: %w", err)
	}
	caKey, ok := ca.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return "", "", fmt.Errorf("pki: %s is not an ECDSA key", filepath.Join(dir, CAKeyFile))
	}
	clients := filepath.Join(dir, ClientsDir)
	if err := os.MkdirAll(clients, 0o700); err != nil {
		return "", "", err
	}
	certFile, keyFile := name+".pem", name+"-key.pem"
	if _, err := os.Stat(filepath.Join(clients, certFile)); err == nil {
		return "", "", fmt.Errorf("pki: a certificate for %q exists: revoke it, then remove its files", name)
	}
	if err := issue(clients, certFile, keyFile, ca.Leaf, caKey, name, role, nil, x509.ExtKeyUsageClientAuth); err != nil {
		return "", "", err
	}
	return filepath.Join(clients, certFile), filepath.Join(clients, keyFile), nil
}

// Revoke adds the certificate at certPath to the revocation list of dir.
func Revoke(dir, certPath string) (serial string, err error) {
	data, err := os.ReadFile(certPath)
	if err != nil {
		return "", err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", fmt.Errorf("pki: %s holds no certificate", certPath)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", err
	}
	serial = cert.SerialNumber.Text(16)
	f, err := os.OpenFile(filepath.Join(dir, RevokedFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := fmt.Fprintln(f, serial); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	return serial, f.Close()
}

// Revocations answers whether a certificate is revoked, reading the
// revocation list again whenever the file changes, so that a revocation
// reaches a running server at its next request.
type Revocations struct {
	path    string
	mu      sync.Mutex
	modTime time.Time
	size    int64
	serials map[string]bool
}

// NewRevocations watches the revocation list of dir.
func NewRevocations(dir string) *Revocations {
	return &Revocations{path: filepath.Join(dir, RevokedFile)}
}

// IsRevoked reports whether cert is on the list. An unreadable list counts
// every certificate as revoked: failing closed.
func (r *Revocations) IsRevoked(cert *x509.Certificate) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := os.Stat(r.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.serials = nil
		return false
	case err != nil:
		return true
	}
	if r.serials == nil || !st.ModTime().Equal(r.modTime) || st.Size() != r.size {
		data, err := os.ReadFile(r.path)
		if err != nil {
			return true
		}
		r.serials = map[string]bool{}
		for _, line := range strings.Fields(string(data)) {
			r.serials[strings.ToLower(line)] = true
		}
		r.modTime, r.size = st.ModTime(), st.Size()
	}
	return r.serials[cert.SerialNumber.Text(16)]
}
