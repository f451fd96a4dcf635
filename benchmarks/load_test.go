package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// fvcRoot is where the load suite's real prints are; its tests skip
// without them.
const fvcRoot = "/work/shared/data/fvc2002"

func needFVC(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(fvcRoot, "DB1_B")); err != nil {
		t.Skipf("the load suite needs the FVC2002 prints in %s: %v", fvcRoot, err)
	}
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
}

// runLoadJSON runs the load suite with args and returns its JSON report.
func runLoadJSON(t *testing.T, args ...string) loadResult {
	t.Helper()
	out := filepath.Join(t.TempDir(), "load.json")
	require.NoError(t, runLoad(append(args, "--fvc", fvcRoot, "--sets", "DB1_B", "--probe-fingers", "2", "--json", out)))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	var res loadResult
	require.NoError(t, json.Unmarshal(data, &res))
	return res
}

// TestLoadSuite runs the mix small against a real served process: every
// kind of request succeeds at least once, nothing fails that the mix did
// not ask for, and the mated searches find their mates.
func TestLoadSuite(t *testing.T) {
	needFVC(t)
	res := runLoadJSON(t, "--gallery", "200", "--clients", "4", "--duration", "3s")
	assert.Equal(t, "load", res.Mode)
	assert.Equal(t, 20, res.Fill.Subjects)
	assert.Equal(t, 200, res.Fill.Fingers)
	assert.Positive(t, res.Fill.FingersPerSecond)
	require.NotNil(t, res.Run)
	assert.Zero(t, res.Run.UnexpectedErrors)
	assert.Positive(t, res.Run.PeakRSSBytes)
	assert.Positive(t, res.Run.SampledMaxRSSBytes)
	byRPC := map[string]rpcStats{}
	for _, s := range res.Run.RPCs {
		byRPC[s.RPC] = s
	}
	for _, rpc := range []string{"Enroll", "Identify", "Verify", "SearchLatent"} {
		s, ok := byRPC[rpc]
		if !assert.True(t, ok, "no %s in the report", rpc) {
			continue
		}
		assert.Positive(t, s.OK, rpc)
		assert.Positive(t, s.PerSecond, rpc)
		assert.Empty(t, s.Errors, rpc)
		assert.LessOrEqual(t, s.P50Ms, s.P90Ms, rpc)
		assert.LessOrEqual(t, s.P90Ms, s.P99Ms, rpc)
		assert.LessOrEqual(t, s.P99Ms, s.P999Ms, rpc)
		assert.Positive(t, s.P50Ms, rpc)
	}
	// Every enrolment answers; most mated verifications match (FVC
	// impressions of one finger, two fingers per identification).
	assert.Equal(t, byRPC["Enroll"].OK, byRPC["Enroll"].Hits)
	assert.Positive(t, byRPC["Verify"].Hits)
	assert.Positive(t, byRPC["Identify"].Hits)
}

// TestLoadOverload runs ten times the admission limit of identification
// clients: some are refused with ResourceExhausted, the admitted ones
// succeed, and searches that clients abandon end on the server.
func TestLoadOverload(t *testing.T) {
	needFVC(t)
	res := runLoadJSON(t, "--gallery", "100", "--duration", "2s", "--max-searches", "1", "--overload")
	require.NotNil(t, res.Overload)
	o := res.Overload
	assert.Equal(t, 1, o.AdmissionLimit)
	assert.Equal(t, 1, o.Unloaded.Clients)
	assert.Equal(t, 10, o.Overloaded.Clients)
	over := rpcNamed(o.Overloaded.RPCs, "Identify")
	assert.Positive(t, over.Refused, "no ResourceExhausted at 10× the limit")
	assert.Positive(t, over.OK, "no admitted identification succeeded")
	assert.Empty(t, over.Errors)
	assert.Zero(t, o.Unloaded.UnexpectedErrors)
	assert.Greater(t, o.RefusedShare, 0.0)
	assert.Less(t, o.RefusedShare, 1.0)
	// Most refusals come from the transport's tap; those of a search that
	// passed it as a slot was freeing come from the handler. Together they
	// are every refusal the clients saw.
	assert.Positive(t, o.ShedRefusals)
	assert.Equal(t, over.Refused, o.ShedRefusals+o.ServerRefusals)
	require.Len(t, o.Cancel, 2)
	for _, c := range o.Cancel {
		assert.Positive(t, c.Cancelled+c.Completed, c.Probe)
		assert.True(t, c.Drained, "%s: the server still ran searches %v after their clients left", c.Probe, drainWait)
		assert.True(t, c.AdmittedAfter, c.Probe)
	}
	// A tenprint of images takes longer than a quarter of its median to
	// extract and search: those are abandoned mid-way.
	assert.Equal(t, "identify", o.Cancel[0].Probe)
	assert.Positive(t, o.Cancel[0].Cancelled, "no search was abandoned")
}

