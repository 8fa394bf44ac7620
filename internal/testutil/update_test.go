package testutil

import (
	"flag"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const importPath = "github.com/docketqa-gate/docketqa-gate/internal/testutil"

func TestUpdateFlagIsRegistered(t *testing.T) {
	t.Parallel()
	f := flag.Lookup("update")
	if f == nil {
		t.Fatal("-update is not registered")
	}
	if f.Value.String() != strconv.FormatBool(*UpdateFlag()) {
		t.Errorf("flag value %q and UpdateFlag() %v disagree", f.Value, *UpdateFlag())
	}
}

// TestEveryTestPackageAcceptsUpdate walks the module and requires every
// directory with tests to import this package from a test file, which
// registers -update. Without it `go test ./... -update` fails in that
// package with "flag provided but not defined: -update", as the README's
// command did before. A package declaring its own -update flag as well
// panics at start-up, so that mistake fails on its own.
func TestEveryTestPackageAcceptsUpdate(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := moduleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]bool{}   // directory -> has tests
	imports := map[string]bool{} // directory -> a test file imports testutil
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.Dir(path)
		tests[dir] = true
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == importPath {
				imports[dir] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) < 5 {
		t.Fatalf("found tests in only %d directories under %s; the walk is broken", len(tests), root)
	}
	for dir := range tests {
		rel, _ := filepath.Rel(root, dir)
		if rel == filepath.Join("internal", "testutil") {
			continue
		}
		if !imports[dir] {
			t.Errorf("%s: no test file imports %s, so `go test ./... -update` fails there; "+
				"add an update_test.go with a blank import of it", rel, importPath)
		}
	}
}
