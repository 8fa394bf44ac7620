package describe

import (
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

func TestProblem(t *testing.T) {
	t.Parallel()
	steps := []result.Step{
		{Number: 1, Task: "Open home page", OK: true, Result: "Page opened"},
		{Number: 2, Task: "Click login", OK: false, Result: "Button not found"},
		{Number: 3, Task: "Never checked", OK: false},
	}
	cases := []struct {
		name string
		run  result.Run
		want string
	}{
		{"passed", result.Run{Verdict: result.Passed, Reason: "ignored"}, ""},
		{"first failed step", result.Run{Verdict: result.Failed, Steps: steps}, "step 2: Click login: Button not found"},
		{"failed step without text", result.Run{Verdict: result.Failed, Steps: []result.Step{{Number: 4}}}, "step 4"},
		{"failed without steps", result.Run{Verdict: result.Failed, Status: "cancelled", Reason: "run was cancelled"}, "status cancelled: run was cancelled"},
		{"failed without status", result.Run{Verdict: result.Failed}, "status failed"},
		{"error with reason", result.Run{Verdict: result.Error, Status: "running", Reason: "no result within 30m; last status running"}, "no result within 30m; last status running"},
		{"error with status only", result.Run{Verdict: result.Error, Status: "queued"}, "no verdict; last status queued"},
		{"error bare", result.Run{Verdict: result.Error}, "no verdict"},
		{"unknown verdict is no verdict", result.Run{Verdict: "weird", Reason: "lost"}, "lost"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Problem(tc.run); got != tc.want {
				t.Errorf("Problem() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStatusWord(t *testing.T) {
	t.Parallel()
	cases := []struct {
		run  result.Run
		want string
	}{
		{result.Run{Status: "passed", Verdict: result.Passed}, "passed"},
		{result.Run{Verdict: result.Error}, "error"},
		{result.Run{}, "unknown"},
	}
	for _, tc := range cases {
		if got := StatusWord(tc.run); got != tc.want {
			t.Errorf("StatusWord(%+v) = %q, want %q", tc.run, got, tc.want)
		}
	}
}

func TestStep(t *testing.T) {
	t.Parallel()
	cases := []struct {
		step result.Step
		want string
	}{
		{result.Step{Number: 1, OK: true, Task: "Open", Result: "ok", Duration: 12 * time.Second}, "✓ step 1 (12s): Open — ok"},
		{result.Step{Number: 2, Task: "Click", Result: "missing", Duration: 1500 * time.Millisecond}, "✗ step 2 (2s): Click — missing"},
		{result.Step{Number: 3, OK: true}, "✓ step 3"},
		{result.Step{Number: 4, Result: "only result"}, "✗ step 4 — only result"},
	}
	for _, tc := range cases {
		if got := Step(tc.step); got != tc.want {
			t.Errorf("Step(%+v) = %q, want %q", tc.step, got, tc.want)
		}
	}
}

func TestDuration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"},
		{0, "0s"},
		{350400 * time.Microsecond, "350ms"},
		{12*time.Second + 400*time.Millisecond, "12s"},
		{63 * time.Second, "1m3s"},
		{time.Hour + 2*time.Second, "1h0m2s"},
	}
	for _, tc := range cases {
		if got := Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
