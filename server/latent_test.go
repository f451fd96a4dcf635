package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"net"
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
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/whorlafis/whorl/matcher"
	"github.com/whorlafis/whorl/minutiae"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
	"github.com/whorlafis/whorl/store"
)

// latentServer is a server with a store on disk, serving mutual TLS on
// loopback, and a connection for each role.
type latentServer struct {
	srv     *Server
	st      *store.Store
	g       *grpc.Server
	conns   map[Role]*grpc.ClientConn
	stopped bool
}

func startLatentServer(t *testing.T, ca *roleCA, dir string, cfg Config) *latentServer {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	require.NoError(t, err)
	cfg.Gallery = &matcher.Gallery{}
	cfg.Store = st
	cfg.Audit = st
	cfg.Logger = slog.New(slog.DiscardHandler)
	srv := New(cfg)
	_, err = srv.Load(context.Background())
	require.NoError(t, err)
	_, err = srv.LoadLatents(context.Background())
	require.NoError(t, err)
	g := grpc.NewServer(append(srv.Interceptors(nil), grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.Creds(credentials.NewTLS(&tls.Config{
		MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{ca.cert("server", "", x509.ExtKeyUsageServerAuth)},
		ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: ca.pool,
	})))...)
	srv.Register(g)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go g.Serve(lis)
	ls := &latentServer{srv: srv, st: st, g: g, conns: map[Role]*grpc.ClientConn{}}
	for _, r := range Roles {
		c := ca.cert("station-"+string(r), string(r), x509.ExtKeyUsageClientAuth)
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{
			MinVersion: tls.VersionTLS13, RootCAs: ca.pool, Certificates: []tls.Certificate{c}, ServerName: "127.0.0.1",
		})), grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(MaxMessageBytes)))
		require.NoError(t, err)
		ls.conns[r] = conn
	}
	t.Cleanup(ls.stop)
	return ls
}

// stop ends the streams, stops serving and closes the store.
func (ls *latentServer) stop() {
	if ls.stopped {
		return
	}
	ls.stopped = true
	for _, c := range ls.conns {
		c.Close()
	}
	ls.srv.EndStreams()
	ls.g.GracefulStop()
	ls.st.Close()
}

func (ls *latentServer) latent(r Role) whorlv1.LatentServiceClient {
	return whorlv1.NewLatentServiceClient(ls.conns[r])
}

// cropPNG is a latent-sized piece of a print: the sub-image of an FVC image
// around its centre, as PNG.
func cropPNG(t *testing.T, name string, w, h int) []byte {
	t.Helper()
	img, err := minutiae.DecodeImage(readData(t, "fvc2002", "DB1_B", name), 0)
	require.NoError(t, err)
	b := img.Gray.Bounds()
	cx, cy := b.Dx()/2, b.Dy()/2
	sub := img.Gray.SubImage(image.Rect(cx-w/2, cy-h/2, cx+w/2, cy+h/2))
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, sub))
	return buf.Bytes()
}

func imageProbe(data []byte) *whorlv1.LatentProbe {
	return &whorlv1.LatentProbe{Image: &whorlv1.Image{Data: data, Ppi: 500}}
}

// watch opens a WatchLatentHits stream and waits for its first message,
// after which every hit made is sent on it.
func watch(t *testing.T, c whorlv1.LatentServiceClient) (grpc.ServerStreamingClient[whorlv1.WatchLatentHitsResponse], context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := c.WatchLatentHits(ctx, &whorlv1.WatchLatentHitsRequest{})
	require.NoError(t, err)
	first, err := stream.Recv()
	require.NoError(t, err)
	require.Nil(t, first.Hit, "the first message says the subscription is in place")
	return stream, cancel
}

func listHits(t *testing.T, c whorlv1.LatentServiceClient, req *whorlv1.ListHitsRequest) []*whorlv1.LatentHit {
	t.Helper()
	resp, err := c.ListHits(context.Background(), req)
	require.NoError(t, err)
	return resp.Hits
}

