package packaging

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// root is the repository root, relative to this package's directory, where
// go test runs.
const root = "../.."

// versionVar is the variable every build stamps the version into.
const versionVar = "github.com/docketqa-gate/docketqa-gate/internal/version.version"

// readRepoFile returns the content of a file given relative to the root.
func readRepoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

// TestVersionVariable checks that the variable the builds stamp with -X
// exists: the linker silently ignores -X for a missing one, and every
// release would then report "dev".
func TestVersionVariable(t *testing.T) {
	t.Parallel()
	pkgPath, name, _ := strings.Cut(versionVar[strings.LastIndex(versionVar, "/")+1:], ".")
	dir := filepath.Join(root, "internal", pkgPath)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.VAR {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if id.Name != name {
						continue
					}
					// -X sets only string variables initialised to a
					// constant (or not at all).
					if len(vs.Values) > i {
						if _, ok := vs.Values[i].(*ast.BasicLit); !ok {
							t.Errorf("%s is initialised with an expression; -X cannot set it", versionVar)
						}
					}
					return
				}
			}
		}
	}
	t.Errorf("package internal/%s declares no variable %q for -X %s", pkgPath, name, versionVar)
}
