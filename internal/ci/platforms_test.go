package ci

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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

// judged is runs as the Judge sees them at the end of a finished gate
// under the default policies.
func judged(runs []result.Run) []result.Judged {
	return result.Judge(result.Set{Runs: runs}, result.Policy{}, result.StopFinished).Runs
}
