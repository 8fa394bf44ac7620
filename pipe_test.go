package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/hostile"
)

// TestBrokenPipe is `docketqa-gate … | head -n 2`: the real program with
// its stdout closed after two lines (and, in one case, stderr closed from
// the start). main ignores SIGPIPE, so the gate survives the closed pipe,
// writes every report and exits with the verdict.
func TestBrokenPipe(t *testing.T) {
	t.Parallel()
	for _, closeStderr := range []bool{false, true} {
		t.Run(fmt.Sprintf("close stderr %v", closeStderr), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			api := hostile.New(t, testKey)
			env := map[string]string{
				"DOCKETQA_API_KEY":      testKey,
				"DOCKETQA_BASE_URL":     api.URL,
				"DOCKETQA_JUNIT":        filepath.Join(dir, "junit.xml"),
				"DOCKETQA_SUMMARY":      filepath.Join(dir, "summary.md"),
				"DOCKETQA_RESULTS_JSON": filepath.Join(dir, "results.json"),
				"DOCKETQA_DOTENV":       filepath.Join(dir, "docketqa.env"),
			}
			run := func(id, blueprint int64, status string) hostile.Run {
				return hostile.Run{ID: id, BlueprintID: blueprint, GroupRunID: 35, Status: status, Title: fmt.Sprintf("Flow %d", blueprint),
					Created: "2025-07-03T01:38:03.020496+00:00", Updated: "2025-07-03T01:39:03.020496+00:00"}
			}
			var closed atomic.Bool
			api.Trigger(hostile.Triggered(35, run(1000, 180, "running"), run(1001, 181, "running")))
			// The runs stay running until the pipe is closed, so every
			// line after the first two meets a closed pipe.
			api.HandleRuns(func(id int64, _ int) hostile.Answer {
				switch {
				case id != 1000 && id != 1001:
					return hostile.Fail(http.StatusNotFound, `{"detail":"Not found"}`)
				case !closed.Load():
					return hostile.Get(run(id, 180+id-1000, "running"))
				case id == 1001:
					r := run(id, 181, "failed")
					r.Steps = []hostile.Step{{Task: "Open the page", OK: true}, {Task: "Click 'Pay'", Result: "The button was missing"}}
					return hostile.Get(r)
				default:
					return hostile.Get(run(id, 180, "passed"))
				}
			})
			cmd := program([]string{"--blueprint-ids", "180,181", "--poll-interval", "1ms", "--max-poll-interval", "4ms",
				"--progress-interval", "4ms", "--timeout", "20s"}, env)
			outR, outW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			errR, errW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stdout, cmd.Stderr = outW, errW
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			outW.Close()
			errW.Close()
			var stderr bytes.Buffer
			stderrDone := make(chan struct{})
			if closeStderr {
				errR.Close()
				close(stderrDone)
			} else {
				go func() { _, _ = io.Copy(&stderr, errR); close(stderrDone) }()
			}
			sc := bufio.NewScanner(outR)
			var head []string
			for len(head) < 2 && sc.Scan() {
				head = append(head, sc.Text())
			}
			outR.Close()
			closed.Store(true)
			_ = cmd.Wait()
			<-stderrDone
			if len(head) < 2 {
				t.Fatalf("the gate printed fewer than two lines: %q\nstderr:\n%s", head, stderr.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit code %d (%v) with stdout closed, want the verdict 1\nstderr:\n%s", code, cmd.ProcessState, stderr.String())
			}
			for _, name := range []string{"DOCKETQA_JUNIT", "DOCKETQA_RESULTS_JSON", "DOCKETQA_DOTENV", "DOCKETQA_SUMMARY"} {
				b, err := os.ReadFile(env[name])
				if err != nil {
					t.Errorf("%s not written: %v", name, err)
					continue
				}
				for _, id := range []string{"180", "181"} {
					if name != "DOCKETQA_DOTENV" && !strings.Contains(string(b), id) {
						t.Errorf("%s does not name blueprint %s:\n%s", name, id, b)
					}
				}
			}
			if c := readCases(t, env["DOCKETQA_JUNIT"]); c["Flow 181 (blueprint 181)"].Failure == nil {
				t.Errorf("run 1001 failed, but JUnit has no failure for it: %+v", c)
			}
		})
	}
}
