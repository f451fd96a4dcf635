package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/whorlafis/whorl/minutiae"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// realPrints are the FVC2002 images the mix sends: every finger of each
// set is one finger of a mated subject (set s, finger 101+k at position
// 1+k), impression 1 enrolled, impressions 2-8 the probes.
type realPrints struct {
	sets   []string
	images map[printKey][]byte
	ppi    map[string]uint32 // per set: the resolution its files do not state
	// usable are the prints our extractor finds at least minMinutiae
	// minutiae in: the others would be refused as unsearchable, an error
	// the mix does not ask for.
	usable    map[printKey]bool
	templates []minutiae.Template // of the usable prints, to fit the distractor model
	// latents are latent-sized crops of probe impressions, made once each
	// when the mix first sends them (latentCrop).
	latents sync.Map // printKey → []byte (PNG at 500 ppi)
}

type printKey struct {
	set                string
	finger, impression int
}

// minMinutiae is the fewest minutiae a print the mix sends must have.
const minMinutiae = 8

// loadRealPrints reads the sets' images and extracts them once here, to
// know which ones the server will accept and to fit the synthetic
// gallery's model on real templates.
func loadRealPrints(root string, sets []string) (*realPrints, error) {
	rp := &realPrints{sets: sets, images: map[printKey][]byte{}, ppi: map[string]uint32{}, usable: map[printKey]bool{}}
	var keys []printKey
	for _, set := range sets {
		dir := filepath.Join(root, set)
		rp.ppi[set] = uint32(setPPI[set])
		for f := range fingers {
			for i := 1; i <= impressions; i++ {
				k := printKey{set, firstFinger + f, i}
				data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d_%d.tif", k.finger, k.impression)))
				if err != nil {
					return nil, fmt.Errorf("FVC set %s: %w", set, err)
				}
				rp.images[k] = data
				keys = append(keys, k)
			}
		}
	}
	templates := make([]minutiae.Template, len(keys))
	progress := newProgress("real prints", len(keys))
	parallelFor(len(keys), func(i int) {
		k := keys[i]
		t, err := extractTemplate(filepath.Join(root, k.set, fmt.Sprintf("%d_%d.tif", k.finger, k.impression)))
		if err == nil {
			templates[i] = t
		}
		progress.add(1)
	})
	progress.done()
	for i, t := range templates {
		if len(t.Minutiae) >= minMinutiae {
			rp.usable[keys[i]] = true
			rp.templates = append(rp.templates, t)
		}
	}
	for _, set := range sets {
		for f := range fingers {
			if !rp.usable[printKey{set, firstFinger + f, 1}] {
				return nil, fmt.Errorf("FVC set %s: impression 1 of finger %d is not usable as an enrolled print", set, firstFinger+f)
			}
		}
	}
	return rp, nil
}

// finger is the API message of one real print at a finger position.
func (rp *realPrints) finger(k printKey, pos int) *whorlv1.Finger {
	return &whorlv1.Finger{
		Position:       whorlv1.FingerPosition(pos),
		ImpressionType: whorlv1.ImpressionType_IMPRESSION_TYPE_LIVE_PLAIN,
		Source:         &whorlv1.Finger_Image{Image: &whorlv1.Image{Data: rp.images[k], Ppi: rp.ppi[k.set]}},
	}
}

// mateID is the subject id of a set's mated subject.
func mateID(set string) string { return "mate-" + set }

// probeImpression picks a usable impression 2-8 of a finger, or 0.
func (rp *realPrints) probeImpression(r *rand.Rand, set string, finger int) int {
	start := r.IntN(impressions - 1)
	for j := range impressions - 1 {
		i := 2 + (start+j)%(impressions-1)
		if rp.usable[printKey{set, finger, i}] {
			return i
		}
	}
	return 0
}

// loadClient is one client of the workload: its own connection, as a
// station has.
type loadClient struct {
	id       int
	conn     *grpc.ClientConn
	gallery  whorlv1.GalleryServiceClient
	search   whorlv1.SearchServiceClient
	latent   whorlv1.LatentServiceClient
	prints   *realPrints
	probeFgs int // fingers of an identification probe
	enrolled int // subjects this client enrolled
}

