package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// loadCurveConfig is the report's load run: one served process with one
// gallery, driven by the mix at each client count in turn.
type loadCurveConfig struct {
	fvc          string   // folder of the FVC2002 sets
	sets         []string // set names in it: one mated subject each
	gallery      int
	clients      []int
	duration     time.Duration
	mix          string
	maxSearches  int
	probeFingers int
	fillClients  int
	seed         uint64
}

// loadPoint is one client count's phase.
type loadPoint struct {
	phaseResult
	// latencies are each RPC's successful requests' latencies in ms, for
	// the histograms; not in the JSON.
	latencies map[string][]float64
}

// loadCurve is what measureLoadCurve measured.
type loadCurve struct {
	Gallery      int         `json:"gallery_fingers"`
	Mix          string      `json:"mix"`
	MaxSearches  int         `json:"max_searches"`
	ProbeFingers int         `json:"probe_fingers"`
	Sets         []string    `json:"sets"`
	Fill         fillResult  `json:"fill"`
	Points       []loadPoint `json:"points"`
}

// measureLoadCurve builds and starts `whorl serve` as the load suite does,
// fills its gallery once, enrols the sets' mated subjects, then runs the
// mix for the duration at each client count, each phase with fresh
// connections. It uses the load suite's parts (server, fill, workload) so
// that its figures are the load suite's at each count.
func measureLoadCurve(ctx context.Context, cfg loadCurveConfig) (*loadCurve, error) {
	mix, err := parseMix(cfg.mix)
	if err != nil {
		return nil, err
	}
	rp, err := loadRealPrints(cfg.fvc, cfg.sets)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "whorl-report-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintln(os.Stderr, "report: building the whorl command")
	bin, err := buildServer(tmp)
	if err != nil {
		return nil, err
	}
	srv, err := startServer(bin, filepath.Join(tmp, "data"), cfg.maxSearches)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := srv.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "report: stopping the server:", err)
		}
	}()
	res := &loadCurve{Gallery: cfg.gallery, Mix: cfg.mix, MaxSearches: cfg.maxSearches, ProbeFingers: cfg.probeFingers, Sets: cfg.sets}
	if res.Fill, err = fillGallery(ctx, srv, fitDistractorModel(rp.templates), cfg.seed, cfg.gallery, cfg.fillClients); err != nil {
		return nil, err
	}
	if err := enrolMates(ctx, srv, rp); err != nil {
		return nil, err
	}
	firstID := 0
	for _, n := range cfg.clients {
		fmt.Fprintf(os.Stderr, "report: load with %d clients for %v\n", n, cfg.duration)
		p, err := loadPhase(ctx, srv, rp, cfg, mix, n, firstID)
		firstID += n
		if err != nil {
			return nil, fmt.Errorf("load with %d clients: %w", n, err)
		}
		res.Points = append(res.Points, p)
	}
	return res, nil
}

// loadPhase runs the mix from n clients, each with its own connection.
// Client ids start at firstID: a client's enrolments are named after its
// id, so each phase's clients need ids of their own, or their enrolments
// would collide with an earlier phase's (AlreadyExists).
func loadPhase(ctx context.Context, srv *serverProcess, rp *realPrints, cfg loadCurveConfig, mix []mixEntry, n, firstID int) (loadPoint, error) {
	w := workload{mix: mix, duration: cfg.duration, retry: true, seed: cfg.seed}
	pr, recs, err := runPhase(ctx, srv, rp, w, n, firstID, cfg.probeFingers, 1_000_000, 500*time.Millisecond, nil)
	if err != nil {
		return loadPoint{}, err
	}
	pr.Samples = nil // the report plots latencies, not the samples
	p := loadPoint{phaseResult: pr, latencies: map[string][]float64{}}
	for name, r := range recs {
		l := make([]float64, len(r.latency))
		for i, d := range r.latency {
			l[i] = float64(d.Nanoseconds()) / 1e6
		}
		slices.Sort(l)
		p.latencies[name] = l
	}
	return p, nil
}