func unsolvedIDs(t *testing.T, c whorlv1.LatentServiceClient) []string {
	t.Helper()
	resp, err := c.ListLatents(context.Background(), &whorlv1.ListLatentsRequest{})
	require.NoError(t, err)
	var ids []string
	for _, l := range resp.Latents {
		ids = append(ids, l.LatentId)
	}
	return ids
}

// TestLatentWorkflowOverTheWire walks the workflow end to end over mutual
// TLS with a store on disk: register, watch, enrol, hit, search, decide,
// retire, restart.
func TestLatentWorkflowOverTheWire(t *testing.T) {
	readData(t, "fvc2002", "DB1_B", "101_1.tif")
	ctx := context.Background()
	ca := newRoleCA(t)
	dir := filepath.Join(t.TempDir(), "store")
	ls := startLatentServer(t, ca, dir, Config{})
	examiner := ls.latent(RoleExaminer)
	gallery := whorlv1.NewGalleryServiceClient(ls.conns[RoleBooking])

	// The unsolved file: the mate's latent (a crop of another impression of
	// finger 101), and two others.
	reg, err := examiner.RegisterLatent(ctx, &whorlv1.RegisterLatentRequest{
		LatentId: "lat-101", CaseId: "case-7", Notes: "door handle", Probe: imageProbe(cropPNG(t, "101_2.tif", 200, 220)),
	})
	require.NoError(t, err)
	assert.Equal(t, whorlv1.LatentState_LATENT_STATE_UNSOLVED, reg.Latent.State)
	assert.Equal(t, "station-examiner", reg.Latent.RegisteredBy)
	t.Logf("latent lat-101: %d minutiae", len(reg.Latent.Template.X))
	again, err := examiner.RegisterLatent(ctx, &whorlv1.RegisterLatentRequest{
		LatentId: "lat-101", CaseId: "case-7", Notes: "door handle", Probe: imageProbe(cropPNG(t, "101_2.tif", 200, 220)),
	})
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	_, err = examiner.RegisterLatent(ctx, &whorlv1.RegisterLatentRequest{LatentId: "lat-101", CaseId: "case-8", Probe: imageProbe(cropPNG(t, "101_2.tif", 200, 220))})
	assert.Equal(t, codes.AlreadyExists, status.Code(err), "%v", err)
	other, err := examiner.RegisterLatent(ctx, &whorlv1.RegisterLatentRequest{RequestId: "req-1", CaseId: "case-9", Probe: imageProbe(cropPNG(t, "105_2.tif", 200, 220))})
	require.NoError(t, err)
	require.NotEmpty(t, other.Latent.LatentId, "a server-assigned id")
	retry, err := examiner.RegisterLatent(ctx, &whorlv1.RegisterLatentRequest{RequestId: "req-1", CaseId: "case-9", Probe: imageProbe(cropPNG(t, "105_2.tif", 200, 220))})
	require.NoError(t, err)
	assert.Equal(t, other.Latent.LatentId, retry.Latent.LatentId)
	assert.True(t, retry.Replayed)
	// An examiner-marked latent: the 106_2 crop's minutiae, with a region.
	ex, err := whorlv1.NewExtractionServiceClient(ls.conns[RoleExaminer]).Extract(ctx, &whorlv1.ExtractRequest{Image: &whorlv1.Image{Data: cropPNG(t, "106_2.tif", 200, 220)}})
	require.NoError(t, err)
	marked, err := examiner.RegisterLatent(ctx, &whorlv1.RegisterLatentRequest{LatentId: "lat-106", Probe: &whorlv1.LatentProbe{
		Template: ex.Template, Positions: []whorlv1.FingerPosition{3, 4},
		Region: []*whorlv1.Point{{X: 0, Y: 0}, {X: 150, Y: 0}, {X: 150, Y: 300}, {X: 0, Y: 300}},
	}})
	require.NoError(t, err)
	assert.Less(t, len(marked.Latent.Template.X), len(ex.Template.X), "the region keeps some minutiae")
	// Minutiae given are an examiner's: a latent tracing, so the matcher
	// compares and calibrates them as marked by hand; an image's are not.
	assert.Equal(t, whorlv1.ImpressionType_IMPRESSION_TYPE_LATENT_TRACING, marked.Latent.Template.ImpressionType)
	assert.Equal(t, whorlv1.ImpressionType_IMPRESSION_TYPE_LATENT, reg.Latent.Template.ImpressionType)

	for _, x := range marked.Latent.Template.X {
		assert.LessOrEqual(t, x, float32(150))
	}
	assert.ElementsMatch(t, []string{"lat-101", other.Latent.LatentId, "lat-106"}, unsolvedIDs(t, examiner))

	// A stream opened before the enrolment receives its hit.
	stream, cancel := watch(t, examiner)
	defer cancel()
	_, err = gallery.Enroll(ctx, &whorlv1.EnrollRequest{SubjectId: "person-101", Fingers: []*whorlv1.Finger{
		{Position: 2, Source: &whorlv1.Finger_Image{Image: &whorlv1.Image{Data: readData(t, "fvc2002", "DB1_B", "101_1.tif")}}},
	}})
	require.NoError(t, err)
	hits := listHits(t, examiner, &whorlv1.ListHitsRequest{})
	require.Len(t, hits, 1, "the mate's latent, and no other")
	hit := hits[0]
	assert.Equal(t, "lat-101", hit.LatentId)
	assert.Equal(t, "case-7", hit.CaseId)
	assert.Equal(t, "person-101", hit.SubjectId)
	assert.Equal(t, whorlv1.FingerPosition(2), hit.Position)
	assert.LessOrEqual(t, hit.Fmr, DefaultLatentHitFMR)
	assert.NotEmpty(t, hit.Pairs)
	for _, p := range hit.Pairs {
		assert.Less(t, int(p.Probe), len(reg.Latent.Template.X), "probe indexes the latent")
	}
	pushed, err := stream.Recv()
	require.NoError(t, err)
	assert.Equal(t, hit.HitId, pushed.Hit.HitId)
	assert.Equal(t, hit.SubjectId, pushed.Hit.SubjectId)
	// The pushed hit was audited before it was sent: the examiner's
	// station, the latent and the subject it disclosed.
	recs, _, err := ls.st.QueryAudit(ctx, store.AuditFilter{Method: "/whorl.v1.LatentService/WatchLatentHits"}, "", 100)
	require.NoError(t, err)
	require.Len(t, recs, 1, "one record per message that discloses something; the stream's end comes later")
	assert.Equal(t, "station-examiner", recs[0].Station)
	assert.Equal(t, []string{"lat-101"}, recs[0].Latents)
	assert.Equal(t, []string{"person-101"}, recs[0].Candidates)
	// The latent calls are audited with their latents too.
	recs, _, err = ls.st.QueryAudit(ctx, store.AuditFilter{Method: "/whorl.v1.LatentService/ListHits"}, "", 100)
	require.NoError(t, err)
	require.NotEmpty(t, recs)
	assert.Contains(t, recs[len(recs)-1].Latents, "lat-101")
	assert.Contains(t, recs[len(recs)-1].Candidates, "person-101")

	// The forward search finds the same finger.
	found, err := examiner.SearchLatent(ctx, &whorlv1.SearchLatentRequest{Probe: imageProbe(cropPNG(t, "101_2.tif", 200, 220)), Top: 3})
	require.NoError(t, err)
	require.NotEmpty(t, found.Candidates)
	assert.Equal(t, "person-101", found.Candidates[0].SubjectId)
	assert.Equal(t, whorlv1.FingerPosition(2), found.Candidates[0].Position)
	for _, p := range found.Candidates[0].Pairs {
		assert.Less(t, int(p.Probe), len(found.Template.X))
	}
	// So do the examiner's minutiae of the latent, searched as marked by
	// hand: a latent tracing, read with the marked calibration.
	marks, err := whorlv1.NewExtractionServiceClient(ls.conns[RoleExaminer]).Extract(ctx, &whorlv1.ExtractRequest{Image: &whorlv1.Image{Data: cropPNG(t, "101_2.tif", 200, 220)}})
	require.NoError(t, err)
	byMarks, err := examiner.SearchLatent(ctx, &whorlv1.SearchLatentRequest{Probe: &whorlv1.LatentProbe{Template: marks.Template}, Top: 3})
	require.NoError(t, err)
	assert.Equal(t, whorlv1.ImpressionType_IMPRESSION_TYPE_LATENT_TRACING, byMarks.Template.ImpressionType)
	require.NotEmpty(t, byMarks.Candidates)
	assert.Equal(t, "person-101", byMarks.Candidates[0].SubjectId)
	for _, c := range byMarks.Candidates {
		assert.InDelta(t, matcher.MarkedLatentFMR(c.Score, len(byMarks.Template.X)), c.Fmr, 1e-12)
	}
	// A position hint that excludes the finger finds nothing of it.
	hinted, err := examiner.SearchLatent(ctx, &whorlv1.SearchLatentRequest{Probe: &whorlv1.LatentProbe{
		Image: &whorlv1.Image{Data: cropPNG(t, "101_2.tif", 200, 220)}, Positions: []whorlv1.FingerPosition{7},
	}})
	require.NoError(t, err)
	assert.Empty(t, hinted.Candidates)

	// The decision: identified takes the latent out of the unsolved file.
	decided, err := examiner.DecideHit(ctx, &whorlv1.DecideHitRequest{HitId: hit.HitId, Decision: whorlv1.HitDecision_HIT_DECISION_IDENTIFIED, Note: "14 points in agreement"})
	require.NoError(t, err)
	assert.Equal(t, "station-examiner", decided.Hit.DecidedBy)
	assert.Equal(t, whorlv1.LatentState_LATENT_STATE_IDENTIFIED, decided.Latent.State)
	assert.Equal(t, "person-101", decided.Latent.IdentifiedSubjectId)
	assert.NotContains(t, unsolvedIDs(t, examiner), "lat-101")
	_, err = examiner.DecideHit(ctx, &whorlv1.DecideHitRequest{HitId: hit.HitId, Decision: whorlv1.HitDecision_HIT_DECISION_EXCLUDED})
	assert.Equal(t, codes.FailedPrecondition, status.Code(err), "%v", err)
	assert.Empty(t, listHits(t, examiner, &whorlv1.ListHitsRequest{Undecided: true}))

	// The same finger enrolled again under another subject makes no hit:
	// its latent is solved.
	_, err = gallery.Enroll(ctx, &whorlv1.EnrollRequest{SubjectId: "person-101-again", Fingers: []*whorlv1.Finger{
		{Position: 2, Source: &whorlv1.Finger_Image{Image: &whorlv1.Image{Data: readData(t, "fvc2002", "DB1_B", "101_1.tif")}}},
	}})
	require.NoError(t, err)
	assert.Len(t, listHits(t, examiner, &whorlv1.ListHitsRequest{}), 1)

	// Retirement.
	retired, err := examiner.RetireLatent(ctx, &whorlv1.RetireLatentRequest{LatentId: other.Latent.LatentId, Note: "case closed"})
	require.NoError(t, err)
	assert.Equal(t, whorlv1.LatentState_LATENT_STATE_RETIRED, retired.Latent.State)
	_, err = examiner.RetireLatent(ctx, &whorlv1.RetireLatentRequest{LatentId: other.Latent.LatentId})
	assert.Equal(t, codes.FailedPrecondition, status.Code(err), "%v", err)
	assert.Equal(t, []string{"lat-106"}, unsolvedIDs(t, examiner))
	all, err := examiner.ListLatents(ctx, &whorlv1.ListLatentsRequest{All: true, PageSize: 2})
	require.NoError(t, err)
	assert.Len(t, all.Latents, 2)
	assert.NotEmpty(t, all.NextPageToken)
	got, err := examiner.GetLatent(ctx, &whorlv1.GetLatentRequest{LatentId: "lat-101"})
	require.NoError(t, err)
	assert.Equal(t, whorlv1.LatentState_LATENT_STATE_IDENTIFIED, got.Latent.State)
	assert.Equal(t, len(reg.Latent.Template.X), len(got.Latent.Template.X))

	// The stream ends when the server shuts down.
	ls.srv.EndStreams()
	_, err = stream.Recv()
	assert.Equal(t, codes.Unavailable, status.Code(err), "%v", err)

	// A restart: the records survive and only the unsolved latent is loaded.
	ls.stop()
	ls = startLatentServer(t, ca, dir, Config{})
	examiner = ls.latent(RoleExaminer)
	assert.Equal(t, []string{"lat-106"}, unsolvedIDs(t, examiner))
	_, n := ls.srv.latent.file.Len()
	assert.Equal(t, 1, n, "the unsolved file holds lat-106 only")
	hits = listHits(t, examiner, &whorlv1.ListHitsRequest{LatentId: "lat-101"})
	require.Len(t, hits, 1)
	assert.Equal(t, whorlv1.HitDecision_HIT_DECISION_IDENTIFIED, hits[0].Decision)
	assert.Equal(t, "14 points in agreement", hits[0].DecisionNote)
}

