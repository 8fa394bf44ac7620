//go:build unix

package app

// Hostile report paths and event files found by a review: a FIFO or a
// device where the gate writes a report, appends the summary or reads the
// GitHub event. None may block the gate, exhaust its memory or replace
// the thing at the path; every case runs under runWithin, so a gate that
// blocks fails the case instead of hanging the suite.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/github/ghfake"
)

// plant makes a hostile non-regular file at path: a FIFO, or (only as
// root) a character device with the given numbers; it skips otherwise.
func plant(t *testing.T, path, kind string) os.FileMode {
	t.Helper()
	switch kind {
	case "fifo":
		if err := syscall.Mkfifo(path, 0o644); err != nil {
			t.Skipf("no FIFOs here: %v", err)
		}
		return os.ModeNamedPipe
	case "zero", "null":
		if os.Geteuid() != 0 {
			t.Skip("making a device node needs root")
		}
		dev := 1<<8 | map[string]int{"null": 3, "zero": 5}[kind]
		if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, dev); err != nil {
			t.Skipf("mknod not permitted here: %v", err)
		}
		return os.ModeCharDevice
	}
	t.Fatalf("unknown kind %q", kind)
	return 0
}

// assertUntouched fails unless path still has the type bit mode.
func assertUntouched(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&mode == 0 {
		t.Errorf("%s was replaced or removed: %v %v", path, fi, err)
	}
}

// TestReviewBHostileReportPaths: --summary or --junit naming a FIFO, a
// null or a zero device. The gate neither blocks on the FIFO (past its
// --timeout, deaf to signals) nor reads /dev/zero until memory runs out
// nor replaces the device: such a path is a configuration error before
// anything is triggered (exit 2, no paid run), which names the file and
// says to use a regular file, and the other report still says so.
func TestReviewBHostileReportPaths(t *testing.T) {
	t.Parallel()
	for _, setting := range []string{"DOCKETQA_SUMMARY", "DOCKETQA_JUNIT"} {
		for _, kind := range []string{"fifo", "zero", "null"} {
			for _, fail := range []bool{false, true} {
				t.Run(setting+"/"+kind+"/"+map[bool]string{false: "pass", true: "fail"}[fail], func(t *testing.T) {
					t.Parallel()
					h := newGateRun(t, hgPlain)
					args := passing(h.api, fail)
					// Outside h.dir, which assertNoKey reads file by file.
					path := filepath.Join(t.TempDir(), "hostile-"+kind)
					mode := plant(t, path, kind)
					h.env[setting] = path
					h.runWithin(60*time.Second, append(args, "--timeout", "10s")...)
					h.assertCode(2)
					h.assertVerdictAgrees(false)
					assertUntouched(t, path, mode)
					if n := len(h.api.Served()); n != 0 {
						t.Errorf("%d request(s) sent before the refusal", n)
					}
					if !strings.Contains(h.stderr.String(), path) || !strings.Contains(h.stderr.String(), "regular file") {
						t.Errorf("stderr does not name %s and say to use a regular file:\n%s", path, h.logs())
					}
					if setting == "DOCKETQA_SUMMARY" {
						if b, err := os.ReadFile(h.env["DOCKETQA_JUNIT"]); err != nil || !strings.Contains(string(b), "regular file") {
							t.Errorf("the JUnit report does not carry the configuration error: %v\n%s", err, b)
						}
					}
					h.assertNoKey()
				})
			}
		}
	}
}

// TestReviewBHostileRunnerSummary: the runner's $GITHUB_STEP_SUMMARY is a
// FIFO or a device. The gate appends in place there, but never blocks on
// the open and writes only a regular file.
func TestReviewBHostileRunnerSummary(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"fifo", "null"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			h := newGateRun(t, hgGitHub)
			args := passing(h.api, true)
			path := h.env["GITHUB_STEP_SUMMARY"]
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			mode := plant(t, path, kind)
			h.runWithin(60*time.Second, append(args, "--timeout", "10s")...)
			h.assertCode(1)
			h.assertVerdictAgrees(false)
			assertUntouched(t, path, mode)
			if !strings.Contains(h.stdout.String()+h.stderr.String(), "not a regular file") {
				t.Errorf("the log does not say the summary file is not a regular file:\n%s", h.logs())
			}
			h.assertNoKey()
		})
	}
}

// TestReviewBEventFileFIFO: --pr-comment with GITHUB_EVENT_PATH naming a
// FIFO. The comment only warns; the gate neither blocks nor changes its
// exit code.
func TestReviewBEventFileFIFO(t *testing.T) {
	t.Parallel()
	fake := &ghfake.Server{}
	h := prHarness(t, fake, "failed")
	// Outside h.dir, which the harness reads file by file.
	fifo := filepath.Join(t.TempDir(), "event.fifo")
	mode := plant(t, fifo, "fifo")
	h.env["GITHUB_EVENT_PATH"] = fifo
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- h.run(context.Background(), "--blueprint-ids", "1,2") }()
	var code int
	select {
	case code = <-done:
	case <-ctx.Done():
		t.Fatalf("the gate blocked on the event file\n%s\n%s", h.stdout.String(), h.stderr.String())
	}
	if code != 1 {
		t.Errorf("exit %d, want 1 (the failure; the comment only warns)", code)
	}
	var warnings []string
	for l := range strings.Lines(h.stdout.String()) {
		if strings.HasPrefix(l, "::warning") {
			warnings = append(warnings, l)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "named pipe") || !strings.Contains(warnings[0], "GITHUB_EVENT_PATH") {
		t.Errorf("warnings %q, want one saying the event file is a named pipe", warnings)
	}
	if len(fake.Comments(7)) != 0 {
		t.Error("a comment was written without a pull-request number")
	}
	assertUntouched(t, fifo, mode)
	h.assertNoToken()
}
