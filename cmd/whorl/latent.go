package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"

	"github.com/whorlafis/whorl/minutiae"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

const latentUsage = `usage: whorl latent <command> [flags] [args]

commands (examiner role):
  search    IMAGE | --minutiae FILE   search a latent against every enrolled finger
  register  IMAGE | --minutiae FILE   put a latent in the unsolved file
  get       ID                        a latent, its state and minutiae count
  list                                the unsolved latents (--all: every latent)
  retire    ID                        take a latent out of the unsolved file

A --minutiae FILE is the JSON that 'whorl extract --json' prints, edited or
written by an examiner: {"width": W, "height": H, "minutiae": [{"x": X, "y": Y,
"direction": RADIANS, "kind": "ending"|"bifurcation"|"other"}, ...]}, positions
in pixels at 500 ppi.
`

const hitsUsage = `usage: whorl hits <command> [flags] [args]

commands (examiner role):
  list                                    hits of the reverse search, oldest first
  watch                                   print hits as enrolments make them
  decide HIT identified|excluded|inconclusive [--note TEXT]
`

func runLatent(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, latentUsage)
		return 2
	}
	switch args[0] {
	case "search":
		return runLatentSearch(args[1:], stdout, stderr)
	case "register":
		return runLatentRegister(args[1:], stdout, stderr)
	case "get":
		return runLatentGet(args[1:], stdout, stderr)
	case "list":
		return runLatentList(args[1:], stdout, stderr)
	case "retire":
		return runLatentRetire(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, latentUsage)
		return 0
	}
	fmt.Fprintf(stderr, "whorl latent: unknown command %q\n%s", args[0], latentUsage)
	return 2
}

func runHits(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, hitsUsage)
		return 2
	}
	switch args[0] {
	case "list":
		return runHitsList(args[1:], stdout, stderr)
	case "watch":
		return runHitsWatch(args[1:], stdout, stderr)
	case "decide":
		return runHitsDecide(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, hitsUsage)
		return 0
	}
	fmt.Fprintf(stderr, "whorl hits: unknown command %q\n%s", args[0], hitsUsage)
	return 2
}

// probeFlags are the flags that say what a latent is.
type probeFlags struct {
	minutiae  string
	ppi       int
	positions []whorlv1.FingerPosition
	region    []*whorlv1.Point
}

func (p *probeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.minutiae, "minutiae", "", "examiner-marked minutiae, a JSON file (see 'whorl latent help'), instead of an image")
	fs.IntVar(&p.ppi, "ppi", 0, "resolution of an image whose file states none (0: 500; latent photographs are often 1000)")
	fs.Func("position", "a finger the latent may be, 1-10; repeat for several (default: any finger)", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10 {
			return fmt.Errorf("finger positions are 1 to 10")
		}
		p.positions = append(p.positions, whorlv1.FingerPosition(n))
		return nil
	})
	fs.Func("region", `keep only minutiae inside this polygon: "x,y x,y x,y ..." in pixels at 500 ppi (3 to 64 vertices)`, func(s string) (err error) {
		p.region, err = parseRegion(s)
		return err
	})
}

// probe builds the request's probe from the flags and the arguments: one
// image file, or none with --minutiae.
func (p *probeFlags) probe(args []string) (*whorlv1.LatentProbe, error) {
	out := &whorlv1.LatentProbe{Positions: p.positions, Region: p.region}
	switch {
	case p.minutiae != "" && len(args) > 0:
		return nil, errors.New("give an image or --minutiae, not both")
	case p.minutiae != "":
		data, err := os.ReadFile(p.minutiae)
		if err != nil {
			return nil, err
		}
		if out.Template, err = parseMinutiaeJSON(data); err != nil {
			return nil, fmt.Errorf("%s: %w", p.minutiae, err)
		}
	case len(args) == 1:
		data, err := os.ReadFile(args[0])
		if err != nil {
			return nil, err
		}
		out.Image = &whorlv1.Image{Data: data, Ppi: uint32(max(p.ppi, 0))}
	default:
		return nil, errors.New("give one image file, or --minutiae FILE")
	}
	return out, nil
}