// TestLatentMethodsAreExaminersOnly: every latent method, stream included,
// refuses booking and auditor stations.
func TestLatentMethodsAreExaminersOnly(t *testing.T) {
	ls := startLatentServer(t, newRoleCA(t), filepath.Join(t.TempDir(), "store"), Config{})
	sd := whorlv1.File_whorl_v1_service_proto.Services().ByName("LatentService")
	require.NotNil(t, sd)
	require.Equal(t, 8, sd.Methods().Len())
	for _, role := range []Role{RoleBooking, RoleAuditor, RoleExaminer} {
		for i := range sd.Methods().Len() {
			md := sd.Methods().Get(i)
			method := "/" + string(sd.FullName()) + "/" + string(md.Name())
			t.Run(string(role)+method, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var err error
				if md.IsStreamingServer() {
					var cs grpc.ClientStream
					if cs, err = ls.conns[role].NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, method); err == nil {
						if err = cs.SendMsg(dynamicpb.NewMessage(md.Input())); err == nil {
							cs.CloseSend()
							err = cs.RecvMsg(dynamicpb.NewMessage(md.Output()))
						}
					}
				} else {
					err = ls.conns[role].Invoke(ctx, method, dynamicpb.NewMessage(md.Input()), dynamicpb.NewMessage(md.Output()))
				}
				if role == RoleExaminer {
					assert.NotEqual(t, codes.PermissionDenied, status.Code(err), "%v", err)
				} else {
					assert.Equal(t, codes.PermissionDenied, status.Code(err), "%v", err)
				}
			})
		}
	}
}

