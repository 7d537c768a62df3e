// Package codegen is the crdtgen generator. It runs in four stages, one file
// each: load.go type-checks the schema packages with go/packages, model.go
// turns their declarations into a model (collecting every schema error as
// file:line:col: message), emit*.go renders Go code with jennifer, and
// write.go writes the files atomically, only when no package had an error.
//
// Support for //crdt:record types plugs in through the recordModel hook in
// model.go (model_record.go and emit_record.go, added by the CRDT issue).
package codegen

import (
	"fmt"
	"sort"

	"golang.org/x/tools/go/packages"
)

// Options configures one generator run.
type Options struct {
	// Patterns are go/packages patterns naming schema packages.
	Patterns []string
	// OutDir receives one subdirectory per schema package.
	OutDir string
}

// Run loads, checks and generates every schema package matched by
// opts.Patterns. It writes nothing unless every package is valid; schema
// errors are returned together as SchemaErrors.
func Run(opts Options) error {
	files, err := generate(opts)
	if err != nil {
		return err
	}
	return writeAll(files)
}

// generate runs every stage but writing and returns the files to write.
func generate(opts Options) ([]outFile, error) {
	pkgs, err := load(opts.Patterns)
	if err != nil {
		return nil, err
	}
	var errs SchemaErrors
	models := make([]*Package, 0, len(pkgs))
	byName := map[string]*packages.Package{}
	for _, p := range pkgs {
		m, perrs := buildModel(p)
		errs = append(errs, perrs...)
		models = append(models, m)
		// Each package is written to OutDir/<name>: two of one name would
		// overwrite each other.
		if prev := byName[p.Name]; prev != nil && len(p.Syntax) > 0 {
			b := &builder{pkg: p}
			b.errorf(p.Syntax[0].Name.Pos(), "package %s: schema package %s has the same name, and crdtgen generates each package into a directory named after it; rename one of them", p.Name, prev.PkgPath)
			errs = append(errs, b.errs...)
		} else {
			byName[p.Name] = p
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return posLess(errs[i].Pos, errs[j].Pos) })
		return nil, errs
	}
	var files []outFile
	for _, m := range models {
		f, err := emit(m, opts.OutDir)
		if err != nil {
			return nil, fmt.Errorf("crdtgen: emit %s: %w", m.Name, err)
		}
		files = append(files, f...)
	}
	return files, nil
}
