package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing the
// test, so the helpers' own failure paths can be checked. Fatalf stops the
// helper as the real one does. Any other method is nil and panics: the
// helpers under test must not need it.
type recorder struct {
	testing.TB
	errors, fatals, logs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
	panic(fatal{})
}

// fatal is the panic that ends a helper at Fatalf.
type fatal struct{}

// run calls f with a fresh recorder and returns what it recorded.
func run(f func(tb testing.TB)) (r *recorder) {
	r = &recorder{}
	defer func() {
		if v := recover(); v != nil && v != (fatal{}) {
			panic(v)
		}
	}()
	f(r)
	return r
}

func TestGolden(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "out.golden")

	if r := run(func(tb testing.TB) { Golden(tb, path, []byte("a\nb\n"), false) }); len(r.fatals) != 1 ||
		!strings.Contains(r.fatals[0], "run with -update to create it") {
		t.Errorf("missing golden file: fatals %q, want one asking for -update", r.fatals)
	}
	if r := run(func(tb testing.TB) { Golden(tb, path, []byte("a\nb\n"), true) }); len(r.errors)+len(r.fatals) != 0 {
		t.Errorf("update failed: %q %q", r.errors, r.fatals)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "a\nb\n" {
		t.Fatalf("update wrote %q, %v; want %q", b, err, "a\nb\n")
	}
	// An update with unchanged output must not write: make the file
	// read-only, so a write would fail the helper.
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	if r := run(func(tb testing.TB) { Golden(tb, path, []byte("a\nb\n"), true) }); len(r.errors)+len(r.fatals)+len(r.logs) != 0 {
		t.Errorf("update of an unchanged golden file wrote or logged: %q %q %q", r.errors, r.fatals, r.logs)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(func(tb testing.TB) { Golden(tb, path, []byte("a\nb\n"), false) }); len(r.errors)+len(r.fatals) != 0 {
		t.Errorf("equal output reported: %q %q", r.errors, r.fatals)
	}
	r := run(func(tb testing.TB) { Golden(tb, path, []byte("a\nc\x1b\n"), false) })
	if len(r.errors) != 1 || len(r.fatals) != 0 {
		t.Fatalf("differing output: errors %q, fatals %q; want one error", r.errors, r.fatals)
	}
	for _, want := range []string{path + " at line 2", "-update to accept", `got:  "c\x1b\n"`, `want: "b\n"`} {
		if !strings.Contains(r.errors[0], want) {
			t.Errorf("error lacks %q:\n%s", want, r.errors[0])
		}
	}
	if b, _ := os.ReadFile(path); string(b) != "a\nb\n" {
		t.Errorf("a failed comparison rewrote the golden file: %q", b)
	}
}

func TestFirstDiff(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, a, b string
		line       int
		x, y       string
	}{
		{"equal", "a\nb\n", "a\nb\n", 0, "", ""},
		{"changed line", "a\nb\n", "a\nc\n", 2, "b\n", "c\n"},
		{"missing newline", "a", "a\n", 1, "a", "a\n"},
		{"longer", "a\nb\n", "a\n", 2, "b\n", ""},
		{"shorter", "", "a\n", 1, "", "a\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			line, x, y := firstDiff([]byte(tc.a), []byte(tc.b))
			if line != tc.line || string(x) != tc.x || string(y) != tc.y {
				t.Errorf("firstDiff = %d, %q, %q; want %d, %q, %q", line, x, y, tc.line, tc.x, tc.y)
			}
		})
	}
}

func TestGetenv(t *testing.T) {
	t.Parallel()
	getenv := Getenv(map[string]string{"SET": "v", "EMPTY": ""})
	for k, want := range map[string]string{"SET": "v", "EMPTY": "", "PATH": ""} {
		if got := getenv(k); got != want {
			t.Errorf("getenv(%q) = %q, want %q", k, got, want)
		}
	}
	if got := Getenv(nil)("PATH"); got != "" {
		t.Errorf("nil environment: getenv(PATH) = %q, want empty", got)
	}
}

func TestLintJUnit(t *testing.T) {
	t.Parallel()
	valid := `<testsuites><testsuite name="s" tests="1" failures="0" errors="0" id="0" hostname="h" package="p" timestamp="2025-03-14T09:26:53" time="1">` +
		`<properties/><testcase name="c" classname="k" time="1"/><system-out/><system-err/></testsuite></testsuites>`
	cases := []struct {
		name  string
		doc   string
		valid bool
	}{
		{"valid", valid, true},
		{"unknown root", "<report/>", false},
		{"testsuite without name", strings.Replace(valid, `name="s" `, "", 1), false},
		{"not XML", "<testsuites", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := LintJUnit(t, []byte(tc.doc))
			if (err == nil) != tc.valid {
				t.Errorf("LintJUnit error = %v, want valid %v\n%s", err, tc.valid, out)
			}
		})
	}
}

func TestValidateJUnitReportsInvalidDocuments(t *testing.T) {
	t.Parallel()
	if _, err := LintJUnit(t, []byte("<report/>")); err == nil {
		t.Fatal("LintJUnit accepted <report/>")
	}
	r := run(func(tb testing.TB) { ValidateJUnit(tb, []byte("<report/>")) })
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "does not validate") || !strings.Contains(r.errors[0], "<report/>") {
		t.Errorf("errors %q, fatals %q; want one error quoting the document", r.errors, r.fatals)
	}
}

// TestLintJUnitFailsWithoutSchema proves a schema xmllint cannot load fails
// the test instead of passing for a rejected document. Not parallel: it
// sets DOCKETQA_JUNIT_XSD.
func TestLintJUnitFailsWithoutSchema(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil && os.Getenv("CI") == "" {
		t.Skipf("xmllint not installed: %v", err)
	}
	t.Setenv("DOCKETQA_JUNIT_XSD", filepath.Join(t.TempDir(), "missing.xsd"))
	r := run(func(tb testing.TB) { _, _ = LintJUnit(tb, []byte("<report/>")) })
	if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "cannot use the JUnit schema") {
		t.Errorf("errors %q, fatals %q; want one fatal about the schema", r.errors, r.fatals)
	}
}
