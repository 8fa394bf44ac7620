package junit

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/reporttest"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// TestWriteValidatesAgainstSchema checks every shared set against the JUnit
// 10 schema that GitLab and Jenkins users validate with, using xmllint
// because Go has no XSD validator.
func TestWriteValidatesAgainstSchema(t *testing.T) {
	t.Parallel()
	cases := reporttest.Cases()
	cases = append(cases, reporttest.Case{Name: "untriggered", Set: result.Set{}})
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := Write(&buf, reporttest.Judge(tc.Set)); err != nil {
				t.Fatalf("Write: %v", err)
			}
			testutil.ValidateJUnit(t, buf.Bytes())
		})
	}
}

// TestSchemaCheckRejectsInvalidReports proves the validation above can fail:
// the library's own totals put a skipped attribute on <testsuites>, which
// the schema forbids and Build therefore clears.
func TestSchemaCheckRejectsInvalidReports(t *testing.T) {
	t.Parallel()
	suites := build(reporttest.Judge(reporttest.Named(t, "non_blocking")))
	suites.Skipped = suites.Suites[0].Skipped
	var buf bytes.Buffer
	if err := suites.writeXML(&buf); err != nil {
		t.Fatal(err)
	}
	if out, err := testutil.LintJUnit(t, buf.Bytes()); err == nil {
		t.Errorf("xmllint accepted a report with <testsuites skipped=...>:\n%s", out)
	}
}

// TestSchemaCheckCoversAttempts proves the schema check also looks inside
// the attempt elements: rerunType requires the type attribute.
func TestSchemaCheckCoversAttempts(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"flaky", "rerun_passed", "rerun_failed"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := Write(&buf, reporttest.Judge(reporttest.Named(t, name))); err != nil {
				t.Fatal(err)
			}
			if out, err := testutil.LintJUnit(t, buf.Bytes()); err != nil {
				t.Fatalf("report does not validate: %v\n%s", err, out)
			}
			broken := typeAttr.ReplaceAll(buf.Bytes(), []byte("<$1"))
			if bytes.Equal(broken, buf.Bytes()) {
				t.Fatalf("case %q has no attempt element", name)
			}
			if out, err := testutil.LintJUnit(t, broken); err == nil {
				t.Errorf("xmllint accepted attempt elements without a type attribute:\n%s", out)
			}
		})
	}
}

// typeAttr matches the type attribute of an attempt element.
var typeAttr = regexp.MustCompile(`<((?:flaky|rerun)(?:Failure|Error) message="[^"]*") type="[^"]*"`)