// fieldsOf returns the fields an InvalidArgument's BadRequest names.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code(), "%v", err)
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.FieldViolations {
				assert.NotEmpty(t, fv.Description)
				fields = append(fields, fv.Field)
			}
		}
	}
	return fields
}

func TestLatentBadInputOverTheWire(t *testing.T) {
	ctx := context.Background()
	ls := startLatentServer(t, newRoleCA(t), filepath.Join(t.TempDir(), "store"), Config{})
	c := ls.latent(RoleExaminer)
	tpl := func(n int) *whorlv1.Template {
		p := &whorlv1.Template{Width: 300, Height: 300}
		for i := range n {
			p.X = append(p.X, float32(10+i%250))
			p.Y = append(p.Y, float32(10+i/250*20))
			p.Direction = append(p.Direction, 1)
			p.Kinds = append(p.Kinds, whorlv1.MinutiaKind_MINUTIA_KIND_ENDING)
			p.Qualities = append(p.Qualities, 50)
		}
		return p
	}
	img := &whorlv1.Image{Data: []byte("P5\n1 1\n255\n\x00")}
	long := string(make([]byte, maxNoteBytes+1))
	cases := []struct {
		name  string
		req   *whorlv1.RegisterLatentRequest
		field string
	}{
		{"no probe", &whorlv1.RegisterLatentRequest{LatentId: "x"}, "probe"},
		{"empty probe", &whorlv1.RegisterLatentRequest{LatentId: "x", Probe: &whorlv1.LatentProbe{}}, "probe"},
		{"both probe kinds", &whorlv1.RegisterLatentRequest{LatentId: "x", Probe: &whorlv1.LatentProbe{Image: img, Template: tpl(5)}}, "probe"},
		{"bad position", &whorlv1.RegisterLatentRequest{LatentId: "x", Probe: &whorlv1.LatentProbe{Template: tpl(5), Positions: []whorlv1.FingerPosition{11}}}, "probe.positions[0]"},
		{"unknown as a hint", &whorlv1.RegisterLatentRequest{LatentId: "x", Probe: &whorlv1.LatentProbe{Template: tpl(5), Positions: []whorlv1.FingerPosition{0}}}, "probe.positions[0]"},
		{"too many minutiae", &whorlv1.RegisterLatentRequest{LatentId: "x", Probe: &whorlv1.LatentProbe{Template: tpl(minutiae.MaxMinutiae + 1)}}, "probe.template"},
		{"one minutia", &whorlv1.RegisterLatentRequest{LatentId: "x", Probe: &whorlv1.LatentProbe{Template: tpl(1)}}, "probe"},
		{"region of two points", &whorlv1.RegisterLatentRequest{LatentId: "x", Probe: &whorlv1.LatentProbe{Template: tpl(5), Region: []*whorlv1.Point{{}, {X: 1}}}}, "probe.region"},
		{"region empties it", &whorlv1.RegisterLatentRequest{LatentId: "x", Probe: &whorlv1.LatentProbe{Template: tpl(5), Region: []*whorlv1.Point{{X: 400, Y: 400}, {X: 500, Y: 400}, {X: 500, Y: 500}}}}, "probe"},
		{"bad latent id", &whorlv1.RegisterLatentRequest{LatentId: "a\nb", Probe: &whorlv1.LatentProbe{Template: tpl(5)}}, "latent_id"},
		{"long notes", &whorlv1.RegisterLatentRequest{LatentId: "x", Notes: long, Probe: &whorlv1.LatentProbe{Template: tpl(5)}}, "notes"},
		{"undecodable image", &whorlv1.RegisterLatentRequest{LatentId: "x", Probe: &whorlv1.LatentProbe{Image: &whorlv1.Image{Data: []byte("not an image")}}}, "probe.image.data"},
		{"ppi out of range", &whorlv1.RegisterLatentRequest{LatentId: "x", Probe: &whorlv1.LatentProbe{Image: &whorlv1.Image{Data: img.Data, Ppi: 5}}}, "probe.image.ppi"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.RegisterLatent(ctx, tc.req)
			assert.Contains(t, fieldsOf(t, err), tc.field)
			if tc.req.Probe != nil {
				_, err = c.SearchLatent(ctx, &whorlv1.SearchLatentRequest{Probe: tc.req.Probe})
				if tc.field == "latent_id" || tc.field == "notes" {
					assert.NoError(t, err, "not a search's field")
				} else {
					assert.Contains(t, fieldsOf(t, err), tc.field)
				}
			}
		})
	}
	_, err := c.SearchLatent(ctx, &whorlv1.SearchLatentRequest{Top: 101, Probe: &whorlv1.LatentProbe{Template: tpl(5)}})
	assert.Contains(t, fieldsOf(t, err), "top")

	_, err = c.GetLatent(ctx, &whorlv1.GetLatentRequest{LatentId: "nobody"})
	assert.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	_, err = c.RetireLatent(ctx, &whorlv1.RetireLatentRequest{LatentId: "nobody"})
	assert.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	_, err = c.GetLatent(ctx, &whorlv1.GetLatentRequest{})
	assert.Contains(t, fieldsOf(t, err), "latent_id")
	_, err = c.DecideHit(ctx, &whorlv1.DecideHitRequest{HitId: "123456", Decision: whorlv1.HitDecision_HIT_DECISION_EXCLUDED})
	assert.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	_, err = c.DecideHit(ctx, &whorlv1.DecideHitRequest{HitId: "x1", Decision: 9})
	assert.ElementsMatch(t, []string{"hit_id", "decision"}, fieldsOf(t, err))
	_, err = c.DecideHit(ctx, &whorlv1.DecideHitRequest{HitId: "1"})
	assert.Equal(t, []string{"decision"}, fieldsOf(t, err))
	_, err = c.ListHits(ctx, &whorlv1.ListHitsRequest{PageToken: "garbage"})
	assert.Equal(t, []string{"page_token"}, fieldsOf(t, err))
	_, err = c.ListLatents(ctx, &whorlv1.ListLatentsRequest{PageSize: 5000})
	assert.Equal(t, []string{"page_size"}, fieldsOf(t, err))
}