// parseRegion reads "x,y x,y ..." (semicolons also separate points).
func parseRegion(s string) ([]*whorlv1.Point, error) {
	var pts []*whorlv1.Point
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ';' }) {
		xs, ys, ok := strings.Cut(f, ",")
		x, errX := strconv.ParseFloat(xs, 32)
		y, errY := strconv.ParseFloat(ys, 32)
		if !ok || errX != nil || errY != nil || math.IsNaN(x) || math.IsNaN(y) || math.IsInf(float64(float32(x)), 0) || math.IsInf(float64(float32(y)), 0) {
			return nil, fmt.Errorf("%q is not a point x,y", f)
		}
		pts = append(pts, &whorlv1.Point{X: float32(x), Y: float32(y)})
	}
	if len(pts) < 3 || len(pts) > 64 {
		return nil, fmt.Errorf("%d points: a region is a polygon of 3 to 64", len(pts))
	}
	return pts, nil
}

// minutiaeFile is the examiner-marked minutiae format: what `whorl
// extract --json` prints.
type minutiaeFile struct {
	Width    uint32 `json:"width"`
	Height   uint32 `json:"height"`
	Quality  uint32 `json:"quality"`
	Minutiae []struct {
		X         *float32 `json:"x"`
		Y         *float32 `json:"y"`
		Direction *float32 `json:"direction"`
		Kind      string   `json:"kind"`
		Quality   uint32   `json:"quality"`
	} `json:"minutiae"`
}

// parseMinutiaeJSON reads a minutiae file and checks it as the server
// will, so an examiner's mistake is reported with the minutia it is in.
func parseMinutiaeJSON(data []byte) (*whorlv1.Template, error) {
	if len(data) > 1<<20 {
		return nil, fmt.Errorf("%d bytes: not a minutiae file (at most 1 MiB)", len(data))
	}
	var f minutiaeFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a minutiae file: %w", err)
	}
	if len(f.Minutiae) > minutiae.MaxMinutiae {
		return nil, fmt.Errorf("%d minutiae, at most %d", len(f.Minutiae), minutiae.MaxMinutiae)
	}
	t := &whorlv1.Template{Width: f.Width, Height: f.Height, Quality: f.Quality, ImpressionType: whorlv1.ImpressionType_IMPRESSION_TYPE_LATENT_TRACING}
	for i, m := range f.Minutiae {
		if m.X == nil || m.Y == nil || m.Direction == nil {
			return nil, fmt.Errorf("minutia %d: x, y and direction are required", i)
		}
		kind, ok := minutiaKinds[strings.ToLower(m.Kind)]
		if !ok {
			return nil, fmt.Errorf("minutia %d: kind %q is not ending, bifurcation or other", i, m.Kind)
		}
		t.X, t.Y, t.Direction = append(t.X, *m.X), append(t.Y, *m.Y), append(t.Direction, *m.Direction)
		t.Kinds, t.Qualities = append(t.Kinds, kind), append(t.Qualities, m.Quality)
	}
	if _, err := minutiae.TemplateFromProto(t); err != nil {
		return nil, err
	}
	return t, nil
}

var minutiaKinds = map[string]whorlv1.MinutiaKind{
	"": whorlv1.MinutiaKind_MINUTIA_KIND_UNSPECIFIED, "other": whorlv1.MinutiaKind_MINUTIA_KIND_UNSPECIFIED,
	"minutia_kind_unspecified": whorlv1.MinutiaKind_MINUTIA_KIND_UNSPECIFIED,
	"ending":                   whorlv1.MinutiaKind_MINUTIA_KIND_ENDING, "minutia_kind_ending": whorlv1.MinutiaKind_MINUTIA_KIND_ENDING,
	"bifurcation": whorlv1.MinutiaKind_MINUTIA_KIND_BIFURCATION, "minutia_kind_bifurcation": whorlv1.MinutiaKind_MINUTIA_KIND_BIFURCATION,
}

// latentCandidateJSON is one candidate of `whorl latent search --json`.
type latentCandidateJSON struct {
	Subject  string  `json:"subject"`
	Position int     `json:"position"`
	Score    float64 `json:"score"`
	FMR      float64 `json:"fmr"`
	Pairs    int     `json:"pairs"`
}

