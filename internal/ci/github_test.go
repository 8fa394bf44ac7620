package ci

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

func TestMaskComesFirst(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := NewSink(GitHub, &buf, io.Discard, testutil.Getenv(nil))
	r.Mask(fakeKey)
	r.details(judged(sampleRuns()))
	r.annotateRuns(judged(sampleRuns()))
	got := lines(buf.String())
	if len(got) < 2 || got[0] != "::add-mask::"+fakeKey {
		t.Fatalf("first line = %q, want the mask", got)
	}
	if n := strings.Count(buf.String(), fakeKey); n != 1 {
		t.Errorf("key printed %d times, want only inside the mask command", n)
	}
}

func TestAnnotate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		runs []result.Run
		want []string
	}{
		{
			name: "failed step with result, escaped title and message",
			runs: []result.Run{sampleRuns()[1]},
			want: []string{`::error title=Checkout%3A pay%2C 100%25 done (blueprint 12)::step 2 (Click "Pay"): Button not found after 10s`},
		},
		{
			name: "failed step without result",
			runs: []result.Run{{BlueprintID: 5, Title: "T", Verdict: result.Failed, Steps: []result.Step{{Number: 3, Task: "Check cart"}}}},
			want: []string{`::error title=T (blueprint 5)::step 3 (Check cart) failed`},
		},
		{
			name: "no verdict uses the reason",
			runs: []result.Run{sampleRuns()[2]},
			want: []string{`::error title=blueprint 13::deadline exceeded while the run was still running`},
		},
		{
			name: "failed without steps or reason",
			runs: []result.Run{{BlueprintID: 5, Verdict: result.Failed}},
			want: []string{`::error title=blueprint 5::test run failed`},
		},
		{
			name: "error without reason",
			runs: []result.Run{{BlueprintID: 5, Verdict: result.Error}},
			want: []string{`::error title=blueprint 5::test run has no verdict`},
		},
		{
			name: "non-blocking failure is a warning",
			runs: []result.Run{sampleRuns()[3]},
			want: []string{`::warning title=Search (blueprint 14) (non-blocking)::step 1 (Type query) failed`},
		},
		{
			name: "passed runs are not annotated",
			runs: []result.Run{sampleRuns()[0], {BlueprintID: 9, Verdict: result.Passed, NonBlocking: true}},
			want: nil,
		},
		{
			name: "title with newline",
			runs: []result.Run{{BlueprintID: 5, Title: "two\r\nlines", Verdict: result.Failed, Reason: "r"}},
			want: []string{`::error title=two  lines (blueprint 5)::r`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			NewSink(GitHub, &buf, io.Discard, testutil.Getenv(nil)).annotateRuns(judged(tc.runs))
			if got := lines(buf.String()); !slices.Equal(got, tc.want) {
				t.Errorf("Annotate() printed\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestAnnotateCap(t *testing.T) {
	t.Parallel()
	runs := func(n int, nonBlocking bool) []result.Run {
		var rs []result.Run
		for i := range n {
			rs = append(rs, result.Run{BlueprintID: int64(i + 1), Verdict: result.Failed, NonBlocking: nonBlocking, Reason: "boom"})
		}
		return rs
	}
	cases := []struct {
		name                    string
		failed, nonBlocking     int
		wantErrors, wantWarning int
		wantNotices             []string
	}{
		{"at the cap", 10, 10, 10, 10, nil},
		{"one over", 11, 0, 10, 0, []string{
			"::notice::1 more failed run not annotated (GitHub shows at most 10 error annotations per step); see the job summary or JUnit report",
		}},
		{"twelve failed", 12, 0, 10, 0, []string{
			"::notice::2 more failed runs not annotated (GitHub shows at most 10 error annotations per step); see the job summary or JUnit report",
		}},
		{"both over", 12, 13, 10, 10, []string{
			"::notice::2 more failed runs not annotated (GitHub shows at most 10 error annotations per step); see the job summary or JUnit report",
			"::notice::3 more non-blocking failures not annotated (GitHub shows at most 10 warning annotations per step); see the job summary or JUnit report",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			NewSink(GitHub, &buf, io.Discard, testutil.Getenv(nil)).annotateRuns(judged(append(runs(tc.failed, false), runs(tc.nonBlocking, true)...)))
			var errs, warnings int
			var notices []string
			for _, l := range lines(buf.String()) {
				switch {
				case strings.HasPrefix(l, "::error "):
					errs++
				case strings.HasPrefix(l, "::warning "):
					warnings++
				case strings.HasPrefix(l, "::notice::"):
					notices = append(notices, l)
				default:
					t.Errorf("unexpected line %q", l)
				}
			}
			if errs != tc.wantErrors || warnings != tc.wantWarning {
				t.Errorf("got %d errors and %d warnings, want %d and %d", errs, warnings, tc.wantErrors, tc.wantWarning)
			}
			if !slices.Equal(notices, tc.wantNotices) {
				t.Errorf("notices = %q, want %q", notices, tc.wantNotices)
			}
		})
	}
}

// TestAPITextCannotForgeCommands checks that on GitHub the only workflow
// commands in the log are the gate's own.
func TestAPITextCannotForgeCommands(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	NewSink(GitHub, &buf, io.Discard, testutil.Getenv(nil)).details(judged(forgingRuns()))
	for _, cmd := range commandLines(buf.String()) {
		if !strings.HasPrefix(cmd, "::group::") && cmd != "::endgroup::" {
			t.Errorf("forged workflow command in the log: %q", cmd)
		}
	}
}

func TestSetOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "github_output")
	// The runner shares the file with earlier steps' commands; ours append.
	const earlier = "earlier=1\n"
	if err := os.WriteFile(path, []byte(earlier), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	r := NewSink(GitHub, &buf, io.Discard, testutil.Getenv(map[string]string{"GITHUB_OUTPUT": path}))
	if err := r.SetOutputs(sampleOutputs()); err != nil {
		t.Fatalf("SetOutputs() error = %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("SetOutputs() logged %q, want nothing", buf.String())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rest, ok := strings.CutPrefix(string(raw), earlier)
	if !ok {
		t.Fatalf("earlier content of GITHUB_OUTPUT was not kept: %q", raw)
	}
	names, values := parseHeredocs(t, rest)
	if !slices.Equal(names, OutputNames()) {
		t.Errorf("output names = %q, want %q", names, OutputNames())
	}
	want := map[string]string{
		"verdict": "failed", "total": "12", "passed": "9", "failed": "2", "errors": "1", "flaky": "3",
		"group-run-id":      "4711",
		"group-run-url":     "https://app.docketqa.com/group-runs/4711",
		"junit-path":        "reports/junit.xml INJECTED=1",
		"results-json-path": "results [31m.json",
	}
	for k, v := range want {
		if values[k] != v {
			t.Errorf("output %s = %q, want %q", k, values[k], v)
		}
	}
}

// parseHeredocs reads GITHUB_OUTPUT's "name<<DELIM / value / DELIM" records
// back, as the runner does, and fails on anything else.
func parseHeredocs(t *testing.T, s string) ([]string, map[string]string) {
	t.Helper()
	var names []string
	values := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		name, delim, ok := strings.Cut(sc.Text(), "<<")
		if !ok {
			t.Fatalf("not a heredoc record: %q", sc.Text())
		}
		var value []string
		for {
			if !sc.Scan() {
				t.Fatalf("output %q has no closing delimiter", name)
			}
			if sc.Text() == delim {
				break
			}
			value = append(value, sc.Text())
		}
		if len(value) != 1 {
			t.Errorf("output %q has %d lines, want 1", name, len(value))
		}
		names = append(names, name)
		values[name] = strings.Join(value, "\n")
	}
	return names, values
}

func TestSetOutputsWithoutUsableFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name    string
		path    string
		wantErr error // nil: no error expected
		anyErr  bool
	}{
		{name: "unset is a no-op", path: ""},
		{name: "missing directory", path: filepath.Join(dir, "missing", "out"), wantErr: fs.ErrNotExist},
		{name: "path is a directory", path: dir, anyErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			r := NewSink(GitHub, &buf, io.Discard, testutil.Getenv(map[string]string{"GITHUB_OUTPUT": tc.path}))
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("SetOutputs() panicked: %v", p)
					}
				}()
				err = r.SetOutputs(sampleOutputs())
			}()
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("SetOutputs() error = %v, want %v", err, tc.wantErr)
			case tc.anyErr && err == nil:
				t.Error("SetOutputs() error = nil, want an error")
			case tc.wantErr == nil && !tc.anyErr && err != nil:
				t.Errorf("SetOutputs() error = %v, want nil", err)
			}
			if err != nil && !strings.Contains(err.Error(), "GITHUB_OUTPUT") {
				t.Errorf("error %q does not name GITHUB_OUTPUT", err)
			}
		})
	}
}

