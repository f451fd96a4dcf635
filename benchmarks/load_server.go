package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/whorlafis/whorl/pki"
)

// The load suite drives `whorl serve` as a process of its own, as a
// deployment runs it: built from this module, TLS with the admin client
// certificate that serve creates in its data directory, on loopback only.
// The harness never links the server package, so what it measures includes
// the wire, TLS and the process's own memory.

// serverProcess is a running `whorl serve`.
type serverProcess struct {
	cmd     *exec.Cmd
	data    string // the data directory
	addr    string // gRPC address
	metrics string // http://host:port/metrics
	logPath string // the server's stderr (JSON logs)
	exited  chan error
}

var (
	servingLine = regexp.MustCompile(`serving on (\S+)`)
	metricsLine = regexp.MustCompile(`metrics on (http://\S+)`)
)

// buildServer builds the whorl command into dir and returns its path.
func buildServer(dir string) (string, error) {
	bin := filepath.Join(dir, "whorl")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/whorlafis/whorl/cmd/whorl")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the whorl command: %v\n%s", err, out.String())
	}
	return bin, nil
}

// startServer runs `whorl serve` on loopback ports of the system's choosing
// with data in dataDir, and waits until it serves both gRPC and /metrics.
func startServer(bin, dataDir string, maxSearches int, extra ...string) (*serverProcess, error) {
	logPath := filepath.Join(filepath.Dir(dataDir), "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"serve", "--data", dataDir, "--listen", "127.0.0.1:0",
		"--metrics", "127.0.0.1:0", "--max-searches", strconv.Itoa(maxSearches)}, extra...)...)
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s serve: %w", bin, err)
	}
	p := &serverProcess{cmd: cmd, data: dataDir, logPath: logPath, exited: make(chan error, 1)}
	lines := bufio.NewScanner(out)
	deadline := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	for (p.addr == "" || p.metrics == "") && lines.Scan() {
		if m := servingLine.FindStringSubmatch(lines.Text()); m != nil {
			p.addr = m[1]
		}
		if m := metricsLine.FindStringSubmatch(lines.Text()); m != nil {
			p.metrics = m[1]
		}
	}
	deadline.Stop()
	go func() {
		for lines.Scan() {
		}
		p.exited <- cmd.Wait()
		logFile.Close()
	}()
	if p.addr == "" || p.metrics == "" {
		<-p.exited
		return nil, fmt.Errorf("whorl serve ended without serving (its log: %s)", logPath)
	}
	return p, nil
}

// dial opens a TLS connection as the administrator (who may enrol and
// search) to the server.
func (p *serverProcess) dial() (*grpc.ClientConn, error) {
	cfg, err := pki.ClientTLS(filepath.Join(p.data, "tls"), pki.AdminFile, pki.AdminKeyFile)
	if err != nil {
		return nil, err
	}
	cfg.ServerName = "127.0.0.1"
	return grpc.NewClient(p.addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
}

// stop ends the server with SIGTERM (in-flight requests finish, the store
// closes) and kills it if it takes longer than a minute.
func (p *serverProcess) stop() error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		return err
	case <-time.After(time.Minute):
		p.cmd.Process.Kill()
		<-p.exited
		return errors.New("whorl serve did not stop within a minute of SIGTERM: killed")
	}
}

// peakRSS returns the process's peak resident set (VmHWM) in bytes.
func (p *serverProcess) peakRSS() (uint64, error) {
	st, err := p.procStatus()
	if err != nil {
		return 0, err
	}
	return st["VmHWM"], nil
}

func (p *serverProcess) procStatus() (map[string]uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return nil, err
	}
	return parseProcStatus(data)
}

// resetPeakRSS starts a new VmHWM period (Linux: writing 5 to clear_refs),
// so that a phase's peak is its own. It reports whether that worked.
func (p *serverProcess) resetPeakRSS() bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0) == nil
}

