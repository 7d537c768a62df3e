// Package codegen is the crdtgen generator: it loads schema packages
// (load.go), builds a model of their declarations (model.go), emits Go code
// (emit.go) and writes it atomically (write.go).
package codegen

import "fmt"

// Options configures one generator run.
type Options struct {
	// Patterns are go/packages patterns naming schema packages.
	Patterns []string
	// OutDir receives one subdirectory per schema package.
	OutDir string
}

// Run loads, checks and generates every schema package matched by
// opts.Patterns. It writes nothing unless every package is valid.
func Run(opts Options) error {
	pkgs, err := load(opts.Patterns)
	if err != nil {
		return err
	}
	files := make([]outFile, 0, len(pkgs))
	for _, p := range pkgs {
		f, err := emit(p, opts.OutDir)
		if err != nil {
			return fmt.Errorf("crdtgen: emit %s: %w", p.Name, err)
		}
		files = append(files, f...)
	}
	return writeAll(files)
}
