package codegen

import (
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConstantsKeepValueAndKind type-checks the declarations generated for
// the consts schema and requires every constant to have exactly the value
// and the type (for untyped constants, the kind: float stays float, rune
// stays rune) it has in the schema.
func TestConstantsKeepValueAndKind(t *testing.T) {
	pkgs, err := load([]string{"./testdata/schemas/consts"})
	require.NoError(t, err)
	files, err := generate(Options{Patterns: []string{"./testdata/schemas/consts"}, OutDir: "out"})
	require.NoError(t, err)
	var decl []byte
	for _, f := range files {
		if filepath.Base(f.Path) == "consts.go" {
			decl = f.Data
		}
	}
	require.NotNil(t, decl)
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "consts.go", decl, 0)
	require.NoError(t, err)
	conf := types.Config{Importer: importer.Default()}
	gen, err := conf.Check("consts", fset, []*ast.File{file}, nil)
	require.NoError(t, err, "%s", decl)

	schema := pkgs[0].Types.Scope()
	n := 0
	for _, name := range schema.Names() {
		want, ok := schema.Lookup(name).(*types.Const)
		if !ok {
			continue
		}
		n++
		got, ok := gen.Scope().Lookup(name).(*types.Const)
		require.True(t, ok, "constant %s missing from the generated code", name)
		short := func(p *types.Package) string { return p.Name() }
		require.Equal(t, types.TypeString(want.Type(), short), types.TypeString(got.Type(), short), "type of %s", name)
		require.True(t, constant.Compare(want.Val(), token.EQL, got.Val()),
			"%s: generated %s, schema %s\n%s", name, got.Val().ExactString(), want.Val().ExactString(), decl)
	}
	require.Equal(t, 26, n)
}
