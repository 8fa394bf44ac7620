package junit

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	gojunit "github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/reporttest"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

var update = testutil.UpdateFlag()

func TestWriteGolden(t *testing.T) {
	t.Parallel()
	reporttest.GoldenWrite(t, ".golden.xml", *update, Write)
}

func TestBuildCounts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                             string
		tests, failures, errors, skipped int
	}{
		{"passed", 3, 0, 0, 0},
		{"failed", 4, 2, 1, 0},
		{"no_verdict", 4, 0, 3, 0},
		{"non_blocking", 4, 0, 0, 2},
		{"mixed", 5, 1, 1, 1},
		{"flaky", 3, 0, 0, 0},
		{"rerun_passed", 3, 0, 0, 0},
		{"rerun_failed", 4, 1, 1, 1},
		{"fail_fast", 5, 1, 0, 3},
		{"empty", 1, 0, 1, 0},
		{"hostile", 4, 1, 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := build(reporttest.Named(t, tc.name))
			if len(got.Suites) != 1 {
				t.Fatalf("got %d suites, want 1", len(got.Suites))
			}
			s := got.Suites[0]
			if len(s.Testcases) != tc.tests || s.Tests != tc.tests || got.Tests != tc.tests {
				t.Errorf("tests: %d cases, suite %d, total %d; want %d", len(s.Testcases), s.Tests, got.Tests, tc.tests)
			}
			if s.Failures != tc.failures || got.Failures != tc.failures {
				t.Errorf("failures: suite %d, total %d; want %d", s.Failures, got.Failures, tc.failures)
			}
			if s.Errors != tc.errors || got.Errors != tc.errors {
				t.Errorf("errors: suite %d, total %d; want %d", s.Errors, got.Errors, tc.errors)
			}
			if s.Skipped != tc.skipped {
				t.Errorf("skipped: suite %d, want %d", s.Skipped, tc.skipped)
			}
			if got.Skipped != 0 {
				t.Errorf("testsuites skipped = %d, want 0 (not in the JUnit 10 schema)", got.Skipped)
			}
			if s.Time != got.Time || s.Time == "" {
				t.Errorf("time: suite %q, total %q; want equal and set", s.Time, got.Time)
			}
		})
	}
}

func TestBuildCases(t *testing.T) {
	t.Parallel()
	mixed := reporttest.Named(t, "mixed")
	suites := build(mixed)
	s := suites.Suites[0]
	if s.Name != "docketqa" {
		t.Errorf("suite name = %q, want the stable docketqa", s.Name)
	}
	if s.Timestamp != "2025-03-14T09:26:53Z" {
		t.Errorf("timestamp = %q, want UTC", s.Timestamp)
	}
	if s.Time != "252.345" {
		t.Errorf("time = %q", s.Time)
	}
	if s.Properties == nil || len(*s.Properties) != 3 ||
		(*s.Properties)[0] != (gojunit.Property{Name: "docketqa.group_run_id", Value: "35"}) ||
		(*s.Properties)[1] != (gojunit.Property{Name: "docketqa.group_run_name", Value: "Nightly smoke"}) ||
		(*s.Properties)[2] != (gojunit.Property{Name: "docketqa.group_run_url", Value: "https://app.docketqa.example/group-runs/35"}) {
		t.Errorf("properties = %+v", s.Properties)
	}

	byName := map[string]testcase{}
	for i, tc := range s.Testcases {
		if want := mixed.Runs[i].Name(); tc.Name != want {
			t.Errorf("case %d = %q, want %q (input order)", i, tc.Name, want)
		}
		if tc.Classname != "docketqa" {
			t.Errorf("case %q classname = %q", tc.Name, tc.Classname)
		}
		byName[tc.Name] = tc
	}

	pass := byName["Passes first (blueprint 501)"]
	if pass.Failure != nil || pass.Error != nil || pass.Skipped != nil || pass.Time != "42.000" {
		t.Errorf("passed case = %+v", pass)
	}
	flaky := byName["Flaky but fine (blueprint 503)"]
	if flaky.Failure != nil || flaky.Error != nil || flaky.Skipped != nil ||
		!strings.Contains(flaky.SystemOut.Data, "flaky: passed after 2 attempts") {
		t.Errorf("flaky case = %+v", flaky)
	}
	fail := byName["Fails last (blueprint 502)"]
	if fail.Failure == nil ||
		fail.Failure.Message != `step 2: Click "Checkout": No button labelled Checkout was found; new failure: passed the last 9 runs (✓✓✓✓✓✓✓✓✓✗, latest last)` ||
		fail.Failure.Type != "failed" ||
		!strings.Contains(fail.Failure.Data, "✓ step 1 (4s): Open the cart — Cart shows 2 items") ||
		!strings.Contains(fail.Failure.Data, "✗ step 3: Pay with test card — Not reached") {
		t.Errorf("failure = %+v", fail.Failure)
	}
	for _, want := range []string{
		"status: failed", "run id: 9502", "attempts: 1",
		"failing step: ✗ step 2 (31s): Click \"Checkout\" — No button labelled Checkout was found\n",
		"recent record: new failure: passed the last 9 runs (✓✓✓✓✓✓✓✓✓✗, latest last)\n",
		"screenshots:\nstep 1: https://cdn.docketqa.example/runs/9502/step-1.png\nstep 2: https://cdn.docketqa.example/runs/9502/step-2.png\nstep 2: https://cdn.docketqa.example/runs/9502/step-3.png\n",
		"video: https://cdn.docketqa.example/runs/9502/video.mp4",
	} {
		if !strings.Contains(fail.SystemOut.Data, want) {
			t.Errorf("system-out lacks %q:\n%s", want, fail.SystemOut.Data)
		}
	}
	noVerdict := byName["Times out (blueprint 505)"]
	if noVerdict.Error == nil || noVerdict.Error.Message != "no result within 30m; last status running; failing for the last 4 runs (✓✓✗✗✗✗, latest last)" || noVerdict.Error.Type != "no-verdict" {
		t.Errorf("error = %+v", noVerdict.Error)
	}
	nb := byName["Optional check (blueprint 504)"]
	if nb.Failure != nil || nb.Skipped == nil ||
		nb.Skipped.Message != `non-blocking failure: step 2: Click "Checkout": No button labelled Checkout was found` {
		t.Errorf("non-blocking case = %+v", nb)
	}
}