// TestSlowSubscriberIsDropped: a subscriber that stops reading is cut off
// with ResourceExhausted while publishing goes on undelayed; one that reads
// gets every hit, in order.
func TestSlowSubscriberIsDropped(t *testing.T) {
	ls := startLatentServer(t, newRoleCA(t), filepath.Join(t.TempDir(), "store"), Config{})
	slow, cancelSlow := watch(t, ls.latent(RoleExaminer))
	defer cancelSlow()
	fast, cancelFast := watch(t, ls.latent(RoleAdmin)) // a connection of its own
	defer cancelFast()
	// 5000 hits of ~4 KiB: beyond the buffer and any flow-control window
	// the transport grants a reader that does not read.
	const n = 5000
	pairs := make([]*whorlv1.MinutiaPair, 700)
	for i := range pairs {
		pairs[i] = &whorlv1.MinutiaPair{Probe: 200, Candidate: 200}
	}
	got := make(chan string)
	go func() {
		defer close(got)
		for {
			m, err := fast.Recv()
			if err != nil {
				return
			}
			got <- m.Hit.HitId
		}
	}()
	for i := 1; i <= n; i++ {
		ls.srv.latent.hits.publish(&whorlv1.LatentHit{HitId: fmt.Sprint(i), Pairs: pairs})
		require.Equal(t, fmt.Sprint(i), <-got, "the reading subscriber gets every hit in order")
	}
	assert.Equal(t, 1, ls.srv.latent.hits.subscribers(), "the stalled subscriber was dropped")
	var err error
	for err == nil {
		_, err = slow.Recv()
	}
	assert.Equal(t, codes.ResourceExhausted, status.Code(err), "%v", err)
	assert.Contains(t, status.Convert(err).Message(), "ListHits")
}