func newLoadClient(id int, conn *grpc.ClientConn, rp *realPrints, probeFingers int) *loadClient {
	return &loadClient{id: id, conn: conn, gallery: whorlv1.NewGalleryServiceClient(conn),
		search: whorlv1.NewSearchServiceClient(conn), latent: whorlv1.NewLatentServiceClient(conn), prints: rp, probeFgs: probeFingers}
}

// A loadOp is one kind of request of the mix. run sends one request and
// says whether it found what it should (a mated identification ranks the
// mate first, a mated verification matches); enrolments always do.
type loadOp struct {
	rpc string
	run func(ctx context.Context, c *loadClient, r *rand.Rand) (hit bool, err error)
}

// loadOps are the kinds --mix can name.
var loadOps = map[string]loadOp{
	"enroll":   {rpc: "Enroll", run: opEnroll},
	"identify": {rpc: "Identify", run: opIdentify},
	"verify":   {rpc: "Verify", run: opVerify},
	"latent":   {rpc: "SearchLatent", run: opLatent},
	// template: a search without extraction, the search alone.
	"template": {rpc: "Identify", run: opTemplateSearch},
}

// opTemplateSearch identifies one synthetic template of unknown finger
// position, which the server compares with every finger of the gallery:
// all the request's cost is the search. It has no mate.
func opTemplateSearch(ctx context.Context, c *loadClient, r *rand.Rand) (bool, error) {
	probe, err := randomProbe(r.Uint64())
	if err != nil {
		return false, err
	}
	_, err = c.search.Identify(ctx, probe)
	return false, err
}

// opEnroll enrols a new subject with ten real images, as a booking station
// does: one impression of a set's ten fingers, under a new subject id.
func opEnroll(ctx context.Context, c *loadClient, r *rand.Rand) (bool, error) {
	set := c.prints.sets[r.IntN(len(c.prints.sets))]
	req := &whorlv1.EnrollRequest{}
	for p := range fingers {
		i := 1 + r.IntN(impressions)
		if !c.prints.usable[printKey{set, firstFinger + p, i}] {
			i = 1 // always usable (loadRealPrints checks)
		}
		req.Fingers = append(req.Fingers, c.prints.finger(printKey{set, firstFinger + p, i}, 1+p))
	}
	c.enrolled++
	req.SubjectId = fmt.Sprintf("%s%d-%d", enrolledPrefix(set), c.id, c.enrolled)
	req.RequestId = req.SubjectId
	_, err := c.gallery.Enroll(ctx, req)
	return err == nil, err
}

// enrolledPrefix begins the ids of the subjects the mix enrols with a
// set's fingers: the same fingers as the set's mated subject, so an
// identification that ranks one of them first has found its mate too.
func enrolledPrefix(set string) string { return "load-" + set + "-" }

// isMate says whether subject holds the fingers of set.
func isMate(subject, set string) bool {
	return subject == mateID(set) || strings.HasPrefix(subject, enrolledPrefix(set))
}

// opIdentify searches probe fingers of one mated subject (other
// impressions than those enrolled) and checks that a subject with the same
// fingers ranks first.
func opIdentify(ctx context.Context, c *loadClient, r *rand.Rand) (bool, error) {
	set := c.prints.sets[r.IntN(len(c.prints.sets))]
	req := &whorlv1.IdentifyRequest{Top: 10}
	for _, p := range r.Perm(fingers) {
		if len(req.Fingers) == c.probeFgs {
			break
		}
		if i := c.prints.probeImpression(r, set, firstFinger+p); i > 0 {
			req.Fingers = append(req.Fingers, c.prints.finger(printKey{set, firstFinger + p, i}, 1+p))
		}
	}
	if len(req.Fingers) == 0 {
		return false, fmt.Errorf("set %s has no usable probe impression", set)
	}
	resp, err := c.search.Identify(ctx, req)
	if err != nil {
		return false, err
	}
	cs := resp.GetCandidates()
	return len(cs) > 0 && isMate(cs[0].GetSubjectId(), set), nil
}

