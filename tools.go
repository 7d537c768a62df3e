//go:build tools

// Package tools pins the versions of the tools the Makefile runs, so that
// `go run` uses the version recorded in go.mod on every machine.
package tools

import (
	_ "golang.org/x/perf/cmd/benchstat"
)
