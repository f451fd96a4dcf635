// Command benchmarks is Whorl's measurement harness:
//
//	go run ./benchmarks accuracy [flags] DIR...   EER, FMR100, FMR1000, ZeroFMR per FVC set
//	go run ./benchmarks calibrate [flags] DIR...  the matcher's score → FMR table from impostor scores
//	go run ./benchmarks speed [flags] DIR...      preparation time and comparisons per second on one core
//	go run ./benchmarks search [flags] DIR...     1:N identification over a gallery filled with synthetic distractors
//	go run ./benchmarks latent [flags] DIR...     simulated latents (images and markings) searched among synthetic distractors, and the reverse search
//	go run ./benchmarks load [flags]              a served process under concurrent clients: latency, throughput, overload, soak
//	go run ./benchmarks report --out DIR DIR...   all the suites above but calibrate, as one HTML page with plots
//
// Run a suite with -h for its flags.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
)

var suites = map[string]func(args []string) error{
	"accuracy":  runAccuracy,
	"calibrate": runCalibrate,
	"speed":     runSpeed,
	"search":    runSearch,
	"latent":    runLatent,
	"load":      runLoad,
	"report":    runReport,
}

func main() {
	if len(os.Args) < 2 || suites[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: go run ./benchmarks accuracy|calibrate|speed|search|latent|report [flags] DIR... | load [flags]")
		os.Exit(2)
	}
	if err := suites[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchmarks:", err)
		os.Exit(1)
	}
}

// setSuite is what every suite over FVC set folders shares: the
// --templates flag, the usage line, and the folders as arguments.
type setSuite struct {
	fs     *flag.FlagSet
	source *string
}

// newSetSuite makes a suite's flag set with --templates; usage is the text
// printed above the flags.
func newSetSuite(name, usage string) setSuite {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	s := setSuite{fs: fs, source: fs.String("templates", defaultTemplates, "template source: "+sourceNames())}
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return s
}

// parse parses the arguments and returns the template source; at least one
// set folder is required.
func (s setSuite) parse(args []string) (TemplateSource, error) {
	if err := s.fs.Parse(args); err != nil {
		return nil, err
	}
	if s.fs.NArg() == 0 {
		s.fs.Usage()
		return nil, errors.New("no set folder given")
	}
	src := templateSources[*s.source]
	if src == nil {
		return nil, fmt.Errorf("unknown template source %q: %s", *s.source, sourceNames())
	}
	return src, nil
}

// writeJSON writes v, indented, to path: every suite's --json.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
