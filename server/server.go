package server

import (
	"context"
	"crypto/x509"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/whorlafis/whorl/matcher"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// Config is what a Server needs. The zero value of each limit picks a
// default sized for the machine.
type Config struct {
	// Gallery is the in-memory gallery searches scan; required.
	Gallery *matcher.Gallery
	// Store is the system of record; without one the gallery service
	// refuses with FailedPrecondition (tests of search alone).
	Store Store
	// MaxSearches bounds the searches running at once. Default 1: a
	// search already uses every core (its fingers are extracted in
	// parallel and the gallery is scanned by GOMAXPROCS workers), so a
	// second one at the same time only shares the cores and both take
	// longer (measured, see admission.go). Beyond it a search is refused
	// at once with ResourceExhausted, its connection takes a place in line
	// and the refusal's RetryInfo says when its turn should come.
	MaxSearches int
	// MaxExtractions bounds the requests decoding and extracting images
	// at once; beyond it they are refused. However many there are, at most
	// GOMAXPROCS fingers are decoded at once (a decode may hold ~16 bytes
	// per pixel): extraction is CPU-bound, more at once would only hold
	// more memory. Default GOMAXPROCS.
	MaxExtractions int
	// Logger receives structured logs; never biometric data. Default
	// slog.Default().
	Logger *slog.Logger
	// Revoked reports whether a client certificate is revoked; checked on
	// every RPC, so a revocation takes effect at once.
	Revoked func(*x509.Certificate) bool
	// Audit keeps the audit trail; nil keeps none (tests of one service).
	Audit AuditLog
	// BackupDir is where Backup writes: each backup goes to a new
	// directory the request names under it. Empty refuses backups.
	BackupDir string
	// LatentFile is the unsolved-latent gallery the reverse search of every
	// enrolment scans (LoadLatents fills it), with its LatentFile set; nil
	// makes an empty one. The latent service needs a Store that keeps
	// latents too (LatentStore).
	LatentFile *matcher.Gallery
	// LatentHitFMR is the estimated false match rate at or below which a
	// reverse-search candidate becomes a hit; 0 means DefaultLatentHitFMR.
	// Expected false hits per enrolment ≈ fingers × unsolved latents × FMR
	// (10 × 10,000 × 1e-4 = 10), capped at maxHitsPerEnrolment.
	LatentHitFMR float64
	// NoAuth serves every caller as admin: only for `serve --insecure` on
	// a loopback address.
	NoAuth bool
	// PersonTokens verifies the person tokens calls carry (metadata
	// "authorization: Bearer <JWT>"). Nil accepts none: a call that
	// carries one is refused rather than served as if the person had
	// been recorded.
	PersonTokens *PersonVerifier
	// RequirePersonToken refuses every call but health checks without a
	// valid person token (Unauthenticated).
	RequirePersonToken bool
	// Lockout sets the abuse limits; the zero value is the documented
	// defaults (lockout.go).
	Lockout LockoutConfig
	// Now is the clock of audit records, token expiry and the abuse
	// limits; default time.Now. Tests inject one.
	Now func() time.Time
	// Sleep waits out a slowed client's delay, or until ctx is done;
	// default a timer. Tests inject one that advances their clock.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Server implements Whorl's gRPC services.
type Server struct {
	whorlv1.UnimplementedExtractionServiceServer
	whorlv1.UnimplementedSearchServiceServer
	whorlv1.UnimplementedGalleryServiceServer
	whorlv1.UnimplementedAdminServiceServer
	whorlv1.UnimplementedAuditServiceServer
	whorlv1.UnimplementedLatentServiceServer

	gallery       *matcher.Gallery
	store         Store
	locks         *subjectLocks
	searches      chan struct{} // a token per running search
	extractions   chan struct{} // a token per request decoding and extracting
	extractors    chan struct{} // a token per finger being decoded and extracted
	log           *slog.Logger
	revoked       func(*x509.Certificate) bool
	noAuth        bool
	audit         AuditLog
	person        *PersonVerifier
	requirePerson bool
	lockout       *lockout // nil when disabled
	now           func() time.Time
	sleep         func(context.Context, time.Duration) error
	backupDir     string
	latent        *latentState
	shedCount     atomic.Int64 // searches refused by shed
	running       searchClock  // when the running searches started, and how long searches take
	line          searchLine   // connections whose searches were refused, first served first
}

// New returns a Server for the configuration.
func New(cfg Config) *Server {
	if cfg.MaxSearches <= 0 {
		cfg.MaxSearches = 1
	}
	if cfg.MaxExtractions <= 0 {
		cfg.MaxExtractions = runtime.GOMAXPROCS(0)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepContext
	}
	var lock *lockout
	if !cfg.Lockout.Disabled {
		lock = newLockout(cfg.Lockout)
	}
	return &Server{
		gallery:       cfg.Gallery,
		store:         cfg.Store,
		locks:         newSubjectLocks(),
		searches:      make(chan struct{}, cfg.MaxSearches),
		extractions:   make(chan struct{}, cfg.MaxExtractions),
		extractors:    make(chan struct{}, runtime.GOMAXPROCS(0)),
		log:           cfg.Logger,
		revoked:       cfg.Revoked,
		noAuth:        cfg.NoAuth,
		audit:         cfg.Audit,
		person:        cfg.PersonTokens,
		requirePerson: cfg.RequirePersonToken,
		lockout:       lock,
		now:           cfg.Now,
		sleep:         cfg.Sleep,
		backupDir:     cfg.BackupDir,
		latent:        newLatentState(cfg),
	}
}

// Interceptors are the server's interceptors, in order: recovery, audit
// (around everything else, so refusals are recorded too), authorisation,
// logging, then metrics if given; streams are audited and authorised; the
// transport's tap sheds searches beyond the limit before they are read
// (shed); and a closed connection leaves the line for a search slot.
func (s *Server) Interceptors(m *Metrics) []grpc.ServerOption {
	unary := []grpc.UnaryServerInterceptor{s.Recover, s.Audit, s.Authorize, s.LogRequests}
	if m != nil {
		unary = append(unary, m.Observe)
	}
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(unary...), grpc.ChainStreamInterceptor(s.AuditStream, s.AuthorizeStream),
		grpc.InTapHandle(s.shed), grpc.StatsHandler(lineKeeper{&s.line})}
}

// Register registers the services on a gRPC server.
func (s *Server) Register(g *grpc.Server) {
	whorlv1.RegisterExtractionServiceServer(g, s)
	whorlv1.RegisterSearchServiceServer(g, s)
	whorlv1.RegisterGalleryServiceServer(g, s)
	whorlv1.RegisterAdminServiceServer(g, s)
	whorlv1.RegisterAuditServiceServer(g, s)
	whorlv1.RegisterLatentServiceServer(g, s)
}

// admit takes a token from a pool without waiting: a server at its limit
// says so at once rather than queueing work without bound. The returned
// function gives the token back.
func admit(pool chan struct{}, what string) (release func(), err error) {
	select {
	case pool <- struct{}{}:
		return func() { <-pool }, nil
	default:
		return nil, status.Errorf(codes.ResourceExhausted, "%d %s already running: retry later", cap(pool), what)
	}
}
