// Package testutil holds shared test helpers, imported only from tests:
// golden-file comparison, JUnit schema validation and a fake environment.
package testutil

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Getenv returns a getenv reading only m, so tests never see the real
// environment and can run in parallel. A nil m is an empty environment.
func Getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// Golden compares got with the golden file at path. With update set it
// rewrites the file instead when it differs, so `go test -update` accepts a
// reviewed change; callers pass *UpdateFlag().
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	want, err := os.ReadFile(path)
	if update {
		// An unchanged file is left alone, so -update never touches a
		// golden file (or its timestamp) that still matches, and the diff
		// after an update shows exactly what changed.
		if err == nil && bytes.Equal(got, want) {
			return
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("rewrite golden file: %v", err)
		}
		t.Logf("rewrote %s", path)
		return
	}
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		line, gotLine, wantLine := firstDiff(got, want)
		t.Errorf("output differs from %s at line %d (run with -update to accept):\ngot:  %q\nwant: %q\nfull output:\n%s",
			path, line, gotLine, wantLine, got)
	}
}

// firstDiff returns the 1-based number of the first line where a and b
// differ, with that line of each. Quoting those lines in the failure shows
// the escape codes and trailing spaces a plain dump would hide.
func firstDiff(a, b []byte) (int, []byte, []byte) {
	al, bl := bytes.SplitAfter(a, []byte("\n")), bytes.SplitAfter(b, []byte("\n"))
	for i := range max(len(al), len(bl)) {
		var x, y []byte
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if !bytes.Equal(x, y) {
			return i + 1, x, y
		}
	}
	return 0, nil, nil
}

// ValidateJUnit fails t unless doc is valid against the JUnit schema that
// GitLab and Jenkins users validate reports with.
func ValidateJUnit(t testing.TB, doc []byte) {
	t.Helper()
	if out, err := LintJUnit(t, doc); err != nil {
		t.Errorf("JUnit report does not validate: %v\n%s\n%s", err, out, doc)
	}
}

// LintJUnit runs xmllint on doc against the JUnit schema and returns its
// output and error, so tests can also prove that an invalid report is
// rejected. Go has no XSD validator, hence xmllint. Where xmllint is not
// installed the test is skipped, except in CI (CI set to anything), where
// a silently skipped schema check would hide invalid reports.
//
// An error is always about doc: xmllint failing to start or to compile the
// schema fails the test, so a broken setup cannot pass for a rejection.
func LintJUnit(t testing.TB, doc []byte) ([]byte, error) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("xmllint is required in CI to validate the JUnit report (install libxml2-utils): %v", err)
		}
		t.Skipf("xmllint not installed, skipping schema validation: %v", err)
	}
	cmd := exec.Command(xmllint, "--noout", "--schema", junitXSD(t), "-")
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case !errors.As(err, &exit):
		t.Fatalf("run xmllint: %v", err)
	case exit.ExitCode() == xmllintSchemaError:
		t.Fatalf("xmllint cannot use the JUnit schema: %v\n%s", err, out)
	}
	return out, err
}

// xmllintSchemaError is xmllint's exit code for a schema it cannot load or
// compile.
const xmllintSchemaError = 5

// junitXSD returns DOCKETQA_JUNIT_XSD when set, else the repository's
// testdata/junit-10.xsd, found by walking up from the package directory
// that go test runs in to the module root.
func junitXSD(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("DOCKETQA_JUNIT_XSD"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("find the JUnit schema: %v", err)
	}
	root, err := moduleRoot(dir)
	if err != nil {
		t.Fatalf("find the JUnit schema (or set DOCKETQA_JUNIT_XSD): %v", err)
	}
	p := filepath.Join(root, "testdata", "junit-10.xsd")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("find the JUnit schema (or set DOCKETQA_JUNIT_XSD): %v", err)
	}
	return p
}

// moduleRoot returns the nearest directory at or above dir holding go.mod.
func moduleRoot(dir string) (string, error) {
	for {
		_, err := os.Stat(filepath.Join(dir, "go.mod"))
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