func TestInPolygon(t *testing.T) {
	square := []*whorlv1.Point{{X: 0, Y: 0}, {X: 10, Y: 0}, {X: 10, Y: 10}, {X: 0, Y: 10}}
	ell := []*whorlv1.Point{{X: 0, Y: 0}, {X: 10, Y: 0}, {X: 10, Y: 5}, {X: 5, Y: 5}, {X: 5, Y: 10}, {X: 0, Y: 10}}
	cases := []struct {
		poly []*whorlv1.Point
		x, y float32
		in   bool
	}{
		{square, 5, 5, true},
		{square, 11, 5, false},
		{square, 5, -1, false},
		{ell, 2, 8, true},
		{ell, 8, 2, true},
		{ell, 8, 8, false}, // the notch
	}
	for _, c := range cases {
		assert.Equal(t, c.in, inPolygon(c.poly, c.x, c.y), "(%g, %g)", c.x, c.y)
	}
}

func TestLatentAuditIDs(t *testing.T) {
	hit := &whorlv1.LatentHit{LatentId: "lat-1", SubjectId: "person-1"}
	cases := []struct {
		name              string
		req, resp         any
		latents, subjects []string
	}{
		{"register, server-assigned", &whorlv1.RegisterLatentRequest{}, &whorlv1.RegisterLatentResponse{Latent: &whorlv1.Latent{LatentId: "L1"}}, []string{"L1"}, nil},
		{"register refused", &whorlv1.RegisterLatentRequest{LatentId: "lat-9"}, nil, []string{"lat-9"}, nil},
		{"get identified", &whorlv1.GetLatentRequest{LatentId: "lat-1"}, &whorlv1.GetLatentResponse{Latent: &whorlv1.Latent{LatentId: "lat-1", IdentifiedSubjectId: "person-1"}}, []string{"lat-1"}, []string{"person-1"}},
		{"search", &whorlv1.SearchLatentRequest{}, &whorlv1.SearchLatentResponse{Candidates: []*whorlv1.LatentCandidate{{SubjectId: "a"}, {SubjectId: "b"}, {SubjectId: "a"}}}, nil, []string{"a", "b"}},
		{"list hits", &whorlv1.ListHitsRequest{}, &whorlv1.ListHitsResponse{Hits: []*whorlv1.LatentHit{hit, {LatentId: "lat-2", SubjectId: "person-1"}}}, []string{"lat-1", "lat-2"}, []string{"person-1"}},
		{"decide", &whorlv1.DecideHitRequest{HitId: "3"}, &whorlv1.DecideHitResponse{Hit: hit, Latent: &whorlv1.Latent{LatentId: "lat-1", IdentifiedSubjectId: "person-1"}}, []string{"lat-1"}, []string{"person-1"}},
		{"retire", &whorlv1.RetireLatentRequest{LatentId: "lat-1"}, &whorlv1.RetireLatentResponse{Latent: &whorlv1.Latent{LatentId: "lat-1"}}, []string{"lat-1"}, nil},
		{"list latents", &whorlv1.ListLatentsRequest{}, &whorlv1.ListLatentsResponse{Latents: []*whorlv1.Latent{{LatentId: "a"}, {LatentId: "b"}}}, []string{"a", "b"}, nil},
		{"pushed hit", &whorlv1.WatchLatentHitsRequest{}, &whorlv1.WatchLatentHitsResponse{Hit: hit}, []string{"lat-1"}, []string{"person-1"}},
		{"not a latent RPC", &whorlv1.EnrollRequest{SubjectId: "x"}, &whorlv1.EnrollResponse{}, nil, nil},
	}
	for _, c := range cases {
		assert.Equal(t, c.latents, latentsOf(c.req, c.resp), c.name)
		assert.Equal(t, c.subjects, latentCandidatesOf(c.resp), c.name)
	}
}

