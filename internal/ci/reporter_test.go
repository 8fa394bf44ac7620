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
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

var update = testutil.UpdateFlag()

// fakeKey is an obviously fake API key.
const fakeKey = "fake-docketqa-key-0000"

// fixedNow stamps GitLab sections deterministically.
func fixedNow() time.Time { return time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC) }

// sampleRuns covers every kind of block: a pass (skipped), a blocking
// failure with an escaped-looking title, a run with no verdict and no
// steps, and a non-blocking failure.
func sampleRuns() []result.Run {
	return []result.Run{
		{
			BlueprintID: 11, RunID: 101, Title: "Login", Verdict: result.Passed,
			Steps: []result.Step{{Number: 1, Task: "Open login", OK: true, Duration: time.Second}},
		},
		{
			BlueprintID: 12, RunID: 102, Title: "Checkout: pay, 100% done", Verdict: result.Failed,
			Reason: "step 2 failed",
			Steps: []result.Step{
				{Number: 1, Task: "Open shop", OK: true, Result: "Shop loaded", Duration: 1234 * time.Millisecond},
				{Number: 2, Task: "Click \"Pay\"", OK: false, Result: "Button not found\nafter 10s", Duration: 350 * time.Millisecond},
			},
			VideoURL: "https://app.docketqa.com/videos/102.mp4",
		},
		{
			BlueprintID: 13, Verdict: result.Error,
			Reason: "deadline exceeded while the run was still running",
		},
		{
			BlueprintID: 14, RunID: 104, Title: "Search", Verdict: result.Failed, NonBlocking: true,
			Steps: []result.Step{{Number: 1, Task: "Type query", OK: false, Duration: 2 * time.Second}},
		},
	}
}

func TestDetailsGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		platform Platform
		golden   string
	}{
		{GitHub, "details_github.golden"},
		{GitLab, "details_gitlab.golden"},
		{Jenkins, "details_plain.golden"},
		{Local, "details_plain.golden"},
	}
	for _, tc := range cases {
		t.Run(tc.platform.String(), func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			r := NewSink(tc.platform, &buf, io.Discard, testutil.Getenv(nil), WithNow(fixedNow))
			r.details(judged(sampleRuns()))
			// Local shares the Jenkins golden file and never writes it,
			// which keeps parallel updates from racing.
			testutil.Golden(t, filepath.Join("testdata", tc.golden), buf.Bytes(), *update && tc.platform != Local)
		})
	}
}

func TestDetailsGitLabSections(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := NewSink(GitLab, &buf, io.Discard, testutil.Getenv(nil), WithNow(fixedNow))
	r.details(judged(sampleRuns()))

	start := regexp.MustCompile(`^\x1b\[0Ksection_start:(\d+):([^\[\r]*)\[collapsed=true\]\r\x1b\[0K[✗!-] `)
	end := regexp.MustCompile(`^\x1b\[0Ksection_end:(\d+):([^\r]*)\r\x1b\[0K$`)
	valid := regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	var open string
	var ids []string
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if m := start.FindStringSubmatch(line); m != nil {
			if open != "" {
				t.Fatalf("section %q starts inside section %q", m[2], open)
			}
			if m[1] != fmt.Sprint(fixedNow().Unix()) {
				t.Errorf("section_start time = %s, want the injected clock", m[1])
			}
			if !valid.MatchString(m[2]) {
				t.Errorf("section id %q has characters GitLab rejects", m[2])
			}
			open = m[2]
			ids = append(ids, m[2])
			continue
		}
		if m := end.FindStringSubmatch(line); m != nil {
			if m[2] != open {
				t.Errorf("section_end %q closes %q", m[2], open)
			}
			open = ""
			continue
		}
		if open == "" {
			t.Errorf("line outside any section: %q", line)
		}
	}
	if open != "" {
		t.Errorf("section %q never ends", open)
	}
	if len(ids) != 3 || len(slices.Compact(slices.Clone(ids))) != 3 {
		t.Errorf("section ids = %q, want 3 unique ones (one per run that did not pass)", ids)
	}
}

