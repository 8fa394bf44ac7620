// Package junit writes the gate's result set as a JUnit XML report, the
// format GitLab, Jenkins and GitHub test reporters all read. It is a pure
// function of result.Set: the times come from the set, never from the clock,
// so the same set always yields the same bytes.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	gojunit "github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/describe"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// classname groups every case under one name in CI test views, which
// otherwise fall back to the suite or show an empty class.
const classname = "docketqa"

// Build turns s into one <testsuite> holding one <testcase> per run, in the
// order of s.Runs. Every string in the result is safe to marshal as XML 1.0.
func Build(s result.Set) gojunit.Testsuites {
	suite := gojunit.Testsuite{
		Name: clean(suiteName(s)),
		Time: seconds(s.Elapsed),
	}
	if s.GroupRunID != 0 {
		suite.AddProperty("docketqa.group_run_id", strconv.FormatInt(s.GroupRunID, 10))
	}
	if s.GroupRunURL != "" {
		suite.AddProperty("docketqa.group_run_url", clean(s.GroupRunURL))
	}
	if !s.Started.IsZero() {
		suite.SetTimestamp(s.Started.UTC())
	}
	for _, r := range s.Runs {
		suite.AddTestcase(testcase(r))
	}
	if len(s.Runs) == 0 {
		// An empty suite reads as green (or "no tests") in most CI views,
		// but a gate without runs has no verdict, so say so explicitly.
		suite.AddTestcase(noRunsCase(s))
	}

	// AddSuite copies the suite, so it has to be complete by now.
	suites := gojunit.Testsuites{Time: suite.Time}
	suites.AddSuite(suite)
	// The JUnit 10 schema has no skipped attribute on <testsuites>; the
	// per-suite count still carries the number of non-blocking failures.
	suites.Skipped = 0
	return suites
}

// Write writes the XML declaration and the report for s to w.
func Write(w io.Writer, s result.Set) error {
	suites := Build(s)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit report header: %w", err)
	}
	if err := suites.WriteXML(w); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

func suiteName(s result.Set) string {
	switch {
	case s.GroupRunName != "":
		return s.GroupRunName
	case s.GroupRunID != 0:
		return fmt.Sprintf("DocketQA group run %d", s.GroupRunID)
	default:
		return "DocketQA"
	}
}

func testcase(r result.Run) gojunit.Testcase {
	tc := gojunit.Testcase{
		Name:      caseName(r),
		Classname: classname,
		Time:      seconds(r.Duration),
		SystemOut: &gojunit.Output{Data: clean(systemOut(r))},
	}
	if r.Verdict == result.Passed {
		return tc
	}
	problem := clean(describe.Problem(r))
	body := clean(details(r))
	switch {
	case r.NonBlocking:
		tc.Skipped = &gojunit.Result{Message: nonBlockingPrefix(r) + problem, Type: "non-blocking", Data: body}
	case r.Verdict == result.Failed:
		tc.Failure = &gojunit.Result{Message: problem, Type: clean(describe.StatusWord(r)), Data: body}
	default:
		tc.Error = &gojunit.Result{Message: problem, Type: "no-verdict", Data: body}
	}
	return tc
}

// caseName is r.Name() computed from the cleaned title, so a title made
// only of illegal characters falls back to "blueprint N" instead of a name
// starting with a blank.
func caseName(r result.Run) string {
	r.Title = strings.TrimSpace(clean(r.Title))
	return r.Name()
}

// nonBlockingPrefix keeps a failure and a missing verdict apart even though
// both end up as <skipped>, the only JUnit element that does not fail a build.
func nonBlockingPrefix(r result.Run) string {
	if r.Verdict == result.Failed {
		return "non-blocking failure: "
	}
	return "non-blocking, no verdict: "
}

func noRunsCase(s result.Set) gojunit.Testcase {
	msg := "the group run reported no test runs"
	if s.GroupRunID == 0 {
		msg = "no group run was triggered"
	}
	return gojunit.Testcase{
		Name:      "no test runs",
		Classname: classname,
		Time:      seconds(0),
		Error:     &gojunit.Result{Message: msg, Type: "no-verdict"},
	}
}

// details is the body of a failure, error or skipped element: the gate's
// reason and every step, so the CI view explains the failure on its own.
func details(r result.Run) string {
	var b strings.Builder
	if r.Reason != "" {
		fmt.Fprintf(&b, "reason: %s\n", r.Reason)
	}
	for _, st := range r.Steps {
		b.WriteString(describe.Step(st))
		b.WriteByte('\n')
	}
	return b.String()
}

func systemOut(r result.Run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %s\n", describe.StatusWord(r))
	if r.RunID != 0 {
		fmt.Fprintf(&b, "run id: %d\n", r.RunID)
	} else {
		b.WriteString("run id: none\n")
	}
	fmt.Fprintf(&b, "attempts: %d\n", r.Attempts)
	if r.Flaky && r.Verdict == result.Passed {
		fmt.Fprintf(&b, "flaky: passed after %d attempts\n", r.Attempts)
	}
	if r.NonBlocking {
		b.WriteString("non-blocking: this run never fails the gate\n")
	}
	if r.Reason != "" {
		fmt.Fprintf(&b, "reason: %s\n", r.Reason)
	}
	if len(r.Steps) > 0 {
		b.WriteString("steps:\n")
		for _, st := range r.Steps {
			b.WriteString(describe.Step(st))
			b.WriteByte('\n')
		}
	}
	first := true
	for _, st := range r.Steps {
		for _, url := range st.Screenshots {
			if first {
				b.WriteString("screenshots:\n")
				first = false
			}
			fmt.Fprintf(&b, "step %d: %s\n", st.Number, url)
		}
	}
	if r.VideoURL != "" {
		fmt.Fprintf(&b, "video: %s\n", r.VideoURL)
	}
	return b.String()
}

// seconds formats d the way JUnit consumers expect. Negative durations
// (a skewed clock) become zero because the schema's time pattern has no sign.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", max(d, 0).Seconds())
}

// clean makes s safe for XML 1.0. encoding/xml writes CDATA sections raw, so
// one NUL from the API would make the whole report unparsable; attributes
// get the same treatment so every field reads the same everywhere.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if isXMLChar(r) {
			return r
		}
		return -1
	}, s)
}

// isXMLChar reports whether r is allowed by the Char production of XML 1.0.
func isXMLChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	default:
		return r >= 0x10000 && r <= 0x10FFFF
	}
}
