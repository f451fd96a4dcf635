package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// clientCommand parses a client subcommand's flags, connects, and runs
// call with a context bounded by --timeout.
func clientCommand(name, usage string, args []string, stderr io.Writer, extra func(fs *flag.FlagSet), minArgs, maxArgs int,
	call func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, args []string) error) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c clientFlags
	c.register(fs)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: whorl %s [flags] %s\n", name, usage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return 2
	}
	if fs.NArg() < minArgs || (maxArgs >= 0 && fs.NArg() > maxArgs) {
		fs.Usage()
		return 2
	}
	conn, err := c.dial()
	if err != nil {
		return fail(stderr, name, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if err := call(ctx, conn, &c, fs.Args()); err != nil {
		return fail(stderr, name, err)
	}
	return 0
}

func runGet(args []string, stdout, stderr io.Writer) int {
	return clientCommand("get", "SUBJECT", args, stderr, nil, 1, 1, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, args []string) error {
		resp, err := whorlv1.NewGalleryServiceClient(conn).GetSubject(ctx, &whorlv1.GetSubjectRequest{SubjectId: args[0]})
		if err != nil {
			return err
		}
		s := resp.Subject
		if c.json {
			fingers := []map[string]any{}
			for _, f := range s.Fingers {
				fingers = append(fingers, map[string]any{"position": int(f.FingerPosition), "minutiae": len(f.X), "width": f.Width, "height": f.Height})
			}
			return writeJSON(stdout, map[string]any{"subject": s.SubjectId, "created": time.Unix(0, s.CreatedUnixNanos).UTC(), "updated": time.Unix(0, s.UpdatedUnixNanos).UTC(), "fingers": fingers})
		}
		fmt.Fprintf(stdout, "subject %s, enrolled %s, updated %s\n", s.SubjectId, time.Unix(0, s.CreatedUnixNanos).UTC().Format(time.RFC3339), time.Unix(0, s.UpdatedUnixNanos).UTC().Format(time.RFC3339))
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "POSITION\tMINUTIAE\tSIZE")
		for _, f := range s.Fingers {
			fmt.Fprintf(tw, "%d\t%d\t%dx%d\n", f.FingerPosition, len(f.X), f.Width, f.Height)
		}
		return tw.Flush()
	})
}

func runList(args []string, stdout, stderr io.Writer) int {
	var pageSize int
	var pageToken string
	return clientCommand("list", "", args, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&pageSize, "page-size", 100, "subjects per page (1-1000)")
		fs.StringVar(&pageToken, "page-token", "", "the next-page token a previous list printed")
	}, 0, 0, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, _ []string) error {
		if pageSize < 1 || pageSize > 1000 {
			return fmt.Errorf("--page-size %d: 1 to 1000", pageSize)
		}
		resp, err := whorlv1.NewGalleryServiceClient(conn).ListSubjects(ctx, &whorlv1.ListSubjectsRequest{PageSize: uint32(pageSize), PageToken: pageToken})
		if err != nil {
			return err
		}
		if c.json {
			subjects := []map[string]any{}
			for _, s := range resp.Subjects {
				subjects = append(subjects, map[string]any{"subject": s.SubjectId, "fingers": positionNumbers(s.Fingers)})
			}
			return writeJSON(stdout, map[string]any{"subjects": subjects, "next_page_token": resp.NextPageToken})
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SUBJECT\tFINGERS")
		for _, s := range resp.Subjects {
			fmt.Fprintf(tw, "%s\t%v\n", s.SubjectId, positionNumbers(s.Fingers))
		}
		tw.Flush()
		if resp.NextPageToken != "" {
			fmt.Fprintf(stdout, "more: --page-token %s\n", resp.NextPageToken)
		}
		return nil
	})
}

func runDelete(args []string, stdout, stderr io.Writer) int {
	return clientCommand("delete", "SUBJECT", args, stderr, nil, 1, 1, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, args []string) error {
		if _, err := whorlv1.NewGalleryServiceClient(conn).DeleteSubject(ctx, &whorlv1.DeleteSubjectRequest{SubjectId: args[0]}); err != nil {
			return err
		}
		if c.json {
			return writeJSON(stdout, map[string]any{"deleted": args[0]})
		}
		fmt.Fprintf(stdout, "deleted %s\n", args[0])
		return nil
	})
}

