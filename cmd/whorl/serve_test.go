package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fvcDB1 = "../../../shared/data/fvc2002/DB1_B"

// addrWriter captures serve's stdout and hands over the address it reports.
type addrWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	addr chan string
}

var servingRE = regexp.MustCompile(`serving on (\S+)`)

func (w *addrWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := servingRE.FindSubmatch(w.buf.Bytes()); m != nil && w.addr != nil {
		w.addr <- string(m[1])
		w.addr = nil
	}
	return len(p), nil
}

// startServe runs serve on a loopback port with the data directory and
// returns its address and a function that shuts it down gracefully.
func startServe(t *testing.T, data string) (addr string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reported := make(chan string, 1)
	// Write clears w.addr under its lock; the test reads its own copy.
	w := &addrWriter{addr: reported}
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() {
		done <- serve(ctx, serveOptions{data: data, listen: "127.0.0.1:0", metrics: "127.0.0.1:0"}, log, w)
	}()
	select {
	case addr = <-reported:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not report its address")
	}
	return addr, func() {
		cancel()
		require.NoError(t, <-done)
	}
}

// TestServeEnrollIdentifyRestart is the walk-through: a fresh data
// directory, TLS credentials made by serve, ten subjects enrolled from
// DB1_B impression 1 with the CLI, identified with impression 2; then the
// server restarts and the gallery comes back from the store.
func TestServeEnrollIdentifyRestart(t *testing.T) {
	if _, err := os.Stat(fvcDB1); err != nil {
		t.Skipf("reference data absent (%s): skipping", fvcDB1)
	}
	data := filepath.Join(t.TempDir(), "whorl-data")
	addr, stop := startServe(t, data)
	for _, f := range []string{"tls/ca.pem", "tls/admin-key.pem", "store/datakey"} {
		st, err := os.Stat(filepath.Join(data, f))
		require.NoError(t, err, f)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), f)
	}
	cli := func(args ...string) (string, int) {
		var out, errOut bytes.Buffer
		code := run(append(args[:1:1], append([]string{"--server", addr, "--data", data}, args[1:]...)...), &out, &errOut)
		if code != 0 {
			t.Logf("whorl %v: %s", args, errOut.String())
		}
		return out.String(), code
	}
	for f := 101; f <= 110; f++ {
		_, code := cli("enroll", "--subject", fmt.Sprintf("person-%d", f), filepath.Join(fvcDB1, fmt.Sprintf("%d_1.tif", f)))
		require.Equal(t, 0, code)
	}
	identifyAll := func() int {
		right := 0
		for f := 101; f <= 110; f++ {
			out, code := cli("identify", "--json", "--top", "3", filepath.Join(fvcDB1, fmt.Sprintf("%d_2.tif", f)))
			require.Equal(t, 0, code)
			var res identifyOutput
			require.NoError(t, json.Unmarshal([]byte(out), &res), out)
			if len(res.Candidates) > 0 && res.Candidates[0].Subject == fmt.Sprintf("person-%d", f) {
				right++
			}
		}
		return right
	}
	assert.GreaterOrEqual(t, identifyAll(), 9, "rank-1 of 10")

	// The other client subcommands, as scripts use them.
	decode := func(out string) map[string]any {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &m), out)
		return m
	}
	out, code := cli("get", "--json", "person-101")
	require.Equal(t, 0, code)
	assert.Equal(t, "person-101", decode(out)["subject"])
	out, code = cli("list", "--json", "--page-size", "3")
	require.Equal(t, 0, code)
	page := decode(out)
	assert.Len(t, page["subjects"], 3)
	assert.NotEmpty(t, page["next_page_token"])
	out, code = cli("verify", "--json", "--subject", "person-103", filepath.Join(fvcDB1, "103_2.tif"))
	require.Equal(t, 0, code)
	assert.Equal(t, true, decode(out)["match"])
	out, code = cli("compare", "--json", filepath.Join(fvcDB1, "104_1.tif"), filepath.Join(fvcDB1, "104_2.tif"))
	require.Equal(t, 0, code)
	assert.NotEmpty(t, decode(out)["pairs"])
	out, code = cli("extract", "--json", filepath.Join(fvcDB1, "105_1.tif"))
	require.Equal(t, 0, code)
	assert.NotEmpty(t, decode(out)["minutiae"])
	// A folder: each file a subject named after it, twice (the second run
	// replays, enrolling nothing twice).
	folder := t.TempDir()
	// (DB3 fingers: no mate of the DB1 probes below.)
	for _, f := range []string{"106_3.tif", "107_3.tif"} {
		b, err := os.ReadFile(filepath.Join(fvcDB1, "..", "DB3_B", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(folder, "folder-"+f), b, 0o600))
	}
	for range 2 {
		out, code = cli("enroll", "--json", folder)
		require.Equal(t, 0, code)
		assert.Equal(t, 2.0, decode(out)["enrolled"])
	}
	_, code = cli("get", "folder-106_3")
	assert.Equal(t, 0, code)

	// Backups go under DIR/backups, named by the request.
	_, code = cli("backup", "first")
	require.Equal(t, 0, code)
	_, err := os.Stat(filepath.Join(data, "backups", "first", "db"))
	assert.NoError(t, err, "the checkpoint holds the Pebble directory")
	_, code = cli("backup", "first")
	assert.Equal(t, 1, code, "a backup never overwrites")
	for _, dir := range []string{filepath.Join(t.TempDir(), "elsewhere"), "../escape"} {
		_, code = cli("backup", dir)
		assert.Equal(t, 1, code, "a backup outside the backup directory is refused: %s", dir)
	}
	_, code = cli("delete", "person-110")
	require.Equal(t, 0, code)
	_, code = cli("get", "person-110")
	assert.Equal(t, 1, code, "a deleted subject is not found")
	stop()

	addr, stop = startServe(t, data)
	defer stop()
	// person-110 was deleted: the other nine come back from the store.
	assert.GreaterOrEqual(t, identifyAll(), 8, "rank-1 of 10 after a restart (one subject deleted)")
}

