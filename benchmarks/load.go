package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/whorlafis/whorl/minutiae"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// loadResult is what `load --json` writes.
type loadResult struct {
	Mode         string `json:"mode"` // load, soak or overload
	Gallery      int    `json:"gallery_fingers"`
	Clients      int    `json:"clients"`
	Mix          string `json:"mix"`
	MaxSearches  int    `json:"max_searches"`
	ProbeFingers int    `json:"probe_fingers"`
	Sets         string `json:"sets"`
	CPUs         int    `json:"cpus"`
	// Fill is the gallery's fill through the public API.
	Fill     fillResult      `json:"fill"`
	Run      *phaseResult    `json:"run,omitempty"`
	Soak     *soakResult     `json:"soak,omitempty"`
	Overload *overloadResult `json:"overload,omitempty"`
}

type fillResult struct {
	Subjects         int     `json:"subjects"`
	Fingers          int     `json:"fingers"`
	Seconds          float64 `json:"seconds"`
	FingersPerSecond float64 `json:"fingers_per_second"`
	Clients          int     `json:"clients"`
	// PeakRSSBytes is the server's VmHWM after the fill.
	PeakRSSBytes uint64 `json:"peak_rss_bytes"`
}

// phaseResult is one phase of requests.
type phaseResult struct {
	Clients int        `json:"clients"`
	Seconds float64    `json:"seconds"`
	RPCs    []rpcStats `json:"rpcs"`
	// UnexpectedErrors counts failures other than ResourceExhausted
	// refusals and requests the run abandoned on purpose.
	UnexpectedErrors int `json:"unexpected_errors"`
	// PeakRSSBytes is the server's VmHWM over this phase alone when
	// PeakReset (the kernel let the harness restart the peak), else since
	// the server started; SampledMaxRSSBytes is the largest
	// process_resident_memory_bytes scraped during the phase.
	PeakRSSBytes       uint64         `json:"peak_rss_bytes"`
	PeakReset          bool           `json:"peak_reset"`
	SampledMaxRSSBytes uint64         `json:"sampled_max_rss_bytes"`
	Samples            []serverSample `json:"samples,omitempty"`
}

type soakResult struct {
	SampleSeconds float64        `json:"sample_seconds"`
	Start         serverSample   `json:"start"`
	End           serverSample   `json:"end"`
	MaxRSSBytes   uint64         `json:"max_rss_bytes"`
	MaxGoroutines int            `json:"max_goroutines"` // -1: the server exports no go_goroutines
	MaxThreads    int            `json:"max_threads"`
	MaxFDs        int            `json:"max_fds"`
	Samples       []serverSample `json:"samples"`
}

type overloadResult struct {
	AdmissionLimit int `json:"admission_limit"`
	// Probe is the kind of search of the unloaded and overloaded phases:
	// identify (images) or template.
	Probe      string      `json:"probe"`
	Unloaded   phaseResult `json:"unloaded"`
	Overloaded phaseResult `json:"overloaded"`
	// RefusedShare is the fraction of the overloaded phase's identify
	// requests answered ResourceExhausted.
	RefusedShare  float64 `json:"refused_share"`
	UnloadedP99Ms float64 `json:"unloaded_p99_ms"`
	AdmittedP99Ms float64 `json:"admitted_p99_ms"`
	RefusalP99Ms  float64 `json:"refusal_p99_ms"`
	RefusalP50Ms  float64 `json:"refusal_p50_ms"`
	// ServerRefusalP99Ms is the upper bound of the server's own latency
	// histogram bucket (whorl_rpc_seconds) holding the 99th percentile of
	// its ResourceExhausted answers. That histogram is observed by the
	// innermost interceptor, so it is the handler's time; RefusalP99Ms adds
	// the outer interceptors (the audit record among them), the wire, TLS
	// and both processes' scheduling.
	ServerRefusalP99Ms float64 `json:"server_refusal_p99_ms"`
	ServerRefusals     int     `json:"server_refusals"`
	// ShedRefusals are the refusals the server's transport tap made as
	// the requests' headers arrived, before any handler (whorl_shed_total):
	// with ServerRefusals, every refusal the clients saw.
	ShedRefusals int `json:"shed_refusals"`
	// ServerUnloadedMeanMs and ServerAdmittedMeanMs are the server's own
	// mean time of a successful identification, unloaded and overloaded
	// (from its whorl_rpc_seconds histogram): with the client's times, they
	// tell the server's share of a slowdown from the clients' and the
	// transport's.
	ServerUnloadedMeanMs float64 `json:"server_unloaded_mean_ms"`
	ServerAdmittedMeanMs float64 `json:"server_admitted_mean_ms"`
	// Cancel has one entry per kind of probe: tenprint images (whose
	// extraction is part of the search's time) and a template alone.
	Cancel []cancelResult `json:"cancel"`
}

