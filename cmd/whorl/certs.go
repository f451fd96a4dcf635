package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/whorlafis/whorl/pki"
	"github.com/whorlafis/whorl/server"
)

// runCerts manages client certificates with the local CA in the data
// directory; it runs on the server's machine (the CA key never leaves it).
//
//	whorl certs issue --role ROLE --name STATION [--data DIR]
//	whorl certs revoke --name STATION [--data DIR]
func runCerts(args []string, stdout, stderr io.Writer) int {
	const usage = "usage: whorl certs issue --role booking|examiner|auditor|admin --name STATION [--data DIR]\n       whorl certs revoke --name STATION [--data DIR]\n"
	if len(args) == 0 || (args[0] != "issue" && args[0] != "revoke") {
		fmt.Fprint(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("certs "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", defaultData, "data directory of the installation")
	name := fs.String("name", "", "the station the certificate names (required)")
	role := fs.String("role", "", "the role: booking, examiner, auditor or admin (issue)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return 2
	}
	if *name == "" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	dir := tlsDir(*data)
	switch args[0] {
	case "issue":
		known := false
		for _, r := range server.Roles {
			known = known || string(r) == *role
		}
		if !known {
			fmt.Fprintf(stderr, "whorl certs issue: --role %q: one of %v\n", *role, server.Roles)
			return 2
		}
		cert, key, err := pki.Issue(dir, *name, *role)
		if err != nil {
			fmt.Fprintln(stderr, "whorl certs issue:", err)
			return 1
		}
		fmt.Fprintf(stdout, "issued %s (%s): %s, key %s\nclients use it with --cert %s --key %s\n", *name, *role, cert, key, cert, key)
	case "revoke":
		serial, err := pki.Revoke(dir, filepath.Join(dir, pki.ClientsDir, *name+".pem"))
		if err != nil {
			fmt.Fprintln(stderr, "whorl certs revoke:", err)
			return 1
		}
		fmt.Fprintf(stdout, "revoked %s (serial %s): a running server refuses it from its next request\n", *name, serial)
	}
	return 0
}