// opVerify verifies one probe finger against its mated subject.
func opVerify(ctx context.Context, c *loadClient, r *rand.Rand) (bool, error) {
	set := c.prints.sets[r.IntN(len(c.prints.sets))]
	p := r.IntN(fingers)
	i := c.prints.probeImpression(r, set, firstFinger+p)
	if i == 0 {
		i = 1 // the enrolled impression itself: still a valid request
	}
	resp, err := c.search.Verify(ctx, &whorlv1.VerifyRequest{SubjectId: mateID(set), Finger: c.prints.finger(printKey{set, firstFinger + p, i}, 1+p)})
	if err != nil {
		return false, err
	}
	return resp.GetMatch(), nil
}

// opLatent searches a latent-sized crop of a probe impression of one
// mated subject's finger, position unknown, as an examiner does, and
// checks that a subject with that finger is among the ten candidates.
func opLatent(ctx context.Context, c *loadClient, r *rand.Rand) (bool, error) {
	set := c.prints.sets[r.IntN(len(c.prints.sets))]
	f := firstFinger + r.IntN(fingers)
	i := c.prints.probeImpression(r, set, f)
	if i == 0 {
		i = 1
	}
	crop, err := c.prints.latentCrop(printKey{set, f, i})
	if err != nil {
		return false, err
	}
	resp, err := c.latent.SearchLatent(ctx, &whorlv1.SearchLatentRequest{Top: 10, Probe: &whorlv1.LatentProbe{
		Image: &whorlv1.Image{Data: crop, Ppi: 500},
	}})
	if err != nil {
		return false, err
	}
	for _, cd := range resp.GetCandidates() {
		if isMate(cd.GetSubjectId(), set) {
			return true, nil
		}
	}
	return false, nil
}

// latentCropShare is the share of a print's width and height a load latent
// keeps, around its centre: 0.6 × 0.6, about a third of the print.
const latentCropShare = 0.6

// latentCrop returns the latent-sized crop of a print, as PNG at 500 ppi.
func (rp *realPrints) latentCrop(k printKey) ([]byte, error) {
	if v, ok := rp.latents.Load(k); ok {
		return v.([]byte), nil
	}
	img, err := minutiae.DecodeImage(rp.images[k], float64(rp.ppi[k.set]))
	if err != nil {
		return nil, fmt.Errorf("%v: %w", k, err)
	}
	b := img.Gray.Bounds()
	w, h := int(latentCropShare*float64(b.Dx())), int(latentCropShare*float64(b.Dy()))
	x0, y0 := b.Min.X+(b.Dx()-w)/2, b.Min.Y+(b.Dy()-h)/2
	var buf bytes.Buffer
	if err := png.Encode(&buf, img.Gray.SubImage(image.Rect(x0, y0, x0+w, y0+h))); err != nil {
		return nil, err
	}
	v, _ := rp.latents.LoadOrStore(k, buf.Bytes())
	return v.([]byte), nil
}

// mixEntry is one kind of request with its weight.
type mixEntry struct {
	name   string
	weight int
}

// parseMix parses --mix: comma-separated kind=weight, weights positive
// integers, each kind once.
func parseMix(s string) ([]mixEntry, error) {
	var mix []mixEntry
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("--mix %q: %q is not kind=weight", s, part)
		}
		if _, known := loadOps[name]; !known {
			return nil, fmt.Errorf("--mix: unknown kind %q (known: %s)", name, strings.Join(slices.Sorted(mapKeys(loadOps)), ", "))
		}
		if seen[name] {
			return nil, fmt.Errorf("--mix: %s given twice", name)
		}
		seen[name] = true
		n, err := strconv.Atoi(w)
		if err != nil || n < 0 || n > 1_000_000 {
			return nil, fmt.Errorf("--mix: weight of %s %q is not an integer in 0..1000000", name, w)
		}
		if n > 0 {
			mix = append(mix, mixEntry{name, n})
		}
	}
	if len(mix) == 0 {
		return nil, fmt.Errorf("--mix %q: no kind with a positive weight", s)
	}
	return mix, nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// pick draws a kind of the mix by weight.
