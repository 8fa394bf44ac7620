package ci

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// parseFileCommand reads a GitHub file command as GitHub documents it
// (testutil.FileCommandRecords); a name set twice fails the test.
func parseFileCommand(t *testing.T, s string) map[string]string {
	t.Helper()
	values := map[string]string{}
	for _, r := range testutil.FileCommandRecords(t, s) {
		if _, dup := values[r[0]]; dup {
			t.Fatalf("%q is set twice", r[0])
		}
		values[r[0]] = r[1]
	}
	return values
}

// countingRandom yields 16-byte draws whose bytes all equal the draw's
// number, so a test knows every delimiter in advance.
type countingRandom struct{ n byte }

func (c *countingRandom) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
	}
	c.n++
	return len(p), nil
}

func drawn(n byte) string { return delimiterPrefix + strings.Repeat(fmt.Sprintf("%02x", n), 16) }

// TestFileCommandDelimiters: values equal to go-githubactions' fixed
// delimiter, or holding the delimiter the gate drew for them, still read
// back as written, as separate outputs.
func TestFileCommandDelimiters(t *testing.T) {
	t.Parallel()
	o := sampleOutputs()
	// What go-githubactions used for every value: a report path named
	// like it ended the value early and the runner rejected the file.
	o.JUnitPath = "_GitHubActionsFileCommandDelimeter_"
	o.GroupRunURL = "https://app.docketqa.com/dashboard/grouprun/4711"
	outs := o.outputs()
	// junit-path is the 10th output: the 10th draw (number 9) is in its
	// value, and results-json-path is exactly the draw it would get next.
	if outs[9].name != "junit-path" || outs[10].name != "results-json-path" {
		t.Fatalf("output order changed: %v", OutputNames())
	}
	outs[9].value = "reports/" + drawn(9) + "/junit.xml"
	outs[10].value = drawn(11)
	path := filepath.Join(t.TempDir(), "github_output")
	if err := appendGitHubFile(path, outs, &countingRandom{}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := parseFileCommand(t, string(raw))
	if len(got) != len(outs) {
		t.Errorf("%d outputs read back, want %d:\n%s", len(got), len(outs), raw)
	}
	for _, out := range outs {
		if want := outputValue(out.value); got[out.name] != want {
			t.Errorf("%s = %q, want %q", out.name, got[out.name], want)
		}
	}
	for _, d := range []string{drawn(9), drawn(11)} {
		if strings.Contains(string(raw), "<<"+d+"\n") {
			t.Errorf("delimiter %s used although the value holds it:\n%s", d, raw)
		}
	}

	// With the runner's random source every value has its own delimiter.
	path = filepath.Join(t.TempDir(), "github_output")
	if err := appendGitHubFile(path, o.outputs(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	raw, _ = os.ReadFile(path)
	delims := regexp.MustCompile(`(?m)^[a-z-]+<<(.*)$`).FindAllStringSubmatch(string(raw), -1)
	seen := map[string]bool{}
	for _, m := range delims {
		if !regexp.MustCompile(`^ghadelimiter_[0-9a-f]{32}$`).MatchString(m[1]) || seen[m[1]] {
			t.Errorf("delimiter %q is not fresh random hex", m[1])
		}
		seen[m[1]] = true
	}
	if len(delims) != len(OutputNames()) || parseFileCommand(t, string(raw))["junit-path"] != o.JUnitPath {
		t.Errorf("file:\n%s", raw)
	}
}

// brokenRandom fails, or always yields the same bytes.
type brokenRandom struct{ fail bool }

func (b brokenRandom) Read(p []byte) (int, error) {
	if b.fail {
		return 0, errors.New("no entropy")
	}
	clear(p)
	return len(p), nil
}

func TestFileCommandDelimiterNeverReused(t *testing.T) {
	t.Parallel()
	outs := []output{{name: "verdict", value: drawn(0)}}
	for _, r := range []brokenRandom{{fail: true}, {}} {
		path := filepath.Join(t.TempDir(), "out")
		if err := appendGitHubFile(path, outs, r); err == nil {
			t.Errorf("random %+v: no error", r)
		}
		if b, _ := os.ReadFile(path); len(b) != 0 {
			t.Errorf("random %+v: wrote %q", r, b)
		}
	}
}

// TestRunnerFileLinksAndEarlierContent: GITHUB_OUTPUT may be a link the
// runner made, to a regular file: the outputs reach the file behind it, and
// what an earlier step wrote stays its own line. A link to a directory is
// refused.
func TestRunnerFileLinksAndEarlierContent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "runner-output")
	if err := os.WriteFile(target, []byte("earlier=1"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	outs := sampleOutputs().outputs()
	if err := appendGitHubFile(link, outs, rand.Reader); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(target)
	if got := parseFileCommand(t, string(b)); got["earlier"] != "1" || got["verdict"] != "failed" || !bytes.HasPrefix(b, []byte("earlier=1\n")) {
		t.Errorf("file:\n%s", b)
	}
	toDir := filepath.Join(dir, "to-dir")
	if err := os.Symlink(t.TempDir(), toDir); err != nil {
		t.Fatal(err)
	}
	if err := appendGitHubFile(toDir, outs, rand.Reader); err == nil {
		t.Error("a link to a directory was written to")
	}
}
