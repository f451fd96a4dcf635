package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/whorlafis/whorl/minutiae"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// TestKeyRotationUnderLoad: enrolments and searches run over TLS while the
// data key rotates twice (`whorl keys rotate`, then with --wait). No RPC
// fails, every subject reads back byte-equal (also after a restart with the
// keys from disk), the old keys end at 0 records and retire, the audit
// chain still verifies, and the store's files hold no subject id or
// template in the clear.
func TestKeyRotationUnderLoad(t *testing.T) {
	if _, err := os.Stat(fvcDB1); err != nil {
		t.Skipf("reference data absent (%s): skipping", fvcDB1)
	}
	data := filepath.Join(t.TempDir(), "whorl-data")
	addr, stop := startServe(t, data)
	keys := func(args ...string) (string, int) {
		var out, errOut bytes.Buffer
		code := run(append([]string{"keys", args[0], "--server", addr, "--data", data}, args[1:]...), &out, &errOut)
		if code != 0 {
			t.Logf("whorl keys %v: %s", args, errOut.String())
		}
		return out.String(), code
	}
	dial := func() (whorlv1.GalleryServiceClient, whorlv1.SearchServiceClient) {
		c := clientFlags{server: addr, data: data}
		conn, err := c.dial()
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		return whorlv1.NewGalleryServiceClient(conn), whorlv1.NewSearchServiceClient(conn)
	}
	image := func(f, imp int) *whorlv1.Finger {
		b, err := os.ReadFile(filepath.Join(fvcDB1, fmt.Sprintf("%d_%d.tif", f, imp)))
		require.NoError(t, err)
		return &whorlv1.Finger{Source: &whorlv1.Finger_Image{Image: &whorlv1.Image{Data: b}}}
	}
	subjectID := func(f, imp int) string { return fmt.Sprintf("KEYROT-%d-%d-ZQX", f, imp) }

	// The server sheds load beyond one extraction per core
	// (ResourceExhausted, "retry later"): a client retries that. Any other
	// error is a failure.
	var shed atomic.Int64
	call := func(fn func(ctx context.Context) error) error {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			err := fn(ctx)
			cancel()
			if status.Code(err) != codes.ResourceExhausted {
				return err
			}
			shed.Add(1)
			time.Sleep(10 * time.Millisecond)
		}
	}

	var (
		mu       sync.Mutex
		stored   = map[string]*whorlv1.Subject{} // as read back right after enrolment
		errs     []error
		enrolled atomic.Int64
		done     = make(chan struct{})
		progress = make(chan int64, 100)
	)
	failed := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	var enrollers, searchers sync.WaitGroup
	// Two enrollers: impressions 1-2 and 3-4 of the ten DB1_B fingers.
	for e := range 2 {
		gallery, _ := dial()
		enrollers.Go(func() {
			for imp := 1 + 2*e; imp <= 2+2*e; imp++ {
				for f := 101; f <= 110; f++ {
					id := subjectID(f, imp)
					err := call(func(ctx context.Context) error {
						_, err := gallery.Enroll(ctx, &whorlv1.EnrollRequest{SubjectId: id, RequestId: id, Fingers: []*whorlv1.Finger{image(f, imp)}})
						return err
					})
					if err != nil {
						failed(fmt.Errorf("enrol %s: %w", id, err))
						return
					}
					got, err := gallery.GetSubject(context.Background(), &whorlv1.GetSubjectRequest{SubjectId: id})
					if err != nil {
						failed(fmt.Errorf("get %s: %w", id, err))
						return
					}
					mu.Lock()
					stored[id] = got.Subject
					mu.Unlock()
					progress <- enrolled.Add(1)
				}
			}
		})
	}
	go func() { enrollers.Wait(); close(progress) }() // a failed enroller ends the waits below
	// Two searchers: impressions 5-8, round and round until the enrolments
	// are done.
	for s := range 2 {
		_, search := dial()
		searchers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				f, imp := 101+i%10, 5+2*s+(i/10)%2
				err := call(func(ctx context.Context) error {
					_, err := search.Identify(ctx, &whorlv1.IdentifyRequest{Fingers: []*whorlv1.Finger{image(f, imp)}, Top: 3})
					return err
				})
				if err != nil {
					failed(fmt.Errorf("identify %d_%d: %w", f, imp, err))
					return
				}
			}
		})
	}

	// Rotate once after 10 enrolments, and again, waiting for the re-seal,
	// after 25, while the load goes on.
	waitFor := func(n int64) {
		for got := range progress {
			if got >= n {
				return
			}
		}
	}
	waitFor(10)
	out, code := keys("rotate")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "current data key: 2")
	waitFor(25)
	out, code = keys("rotate", "--wait", "--poll", "20ms")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "current data key: 3; re-seal finished")
	enrollers.Wait()
	close(done)
	searchers.Wait()
	require.Empty(t, errs, "no RPC failed under rotation")
	require.Len(t, stored, 40)
	t.Logf("40 enrolments and searches during two rotations; %d calls shed and retried", shed.Load())

	// Every key but the current one is unused, and retires.
	out, code = keys("status", "--json")
	require.Equal(t, 0, code)
	var st struct {
		Current   uint32 `json:"current_key_id"`
		Resealing bool   `json:"resealing"`
		Keys      []struct {
			ID      uint32 `json:"key_id"`
			Records uint64 `json:"records"`
		} `json:"keys"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &st), out)
	assert.Equal(t, uint32(3), st.Current)
	assert.False(t, st.Resealing)
	require.Len(t, st.Keys, 3)
	for _, k := range st.Keys[:2] {
		assert.Zero(t, k.Records, "key %d", k.ID)
	}
	assert.Greater(t, st.Keys[2].Records, uint64(120), "subjects, indexes and audit records under key 3")
	_, code = keys("retire", "3")
	assert.Equal(t, 1, code, "the current key does not retire")
	for _, id := range []string{"1", "2"} {
		_, code = keys("retire", id)
		require.Equal(t, 0, code)
	}
	out, code = keys("status")
	require.Equal(t, 0, code)
	t.Log("\n" + out)

	readBack := func() {
		t.Helper()
		gallery, _ := dial()
		for id, want := range stored {
			got, err := gallery.GetSubject(context.Background(), &whorlv1.GetSubjectRequest{SubjectId: id})
			require.NoError(t, err)
			require.True(t, proto.Equal(want, got.Subject), "%s reads back changed", id)
		}
	}
	readBack()
	stop()
	for _, f := range []string{"datakey", "datakey.2"} {
		_, err := os.Stat(filepath.Join(data, "store", f))
		assert.ErrorIs(t, err, os.ErrNotExist, "%s retired", f)
	}
	info, err := os.Stat(filepath.Join(data, "store", "datakey.3"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	// A restart reads everything with the one key left on disk.
	addr, stop = startServe(t, data)
	readBack()
	stop()

	var verifyOut, verifyErr bytes.Buffer
	require.Equal(t, 0, run([]string{"audit", "verify", "--data", data}, &verifyOut, &verifyErr), verifyOut.String()+verifyErr.String())
	assert.Contains(t, verifyOut.String(), "audit trail intact")

	// No subject id or template in the clear anywhere in the store.
	var needles [][]byte
	for id, subj := range stored {
		needles = append(needles, []byte(id))
		for _, p := range subj.Fingers {
			tpl, err := minutiae.TemplateFromProto(p)
			require.NoError(t, err)
			native, err := minutiae.MarshalTemplate(&tpl)
			require.NoError(t, err)
			needles = append(needles, native)
		}
	}
	files := 0
	require.NoError(t, filepath.WalkDir(filepath.Join(data, "store"), func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, n := range needles {
			if bytes.Contains(b, n) {
				return fmt.Errorf("%s holds %q in the clear", path, strings.ToValidUTF8(string(n[:min(len(n), 40)]), "?"))
			}
		}
		return nil
	}))
	assert.Greater(t, files, 3)
}

// Only the admin role manages keys.
func TestKeysAdminOnly(t *testing.T) {
	data := filepath.Join(t.TempDir(), "whorl-data")
	addr, stop := startServe(t, data)
	defer stop()
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"certs", "issue", "--data", data, "--role", "booking", "--name", "booking-1"}, &out, &errOut), errOut.String())
	for _, args := range [][]string{{"rotate"}, {"status"}, {"retire", "1"}} {
		errOut.Reset()
		code := run(append([]string{"keys", args[0], "--server", addr, "--data", data,
			"--cert", filepath.Join(data, "tls", "clients", "booking-1.pem"), "--key", filepath.Join(data, "tls", "clients", "booking-1-key.pem")}, args[1:]...), &out, &errOut)
		assert.Equal(t, 1, code, "%v", args)
		assert.Contains(t, errOut.String(), "PermissionDenied", "%v", args)
	}
	assert.Equal(t, 2, run([]string{"keys", "spin"}, &out, &errOut))
	assert.Equal(t, 1, run([]string{"keys", "retire", "--server", addr, "--data", data, "zero"}, &out, &errOut))
}

// startServeOpts is startServe with serve's options given.
func startServeOpts(t *testing.T, o serveOptions) (addr string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reported := make(chan string, 1)
	w := &addrWriter{addr: reported}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, o, slog.New(slog.DiscardHandler), w) }()
	select {
	case addr = <-reported:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	}
	return addr, func() {
		cancel()
		require.NoError(t, <-done)
	}
}

// The operator's keys: a key directory rotates there, never into the data
// directory; a single key file does not rotate, and says what to do.
func TestKeysOperatorKey(t *testing.T) {
	data, keyDir := filepath.Join(t.TempDir(), "whorl-data"), filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.Mkdir(keyDir, 0o700))
	addr, stop := startServeOpts(t, serveOptions{data: data, listen: "127.0.0.1:0", keyFile: keyDir})
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"keys", "rotate", "--wait", "--poll", "10ms", "--server", addr, "--data", data}, &out, &errOut), errOut.String())
	require.Equal(t, 0, run([]string{"keys", "retire", "--server", addr, "--data", data, "1"}, &out, &errOut), errOut.String())
	stop()
	entries, err := os.ReadDir(keyDir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "datakey.2", entries[0].Name())
	_, err = os.Stat(filepath.Join(data, "store", "datakey"))
	assert.ErrorIs(t, err, os.ErrNotExist, "no key in the data directory")

	// One key file: the key of the directory's id 2, copied out.
	keyFile := filepath.Join(t.TempDir(), "whorl.key")
	b, err := os.ReadFile(filepath.Join(keyDir, "datakey.2"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(keyFile, b, 0o600))
	data2 := filepath.Join(t.TempDir(), "whorl-data")
	addr, stop = startServeOpts(t, serveOptions{data: data2, listen: "127.0.0.1:0", keyFile: keyFile})
	defer stop()
	errOut.Reset()
	assert.Equal(t, 1, run([]string{"keys", "rotate", "--server", addr, "--data", data2}, &out, &errOut))
	assert.Contains(t, errOut.String(), "FailedPrecondition")
	assert.Contains(t, errOut.String(), "--data-key-file DIR")
	out.Reset()
	require.Equal(t, 0, run([]string{"keys", "status", "--server", addr, "--data", data2}, &out, &errOut), errOut.String())
	assert.Contains(t, out.String(), "operator's single key file")
}