func runVerify(args []string, stdout, stderr io.Writer) int {
	var subject string
	var fmr float64
	return clientCommand("verify", "--subject ID FILE", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&subject, "subject", "", "the enrolled subject to verify against (required)")
		fs.Float64Var(&fmr, "fmr", 1e-4, "false match rate to decide at")
	}, 1, 1, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, args []string) error {
		data, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		resp, err := whorlv1.NewSearchServiceClient(conn).Verify(ctx, &whorlv1.VerifyRequest{SubjectId: subject, Fmr: fmr,
			Finger: &whorlv1.Finger{Source: &whorlv1.Finger_Image{Image: &whorlv1.Image{Data: data}}}})
		if err != nil {
			return err
		}
		if c.json {
			return writeJSON(stdout, map[string]any{"subject": subject, "match": resp.Match, "score": resp.Score, "fmr": resp.Fmr, "threshold": resp.Threshold, "position": int(resp.Position)})
		}
		verdict := "NO MATCH"
		if resp.Match {
			verdict = "MATCH"
		}
		fmt.Fprintf(stdout, "%s: score %.1f (threshold %.1f at FMR %g), estimated FMR %.2g, finger %d\n", verdict, resp.Score, resp.Threshold, fmr, resp.Fmr, resp.Position)
		return nil
	})
}

func runCompare(args []string, stdout, stderr io.Writer) int {
	return clientCommand("compare", "PROBE CANDIDATE", args, stderr, nil, 2, 2, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, args []string) error {
		fingers, err := readFingers(args, make([]whorlv1.FingerPosition, 2))
		if err != nil {
			return err
		}
		resp, err := whorlv1.NewSearchServiceClient(conn).Compare(ctx, &whorlv1.CompareRequest{Probe: fingers[0], Candidate: fingers[1]})
		if err != nil {
			return err
		}
		if c.json {
			pairs := [][2]uint32{}
			for _, p := range resp.Pairs {
				pairs = append(pairs, [2]uint32{p.Probe, p.Candidate})
			}
			return writeJSON(stdout, map[string]any{"score": resp.Score, "fmr": resp.Fmr, "pairs": pairs})
		}
		fmt.Fprintf(stdout, "score %.1f, estimated FMR %.2g, %d matched minutiae\n", resp.Score, resp.Fmr, len(resp.Pairs))
		return nil
	})
}

func runExtract(args []string, stdout, stderr io.Writer) int {
	var ppi int
	return clientCommand("extract", "FILE", args, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&ppi, "ppi", 0, "resolution of an image whose file states none (0: 500)")
	}, 1, 1, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, args []string) error {
		data, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		resp, err := whorlv1.NewExtractionServiceClient(conn).Extract(ctx, &whorlv1.ExtractRequest{Image: &whorlv1.Image{Data: data, Ppi: uint32(ppi)}})
		if err != nil {
			return err
		}
		t := resp.Template
		if c.json {
			ms := []map[string]any{}
			for i := range t.X {
				ms = append(ms, map[string]any{"x": t.X[i], "y": t.Y[i], "direction": t.Direction[i], "kind": t.Kinds[i].String(), "quality": t.Qualities[i]})
			}
			return writeJSON(stdout, map[string]any{"width": t.Width, "height": t.Height, "quality": t.Quality, "minutiae": ms})
		}
		fmt.Fprintf(stdout, "%d minutiae, %dx%d at 500 ppi, quality %d\n", len(t.X), t.Width, t.Height, t.Quality)
		return nil
	})
}

func runBackup(args []string, stdout, stderr io.Writer) int {
	return clientCommand("backup", "NAME", args, stderr, nil, 1, 1, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, args []string) error {
		// NAME is relative to the server's backup directory, on its machine.
		resp, err := whorlv1.NewAdminServiceClient(conn).Backup(ctx, &whorlv1.BackupRequest{Directory: args[0]})
		if err != nil {
			return err
		}
		if c.json {
			return writeJSON(stdout, map[string]any{"directory": resp.Directory})
		}
		fmt.Fprintf(stdout, "backup written to %s (on the server's machine; restoring it needs the data keys, kept apart from backups)\n", resp.Directory)
		return nil
	})
}

// parseFlags parses args as fs.Parse does, but lets flags follow the
// arguments too, as the README writes them (`whorl hits decide 7
// identified --note "…"`): fs.Args() then holds the arguments, in order.
// A "--" ends the flags: everything after it is an argument.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}
