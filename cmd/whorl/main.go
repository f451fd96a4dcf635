// Command whorl is Whorl's one binary. Today it has the subcommand that
// booking-station integrators and examiners use to check what a file holds:
//
//	whorl inspect [--json] [--ppi N] FILE...
//
// The service (whorl serve) and its client subcommands come with the
// service milestone.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: whorl <command> [flags] [args]

commands:
  inspect   say what fingerprint files hold: images, minutiae templates
            (ISO/IEC 19794-2, ANSI INCITS 378, native) and ANSI/NIST-ITL
            transactions
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a subcommand and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "inspect":
		return runInspect(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "whorl: unknown command %q\n%s", args[0], usage)
	return 2
}
