package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/whorlafis/whorl/matcher"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
	"github.com/whorlafis/whorl/store"
)

// roleCA issues client certificates with any role.
type roleCA struct {
	t      *testing.T
	ca     *x509.Certificate
	key    *ecdsa.PrivateKey
	pool   *x509.CertPool
	serial int64
}

func newRoleCA(t *testing.T) *roleCA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &roleCA{t: t, ca: ca, key: key, pool: pool, serial: 1}
}

func (c *roleCA) cert(name, role string, usage x509.ExtKeyUsage) tls.Certificate {
	c.serial++
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(c.t, err)
	subject := pkix.Name{CommonName: name}
	if role != "" {
		subject.OrganizationalUnit = []string{role}
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(c.serial), Subject: subject, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, c.ca, &key.PublicKey, c.key)
	require.NoError(c.t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(c.t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// TestEveryRPCAgainstEveryRole calls every RPC of the API and the health
// service with a client certificate of each role, without one, and with a
// revoked one: allowed where the table says (the request then fails or
// succeeds on its merits), PermissionDenied elsewhere, Unauthenticated
// without a valid certificate.
func TestEveryRPCAgainstEveryRole(t *testing.T) {
	ca := newRoleCA(t)
	serverCert := ca.cert("server", "", x509.ExtKeyUsageServerAuth)
	revokedCert := ca.cert("stolen-station", string(RoleBooking), x509.ExtKeyUsageClientAuth)
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	// The abuse limits are off here: this test fails on purpose far more
	// often than they allow (lockout_test.go tests them).
	srv := New(Config{Gallery: &matcher.Gallery{}, Store: st, Lockout: LockoutConfig{Disabled: true},
		Revoked: func(c *x509.Certificate) bool { return c.SerialNumber.Cmp(revokedCert.Leaf.SerialNumber) == 0 }})
	g := grpc.NewServer(append(srv.Interceptors(nil), grpc.Creds(credentials.NewTLS(&tls.Config{
		MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{serverCert},
		ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: ca.pool,
	})))...)
	srv.Register(g)
	healthpb.RegisterHealthServer(g, health.NewServer())
	reflection.Register(g)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go g.Serve(lis)
	defer g.Stop()

	// Every registered method has an entry in the table.
	for service, info := range g.GetServiceInfo() {
		for _, m := range info.Methods {
			_, ok := authorization["/"+service+"/"+m.Name]
			assert.True(t, ok, "/%s/%s is not in the authorisation table", service, m.Name)
		}
	}

	// The unary RPCs, with empty requests built from their descriptors.
	type rpc struct {
		method string
		in     protoreflect.MessageDescriptor
		out    protoreflect.MessageDescriptor
		stream bool
	}
	var rpcs []rpc
	services := whorlv1.File_whorl_v1_service_proto.Services()
	for i := range services.Len() {
		sd := services.Get(i)
		for j := range sd.Methods().Len() {
			md := sd.Methods().Get(j)
			rpcs = append(rpcs, rpc{"/" + string(sd.FullName()) + "/" + string(md.Name()), md.Input(), md.Output(), md.IsStreamingServer()})
		}
	}
	rpcs = append(rpcs, rpc{"/grpc.health.v1.Health/Check", (&healthpb.HealthCheckRequest{}).ProtoReflect().Descriptor(), (&healthpb.HealthCheckResponse{}).ProtoReflect().Descriptor(), false})

	clients := map[string]*tls.Config{}
	for _, r := range Roles {
		c := ca.cert("station-"+string(r), string(r), x509.ExtKeyUsageClientAuth)
		clients[string(r)] = &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: ca.pool, Certificates: []tls.Certificate{c}}
	}
	clients["no certificate"] = &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: ca.pool}
	clients["no role"] = &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: ca.pool, Certificates: []tls.Certificate{ca.cert("x", "", x509.ExtKeyUsageClientAuth)}}
	clients["revoked"] = &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: ca.pool, Certificates: []tls.Certificate{revokedCert}}

	for who, cfg := range clients {
		cfg.ServerName = "127.0.0.1"
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
		require.NoError(t, err)
		for _, r := range rpcs {
			t.Run(who+r.method, func(t *testing.T) {
				var err error
				if !r.stream {
					err = conn.Invoke(context.Background(), r.method, dynamicpb.NewMessage(r.in), dynamicpb.NewMessage(r.out))
				} else { // a server stream: its first message, or the refusal
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					var cs grpc.ClientStream
					if cs, err = conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, r.method); err == nil {
						if err = cs.SendMsg(dynamicpb.NewMessage(r.in)); err == nil {
							cs.CloseSend()
							err = cs.RecvMsg(dynamicpb.NewMessage(r.out))
						}
					}
				}
				code := status.Code(err)
				switch {
				case who == "no certificate" || who == "no role" || who == "revoked":
					assert.Equal(t, codes.Unauthenticated, code, "%v", err)
				case Allowed(r.method, Role(who)):
					assert.NotContains(t, []codes.Code{codes.PermissionDenied, codes.Unauthenticated}, code, "%v", err)
				default:
					assert.Equal(t, codes.PermissionDenied, code, "%v", err)
				}
			})
		}
		conn.Close()
	}
}

func TestAuthorisationTable(t *testing.T) {
	// Spot checks of the table against the roles.
	cases := []struct {
		method string
		role   Role
		ok     bool
	}{
		{"/whorl.v1.GalleryService/Enroll", RoleBooking, true},
		{"/whorl.v1.GalleryService/Enroll", RoleExaminer, false},
		{"/whorl.v1.SearchService/Identify", RoleBooking, true},
		{"/whorl.v1.SearchService/Compare", RoleExaminer, true},
		{"/whorl.v1.GalleryService/GetSubject", RoleExaminer, true},
		{"/whorl.v1.GalleryService/DeleteSubject", RoleExaminer, false},
		{"/whorl.v1.GalleryService/DeleteSubject", RoleAdmin, true},
		{"/whorl.v1.SearchService/Identify", RoleAuditor, false},
		{"/whorl.v1.AdminService/Backup", RoleBooking, false},
		{"/whorl.v1.Unknown/Method", RoleAdmin, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.ok, Allowed(c.method, c.role), "%s %s", c.role, c.method)
	}
}