// TestBuildAttempts checks where each earlier attempt goes: flaky* under a
// pass, rerun* otherwise, *Error for an attempt without a verdict, and
// never into the counts.
func TestBuildAttempts(t *testing.T) {
	t.Parallel()
	retry := result.Attempt{Status: "failed", Verdict: result.Failed, Reason: "step 2: Click: missing",
		VideoURL: "https://cdn.example/a1.mp4"}
	lost := result.Attempt{Rerun: true, RunID: 70, Status: "running", Verdict: result.Error, Reason: "no result within 30m"}
	cases := []struct {
		name                              string
		run                               result.Run
		flakyF, flakyE, rerunF, rerunE    int
		failures, errors, skipped         int
		firstMessage, firstType, firstOut string
	}{
		{
			name:   "flaky by DocketQA retry",
			run:    result.Run{Verdict: result.Passed, Attempts: 2, Flaky: true, Earlier: []result.Attempt{retry}},
			flakyF: 1, firstMessage: "attempt 1 of 2 (DocketQA retry): step 2: Click: missing", firstType: "failed",
			firstOut: "status: failed\nvideo: https://cdn.example/a1.mp4\n",
		},
		{
			name:   "earlier attempts without the flag",
			run:    result.Run{Verdict: result.Passed, Attempts: 3, Earlier: []result.Attempt{retry, lost}},
			flakyF: 1, flakyE: 1, firstMessage: "attempt 1 of 3 (DocketQA retry): step 2: Click: missing", firstType: "failed",
			firstOut: "status: failed\nvideo: https://cdn.example/a1.mp4\n",
		},
		{
			name:   "failed after a rerun without verdict",
			run:    result.Run{Verdict: result.Failed, Attempts: 2, Earlier: []result.Attempt{lost}},
			rerunE: 1, failures: 1, firstMessage: "attempt 1 of 2 (test run 70): no result within 30m", firstType: "no-verdict",
			firstOut: "run id: 70\nstatus: running\n",
		},
		{
			name:   "no verdict after failures",
			run:    result.Run{Verdict: result.Error, Attempts: 3, Earlier: []result.Attempt{retry, retry}},
			rerunF: 2, errors: 1, firstMessage: "attempt 1 of 3 (DocketQA retry): step 2: Click: missing", firstType: "failed",
			firstOut: "status: failed\nvideo: https://cdn.example/a1.mp4\n",
		},
		{
			name:   "non-blocking failure",
			run:    result.Run{Verdict: result.Failed, NonBlocking: true, Attempts: 2, Earlier: []result.Attempt{{}}},
			rerunF: 1, skipped: 1, firstMessage: "attempt 1 of 2 (DocketQA retry): status failed", firstType: "failed",
			firstOut: "status: failed\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run.BlueprintID = 1
			doc := build(result.Set{Runs: []result.Run{tc.run}})
			s := doc.Suites[0]
			if len(s.Testcases) != 1 || len(s.Testsuite.Testcases) != 0 || len(doc.Testsuites.Suites) != 0 {
				t.Fatalf("got %d cases, %d library cases, %d library suites; want 1, 0, 0",
					len(s.Testcases), len(s.Testsuite.Testcases), len(doc.Testsuites.Suites))
			}
			c := s.Testcases[0]
			if len(c.FlakyFailures) != tc.flakyF || len(c.FlakyErrors) != tc.flakyE ||
				len(c.RerunFailures) != tc.rerunF || len(c.RerunErrors) != tc.rerunE {
				t.Errorf("flakyFailure %d, flakyError %d, rerunFailure %d, rerunError %d; want %d, %d, %d, %d",
					len(c.FlakyFailures), len(c.FlakyErrors), len(c.RerunFailures), len(c.RerunErrors),
					tc.flakyF, tc.flakyE, tc.rerunF, tc.rerunE)
			}
			if s.Tests != 1 || s.Failures != tc.failures || s.Errors != tc.errors || s.Skipped != tc.skipped ||
				doc.Failures != tc.failures || doc.Errors != tc.errors {
				t.Errorf("counts: suite %d/%d/%d/%d, total failures %d errors %d; want 1/%d/%d/%d",
					s.Tests, s.Failures, s.Errors, s.Skipped, doc.Failures, doc.Errors, tc.failures, tc.errors, tc.skipped)
			}
			first := slices.Concat(c.FlakyFailures, c.FlakyErrors, c.RerunFailures, c.RerunErrors)[0]
			if first.Message != tc.firstMessage || first.Type != tc.firstType {
				t.Errorf("first attempt = %q (type %q), want %q (type %q)", first.Message, first.Type, tc.firstMessage, tc.firstType)
			}
			var out string
			if first.SystemOut != nil {
				out = first.SystemOut.Data
			}
			if out != tc.firstOut {
				t.Errorf("first attempt system-out = %q, want %q", out, tc.firstOut)
			}
		})
	}
}