func runLatentSearch(args []string, stdout, stderr io.Writer) int {
	var p probeFlags
	var top int
	return clientCommand("latent search", "IMAGE | --minutiae FILE", args, stderr, func(fs *flag.FlagSet) {
		p.register(fs)
		fs.IntVar(&top, "top", 10, "candidates to return (1-100)")
	}, 0, 1, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, args []string) error {
		probe, err := p.probe(args)
		if err != nil {
			return err
		}
		if top < 1 || top > 100 {
			return fmt.Errorf("--top %d: 1 to 100", top)
		}
		resp, err := whorlv1.NewLatentServiceClient(conn).SearchLatent(ctx, &whorlv1.SearchLatentRequest{Probe: probe, Top: uint32(top)})
		if err != nil {
			return err
		}
		out := []latentCandidateJSON{}
		for _, cand := range resp.Candidates {
			out = append(out, latentCandidateJSON{cand.SubjectId, int(cand.Position), cand.Score, cand.Fmr, len(cand.Pairs)})
		}
		if c.json {
			return writeJSON(stdout, map[string]any{"minutiae": len(resp.Template.GetX()), "candidates": out})
		}
		fmt.Fprintf(stdout, "latent of %d minutiae\n", len(resp.Template.GetX()))
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RANK\tSUBJECT\tFINGER\tSCORE\tEST. FMR\tPAIRS")
		for i, o := range out {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%.1f\t%.2g\t%d\n", i+1, o.Subject, o.Position, o.Score, o.FMR, o.Pairs)
		}
		return tw.Flush()
	})
}

func runLatentRegister(args []string, stdout, stderr io.Writer) int {
	var p probeFlags
	var id, caseID, notes, requestID string
	return clientCommand("latent register", "[--id ID] [--case ID] [--notes TEXT] IMAGE | --minutiae FILE", args, stderr, func(fs *flag.FlagSet) {
		p.register(fs)
		fs.StringVar(&id, "id", "", "the latent's id (default: the server assigns one)")
		fs.StringVar(&caseID, "case", "", "the case the latent belongs to")
		fs.StringVar(&notes, "notes", "", "the examiner's notes")
		fs.StringVar(&requestID, "request-id", "", "makes a registration without --id idempotent (default: one per run)")
	}, 0, 1, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, args []string) error {
		probe, err := p.probe(args)
		if err != nil {
			return err
		}
		if requestID == "" && id == "" {
			var b [16]byte
			rand.Read(b[:])
			requestID = hex.EncodeToString(b[:])
		}
		resp, err := whorlv1.NewLatentServiceClient(conn).RegisterLatent(ctx, &whorlv1.RegisterLatentRequest{
			RequestId: requestID, LatentId: id, CaseId: caseID, Notes: notes, Probe: probe,
		})
		if err != nil {
			return err
		}
		if c.json {
			return writeJSON(stdout, map[string]any{"latent": latentJSON(resp.Latent), "replayed": resp.Replayed})
		}
		verb := "registered"
		if resp.Replayed {
			verb = "already registered"
		}
		fmt.Fprintf(stdout, "%s latent %s (case %q): %d minutiae, unsolved\n", verb, resp.Latent.LatentId, resp.Latent.CaseId, len(resp.Latent.Template.GetX()))
		return nil
	})
}

func stateName(s whorlv1.LatentState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "LATENT_STATE_"))
}

func decisionName(d whorlv1.HitDecision) string {
	if d == whorlv1.HitDecision_HIT_DECISION_UNSPECIFIED {
		return "undecided"
	}
	return strings.ToLower(strings.TrimPrefix(d.String(), "HIT_DECISION_"))
}

func timeJSON(n int64) any {
	if n == 0 {
		return nil
	}
	return time.Unix(0, n).UTC()
}

func latentJSON(l *whorlv1.Latent) map[string]any {
	return map[string]any{
		"id": l.LatentId, "case": l.CaseId, "notes": l.Notes, "state": stateName(l.State),
		"minutiae": len(l.Template.GetX()), "positions": positionNumbers(l.Positions),
		"created": timeJSON(l.CreatedUnixNanos), "updated": timeJSON(l.UpdatedUnixNanos),
		"registered_by": l.RegisteredBy, "closed_by": l.ClosedBy, "close_note": l.CloseNote,
		"identified_subject": l.IdentifiedSubjectId, "identified_position": int(l.IdentifiedPosition),
	}
}