// parseProcStatus reads the lines of a /proc/PID/status file the suite
// follows: VmHWM and VmRSS (in bytes) and Threads. All three must be there.
func parseProcStatus(status []byte) (map[string]uint64, error) {
	got := map[string]uint64{}
	for line := range strings.Lines(string(status)) {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || (name != "VmHWM" && name != "VmRSS" && name != "Threads") {
			continue
		}
		f := strings.Fields(rest)
		unit := ""
		if name != "Threads" {
			unit = "kB"
		}
		fields := 1
		if unit != "" {
			fields = 2
		}
		if len(f) != fields || (unit != "" && f[1] != unit) {
			return nil, fmt.Errorf("/proc status: %s line %q: want <n>%s", name, strings.TrimSpace(line), " "+unit)
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil || n > 1<<44 {
			return nil, fmt.Errorf("/proc status: %s %q: not a count", name, f[0])
		}
		if unit == "kB" {
			n <<= 10
		}
		got[name] = n
	}
	for _, name := range []string{"VmHWM", "VmRSS", "Threads"} {
		if _, ok := got[name]; !ok {
			return nil, fmt.Errorf("/proc status: no %s line", name)
		}
	}
	return got, nil
}

// serverSample is one reading of the server's state: resident memory and
// threads from /proc, open file descriptors (connections among them), and
// from /metrics the running searches and, when the server exports Go's
// runtime metrics, its goroutines (-1 when it does not).
type serverSample struct {
	Seconds    float64 `json:"seconds"` // since the phase began
	RSSBytes   uint64  `json:"rss_bytes"`
	Threads    int     `json:"threads"`
	FDs        int     `json:"fds"`
	Goroutines int     `json:"goroutines"`
	Searches   int     `json:"searches_running"`
}

// scrape reads the server's state.
func (p *serverProcess) scrape(ctx context.Context) (serverSample, error) {
	st, err := p.procStatus()
	if err != nil {
		return serverSample{}, err
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.cmd.Process.Pid))
	if err != nil {
		return serverSample{}, err
	}
	body, err := p.metricsText(ctx)
	if err != nil {
		return serverSample{}, err
	}
	g, err := parseGauges(body, "whorl_searches_running")
	if err != nil {
		return serverSample{}, fmt.Errorf("%s: %w", p.metrics, err)
	}
	s := serverSample{RSSBytes: st["VmRSS"], Threads: int(st["Threads"]), FDs: len(fds), Goroutines: -1, Searches: int(g["whorl_searches_running"])}
	if g, err := parseGauges(body, "go_goroutines"); err == nil {
		s.Goroutines = int(g["go_goroutines"])
	}
	return s, nil
}

// metric reads one unlabelled metric of the server's.
func (p *serverProcess) metric(ctx context.Context, name string) (float64, error) {
	body, err := p.metricsText(ctx)
	if err != nil {
		return 0, err
	}
	g, err := parseGauges(body, name)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p.metrics, err)
	}
	return g[name], nil
}

// metricsText fetches the server's /metrics.
func (p *serverProcess) metricsText(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.metrics, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", p.metrics, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 16<<20))
}

// parseGauges reads the values of unlabelled metrics from the Prometheus
// text format; every name asked for must be present, with a finite,
// non-negative value.
func parseGauges(text []byte, names ...string) (map[string]float64, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	got := map[string]float64{}
	for line := range strings.Lines(string(text)) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 || !want[f[0]] {
			continue // labelled series and other metrics
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil || !(v >= 0 && v <= 1e18) {
			return nil, fmt.Errorf("metric %s: value %q is not a count", f[0], f[1])
		}
		got[f[0]] = v
	}
	for _, n := range names {
		if _, ok := got[n]; !ok {
			return nil, fmt.Errorf("metric %s missing", n)
		}
	}
	return got, nil
}

// sampler scrapes the server every interval until stopped, keeping the
// samples.
type sampler struct {
	samples []serverSample
	errs    int
	stop    chan struct{}
	done    chan struct{}
}