// TestWriteRoundTrip reads the written report back into the local types,
// proving the embedded library structs marshal and unmarshal as one
// element each: one <testsuite>, one <testcase> per run, every attempt.
func TestWriteRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range reporttest.Cases() {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := Write(&buf, tc.Set); err != nil {
				t.Fatal(err)
			}
			var got report
			if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("unmarshal: %v\n%s", err, buf.String())
			}
			want := build(tc.Set)
			if len(got.Suites) != 1 || len(got.Suites[0].Testcases) != len(want.Suites[0].Testcases) {
				t.Fatalf("read back %d suites, want 1 with %d cases:\n%s", len(got.Suites), len(want.Suites[0].Testcases), buf.String())
			}
			for i, c := range got.Suites[0].Testcases {
				w := want.Suites[0].Testcases[i]
				if c.Name != w.Name || len(c.FlakyFailures) != len(w.FlakyFailures) || len(c.FlakyErrors) != len(w.FlakyErrors) ||
					len(c.RerunFailures) != len(w.RerunFailures) || len(c.RerunErrors) != len(w.RerunErrors) {
					t.Errorf("case %d read back as %+v, want %+v", i, c, w)
				}
			}
			if n := strings.Count(buf.String(), "<testcase "); n != len(want.Suites[0].Testcases) {
				t.Errorf("%d <testcase> elements, want %d", n, len(want.Suites[0].Testcases))
			}
		})
	}
}

func TestBuildNotAwaited(t *testing.T) {
	t.Parallel()
	run := result.Run{BlueprintID: 3, Verdict: result.Error, Reason: "not awaited (fail-fast)", NotAwaited: true}
	c := build(result.Set{Runs: []result.Run{run}}).Suites[0].Testcases[0]
	if c.Error != nil || c.Skipped == nil || c.Skipped.Type != "not-awaited" || c.Skipped.Message != "not awaited (fail-fast)" {
		t.Errorf("not awaited case: error %+v, skipped %+v", c.Error, c.Skipped)
	}
}

