// Package junit writes the gate's result set as a JUnit XML report, the
// format GitLab, Jenkins and GitHub test reporters all read. It is a pure
// function of result.Set: the times come from the set, never from the clock,
// so the same set always yields the same bytes.
//
// The document is built from go-junit-report's types, which also do the
// counting, but that library has no element for a test's earlier attempts.
// Surefire's flakyFailure, flakyError, rerunFailure and rerunError (all in
// the JUnit 10 schema) carry them, so each level of the document embeds the
// library's type and replaces only its list of children with a local type
// that adds those elements. encoding/xml flattens embedded structs, takes
// the element name from the embedded XMLName and, when two fields map to
// the same element, writes only the shallower one, so the library's own
// lists never reach the output.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	gojunit "github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/docketqa-gate/docketqa-gate/internal/bound"
	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/describe"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// classname groups every case under one name in CI test views, which
// otherwise fall back to the suite or show an empty class.
const classname = "docketqa"

// The values of every type attribute: the gate's own words, never the
// API's. Consumers interpret the attribute: GitLab reads JUnit through
// ActiveSupport's XML parser, which takes type="yaml", "symbol" or
// "integer" as a type cast, so an API status word there can make GitLab
// reject the whole report or turn a failure's text into 0. The status word
// goes into the message and body instead.
const (
	typeFailed      = "failed"
	typeNoVerdict   = "no-verdict"
	typeNotAwaited  = "not-awaited"
	typeNonBlocking = "non-blocking"
)

// report is the <testsuites> document.
type report struct {
	gojunit.Testsuites
	Suites []suite `xml:"testsuite"`
}

// suite is a <testsuite> whose cases can carry earlier attempts. Its
// SystemOut shadows the library's so that it is written after the cases,
// where the schema wants it (encoding/xml writes a shadowing field in its
// own place).
type suite struct {
	gojunit.Testsuite
	Testcases []testcase      `xml:"testcase"`
	SystemOut *gojunit.Output `xml:"system-out,omitempty"`
}

// suiteName is the one name of the suite, the same in every pipeline:
// GitLab keys a case by suite, class and case name to tell new failures
// from existing ones and to build a case's failure history, so a name
// that changed per group run ("Manual Run <timestamp>") made every
// failure new. The group run is named in the suite's properties and
// output instead.
const suiteName = "docketqa"

// testcase is a <testcase> plus one element per earlier attempt: flaky*
// when the final attempt passed, rerun* when it did not. *Error marks an
// attempt that ended without a verdict, as <error> does for a final one.
// No consumer counts these elements as failures, so they inform without
// changing the tests/failures/errors/skipped totals.
type testcase struct {
	gojunit.Testcase
	FlakyFailures []attempt `xml:"flakyFailure"`
	FlakyErrors   []attempt `xml:"flakyError"`
	RerunFailures []attempt `xml:"rerunFailure"`
	RerunErrors   []attempt `xml:"rerunError"`
}

// attempt is the schema's rerunType, whose type attribute is required.
type attempt struct {
	Message   string          `xml:"message,attr,omitempty"`
	Type      string          `xml:"type,attr"`
	SystemOut *gojunit.Output `xml:"system-out,omitempty"`
}

// add appends tc and lets the library count it. AddTestcase also appends
// the plain case to the embedded list, which is cut back because only
// s.Testcases is written.
func (s *suite) add(tc testcase) {
	s.Testcases = append(s.Testcases, tc)
	s.Testsuite.AddTestcase(tc.Testcase)
	s.Testsuite.Testcases = s.Testsuite.Testcases[:0]
}

// add appends the finished suite s and lets the library add up its counts.
func (r *report) add(s suite) {
	r.Suites = append(r.Suites, s)
	r.Testsuites.AddSuite(s.Testsuite)
	r.Testsuites.Suites = r.Testsuites.Suites[:0]
}

