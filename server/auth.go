package server

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"time"

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
	"/whorl.v1.AdminService/RotateKeys":                              {},
	"/whorl.v1.AdminService/KeyStatus":                               {},
	"/whorl.v1.AdminService/RetireKey":                               {},
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
// certificate, its role, and the person at the station when the call
// carried a verified person token.
type Identity struct {
	Station string
	Role    Role
	Serial  string // the certificate's serial number, hex
	Person  string // from the person token; "" if the call carried none
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

// authorize decides a call before it runs: a locked-out client is
// refused after the longest delay; a client over the slow-down threshold waits first
// (holding nothing but its own stream); then the caller is
// authenticated by its certificate and, if it carries one or the policy
// requires one, its person token, and the method is decided by the
// table. Authentication and authorisation failures count towards the
// abuse limits (lockout.go).
func (s *Server) authorize(ctx context.Context, method string) error {
	key := clientKey(ctx)
	if s.lockout != nil {
		until, delay := s.lockout.check(key, s.now())
		if !until.IsZero() {
			s.log.Warn("locked out", "method", method, "caller", caller(ctx), "until", until.UTC().Format(time.RFC3339))
			// A locked-out client is refused after the longest delay:
			// each refusal is still an audit record, a synced write that
			// every other caller's record queues behind, so a client that
			// loops on refusals must not get them at full speed.
			if err := s.sleep(ctx, s.lockout.cfg.MaxDelay); err != nil {
				return status.FromContextError(err).Err()
			}
			return status.Errorf(codes.PermissionDenied, "locked out until %s after repeated failed calls; ask the administrator",
				until.UTC().Format(time.RFC3339))
		}
		if delay > 0 {
			if err := s.sleep(ctx, delay); err != nil {
				return status.FromContextError(err).Err()
			}
		}
	}
	id, err := s.decide(ctx, method)
	if c := status.Code(err); s.lockout != nil && (c == codes.Unauthenticated || c == codes.PermissionDenied) {
		if locked, until := s.lockout.fail(key, s.now()); locked {
			s.lockedOut(ctx, id, until)
		}
	}
	return err
}

// decide authenticates the caller and decides the method by the table.
// The identity is returned as far as it was established.
func (s *Server) decide(ctx context.Context, method string) (Identity, error) {
	id, err := s.authenticate(ctx)
	if err != nil {
		s.log.Warn("authentication failed", "method", method, "err", status.Convert(err).Message())
		return Identity{}, err
	}
	slot, _ := ctx.Value(identitySlotKey{}).(*identitySlot)
	if slot != nil {
		slot.id, slot.ok = id, true
	}
	id.Person, err = s.authenticatePerson(ctx, method)
	if err != nil {
		s.log.Warn("person token refused", "method", method, "station", id.Station, "err", status.Convert(err).Message())
		return id, err
	}
	if slot != nil {
		slot.id = id
	}
	if !Allowed(method, id.Role) {
		s.log.Warn("permission denied", "method", method, "station", id.Station, "role", string(id.Role), "person", id.Person)
		return id, status.Errorf(codes.PermissionDenied, "role %s may not call %s", id.Role, method)
	}
	return id, nil
}

// authenticatePerson verifies the call's person token and returns the
// person it names. A token that is present is always verified (a bad one
// is Unauthenticated, never ignored); an absent one is Unauthenticated
// only under RequirePersonToken, and never for health checks, which load
// balancers send without a person.
func (s *Server) authenticatePerson(ctx context.Context, method string) (string, error) {
	token, present, err := bearerToken(ctx)
	switch {
	case err != nil:
		return "", status.Errorf(codes.Unauthenticated, "person token: %v", err)
	case !present:
		if s.requirePerson && !strings.HasPrefix(method, "/grpc.health.") {
			return "", status.Error(codes.Unauthenticated, "a person token is required: send the metadata \"authorization: Bearer <token>\"")
		}
		return "", nil
	case s.person == nil:
		return "", status.Error(codes.Unauthenticated, "person token: this server is configured to accept none")
	}
	person, err := s.person.Verify(token, s.now())
	if errors.Is(err, errKeysUnavailable) {
		s.log.Error("person tokens cannot be verified", "err", err)
		return "", status.Error(codes.Unavailable, "the server cannot verify person tokens now: its issuer keys do not load")
	}
	if err != nil {
		return "", status.Errorf(codes.Unauthenticated, "person token refused: %v", err)
	}
	return person, nil
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