// TestAnnotateCause checks the cause annotation: an error naming the cause
// with its advice, a warning when a policy excuses every run without a
// verdict, nothing off GitHub, and that it counts towards GitHub's limit
// of 10 error annotations, so the runs' own stop at 9 with a notice.
func TestAnnotateCause(t *testing.T) {
	t.Parallel()
	cause := event.Cause{What: "the deadline of 2s passed before every run finished", Advice: "raise --timeout / DOCKETQA_TIMEOUT if runs need longer"}
	const msg = "the deadline of 2s passed before every run finished; raise --timeout / DOCKETQA_TIMEOUT if runs need longer"
	lost := func(n int) []result.Run {
		var rs []result.Run
		for i := range n {
			rs = append(rs, result.Run{BlueprintID: int64(i + 1), RunID: int64(100 + i), Verdict: result.Error, Reason: "no result within 2s"})
		}
		return rs
	}
	// excusedIf judges runs with --fail-on-no-verdict=false for the runs
	// that ok names, and the default for the others.
	excusedIf := func(runs []result.Run, ok func(result.Run) bool) []result.Judged {
		js := judged(runs)
		for i := range js {
			js[i].Excused = ok(js[i].Run)
		}
		return js
	}
	t.Run("error, then the runs up to the limit", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		r := NewSink(GitHub, &buf, io.Discard, testutil.Getenv(nil))
		r.annotateCause(cause, judged(lost(12)))
		r.annotateRuns(judged(lost(12)))
		ls := lines(buf.String())
		if len(ls) == 0 || ls[0] != "::error title=docketqa-gate%3A no verdict::"+msg {
			t.Fatalf("first line %q, want the cause as an error annotation", ls)
		}
		errs := 0
		for _, l := range ls {
			if strings.HasPrefix(l, "::error ") {
				errs++
			}
		}
		want := "::notice::3 more failed runs not annotated (GitHub shows at most 10 error annotations per step); see the job summary or JUnit report"
		if errs != 10 || ls[len(ls)-1] != want {
			t.Errorf("%d error annotations, last line %q; want 10 and %q", errs, ls[len(ls)-1], want)
		}
	})
	t.Run("excused: a warning", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		r := NewSink(GitHub, &buf, io.Discard, testutil.Getenv(nil))
		r.annotateCause(cause, excusedIf(lost(2), func(result.Run) bool { return true }))
		if got := buf.String(); got != "::warning title=docketqa-gate%3A no verdict::"+msg+"\n" {
			t.Errorf("got %q, want the cause as a warning", got)
		}
	})
	t.Run("one run not excused: an error", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		r := NewSink(GitHub, &buf, io.Discard, testutil.Getenv(nil))
		r.annotateCause(cause, excusedIf(lost(2), func(run result.Run) bool { return run.BlueprintID == 1 }))
		if got := buf.String(); !strings.HasPrefix(got, "::error ") {
			t.Errorf("got %q, want an error", got)
		}
	})
	for _, p := range []Platform{GitLab, Jenkins, Local} {
		var buf bytes.Buffer
		NewSink(p, &buf, io.Discard, testutil.Getenv(nil)).annotateCause(cause, judged(lost(1)))
		if buf.Len() != 0 {
			t.Errorf("%v: printed %q", p, buf.String())
		}
	}
}

