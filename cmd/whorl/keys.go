package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

const keysUsage = `usage: whorl keys rotate [--wait] [--reseal-only] [flags]   make a new data key; re-seal in the background
       whorl keys status [--json] [flags]                   records per data key, re-seal progress
       whorl keys retire [flags] ID                         delete a data key nothing uses any more
`

// runKeys dispatches `whorl keys rotate|status|retire` (admin role).
func runKeys(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "rotate":
			return runKeysRotate(args[1:], stdout, stderr)
		case "status":
			return runKeysStatus(args[1:], stdout, stderr)
		case "retire":
			return runKeysRetire(args[1:], stdout, stderr)
		}
	}
	fmt.Fprint(stderr, keysUsage)
	return 2
}

func runKeysRotate(args []string, stdout, stderr io.Writer) int {
	var wait, resealOnly bool
	var poll time.Duration
	return clientCommand("keys rotate", "", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&wait, "wait", false, "wait until the re-seal has finished, polling the key status")
		fs.DurationVar(&poll, "poll", time.Second, "how often --wait asks")
		fs.BoolVar(&resealOnly, "reseal-only", false, "make no new key: resume re-sealing records under older keys (after a restart interrupted it)")
	}, 0, 0, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, _ []string) error {
		if poll <= 0 {
			return fmt.Errorf("--poll %s: must be positive", poll)
		}
		admin := whorlv1.NewAdminServiceClient(conn)
		resp, err := admin.RotateKeys(ctx, &whorlv1.RotateKeysRequest{ResealOnly: resealOnly})
		if err != nil {
			return err
		}
		if !wait {
			if c.json {
				return writeJSON(stdout, map[string]any{"key_id": resp.KeyId})
			}
			fmt.Fprintf(stdout, "current data key: %d; re-sealing older records in the background (whorl keys status)\n", resp.KeyId)
			return nil
		}
		st, err := waitReseal(ctx, admin, poll)
		if err != nil {
			return err
		}
		if c.json {
			return writeJSON(stdout, keyStatusJSON(st))
		}
		fmt.Fprintf(stdout, "current data key: %d; re-seal finished (%d records re-sealed)\n", st.CurrentKeyId, st.Resealed)
		if st.ResealFailed > 0 {
			return fmt.Errorf("%d records could not be re-sealed; the last: %s", st.ResealFailed, st.ResealError)
		}
		return nil
	})
}

// waitReseal polls the key status until no re-seal runs.
func waitReseal(ctx context.Context, admin whorlv1.AdminServiceClient, poll time.Duration) (*whorlv1.KeyStatusResponse, error) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		st, err := admin.KeyStatus(ctx, &whorlv1.KeyStatusRequest{})
		if err != nil {
			return nil, err
		}
		if !st.Resealing {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("still re-sealing (%d records so far): %w", st.Resealed, ctx.Err())
		case <-t.C:
		}
	}
}

func keyStatusJSON(st *whorlv1.KeyStatusResponse) map[string]any {
	keys := []map[string]any{}
	for _, k := range st.Keys {
		keys = append(keys, map[string]any{"key_id": k.KeyId, "records": k.Records, "current": k.Current, "held": k.Held})
	}
	return map[string]any{
		"current_key_id": st.CurrentKeyId, "keys": keys, "resealing": st.Resealing, "resealed": st.Resealed,
		"reseal_failed": st.ResealFailed, "reseal_error": st.ResealError, "rotatable": st.Rotatable,
	}
}

func runKeysStatus(args []string, stdout, stderr io.Writer) int {
	return clientCommand("keys status", "", args, stderr, nil, 0, 0, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, _ []string) error {
		st, err := whorlv1.NewAdminServiceClient(conn).KeyStatus(ctx, &whorlv1.KeyStatusRequest{})
		if err != nil {
			return err
		}
		if c.json {
			return writeJSON(stdout, keyStatusJSON(st))
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tRECORDS\tSTATE")
		for _, k := range st.Keys {
			state := "older: retire once at 0 records"
			switch {
			case !k.Held:
				state = "MISSING: records name this key but the server does not hold it"
			case k.Current:
				state = "current"
			}
			fmt.Fprintf(tw, "%d\t%d\t%s\n", k.KeyId, k.Records, state)
		}
		tw.Flush()
		switch {
		case st.Resealing:
			fmt.Fprintf(stdout, "re-seal running: %d records re-sealed so far\n", st.Resealed)
		case st.Resealed > 0:
			fmt.Fprintf(stdout, "re-seal finished: %d records re-sealed\n", st.Resealed)
		}
		if st.ResealFailed > 0 {
			fmt.Fprintf(stdout, "re-seal could not open %d records; the last: %s\n", st.ResealFailed, st.ResealError)
		}
		if !st.Rotatable {
			fmt.Fprintln(stdout, "the data key is an operator's single key file: to rotate, serve with --data-key-file pointing at a key directory")
		}
		return nil
	})
}

func runKeysRetire(args []string, stdout, stderr io.Writer) int {
	return clientCommand("keys retire", "ID", args, stderr, nil, 1, 1, func(ctx context.Context, conn *grpc.ClientConn, c *clientFlags, args []string) error {
		id, err := strconv.ParseUint(args[0], 10, 32)
		if err != nil || id == 0 {
			return fmt.Errorf("key id %q: want a number from 1 (whorl keys status lists them)", args[0])
		}
		if _, err := whorlv1.NewAdminServiceClient(conn).RetireKey(ctx, &whorlv1.RetireKeyRequest{KeyId: uint32(id)}); err != nil {
			return err
		}
		if c.json {
			return writeJSON(stdout, map[string]any{"retired": id})
		}
		fmt.Fprintf(stdout, "data key %d retired (its file is deleted; backups made while records were sealed under it need a copy kept elsewhere)\n", id)
		return nil
	})
}
