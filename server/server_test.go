package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/whorlafis/whorl/matcher"
	"github.com/whorlafis/whorl/minutiae"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
	"github.com/whorlafis/whorl/store"
)

const dataDir = "../../shared/data"

// testPKI makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, all in memory.
func testPKI(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		return k
	}
	caKey := newKey()
	caTpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	issue := func(serial int64, name string, usage x509.ExtKeyUsage) tls.Certificate {
		k := newKey()
		tpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name, OrganizationalUnit: []string{string(RoleAdmin)}},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &k.PublicKey, caKey)
		require.NoError(t, err)
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
	}
	server = &tls.Config{
		MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{issue(2, "server", x509.ExtKeyUsageServerAuth)},
		ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool,
	}
	client = &tls.Config{
		MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{issue(3, "client", x509.ExtKeyUsageClientAuth)},
		RootCAs: pool, ServerName: "127.0.0.1",
	}
	return server, client
}

// startServer runs the services on a loopback port with mutual TLS.
func startServer(t *testing.T, cfg Config) *grpc.ClientConn {
	t.Helper()
	_, conn := startServerOf(t, cfg)
	return conn
}

// startServerOf is startServer that also returns the Server.
func startServerOf(t *testing.T, cfg Config) (*Server, *grpc.ClientConn) {
	t.Helper()
	serverTLS, clientTLS := testPKI(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := New(cfg)
	g := grpc.NewServer(append(srv.Interceptors(nil), grpc.Creds(credentials.NewTLS(serverTLS)), grpc.MaxRecvMsgSize(MaxMessageBytes))...)
	srv.Register(g)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(clientTLS)),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(200<<20)))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return srv, conn
}

// TestSearchAdmissionShedsWithRetryInfo checks admission over the wire:
// with the slot taken, a search is refused by the transport's tap before
// its handler runs, with a RetryInfo; as the slot frees, the connection
// in line is served; a connection that closes leaves the line.
func TestSearchAdmissionShedsWithRetryInfo(t *testing.T) {
	// A clock that stands still: places in line never lapse.
	clock := newFakeClock()
	srv, conn := startServerOf(t, Config{Gallery: &matcher.Gallery{}, Now: clock.Now})
	c := whorlv1.NewSearchServiceClient(conn)
	probe := &whorlv1.IdentifyRequest{Fingers: []*whorlv1.Finger{{Source: &whorlv1.Finger_Template{Template: &whorlv1.Template{
		Width: 300, Height: 300, X: []float32{10, 50, 90}, Y: []float32{10, 60, 20}, Direction: []float32{0, 1, 2},
		Kinds: []whorlv1.MinutiaKind{1, 1, 2}, Qualities: []uint32{50, 50, 50},
	}}}}}
	release, err := srv.admitSearch(context.Background()) // the one slot, taken
	require.NoError(t, err)
	_, err = c.Identify(context.Background(), probe)
	assert.Equal(t, codes.ResourceExhausted, status.Code(err), "%v", err)
	assert.Equal(t, int64(1), srv.shedCount.Load(), "refused by the tap")
	d := retryInfo(t, err)
	assert.True(t, d >= minRetryDelay && d <= maxRetryDelay, "retry in %v", d)
	assert.Equal(t, 1, srv.line.waiting(clock.Now()), "the connection is in line")
	release()
	_, err = c.Identify(context.Background(), probe)
	require.NoError(t, err, "the connection in line is served once the slot frees")
	assert.Equal(t, 0, srv.line.waiting(clock.Now()))

	// A client that closes its connection leaves the line at once.
	release, err = srv.admitSearch(context.Background())
	require.NoError(t, err)
	defer release()
	_, err = c.Identify(context.Background(), probe)
	require.Equal(t, codes.ResourceExhausted, status.Code(err), "%v", err)
	require.Equal(t, 1, srv.line.waiting(clock.Now()))
	require.NoError(t, conn.Close())
	assert.Eventually(t, func() bool { return srv.line.waiting(clock.Now()) == 0 }, 10*time.Second, time.Millisecond, "the closed connection's place is taken out of the line")
}