func TestInsecureOnlyOnLoopback(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	err := serve(context.Background(), serveOptions{data: t.TempDir(), listen: "0.0.0.0:0", insecure: true}, log, io.Discard)
	assert.ErrorContains(t, err, "loopback")
	err = serve(context.Background(), serveOptions{data: t.TempDir(), listen: "127.0.0.1:0", metrics: "0.0.0.0:0"}, log, io.Discard)
	assert.ErrorContains(t, err, "loopback")
}

func TestInsecureClientAndServer(t *testing.T) {
	if _, err := os.Stat(fvcDB1); err != nil {
		t.Skipf("reference data absent (%s): skipping", fvcDB1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	reported := make(chan string, 1)
	w := &addrWriter{addr: reported}
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() {
		done <- serve(ctx, serveOptions{data: t.TempDir(), listen: "127.0.0.1:0", insecure: true}, log, w)
	}()
	addr := <-reported
	defer func() { cancel(); require.NoError(t, <-done) }()
	var out, errOut bytes.Buffer
	code := run([]string{"extract", "--insecure", "--server", addr, filepath.Join(fvcDB1, "101_1.tif")}, &out, &errOut)
	assert.Equal(t, 0, code, errOut.String())
	assert.Contains(t, out.String(), "minutiae")
	code = run([]string{"extract", "--insecure", "--server", "10.0.0.1:50051", filepath.Join(fvcDB1, "101_1.tif")}, &out, &errOut)
	assert.Equal(t, 1, code)
}

// TestCertsIssueAndRevoke: a booking station's certificate enrols but may
// not delete; once revoked, the running server refuses it at once.
func TestCertsIssueAndRevoke(t *testing.T) {
	if _, err := os.Stat(fvcDB1); err != nil {
		t.Skipf("reference data absent (%s): skipping", fvcDB1)
	}
	data := filepath.Join(t.TempDir(), "whorl-data")
	addr, stop := startServe(t, data)
	defer stop()
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"certs", "issue", "--data", data, "--role", "booking", "--name", "station-12"}, &out, &errOut), errOut.String())
	cert := filepath.Join(data, "tls", "clients", "station-12.pem")
	key := filepath.Join(data, "tls", "clients", "station-12-key.pem")
	as := func(args ...string) (int, string) {
		var o, e bytes.Buffer
		code := run(append([]string{args[0], "--server", addr, "--data", data, "--cert", cert, "--key", key}, args[1:]...), &o, &e)
		return code, e.String()
	}
	code, msg := as("enroll", "--subject", "p1", filepath.Join(fvcDB1, "101_1.tif"))
	require.Equal(t, 0, code, msg)
	code, msg = as("delete", "p1")
	assert.Equal(t, 1, code)
	assert.Contains(t, msg, "PermissionDenied")
	require.Equal(t, 0, run([]string{"certs", "revoke", "--data", data, "--name", "station-12"}, &out, &errOut), errOut.String())
	code, msg = as("enroll", "--subject", "p2", filepath.Join(fvcDB1, "102_1.tif"))
	assert.Equal(t, 1, code)
	assert.Contains(t, msg, "Unauthenticated")
	assert.Equal(t, 2, run([]string{"certs", "issue", "--data", data, "--role", "superuser", "--name", "x"}, &out, &errOut))
}

