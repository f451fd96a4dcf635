package server

import (
	"context"
	"crypto/x509"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Role is what a client may do; it comes from the client certificate's
// organisational unit.
type Role string

// The roles (CJIS: access limited by role).
const (
	RoleBooking  Role = "booking"  // booking stations: enrol, identify, verify
	RoleExaminer Role = "examiner" // latent examiners: latent work, compare, get
	RoleAuditor  Role = "auditor"  // audit queries only
	RoleAdmin    Role = "admin"    // everything, including delete and backup
)

// Roles lists the roles in the order tables and help print them.
var Roles = []Role{RoleBooking, RoleExaminer, RoleAuditor, RoleAdmin}

// authorization is the one table that decides every RPC before it runs:
// the roles allowed to call each method besides admin, who may call any
// method in the table. A method missing from it is denied to everyone.
var authorization = map[string][]Role{
	"/whorl.v1.ExtractionService/Extract":                            {RoleBooking, RoleExaminer},
	"/whorl.v1.GalleryService/Enroll":                                {RoleBooking},
	"/whorl.v1.GalleryService/GetSubject":                            {RoleExaminer},
	"/whorl.v1.GalleryService/ListSubjects":                          {RoleExaminer},
	"/whorl.v1.GalleryService/DeleteSubject":                         {},
	"/whorl.v1.SearchService/Identify":                               {RoleBooking},
	"/whorl.v1.SearchService/Verify":                                 {RoleBooking},
	"/whorl.v1.SearchService/Compare":                                {RoleExaminer},
	"/whorl.v1.AdminService/Backup":                                  {},
	"/whorl.v1.AuditService/QueryAudit":                              {RoleAuditor},
	"/whorl.v1.LatentService/SearchLatent":                           {RoleExaminer},
	"/whorl.v1.LatentService/RegisterLatent":                         {RoleExaminer},
	"/whorl.v1.LatentService/GetLatent":                              {RoleExaminer},
	"/whorl.v1.LatentService/ListLatents":                            {RoleExaminer},
	"/whorl.v1.LatentService/RetireLatent":                           {RoleExaminer},
	"/whorl.v1.LatentService/ListHits":                               {RoleExaminer},
	"/whorl.v1.LatentService/DecideHit":                              {RoleExaminer},
	"/whorl.v1.LatentService/WatchLatentHits":                        {RoleExaminer},
	"/grpc.health.v1.Health/Check":                                   {RoleBooking, RoleExaminer, RoleAuditor},
	"/grpc.health.v1.Health/Watch":                                   {RoleBooking, RoleExaminer, RoleAuditor},
	"/grpc.health.v1.Health/List":                                    {RoleBooking, RoleExaminer, RoleAuditor},
	"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      {},
	"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": {},
}

// Allowed reports whether a role may call a method, by the table.
func Allowed(method string, role Role) bool {
	roles, ok := authorization[method]
	if !ok {
		return false
	}
	if role == RoleAdmin {
		return true
	}
	for _, r := range roles {
		if r == role {
			return true
		}
	}
	return false
}

// Identity is who is calling: the station named by the client
// certificate, and its role.
type Identity struct {
	Station string
	Role    Role
	Serial  string // the certificate's serial number, hex
}

// identitySlot is where authorize leaves the caller's identity for the
// audit interceptor, which runs around it and so cannot see the context
// authorize derives.
type identitySlot struct {
	id Identity
	ok bool
}

type identitySlotKey struct{}

// authenticate finds the caller's identity in its verified client
// certificate: none, an unknown role, or a revoked certificate is
// Unauthenticated.
func (s *Server) authenticate(ctx context.Context) (Identity, error) {
	if s.noAuth {
		return Identity{Station: "insecure-development", Role: RoleAdmin}, nil
	}
	p, ok := peer.FromContext(ctx)
	if !ok {
		return Identity{}, status.Error(codes.Unauthenticated, "no peer")
	}
	ti, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(ti.State.VerifiedChains) == 0 || len(ti.State.VerifiedChains[0]) == 0 {
		return Identity{}, status.Error(codes.Unauthenticated, "a client certificate from this installation's CA is required")
	}
	cert := ti.State.VerifiedChains[0][0]
	if s.revoked != nil && s.revoked(cert) {
		return Identity{}, status.Error(codes.Unauthenticated, "the client certificate is revoked")
	}
	return identityOf(cert)
}

func identityOf(cert *x509.Certificate) (Identity, error) {
	id := Identity{Station: cert.Subject.CommonName, Serial: cert.SerialNumber.Text(16)}
	if len(cert.Subject.OrganizationalUnit) == 1 {
		id.Role = Role(cert.Subject.OrganizationalUnit[0])
	}
	for _, r := range Roles {
		if id.Role == r {
			return id, nil
		}
	}
	return Identity{}, status.Errorf(codes.Unauthenticated, "the client certificate names no role (%v)", cert.Subject.OrganizationalUnit)
}

// authorize authenticates the caller and decides the method by the table.
func (s *Server) authorize(ctx context.Context, method string) error {
	id, err := s.authenticate(ctx)
	if err != nil {
		s.log.Warn("authentication failed", "method", method, "err", status.Convert(err).Message())
		return err
	}
	if slot, ok := ctx.Value(identitySlotKey{}).(*identitySlot); ok {
		slot.id, slot.ok = id, true
	}
	if !Allowed(method, id.Role) {
		s.log.Warn("permission denied", "method", method, "station", id.Station, "role", string(id.Role))
		return status.Errorf(codes.PermissionDenied, "role %s may not call %s", id.Role, method)
	}
	return nil
}

// Authorize is the unary interceptor that decides every RPC before it
// runs.
func (s *Server) Authorize(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := s.authorize(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// AuthorizeStream is Authorize for streaming RPCs (health watch,
// reflection).
func (s *Server) AuthorizeStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := s.authorize(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}
