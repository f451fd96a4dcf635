package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/status"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// enrollFolder enrols every regular file of a folder as a subject named
// after the file (without its extension), one finger of unknown position
// each, showing progress on stderr. The request id is a digest of the
// subject and the file, so running the command again after an
// interruption enrols nothing twice.
func enrollFolder(c *clientFlags, dir string, stdout, stderr io.Writer) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintln(stderr, "whorl enroll:", err)
		return 1
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			files = append(files, e.Name())
		}
	}
	slices.Sort(files)
	if len(files) == 0 {
		fmt.Fprintf(stderr, "whorl enroll: %s holds no files\n", dir)
		return 1
	}
	conn, err := c.dial()
	if err != nil {
		return fail(stderr, "enroll", err)
	}
	defer conn.Close()
	gallery := whorlv1.NewGalleryServiceClient(conn)
	bar := newProgressBar(stderr, len(files))
	type failure struct {
		File  string `json:"file"`
		Error string `json:"error"`
	}
	var failed []failure
	enrolled := 0
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			subject := strings.TrimSuffix(name, filepath.Ext(name))
			// The request id names this subject with this file's content.
			digest := sha256.Sum256(append([]byte(subject+"\x00"), data...))
			ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
			_, err = gallery.Enroll(ctx, &whorlv1.EnrollRequest{
				SubjectId: subject,
				RequestId: hex.EncodeToString(digest[:16]),
				Fingers:   []*whorlv1.Finger{{Source: &whorlv1.Finger_Image{Image: &whorlv1.Image{Data: data}}}},
			})
			cancel()
		}
		if err != nil {
			msg := err.Error()
			if st, ok := status.FromError(err); ok {
				msg = st.Code().String() + ": " + st.Message()
			}
			failed = append(failed, failure{name, msg})
		} else {
			enrolled++
		}
		bar.add()
	}
	bar.done()
	if c.json {
		if code := printJSON(stdout, map[string]any{"enrolled": enrolled, "failed": failed}); code != 0 {
			return code
		}
	} else {
		fmt.Fprintf(stdout, "enrolled %d of %d files from %s\n", enrolled, len(files), dir)
		for _, f := range failed {
			fmt.Fprintf(stdout, "  %s: %s\n", f.File, f.Error)
		}
	}
	if len(failed) > 0 {
		return 1
	}
	return 0
}

// progressBar is a one-line progress indicator, redrawn at most ten times
// a second.
type progressBar struct {
	w           io.Writer
	total, n    int
	start, last time.Time
}

func newProgressBar(w io.Writer, total int) *progressBar {
	return &progressBar{w: w, total: total, start: time.Now()}
}

func (p *progressBar) add() {
	p.n++
	if time.Since(p.last) >= 100*time.Millisecond || p.n == p.total {
		p.last = time.Now()
		const width = 30
		filled := width * p.n / p.total
		fmt.Fprintf(p.w, "\renrolling [%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.n, p.total)
	}
}

func (p *progressBar) done() {
	fmt.Fprintf(p.w, " in %.1f s\n", time.Since(p.start).Seconds())
}
