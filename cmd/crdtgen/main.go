// Command crdtgen generates Go code from schema packages: the declared types
// with reflection-free JSON and binary codecs, and for CRDT records the merge,
// delta and garbage-collection code.
//
// Usage:
//
//	crdtgen -out DIR PATTERN...
//
// Each schema package schemas/<pkg> is written to DIR/<pkg>. On a schema error
// crdtgen prints file:line:col: message, writes nothing and exits 1.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dwsdk/distributed/internal/codegen"
)

func main() {
	out := flag.String("out", "gen", "output directory; each schema package is written to a subdirectory named after it")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: crdtgen [-out DIR] PACKAGE_PATTERN...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := codegen.Run(codegen.Options{Patterns: flag.Args(), OutDir: *out}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