// TestWarningsPastTheLimitGoToStderr: GitHub shows at most 10 warning
// annotations per step, so the Sink's 11th and later warnings are plain
// stderr lines instead of annotations GitHub would drop; and the run
// annotations after them say in a notice that they were not shown. Off
// GitHub every warning is a stderr line.
func TestWarningsPastTheLimitGoToStderr(t *testing.T) {
	t.Parallel()
	for _, p := range []Platform{GitHub, GitLab, Jenkins, Local} {
		var out, errw bytes.Buffer
		s := NewSink(p, &out, &errw, testutil.Getenv(nil))
		for i := range 12 {
			s.Emit(event.Warning{Text: fmt.Sprintf("odd thing %d", i+1)})
		}
		s.annotateRuns(judged([]result.Run{{BlueprintID: 1, Verdict: result.Failed, NonBlocking: true, Reason: "r"}}))
		wantAnnotations, wantStderr := 10, 2
		if p != GitHub {
			wantAnnotations, wantStderr = 0, 12
		}
		if n := strings.Count(out.String(), "::warning title=docketqa-gate::odd thing "); n != wantAnnotations {
			t.Errorf("%v: %d warning annotations, want %d:\n%s", p, n, wantAnnotations, out.String())
		}
		if n := strings.Count(errw.String(), "docketqa-gate: warning: odd thing "); n != wantStderr {
			t.Errorf("%v: %d warnings on stderr, want %d:\n%s", p, n, wantStderr, errw.String())
		}
		if p == GitHub && !strings.Contains(errw.String(), "warning: odd thing 12\n") {
			t.Errorf("the last warning is not on stderr:\n%s", errw.String())
		}
		notice := "::notice::1 more non-blocking failure not annotated (GitHub shows at most 10 warning annotations per step)"
		if got := strings.Contains(out.String(), notice); got != (p == GitHub) {
			t.Errorf("%v: notice of the run left unannotated printed = %v:\n%s", p, got, out.String())
		}
	}
}
