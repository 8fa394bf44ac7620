package result

import (
	"fmt"
	"strings"
	"testing"
)

// judge1 judges r alone, as the only run of a finished gate.
func judge1(r Run, p Policy, stop Stop) Judged {
	return Judge(Set{Runs: []Run{r}}, p, stop).Runs[0]
}

func TestKinds(t *testing.T) {
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
		{"non-blocking by policy", Run{BlueprintID: 7, Verdict: Failed}, KindNonBlocking},
		{"not awaited", Run{Verdict: Error, NotAwaited: true}, KindNotAwaited},
		{"a failure marked not awaited is a failure", Run{Verdict: Failed, NotAwaited: true}, KindFailed},
		{"no verdict", Run{Verdict: Error}, KindNoVerdict},
		{"an unknown word is no verdict", Run{Verdict: "exploded"}, KindNoVerdict},
		{"missing", Run{Verdict: Error, Missing: true}, KindNoVerdict},
	} {
		j := judge1(tc.run, Policy{NonBlocking: []int64{7}}, StopFinished)
		if j.Kind != tc.want {
			t.Errorf("%s: kind = %v, want %v", tc.name, j.Kind, tc.want)
		}
		if want := tc.run.Name() + ": " + tc.want.String(); j.Label != want {
			t.Errorf("%s: label = %q, want %q", tc.name, j.Label, want)
		}
	}
	for k, want := range map[Kind]string{KindFailed: "failed", KindNoVerdict: "no verdict", KindNotAwaited: "not awaited",
		KindNonBlocking: "non-blocking failure", KindPassed: "passed"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", k, k.String(), want)
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
		{"no runs", nil, Tally{}},
		{"all passed", []Run{{Verdict: Passed}, {Verdict: Passed, Flaky: true}},
			Tally{Total: 2, Passed: 2, Flaky: 1}},
		{"a failure, no verdict and a pass", []Run{{Verdict: Failed}, {Verdict: Error}, {Verdict: Passed}},
			Tally{Total: 3, Passed: 1, Failed: 1, NoVerdict: 1}},
		{"fail-fast", []Run{{Verdict: Failed}, {Verdict: Error, NotAwaited: true}, {Verdict: Error, NotAwaited: true, NonBlocking: true}},
			Tally{Total: 3, Failed: 1, NotAwaited: 1, NonBlockingFailed: 1}},
		{"non-blocking failures", []Run{{Verdict: Passed}, {Verdict: Failed, NonBlocking: true}, {Verdict: Error, NonBlocking: true}},
			Tally{Total: 3, Passed: 1, NonBlockingFailed: 2}},
		{"flaky by earlier attempts", []Run{{Verdict: Passed, Earlier: []Attempt{{Verdict: Failed}}}, {Verdict: Failed, Earlier: []Attempt{{Verdict: Failed}}}},
			Tally{Total: 2, Passed: 1, Failed: 1, Flaky: 1}},
		{"a pass with an unsuccessful step is counted", []Run{{Verdict: Passed, Steps: failedStep}, {Verdict: Failed, Steps: failedStep}},
			Tally{Total: 2, Passed: 1, Failed: 1, PassedWithFailedSteps: 1}},
		{"excused runs are counted twice", []Run{{RunID: 1, Verdict: Error}, {Verdict: Error, Missing: true}, {RunID: 2, Verdict: Passed}},
			Tally{Total: 3, Passed: 1, NoVerdict: 2, Excused: 2}},
	} {
		v := Judge(Set{Runs: tc.runs}, Policy{AllowNoVerdict: true, AllowMissing: true}, StopFinished)
		if v.Tally != tc.want {
			t.Errorf("%s: tally = %+v, want %+v", tc.name, v.Tally, tc.want)
		}
	}
}

