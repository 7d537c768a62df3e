package codegen

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/packages"
)

// load type-checks the schema packages and returns them in load order.
func load(patterns []string) ([]*packages.Package, error) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
			packages.NeedTypes | packages.NeedTypesInfo | packages.NeedImports | packages.NeedDeps,
		Tests: false,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, fmt.Errorf("crdtgen: load %s: %w", strings.Join(patterns, " "), err)
	}
	var msgs []string
	wd, _ := os.Getwd()
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			msg := e.Error()
			if wd != "" && strings.HasPrefix(msg, wd+string(filepath.Separator)) {
				msg = msg[len(wd)+1:] // file:line:col relative to the working directory
			}
			msgs = append(msgs, msg)
		}
	})
	if len(msgs) > 0 {
		return nil, errors.New(strings.Join(msgs, "\n"))
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("crdtgen: no packages match %s", strings.Join(patterns, " "))
	}
	return pkgs, nil
}
