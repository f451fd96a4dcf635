package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/whorlafis/whorl/minutiae"
	"github.com/whorlafis/whorl/minutiae/ansinist"
	"github.com/whorlafis/whorl/minutiae/fmr"
)

// maxInspectSize bounds the files inspect reads: larger than any
// transaction a booking station sends.
const maxInspectSize = 256 << 20

// fileReport is what inspect says about one file; --json prints a list of
// them.
type fileReport struct {
	File  string `json:"file"`
	Kind  string `json:"kind"` // "image", "template", "transaction", or "unknown"
	Error string `json:"error,omitempty"`

	Image       *imageReport        `json:"image,omitempty"`
	Templates   []templateReport    `json:"templates,omitempty"`
	Records     []recordReport      `json:"records,omitempty"`
	Fingerprint []fingerprintReport `json:"fingerprints,omitempty"`
}

type imageReport struct {
	Format    string  `json:"format"`
	Width     int     `json:"width"` // at 500 ppi
	Height    int     `json:"height"`
	SourcePPI float64 `json:"source_ppi"`
	FilePPI   float64 `json:"file_ppi,omitempty"`
}

type templateReport struct {
	Format     string `json:"format"`
	Position   string `json:"finger_position"`
	Impression string `json:"impression"`
	Width      int    `json:"width"` // at 500 ppi
	Height     int    `json:"height"`
	Quality    int    `json:"quality"`
	Minutiae   int    `json:"minutiae"`
}

type recordReport struct {
	Type   int `json:"type"`
	IDC    int `json:"idc"`
	Length int `json:"length"`
}

type fingerprintReport struct {
	RecordType  int      `json:"record_type"`
	IDC         int      `json:"idc"`
	Positions   []string `json:"finger_positions"`
	Impression  string   `json:"impression"`
	Width       int      `json:"width"`
	Height      int      `json:"height"`
	PPI         float64  `json:"ppi"`
	Compression string   `json:"compression"`
	Decoded     string   `json:"decoded"` // "W×H at 500 ppi" or the decoding error
}

func runInspect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON for scripts")
	ppi := fs.Float64("ppi", 0, "resolution of images whose files state none (0: 500 ppi)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: whorl inspect [--json] [--ppi N] FILE...")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	var reports []fileReport
	failed := false
	for _, path := range fs.Args() {
		r := inspectFile(path, *ppi)
		if r.Error != "" {
			failed = true
		}
		reports = append(reports, r)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			fmt.Fprintln(stderr, "whorl inspect:", err)
			return 1
		}
	} else {
		printReports(stdout, reports)
	}
	if failed {
		return 1
	}
	return 0
}

func inspectFile(path string, ppi float64) fileReport {
	r := fileReport{File: path, Kind: "unknown"}
	data, err := readBounded(path)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	switch {
	case bytes.HasPrefix(data, []byte("FMR\x00")):
		r.Kind = "template"
		r.Templates, err = inspectTemplate(data)
	case bytes.HasPrefix(data, []byte("1.")):
		r.Kind = "transaction"
		err = inspectTransaction(data, &r)
	default:
		var im *minutiae.Image
		im, err = minutiae.DecodeImage(data, ppi)
		if errors.Is(err, minutiae.ErrUnknownImageFormat) {
			// Not an image: perhaps a native template.
			if t, nerr := minutiae.UnmarshalTemplate(data); nerr == nil {
				r.Kind, err = "template", nil
				r.Templates = []templateReport{summariseTemplate("native", t)}
				break
			}
		}
		if err == nil {
			r.Kind = "image"
			b := im.Gray.Bounds()
			r.Image = &imageReport{Format: im.Format, Width: b.Dx(), Height: b.Dy(), SourcePPI: im.SourcePPI, FilePPI: im.FilePPI}
		}
	}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxInspectSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxInspectSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxInspectSize)
	}
	return data, nil
}

func inspectTemplate(data []byte) ([]templateReport, error) {
	rec, err := fmr.Decode(data)
	if err != nil {
		return nil, err
	}
	var out []templateReport
	for i := range rec.Views {
		t, err := rec.Template(i)
		if err != nil {
			return out, fmt.Errorf("view %d: %w", i, err)
		}
		out = append(out, summariseTemplate(rec.Format.String(), t))
	}
	return out, nil
}

func summariseTemplate(format string, t minutiae.Template) templateReport {
	return templateReport{
		Format: format, Position: t.Position.String(), Impression: t.Impression.String(),
		Width: t.Width, Height: t.Height, Quality: int(t.Quality), Minutiae: len(t.Minutiae),
	}
}

func inspectTransaction(data []byte, r *fileReport) error {
	tx, err := ansinist.Read(data)
	if err != nil {
		return err
	}
	for _, rec := range tx.Records {
		r.Records = append(r.Records, recordReport{Type: rec.Type, IDC: rec.IDC, Length: rec.Length})
	}
	for _, f := range tx.Fingerprints() {
		fr := fingerprintReport{
			RecordType: f.RecordType, IDC: f.IDC, Impression: f.Impression.String(),
			Width: f.Width, Height: f.Height, PPI: f.PPI, Compression: f.Compression.String(),
		}
		for _, p := range f.Positions {
			fr.Positions = append(fr.Positions, p.String())
		}
		if im, err := f.Image(); err != nil {
			fr.Decoded = "error: " + err.Error()
		} else {
			b := im.Gray.Bounds()
			fr.Decoded = fmt.Sprintf("%d×%d at 500 ppi", b.Dx(), b.Dy())
		}
		r.Fingerprint = append(r.Fingerprint, fr)
	}
	return nil
}

func printReports(w io.Writer, reports []fileReport) {
	for _, r := range reports {
		fmt.Fprintf(w, "%s: %s\n", r.File, r.Kind)
		if r.Image != nil {
			fmt.Fprintf(w, "  %s image, %d×%d at 500 ppi (source %g ppi)\n", r.Image.Format, r.Image.Width, r.Image.Height, r.Image.SourcePPI)
		}
		for _, t := range r.Templates {
			fmt.Fprintf(w, "  %s: %s, %s, %d×%d, quality %d, %d minutiae\n",
				t.Format, t.Position, t.Impression, t.Width, t.Height, t.Quality, t.Minutiae)
		}
		if len(r.Records) > 0 {
			fmt.Fprint(w, "  records:")
			for _, rec := range r.Records {
				fmt.Fprintf(w, " Type-%d", rec.Type)
			}
			fmt.Fprintln(w)
		}
		for _, f := range r.Fingerprint {
			fmt.Fprintf(w, "  Type-%d IDC %d: %v, %s, %d×%d at %g ppi, %s; decoded %s\n",
				f.RecordType, f.IDC, f.Positions, f.Impression, f.Width, f.Height, f.PPI, f.Compression, f.Decoded)
		}
		if r.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", r.Error)
		}
	}
}
