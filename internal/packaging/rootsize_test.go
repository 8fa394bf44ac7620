package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Package main only wires: the signal-aware context, and the program in
// internal/app back to an exit code. Its policy and orchestration tests
// live beside the packages they test; the root keeps an end-to-end suite
// of the real binary. These bounds keep it so.
const (
	// maxRootCodeLines bounds the lines of the root's non-test Go files
	// that are neither blank nor // comments.
	maxRootCodeLines = 150
	// maxRootTestLines bounds all lines of the root's *_test.go files.
	maxRootTestLines = 1200
)

// codeLines counts the lines of src that are neither blank nor wholly a
// // comment. A /* */ block counts as code: the bound is about what a
// reader of main has to read, and a block comment is read as much as code.
func codeLines(src string) int {
	n := 0
	for line := range strings.Lines(src) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "//") {
			n++
		}
	}
	return n
}

func TestCodeLines(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		want      int
	}{
		{"empty", "", 0},
		{"blank and comments", "\n  \n// a\n\t// b\r\n", 0},
		{"code", "package main\n\nfunc main() {}\n", 2},
		{"code with a trailing comment", "x := 1 // why\n", 1},
		{"block comment", "/*\nlong\n*/\n", 3},
		{"no final newline", "// a\nreturn", 1},
		{"comment marker inside a line", "s := \"//\"\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := codeLines(tc.src); got != tc.want {
				t.Errorf("codeLines(%q) = %d, want %d", tc.src, got, tc.want)
			}
		})
	}
}

// TestRootOnlyWires keeps package main to wiring and the root's tests to
// an end-to-end suite of the real binary.
func TestRootOnlyWires(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join(root, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	code, tests, files := 0, 0, 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, "_test.go") {
			for range strings.Lines(string(b)) {
				tests++
			}
			continue
		}
		files++
		code += codeLines(string(b))
	}
	if files == 0 {
		t.Fatal("no Go file at the root: is root still the repository root?")
	}
	if code > maxRootCodeLines {
		t.Errorf("the root's non-test Go files have %d lines of code, want at most %d: package main only wires; move the program into internal/app", code, maxRootCodeLines)
	}
	if tests > maxRootTestLines {
		t.Errorf("the root's tests have %d lines, want at most %d: the root keeps an end-to-end suite of the real binary; test the program in-process in internal/app", tests, maxRootTestLines)
	}
	t.Logf("root: %d lines of code, %d lines of tests", code, tests)
}
