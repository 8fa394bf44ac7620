//go:build unix

package packaging

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// devLoopMarker precedes the CONTRIBUTING.md block this test runs. It is
// a skip marker for TestDocCommandBlocksRun, so the block runs once, here,
// where its output is checked too.
const devLoopMarker = "<!-- test: skip (TestContributingDevLoop runs it and checks its output) -->"

// fencedAfter returns the body of the first fenced code block after the
// line marker in doc.
func fencedAfter(t *testing.T, doc, marker string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n"+marker+"\n")
	if !ok {
		t.Fatalf("no line %q", marker)
	}
	fence, rest, ok := strings.Cut(rest, "\n")
	if !ok || !strings.HasPrefix(fence, "```") {
		t.Fatalf("the line after %q is %q, want a code fence", marker, fence)
	}
	body, _, ok := strings.Cut(rest, "\n```\n")
	if !ok {
		t.Fatal("the code block does not end")
	}
	return body + "\n"
}

// TestContributingDevLoop runs CONTRIBUTING.md's simulator block exactly
// as written, with sh -e, in a copy of the repository with its own GOPATH
// and GOBIN and no module proxy, so the commands cannot rot: the block
// must build, start the simulator, wait for its address, run the gate
// against it (never the real API) to a passing verdict and stop it.
func TestContributingDevLoop(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds two binaries; skipped with -short")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("sh is not installed")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	block := fencedAfter(t, string(readRepoFile(t, "CONTRIBUTING.md")), devLoopMarker)
	goEnv := func(name string) string {
		out, err := exec.Command(goBin, "env", name).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", name, err)
		}
		return strings.TrimSpace(string(out))
	}

	tmp := t.TempDir()
	repo := copyTree(t)
	for _, d := range []string{"home", "gopath", "gobin", "tmp"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(tmp, "devloop.sh")
	if err := os.WriteFile(script, []byte(block), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sh, "-e", script)
	cmd.Dir = repo
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(tmp, "home"),
		"TMPDIR=" + filepath.Join(tmp, "tmp"),
		"GOPATH=" + filepath.Join(tmp, "gopath"),
		"GOBIN=" + filepath.Join(tmp, "gobin"),
		// The shared caches keep the build fast; the proxy is off, so a
		// module the build does not already have fails instead of being
		// downloaded.
		"GOMODCACHE=" + goEnv("GOMODCACHE"),
		"GOCACHE=" + goEnv("GOCACHE"),
		"GOPROXY=off",
		"GOTOOLCHAIN=local",
		"GOFLAGS=-mod=readonly",
	}
	// Its own process group, so a timeout also stops the simulator the
	// block started in the background.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("the block did not finish within the time limit:\n%s", out.String())
	}
	if err != nil {
		t.Fatalf("the block failed: %v\n%s", err, out.String())
	}
	log := out.String()
	for _, want := range []string{
		"triggering 3 blueprint(s) on http://127.0.0.1:",
		"verdict: passed: 2 passed, 0 failed, 0 without verdict, 1 non-blocking failure(s)",
		"triggers 1 gets ",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the block's output lacks %q:\n%s", want, log)
		}
	}
	for _, f := range []string{"bin/docketqa-gate", "bin/simserver", "docketqa-junit.xml", "sim.out"} {
		if _, err := os.Stat(filepath.Join(repo, f)); err != nil {
			t.Errorf("the block did not write %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(repo, "sim.addr")); err == nil {
		t.Error("sim.addr outlived the simulator")
	}
}
