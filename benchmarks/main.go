// Command benchmarks is Whorl's measurement harness:
//
//	go run ./benchmarks accuracy [flags] DIR...   EER, FMR100, FMR1000, ZeroFMR per FVC set
//	go run ./benchmarks calibrate [flags] DIR...  the matcher's score → FMR table from impostor scores
//	go run ./benchmarks speed [flags] DIR...      preparation time and comparisons per second on one core
//	go run ./benchmarks search [flags] DIR...     1:N identification over a gallery filled with synthetic distractors
//
// Run a suite with -h for its flags.
package main

import (
	"fmt"
	"os"
)

var suites = map[string]func(args []string) error{
	"accuracy":  runAccuracy,
	"calibrate": runCalibrate,
	"speed":     runSpeed,
	"search":    runSearch,
}

func main() {
	if len(os.Args) < 2 || suites[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: go run ./benchmarks accuracy|calibrate|speed|search [flags] DIR...")
		os.Exit(2)
	}
	if err := suites[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchmarks:", err)
		os.Exit(1)
	}
}
