package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
	"github.com/whorlafis/whorl/store"
)

// runAudit: `whorl audit query` asks a running server (auditor role);
// `whorl audit verify` checks the hash chain of a stopped server's store.
func runAudit(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "query" {
		return runAuditQuery(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "verify" {
		return runAuditVerify(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, "usage: whorl audit query [flags]    the audit trail, filtered (auditor role)\n       whorl audit verify [--data DIR]  check the trail's hash chain (server stopped)\n")
	return 2
}

func runAuditQuery(args []string, stdout, stderr io.Writer) int {
	var from, to, station, subject, method, person, pageToken string
	var pageSize int
	return clientCommand("audit query", "", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&from, "from", "", "records at or after this time (RFC 3339)")
		fs.StringVar(&to, "to", "", "records before this time (RFC 3339)")
		fs.StringVar(&station, "station", "", "records of this station (certificate name)")
		fs.StringVar(&subject, "subject", "", "records touching this subject id")
		fs.StringVar(&person, "person", "", "records of this person (the name the person token gave)")
		fs.StringVar(&method, "method", "", "records of this method (e.g. /whorl.v1.GalleryService/Enroll)")
		fs.IntVar(&pageSize, "page-size", 100, "records per page (1-1000)")
		fs.StringVar(&pageToken, "page-token", "", "the next-page token a previous query printed")
	}, 0, 0, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, _ []string) error {
		req := &whorlv1.QueryAuditRequest{Station: station, SubjectId: subject, Method: method, Person: person, PageSize: uint32(pageSize), PageToken: pageToken}
		for _, t := range []struct {
			flag, value string
			dst         *int64
		}{{"--from", from, &req.FromUnixNanos}, {"--to", to, &req.ToUnixNanos}} {
			if t.value == "" {
				continue
			}
			tm, err := time.Parse(time.RFC3339, t.value)
			if err != nil {
				return fmt.Errorf("%s: %w", t.flag, err)
			}
			*t.dst = tm.UnixNano()
		}
		resp, err := whorlv1.NewAuditServiceClient(conn).QueryAudit(ctx, req)
		if err != nil {
			return err
		}
		if c.json {
			recs := []map[string]any{}
			for _, r := range resp.Records {
				recs = append(recs, map[string]any{"seq": r.Seq, "time": time.Unix(0, r.TimeUnixNanos).UTC(), "station": r.Station, "role": r.Role, "person": r.Person,
					"method": r.Method, "subjects": r.SubjectIds, "candidates": r.CandidateIds, "latents": r.LatentIds, "code": codes.Code(r.Code).String()})
			}
			return writeJSON(stdout, map[string]any{"records": recs, "next_page_token": resp.NextPageToken})
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tTIME\tSTATION\tPERSON\tROLE\tMETHOD\tSUBJECTS\tCANDIDATES\tCODE")
		for _, r := range resp.Records {
			p := r.Person
			if p == "" {
				p = "-"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%v\t%d\t%s\n", r.Seq, time.Unix(0, r.TimeUnixNanos).UTC().Format(time.RFC3339), r.Station, p, r.Role,
				r.Method, r.SubjectIds, len(r.CandidateIds), codes.Code(r.Code))
		}
		tw.Flush()
		if resp.NextPageToken != "" {
			fmt.Fprintf(stdout, "more: --page-token %s\n", resp.NextPageToken)
		}
		return nil
	})
}

func runAuditVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", defaultData, "data directory of the installation (its server stopped)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return 2
	}
	st, err := store.Open(storeDir(*data), store.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "whorl audit verify: %v (is the server still running? stop it first)\n", err)
		return 1
	}
	defer st.Close()
	rep, err := st.VerifyAudit(context.Background())
	if err != nil {
		fmt.Fprintln(stderr, "whorl audit verify:", err)
		return 1
	}
	if *jsonOut {
		if code := printJSON(stdout, map[string]any{"records": rep.Records, "intact": rep.Problem == "", "first_bad": rep.FirstBad, "problem": rep.Problem}); code != 0 {
			return code
		}
	} else if rep.Problem == "" {
		fmt.Fprintf(stdout, "audit trail intact: %d records\n", rep.Records)
	} else {
		fmt.Fprintf(stdout, "audit trail BROKEN at record %d: %s\n", rep.FirstBad, rep.Problem)
	}
	if rep.Problem != "" {
		return 1
	}
	return 0
}
