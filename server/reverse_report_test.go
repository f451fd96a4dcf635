package server

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// syntheticLatentOf is synthetic latent number i.
func syntheticLatentOf(i int) *whorlv1.Template {
	return syntheticLatent(rand.New(rand.NewPCG(7, uint64(i))))
}

// syntheticLatent is a latent-sized template of random minutiae (as the
// matcher's tests make them): 6 to 15 minutiae at least 10 pixels apart.
func syntheticLatent(rng *rand.Rand) *whorlv1.Template {
	n := 6 + rng.IntN(10)
	t := minutiae.Template{Width: 300, Height: 400, Impression: minutiae.Latent}
	for len(t.Minutiae) < n {
		m := minutiae.Minutia{
			X:         20 + 260*rng.Float32(),
			Y:         20 + 360*rng.Float32(),
			Direction: minutiae.NormalizeAngle(2 * math.Pi * rng.Float64()),
			Kind:      minutiae.Kind(1 + rng.IntN(2)),
		}
		ok := true
		for _, o := range t.Minutiae {
			if math.Hypot(float64(o.X-m.X), float64(o.Y-m.Y)) < 10 {
				ok = false
			}
		}
		if ok {
			t.Minutiae = append(t.Minutiae, m)
		}
	}
	p, err := t.ToProto()
	if err != nil {
		panic(err)
	}
	return p
}

// TestReverseSearchReport is the figure of issue 7: with 10,000 unsolved
// latents on file (one real latent, a crop of 101_2, and 9,999 synthetic
// latent-sized templates, all registered over the wire), a tenprint whose
// right index is the latent's mate (101_1) and whose other nine fingers are
// other FVC prints is enrolled over the wire with a WatchLatentHits stream
// open; it reports the time from the Enroll call to the hit on the stream.
// It asserts that the hit arrives, not how fast: the time is the report.
//
//	WHORL_REVERSE_REPORT=1 go test ./server -run TestReverseSearchReport -v
//
// WHORL_REVERSE_LATENTS sets the size of the file (default 10000).
func TestReverseSearchReport(t *testing.T) {
	if os.Getenv("WHORL_REVERSE_REPORT") == "" {
		t.Skip("the reverse-search report: set WHORL_REVERSE_REPORT=1 to run it (about a minute)")
	}
	readData(t, "fvc2002", "DB1_B", "101_1.tif")
	total := 10000
	if n, err := fmt.Sscan(os.Getenv("WHORL_REVERSE_LATENTS"), &total); n == 0 || err != nil {
		total = 10000
	}
	ctx := context.Background()
	ls := startLatentServer(t, newRoleCA(t), filepath.Join(t.TempDir(), "store"), Config{})
	examiner := ls.latent(RoleExaminer)

	start := time.Now()
	_, err := examiner.RegisterLatent(ctx, &whorlv1.RegisterLatentRequest{LatentId: "lat-101", CaseId: "case-7", Probe: imageProbe(cropPNG(t, "101_2.tif", 200, 220))})
	require.NoError(t, err)
	// 32 registrations at once: the store's synced writes share commits.
	var wg sync.WaitGroup
	errs := make(chan error, total)
	next := make(chan int)
	for range 32 {
		wg.Go(func() {
			for i := range next {
				_, err := examiner.RegisterLatent(ctx, &whorlv1.RegisterLatentRequest{LatentId: fmt.Sprintf("syn-%05d", i), Probe: &whorlv1.LatentProbe{Template: syntheticLatentOf(i)}})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	for i := 1; i < total; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	_, n := ls.srv.latent.file.Len()
	require.Equal(t, total, n)
	t.Logf("registered %d latents over the wire in %.1f s", total, time.Since(start).Seconds())

	// The tenprint: the mate at position 2, nine other prints elsewhere.
	fingers := []*whorlv1.Finger{{Position: 2, Source: &whorlv1.Finger_Image{Image: &whorlv1.Image{Data: readData(t, "fvc2002", "DB1_B", "101_1.tif")}}}}
	for i, pos := range []whorlv1.FingerPosition{1, 3, 4, 5, 6, 7, 8, 9, 10} {
		fingers = append(fingers, &whorlv1.Finger{Position: pos, Source: &whorlv1.Finger_Image{Image: &whorlv1.Image{
			Data: readData(t, "fvc2002", "DB1_B", fmt.Sprintf("%d_1.tif", 102+i))}}})
	}
	stream, cancel := watch(t, examiner)
	defer cancel()
	arrived := make(chan time.Time, 1)
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				return
			}
			if m.Hit.LatentId == "lat-101" {
				arrived <- time.Now()
				return
			}
		}
	}()
	call := time.Now()
	_, err = whorlv1.NewGalleryServiceClient(ls.conns[RoleBooking]).Enroll(ctx, &whorlv1.EnrollRequest{SubjectId: "person-101", Fingers: fingers})
	require.NoError(t, err)
	returned := time.Now()
	var at time.Time
	select {
	case at = <-arrived:
	case <-time.After(time.Minute):
		t.Fatal("no hit for the mate's latent on the stream")
	}
	hits := listHits(t, examiner, &whorlv1.ListHitsRequest{})

	// The split: the reverse search alone, the same ten templates again.
	subj, err := ls.st.GetSubject(ctx, "person-101")
	require.NoError(t, err)
	searchStart := time.Now()
	for _, f := range subj.Fingers {
		_, err := ls.srv.latent.file.SearchReverse(ctx, f, DefaultLatentHitFMR, maxHitsPerEnrolment)
		require.NoError(t, err)
	}
	t.Logf("of which the reverse search of the 10 templates: %.2f s (GOMAXPROCS %d)", time.Since(searchStart).Seconds(), runtime.GOMAXPROCS(0))
	t.Logf("enrolment of 10 fingers (decoding and extraction included) against %d unsolved latents: Enroll returned after %.2f s; the mate's hit arrived on the stream %.2f s after the call",
		total, returned.Sub(call).Seconds(), at.Sub(call).Seconds())
	t.Logf("hits of the enrolment: %d (threshold FMR %g; expected false hits ≈ 10 × %d × %g = %.1f)", len(hits), DefaultLatentHitFMR, total, DefaultLatentHitFMR, 10*float64(total)*DefaultLatentHitFMR)
	for _, h := range hits {
		t.Logf("  hit %s: latent %s, finger %d, score %.1f, FMR %.2g", h.HitId, h.LatentId, h.Position, h.Score, h.Fmr)
	}
	assert.Equal(t, "lat-101", hits[0].LatentId, "the mate's latent is the strongest hit")
}
