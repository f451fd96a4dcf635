package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	"github.com/whorlafis/whorl/pki"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// TestCrashLosesNoAcknowledgedEnrolment kills the server process with
// SIGKILL at random moments during a stream of enrolments, restarts it, and
// checks that every enrolment it acknowledged is there, intact: 20 cycles.
func TestCrashLosesNoAcknowledgedEnrolment(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server 20 times")
	}
	bin := filepath.Join(t.TempDir(), "whorl")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	data := filepath.Join(t.TempDir(), "data")
	rng := rand.New(rand.NewPCG(1, 2))
	acked := map[string]*whorlv1.Template{} // subject → what was enrolled
	next := 0
	for cycle := range 20 {
		cmd, addr := startProcess(t, bin, data)
		conn := dialData(t, addr, data)
		gallery := whorlv1.NewGalleryServiceClient(conn)
		if cycle > 0 {
			// Everything acknowledged before the last kill is there.
			for subject, want := range acked {
				got, err := gallery.GetSubject(context.Background(), &whorlv1.GetSubjectRequest{SubjectId: subject})
				require.NoError(t, err, "cycle %d: acknowledged %s lost", cycle, subject)
				require.Len(t, got.Subject.Fingers, 1)
				assert.True(t, proto.Equal(want, got.Subject.Fingers[0]), "cycle %d: %s changed", cycle, subject)
			}
		}
		// Enrol from four clients until the kill, at a random moment.
		var mu sync.Mutex
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 4 {
			wg.Add(1)
			seed := rng.Uint64()
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(seed, 3))
				for {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					subject := fmt.Sprintf("s%d", next)
					next++
					mu.Unlock()
					tpl := randomTemplate(r)
					_, err := gallery.Enroll(context.Background(), &whorlv1.EnrollRequest{
						RequestId: subject, SubjectId: subject,
						Fingers: []*whorlv1.Finger{{Source: &whorlv1.Finger_Template{Template: tpl}}},
					})
					if err != nil {
						return // the server died under us: not acknowledged
					}
					mu.Lock()
					acked[subject] = tpl
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(20+rng.IntN(200)) * time.Millisecond)
		require.NoError(t, cmd.Process.Kill())
		close(stop)
		wg.Wait()
		cmd.Wait()
		conn.Close()
	}
	t.Logf("%d enrolments acknowledged over 20 kills, none lost", len(acked))
	assert.NotEmpty(t, acked)
}

// randomTemplate is a valid template of 20-40 minutiae.
func randomTemplate(r *rand.Rand) *whorlv1.Template {
	n := 20 + r.IntN(20)
	t := &whorlv1.Template{Width: 400, Height: 400}
	for range n {
		t.X = append(t.X, float32(20+r.IntN(360)))
		t.Y = append(t.Y, float32(20+r.IntN(360)))
		t.Direction = append(t.Direction, float32(r.Float64()*6.28))
		t.Kinds = append(t.Kinds, whorlv1.MinutiaKind(1+r.IntN(2)))
		t.Qualities = append(t.Qualities, uint32(r.IntN(101)))
	}
	return t
}

// startProcess runs `whorl serve` as its own process and returns it with
// the address it reports.
func startProcess(t *testing.T, bin, data string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data", data, "--listen", "127.0.0.1:0", "--metrics", "")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if m := servingRE.FindStringSubmatch(lines.Text()); m != nil {
			go func() {
				for lines.Scan() {
				}
			}()
			return cmd, m[1]
		}
	}
	t.Fatalf("whorl serve ended without serving: %v", lines.Err())
	return nil, ""
}

func dialData(t *testing.T, addr, data string) *grpc.ClientConn {
	t.Helper()
	cfg, err := pki.ClientTLS(tlsDir(data), pki.AdminFile, pki.AdminKeyFile)
	require.NoError(t, err)
	cfg.ServerName = "127.0.0.1"
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	require.NoError(t, err)
	return conn
}