func TestBuildEmptyAndUntriggered(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		set       result.Set
		suiteName string
		message   string
	}{
		{"trigger failed", result.Set{}, "docketqa", "no group run was triggered"},
		{"no runs", result.Set{GroupRunID: 7}, "docketqa", "the group run reported no test runs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := build(tc.set).Suites[0]
			if s.Name != tc.suiteName {
				t.Errorf("suite name = %q, want %q", s.Name, tc.suiteName)
			}
			if s.Timestamp != "" {
				t.Errorf("timestamp = %q for a zero start time", s.Timestamp)
			}
			if len(s.Testcases) != 1 || s.Testcases[0].Error == nil || s.Testcases[0].Error.Message != tc.message {
				t.Errorf("cases = %+v, want one error case %q", s.Testcases, tc.message)
			}
		})
	}
}

// TestSuiteNameIsStable: GitLab tells new failures from existing ones by
// suite, class and case name, so two pipelines' group runs, named after
// their start time, must give the same suite name; the group run is still
// named where a reader sees it.
func TestSuiteNameIsStable(t *testing.T) {
	t.Parallel()
	run := result.Run{BlueprintID: 3, RunID: 30, Title: "Checkout", Verdict: result.Failed}
	var names []string
	for i, name := range []string{"Manual Run 2026-12-01 10:00:00", "Manual Run 2026-12-02 11:30:00"} {
		set := result.Set{GroupRunID: int64(40 + i), GroupRunName: name, GroupRunURL: "https://app.docketqa.example/group-runs/4" + strconv.Itoa(i),
			Runs: []result.Run{run}}
		s := build(set).Suites[0]
		names = append(names, s.Name+"/"+s.Testcases[0].Classname+"/"+s.Testcases[0].Name)
		if s.SystemOut == nil || !strings.Contains(s.SystemOut.Data, name) || !strings.Contains(s.SystemOut.Data, set.GroupRunURL) {
			t.Errorf("suite output %+v does not name the group run %q and link it", s.SystemOut, name)
		}
		found := false
		for _, p := range *s.Properties {
			found = found || p.Name == "docketqa.group_run_name" && p.Value == name
		}
		if !found {
			t.Errorf("properties %+v lack docketqa.group_run_name %q", *s.Properties, name)
		}
	}
	if names[0] != names[1] {
		t.Errorf("case keys differ between pipelines: %q and %q", names[0], names[1])
	}
}

