// Command whorl is Whorl's one binary: the server and its clients.
//
//	whorl serve [--data DIR] [--listen ADDR]                  the service, TLS by default
//	whorl enroll [--server ADDR] [--data DIR] --subject ID FILE...
//	whorl identify [--server ADDR] [--data DIR] [--top K] [--json] FILE...
//	whorl verify|compare|extract|get|list|delete|backup|keys ...     the other clients
//	whorl inspect [--json] [--ppi N] FILE...                  what a file holds
//
// Client subcommands take their credentials from the server's data
// directory (DIR/tls), so on one machine they work with no setup.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: whorl <command> [flags] [args]

commands:
  serve     run the service (TLS with client certificates; the data
            directory is created on first start)
  enroll    enrol a subject's fingers (image files or one ANSI/NIST-ITL
            transaction)
  identify  search one person's fingers; ranked subjects
  verify    compare a finger with one enrolled subject at a stated FMR
  compare   compare two prints: score and matched minutiae
  chart     draw two prints side by side, matched minutiae joined (PNG)
  extract   the minutiae the server finds in an image
  get       an enrolled subject's fingers
  list      the enrolled subjects, a page at a time
  delete    remove a subject
  backup    write a copy of the store to a new directory under the
            server's backup directory (serve --backup-dir)
  audit     query the audit trail (auditor), or verify its hash chain
  keys      rotate the data keys, see which records use which key, retire
            old keys (admin): whorl keys rotate|status|retire
  latent    latent work (examiner): search, register, get, list, retire
  hits      the reverse search's hits (examiner): list, watch, decide
  certs     issue or revoke client certificates with the local CA
            (server's machine): whorl certs issue --role R --name N
  inspect   say what fingerprint files hold: images, minutiae templates
            (ISO/IEC 19794-2, ANSI INCITS 378, native) and ANSI/NIST-ITL
            transactions

Run a command with -h for its flags.
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
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "enroll":
		return runEnroll(args[1:], stdout, stderr)
	case "identify":
		return runIdentify(args[1:], stdout, stderr)
	case "verify":
		return runVerify(args[1:], stdout, stderr)
	case "chart":
		return runChart(args[1:], stdout, stderr)
	case "compare":
		return runCompare(args[1:], stdout, stderr)
	case "extract":
		return runExtract(args[1:], stdout, stderr)
	case "get":
		return runGet(args[1:], stdout, stderr)
	case "list":
		return runList(args[1:], stdout, stderr)
	case "delete":
		return runDelete(args[1:], stdout, stderr)
	case "backup":
		return runBackup(args[1:], stdout, stderr)
	case "certs":
		return runCerts(args[1:], stdout, stderr)
	case "audit":
		return runAudit(args[1:], stdout, stderr)
	case "keys":
		return runKeys(args[1:], stdout, stderr)
	case "latent":
		return runLatent(args[1:], stdout, stderr)
	case "hits":
		return runHits(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "whorl: unknown command %q\n%s", args[0], usage)
	return 2
}
