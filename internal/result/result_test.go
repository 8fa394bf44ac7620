package result

import (
	"testing"

	_ "github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

func TestKindOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  Run
		want Kind
	}{
		{"passed", Run{Verdict: Passed}, KindPassed},
		{"non-blocking pass", Run{Verdict: Passed, NonBlocking: true}, KindPassed},
		{"failed", Run{Verdict: Failed}, KindFailed},
		{"non-blocking failure", Run{Verdict: Failed, NonBlocking: true}, KindNonBlocking},
		{"non-blocking without verdict", Run{Verdict: Error, NonBlocking: true}, KindNonBlocking},
		{"not awaited", Run{Verdict: Error, NotAwaited: true}, KindNotAwaited},
		{"a failure marked not awaited is a failure", Run{Verdict: Failed, NotAwaited: true}, KindFailed},
		{"no verdict", Run{Verdict: Error}, KindNoVerdict},
		{"an unknown verdict is no verdict", Run{Verdict: "exploded"}, KindNoVerdict},
		{"missing", Run{Verdict: Error, Missing: true}, KindNoVerdict},
	} {
		if got := KindOf(tc.run); got != tc.want {
			t.Errorf("%s: KindOf = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTally(t *testing.T) {
	t.Parallel()
	failedStep := []Step{{Number: 1, OK: true}, {Number: 2, OK: false}}
	for _, tc := range []struct {
		name string
		runs []Run
		want Tally
	}{
		{"no runs is no verdict", nil, Tally{Verdict: Error}},
		{"all passed", []Run{{Verdict: Passed}, {Verdict: Passed, Flaky: true}},
			Tally{Verdict: Passed, Total: 2, Passed: 2, Flaky: 1}},
		{"a failure wins over no verdict", []Run{{Verdict: Failed}, {Verdict: Error}, {Verdict: Passed}},
			Tally{Verdict: Failed, Total: 3, Passed: 1, Failed: 1, NoVerdict: 1}},
		{"no verdict without a failure", []Run{{Verdict: Error}, {Verdict: Passed}},
			Tally{Verdict: Error, Total: 2, Passed: 1, NoVerdict: 1}},
		{"fail-fast", []Run{{Verdict: Failed}, {Verdict: Error, NotAwaited: true}, {Verdict: Error, NotAwaited: true, NonBlocking: true}},
			Tally{Verdict: Failed, Total: 3, Failed: 1, NotAwaited: 1, NonBlockingFailed: 1}},
		{"not awaited without a failure is no verdict", []Run{{Verdict: Passed}, {Verdict: Error, NotAwaited: true}},
			Tally{Verdict: Error, Total: 2, Passed: 1, NotAwaited: 1}},
		{"non-blocking failures never gate", []Run{{Verdict: Passed}, {Verdict: Failed, NonBlocking: true}, {Verdict: Error, NonBlocking: true}},
			Tally{Verdict: Passed, Total: 3, Passed: 1, NonBlockingFailed: 2}},
		{"flaky by earlier attempts", []Run{{Verdict: Passed, Earlier: []Attempt{{Verdict: Failed}}}, {Verdict: Failed, Earlier: []Attempt{{Verdict: Failed}}}},
			Tally{Verdict: Failed, Total: 2, Passed: 1, Failed: 1, Flaky: 1}},
		{"a pass with an unsuccessful step is counted", []Run{{Verdict: Passed, Steps: failedStep}, {Verdict: Failed, Steps: failedStep}},
			Tally{Verdict: Failed, Total: 2, Passed: 1, Failed: 1, PassedWithFailedSteps: 1}},
	} {
		if got := (Set{Runs: tc.runs}).Tally(); got != tc.want {
			t.Errorf("%s: Tally = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestNameAndFailedStep(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		run  Run
		want string
	}{
		{Run{BlueprintID: 7}, "blueprint 7"},
		{Run{BlueprintID: 7, Title: "Login"}, "Login (blueprint 7)"},
		{Run{BlueprintID: 7, RunID: 70, Title: "Login", SharedBlueprint: true}, "Login (blueprint 7, run 70)"},
		{Run{BlueprintID: 7, SharedBlueprint: true}, "blueprint 7"},
	} {
		if got := tc.run.Name(); got != tc.want {
			t.Errorf("Name() = %q, want %q", got, tc.want)
		}
	}
	r := Run{Steps: []Step{{Number: 1, OK: true}, {Number: 2}, {Number: 3}}}
	if s := r.FailedStep(); s == nil || s.Number != 2 {
		t.Errorf("FailedStep() = %+v, want step 2", s)
	}
	if s := (Run{Steps: []Step{{OK: true}}}).FailedStep(); s != nil {
		t.Errorf("FailedStep() of a clean run = %+v", s)
	}
	for k, want := range map[Kind]string{KindFailed: "failed", KindNoVerdict: "no verdict", KindNotAwaited: "not awaited",
		KindNonBlocking: "non-blocking failure", KindPassed: "passed"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", k, k.String(), want)
		}
	}
}