// cancelResult checks that clients which give up mid-search free the
// server's work: after they stop, the server's running searches
// (whorl_searches_running) must drop to 0 well within one search's time.
type cancelResult struct {
	Probe string `json:"probe"` // the --mix kind
	// SearchMs is the median unloaded time of this probe, for scale.
	SearchMs      float64 `json:"search_ms"`
	Clients       int     `json:"clients"`
	CancelAfterMs float64 `json:"cancel_after_ms"`
	Cancelled     int     `json:"cancelled"`
	Completed     int     `json:"completed"`
	// DrainMs is how long after the last client gave up the server still
	// ran searches (measured by scraping /metrics, so a few ms coarse);
	// Drained says it reached 0 within drainWait.
	DrainMs float64 `json:"drain_ms"`
	Drained bool    `json:"drained"`
	// AdmittedAfter says a fresh identification was admitted right after.
	AdmittedAfter bool `json:"admitted_after"`
}

// drainWait bounds the wait for the server's searches to end.
const drainWait = 30 * time.Second

func runLoad(args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: go run ./benchmarks load [flags]

Builds the whorl command, runs "whorl serve" as its own process (TLS, a
temporary data directory, loopback ports), fills its gallery through the
public API with synthetic ten-finger subjects, enrols one mated subject per
FVC2002 set with images, then drives it from concurrent clients with the
--mix. --overload and --soak run the overload and soak checks instead.`)
		fs.PrintDefaults()
	}
	gallery := fs.Int("gallery", 10_000, "fingers of synthetic distractor subjects (ten each) enrolled before the run")
	clients := fs.Int("clients", 16, "concurrent clients, each with its own connection")
	duration := fs.Duration("duration", 30*time.Second, "length of the run (of each phase with --overload)")
	mixFlag := fs.String("mix", "enroll=1,identify=4,verify=2,latent=1", "request kinds and weights: enroll, identify, verify, latent (a latent-sized crop of a print, SearchLatent), template (a one-finger template search, no extraction)")
	maxRequests := fs.Int64("max-requests", 1_000_000, "at most this many requests per phase, whatever the duration")
	jsonOut := fs.String("json", "", "write the results as JSON to this file")
	maxSearches := fs.Int("max-searches", 1, "the server's admission limit of concurrent searches (serve --max-searches)")
	soak := fs.Bool("soak", false, "soak: run the mix for --duration, sampling the server's memory and goroutines every --sample")
	sample := fs.Duration("sample", 10*time.Second, "sampling interval of --soak")
	overload := fs.Bool("overload", false, "overload: an unloaded identify baseline (1 client), then 10× the admission limit of identify clients, then clients that give up mid-search")
	overloadKind := fs.String("overload-probe", "identify", "the search --overload sends: identify (--probe-fingers images) or template (one template, no extraction: a small request)")
	keep := fs.Bool("keep", false, "keep the temporary directory (data, server log)")
	fvc := fs.String("fvc", "/work/shared/data/fvc2002", "folder of the FVC2002 sets whose prints are the mated subjects and probes")
	sets := fs.String("sets", "DB1_B,DB2_B,DB3_B", "FVC2002 sets to use, comma-separated; each is one mated ten-finger subject")
	probeFingers := fs.Int("probe-fingers", 10, "fingers of an identification probe (10: tenprint)")
	fillClients := fs.Int("fill-clients", 16, "concurrent clients filling the gallery")
	seed := fs.Uint64("seed", 1, "seed of the synthetic gallery and the request mix")
	serveArgs := fs.String("serve-args", "", "further flags for whorl serve, space-separated (e.g. \"--flow-window 0\")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("load takes no arguments, got %q", fs.Args())
	}
	if *soak && *overload {
		return errors.New("--soak and --overload are different runs: choose one")
	}
	switch {
	case *gallery < 0:
		return fmt.Errorf("--gallery %d: not a count", *gallery)
	case *clients < 1 || *clients > 1000:
		return fmt.Errorf("--clients %d: 1 to 1000", *clients)
	case *duration <= 0:
		return fmt.Errorf("--duration %v: must be positive", *duration)
	case *maxRequests < 1:
		return fmt.Errorf("--max-requests %d: must be positive", *maxRequests)
	case *maxSearches < 1 || *maxSearches > 100:
		return fmt.Errorf("--max-searches %d: 1 to 100", *maxSearches)
	case *sample <= 0:
		return fmt.Errorf("--sample %v: must be positive", *sample)
	case *probeFingers < 1 || *probeFingers > fingers:
		return fmt.Errorf("--probe-fingers %d: 1 to %d", *probeFingers, fingers)
	case *fillClients < 1 || *fillClients > 256:
		return fmt.Errorf("--fill-clients %d: 1 to 256", *fillClients)
	}
	if *overloadKind != "identify" && *overloadKind != "template" {
		return fmt.Errorf("--overload-probe %q: identify or template", *overloadKind)
	}
	mix, err := parseMix(*mixFlag)
	if err != nil {
		return err
	}
	setNames := strings.Split(*sets, ",")
	for _, s := range setNames {
		if _, err := os.Stat(filepath.Join(*fvc, s)); err != nil {
			return fmt.Errorf("FVC2002 set %s not found in %s (--fvc): the mix's mated subjects and probes are real prints: %w", s, *fvc, err)
		}
	}

	rp, err := loadRealPrints(*fvc, setNames)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "whorl-load-")
	if err != nil {
		return err
	}
	if *keep {
		fmt.Fprintf(os.Stderr, "load: keeping %s (data, serve.log)\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	fmt.Fprintln(os.Stderr, "load: building the whorl command")
	bin, err := buildServer(tmp)
	if err != nil {
		return err
	}
	srv, err := startServer(bin, filepath.Join(tmp, "data"), *maxSearches, strings.Fields(*serveArgs)...)
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "load: stopping the server:", err)
		}
	}()
	fmt.Fprintf(os.Stderr, "load: server pid %d on %s, log %s\n", srv.cmd.Process.Pid, srv.addr, srv.logPath)

	res := loadResult{Mode: "load", Gallery: *gallery, Clients: *clients, Mix: *mixFlag, MaxSearches: *maxSearches,
		ProbeFingers: *probeFingers, Sets: *sets, CPUs: runtime.NumCPU()}
	ctx := context.Background()
	model := fitDistractorModel(rp.templates)
	if res.Fill, err = fillGallery(ctx, srv, model, *seed, *gallery, *fillClients); err != nil {
		return err
	}
	fmt.Printf("gallery: %d subjects, %d fingers through Enroll in %.1f s: %.0f fingers/s from %d clients; server peak RSS %s\n",
		res.Fill.Subjects, res.Fill.Fingers, res.Fill.Seconds, res.Fill.FingersPerSecond, res.Fill.Clients, mib(res.Fill.PeakRSSBytes))
	if err := enrolMates(ctx, srv, rp); err != nil {
		return err
	}

	phase := func(w workload, every time.Duration, onSample func(serverSample)) (phaseResult, error) {
		pr, _, err := runPhase(ctx, srv, rp, w, len(w.clients), 0, *probeFingers, *maxRequests, every, onSample)
		return pr, err
	}

	switch {
	case *overload:
		res.Mode = "overload"
		o, err := runOverload(ctx, srv, phase, *overloadKind, *duration, *maxSearches, *seed)
		if err != nil {
			return err
		}
		res.Overload = o
		printOverload(os.Stdout, o)
	case *soak:
		res.Mode = "soak"
		pr, err := phase(workload{clients: make([]*loadClient, *clients), mix: mix, duration: *duration, retry: true, seed: *seed},
			*sample, func(s serverSample) {
				fmt.Printf("soak %7.0f s  rss %9s  goroutines %5s  threads %3d  fds %4d  searches %d\n", s.Seconds, mib(s.RSSBytes), goroutines(s.Goroutines), s.Threads, s.FDs, s.Searches)
			})
		if err != nil {
			return err
		}
		if len(pr.Samples) == 0 {
			return errors.New("soak: no sample of the server's /metrics succeeded")
		}
		sr := &soakResult{SampleSeconds: sample.Seconds(), Start: pr.Samples[0], End: pr.Samples[len(pr.Samples)-1], Samples: pr.Samples}
		sr.MaxGoroutines = -1
		for _, s := range pr.Samples {
			sr.MaxRSSBytes = max(sr.MaxRSSBytes, s.RSSBytes)
			sr.MaxGoroutines = max(sr.MaxGoroutines, s.Goroutines)
			sr.MaxThreads = max(sr.MaxThreads, s.Threads)
			sr.MaxFDs = max(sr.MaxFDs, s.FDs)
		}
		pr.Samples = nil
		res.Run, res.Soak = &pr, sr
		printPhase(os.Stdout, "soak", pr)
		fmt.Printf("soak: %d samples every %v; start / end / max:\n  rss        %s / %s / %s\n  goroutines %s / %s / %s\n  threads    %d / %d / %d\n  fds        %d / %d / %d\n",
			len(sr.Samples), *sample,
			mib(sr.Start.RSSBytes), mib(sr.End.RSSBytes), mib(sr.MaxRSSBytes),
			goroutines(sr.Start.Goroutines), goroutines(sr.End.Goroutines), goroutines(sr.MaxGoroutines),
			sr.Start.Threads, sr.End.Threads, sr.MaxThreads, sr.Start.FDs, sr.End.FDs, sr.MaxFDs)
		if sr.MaxGoroutines < 0 {
			fmt.Println("  (goroutines: the server's /metrics exports no go_goroutines; threads and fds come from /proc)")
		}
	default:
		pr, err := phase(workload{clients: make([]*loadClient, *clients), mix: mix, duration: *duration, retry: true, seed: *seed}, 500*time.Millisecond, nil)
		if err != nil {
			return err
		}
		pr.Samples = nil
		res.Run = &pr
		printPhase(os.Stdout, fmt.Sprintf("load: %d clients, %v, mix %s", *clients, *duration, *mixFlag), pr)
	}
	if *jsonOut != "" {
		return writeJSON(*jsonOut, res)
	}
	return nil
}

// phaseFunc runs one phase of requests against the server.
type phaseFunc func(w workload, every time.Duration, onSample func(serverSample)) (phaseResult, error)

// runOverload measures searches of one kind alone (--overload-probe):
// unloaded (one client), then
// at ten times the admission limit with no retries (a refused client
// pauses 10 ms and sends its next request), then clients that give up each
// search part-way.
func runOverload(ctx context.Context, srv *serverProcess, phase phaseFunc, kind string, d time.Duration, limit int, seed uint64) (*overloadResult, error) {
	searches := []mixEntry{{kind, 1}}
	o := &overloadResult{AdmissionLimit: limit, Probe: kind}
	var err error
	fmt.Fprintln(os.Stderr, "overload: unloaded baseline, 1 client")
	const identifyMethod = "/whorl.v1.SearchService/Identify"
	okBefore, err := srv.rpcHistogram(ctx, identifyMethod, "OK")
	if err != nil {
		return nil, err
	}
	if o.Unloaded, err = phase(workload{clients: make([]*loadClient, 1), mix: searches, duration: d, retry: true, seed: seed}, 100*time.Millisecond, nil); err != nil {
		return nil, err
	}
	okMid, err := srv.rpcHistogram(ctx, identifyMethod, "OK")
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "overload: %d clients against an admission limit of %d\n", 10*limit, limit)
	before, err := srv.rpcHistogram(ctx, identifyMethod, "ResourceExhausted")
	if err != nil {
		return nil, err
	}
	shedBefore, err := srv.metric(ctx, "whorl_shed_total")
	if err != nil {
		return nil, err
	}
	if o.Overloaded, err = phase(workload{clients: make([]*loadClient, 10*limit), mix: searches, duration: d,
		refusalPause: 10 * time.Millisecond, seed: seed + 1}, 100*time.Millisecond, nil); err != nil {
		return nil, err
	}
	after, err := srv.rpcHistogram(ctx, identifyMethod, "ResourceExhausted")
	if err != nil {
		return nil, err
	}
	shedAfter, err := srv.metric(ctx, "whorl_shed_total")
	if err != nil {
		return nil, err
	}
	o.ShedRefusals = int(shedAfter - shedBefore)
	okAfter, err := srv.rpcHistogram(ctx, identifyMethod, "OK")
	if err != nil {
		return nil, err
	}
	o.ServerUnloadedMeanMs = 1000 * (okMid.sum - okBefore.sum) / max(okMid.count-okBefore.count, 1)
	o.ServerAdmittedMeanMs = 1000 * (okAfter.sum - okMid.sum) / max(okAfter.count-okMid.count, 1)
	bound, n := quantileBound(before, after, .99)
	o.ServerRefusalP99Ms, o.ServerRefusals = 1000*bound, int(n)
	o.Unloaded.Samples, o.Overloaded.Samples = nil, nil
	base, over := rpcNamed(o.Unloaded.RPCs, "Identify"), rpcNamed(o.Overloaded.RPCs, "Identify")
	if base.OK == 0 {
		return nil, errors.New("overload: no identification succeeded unloaded")
	}
	o.UnloadedP99Ms, o.AdmittedP99Ms, o.RefusalP99Ms, o.RefusalP50Ms = base.P99Ms, over.AttemptP99Ms, over.RefusalP99Ms, over.RefusalP50Ms
	if n := over.OK + over.Refused + over.UnexpectedErr; n > 0 {
		o.RefusedShare = float64(over.Refused) / float64(n)
	}

	// Clients that give up: each abandons its search at a quarter of the
	// probe's unloaded median, long before it could finish. Tenprint
	// images first, then a template alone (the search without extraction).
	for _, ck := range []string{"identify", "template"} {
		median := base.P50Ms
		if ck != kind {
			t, err := phase(workload{clients: make([]*loadClient, 1), mix: []mixEntry{{ck, 1}}, duration: min(d, 5*time.Second), retry: true, seed: seed + 3}, time.Second, nil)
			if err != nil {
				return nil, err
			}
			median = rpcNamed(t.RPCs, "Identify").P50Ms
		}
		c, err := cancelCheck(ctx, srv, phase, ck, median, 2*limit, min(d, 5*time.Second), seed+2)
		if err != nil {
			return nil, err
		}
		o.Cancel = append(o.Cancel, c)
	}
	return o, nil
}

// cancelCheck runs clients that abandon each search of kind after a
// quarter of its unloaded median, then measures how long the server keeps
// running searches after the last of them gave up, and whether a fresh
// search is admitted then.
func cancelCheck(ctx context.Context, srv *serverProcess, phase phaseFunc, kind string, medianMs float64, clients int, d time.Duration, seed uint64) (cancelResult, error) {
	cancelAfter := max(time.Duration(medianMs*float64(time.Millisecond))/4, 2*time.Millisecond)
	fmt.Fprintf(os.Stderr, "overload: %d clients giving up each %s search after %v\n", clients, kind, cancelAfter)
	c := cancelResult{Probe: kind, SearchMs: medianMs, Clients: clients, CancelAfterMs: ms(cancelAfter)}
	cp, err := phase(workload{clients: make([]*loadClient, clients), mix: []mixEntry{{kind, 1}}, duration: d,
		cancelAfter: cancelAfter, retry: true, seed: seed}, time.Second, nil)
	if err != nil {
		return c, err
	}
	gaveUp := time.Now()
	if s := rpcNamed(cp.RPCs, "Identify"); s.RPC != "" {
		c.Cancelled, c.Completed = s.Cancelled, s.OK
	}
	for time.Since(gaveUp) < drainWait {
		s, err := srv.scrape(ctx)
		if err != nil {
			return c, err
		}
		if s.Searches == 0 {
			c.Drained = true
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	c.DrainMs = ms(time.Since(gaveUp))
	conn, err := srv.dial()
	if err != nil {
		return c, err
	}
	defer conn.Close()
	probe, err := randomProbe(seed)
	if err != nil {
		return c, err
	}
	_, err = whorlv1.NewSearchServiceClient(conn).Identify(ctx, probe)
	c.AdmittedAfter = status.Code(err) != codes.ResourceExhausted
	if err != nil && c.AdmittedAfter {
		return c, fmt.Errorf("overload: identification after the abandoned ones: %w", err)
	}
	return c, nil
}

// randomProbe is a one-finger identification with a synthetic template of
// unknown position: cheap to send, no extraction, compared with every
// finger of the gallery.
func randomProbe(seed uint64) (*whorlv1.IdentifyRequest, error) {
	r := rand.New(rand.NewPCG(seed, 99))
	t := minutiae.Template{Width: 400, Height: 400, Impression: minutiae.LivePlain}
	for range 40 {
		t.Minutiae = append(t.Minutiae, minutiae.Minutia{X: float32(20 + r.IntN(360)), Y: float32(20 + r.IntN(360)),
			Direction: float32(r.Float64() * 6.28), Kind: minutiae.Kind(1 + r.IntN(2)), Quality: 60})
	}
	p, err := t.ToProto()
	if err != nil {
		return nil, err
	}
	return &whorlv1.IdentifyRequest{Fingers: []*whorlv1.Finger{{Source: &whorlv1.Finger_Template{Template: p}}}}, nil
}

func rpcNamed(ss []rpcStats, name string) rpcStats {
	for _, s := range ss {
		if s.RPC == name {
			return s
		}
	}
	return rpcStats{}
}

// fillGallery enrols ceil(n/10) synthetic ten-finger subjects (positions
// 1-10) through Enroll with templates, from several concurrent clients, as
// a migration from another system's templates does.
func fillGallery(ctx context.Context, srv *serverProcess, model *distractorModel, seed uint64, n, clients int) (fillResult, error) {
	subjects := (n + distractorFingers - 1) / distractorFingers
	res := fillResult{Subjects: subjects, Fingers: n, Clients: clients}
	progress := newProgress("gallery fill (Enroll)", n)
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		conn, err := srv.dial()
		if err != nil {
			return res, err
		}
		defer conn.Close()
		gc := whorlv1.NewGalleryServiceClient(conn)
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= subjects {
					return
				}
				req := &whorlv1.EnrollRequest{SubjectId: fmt.Sprintf("synthetic-%d", k)}
				for _, t := range syntheticSubject(model, seed, k, n) {
					tp, err := t.ToProto()
					if err == nil {
						req.Fingers = append(req.Fingers, &whorlv1.Finger{Position: whorlv1.FingerPosition(t.Position), Source: &whorlv1.Finger_Template{Template: tp}})
					}
				}
				req.RequestId = req.SubjectId
				err := enrollRetrying(ctx, gc, req)
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, fmt.Errorf("gallery fill: enrolling %s: %w", req.SubjectId, err))
					mu.Unlock()
					return
				}
				progress.add(len(req.Fingers))
			}
		})
	}
	wg.Wait()
	progress.done()
	if firstErr != nil {
		return res, firstErr
	}
	res.Seconds = time.Since(start).Seconds()
	res.FingersPerSecond = float64(n) / max(res.Seconds, 1e-9)
	var err error
	res.PeakRSSBytes, err = srv.peakRSS()
	return res, err
}

// enrollRetrying enrols, retrying ResourceExhausted refusals.
func enrollRetrying(ctx context.Context, gc whorlv1.GalleryServiceClient, req *whorlv1.EnrollRequest) error {
	for backoff := 5 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
		_, err := gc.Enroll(ctx, req)
		if status.Code(err) != codes.ResourceExhausted {
			return err
		}
		sleepCtx(ctx, backoff)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// enrolMates enrols each set's mated subject: impression 1 of its ten
// fingers, as images.
func enrolMates(ctx context.Context, srv *serverProcess, rp *realPrints) error {
	conn, err := srv.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	gc := whorlv1.NewGalleryServiceClient(conn)
	for _, set := range rp.sets {
		req := &whorlv1.EnrollRequest{SubjectId: mateID(set), RequestId: mateID(set)}
		for p := range fingers {
			req.Fingers = append(req.Fingers, rp.finger(printKey{set, firstFinger + p, 1}, 1+p))
		}
		if err := enrollRetrying(ctx, gc, req); err != nil {
			return fmt.Errorf("enrolling the mated subject of %s: %w", set, err)
		}
	}
	return nil
}

// goroutines prints a goroutine count, -1 meaning the server exports none.
func goroutines(n int) string {
	if n < 0 {
		return "n/a"
	}
	return fmt.Sprint(n)
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func printPhase(w io.Writer, title string, p phaseResult) {
	fmt.Fprintf(w, "%s (%.1f s, %d clients)\n", title, p.Seconds, p.Clients)
	fmt.Fprintf(w, "%-9s %7s %8s %9s %9s %9s %9s %10s %8s %8s %s\n", "rpc", "ok", "per s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "try p99", "refused", "hits", "errors")
	for _, s := range p.RPCs {
		errs := "none"
		if len(s.Errors) > 0 {
			errs = fmt.Sprint(s.Errors)
		}
		fmt.Fprintf(w, "%-9s %7d %8.2f %9.1f %9.1f %9.1f %9.1f %10.1f %8d %8d %s\n", s.RPC, s.OK, s.PerSecond, s.P50Ms, s.P90Ms, s.P99Ms, s.P999Ms, s.AttemptP99Ms, s.Refused, s.Hits, errs)
	}
	peak := "since start"
	if p.PeakReset {
		peak = "this phase"
	}
	fmt.Fprintf(w, "server peak RSS %s (VmHWM, %s); largest sample %s; unexpected errors %d\n", mib(p.PeakRSSBytes), peak, mib(p.SampledMaxRSSBytes), p.UnexpectedErrors)
}

func printOverload(w io.Writer, o *overloadResult) {
	printPhase(w, fmt.Sprintf("overload: unloaded %s baseline", o.Probe), o.Unloaded)
	printPhase(w, fmt.Sprintf("overload: %s at 10× the admission limit of %d", o.Probe, o.AdmissionLimit), o.Overloaded)
	fmt.Fprintf(w, "refused (ResourceExhausted): %.1f%% of requests; refusal latency at the client p50 %.1f ms, p99 %.1f ms; %d refused by the transport's tap before the request was read, %d in the handler (p99 ≤ %g ms)\n",
		100*o.RefusedShare, o.RefusalP50Ms, o.RefusalP99Ms, o.ShedRefusals, o.ServerRefusals, o.ServerRefusalP99Ms)
	fmt.Fprintf(w, "admitted p99 %.1f ms against unloaded p99 %.1f ms (%.2f×)\n", o.AdmittedP99Ms, o.UnloadedP99Ms, o.AdmittedP99Ms/max(o.UnloadedP99Ms, 1e-9))
	fmt.Fprintf(w, "in the server, an admitted identification took %.1f ms on average against %.1f ms unloaded\n", o.ServerAdmittedMeanMs, o.ServerUnloadedMeanMs)
	fmt.Fprintf(w, "peak RSS %s overloaded against %s unloaded\n", mib(o.Overloaded.PeakRSSBytes), mib(o.Unloaded.PeakRSSBytes))
	for _, c := range o.Cancel {
		fmt.Fprintf(w, "%d clients giving up each %s search (unloaded median %.0f ms) after %.0f ms: %d abandoned, %d completed; server searches back to 0 %.0f ms after the last (drained %v); next identification admitted: %v\n",
			c.Clients, c.Probe, c.SearchMs, c.CancelAfterMs, c.Cancelled, c.Completed, c.DrainMs, c.Drained, c.AdmittedAfter)
	}
}

// runPhase runs workload w from n clients, each on its own connection
// with ids from firstID (a client names its enrolments after its id, so
// phases against one server need ids of their own), at most maxRequests
// requests in all, sampling the server every every; it returns the
// phase's summary and its raw records by RPC.
func runPhase(ctx context.Context, srv *serverProcess, rp *realPrints, w workload, n, firstID, probeFingers int,
	maxRequests int64, every time.Duration, onSample func(serverSample)) (phaseResult, map[string]*rpcRecord, error) {
	var conns []*grpc.ClientConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	w.clients = nil
	for k := range n {
		conn, err := srv.dial()
		if err != nil {
			return phaseResult{}, nil, err
		}
		conns = append(conns, conn)
		w.clients = append(w.clients, newLoadClient(firstID+k, conn, rp, probeFingers))
	}
	var budget atomic.Int64
	budget.Store(maxRequests)
	w.budget = &budget
	reset := srv.resetPeakRSS()
	smp := startSampler(srv, every, onSample)
	recs, elapsed := w.run(ctx)
	samples := smp.finish()
	peak, err := srv.peakRSS()
	if err != nil {
		return phaseResult{}, nil, err
	}
	pr := phaseResult{Clients: n, Seconds: elapsed.Seconds(), RPCs: summariseRPCs(recs, elapsed),
		PeakRSSBytes: peak, PeakReset: reset, SampledMaxRSSBytes: maxRSS(samples), Samples: samples}
	for _, s := range pr.RPCs {
		pr.UnexpectedErrors += s.UnexpectedErr
	}
	return pr, recs, nil
}