func readData(t *testing.T, parts ...string) []byte {
	t.Helper()
	path := filepath.Join(append([]string{dataDir}, parts...)...)
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("reference data absent (%s): skipping", path)
	}
	require.NoError(t, err)
	return data
}

func imageFinger(data []byte) *whorlv1.Finger {
	return &whorlv1.Finger{Source: &whorlv1.Finger_Image{Image: &whorlv1.Image{Data: data}}}
}

// TestIdentifyOverTLS enrols impression 1 of the ten DB1_B fingers and
// identifies each finger's impression 2, sent as an image over the wire.
func TestIdentifyOverTLS(t *testing.T) {
	readData(t, "fvc2002", "DB1_B", "101_1.tif")
	var gallery matcher.Gallery
	for f := 101; f <= 110; f++ {
		img, err := minutiae.DecodeImage(readData(t, "fvc2002", "DB1_B", fmt.Sprintf("%d_1.tif", f)), 0)
		require.NoError(t, err)
		tpl, err := minutiae.Extract(img, nil)
		require.NoError(t, err)
		require.NoError(t, gallery.AddSubject(fmt.Sprintf("person-%d", f), []minutiae.Template{tpl}))
	}
	search := whorlv1.NewSearchServiceClient(startServer(t, Config{Gallery: &gallery}))
	ctx := context.Background()
	right := 0
	for f := 101; f <= 110; f++ {
		resp, err := search.Identify(ctx, &whorlv1.IdentifyRequest{Fingers: []*whorlv1.Finger{imageFinger(readData(t, "fvc2002", "DB1_B", fmt.Sprintf("%d_2.tif", f)))}, Top: 3})
		require.NoError(t, err)
		require.NotEmpty(t, resp.Candidates)
		if resp.Candidates[0].SubjectId == fmt.Sprintf("person-%d", f) {
			right++
			assert.NotEmpty(t, resp.Candidates[0].Fingers[0].Pairs)
		}
	}
	assert.GreaterOrEqual(t, right, 9, "rank-1 identifications of 10")

	v, err := search.Verify(ctx, &whorlv1.VerifyRequest{SubjectId: "person-103", Finger: imageFinger(readData(t, "fvc2002", "DB1_B", "103_5.tif"))})
	require.NoError(t, err)
	assert.True(t, v.Match, "score %.1f threshold %.1f", v.Score, v.Threshold)
	_, err = search.Verify(ctx, &whorlv1.VerifyRequest{SubjectId: "nobody", Finger: imageFinger(readData(t, "fvc2002", "DB1_B", "103_5.tif"))})
	assert.Equal(t, codes.NotFound, status.Code(err))

	c, err := search.Compare(ctx, &whorlv1.CompareRequest{
		Probe:     imageFinger(readData(t, "fvc2002", "DB1_B", "104_1.tif")),
		Candidate: imageFinger(readData(t, "fvc2002", "DB1_B", "104_2.tif")),
	})
	require.NoError(t, err)
	assert.Greater(t, c.Score, matcher.DecisionThreshold)
	for _, p := range c.Pairs {
		assert.Less(t, int(p.Probe), len(c.ProbeTemplate.X))
		assert.Less(t, int(p.Candidate), len(c.CandidateTemplate.X))
	}
}

