package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	gojunit "github.com/jstemmer/go-junit-report/v2/junit"
)

// ConfigErrorCaseName names the single test case of a configuration-error
// report, so that CI test views (Jenkins' junit step, GitLab's test tab)
// show why the gate refused to start instead of "no test report found".
const ConfigErrorCaseName = "docketqa-gate configuration"

// WriteConfigError writes a report for a gate that stopped at its
// configuration (exit 2) and triggered nothing: one suite with one test
// case whose <error> carries msg, the same text as the log. msg may hold
// several problems, one per line; the message attribute joins them with
// "; " so one-line views show all of them, and the body keeps the lines.
// msg must already be free of secrets, as the configuration's messages are.
func WriteConfigError(w io.Writer, msg string) error {
	lines := strings.FieldsFunc(clean(msg), func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	lines = deleteEmpty(lines)
	ts := suite{Testsuite: gojunit.Testsuite{Name: suiteName, Time: seconds(0)}}
	ts.add(testcase{Testcase: gojunit.Testcase{
		Name:      ConfigErrorCaseName,
		Classname: classname,
		Time:      seconds(0),
		Error: &gojunit.Result{
			Message: strings.Join(lines, "; "),
			Type:    "configuration",
			Data:    strings.Join(lines, "\n"),
		},
	}})
	doc := report{Testsuites: gojunit.Testsuites{Time: ts.Time}}
	doc.add(ts)
	doc.Skipped = 0
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit configuration error: %w", err)
	}
	if err := doc.writeXML(w); err != nil {
		return fmt.Errorf("write junit configuration error: %w", err)
	}
	return nil
}

func deleteEmpty(ss []string) []string {
	out := ss[:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
