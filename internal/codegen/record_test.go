package codegen

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/go/packages"

	"github.com/stretchr/testify/require"
)

// recordPkgs loads both record test schemas once (loading is the slow part).
var recordPkgs = sync.OnceValues(func() ([]*packages.Package, error) {
	return load([]string{"./testdata/schemas/recordkinds", "./testdata/schemas/recorderrors"})
})

func recordPkg(t *testing.T, name string) *packages.Package {
	t.Helper()
	pkgs, err := recordPkgs()
	require.NoError(t, err)
	for _, p := range pkgs {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("schema %s not loaded", name)
	return nil
}

// Run `go test ./internal/codegen -update` (or set UPDATE_RECORD_GOLDEN=1)
// to rewrite the record goldens from the generator's output, as TestGolden
// does for its own.
func TestRecordGolden(t *testing.T) {
	m, errs := buildModel(recordPkg(t, "recordkinds"))
	require.Empty(t, errs)
	files, err := emit(m, "out")
	require.NoError(t, err)
	dir := filepath.Join("testdata", "record_golden")
	for _, f := range files {
		golden := filepath.Join(dir, filepath.Base(f.Path)+".golden")
		if *update || os.Getenv("UPDATE_RECORD_GOLDEN") != "" {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(golden, f.Data, 0o644))
			continue
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err, "missing golden; run go test ./internal/codegen -update")
		require.Equal(t, string(want), string(f.Data), "%s differs from %s", f.Path, golden)
	}
}

func TestRecordSchemaErrors(t *testing.T) {
	_, errs := buildModel(recordPkg(t, "recorderrors"))
	got := make([]string, len(errs))
	for i, e := range errs {
		got[i] = e.Error()
	}
	file := filepath.Join("testdata", "schemas", "recorderrors", "recorderrors.go")
	want := []string{
		file + ":10:9: Bad.Name: type string is not a CRDT: " + crdtFieldHelp,
		file + ":11:9: Bad.Ratio: unsupported element type float64 in crdt.ORSet[float64]: elements and keys must be string, int64, uint64 or bool",
		file + ":12:2: Bad.NoTag: missing wire:\"N\" tag",
		file + ":14:63: Bad.Dup2: duplicate wire number 4 (also used by Dup)",
		file + ":15:9: Bad.Nested: ORMap value: an ORMap value cannot be another ORMap; wrap it in a //crdt:record",
		file + ":16:2: Bad.Merge: field name collides with the generated method Merge; rename the field",
		file + ":17:9: Bad.Clock: crdt.Clock cannot be a record field: " + crdtFieldHelp,
		file + ":31:7: Env.Rec: " + recordInMessage("Good"),
		file + ":32:7: Env.Ptr: " + recordInMessage("Good"),
		file + ":33:7: Env.List: " + recordInMessage("Good"),
		file + ":34:7: Env.Map: " + recordInMessage("Good"),
	}
	require.Equal(t, strings.Join(want, "\n"), strings.Join(got, "\n"))
}
