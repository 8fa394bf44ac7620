package junit

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/reporttest"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// TestWriteValidatesAgainstSchema checks every shared set against the JUnit
// 10 schema that GitLab and Jenkins users validate with, using xmllint
// because Go has no XSD validator.
func TestWriteValidatesAgainstSchema(t *testing.T) {
	t.Parallel()
	xmllint := requireXmllint(t)
	xsd := findXSD(t)

	cases := reporttest.Cases()
	cases = append(cases, reporttest.Case{Name: "untriggered", Set: result.Set{}})
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := Write(&buf, tc.Set); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if out, err := validate(xmllint, xsd, buf.Bytes()); err != nil {
				t.Errorf("report does not validate: %v\n%s\n%s", err, out, buf.String())
			}
		})
	}
}

// TestSchemaCheckRejectsInvalidReports proves the validation above can fail:
// the library's own totals put a skipped attribute on <testsuites>, which
// the schema forbids and Build therefore clears.
func TestSchemaCheckRejectsInvalidReports(t *testing.T) {
	t.Parallel()
	xmllint := requireXmllint(t)
	xsd := findXSD(t)

	var set result.Set
	for _, c := range reporttest.Cases() {
		if c.Name == "non_blocking" {
			set = c.Set
		}
	}
	suites := build(set)
	suites.Skipped = suites.Suites[0].Skipped
	var buf bytes.Buffer
	if err := suites.writeXML(&buf); err != nil {
		t.Fatal(err)
	}
	if out, err := validate(xmllint, xsd, buf.Bytes()); err == nil {
		t.Errorf("xmllint accepted a report with <testsuites skipped=...>:\n%s", out)
	}
}

// TestSchemaCheckCoversAttempts proves the schema check also looks inside
// the attempt elements: rerunType requires the type attribute.
func TestSchemaCheckCoversAttempts(t *testing.T) {
	t.Parallel()
	xmllint := requireXmllint(t)
	xsd := findXSD(t)

	for _, name := range []string{"flaky", "rerun_passed", "rerun_failed"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var set result.Set
			for _, c := range reporttest.Cases() {
				if c.Name == name {
					set = c.Set
				}
			}
			var buf bytes.Buffer
			if err := Write(&buf, set); err != nil {
				t.Fatal(err)
			}
			if out, err := validate(xmllint, xsd, buf.Bytes()); err != nil {
				t.Fatalf("report does not validate: %v\n%s", err, out)
			}
			broken := typeAttr.ReplaceAll(buf.Bytes(), []byte("<$1"))
			if bytes.Equal(broken, buf.Bytes()) {
				t.Fatalf("case %q has no attempt element", name)
			}
			if out, err := validate(xmllint, xsd, broken); err == nil {
				t.Errorf("xmllint accepted attempt elements without a type attribute:\n%s", out)
			}
		})
	}
}

// typeAttr matches the type attribute of an attempt element.
var typeAttr = regexp.MustCompile(`<((?:flaky|rerun)(?:Failure|Error) message="[^"]*") type="[^"]*"`)

func validate(xmllint, xsd string, doc []byte) ([]byte, error) {
	cmd := exec.Command(xmllint, "--noout", "--schema", xsd, "-")
	cmd.Stdin = bytes.NewReader(doc)
	return cmd.CombinedOutput()
}

// requireXmllint skips where xmllint is not installed, except in CI, where
// a silently skipped schema check would hide invalid reports.
func requireXmllint(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("xmllint is required in CI to validate the JUnit report (install libxml2-utils): %v", err)
		}
		t.Skipf("xmllint not installed, skipping schema validation: %v", err)
	}
	return path
}

// findXSD returns DOCKETQA_JUNIT_XSD when set. Otherwise it walks up from
// the package directory and takes the first testdata/junit-10.xsd (the copy
// at the repository root) or shared/schemas/junit-10.xsd (a checkout next
// to the shared schema directory) it meets.
func findXSD(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("DOCKETQA_JUNIT_XSD"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		for _, candidate := range []string{
			filepath.Join(dir, "testdata", "junit-10.xsd"),
			filepath.Join(dir, "shared", "schemas", "junit-10.xsd"),
		} {
			if _, err := os.Stat(candidate); err == nil {
				return candidate
			} else if !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("look for the JUnit schema: %v", err)
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("JUnit schema junit-10.xsd not found in any parent testdata directory; set DOCKETQA_JUNIT_XSD")
		}
		dir = parent
	}
}