// TestBadInputOverTheWire: each bad request gets a clear status with
// details, and the server keeps serving.
func TestBadInputOverTheWire(t *testing.T) {
	var gallery matcher.Gallery
	conn := startServer(t, Config{Gallery: &gallery})
	search := whorlv1.NewSearchServiceClient(conn)
	extraction := whorlv1.NewExtractionServiceClient(conn)
	ctx := context.Background()

	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x00\x00\x00\x00garbage")
	huge := []byte("P5\n60000 60000\n255\n")
	cases := []struct {
		name  string
		req   *whorlv1.ExtractRequest
		field string
	}{
		{"empty image", &whorlv1.ExtractRequest{Image: &whorlv1.Image{}}, "image.data"},
		{"no image", &whorlv1.ExtractRequest{}, "image"},
		{"corrupt PNG", &whorlv1.ExtractRequest{Image: &whorlv1.Image{Data: png}}, "image.data"},
		{"60000 x 60000 header", &whorlv1.ExtractRequest{Image: &whorlv1.Image{Data: huge}}, "image.data"},
		{"unknown finger position", &whorlv1.ExtractRequest{Image: &whorlv1.Image{Data: huge}, Position: 99}, "position"},
		{"ppi out of range", &whorlv1.ExtractRequest{Image: &whorlv1.Image{Data: huge, Ppi: 7}}, "image.ppi"},
	}
	if wsq, err := os.ReadFile(filepath.Join(dataDir, "samples", "wsq_and_formats", "wsq-original.wsq")); err == nil {
		cases = append(cases, struct {
			name  string
			req   *whorlv1.ExtractRequest
			field string
		}{"truncated WSQ", &whorlv1.ExtractRequest{Image: &whorlv1.Image{Data: wsq[:len(wsq)/3]}}, "image.data"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := extraction.Extract(ctx, c.req)
			st := status.Convert(err)
			require.Equal(t, codes.InvalidArgument, st.Code(), "%v", err)
			var fields []string
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, fv := range br.FieldViolations {
						fields = append(fields, fv.Field)
						assert.NotEmpty(t, fv.Description)
					}
				}
			}
			assert.Contains(t, fields, c.field)
		})
	}

	// A 100 MB message is refused by the transport before any handler.
	_, err := extraction.Extract(ctx, &whorlv1.ExtractRequest{Image: &whorlv1.Image{Data: make([]byte, 100<<20)}})
	assert.Equal(t, codes.ResourceExhausted, status.Code(err), "%v", err)

	_, err = search.Identify(ctx, &whorlv1.IdentifyRequest{})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = search.Identify(ctx, &whorlv1.IdentifyRequest{Fingers: []*whorlv1.Finger{{}}, Top: 1000})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = search.Verify(ctx, &whorlv1.VerifyRequest{SubjectId: "bad\x00id", Fmr: 2})
	st := status.Convert(err)
	assert.Equal(t, codes.InvalidArgument, st.Code())
	assert.Len(t, st.Details()[0].(*errdetails.BadRequest).FieldViolations, 2, "every violation reported at once")

	// Still serving.
	_, err = search.Compare(ctx, &whorlv1.CompareRequest{})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
}

func TestAdmitRefusesBeyondTheLimit(t *testing.T) {
	pool := make(chan struct{}, 2)
	r1, err := admit(pool, "searches")
	require.NoError(t, err)
	r2, err := admit(pool, "searches")
	require.NoError(t, err)
	_, err = admit(pool, "searches")
	assert.Equal(t, codes.ResourceExhausted, status.Code(err))
	r1()
	r3, err := admit(pool, "searches")
	assert.NoError(t, err)
	r2()
	r3()
}