func TestCleanStripsIllegalXML(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"tab\tnl\ncr\r", "tab\tnl\ncr\r"},
		{"nul\x00esc\x1bdel\x7f", "nulescdel\x7f"},
		{"bad\xff\xfeutf8", "bad\uFFFDutf8"},
		{"non\uFFFEchar\uFFFF", "nonchar"},
		{"emoji 👩‍💻 ]]>", "emoji 👩‍💻 ]]>"},
	}
	for _, tc := range cases {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHostileOutputParses(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Write(&buf, reporttest.Hostile()); err != nil {
		t.Fatal(err)
	}
	var got gojunit.Testsuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("hostile report is not well-formed XML: %v\n%s", err, buf.String())
	}
	if s := got.Suites[0]; s.Time != "0.000" || len(s.Testcases) != 4 {
		t.Errorf("suite time %q with %d cases", s.Time, len(s.Testcases))
	}
	// Markup in the input must stay text: the only elements are the report's.
	allowed := map[string]bool{
		"testsuites": true, "testsuite": true, "properties": true, "property": true,
		"testcase": true, "failure": true, "error": true, "skipped": true, "system-out": true,
		"flakyFailure": true, "flakyError": true, "rerunFailure": true, "rerunError": true,
	}
	dec := xml.NewDecoder(&buf)
	for {
		tok, err := dec.Token()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("token: %v", err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && !allowed[se.Name.Local] {
			t.Errorf("unexpected element <%s> from input", se.Name.Local)
		}
	}
	if name := got.Suites[0].Testcases[2].Name; name != "blueprint 603" {
		t.Errorf("name of a run titled only with illegal characters = %q, want %q", name, "blueprint 603")
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n <= 0 {
		return 0, errors.New("disk full")
	}
	w.n--
	return len(p), nil
}

func TestWritePropagatesErrors(t *testing.T) {
	t.Parallel()
	for _, okWrites := range []int{0, 1} {
		err := Write(&failingWriter{n: okWrites}, reporttest.Cases()[0].Set)
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("after %d good writes: err = %v, want wrapped disk full", okWrites, err)
		}
	}
}

// TestAttachments checks the [[ATTACHMENT|path]] lines: only on failed and
// errored cases, only the gate's own paths, failing step's screenshot
// first, and never from API text.
func TestAttachments(t *testing.T) {
	t.Parallel()
	doc := build(reporttest.Named(t, "artifacts"))
	want := map[string][]string{
		"Log in (blueprint 1103)":                 nil,
		"Search (blueprint 1102)":                 {"artifacts/1102-11002/1102-11002-video.webm"},
		"Experimental dark mode (blueprint 1104)": nil,
	}
	for _, tc := range doc.Suites[0].Testcases {
		var got []string
		for _, line := range strings.Split(tc.SystemOut.Data, "\n") {
			if p, ok := strings.CutPrefix(line, attachmentPrefix); ok {
				got = append(got, strings.TrimSuffix(p, "]]"))
			}
		}
		for _, text := range []string{tc.Name, tc.SystemOut.Data, resultData(tc.Failure), resultData(tc.Error), resultData(tc.Skipped)} {
			if n := strings.Count(text, attachmentPrefix); n > len(got) {
				t.Errorf("%s: %d attachment markers, only %d are the gate's lines", tc.Name, n, len(got))
			}
		}
		if strings.HasPrefix(tc.Name, "Checkout") {
			w := []string{
				"artifacts/1101-11001/1101-11001-step2-after.png",
				"artifacts/1101-11001/1101-11001-step2-before.png",
				"artifacts/1101-11001/1101-11001-video.webm",
			}
			if !slices.Equal(got, w) {
				t.Errorf("checkout attachments %q, want %q", got, w)
			}
			continue
		}
		w, ok := want[tc.Name]
		if !ok {
			t.Errorf("unexpected case %q", tc.Name)
		}
		if !slices.Equal(got, w) {
			t.Errorf("%s: attachments %q, want %q", tc.Name, got, w)
		}
		if w == nil && !strings.Contains(tc.SystemOut.Data, "saved evidence:\nstep ") {
			t.Errorf("%s: saved files not listed plainly:\n%s", tc.Name, tc.SystemOut.Data)
		}
	}
}

func resultData(r *gojunit.Result) string {
	if r == nil {
		return ""
	}
	return r.Message + r.Data
}

// TestTypeIsTheGatesOwnWord: whatever status word the API sends, every
// type attribute is one of the gate's words, and the status word is still
// in the failure's body. GitLab reads type as an ActiveSupport type cast:
// "yaml" or "symbol" there makes it reject the whole report.
func TestTypeIsTheGatesOwnWord(t *testing.T) {
	t.Parallel()
	own := map[string]bool{typeFailed: true, typeNoVerdict: true, typeNotAwaited: true, typeNonBlocking: true}
	for _, word := range []string{"yaml", "symbol", "integer", "array", "hash", "boolean", "base64Binary", "string", "failed", `"><x/>`, " "} {
		t.Run(word, func(t *testing.T) {
			t.Parallel()
			earlier := []result.Attempt{
				{Rerun: true, RunID: 7, Status: word, Verdict: result.Failed},
				{Rerun: true, RunID: 8, Status: word, Verdict: result.Error, Reason: "gone"},
			}
			set := result.Set{GroupRunID: 1, Runs: []result.Run{
				{BlueprintID: 1, RunID: 9, Title: "Failed", Status: word, Verdict: result.Failed, Attempts: 3, Earlier: earlier},
				{BlueprintID: 2, RunID: 10, Title: "No verdict", Status: word, Verdict: result.Error, Attempts: 1},
				{BlueprintID: 3, RunID: 11, Title: "Non-blocking", Status: word, Verdict: result.Failed, NonBlocking: true, Attempts: 1},
				{BlueprintID: 4, RunID: 12, Title: "Flaky", Status: "passed", Verdict: result.Passed, Flaky: true, Attempts: 2, Earlier: earlier[:1]},
			}}
			var buf bytes.Buffer
			if err := Write(&buf, set); err != nil {
				t.Fatal(err)
			}
			dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
			types := 0
			var text strings.Builder
			for {
				tok, err := dec.Token()
				if err != nil {
					if !errors.Is(err, io.EOF) {
						t.Fatalf("token: %v", err)
					}
					break
				}
				if cd, ok := tok.(xml.CharData); ok {
					text.Write(cd)
				}
				se, ok := tok.(xml.StartElement)
				if !ok {
					continue
				}
				for _, a := range se.Attr {
					if a.Name.Local != "type" {
						continue
					}
					types++
					if !own[a.Value] {
						t.Errorf("<%s type=%q>: not one of the gate's words", se.Name.Local, a.Value)
					}
				}
			}
			if types != 6 {
				t.Errorf("%d type attributes, want 6 (3 results, 3 attempts)", types)
			}
			if w := strings.TrimSpace(word); w != "" && strings.Count(text.String(), "status: "+w) < 6 {
				t.Errorf("the status word %q is not in the bodies:\n%s", word, buf.String())
			}
		})
	}
}
