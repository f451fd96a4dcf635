package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/whorlafis/whorl/minutiae/ansinist"
	"github.com/whorlafis/whorl/pki"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
	"github.com/whorlafis/whorl/server"
)

// clientFlags are the flags every client subcommand has.
type clientFlags struct {
	server, data string
	cert, key    string
	json         bool
	insecure     bool
	timeout      time.Duration
	personToken  string // file holding the person token
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.server, "server", defaultListen, "server address")
	fs.StringVar(&c.data, "data", defaultData, "data directory whose TLS credentials (tls/admin.pem) identify this client")
	fs.BoolVar(&c.json, "json", false, "print JSON for scripts")
	fs.DurationVar(&c.timeout, "timeout", 5*time.Minute, "give up after this long")
	fs.StringVar(&c.cert, "cert", "", "client certificate (default: the administrator's, DIR/tls/admin.pem)")
	fs.StringVar(&c.key, "key", "", "its private key (default: DIR/tls/admin-key.pem)")
	fs.BoolVar(&c.insecure, "insecure", false, "talk to a server started with --insecure (no TLS; loopback only)")
	fs.StringVar(&c.personToken, "person-token", "", "file holding the person's token (an OIDC JWT), sent with every call as \"authorization: Bearer\" (default: the token in $"+personTokenEnv+", if set)")
}

// personTokenEnv holds the person token itself when --person-token is not
// given.
const personTokenEnv = "WHORL_PERSON_TOKEN"

// personTokenValue reads the person token: from --person-token's file,
// else from the environment; "" for none.
func (c *clientFlags) personTokenValue() (string, error) {
	if c.personToken == "" {
		return strings.TrimSpace(os.Getenv(personTokenEnv)), nil
	}
	data, err := os.ReadFile(c.personToken)
	if err != nil {
		return "", fmt.Errorf("--person-token: %w", err)
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", fmt.Errorf("--person-token: %s is empty", c.personToken)
	}
	return tok, nil
}

// bearer sends the person token with every call. It requires transport
// security, so gRPC never sends it over a connection without TLS.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return true }

// dial connects with the client certificate from the data directory,
// trusting only the installation's CA.
func (c *clientFlags) dial() (*grpc.ClientConn, error) {
	opts := grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(server.MaxMessageBytes), grpc.MaxCallRecvMsgSize(server.MaxMessageBytes))
	token, err := c.personTokenValue()
	if err != nil {
		return nil, err
	}
	if c.insecure {
		if token != "" {
			return nil, fmt.Errorf("a person token is sent only over TLS, not with --insecure (unset $%s)", personTokenEnv)
		}
		host, _, err := net.SplitHostPort(c.server)
		if err != nil || !isLoopback(host) {
			return nil, fmt.Errorf("--insecure talks only to a loopback address, not %q", c.server)
		}
		return grpc.NewClient(c.server, grpc.WithTransportCredentials(insecure.NewCredentials()), opts)
	}
	certPath, keyPath := filepath.Join(tlsDir(c.data), pki.AdminFile), filepath.Join(tlsDir(c.data), pki.AdminKeyFile)
	if c.cert != "" || c.key != "" {
		if c.cert == "" || c.key == "" {
			return nil, fmt.Errorf("--cert and --key go together")
		}
		certPath, keyPath = c.cert, c.key
	}
	cfg, err := pki.ClientTLSFrom(tlsDir(c.data), certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("client credentials (is --data the server's data directory?): %w", err)
	}
	host, _, err := net.SplitHostPort(c.server)
	if err != nil {
		return nil, fmt.Errorf("--server %q: %w", c.server, err)
	}
	cfg.ServerName = host
	dialOpts := []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(cfg)), opts}
	if token != "" {
		dialOpts = append(dialOpts, grpc.WithPerRPCCredentials(bearer(token)))
	}
	return grpc.NewClient(c.server, dialOpts...)
}

// fail prints an RPC error readably and returns exit code 1.
func fail(stderr io.Writer, what string, err error) int {
	if st, ok := status.FromError(err); ok {
		fmt.Fprintf(stderr, "whorl %s: %s: %s\n", what, st.Code(), st.Message())
	} else {
		fmt.Fprintf(stderr, "whorl %s: %v\n", what, err)
	}
	return 1
}

// parsePositions reads --position: empty, one code, or a comma list with
// one code per file.
func parsePositions(s string, files int) ([]whorlv1.FingerPosition, error) {
	out := make([]whorlv1.FingerPosition, files)
	if s == "" {
		return out, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != files {
		return nil, fmt.Errorf("--position %q gives %d positions for %d files", s, len(parts), files)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 || n > 10 {
			return nil, fmt.Errorf("--position %q: finger positions are 0 (unknown) to 10", p)
		}
		out[i] = whorlv1.FingerPosition(n)
	}
	return out, nil
}

// readFingers reads image files as fingers with the given positions.
func readFingers(files []string, positions []whorlv1.FingerPosition) ([]*whorlv1.Finger, error) {
	var fingers []*whorlv1.Finger
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		fingers = append(fingers, &whorlv1.Finger{Position: positions[i], Source: &whorlv1.Finger_Image{Image: &whorlv1.Image{Data: data}}})
	}
	return fingers, nil
}