func hitJSON(h *whorlv1.LatentHit) map[string]any {
	return map[string]any{
		"hit": h.HitId, "latent": h.LatentId, "case": h.CaseId, "subject": h.SubjectId, "position": int(h.Position),
		"score": h.Score, "fmr": h.Fmr, "pairs": len(h.Pairs), "created": timeJSON(h.CreatedUnixNanos),
		"decision": decisionName(h.Decision), "note": h.DecisionNote, "decided_by": h.DecidedBy, "decided": timeJSON(h.DecidedUnixNanos),
	}
}

func runLatentGet(args []string, stdout, stderr io.Writer) int {
	return clientCommand("latent get", "ID", args, stderr, nil, 1, 1, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, args []string) error {
		resp, err := whorlv1.NewLatentServiceClient(conn).GetLatent(ctx, &whorlv1.GetLatentRequest{LatentId: args[0]})
		if err != nil {
			return err
		}
		if c.json {
			return writeJSON(stdout, latentJSON(resp.Latent))
		}
		l := resp.Latent
		fmt.Fprintf(stdout, "latent %s, case %q, %s, %d minutiae, registered %s by %s\n", l.LatentId, l.CaseId, stateName(l.State),
			len(l.Template.GetX()), time.Unix(0, l.CreatedUnixNanos).UTC().Format(time.RFC3339), l.RegisteredBy)
		if l.IdentifiedSubjectId != "" {
			fmt.Fprintf(stdout, "identified: subject %s finger %d, by %s\n", l.IdentifiedSubjectId, l.IdentifiedPosition, l.ClosedBy)
		}
		return nil
	})
}

func runLatentList(args []string, stdout, stderr io.Writer) int {
	var all bool
	var pageSize int
	var pageToken string
	return clientCommand("latent list", "", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&all, "all", false, "list identified and retired latents too")
		fs.IntVar(&pageSize, "page-size", 100, "latents per page (1-1000)")
		fs.StringVar(&pageToken, "page-token", "", "the next-page token a previous list printed")
	}, 0, 0, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, _ []string) error {
		if pageSize < 1 || pageSize > 1000 {
			return fmt.Errorf("--page-size %d: 1 to 1000", pageSize)
		}
		resp, err := whorlv1.NewLatentServiceClient(conn).ListLatents(ctx, &whorlv1.ListLatentsRequest{All: all, PageSize: uint32(pageSize), PageToken: pageToken})
		if err != nil {
			return err
		}
		if c.json {
			ls := []map[string]any{}
			for _, l := range resp.Latents {
				ls = append(ls, latentJSON(l))
			}
			return writeJSON(stdout, map[string]any{"latents": ls, "next_page_token": resp.NextPageToken})
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "LATENT\tCASE\tSTATE\tPOSITIONS\tREGISTERED")
		for _, l := range resp.Latents {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\n", l.LatentId, l.CaseId, stateName(l.State), positionNumbers(l.Positions), time.Unix(0, l.CreatedUnixNanos).UTC().Format(time.RFC3339))
		}
		tw.Flush()
		if resp.NextPageToken != "" {
			fmt.Fprintf(stdout, "more: --page-token %s\n", resp.NextPageToken)
		}
		return nil
	})
}

func runLatentRetire(args []string, stdout, stderr io.Writer) int {
	var note string
	return clientCommand("latent retire", "ID", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&note, "note", "", "why it is retired")
	}, 1, 1, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, args []string) error {
		resp, err := whorlv1.NewLatentServiceClient(conn).RetireLatent(ctx, &whorlv1.RetireLatentRequest{LatentId: args[0], Note: note})
		if err != nil {
			return err
		}
		if c.json {
			return writeJSON(stdout, latentJSON(resp.Latent))
		}
		fmt.Fprintf(stdout, "retired latent %s\n", resp.Latent.LatentId)
		return nil
	})
}

func printHitsTable(w io.Writer, hits []*whorlv1.LatentHit) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HIT\tLATENT\tCASE\tSUBJECT\tFINGER\tSCORE\tEST. FMR\tDECISION")
	for _, h := range hits {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%.1f\t%.2g\t%s\n", h.HitId, h.LatentId, h.CaseId, h.SubjectId, h.Position, h.Score, h.Fmr, decisionName(h.Decision))
	}
	return tw.Flush()
}