// TestConvertStopsForAGoneCaller checks that a caller that has gone stops
// the decoding of its fingers and frees the extraction token.
func TestConvertStopsForAGoneCaller(t *testing.T) {
	img := readData(t, "fvc2002", "DB1_B", "101_1.tif")
	s := New(Config{Gallery: &matcher.Gallery{}, MaxExtractions: 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	finger := &whorlv1.Finger{Source: &whorlv1.Finger_Image{Image: &whorlv1.Image{Data: img}}}
	_, err := s.convert(ctx, nil, namedFinger{"a", finger}, namedFinger{"b", finger})
	assert.Equal(t, codes.Canceled, status.Code(err), "%v", err)
	assert.Empty(t, s.extractions, "the token is given back")
	ts, err := s.convert(context.Background(), nil, namedFinger{"a", finger})
	require.NoError(t, err)
	assert.NotEmpty(t, ts[0].Minutiae)
}

// TestGalleryServiceWithStore enrols, replays, gets, lists and deletes
// through a real store, and checks that the gallery follows.
func TestGalleryServiceWithStore(t *testing.T) {
	readData(t, "fvc2002", "DB1_B", "101_1.tif")
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	var g matcher.Gallery
	conn := startServer(t, Config{Gallery: &g, Store: st})
	gallery := whorlv1.NewGalleryServiceClient(conn)
	search := whorlv1.NewSearchServiceClient(conn)
	ctx := context.Background()

	enroll := func(subject, request string, f int) (*whorlv1.EnrollResponse, error) {
		finger := imageFinger(readData(t, "fvc2002", "DB1_B", fmt.Sprintf("%d_1.tif", f)))
		finger.Position = whorlv1.FingerPosition_FINGER_POSITION_RIGHT_INDEX
		return gallery.Enroll(ctx, &whorlv1.EnrollRequest{RequestId: request, SubjectId: subject, Fingers: []*whorlv1.Finger{finger}})
	}
	r, err := enroll("alice", "req-1", 101)
	require.NoError(t, err)
	assert.False(t, r.Replaced)
	assert.Equal(t, []whorlv1.FingerPosition{whorlv1.FingerPosition_FINGER_POSITION_RIGHT_INDEX}, r.Fingers)
	r, err = enroll("alice", "req-1", 101)
	require.NoError(t, err)
	assert.True(t, r.Replayed, "a retried request enrols once")
	_, err = enroll("bob", "req-2", 102)
	require.NoError(t, err)
	fingers, subjects := g.Len()
	assert.Equal(t, 2, fingers)
	assert.Equal(t, 2, subjects)

	got, err := gallery.GetSubject(ctx, &whorlv1.GetSubjectRequest{SubjectId: "alice"})
	require.NoError(t, err)
	require.Len(t, got.Subject.Fingers, 1)
	assert.Equal(t, whorlv1.FingerPosition_FINGER_POSITION_RIGHT_INDEX, got.Subject.Fingers[0].FingerPosition)
	assert.NotZero(t, got.Subject.CreatedUnixNanos)

	list, err := gallery.ListSubjects(ctx, &whorlv1.ListSubjectsRequest{PageSize: 1})
	require.NoError(t, err)
	require.Len(t, list.Subjects, 1)
	require.NotEmpty(t, list.NextPageToken)
	list2, err := gallery.ListSubjects(ctx, &whorlv1.ListSubjectsRequest{PageSize: 1, PageToken: list.NextPageToken})
	require.NoError(t, err)
	require.Len(t, list2.Subjects, 1)
	assert.NotEqual(t, list.Subjects[0].SubjectId, list2.Subjects[0].SubjectId)
	_, err = gallery.ListSubjects(ctx, &whorlv1.ListSubjectsRequest{PageToken: "not-a-token"})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))

	// Alice's impression 2 finds her; after her deletion it does not.
	probe := imageFinger(readData(t, "fvc2002", "DB1_B", "101_2.tif"))
	id, err := search.Identify(ctx, &whorlv1.IdentifyRequest{Fingers: []*whorlv1.Finger{probe}, Top: 1})
	require.NoError(t, err)
	require.NotEmpty(t, id.Candidates)
	assert.Equal(t, "alice", id.Candidates[0].SubjectId)
	_, err = gallery.DeleteSubject(ctx, &whorlv1.DeleteSubjectRequest{SubjectId: "alice"})
	require.NoError(t, err)
	_, err = gallery.DeleteSubject(ctx, &whorlv1.DeleteSubjectRequest{SubjectId: "alice"})
	assert.Equal(t, codes.NotFound, status.Code(err))
	_, err = gallery.GetSubject(ctx, &whorlv1.GetSubjectRequest{SubjectId: "alice"})
	assert.Equal(t, codes.NotFound, status.Code(err))
	id, err = search.Identify(ctx, &whorlv1.IdentifyRequest{Fingers: []*whorlv1.Finger{probe}, Top: 5})
	require.NoError(t, err)
	for _, c := range id.Candidates {
		assert.NotEqual(t, "alice", c.SubjectId)
	}

	// Bad enrolments write nothing.
	_, err = gallery.Enroll(ctx, &whorlv1.EnrollRequest{SubjectId: "carol"})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = gallery.Enroll(ctx, &whorlv1.EnrollRequest{SubjectId: "carol", AnsiNist: []byte("not a transaction")})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = gallery.GetSubject(ctx, &whorlv1.GetSubjectRequest{SubjectId: "carol"})
	assert.Equal(t, codes.NotFound, status.Code(err))

	// A reloaded gallery holds what the store holds.
	var reloaded matcher.Gallery
	n, err := New(Config{Gallery: &reloaded, Store: st}).Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// TestEnrollANSINIST enrols the finger images of a NIST sample transaction.
func TestEnrollANSINIST(t *testing.T) {
	data := readData(t, "samples", "ansi_nist", "valid1.14.an2")
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	var g matcher.Gallery
	gallery := whorlv1.NewGalleryServiceClient(startServer(t, Config{Gallery: &g, Store: st}))
	r, err := gallery.Enroll(context.Background(), &whorlv1.EnrollRequest{SubjectId: "nist", AnsiNist: data})
	if status.Code(err) == codes.InvalidArgument {
		t.Logf("sample refused: %v", err)
	}
	require.NoError(t, err)
	assert.NotEmpty(t, r.Fingers)
	for _, p := range r.Fingers {
		assert.NotEqual(t, whorlv1.FingerPosition_FINGER_POSITION_UNSPECIFIED, p)
	}
}

// TestRequestLogsHoldNoBiometricData: a logged RPC names its method,
// caller and outcome, and nothing of the request.
func TestRequestLogsHoldNoBiometricData(t *testing.T) {
	var logs bytes.Buffer
	var g matcher.Gallery
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	serverTLS, clientTLS := testPKI(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := New(Config{Gallery: &g, Logger: log})
	gs := grpc.NewServer(grpc.Creds(credentials.NewTLS(serverTLS)), grpc.UnaryInterceptor(srv.LogRequests))
	srv.Register(gs)
	go gs.Serve(lis)
	defer gs.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(clientTLS)))
	require.NoError(t, err)
	defer conn.Close()
	_, err = whorlv1.NewSearchServiceClient(conn).Verify(context.Background(), &whorlv1.VerifyRequest{SubjectId: "secret-subject-42",
		Finger: &whorlv1.Finger{Source: &whorlv1.Finger_Template{Template: &whorlv1.Template{X: []float32{1, 2}, Y: []float32{3, 4}, Direction: []float32{0, 1}, Kinds: []whorlv1.MinutiaKind{1, 1}, Qualities: []uint32{50, 50}}}}})
	assert.Equal(t, codes.NotFound, status.Code(err))
	out := logs.String()
	assert.Contains(t, out, "/whorl.v1.SearchService/Verify")
	assert.Contains(t, out, `"caller":"client"`)
	assert.Contains(t, out, "NotFound")
	assert.NotContains(t, out, "secret-subject-42")
}