func runEnroll(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c clientFlags
	c.register(fs)
	subject := fs.String("subject", "", "the subject's id (required)")
	position := fs.String("position", "", "finger position of each file, a comma list with one code 0-10 per file (default unknown; not used with a transaction, which states its own)")
	requestID := fs.String("request-id", "", "makes the enrolment idempotent: a retry with the same id enrols once (default: one per run)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: whorl enroll [flags] --subject ID FILE...\n       whorl enroll [flags] FOLDER\n\nOne image file per finger, or one ANSI/NIST-ITL transaction carrying the positions.\nA folder without --subject enrols each file in it as a subject named after the file.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return 2
	}
	if *subject == "" && fs.NArg() == 1 {
		if st, err := os.Stat(fs.Arg(0)); err == nil && st.IsDir() {
			return enrollFolder(&c, fs.Arg(0), stdout, stderr)
		}
	}
	if *subject == "" || fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	req := &whorlv1.EnrollRequest{SubjectId: *subject, RequestId: *requestID}
	if req.RequestId == "" {
		// One per run, within the server's 128 bytes whatever the id.
		var b [16]byte
		rand.Read(b[:])
		req.RequestId = hex.EncodeToString(b[:])
	}
	if fs.NArg() == 1 {
		if data, err := os.ReadFile(fs.Arg(0)); err == nil {
			if _, err := ansinist.Read(data); err == nil {
				req.AnsiNist = data
			}
		}
	}
	if req.AnsiNist == nil {
		positions, err := parsePositions(*position, fs.NArg())
		if err != nil {
			fmt.Fprintln(stderr, "whorl enroll:", err)
			return 2
		}
		if req.Fingers, err = readFingers(fs.Args(), positions); err != nil {
			fmt.Fprintln(stderr, "whorl enroll:", err)
			return 1
		}
	}
	conn, err := c.dial()
	if err != nil {
		return fail(stderr, "enroll", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	resp, err := whorlv1.NewGalleryServiceClient(conn).Enroll(ctx, req)
	if err != nil {
		return fail(stderr, "enroll", err)
	}
	if c.json {
		return printJSON(stdout, map[string]any{"subject": resp.SubjectId, "fingers": positionNumbers(resp.Fingers), "replaced": resp.Replaced, "replayed": resp.Replayed})
	}
	verb := "enrolled"
	if resp.Replaced {
		verb = "replaced"
	}
	fmt.Fprintf(stdout, "%s %s: %d finger(s) %v\n", verb, resp.SubjectId, len(resp.Fingers), positionNumbers(resp.Fingers))
	return 0
}

func positionNumbers(ps []whorlv1.FingerPosition) []int {
	out := make([]int, len(ps))
	for i, p := range ps {
		out[i] = int(p)
	}
	return out
}

// identifyOutput is `whorl identify --json`: candidates best first.
type identifyOutput struct {
	Candidates []identifyCandidate `json:"candidates"`
}

type identifyCandidate struct {
	Subject string           `json:"subject"`
	Score   float64          `json:"score"`
	FMR     float64          `json:"fmr"`
	Fingers []identifyFinger `json:"fingers"`
}

type identifyFinger struct {
	Probe    int     `json:"probe"`
	Position int     `json:"position"`
	Score    float64 `json:"score"`
	FMR      float64 `json:"fmr"`
	Pairs    int     `json:"pairs"`
}

func runIdentify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("identify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c clientFlags
	c.register(fs)
	top := fs.Int("top", 10, "candidates to return (1-100)")
	position := fs.String("position", "", "finger position of each file, a comma list with one code 0-10 per file (default unknown)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: whorl identify [flags] FILE...\n\nThe files are one person's fingers, one image each.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return 2
	}
	if fs.NArg() == 0 || *top < 1 || *top > 100 {
		fs.Usage()
		return 2
	}
	positions, err := parsePositions(*position, fs.NArg())
	if err != nil {
		fmt.Fprintln(stderr, "whorl identify:", err)
		return 2
	}
	fingers, err := readFingers(fs.Args(), positions)
	if err != nil {
		fmt.Fprintln(stderr, "whorl identify:", err)
		return 1
	}
	conn, err := c.dial()
	if err != nil {
		return fail(stderr, "identify", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	resp, err := whorlv1.NewSearchServiceClient(conn).Identify(ctx, &whorlv1.IdentifyRequest{Fingers: fingers, Top: uint32(*top)})
	if err != nil {
		return fail(stderr, "identify", err)
	}
	out := identifyOutput{Candidates: []identifyCandidate{}}
	for _, cand := range resp.Candidates {
		ic := identifyCandidate{Subject: cand.SubjectId, Score: cand.Score, FMR: cand.Fmr, Fingers: []identifyFinger{}}
		for _, f := range cand.Fingers {
			ic.Fingers = append(ic.Fingers, identifyFinger{Probe: int(f.ProbeIndex), Position: int(f.Position), Score: f.Score, FMR: f.Fmr, Pairs: len(f.Pairs)})
		}
		out.Candidates = append(out.Candidates, ic)
	}
	if c.json {
		return printJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tSUBJECT\tSCORE\tEST. FMR\tFINGERS")
	for i, ic := range out.Candidates {
		fmt.Fprintf(tw, "%d\t%s\t%.1f\t%.2g\t%d\n", i+1, ic.Subject, ic.Score, ic.FMR, len(ic.Fingers))
	}
	tw.Flush()
	return 0
}

// printJSON writes v indented; a value JSON cannot hold (NaN) is an error.
func printJSON(w io.Writer, v any) int {
	if err := writeJSON(w, v); err != nil {
		fmt.Fprintln(os.Stderr, "whorl:", err)
		return 1
	}
	return 0
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