func TestSectionID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		i    int
		run  result.Run
		want string
	}{
		{"no title", 0, result.Run{BlueprintID: 7}, "docketqa_1_blueprint_7"},
		{"simple", 2, result.Run{BlueprintID: 7, Title: "login-flow.v2"}, "docketqa_3_blueprint_7_login-flow.v2"},
		{"unsafe characters", 0, result.Run{BlueprintID: 7, Title: " Checkout: pay, 100%\n[now] ✓ "}, "docketqa_1_blueprint_7_Checkout_pay_100_now"},
		{"only unsafe characters", 0, result.Run{BlueprintID: 7, Title: "✓✓"}, "docketqa_1_blueprint_7"},
		{"long title", 0, result.Run{BlueprintID: 7, Title: strings.Repeat("a", 60)}, "docketqa_1_blueprint_7_" + strings.Repeat("a", 40)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := sectionID(tc.i, tc.run); got != tc.want {
				t.Errorf("sectionID() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		platform Platform
		secret   string
		want     []string
	}{
		{"github", GitHub, fakeKey, []string{"::add-mask::" + fakeKey}},
		{"github multi-line secret masks each line", GitHub, "fake-line-1\nfake-line-2", []string{
			"::add-mask::fake-line-1%0Afake-line-2", "::add-mask::fake-line-1", "::add-mask::fake-line-2",
		}},
		{"github empty secret", GitHub, "", nil},
		{"gitlab", GitLab, fakeKey, nil},
		{"jenkins", Jenkins, fakeKey, nil},
		{"local", Local, fakeKey, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			r := NewSink(tc.platform, &buf, io.Discard, testutil.Getenv(nil))
			if buf.Len() != 0 {
				t.Fatalf("NewSink printed %q; Mask must be able to come first", buf.String())
			}
			r.Mask(tc.secret)
			if got := lines(buf.String()); !slices.Equal(got, tc.want) {
				t.Errorf("Mask() printed %q, want %q", got, tc.want)
			}
		})
	}
}

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

// TestNoWorkflowCommandsOffGitHub drives every method on the other
// platforms with API text that looks like workflow commands: nothing may
// reach the log as a line GitHub would execute, and GITHUB_OUTPUT (which a
// runner might have leaked into the environment) stays untouched.
func TestNoWorkflowCommandsOffGitHub(t *testing.T) {
	t.Parallel()
	for _, p := range []Platform{GitLab, Jenkins, Local} {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			outFile := filepath.Join(t.TempDir(), "github_output")
			var buf bytes.Buffer
			r := NewSink(p, &buf, io.Discard, testutil.Getenv(map[string]string{"GITHUB_OUTPUT": outFile}), WithNow(fixedNow))
			r.Mask(fakeKey)
			r.details(judged(forgingRuns()))
			r.annotateRuns(judged(forgingRuns()))
			if err := r.SetOutputs(sampleOutputs()); err != nil {
				t.Errorf("SetOutputs() error = %v", err)
			}
			if cmds := commandLines(buf.String()); len(cmds) != 0 {
				t.Errorf("printed workflow commands: %q", cmds)
			}
			if strings.Contains(buf.String(), fakeKey) {
				t.Error("the key was printed")
			}
			if _, err := os.Stat(outFile); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("GITHUB_OUTPUT file was created (stat error %v)", err)
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

// forgingRuns carry text that would be a workflow command at a line start.
func forgingRuns() []result.Run {
	return []result.Run{{
		BlueprintID: 1, Title: "::error::forged title", Verdict: result.Failed,
		Reason: "x\n::add-mask::y",
		Steps: []result.Step{{
			Number: 1, Task: "::warning::task\n::error::task", OK: false,
			Result: "r\r::notice::result\n  ::group::g",
		}},
		VideoURL: "\n::endgroup::",
	}}
}

// commandLines returns the lines GitHub's runner would parse as workflow
// commands: those starting with "::" once whitespace and GitLab's section
// escapes are ignored. A CR also starts a new line in the runner's eyes.
func commandLines(log string) []string {
	var cmds []string
	for _, l := range strings.FieldsFunc(log, func(r rune) bool { return r == '\n' || r == '\r' }) {
		l = strings.TrimSpace(strings.ReplaceAll(l, "\x1b[0K", ""))
		if strings.HasPrefix(l, "::") {
			cmds = append(cmds, l)
		}
	}
	return cmds
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

// failingWriter fails every write, like a closed stdout.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("stdout closed") }

func TestBrokenLogDoesNotPanic(t *testing.T) {
	t.Parallel()
	for _, p := range []Platform{GitHub, GitLab, Jenkins, Local} {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			r := NewSink(p, failingWriter{}, io.Discard, testutil.Getenv(nil), WithNow(fixedNow))
			if err := r.Err(); err != nil {
				t.Fatalf("Err() before any output = %v", err)
			}
			r.Mask(fakeKey)
			r.details(judged(sampleRuns()))
			r.annotateRuns(judged(sampleRuns()))
			if err := r.Err(); err == nil || err.Error() != "stdout closed" {
				t.Errorf("Err() = %v, want the first write error", err)
			}
		})
	}
}

// lines splits printed output into lines without the final newline.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// TestMaskTwoSecrets: the API key and the GitHub token are both masked and
// both redacted, in any letter case, however many are registered.
func TestMaskTwoSecrets(t *testing.T) {
	t.Parallel()
	const token = "ghs_Token0000NotReal"
	for _, p := range []Platform{GitHub, GitLab, Local} {
		var out, errw bytes.Buffer
		s := NewSink(p, &out, &errw, testutil.Getenv(nil))
		s.Mask(fakeKey)
		s.Mask(token)
		s.Emit(event.Warning{Text: "key " + strings.ToUpper(fakeKey) + " token " + strings.ToLower(token)})
		body := strings.NewReplacer("::add-mask::"+fakeKey+"\n", "", "::add-mask::"+token+"\n", "").Replace(out.String()) + errw.String()
		if strings.Contains(strings.ToLower(body), strings.ToLower(fakeKey)) || strings.Contains(strings.ToLower(body), strings.ToLower(token)) {
			t.Errorf("%s: a secret shows:\n%s", p, body)
		}
		if strings.Count(body, "[redacted]") != 2 {
			t.Errorf("%s: want both secrets redacted:\n%s", p, body)
		}
		if p == GitHub && !strings.Contains(out.String(), "::add-mask::"+token+"\n") {
			t.Errorf("the token is not masked on GitHub:\n%s", out.String())
		}
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

// judged is runs as the Judge sees them at the end of a finished gate
// under the default policies.
func judged(runs []result.Run) []result.Judged {
	return result.Judge(result.Set{Runs: runs}, result.Policy{}, result.StopFinished).Runs
}