func pick(mix []mixEntry, r *rand.Rand) string {
	total := 0
	for _, e := range mix {
		total += e.weight
	}
	n := r.IntN(total)
	for _, e := range mix {
		if n < e.weight {
			return e.name
		}
		n -= e.weight
	}
	return mix[len(mix)-1].name
}

// rpcRecord is what one client observed of one RPC.
type rpcRecord struct {
	latency  []time.Duration // of requests that succeeded, from the first attempt to the answer
	attempt  []time.Duration // of the successful attempt alone
	refusals []time.Duration // latency of ResourceExhausted answers
	refused  int             // ResourceExhausted answers (retried unless the run says not to)
	cancel   int             // requests the client abandoned on purpose
	hits     int
	errors   map[string]int // final failures by status code
}

func (r *rpcRecord) merge(o *rpcRecord) {
	r.latency = append(r.latency, o.latency...)
	r.attempt = append(r.attempt, o.attempt...)
	r.refusals = append(r.refusals, o.refusals...)
	r.refused += o.refused
	r.cancel += o.cancel
	r.hits += o.hits
	for k, v := range o.errors {
		r.errors[k] += v
	}
}

// workload is one phase of requests: clients, mix and how they react to a
// refusal.
type workload struct {
	clients  []*loadClient
	mix      []mixEntry
	duration time.Duration
	budget   *atomic.Int64 // requests left across the phase; shared, so bounded
	// retry makes a client retry a refused request after a jittered
	// exponential backoff, as a well-behaved client does; without it the
	// refusal is recorded and the client moves on after refusalPause.
	retry        bool
	refusalPause time.Duration
	// cancelAfter, when set, makes a client abandon each request after it,
	// as a client that disconnects mid-search does.
	cancelAfter time.Duration
	seed        uint64
}

// opTimeout bounds one request, retries included.
const opTimeout = 60 * time.Second