// TestJudge is the exit-code contract, one row per rule, each with the
// overall word that must agree with it.
func TestJudge(t *testing.T) {
	t.Parallel()
	pass := Run{BlueprintID: 1, RunID: 10, Verdict: Passed}
	fail := Run{BlueprintID: 2, RunID: 20, Verdict: Failed}
	late := Run{BlueprintID: 3, RunID: 30, Verdict: Error, Reason: "deadline"}
	missing := Run{BlueprintID: 4, Verdict: Error, Missing: true}
	notAwaited := Run{BlueprintID: 5, RunID: 50, Verdict: Error, NotAwaited: true}
	untriggered := Run{BlueprintID: 6, Verdict: Error, Reason: "not triggered"}
	nb := func(r Run) Run { r.NonBlocking = true; return r }
	lenient := Policy{AllowNoVerdict: true, AllowMissing: true}
	for _, tc := range []struct {
		name    string
		runs    []Run
		p       Policy
		stop    Stop
		outcome Outcome
		exit    int
	}{
		{"all passed", []Run{pass}, Policy{}, StopFinished, Passed, 0},
		{"a failure", []Run{pass, fail}, Policy{}, StopFinished, Failed, 1},
		{"a failure beats an interruption", []Run{fail, late}, Policy{}, StopInterrupted, Failed, 1},
		{"a failure beats every policy", []Run{fail, late}, lenient, StopDeadline, Failed, 1},
		{"no runs at all", nil, lenient, StopFinished, Error, 3},
		{"no run started, missing excused", []Run{missing}, lenient, StopFinished, Error, 3},
		{"no run started, only non-blocking", []Run{nb(missing)}, lenient, StopFinished, Error, 3},
		{"trigger failed", []Run{untriggered}, lenient, StopTriggerFailed, Error, 3},
		{"no verdict", []Run{pass, late}, Policy{}, StopDeadline, Error, 3},
		{"no verdict excused", []Run{pass, late}, Policy{AllowNoVerdict: true}, StopDeadline, Error, 0},
		{"no verdict, only missing excused", []Run{pass, late}, Policy{AllowMissing: true}, StopDeadline, Error, 3},
		{"missing", []Run{pass, missing}, Policy{}, StopFinished, Error, 3},
		{"missing excused", []Run{pass, missing}, Policy{AllowMissing: true}, StopFinished, Error, 0},
		{"missing, only no verdict excused", []Run{pass, missing}, Policy{AllowNoVerdict: true}, StopFinished, Error, 3},
		{"a run without id is never excused as no verdict", []Run{pass, untriggered}, Policy{AllowNoVerdict: true}, StopFinished, Error, 3},
		{"interrupted, nothing excused", []Run{pass, late}, lenient, StopInterrupted, Error, 3},
		{"interrupted with every blocking run passed", []Run{pass, nb(late)}, lenient, StopInterrupted, Error, 3},
		{"refused key", []Run{pass, late}, lenient, StopAuthRefused, Error, 3},
		{"fail-fast leaves runs not awaited", []Run{pass, notAwaited}, lenient, StopFailFast, Error, 3},
		{"fail-fast excuses nothing", []Run{pass, late}, lenient, StopFailFast, Error, 3},
		{"fail-fast with every blocking run passed", []Run{pass, nb(notAwaited)}, Policy{}, StopFailFast, Passed, 0},
		{"non-blocking failures", []Run{pass, nb(fail), nb(missing)}, Policy{}, StopFinished, Passed, 0},
		{"detached is no verdict", []Run{pass}, Policy{}, StopDetached, Error, 3},
	} {
		v := Judge(Set{GroupRunID: 9, Runs: tc.runs}, tc.p, tc.stop)
		if v.Outcome != tc.outcome || v.Exit != tc.exit {
			t.Errorf("%s: %s with exit %d, want %s with exit %d", tc.name, v.Outcome, v.Exit, tc.outcome, tc.exit)
		}
		if v.Stop != tc.stop || len(v.Runs) != len(tc.runs) || v.Set.Runs != nil || v.Set.GroupRunID != 9 {
			t.Errorf("%s: verdict %+v does not carry the set and stop", tc.name, v)
		}
		started := false
		for _, r := range tc.runs {
			started = started || r.RunID != 0
		}
		if v.NoneStarted == started {
			t.Errorf("%s: NoneStarted = %v", tc.name, v.NoneStarted)
		}
		u := v.Unreported()
		if tc.outcome == Failed && (u.Outcome != Failed || u.Exit != 1) || tc.outcome != Failed && (u.Outcome != Error || u.Exit != 3) {
			t.Errorf("%s: unreported %s with exit %d", tc.name, u.Outcome, u.Exit)
		}
	}
	if v := Judge(Set{}, Policy{}, StopFinished); !v.Untriggered() {
		t.Error("a set without group run is not untriggered")
	}
	if v := Judge(Set{GroupRunID: 1}, Policy{}, StopFinished); v.Untriggered() {
		t.Error("a set with a group run is untriggered")
	}
}