// TestReverseSearchFailureAsksForARetry checks that an enrolment whose
// reverse search fails says Unavailable, and that sending it again (a
// replay, by its request id) completes the search and makes the hit.
func TestReverseSearchFailureAsksForARetry(t *testing.T) {
	readData(t, "fvc2002", "DB1_B", "101_1.tif")
	ctx := context.Background()
	ls := startLatentServer(t, newRoleCA(t), filepath.Join(t.TempDir(), "store"), Config{})
	examiner := ls.latent(RoleExaminer)
	gallery := whorlv1.NewGalleryServiceClient(ls.conns[RoleBooking])
	_, err := examiner.RegisterLatent(ctx, &whorlv1.RegisterLatentRequest{LatentId: "lat-101", Probe: imageProbe(cropPNG(t, "101_2.tif", 200, 220))})
	require.NoError(t, err)
	enrol := &whorlv1.EnrollRequest{SubjectId: "person-101", RequestId: "booking-7", Fingers: []*whorlv1.Finger{
		{Position: 2, Source: &whorlv1.Finger_Image{Image: &whorlv1.Image{Data: readData(t, "fvc2002", "DB1_B", "101_1.tif")}}},
	}}

	defer func(d time.Duration) { reverseSearchTimeout = d }(reverseSearchTimeout)
	reverseSearchTimeout = time.Nanosecond
	_, err = gallery.Enroll(ctx, enrol)
	require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
	assert.Contains(t, status.Convert(err).Message(), "send the request again")
	assert.Empty(t, listHits(t, examiner, &whorlv1.ListHitsRequest{}))

	reverseSearchTimeout = 30 * time.Second
	resp, err := gallery.Enroll(ctx, enrol)
	require.NoError(t, err)
	assert.True(t, resp.Replayed, "the enrolment stood; the retry replays it")
	hits := listHits(t, examiner, &whorlv1.ListHitsRequest{})
	require.Len(t, hits, 1)
	assert.Equal(t, "lat-101", hits[0].LatentId)
}