// run runs the phase and returns per-RPC records and its wall time.
func (w workload) run(ctx context.Context) (map[string]*rpcRecord, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, w.duration)
	defer cancel()
	records := make([]map[string]*rpcRecord, len(w.clients))
	var wg sync.WaitGroup
	start := time.Now()
	for k, c := range w.clients {
		records[k] = map[string]*rpcRecord{}
		wg.Go(func() { w.client(ctx, c, records[k], rand.New(rand.NewPCG(w.seed, uint64(k)))) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := map[string]*rpcRecord{}
	for _, rs := range records {
		for name, r := range rs {
			if all[name] == nil {
				all[name] = &rpcRecord{errors: map[string]int{}}
			}
			all[name].merge(r)
		}
	}
	return all, elapsed
}

func (w workload) client(ctx context.Context, c *loadClient, recs map[string]*rpcRecord, r *rand.Rand) {
	for ctx.Err() == nil && w.budget.Add(-1) >= 0 {
		name := pick(w.mix, r)
		op := loadOps[name]
		rec := recs[op.rpc]
		if rec == nil {
			rec = &rpcRecord{errors: map[string]int{}}
			recs[op.rpc] = rec
		}
		w.request(ctx, c, op, rec, r)
	}
}

// request sends one request of the mix, retrying refusals if the phase
// says so, and records the outcome.
func (w workload) request(ctx context.Context, c *loadClient, op loadOp, rec *rpcRecord, r *rand.Rand) {
	// The request's own deadline is not the phase's: a request under way
	// when the phase ends still completes and counts.
	opCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
	defer cancel()
	first := time.Now()
	backoff := 5 * time.Millisecond
	for {
		attemptCtx, attemptCancel := opCtx, context.CancelFunc(func() {})
		if w.cancelAfter > 0 {
			attemptCtx, attemptCancel = context.WithTimeout(opCtx, w.cancelAfter)
		}
		start := time.Now()
		hit, err := op.run(attemptCtx, c, r)
		took := time.Since(start)
		attemptCancel()
		code := status.Code(err)
		switch {
		case err == nil:
			rec.latency = append(rec.latency, time.Since(first))
			rec.attempt = append(rec.attempt, took)
			if hit {
				rec.hits++
			}
			return
		case code == codes.ResourceExhausted:
			rec.refused++
			rec.refusals = append(rec.refusals, took)
			if !w.retry || ctx.Err() != nil {
				sleepCtx(ctx, w.refusalPause)
				return
			}
			sleepCtx(opCtx, retryDelay(err, &backoff, r))
			if opCtx.Err() != nil {
				rec.errors[codes.DeadlineExceeded.String()]++
				return
			}
		case w.cancelAfter > 0 && (code == codes.DeadlineExceeded || code == codes.Canceled || errors.Is(err, context.DeadlineExceeded)):
			rec.cancel++
			return
		default:
			rec.errors[code.String()]++
			return
		}
	}
}

// retryDelay is how long a client waits before retrying a refused
// request: the server's RetryInfo delay, less up to 20% (the server keeps
// a refused connection's place in line, and a client back early is told
// again, whereas one back late leaves its turn idle); or, when the refusal
// carries none, a jittered exponential backoff (*backoff, doubled each
// time up to 200 ms).
func retryDelay(err error, backoff *time.Duration, r *rand.Rand) time.Duration {
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			hint := ri.GetRetryDelay().AsDuration()
			return hint*4/5 + time.Duration(r.Int64N(int64(hint/5)+1))
		}
	}
	d := *backoff/2 + time.Duration(r.Int64N(int64(*backoff)))
	*backoff = min(2**backoff, 200*time.Millisecond)
	return d
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// rpcStats is the report of one RPC over a phase. Latencies are in
// milliseconds, of the requests that succeeded, from the first attempt to
// the answer (refused attempts and their backoff included); AttemptP99Ms
// is the successful attempt alone.
type rpcStats struct {
	RPC           string         `json:"rpc"`
	OK            int            `json:"ok"`
	PerSecond     float64        `json:"per_second"`
	P50Ms         float64        `json:"p50_ms"`
	P90Ms         float64        `json:"p90_ms"`
	P99Ms         float64        `json:"p99_ms"`
	P999Ms        float64        `json:"p999_ms"`
	AttemptP99Ms  float64        `json:"attempt_p99_ms"`
	Refused       int            `json:"resource_exhausted"`
	RefusalP50Ms  float64        `json:"refusal_p50_ms"`
	RefusalP99Ms  float64        `json:"refusal_p99_ms"`
	Cancelled     int            `json:"cancelled,omitempty"`
	Hits          int            `json:"hits"`
	Errors        map[string]int `json:"errors"`
	UnexpectedErr int            `json:"unexpected_errors"`
}

func summariseRPCs(recs map[string]*rpcRecord, elapsed time.Duration) []rpcStats {
	var out []rpcStats
	for name, r := range recs {
		s := rpcStats{RPC: name, OK: len(r.latency), PerSecond: float64(len(r.latency)) / elapsed.Seconds(),
			Refused: r.refused, Cancelled: r.cancel, Hits: r.hits, Errors: r.errors}
		if len(r.latency) > 0 {
			lat := slices.Clone(r.latency)
			slices.Sort(lat)
			s.P50Ms, s.P90Ms, s.P99Ms, s.P999Ms = ms(percentile(lat, .5)), ms(percentile(lat, .9)), ms(percentile(lat, .99)), ms(percentile(lat, .999))
			att := slices.Clone(r.attempt)
			slices.Sort(att)
			s.AttemptP99Ms = ms(percentile(att, .99))
		}
		if len(r.refusals) > 0 {
			ref := slices.Clone(r.refusals)
			slices.Sort(ref)
			s.RefusalP50Ms, s.RefusalP99Ms = ms(percentile(ref, .5)), ms(percentile(ref, .99))
		}
		for _, n := range r.errors {
			s.UnexpectedErr += n
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RPC < out[j].RPC })
	return out
}