func runHitsList(args []string, stdout, stderr io.Writer) int {
	var latent, pageToken string
	var undecided bool
	var pageSize int
	return clientCommand("hits list", "", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&latent, "latent", "", "only this latent's hits")
		fs.BoolVar(&undecided, "undecided", false, "only hits with no decision yet")
		fs.IntVar(&pageSize, "page-size", 100, "hits per page (1-1000)")
		fs.StringVar(&pageToken, "page-token", "", "the next-page token a previous list printed")
	}, 0, 0, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, _ []string) error {
		if pageSize < 1 || pageSize > 1000 {
			return fmt.Errorf("--page-size %d: 1 to 1000", pageSize)
		}
		resp, err := whorlv1.NewLatentServiceClient(conn).ListHits(ctx, &whorlv1.ListHitsRequest{LatentId: latent, Undecided: undecided, PageSize: uint32(pageSize), PageToken: pageToken})
		if err != nil {
			return err
		}
		if c.json {
			hs := []map[string]any{}
			for _, h := range resp.Hits {
				hs = append(hs, hitJSON(h))
			}
			return writeJSON(stdout, map[string]any{"hits": hs, "next_page_token": resp.NextPageToken})
		}
		if err := printHitsTable(stdout, resp.Hits); err != nil {
			return err
		}
		if resp.NextPageToken != "" {
			fmt.Fprintf(stdout, "more: --page-token %s\n", resp.NextPageToken)
		}
		return nil
	})
}

// runHitsWatch prints hits as they are made until interrupted, --count
// hits have arrived, or --for has passed; --timeout does not apply. It says
// "watching" on stderr once the subscription is in place.
func runHitsWatch(args []string, stdout, stderr io.Writer) int {
	var count int
	var duration time.Duration
	return clientCommand("hits watch", "", args, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&count, "count", 0, "stop after this many hits (0: never)")
		fs.DurationVar(&duration, "for", 0, "stop after this long (0: until interrupted)")
	}, 0, 0, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, _ []string) error {
		ctx, stop := signal.NotifyContext(context.WithoutCancel(ctx), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		if duration > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, duration)
			defer cancel()
		}
		stream, err := whorlv1.NewLatentServiceClient(conn).WatchLatentHits(ctx, &whorlv1.WatchLatentHitsRequest{})
		if err != nil {
			return err
		}
		for n := 0; count == 0 || n < count; {
			m, err := stream.Recv()
			if ctx.Err() != nil {
				return nil // interrupted, or --for passed
			}
			if err != nil {
				return err
			}
			if m.Hit == nil {
				fmt.Fprintln(stderr, "whorl hits watch: watching")
				continue
			}
			n++
			if c.json {
				b, err := json.Marshal(hitJSON(m.Hit))
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "%s\n", b) // one JSON object a line
			} else {
				fmt.Fprintf(stdout, "hit %s: latent %s (case %q) and subject %s finger %d, score %.1f, est. FMR %.2g\n",
					m.Hit.HitId, m.Hit.LatentId, m.Hit.CaseId, m.Hit.SubjectId, m.Hit.Position, m.Hit.Score, m.Hit.Fmr)
			}
		}
		return nil
	})
}

var decisions = map[string]whorlv1.HitDecision{
	"identified":   whorlv1.HitDecision_HIT_DECISION_IDENTIFIED,
	"excluded":     whorlv1.HitDecision_HIT_DECISION_EXCLUDED,
	"inconclusive": whorlv1.HitDecision_HIT_DECISION_INCONCLUSIVE,
}

func runHitsDecide(args []string, stdout, stderr io.Writer) int {
	var note string
	return clientCommand("hits decide", "HIT identified|excluded|inconclusive", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&note, "note", "", "the examiner's note")
	}, 2, 2, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, args []string) error {
		d, ok := decisions[args[1]]
		if !ok {
			return fmt.Errorf("decision %q: identified, excluded or inconclusive", args[1])
		}
		resp, err := whorlv1.NewLatentServiceClient(conn).DecideHit(ctx, &whorlv1.DecideHitRequest{HitId: args[0], Decision: d, Note: note})
		if err != nil {
			return err
		}
		if c.json {
			return writeJSON(stdout, map[string]any{"hit": hitJSON(resp.Hit), "latent": latentJSON(resp.Latent)})
		}
		fmt.Fprintf(stdout, "hit %s: %s; latent %s is %s\n", resp.Hit.HitId, decisionName(resp.Hit.Decision), resp.Latent.LatentId, stateName(resp.Latent.State))
		return nil
	})
}