func TestParseMix(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []mixEntry
		err  string
	}{
		{in: "enroll=1,identify=4,verify=2", want: []mixEntry{{"enroll", 1}, {"identify", 4}, {"verify", 2}}},
		{in: " identify=3 , verify=0", want: []mixEntry{{"identify", 3}}},
		{in: "identify", err: "not kind=weight"},
		{in: "identify=x", err: "not an integer"},
		{in: "identify=-1", err: "not an integer"},
		{in: "identify=1,identify=2", err: "given twice"},
		{in: "latent=1", want: []mixEntry{{"latent", 1}}},
		{in: "search=1", err: "unknown kind"},
		{in: "verify=0", err: "no kind with a positive weight"},
		{in: "", err: "not kind=weight"},
	} {
		got, err := parseMix(tc.in)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, "%q", tc.in)
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}

func TestParseProcStatus(t *testing.T) {
	st, err := parseProcStatus([]byte("Name:\twhorl\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t9\n"))
	require.NoError(t, err)
	assert.Equal(t, map[string]uint64{"VmHWM": 2 << 20, "VmRSS": 1 << 20, "Threads": 9}, st)
	for _, bad := range []string{
		"VmHWM: 1 kB\nVmRSS: 1 kB\n",               // no Threads
		"VmHWM: 1 MB\nVmRSS: 1 kB\nThreads: 1\n",   // unit
		"VmHWM: x kB\nVmRSS: 1 kB\nThreads: 1\n",   // number
		"VmHWM: 1 kB\nVmRSS: 1 kB\nThreads: 1 2\n", // fields
	} {
		_, err := parseProcStatus([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
	// This process's own status parses.
	data, err := os.ReadFile("/proc/self/status")
	if err == nil {
		st, err := parseProcStatus(data)
		require.NoError(t, err)
		assert.Positive(t, st["VmRSS"])
	}
}

const sampleMetrics = `# HELP whorl_searches_running Searches running now.
# TYPE whorl_searches_running gauge
whorl_searches_running 2
go_goroutines 31
whorl_rpc_seconds_bucket{code="ResourceExhausted",method="/whorl.v1.SearchService/Identify",le="0.001"} 90
whorl_rpc_seconds_bucket{code="ResourceExhausted",method="/whorl.v1.SearchService/Identify",le="0.002"} 99
whorl_rpc_seconds_bucket{code="ResourceExhausted",method="/whorl.v1.SearchService/Identify",le="0.004"} 100
whorl_rpc_seconds_bucket{code="ResourceExhausted",method="/whorl.v1.SearchService/Identify",le="+Inf"} 100
whorl_rpc_seconds_sum{code="ResourceExhausted",method="/whorl.v1.SearchService/Identify"} 0.08
whorl_rpc_seconds_count{code="ResourceExhausted",method="/whorl.v1.SearchService/Identify"} 100
whorl_rpc_seconds_bucket{code="OK",method="/whorl.v1.SearchService/Identify",le="0.001"} 0
whorl_rpc_seconds_count{code="OK",method="/whorl.v1.SearchService/Identify"} 7
`

func TestParseGauges(t *testing.T) {
	g, err := parseGauges([]byte(sampleMetrics), "whorl_searches_running", "go_goroutines")
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"whorl_searches_running": 2, "go_goroutines": 31}, g)
	_, err = parseGauges([]byte(sampleMetrics), "process_resident_memory_bytes")
	assert.ErrorContains(t, err, "missing")
	_, err = parseGauges([]byte("go_goroutines NaN\n"), "go_goroutines")
	assert.ErrorContains(t, err, "not a count")
}

func TestQuantileBound(t *testing.T) {
	match := map[string]string{"method": "/whorl.v1.SearchService/Identify", "code": "ResourceExhausted"}
	after, err := parseHistogram([]byte(sampleMetrics), "whorl_rpc_seconds", match)
	require.NoError(t, err)
	assert.Equal(t, 100.0, after.count)
	for _, tc := range []struct {
		q, want float64
	}{{.5, .001}, {.9, .001}, {.99, .002}, {1, .004}} {
		b, n := quantileBound(histogram{}, after, tc.q)
		assert.Equal(t, tc.want, b, "q %g", tc.q)
		assert.Equal(t, 100.0, n)
	}
	// Only what happened between two readings counts: 10 more, all slow.
	later := histogram{le: after.le, counts: []float64{90, 99, 100, 110}, count: 110}
	b, n := quantileBound(after, later, .5)
	assert.True(t, math.IsInf(b, 1))
	assert.Equal(t, 10.0, n)
	_, err = parseHistogram([]byte(sampleMetrics), "whorl_rpc_seconds", map[string]string{"code": "Internal"})
	assert.ErrorContains(t, err, "no series")
}

func FuzzParseMix(f *testing.F) {
	for _, s := range []string{"enroll=1,identify=4,verify=2", "latent=1", "a=b=c", ",,", "identify=999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mix, err := parseMix(s)
		if err != nil {
			return
		}
		for _, e := range mix {
			if _, ok := loadOps[e.name]; !ok || e.weight <= 0 {
				t.Fatalf("%q gave %v", s, mix)
			}
		}
	})
}