func startSampler(p *serverProcess, every time.Duration, onSample func(serverSample)) *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	start := time.Now()
	go func() {
		defer close(s.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		take := func() {
			v, err := p.scrape(context.Background())
			if err != nil {
				s.errs++
				return
			}
			v.Seconds = time.Since(start).Seconds()
			s.samples = append(s.samples, v)
			if onSample != nil {
				onSample(v)
			}
		}
		for {
			take()
			select {
			case <-s.stop:
				take() // the end of the phase is a sample too
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// finish stops the sampler and returns its samples.
func (s *sampler) finish() []serverSample {
	close(s.stop)
	<-s.done
	return s.samples
}

// maxRSS is the largest resident set among samples.
func maxRSS(ss []serverSample) uint64 {
	var m uint64
	for _, s := range ss {
		m = max(m, s.RSSBytes)
	}
	return m
}

// histogram is one labelled series of a Prometheus histogram: cumulative
// bucket counts by upper bound, ascending.
type histogram struct {
	le     []float64
	counts []float64
	count  float64
	sum    float64 // seconds
}

// parseHistogram reads the series of histogram name whose labels include
// every label of match, from the Prometheus text format.
func parseHistogram(text []byte, name string, match map[string]string) (histogram, error) {
	var h histogram
	found := false
	for line := range strings.Lines(string(text)) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, name+"_") {
			continue
		}
		open, close := strings.IndexByte(line, '{'), strings.LastIndexByte(line, '}')
		if open < 0 || close < open {
			continue
		}
		series := line[:open]
		labels, ok := parseLabels(line[open+1 : close])
		if !ok {
			return h, fmt.Errorf("metric %s: bad labels in %q", name, line)
		}
		matches := true
		for k, v := range match {
			matches = matches && labels[k] == v
		}
		if !matches {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[close+1:]), 64)
		if err != nil || !(v >= 0 && v <= 1e18) {
			return h, fmt.Errorf("metric %s: value in %q is not a count", name, line)
		}
		switch series {
		case name + "_bucket":
			le, err := strconv.ParseFloat(labels["le"], 64)
			if err != nil {
				return h, fmt.Errorf("metric %s: bucket bound %q", name, labels["le"])
			}
			h.le, h.counts = append(h.le, le), append(h.counts, v)
			found = true
		case name + "_count":
			h.count = v
			found = true
		case name + "_sum":
			h.sum = v
		}
	}
	if !found {
		return h, fmt.Errorf("metric %s%v: no series", name, match)
	}
	return h, nil
}

// parseLabels splits k="v",k="v" (no escaped quotes: the server's labels
// are method names and codes).
func parseLabels(s string) (map[string]string, bool) {
	out := map[string]string{}
	for s != "" {
		k, rest, ok := strings.Cut(s, `="`)
		if !ok {
			return nil, false
		}
		v, rest, ok := strings.Cut(rest, `"`)
		if !ok {
			return nil, false
		}
		out[strings.TrimSpace(k)] = v
		s = strings.TrimPrefix(strings.TrimSpace(rest), ",")
	}
	return out, true
}

// quantileBound returns the upper bound of the bucket holding quantile q
// of the observations made between before and after (the same series
// read twice), or +Inf when it lies beyond the last finite bucket, and the
// number of observations.
func quantileBound(before, after histogram, q float64) (float64, float64) {
	n := after.count - before.count
	if n <= 0 {
		return 0, 0
	}
	base := map[float64]float64{}
	for i, le := range before.le {
		base[le] = before.counts[i]
	}
	for i, le := range after.le {
		if after.counts[i]-base[le] >= q*n {
			return le, n
		}
	}
	return math.Inf(1), n
}

// rpcHistogram reads the server's latency histogram of one method and
// status code.
func (p *serverProcess) rpcHistogram(ctx context.Context, method, code string) (histogram, error) {
	body, err := p.metricsText(ctx)
	if err != nil {
		return histogram{}, err
	}
	h, err := parseHistogram(body, "whorl_rpc_seconds", map[string]string{"method": method, "code": code})
	if err != nil && strings.HasSuffix(err.Error(), "no series") {
		return histogram{}, nil // nothing observed yet
	}
	return h, err
}
