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

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", defaultData, "data directory: the store, the data key and the TLS credentials (created on first start, owner-only)")
	listen := fs.String("listen", defaultListen, "address to serve gRPC on")
	insecureFlag := fs.Bool("insecure", false, "serve without TLS, for development on a loopback address only")
	maxSearches := fs.Int("max-searches", 0, "searches running at once before ResourceExhausted (0: 2)")
	keyFile := fs.String("data-key-file", "", "read the 32-byte data key from this file (64 hex digits, owner-only) instead of DIR/store/datakey: for a key the operator keeps elsewhere")
	metricsAddr := fs.String("metrics", defaultMetrics, "address of the Prometheus metrics endpoint (/metrics), kept local; empty: none")
	latentHitFMR := fs.Float64("latent-hit-fmr", server.DefaultLatentHitFMR, "estimated false match rate at or below which the reverse search of an enrolment against the unsolved latents makes a hit; false hits per enrolment ≈ fingers × unsolved latents × this")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if !(*latentHitFMR > 0 && *latentHitFMR < 1) {
		fmt.Fprintf(stderr, "whorl serve: --latent-hit-fmr %g: a rate in (0, 1)\n", *latentHitFMR)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// After the first signal, a second one ends the process at once.
	go func() { <-ctx.Done(); stop() }()
	opts := serveOptions{data: *data, listen: *listen, insecure: *insecureFlag, maxSearches: *maxSearches, metrics: *metricsAddr, keyFile: *keyFile}
	opts.latentHitFMR = *latentHitFMR
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
	metrics      string // address of /metrics, "" for none
	keyFile      string // the operator's data key file, "" for DIR/store/datakey

	latentHitFMR float64 // the reverse search's hit threshold, 0 for the default
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
	var creds credentials.TransportCredentials
	if insecureMode {
		if !isLoopback(host) {
			return fmt.Errorf("--insecure serves only on a loopback address, not %q", host)
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
		creds = credentials.NewTLS(cfg)
	}
	storeOpts := store.Options{Logger: log}
	if o.keyFile != "" {
		if storeOpts.DataKey, err = store.LoadKeyFile(o.keyFile); err != nil {
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
	cfg := server.Config{Gallery: &gallery, Store: st, Audit: st, MaxSearches: maxSearches, Logger: log, NoAuth: insecureMode}
	cfg.LatentHitFMR = o.latentHitFMR
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
	g := grpc.NewServer(append(srv.Interceptors(metrics),
		grpc.Creds(creds), grpc.MaxRecvMsgSize(server.MaxMessageBytes), grpc.MaxConcurrentStreams(maxStreams))...)
	srv.Register(g)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(g, hs)
	reflection.Register(g)

	lis, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	mode := "TLS 1.3, client certificates with roles required; credentials in " + tlsDir(data)
	if insecureMode {
		mode = "INSECURE, no TLS"
	}
	fmt.Fprintf(stdout, "whorl: serving on %s (%s)\n", lis.Addr(), mode)
	log.Info("serving", "addr", lis.Addr().String(), "tls", !insecureMode, "fips140", fips140.Enabled())

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
