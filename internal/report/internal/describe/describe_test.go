package describe

import (
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

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

func TestFlakyAndAttempts(t *testing.T) {
	t.Parallel()
	two := []result.Attempt{{Verdict: result.Failed}, {Verdict: result.Failed}}
	cases := []struct {
		name     string
		run      result.Run
		flaky    bool
		attempts int
	}{
		{"first try", result.Run{Verdict: result.Passed, Attempts: 1}, false, 1},
		{"flag only", result.Run{Verdict: result.Passed, Flaky: true, Attempts: 2}, true, 2},
		{"earlier attempts only", result.Run{Verdict: result.Passed, Attempts: 3, Earlier: two}, true, 3},
		{"attempts below the list", result.Run{Verdict: result.Passed, Attempts: 1, Earlier: two}, true, 3},
		{"more attempts than listed", result.Run{Verdict: result.Failed, Attempts: 4, Earlier: two}, false, 4},
		{"failed is never flaky", result.Run{Verdict: result.Failed, Flaky: true, Attempts: 3, Earlier: two}, false, 3},
		{"never triggered", result.Run{Verdict: result.Error}, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := result.Judge(result.Set{Runs: []result.Run{tc.run}}, result.Policy{}, result.StopFinished).Runs[0].Flaky; got != tc.flaky {
				t.Errorf("Flaky = %v, want %v", got, tc.flaky)
			}
			if got := Attempts(tc.run); got != tc.attempts {
				t.Errorf("Attempts() = %d, want %d", got, tc.attempts)
			}
		})
	}
}

func TestAttempt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                   string
		attempt                result.Attempt
		label, status, problem string
		errored                bool
	}{
		{"docketqa retry", result.Attempt{Status: "failed", Verdict: result.Failed, Reason: "step 2: Click: missing"},
			"attempt 1 of 3 (DocketQA retry)", "failed", "step 2: Click: missing", false},
		{"earlier test run", result.Attempt{Rerun: true, RunID: 9801, Status: "stopped", Verdict: result.Failed},
			"attempt 1 of 3 (test run 9801)", "stopped", "status stopped", false},
		{"rerun without id", result.Attempt{Rerun: true, Verdict: result.Error, Reason: "no result within 30m"},
			"attempt 1 of 3 (earlier test run)", "error", "no result within 30m", true},
		{"bare", result.Attempt{}, "attempt 1 of 3 (DocketQA retry)", "failed", "status failed", false},
		{"unknown verdict is no verdict", result.Attempt{Verdict: "weird"}, "attempt 1 of 3 (DocketQA retry)", "weird", "status weird", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := AttemptLabel(tc.attempt, 1, 3); got != tc.label {
				t.Errorf("AttemptLabel() = %q, want %q", got, tc.label)
			}
			if got := AttemptStatus(tc.attempt); got != tc.status {
				t.Errorf("AttemptStatus() = %q, want %q", got, tc.status)
			}
			if got := AttemptProblem(tc.attempt); got != tc.problem {
				t.Errorf("AttemptProblem() = %q, want %q", got, tc.problem)
			}
			if got := AttemptErrored(tc.attempt); got != tc.errored {
				t.Errorf("AttemptErrored() = %v, want %v", got, tc.errored)
			}
		})
	}
}