func TestMetrics(t *testing.T) {
	var g matcher.Gallery
	require.NoError(t, g.AddSubject("a", []minutiae.Template{{Width: 100, Height: 100, Minutiae: []minutiae.Minutia{{X: 10, Y: 10, Kind: 1}, {X: 50, Y: 60, Kind: 2}}}}))
	srv := New(Config{Gallery: &g})
	m := srv.NewMetrics()
	info := &grpc.UnaryServerInfo{FullMethod: "/whorl.v1.SearchService/Identify"}
	_, _ = m.Observe(context.Background(), nil, info, func(context.Context, any) (any, error) {
		return nil, status.Error(codes.ResourceExhausted, "busy")
	})
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	found := map[string]bool{}
	for _, f := range families {
		found[f.GetName()] = true
		if f.GetName() == "whorl_gallery_fingers" {
			assert.Equal(t, 1.0, f.GetMetric()[0].GetGauge().GetValue())
		}
		if f.GetName() == "whorl_rpc_seconds" {
			labels := map[string]string{}
			for _, l := range f.GetMetric()[0].GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			assert.Equal(t, "ResourceExhausted", labels["code"])
		}
	}
	for _, name := range []string{"whorl_rpc_seconds", "whorl_gallery_fingers", "whorl_gallery_subjects", "whorl_searches_running", "go_goroutines", "process_resident_memory_bytes"} {
		assert.True(t, found[name], name)
	}
}

