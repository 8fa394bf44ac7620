package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
)

const fakeKey = "simserver-test-fake-key"

func TestBlueprints(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                           string
		workload                       string
		n, scale, failEvery            int
		wantErr                        string
		wantFailed, minSteps, maxSteps int
	}{
		{name: "reference", workload: "reference", n: 200, scale: 1, minSteps: 3, maxSteps: 12},
		{name: "trivial with failures", workload: "trivial", n: 10, scale: 2, failEvery: 5, wantFailed: 2, minSteps: 3, maxSteps: 3},
		{name: "unknown workload", workload: "huge", n: 1, scale: 1, wantErr: `unknown -workload "huge"`},
		{name: "no runs", workload: "trivial", n: 0, scale: 1, wantErr: "-runs 0"},
		{name: "bad scale", workload: "trivial", n: 1, scale: 0, wantErr: "-scale 0"},
		{name: "bad fail-every", workload: "trivial", n: 1, scale: 1, failEvery: -1, wantErr: "-fail-every -1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bps, err := blueprints(tc.workload, tc.n, tc.scale, tc.failEvery, 1)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(bps) != tc.n {
				t.Fatalf("got %d blueprints, err %v; want %d", len(bps), err, tc.n)
			}
			failed := 0
			for i, bp := range bps {
				if bp.ID != int64(i+1) {
					t.Errorf("blueprint %d has id %d", i, bp.ID)
				}
				if k := len(bp.StepDurations); k < tc.minSteps || k > tc.maxSteps {
					t.Errorf("blueprint %d has %d steps, want %d..%d", bp.ID, k, tc.minSteps, tc.maxSteps)
				}
				if bp.Outcome == "failed" {
					failed++
				}
			}
			if failed != tc.wantFailed {
				t.Errorf("%d failing blueprints, want %d", failed, tc.wantFailed)
			}
		})
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out, w := io.Pipe()
	var stderr strings.Builder
	code := make(chan int, 1)
	getenv := func(k string) string {
		if k == "DOCKETQA_API_KEY" {
			return fakeKey
		}
		return ""
	}
	go func() {
		c := run(ctx, []string{"-runs", "3", "-workload", "trivial", "-scale", "1000"}, getenv, w, &stderr)
		_ = w.Close()
		code <- c
	}()
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatalf("no base URL printed; stderr: %s", stderr.String())
	}
	base := lines.Text()
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("base URL %q, want loopback", base)
	}
	client, err := docketqa.New(base, fakeKey)
	if err != nil {
		t.Fatal(err)
	}
	grp, err := client.Trigger(ctx, []int64{1, 2, 3})
	if err != nil || len(grp.Runs) != 3 || grp.Runs[0].StepCount != 3 {
		t.Fatalf("trigger: %+v, %v", grp, err)
	}
	if _, err := client.GetRun(ctx, grp.Runs[0].ID); err != nil {
		t.Fatalf("get run: %v", err)
	}
	cancel()
	if !lines.Scan() {
		t.Fatal("no counters printed at exit")
	}
	if got, want := lines.Text(), "triggers 1 gets 1 errors 0 unauthorized 0 peak-in-flight 1"; got != want {
		t.Errorf("counters %q, want %q", got, want)
	}
	if c := <-code; c != 0 {
		t.Errorf("exit code %d, stderr %s", c, stderr.String())
	}
}

func TestRunNeedsKey(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	code := run(t.Context(), nil, func(string) string { return "" }, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "DOCKETQA_API_KEY is empty") || stdout.Len() != 0 {
		t.Errorf("code %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// TestRunAddrFile checks -addr-file: the whole base URL is in the file by
// the time it is printed, and the file is gone once the server stops.
func TestRunAddrFile(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addr := filepath.Join(t.TempDir(), "sim.addr")
	out, w := io.Pipe()
	var stderr strings.Builder
	code := make(chan int, 1)
	getenv := func(k string) string {
		if k == "DOCKETQA_API_KEY" {
			return fakeKey
		}
		return ""
	}
	go func() {
		c := run(ctx, []string{"-runs", "1", "-workload", "trivial", "-addr-file", addr}, getenv, w, &stderr)
		_ = w.Close()
		code <- c
	}()
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatalf("no base URL printed; stderr: %s", stderr.String())
	}
	got, err := os.ReadFile(addr)
	if err != nil || string(got) != lines.Text()+"\n" {
		t.Fatalf("-addr-file holds %q (err %v), want %q", got, err, lines.Text()+"\n")
	}
	if entries, _ := os.ReadDir(filepath.Dir(addr)); len(entries) != 1 {
		t.Errorf("%d files next to the address file, want no temporary one left", len(entries))
	}
	cancel()
	_, _ = io.Copy(io.Discard, out) // the counters line, then EOF
	if c := <-code; c != 0 {
		t.Errorf("exit code %d, stderr %s", c, stderr.String())
	}
	if _, err := os.Stat(addr); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the address file outlives the server (err %v)", err)
	}
}

func TestRunAddrFileUnwritable(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	addr := filepath.Join(t.TempDir(), "missing-dir", "sim.addr")
	getenv := func(string) string { return fakeKey }
	code := run(t.Context(), []string{"-runs", "1", "-addr-file", addr}, getenv, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "-addr-file") || stdout.Len() != 0 {
		t.Errorf("code %d, stdout %q, stderr %q; want 1 and an -addr-file error before any URL", code, stdout.String(), stderr.String())
	}
}