func TestExcused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  Run
		p    Policy
		stop Stop
		want bool
	}{
		{"no verdict, allowed", Run{RunID: 1, Verdict: Error}, Policy{AllowNoVerdict: true}, StopFinished, true},
		{"no verdict at the deadline", Run{RunID: 1, Verdict: Error}, Policy{AllowNoVerdict: true}, StopDeadline, true},
		{"no verdict, not allowed", Run{RunID: 1, Verdict: Error}, Policy{AllowMissing: true}, StopFinished, false},
		{"never started", Run{Verdict: Error}, Policy{AllowNoVerdict: true}, StopFinished, false},
		{"missing, allowed", Run{Verdict: Error, Missing: true}, Policy{AllowMissing: true}, StopFinished, true},
		{"missing, not allowed", Run{Verdict: Error, Missing: true}, Policy{AllowNoVerdict: true}, StopFinished, false},
		{"interrupted", Run{RunID: 1, Verdict: Error}, Policy{AllowNoVerdict: true}, StopInterrupted, false},
		{"fail-fast", Run{RunID: 1, Verdict: Error}, Policy{AllowNoVerdict: true}, StopFailFast, false},
		{"failed", Run{RunID: 1, Verdict: Failed}, Policy{AllowNoVerdict: true}, StopFinished, false},
		{"not awaited", Run{RunID: 1, Verdict: Error, NotAwaited: true}, Policy{AllowNoVerdict: true}, StopFinished, false},
		{"non-blocking", Run{RunID: 1, Verdict: Error, NonBlocking: true}, Policy{AllowNoVerdict: true}, StopFinished, false},
	} {
		if got := judge1(tc.run, tc.p, tc.stop).Excused; got != tc.want {
			t.Errorf("%s: excused = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestProblem(t *testing.T) {
	t.Parallel()
	steps := []Step{
		{Number: 1, Task: "Open home page", OK: true, Result: "Page opened"},
		{Number: 2, Task: "Click login", OK: false, Result: "Button not found"},
		{Number: 3, Task: "Never checked", OK: false},
	}
	for _, tc := range []struct {
		name string
		run  Run
		want string
	}{
		{"passed", Run{Verdict: Passed, Reason: "ignored"}, ""},
		{"first failed step", Run{Verdict: Failed, Steps: steps}, "step 2: Click login: Button not found"},
		{"failed step without text", Run{Verdict: Failed, Steps: []Step{{Number: 4}}}, "step 4"},
		{"failed without steps", Run{Verdict: Failed, Status: "cancelled", Reason: "run was cancelled"}, "status cancelled: run was cancelled"},
		{"failed without status", Run{Verdict: Failed}, "status failed"},
		{"error with reason", Run{Verdict: Error, Status: "running", Reason: "no result within 30m; last status running"}, "no result within 30m; last status running"},
		{"error with status only", Run{Verdict: Error, Status: "queued"}, "no verdict; last status queued"},
		{"error bare", Run{Verdict: Error}, "no verdict"},
		{"unknown word is no verdict", Run{Verdict: "weird", Reason: "lost"}, "lost"},
	} {
		if got := judge1(tc.run, Policy{}, StopFinished).Problem; got != tc.want {
			t.Errorf("%s: problem = %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		run  Run
		want string
	}{
		{Run{Status: "passed", Verdict: Passed}, "passed"},
		{Run{Verdict: Error}, "error"},
		{Run{}, "unknown"},
	} {
		if got := StatusWord(tc.run); got != tc.want {
			t.Errorf("StatusWord(%+v) = %q, want %q", tc.run, got, tc.want)
		}
	}
}

func TestFlaky(t *testing.T) {
	t.Parallel()
	two := []Attempt{{Verdict: Failed}, {Verdict: Failed}}
	for _, tc := range []struct {
		name string
		run  Run
		want bool
	}{
		{"first try", Run{Verdict: Passed, Attempts: 1}, false},
		{"flag only", Run{Verdict: Passed, Flaky: true}, true},
		{"earlier attempts only", Run{Verdict: Passed, Earlier: two}, true},
		{"failed is never flaky", Run{Verdict: Failed, Flaky: true, Earlier: two}, false},
	} {
		if got := judge1(tc.run, Policy{}, StopFinished).Flaky; got != tc.want {
			t.Errorf("%s: flaky = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestStatusRule(t *testing.T) {
	t.Parallel()
	for _, w := range []string{"running", "queued", "pending"} {
		if !StillGoing(w) {
			t.Errorf("StillGoing(%q) = false", w)
		}
	}
	for _, w := range []string{"passed", "failed", "stopped", "", "Running", " running"} {
		if StillGoing(w) {
			t.Errorf("StillGoing(%q) = true", w)
		}
	}
	if OutcomeOf("passed") != Passed {
		t.Error(`OutcomeOf("passed") is not a pass`)
	}
	for _, w := range []string{"failed", "PASSED", "Passed", " passed", "passed ", "stopped", ""} {
		if got := OutcomeOf(w); got != Failed {
			t.Errorf("OutcomeOf(%q) = %s, want failed", w, got)
		}
	}
}

// TestJudgeKeepsOrder: the judged runs are the set's runs, in order, with
// their own fields.
func TestJudgeKeepsOrder(t *testing.T) {
	t.Parallel()
	var runs []Run
	for i := range 5 {
		runs = append(runs, Run{BlueprintID: int64(i), RunID: int64(100 + i), Verdict: Passed, Title: fmt.Sprint("t", i)})
	}
	v := Judge(Set{Runs: runs}, Policy{}, StopFinished)
	for i, j := range v.Runs {
		if j.RunID != runs[i].RunID || !strings.HasPrefix(j.Label, runs[i].Name()) {
			t.Errorf("run %d = %+v", i, j)
		}
	}
}