// TestSearchesBeyondTheLimitAreRefusedAtOnce: with every search slot
// taken, an identification over the wire gets ResourceExhausted at once.
func TestSearchesBeyondTheLimitAreRefusedAtOnce(t *testing.T) {
	var g matcher.Gallery
	serverTLS, clientTLS := testPKI(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := New(Config{Gallery: &g, MaxSearches: 2})
	gs := grpc.NewServer(grpc.Creds(credentials.NewTLS(serverTLS)))
	srv.Register(gs)
	go gs.Serve(lis)
	defer gs.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(clientTLS)))
	require.NoError(t, err)
	defer conn.Close()
	// Two searches "running".
	srv.searches <- struct{}{}
	srv.searches <- struct{}{}
	tpl := &whorlv1.Template{X: []float32{10, 50}, Y: []float32{10, 60}, Direction: []float32{0, 1}, Kinds: []whorlv1.MinutiaKind{1, 2}, Qualities: []uint32{50, 50}}
	req := &whorlv1.IdentifyRequest{Fingers: []*whorlv1.Finger{{Source: &whorlv1.Finger_Template{Template: tpl}}}}
	_, err = whorlv1.NewSearchServiceClient(conn).Identify(context.Background(), req)
	assert.Equal(t, codes.ResourceExhausted, status.Code(err), "%v", err)
	d := retryInfo(t, err)
	assert.True(t, d >= minRetryDelay && d <= maxRetryDelay, "retry in %v", d)
	<-srv.searches
	_, err = whorlv1.NewSearchServiceClient(conn).Identify(context.Background(), req)
	assert.NoError(t, err, "a freed slot serves again")
}

func TestRecoverTurnsAPanicIntoInternal(t *testing.T) {
	var logs bytes.Buffer
	srv := New(Config{Gallery: &matcher.Gallery{}, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	info := &grpc.UnaryServerInfo{FullMethod: "/whorl.v1.SearchService/Compare"}
	_, err := srv.Recover(context.Background(), nil, info, func(context.Context, any) (any, error) { panic("boom") })
	assert.Equal(t, codes.Internal, status.Code(err))
	assert.Contains(t, logs.String(), "panic in handler")
}

func TestMoreRequestChecks(t *testing.T) {
	var g matcher.Gallery
	srv := New(Config{Gallery: &g})
	ctx := context.Background()
	tpl := &whorlv1.Template{X: []float32{10, 50}, Y: []float32{10, 60}, Direction: []float32{0, 1}, Kinds: []whorlv1.MinutiaKind{1, 2}, Qualities: []uint32{50, 50}}
	finger := &whorlv1.Finger{Source: &whorlv1.Finger_Template{Template: tpl}}
	_, err := srv.Verify(ctx, &whorlv1.VerifyRequest{SubjectId: "x", Finger: finger, Fmr: 1e-12})
	assert.Equal(t, codes.InvalidArgument, status.Code(err), "an FMR the calibration cannot resolve")
	_, err = srv.Verify(ctx, &whorlv1.VerifyRequest{SubjectId: "x", Finger: finger})
	assert.Equal(t, codes.NotFound, status.Code(err))
	bad := &whorlv1.Template{X: []float32{1}}
	_, err = srv.Identify(ctx, &whorlv1.IdentifyRequest{Fingers: []*whorlv1.Finger{{Source: &whorlv1.Finger_Template{Template: bad}}}})
	assert.Equal(t, codes.InvalidArgument, status.Code(err), "a malformed template")
	_, err = srv.Verify(ctx, &whorlv1.VerifyRequest{SubjectId: "bidi\u202eid", Finger: finger})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
}