func FuzzParseProcStatus(f *testing.F) {
	f.Add([]byte("VmHWM:\t2048 kB\nVmRSS:\t1024 kB\nThreads:\t9\n"))
	f.Add([]byte("VmHWM: 99999999999999999999 kB\n"))
	f.Add([]byte("Threads:"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseProcStatus(data)
		if err == nil && len(st) != 3 {
			t.Fatalf("%q gave %v", data, st)
		}
	})
}

func FuzzParseMetrics(f *testing.F) {
	f.Add([]byte(sampleMetrics))
	f.Add([]byte(`whorl_rpc_seconds_bucket{code="ResourceExhausted",le="x"} 1`))
	f.Add([]byte(`whorl_rpc_seconds_count{code="ResourceExhausted} 1`))
	f.Add([]byte("whorl_searches_running -1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if g, err := parseGauges(data, "whorl_searches_running"); err == nil && !(g["whorl_searches_running"] >= 0) {
			t.Fatalf("negative gauge from %q", data)
		}
		h, err := parseHistogram(data, "whorl_rpc_seconds", map[string]string{"code": "ResourceExhausted"})
		if err == nil && len(h.le) != len(h.counts) {
			t.Fatalf("bounds and counts differ from %q", data)
		}
		if !strings.Contains(string(data), "{") && err == nil && len(h.le) > 0 {
			t.Fatalf("buckets without labels from %q", data)
		}
	})
}

// TestRetryDelayFollowsRetryInfo: a refusal that says when to come back is
// retried then, within the jitter; one that does not backs off.
func TestRetryDelayFollowsRetryInfo(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	st, err := status.New(codes.ResourceExhausted, "busy").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(400 * time.Millisecond)})
	require.NoError(t, err)
	backoff := 5 * time.Millisecond
	for range 100 {
		d := retryDelay(st.Err(), &backoff, r)
		assert.True(t, d >= 320*time.Millisecond && d <= 400*time.Millisecond, "%v", d)
	}
	assert.Equal(t, 5*time.Millisecond, backoff, "the hint leaves the backoff alone")
	plain := status.Error(codes.ResourceExhausted, "busy")
	for _, want := range []time.Duration{5, 10, 20} {
		d := retryDelay(plain, &backoff, r)
		assert.True(t, d >= want*time.Millisecond/2 && d < want*time.Millisecond*3/2, "%v around %v ms", d, want)
	}
	assert.Equal(t, 40*time.Millisecond, backoff)
}
