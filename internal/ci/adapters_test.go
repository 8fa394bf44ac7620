package ci

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// detectedBy is, for each platform but the fallback, an environment its
// CI system sets on every job. A platform added to the table without one
// fails TestAdaptersTable.
var detectedBy = map[Platform]map[string]string{
	GitHub:  {"GITHUB_ACTIONS": "true"},
	GitLab:  {"GITLAB_CI": "true"},
	Jenkins: {"JENKINS_URL": "https://jenkins.example.com/"},
}

// TestAdaptersTable checks the one table of platforms: each platform and
// name once, looked up by adapterFor, only the last row (plain text)
// taking a job no CI system claims, and opening an adapter printing
// nothing, so that a mask can come first.
func TestAdaptersTable(t *testing.T) {
	t.Parallel()
	platforms, names := map[Platform]bool{}, map[string]bool{}
	for i, a := range adapters {
		p := a.platform()
		if platforms[p] || names[a.name()] {
			t.Errorf("row %d: platform %d (%q) is listed twice", i, int(p), a.name())
		}
		platforms[p], names[a.name()] = true, true
		if got := adapterFor(p); got.platform() != p || got.name() != a.name() {
			t.Errorf("adapterFor(%v) = %v", p, got.platform())
		}
		if p.String() != a.name() {
			t.Errorf("%v.String() = %q, want the adapter's name %q", p, p.String(), a.name())
		}
		last := i == len(adapters)-1
		if a.detect(testutil.Getenv(nil)) != last {
			t.Errorf("row %d (%v): detects a job without CI variables = %v, want %v (only the last row is the fallback)", i, p, !last, last)
		}
		if _, ok := detectedBy[p]; !ok && !last {
			t.Errorf("row %d (%v): no environment in detectedBy", i, p)
		}
		var buf bytes.Buffer
		opened := a.open(&console{out: &logWriter{w: &buf}, getenv: testutil.Getenv(nil), now: time.Now})
		if opened.platform() != p {
			t.Errorf("row %d: opened as %v, want %v", i, opened.platform(), p)
		}
		if buf.Len() != 0 {
			t.Errorf("row %d (%v): opening printed %q", i, p, buf.String())
		}
	}
	if adapters[len(adapters)-1].platform() != Local {
		t.Errorf("the last row is %v, want the plain-text fallback", adapters[len(adapters)-1].platform())
	}
	for p := range detectedBy {
		if !platforms[p] {
			t.Errorf("%v is not in the table", p)
		}
	}
}

// TestDetectWalksTheTable sets the variables of every combination of
// platforms at once (a self-hosted runner inherits its host's): Detect
// picks the first of them in the table's order, and plain text when none
// is set.
func TestDetectWalksTheTable(t *testing.T) {
	t.Parallel()
	rows := adapters[:len(adapters)-1]
	for set := range 1 << len(rows) {
		env := map[string]string{}
		want, names := Local, []string{}
		for i := len(rows) - 1; i >= 0; i-- {
			if set&(1<<i) != 0 {
				maps.Copy(env, detectedBy[rows[i].platform()])
				want = rows[i].platform()
				names = append(names, rows[i].name())
			}
		}
		if got := Detect(testutil.Getenv(env)); got != want {
			t.Errorf("variables of %q set: Detect() = %v, want %v", names, got, want)
		}
	}
}

// TestSinkHasNoPlatformSwitch reads the package's source: the code every
// platform shares (the Sink, the console, the outputs) names no platform
// constant, no adapter type and no adapter's state, so it cannot branch on
// the platform; and each platform constant is named only in the file that
// declares it. A platform is then one file plus one row of the table.
func TestSinkHasNoPlatformSwitch(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files[path] = f
	}

	// The platform constants, the types of the table's rows (and the
	// state types they embed), and the fields of those types.
	constFile := map[string]string{}
	structs := map[string]*ast.StructType{}
	for path, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "Platform" {
					for _, name := range n.Names {
						constFile[name.Name] = path
					}
				}
			case *ast.TypeSpec:
				if st, ok := n.Type.(*ast.StructType); ok {
					structs[n.Name.Name] = st
				}
			}
			return true
		})
	}
	if len(constFile) != len(adapters) {
		t.Fatalf("found platform constants %v, want one per row of the table (%d)", slices.Sorted(maps.Keys(constFile)), len(adapters))
	}
	adapterTypes := map[string]bool{}
	var add func(name string)
	add = func(name string) {
		if adapterTypes[name] || structs[name] == nil {
			return
		}
		adapterTypes[name] = true
		for _, fld := range structs[name].Fields.List {
			typ := fld.Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			if id, ok := typ.(*ast.Ident); ok && len(fld.Names) == 0 {
				add(id.Name)
			}
		}
	}
	for _, a := range adapters {
		name := strings.TrimPrefix(fmt.Sprintf("%T", a), "ci.")
		if structs[name] == nil {
			t.Fatalf("adapter type %s not found in the source", name)
		}
		add(name)
	}
	// What only an adapter's own code may use: its state and its
	// identity. The console (c) is every adapter's.
	private := map[string]bool{"platform": true, "detect": true}
	for name := range adapterTypes {
		for _, fld := range structs[name].Fields.List {
			for _, id := range fld.Names {
				private[id.Name] = id.Name != "c"
			}
		}
	}

	shared := []string{"sink.go", "safe.go", "outputs.go"}
	for path, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Ident:
				if decl, ok := constFile[n.Name]; ok && decl != path {
					t.Errorf("%s: names %s, a platform constant declared in %s", fset.Position(n.Pos()), n.Name, decl)
				}
				if slices.Contains(shared, path) && adapterTypes[n.Name] {
					t.Errorf("%s: names the adapter type %s", fset.Position(n.Pos()), n.Name)
				}
			case *ast.SelectorExpr:
				if slices.Contains(shared, path) && private[n.Sel.Name] {
					t.Errorf("%s: reaches into an adapter's state (.%s)", fset.Position(n.Pos()), n.Sel.Name)
				}
			}
			return true
		})
	}
	for _, path := range shared {
		if files[path] == nil {
			t.Errorf("%s is gone: update the list of shared files", path)
		}
	}
}
