package main

import (
	"context"
	"crypto/fips140"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/whorlafis/whorl/matcher"
	"github.com/whorlafis/whorl/pki"
	"github.com/whorlafis/whorl/server"
	"github.com/whorlafis/whorl/store"
)

// Defaults shared by serve and the client subcommands.
const (
	defaultData   = "./whorl-data"
	defaultListen = "localhost:50051"
	// defaultMetrics is a port of its own: 9090 is Prometheus's.
	defaultMetrics = "localhost:9464"
)

// Where serve keeps things in the data directory.
func tlsDir(data string) string   { return filepath.Join(data, "tls") }
func storeDir(data string) string { return filepath.Join(data, "store") }

// shutdownGrace is how long in-flight requests get to finish on SIGTERM.
const shutdownGrace = 30 * time.Second

// maxStreams is the concurrent requests per connection.
const maxStreams = 16

// defaultFlowWindow is serve's HTTP/2 flow-control window of a request:
// 64 KiB, about HTTP/2's own initial window (65,535 bytes), kept fixed. A client sends up to the window
// of a request before the server can refuse it, and the server reads and
// decrypts all of it even so: with gRPC's estimated window, which grows to
// megabytes on a fast link, every search refused under overload cost its
// whole tenprint. Measured with `benchmarks load --overload` (2 cores,
// loopback, one search slot, 10 clients sending tenprints): admitted
// identifications' p99 was 1.96× the unloaded p99 with the estimated
// window, 1.41× with a fixed 256 KiB and 1.04× with 64 KiB. The price is on
// long links: a 1 MB tenprint takes 16 round trips (about half a second at
// 30 ms), which --flow-window 0 (the estimate) avoids.
const defaultFlowWindow = 64 << 10

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", defaultData, "data directory: the store, the data key and the TLS credentials (created on first start, owner-only)")
	listen := fs.String("listen", defaultListen, "address to serve gRPC on")
	insecureFlag := fs.Bool("insecure", false, "serve without TLS, for development on a loopback address only")
	maxSearches := fs.Int("max-searches", 0, "searches running at once, each on every core (0: 1)")
	flowWindow := fs.Int("flow-window", defaultFlowWindow, "HTTP/2 flow-control window of a request, in bytes (the connection's is 4 times it); 0: gRPC's window sized by estimating each connection's bandwidth-delay product, for long links")
	keyFile := fs.String("data-key-file", "", "the operator's data key, kept elsewhere than DIR/store: a file (64 hex digits, owner-only; one key, which cannot rotate) or a key directory (datakey, datakey.N; rotation writes new keys there)")
	backupDir := fs.String("backup-dir", "", "directory Backup requests write into, each backup a new directory named by the request (default DIR/backups)")
	metricsAddr := fs.String("metrics", defaultMetrics, "address of the Prometheus metrics endpoint (/metrics), kept local; empty: none")
	tls12 := fs.Bool("tls12", false, "also accept TLS 1.2, with FIPS-approved ECDHE AES-GCM suites and curves P-256/P-384 only (default: TLS 1.3 only)")
	var person personFlags
	fs.StringVar(&person.issuer, "person-issuer", "", "accept person tokens (OIDC JWTs, metadata \"authorization: Bearer <JWT>\") from this issuer: their exact iss")
	fs.StringVar(&person.audience, "person-audience", "", "the audience person tokens must name (the client id the provider issued for Whorl)")
	fs.StringVar(&person.keys, "person-keys", "", "the issuer's key set (JWKS JSON), saved from the provider; read again when it changes")
	fs.StringVar(&person.claim, "person-claim", server.DefaultPersonClaim, "the token claim naming the person (\"sub\" when absent)")
	fs.BoolVar(&person.require, "require-person-token", false, "refuse every RPC but health checks without a valid person token (Unauthenticated)")
	latentHitFMR := fs.Float64("latent-hit-fmr", server.DefaultLatentHitFMR, "estimated false match rate at or below which the reverse search of an enrolment against the unsolved latents makes a hit; false hits per enrolment ≈ fingers × unsolved latents × this")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *flowWindow != 0 && (*flowWindow < 64<<10 || *flowWindow > 16<<20) {
		fmt.Fprintf(stderr, "whorl serve: --flow-window %d: 0, or 65536 to 16777216 bytes\n", *flowWindow)
		return 2
	}
	if !(*latentHitFMR > 0 && *latentHitFMR < 1) {
		fmt.Fprintf(stderr, "whorl serve: --latent-hit-fmr %g: a rate in (0, 1)\n", *latentHitFMR)
		return 2
	}
	if r := matcher.LatentFMRResolution(); *latentHitFMR < r {
		fmt.Fprintf(stderr, "whorl serve: --latent-hit-fmr %g is below what the latent score calibration resolves (%.2g): latents of some sizes could never make a hit\n", *latentHitFMR, r)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// After the first signal, a second one ends the process at once.
	go func() { <-ctx.Done(); stop() }()
	opts := serveOptions{data: *data, listen: *listen, insecure: *insecureFlag, maxSearches: *maxSearches, flowWindow: *flowWindow, metrics: *metricsAddr, keyFile: *keyFile,
		tls12: *tls12, person: person, backupDir: *backupDir, latentHitFMR: *latentHitFMR}
	if err := serve(ctx, opts, log, stdout); err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

// serveOptions are serve's flags.
type serveOptions struct {
	data, listen string
	insecure     bool
	maxSearches  int
	flowWindow   int
	metrics      string // address of /metrics, "" for none
	keyFile      string // the operator's data key file or key directory, "" for DIR/store
	backupDir    string // where backups go, "" for DIR/backups
	tls12        bool   // also accept TLS 1.2 (pki.AllowTLS12)
	person       personFlags
	latentHitFMR float64 // the reverse search's hit threshold, 0 for the default
}

// personFlags are serve's person token flags.
type personFlags struct {
	issuer, audience, keys, claim string
	require                       bool
}

// verifier checks the person token flags and loads the key set: all of
// issuer, audience and keys, or none; nil when none.
func (p personFlags) verifier() (*server.PersonVerifier, error) {
	if p.issuer == "" && p.audience == "" && p.keys == "" {
		if p.require {
			return nil, errors.New("--require-person-token needs --person-issuer, --person-audience and --person-keys")
		}
		if p.claim != "" && p.claim != server.DefaultPersonClaim {
			return nil, errors.New("--person-claim needs --person-issuer, --person-audience and --person-keys")
		}
		return nil, nil
	}
	if p.issuer == "" || p.audience == "" || p.keys == "" {
		return nil, errors.New("person tokens need all of --person-issuer, --person-audience and --person-keys")
	}
	v, err := server.NewPersonVerifier(server.PersonConfig{Issuer: p.issuer, Audience: p.audience, KeysFile: p.keys, Claim: p.claim})
	if err != nil {
		return nil, fmt.Errorf("--person-keys: %w", err)
	}
	return v, nil
}

// serve runs the server until ctx is done (SIGTERM or SIGINT in the
// command), then lets in-flight requests finish and closes the store.
func serve(ctx context.Context, o serveOptions, log *slog.Logger, stdout io.Writer) error {
	data, listen, insecureMode, maxSearches, metricsAddr := o.data, o.listen, o.insecure, o.maxSearches, o.metrics
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", listen, err)
	}
	personTokens, err := o.person.verifier()
	if err != nil {
		return err
	}
	var creds credentials.TransportCredentials
	if insecureMode {
		if !isLoopback(host) {
			return fmt.Errorf("--insecure serves only on a loopback address, not %q", host)
		}
		if personTokens != nil || o.person.require || o.tls12 {
			return errors.New("--insecure has no TLS: person tokens and --tls12 need it (a bearer token must not cross the wire in clear)")
		}
		log.Warn("INSECURE: serving without TLS or client certificates; fingerprint data crosses the wire in clear. For development on this machine only.")
		creds = insecure.NewCredentials()
	} else {
		hosts := []string{"localhost", "127.0.0.1", "::1"}
		if host != "" && host != "localhost" {
			hosts = append(hosts, host)
		}
		created, err := pki.Ensure(tlsDir(data), hosts)
		if err != nil {
			return fmt.Errorf("TLS credentials: %w", err)
		}
		if created {
			log.Info("created a local CA, a server certificate and an admin client certificate", "dir", tlsDir(data))
		}
		cfg, err := pki.ServerTLS(tlsDir(data))
		if err != nil {
			return err
		}
		if o.tls12 {
			pki.AllowTLS12(cfg)
		}
		creds = credentials.NewTLS(cfg)
	}
	storeOpts := store.Options{Logger: log}
	if o.keyFile != "" {
		if st, err := os.Stat(o.keyFile); err == nil && st.IsDir() {
			storeOpts.KeyDir = o.keyFile
		} else if storeOpts.DataKey, err = store.LoadKeyFile(o.keyFile); err != nil {
			return fmt.Errorf("--data-key-file: %w", err)
		}
	}
	// The metrics address is checked before anything is opened.
	var metricsLis net.Listener
	if metricsAddr != "" {
		mh, _, err := net.SplitHostPort(metricsAddr)
		if err != nil || !isLoopback(mh) {
			return fmt.Errorf("--metrics %q: the metrics endpoint serves on a loopback address only", metricsAddr)
		}
		if metricsLis, err = net.Listen("tcp", metricsAddr); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		defer metricsLis.Close()
	}
	st, err := store.Open(storeDir(data), storeOpts)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("closing the store", "err", err)
			return
		}
		log.Info("store closed")
	}()

	var gallery matcher.Gallery
	backups := o.backupDir
	if backups == "" {
		backups = filepath.Join(data, "backups")
	}
	cfg := server.Config{Gallery: &gallery, Store: st, Audit: st, MaxSearches: maxSearches, Logger: log, NoAuth: insecureMode,
		PersonTokens: personTokens, RequirePersonToken: o.person.require, BackupDir: backups, LatentHitFMR: o.latentHitFMR}
	if !insecureMode {
		cfg.Revoked = pki.NewRevocations(tlsDir(data)).IsRevoked
	}
	srv := server.New(cfg)
	start := time.Now()
	n, err := srv.Load(ctx)
	if err != nil {
		return err
	}
	fingers, _ := gallery.Len()
	log.Info("gallery loaded", "subjects", n, "fingers", fingers, "seconds", time.Since(start).Seconds())
	if n, err = srv.LoadLatents(ctx); err != nil {
		return err
	}
	log.Info("unsolved latent file loaded", "latents", n)

	metrics := srv.NewMetrics()
	// MaxConcurrentStreams bounds the requests one connection may have
	// buffered (each up to MaxMessageBytes) beyond those being served.
	gopts := append(srv.Interceptors(metrics),
		grpc.Creds(creds), grpc.MaxRecvMsgSize(server.MaxMessageBytes), grpc.MaxConcurrentStreams(maxStreams))
	if o.flowWindow > 0 {
		gopts = append(gopts, grpc.InitialWindowSize(int32(o.flowWindow)), grpc.InitialConnWindowSize(int32(4*o.flowWindow)))
	}
	g := grpc.NewServer(gopts...)
	srv.Register(g)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(g, hs)
	reflection.Register(g)

	lis, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	mode := "TLS 1.3, client certificates with roles required; credentials in " + tlsDir(data)
	if o.tls12 {
		mode = "TLS 1.3 or 1.2 (FIPS-approved AES-GCM suites), client certificates with roles required; credentials in " + tlsDir(data)
	}
	switch {
	case o.person.require:
		mode += "; person tokens required"
	case personTokens != nil:
		mode += "; person tokens accepted"
	}
	if insecureMode {
		mode = "INSECURE, no TLS"
	}
	fmt.Fprintf(stdout, "whorl: serving on %s (%s)\n", lis.Addr(), mode)
	log.Info("serving", "addr", lis.Addr().String(), "tls", !insecureMode, "tls12", o.tls12, "fips140", fips140.Enabled(),
		"person_tokens", personTokens != nil, "person_token_required", o.person.require)

	if metricsLis != nil {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
		ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go ms.Serve(metricsLis)
		defer ms.Close()
		fmt.Fprintf(stdout, "whorl: metrics on http://%s/metrics\n", metricsLis.Addr())
	}
	served := make(chan error, 1)
	go func() { served <- g.Serve(lis) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
		log.Info("shutting down: in-flight requests finish")
		hs.Shutdown()
		srv.EndStreams() // hit watchers end only when told; a graceful stop waits for them
		done := make(chan struct{})
		go func() { g.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(shutdownGrace):
			log.Warn("in-flight requests did not finish in time; stopping", "grace", shutdownGrace.String())
			g.Stop()
		}
		if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			return err
		}
		return nil
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
