package main

// The end-to-end suite of the real binary: this test binary started again
// as the program (TestMain), so main's own wiring (the signal context,
// SIGPIPE, the second-signal exit, the exit code) runs as in a pipeline.
// Everything else the program does is tested in-process beside it, in
// internal/app.

import (
	"encoding/xml"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
	// Registers -update, which `go test ./... -update` passes to every
	// test package.
	_ "github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// TestMain lets a test start this test binary as the real program, so the
// signal wiring in main is tested with real signals.
func TestMain(m *testing.M) {
	if os.Getenv("DOCKETQA_GATE_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// testKey is obviously fake; the tests check it never shows up anywhere.
const testKey = "dqa-test-key-0000-not-a-real-secret"

// harness is a simulator on httptest and the settings that point the real
// program at it, with its reports in a temporary directory.
type harness struct {
	dir string
	env map[string]string
}

func newHarness(t *testing.T, opts sim.Options) *harness {
	t.Helper()
	opts.APIKey = testKey
	s := sim.New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	return &harness{dir: dir, env: map[string]string{
		"DOCKETQA_API_KEY":  testKey,
		"DOCKETQA_BASE_URL": srv.URL,
		"DOCKETQA_JUNIT":    filepath.Join(dir, "junit.xml"),
		"DOCKETQA_SUMMARY":  filepath.Join(dir, "summary.md"),
	}}
}

// program is the real program with args and env, and nothing else of this
// process's environment that could change what it does (a CI runner's
// GITHUB_ACTIONS, say): only what the Go runtime and the race detector
// need.
func program(args []string, env map[string]string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = []string{"DOCKETQA_GATE_TEST_MAIN=1", "PATH=" + os.Getenv("PATH")}
	for _, k := range []string{"GOCOVERDIR", "GORACE", "TMPDIR", "HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

func bp(id int64, outcome string, d time.Duration) sim.Blueprint {
	return sim.Blueprint{ID: id, Title: fmt.Sprintf("Flow %d", id), Outcome: outcome, Duration: d}
}

// junitCase is a testcase as far as these tests look at it.
type junitCase struct {
	Name    string `xml:"name,attr"`
	Failure *struct {
		Message string `xml:"message,attr"`
	} `xml:"failure"`
	Error *struct {
		Message string `xml:"message,attr"`
	} `xml:"error"`
}

// readCases parses a JUnit report into name → case.
func readCases(t *testing.T, path string) map[string]junitCase {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("JUnit report missing: %v", err)
	}
	var doc struct {
		Suites []struct {
			Cases []junitCase `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JUnit report is not XML: %v", err)
	}
	out := map[string]junitCase{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			out[c.Name] = c
		}
	}
	return out
}

// TestExitCodes runs the real program once per exit code a pipeline can
// see without a server: the contract main hands to the shell.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
	}{
		{"version", []string{"--version"}, 0, "docketqa-gate "},
		{"help", []string{"--help"}, 0, "--blueprint-ids"},
		{"demo passes", []string{"--demo", "--demo-scenario", "pass"}, 0, "passed"},
		{"demo fails", []string{"--demo", "--demo-scenario", "fail"}, 1, "failed"},
		{"usage error", []string{"--no-such-setting"}, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cmd := program(append(tc.args, "--junit", filepath.Join(dir, "junit.xml"), "--summary", filepath.Join(dir, "summary.md")), nil)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			_ = cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, stdout.String())
			}
		})
	}
}