// writeXML encodes r the way gojunit.Testsuites.WriteXML does. It must
// shadow that promoted method, which would encode only the embedded
// library struct and so drop every suite.
//
// Every message attribute is cut to bound.Line here, the one place all
// reports pass: whatever a run, an API answer or a configuration error
// holds, one JUnit message stays a few KiB (the body keeps the details).
func (r *report) writeXML(w io.Writer) error {
	r.boundMessages()
	enc := xml.NewEncoder(w)
	enc.Indent("", "\t")
	if err := enc.Encode(r); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// boundMessages cuts every message attribute to bound.Line.
func (r *report) boundMessages() {
	cut := func(res *gojunit.Result) {
		if res != nil {
			res.Message = bound.Text(res.Message)
		}
	}
	for i := range r.Suites {
		for j := range r.Suites[i].Testcases {
			tc := &r.Suites[i].Testcases[j]
			cut(tc.Failure)
			cut(tc.Error)
			cut(tc.Skipped)
			for _, as := range [][]attempt{tc.FlakyFailures, tc.FlakyErrors, tc.RerunFailures, tc.RerunErrors} {
				for k := range as {
					as[k].Message = bound.Text(as[k].Message)
				}
			}
		}
	}
}

// build turns s into one <testsuite> holding one <testcase> per run, in the
// order of s.Runs. Every string in the result is safe to marshal as XML 1.0.
func build(s result.Set) report {
	ts := suite{Testsuite: gojunit.Testsuite{
		Name: suiteName,
		Time: seconds(s.Elapsed),
	}}
	if s.GroupRunID != 0 {
		ts.AddProperty("docketqa.group_run_id", strconv.FormatInt(s.GroupRunID, 10))
	}
	if s.GroupRunName != "" {
		ts.AddProperty("docketqa.group_run_name", clean(s.GroupRunName))
	}
	if s.GroupRunURL != "" {
		ts.AddProperty("docketqa.group_run_url", clean(s.GroupRunURL))
	}
	ts.SystemOut = &gojunit.Output{Data: clean(groupRunText(s))}
	if !s.Started.IsZero() {
		ts.SetTimestamp(s.Started.UTC())
	}
	for _, r := range s.Runs {
		ts.add(testcaseFor(r))
	}
	if len(s.Runs) == 0 {
		// An empty suite reads as green (or "no tests") in most CI views,
		// but a gate without runs has no verdict, so say so explicitly.
		ts.add(testcase{Testcase: noRunsCase(s)})
	}

	// The library's AddSuite copies the suite, so it has to be complete by now.
	doc := report{Testsuites: gojunit.Testsuites{Time: ts.Time}}
	doc.add(ts)
	// The JUnit 10 schema has no skipped attribute on <testsuites>; the
	// per-suite count still carries the number of skipped cases.
	doc.Skipped = 0
	return doc
}

// Write writes the XML declaration and the report for s to w.
func Write(w io.Writer, s result.Set) error {
	doc := build(s)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit report header: %w", err)
	}
	if err := doc.writeXML(w); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

// groupRunText is the suite's output: the group run by name and link,
// where Jenkins and GitLab readers see it now that the suite name is fixed.
func groupRunText(s result.Set) string {
	if s.GroupRunID == 0 {
		return "no DocketQA group run was triggered\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "DocketQA group run %d", s.GroupRunID)
	if s.GroupRunName != "" {
		b.WriteString(": " + s.GroupRunName)
	}
	b.WriteByte('\n')
	if s.GroupRunURL != "" {
		fmt.Fprintf(&b, "%s\n", s.GroupRunURL)
	}
	return b.String()
}

func testcaseFor(r result.Run) testcase {
	tc := testcase{Testcase: gojunit.Testcase{
		Name:      caseName(r),
		Classname: classname,
		Time:      seconds(r.Duration),
		SystemOut: &gojunit.Output{Data: clean(systemOut(r))},
	}}
	addAttempts(&tc, r)
	kind := result.KindOf(r)
	if kind == result.KindPassed {
		tc.SystemOut.Data += savedFiles(r, false)
		return tc
	}
	problem := clean(describe.Problem(r))
	if rec := r.Recent.String(); rec != "" {
		// The message is what GitLab's widget and Jenkins' list show
		// first; the test case has no properties to hold the record.
		problem += "; " + clean(rec)
	}
	body := clean(details(r))
	switch kind {
	case result.KindNonBlocking:
		tc.Skipped = &gojunit.Result{Message: nonBlockingPrefix(r) + problem, Type: typeNonBlocking, Data: body}
	case result.KindFailed:
		// The API's status word is in the message and body, never here
		// (see typeFailed).
		tc.Failure = &gojunit.Result{Message: problem, Type: typeFailed, Data: body}
		tc.SystemOut.Data += savedFiles(r, true)
		return tc
	case result.KindNotAwaited:
		// Fail-fast stopped waiting after another run failed; this one may
		// well pass, so it is not reported as broken. The gate's verdict
		// is already "failed" because of the run that triggered fail-fast.
		tc.Skipped = &gojunit.Result{Message: problem, Type: typeNotAwaited, Data: body}
	default:
		tc.Error = &gojunit.Result{Message: problem, Type: typeNoVerdict, Data: body}
		tc.SystemOut.Data += savedFiles(r, true)
		return tc
	}
	tc.SystemOut.Data += savedFiles(r, false)
	return tc
}

// attachmentPrefix starts the line GitLab's JUnit parser and Jenkins' JUnit
// Attachments plugin read from <system-out> to show a file kept as a job
// artifact, by its path relative to the working directory.
const attachmentPrefix = "[[ATTACHMENT|"

// savedFiles lists the evidence the gate saved for r, failing step's
// screenshot first. On a failed or errored case each file is an attachment
// line: GitLab shows the first one (and only on such cases), Jenkins all of
// them. Elsewhere the paths are listed plainly, for people. The paths are
// made by the gate, never by the API, and API text can never form such a
// line because clean breaks every "[[" in it.
func savedFiles(r result.Run, attach bool) string {
	if len(r.Artifacts) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("saved evidence:\n")
	for _, a := range r.Artifacts {
		p := strings.Map(func(c rune) rune {
			if c == '\n' || c == '\r' {
				return -1
			}
			return c
		}, clean(a.Path))
		if attach {
			fmt.Fprintf(&b, "%s%s]]\n", attachmentPrefix, p)
		} else {
			fmt.Fprintf(&b, "%s: %s\n", artifactLabel(a), p)
		}
	}
	return b.String()
}

// artifactLabel names a saved file for a plain listing.
func artifactLabel(a result.Artifact) string {
	switch a.Kind {
	case result.Video:
		return "video"
	case result.ShotBefore:
		return fmt.Sprintf("step %d before", a.Step)
	default:
		return fmt.Sprintf("step %d after", a.Step)
	}
}

// addAttempts adds one element per earlier attempt of r, oldest first
// within each element name. A pass makes them flaky*, anything else
// rerun*; the choice between *Failure and *Error follows the attempt's
// verdict as it does for the final attempt.
func addAttempts(tc *testcase, r result.Run) {
	total := describe.Attempts(r)
	passed := r.Verdict == result.Passed
	for i, a := range r.Earlier {
		el := attempt{
			Message: clean(describe.AttemptLabel(a, i+1, total) + ": " + describe.AttemptProblem(a)),
			Type:    attemptType(a),
		}
		if out := attemptOut(a); out != "" {
			el.SystemOut = &gojunit.Output{Data: clean(out)}
		}
		errored := describe.AttemptErrored(a)
		switch {
		case passed && errored:
			tc.FlakyErrors = append(tc.FlakyErrors, el)
		case passed:
			tc.FlakyFailures = append(tc.FlakyFailures, el)
		case errored:
			tc.RerunErrors = append(tc.RerunErrors, el)
		default:
			tc.RerunFailures = append(tc.RerunFailures, el)
		}
	}
}

// attemptType is the type attribute of an earlier attempt, which the
// schema requires: the gate's word for its verdict class. The API's status
// word is in the message and in <system-out>.
func attemptType(a result.Attempt) string {
	if describe.AttemptErrored(a) {
		return typeNoVerdict
	}
	return typeFailed
}

// attemptOut is the <system-out> of an earlier attempt: where to look at
// it, above all its video. The reason is already in the message.
func attemptOut(a result.Attempt) string {
	var b strings.Builder
	if a.RunID != 0 {
		fmt.Fprintf(&b, "run id: %d\n", a.RunID)
	}
	fmt.Fprintf(&b, "status: %s\n", describe.AttemptStatus(a))
	if a.VideoURL != "" {
		fmt.Fprintf(&b, "video: %s\n", a.VideoURL)
	}
	return b.String()
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
		Error:     &gojunit.Result{Message: msg, Type: typeNoVerdict},
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
	total := describe.Attempts(r)
	fmt.Fprintf(&b, "attempts: %d\n", total)
	if describe.Flaky(r) {
		fmt.Fprintf(&b, "flaky: passed after %d attempts\n", total)
	}
	if r.Omitted != "" {
		fmt.Fprintf(&b, "not shown: %s\n", r.Omitted)
	}
	if r.Verdict == result.Passed {
		if st := r.FailedStep(); st != nil {
			fmt.Fprintf(&b, "warning: DocketQA reported the run passed, but step %d is marked unsuccessful\n", st.Number)
		}
	} else if st := r.FailedStep(); st != nil {
		// GitLab's merge request widget shows the case's output, not its
		// failure body: the failing step must be there, near the top.
		fmt.Fprintf(&b, "failing step: %s\n", describe.Step(*st))
	}
	if rec := r.Recent.String(); rec != "" {
		fmt.Fprintf(&b, "recent record: %s\n", rec)
	}
	for i, a := range r.Earlier {
		fmt.Fprintf(&b, "%s: %s", describe.AttemptLabel(a, i+1, total), describe.AttemptStatus(a))
		for _, part := range []string{a.Reason, a.VideoURL} {
			if part != "" {
				b.WriteString(" — " + part)
			}
		}
		b.WriteByte('\n')
	}
	if len(r.Earlier) > 0 {
		fmt.Fprintf(&b, "attempt %d of %d (final): %s\n", total, total, describe.StatusWord(r))
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
//
// It also breaks every "[[" with a zero-width space, after the illegal
// characters are gone (so "[\x00[" cannot close up again): CI systems turn
// "[[ATTACHMENT|path]]" in a test's output into a link to a job artifact,
// and text from the API must never point them at a file of its choosing.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if isXMLChar(r) {
			return r
		}
		return -1
	}, s)
	return breakBrackets(s)
}

// breakBrackets puts a zero-width space between every two adjacent "[",
// so no "[[" is left however many there were in a row.
func breakBrackets(s string) string {
	if !strings.Contains(s, "[[") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '[' && i+1 < len(s) && s[i+1] == '[' {
			b.WriteString("\u200b")
		}
	}
	return b.String()
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
