package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/whorlafis/whorl/minutiae"
	"github.com/whorlafis/whorl/minutiae/chart"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// chartOutput is `whorl chart --json`: the comparison and the pairs with
// both minutiae, in template coordinates (pixels at 500 ppi), so that any
// client can draw the chart itself.
type chartOutput struct {
	Probe     string      `json:"probe"`
	Candidate string      `json:"candidate"`
	Score     float64     `json:"score"`
	FMR       float64     `json:"fmr"`
	Out       string      `json:"out,omitempty"`
	Pairs     []chartPair `json:"pairs"`
}

type chartPair struct {
	Number    int          `json:"number"`
	Probe     chartMinutia `json:"probe"`
	Candidate chartMinutia `json:"candidate"`
}

type chartMinutia struct {
	Index     int     `json:"index"`
	X         float32 `json:"x"`
	Y         float32 `json:"y"`
	Direction float32 `json:"direction"`
	Kind      string  `json:"kind"`
}

func runChart(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c clientFlags
	c.register(fs)
	out := fs.String("out", "", "the PNG to write (required unless --json)")
	ppi := fs.Int("ppi", 0, "resolution of both images when their files state none (0: 500)")
	probePPI := fs.Int("probe-ppi", 0, "resolution of the probe image when its file states none (default --ppi)")
	candPPI := fs.Int("candidate-ppi", 0, "resolution of the candidate image when its file states none (default --ppi)")
	height := fs.Int("height", 0, "panel height in pixels (default: the taller print at 500 ppi)")
	sameScale := fs.Bool("same-scale", false, "draw both prints at one scale instead of the same height")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: whorl chart [flags] --out CHART.png PROBE CANDIDATE\n\n"+
			"Compares two fingerprint images on the server and draws them side by side with\n"+
			"their minutiae, the matched pairs joined and numbered, and the score.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return 2
	}
	if fs.NArg() != 2 || (*out == "" && !c.json) {
		fs.Usage()
		return 2
	}
	if *probePPI == 0 {
		*probePPI = *ppi
	}
	if *candPPI == 0 {
		*candPPI = *ppi
	}
	if *height != 0 && (*height < chart.MinPanelHeight || *height > chart.MaxPanelHeight) {
		fmt.Fprintf(stderr, "whorl chart: --height %d: %d to %d\n", *height, chart.MinPanelHeight, chart.MaxPanelHeight)
		return 2
	}
	files := [2]string{fs.Arg(0), fs.Arg(1)}
	ppis := [2]int{*probePPI, *candPPI}
	var data [2][]byte
	var imgs [2]*minutiae.Image
	for i, f := range files {
		var err error
		if data[i], err = os.ReadFile(f); err != nil {
			fmt.Fprintln(stderr, "whorl chart:", err)
			return 1
		}
		// Decoded here as the server decodes it (the same rule, the same
		// resolution), so the template's coordinates fit these pixels.
		if imgs[i], err = minutiae.DecodeImage(data[i], float64(ppis[i])); err != nil {
			fmt.Fprintf(stderr, "whorl chart: %s: %v\n", f, err)
			return 1
		}
	}

	conn, err := c.dial()
	if err != nil {
		return fail(stderr, "chart", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	finger := func(i int) *whorlv1.Finger {
		return &whorlv1.Finger{Source: &whorlv1.Finger_Image{Image: &whorlv1.Image{Data: data[i], Ppi: uint32(ppis[i])}}}
	}
	resp, err := whorlv1.NewSearchServiceClient(conn).Compare(ctx, &whorlv1.CompareRequest{Probe: finger(0), Candidate: finger(1)})
	if err != nil {
		return fail(stderr, "chart", err)
	}

	var sides [2]chart.Side
	for i, pt := range []*whorlv1.Template{resp.ProbeTemplate, resp.CandidateTemplate} {
		t, err := minutiae.TemplateFromProto(pt)
		if err != nil {
			return fail(stderr, "chart", fmt.Errorf("the server's template of %s: %w", files[i], err))
		}
		if b := imgs[i].Gray.Bounds(); b.Dx() != t.Width || b.Dy() != t.Height {
			return fail(stderr, "chart", fmt.Errorf("%s decodes here to %d × %d at 500 ppi but the server's template is %d × %d: give both the same --probe-ppi/--candidate-ppi",
				files[i], b.Dx(), b.Dy(), t.Width, t.Height))
		}
		sides[i] = chart.Side{Image: imgs[i].Gray, Minutiae: t.Minutiae, Label: filepath.Base(files[i])}
	}
	res := chartOutput{Probe: files[0], Candidate: files[1], Score: resp.Score, FMR: resp.Fmr, Out: *out, Pairs: []chartPair{}}
	pairs := make([]chart.Pair, len(resp.Pairs))
	for k, p := range resp.Pairs {
		pairs[k] = chart.Pair{Probe: int(p.Probe), Candidate: int(p.Candidate)}
		if pairs[k].Probe >= len(sides[0].Minutiae) || pairs[k].Candidate >= len(sides[1].Minutiae) {
			return fail(stderr, "chart", fmt.Errorf("the server's pair %d (%d, %d) names a minutia its templates lack", k+1, p.Probe, p.Candidate))
		}
		res.Pairs = append(res.Pairs, chartPair{Number: k + 1,
			Probe:     minutiaOut(pairs[k].Probe, sides[0].Minutiae[pairs[k].Probe]),
			Candidate: minutiaOut(pairs[k].Candidate, sides[1].Minutiae[pairs[k].Candidate])})
	}

	if *out != "" {
		img := chart.Render(sides[0], sides[1], pairs, resp.Score, resp.Fmr, chart.Options{PanelHeight: *height, SameScale: *sameScale})
		if err := writePNG(*out, img); err != nil {
			fmt.Fprintln(stderr, "whorl chart:", err)
			return 1
		}
	}
	if c.json {
		return printJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "%s: score %.1f, estimated FMR %.2g, %d matched pairs\n", *out, resp.Score, resp.Fmr, len(pairs))
	return 0
}

func minutiaOut(i int, m minutiae.Minutia) chartMinutia {
	return chartMinutia{Index: i, X: m.X, Y: m.Y, Direction: m.Direction, Kind: m.Kind.String()}
}

// writePNG writes img to path, owner-only (a chart shows biometric
// images), and leaves no partial file behind.
func writePNG(path string, img image.Image) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}()
	return png.Encode(f, img)
}
