package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
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

func TestSignalWritesReportsAndExits3(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{bp(1, "", time.Hour), bp(2, "", time.Millisecond)}})
			cmd := exec.Command(os.Args[0], "--blueprint-ids", "1,2", "--poll-interval", "2ms", "--max-poll-interval", "10ms")
			cmd.Env = append(os.Environ(), "DOCKETQA_GATE_TEST_MAIN=1")
			for k, v := range h.env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Signal once run 2 is reported: polling is then under way.
			sc := bufio.NewScanner(stdout)
			var out strings.Builder
			for sc.Scan() {
				out.WriteString(sc.Text() + "\n")
				if strings.Contains(sc.Text(), "Flow 2 (blueprint 2)") {
					break
				}
			}
			start := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			for sc.Scan() {
				out.WriteString(sc.Text() + "\n")
			}
			err = cmd.Wait()
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("exited %v after the signal, want under 2s", el)
			}
			if code := cmd.ProcessState.ExitCode(); code != 3 {
				t.Fatalf("exit %d (%v), want 3\nstdout:\n%s\nstderr:\n%s", code, err, out.String(), stderr.String())
			}
			c := h.cases()
			if e := c["Flow 1 (blueprint 1)"].Error; e == nil || !strings.Contains(e.Message, "interrupted") {
				t.Errorf("run 1 should be interrupted: %+v", c)
			}
			if c["Flow 2 (blueprint 2)"].Error != nil || c["Flow 2 (blueprint 2)"].Failure != nil {
				t.Errorf("run 2 passed before the signal: %+v", c)
			}
			if !strings.Contains(stderr.String(), "runs continue there") || !strings.Contains(out.String(), "/dashboard/grouprun/") {
				t.Errorf("the gate should print the dashboard link and say the runs continue:\n%s\n%s", out.String(), stderr.String())
			}
			for _, s := range []string{out.String(), stderr.String()} {
				if strings.Contains(s, testKey) {
					t.Error("output leaks the key")
				}
			}
			if _, err := os.Stat(filepath.Join(h.dir, "summary.md")); err != nil {
				t.Errorf("summary not written: %v", err)
			}
		})
	}
}
