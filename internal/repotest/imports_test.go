package repotest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// forbidden are the imports that would put reflection on an encode or decode
// path. Tests may use them (they compare against encoding/json).
var forbidden = map[string]bool{
	"reflect":       true,
	"encoding/json": true,
}

// TestNoReflectionOutsideTests fails when a non-test Go file under gen/ or
// runtime/ imports reflect or encoding/json.
func TestNoReflectionOutsideTests(t *testing.T) {
	root := filepath.Join("..", "..")
	checked := 0
	for _, dir := range []string{"gen", "runtime"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			checked++
			for _, imp := range f.Imports {
				p, err := strconv.Unquote(imp.Path.Value)
				require.NoError(t, err)
				require.Falsef(t, forbidden[p], "%s imports %q; generated code and runtimes must not use reflection", path, p)
			}
			return nil
		})
		require.NoError(t, err)
	}
	require.Positive(t, checked, "no Go files found under gen/ or runtime/")
}

// TestForbiddenImportIsDetected proves the check above can fail.
func TestForbiddenImportIsDetected(t *testing.T) {
	src := "package x\nimport _ \"encoding/json\"\n"
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, parser.ImportsOnly)
	require.NoError(t, err)
	p, _ := strconv.Unquote(f.Imports[0].Path.Value)
	require.True(t, forbidden[p])
}