// TestAuditTrail: every call is recorded (refusals too), auditors query
// the trail, and `whorl audit verify` finds a deleted record.
func TestAuditTrail(t *testing.T) {
	if _, err := os.Stat(fvcDB1); err != nil {
		t.Skipf("reference data absent (%s): skipping", fvcDB1)
	}
	data := filepath.Join(t.TempDir(), "whorl-data")
	addr, stop := startServe(t, data)
	var out, errOut bytes.Buffer
	for _, c := range [][]string{
		{"certs", "issue", "--data", data, "--role", "booking", "--name", "booking-1"},
		{"certs", "issue", "--data", data, "--role", "auditor", "--name", "auditor-1"},
	} {
		require.Equal(t, 0, run(c, &out, &errOut), errOut.String())
	}
	as := func(station string, args ...string) (int, string) {
		var o, e bytes.Buffer
		cert := filepath.Join(data, "tls", "clients", station+".pem")
		key := filepath.Join(data, "tls", "clients", station+"-key.pem")
		cmd := 1 // "audit query" is a command of two words
		if args[0] == "audit" {
			cmd = 2
		}
		code := run(append(append(args[:cmd:cmd], "--server", addr, "--data", data, "--cert", cert, "--key", key), args[cmd:]...), &o, &e)
		return code, o.String() + e.String()
	}
	code, msg := as("booking-1", "enroll", "--subject", "p1", filepath.Join(fvcDB1, "101_1.tif"))
	require.Equal(t, 0, code, msg)
	code, _ = as("booking-1", "identify", filepath.Join(fvcDB1, "101_2.tif"))
	require.Equal(t, 0, code)
	code, _ = as("booking-1", "delete", "p1")
	require.Equal(t, 1, code, "denied, and recorded")
	code, _ = as("booking-1", "audit", "query")
	require.Equal(t, 1, code, "bookings may not read the trail")

	code, out2 := as("auditor-1", "audit", "query", "--json", "--subject", "p1")
	require.Equal(t, 0, code, out2)
	var page struct {
		Records []struct {
			Station, Method, Code string
			Subjects              []string
		} `json:"records"`
	}
	require.NoError(t, json.Unmarshal([]byte(out2), &page), out2)
	var methods []string
	for _, r := range page.Records {
		assert.Equal(t, "booking-1", r.Station)
		methods = append(methods, r.Method+" "+r.Code)
	}
	assert.Contains(t, methods, "/whorl.v1.GalleryService/Enroll OK")
	assert.Contains(t, methods, "/whorl.v1.GalleryService/DeleteSubject PermissionDenied")
	stop()

	out.Reset()
	require.Equal(t, 0, run([]string{"audit", "verify", "--data", data, "--json"}, &out, &errOut), errOut.String())
	var rep struct {
		Records int  `json:"records"`
		Intact  bool `json:"intact"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	assert.True(t, rep.Intact)
	assert.GreaterOrEqual(t, rep.Records, 5)

	// Tamper with the trail directly in Pebble, each on a copy of the data
	// directory: verify names the first bad record.
	auditKey := func(seq uint64) []byte { return append([]byte{'a'}, binary.BigEndian.AppendUint64(nil, seq)...) }
	last := uint64(rep.Records)
	for _, c := range []struct {
		name   string
		tamper func(db *pebble.DB)
		want   string
	}{
		{"delete", func(db *pebble.DB) { require.NoError(t, db.Delete(auditKey(2), pebble.Sync)) }, "BROKEN at record 2"},
		{"edit", func(db *pebble.DB) {
			v, closer, err := db.Get(auditKey(3))
			require.NoError(t, err)
			v = bytes.Clone(v)
			closer.Close()
			v[len(v)/2] ^= 1
			require.NoError(t, db.Set(auditKey(3), v, pebble.Sync))
		}, "BROKEN at record 3"},
		{"reorder", func(db *pebble.DB) {
			v2, c2, err := db.Get(auditKey(2))
			require.NoError(t, err)
			v2 = bytes.Clone(v2)
			c2.Close()
			v3, c3, err := db.Get(auditKey(3))
			require.NoError(t, err)
			v3 = bytes.Clone(v3)
			c3.Close()
			require.NoError(t, db.Set(auditKey(2), v3, pebble.Sync))
			require.NoError(t, db.Set(auditKey(3), v2, pebble.Sync))
		}, "BROKEN at record 2"},
		{"truncate", func(db *pebble.DB) { require.NoError(t, db.Delete(auditKey(last), pebble.Sync)) }, "truncated"},
	} {
		t.Run(c.name, func(t *testing.T) {
			copyDir := filepath.Join(t.TempDir(), "whorl-data")
			require.NoError(t, os.CopyFS(copyDir, os.DirFS(data)))
			keys, err := filepath.Glob(filepath.Join(copyDir, "store", "datakey*"))
			require.NoError(t, err)
			for _, k := range keys {
				require.NoError(t, os.Chmod(k, 0o600))
			}
			require.NoError(t, os.Chmod(filepath.Join(copyDir, "store"), 0o700))
			db, err := pebble.Open(filepath.Join(copyDir, "store", "db"), &pebble.Options{})
			require.NoError(t, err)
			c.tamper(db)
			require.NoError(t, db.Close())
			var out, errOut bytes.Buffer
			assert.Equal(t, 1, run([]string{"audit", "verify", "--data", copyDir}, &out, &errOut), errOut.String())
			assert.Contains(t, out.String(), c.want)
			t.Log(strings.TrimSpace(out.String()))
		})
	}
}
