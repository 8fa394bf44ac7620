package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

// exitBound is how long the real program may take to exit after a signal.
// It is an end-to-end measurement of the real binary, the only kind of
// test allowed one. The gate stops polling at once and writes its reports:
// 3 to 10 ms measured, with and without -race. 10 s is a margin of about
// 1000x, so a loaded machine does not fail it, while a gate that waits for
// something (an hour-long run, a request, a blocked report) still does.
const exitBound = 10 * time.Second

// startGate starts the real program as a child process against h's
// simulator and returns once the child has reported run 2 as finished, so
// polling is under way.
func startGate(t *testing.T, h *harness) (*exec.Cmd, *bufio.Scanner, *strings.Builder, *strings.Builder) {
	t.Helper()
	cmd := program([]string{"--blueprint-ids", "1,2", "--poll-interval", "2ms", "--max-poll-interval", "10ms"}, h.env)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	sc := bufio.NewScanner(stdout)
	out := &strings.Builder{}
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "Flow 2 (blueprint 2)") {
			break
		}
	}
	return cmd, sc, out, stderr
}

func TestSecondSignalExitsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{bp(1, "", time.Hour), bp(2, "", time.Millisecond)}})
	// The gate must block while it finishes after the first signal, so the
	// second signal has something to cut short. Every file it writes is
	// now opened without blocking, so it blocks on its own stdout: a pipe
	// this test fills and no longer reads, as a CI log collector that
	// stalls would. The verdict line cannot be printed until someone
	// reads, so without the second-signal exit the gate never ends.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	cmd := program([]string{"--blueprint-ids", "1,2", "--poll-interval", "2ms", "--max-poll-interval", "10ms"}, h.env)
	cmd.Stdout = w
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	// Polling is under way once run 2 is reported finished.
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "Flow 2 (blueprint 2)") {
			break
		}
	}
	if err := fillPipe(w); err != nil {
		t.Skipf("cannot fill a pipe here: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// Wait until the gate has written the JUnit report after the first
	// signal: it then prints its verdict to the full stdout, and blocks.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(h.env["DOCKETQA_JUNIT"]); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no JUnit report after the first signal")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Without the second-signal exit the child would block for good: kill
	// it after a while, which shows as a wrong exit code below.
	killer := time.AfterFunc(3*exitBound, func() { _ = cmd.Process.Kill() })
	defer killer.Stop()
	_ = cmd.Wait()
	el := time.Since(start)
	t.Logf("exited %v after the second signal", el)
	if el > exitBound {
		t.Errorf("exited %v after the second signal, want under %v", el, exitBound)
	}
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Errorf("exit %d after a second signal, want 3\n%s", code, stderr.String())
	}
}

// fillPipe writes to w until the pipe holds all it can, without blocking,
// and then makes w blocking again, so the next write by anyone (the child
// shares the pipe) waits for a reader.
func fillPipe(w *os.File) error {
	fd := int(w.Fd())
	if err := syscall.SetNonblock(fd, true); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = 'x'
	}
	for {
		_, err := syscall.Write(fd, buf)
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if err != nil {
			return err
		}
	}
	// A pipe takes a last partial write too: fill the last bytes.
	for {
		_, err := syscall.Write(fd, buf[:1])
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if err != nil {
			return err
		}
	}
	return syscall.SetNonblock(fd, false)
}

func TestSignalWritesReportsAndExits3(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{bp(1, "", time.Hour), bp(2, "", time.Millisecond)}})
			cmd, sc, out, stderr := startGate(t, h)
			start := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			for sc.Scan() {
				out.WriteString(sc.Text() + "\n")
			}
			err := cmd.Wait()
			el := time.Since(start)
			t.Logf("exited %v after the signal", el)
			if el > exitBound {
				t.Errorf("exited %v after the signal, want under %v", el, exitBound)
			}
			if code := cmd.ProcessState.ExitCode(); code != 3 {
				t.Fatalf("exit %d (%v), want 3\nstdout:\n%s\nstderr:\n%s", code, err, out.String(), stderr.String())
			}
			c := readCases(t, h.env["DOCKETQA_JUNIT"])
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
