package result

import (
	"fmt"
	"slices"
	"strings"
)

// Stop says why the conductor (and, while it polls, the poller) stopped.
// It is this package's type so that both can hand it to the Judge, which
// must not import them.
type Stop string

// The ways a gate ends; StopFinished is the zero value. Only StopFinished and StopFailFast mean that every
// run the gate waited for has a verdict; StopDeadline leaves runs without
// one, which a policy may excuse.
const (
	StopFinished      Stop = ""
	StopFailFast      Stop = "fail-fast"
	StopDeadline      Stop = "deadline"
	StopInterrupted   Stop = "interrupted"
	StopAuthRefused   Stop = "auth"
	StopTriggerFailed Stop = "trigger-failed"
	StopDetached      Stop = "detached"
)

// settled reports whether the gate ended in a way that still lets it judge
// the runs: a refused key, a failed trigger, an interruption or a detach
// never can, so no policy excuses what they left undecided.
func (s Stop) settled() bool {
	return s == StopFinished || s == StopFailFast || s == StopDeadline
}

// excusable reports whether a policy may excuse a run left without a
// verdict when the gate ended this way. Fail-fast decided the gate
// already; only a finished gate or the deadline leave runs a policy can
// speak for.
func (s Stop) excusable() bool { return s == StopFinished || s == StopDeadline }

// The exit codes: the contract with CI pipelines, documented in --help and
// the README.
const (
	ExitPassed    = 0
	ExitFailed    = 1
	ExitUsage     = 2
	ExitNoVerdict = 3
)

// Policy is what the user said about runs that do not pass. The zero value
// is the strict default: every blocking run must pass.
type Policy struct {
	// AllowNoVerdict lets a run that started but got no verdict (deadline,
	// API trouble) pass the gate with a warning: --fail-on-no-verdict=false.
	AllowNoVerdict bool
	// AllowMissing lets a blueprint DocketQA started no run for pass the
	// gate with a warning: --fail-on-missing=false.
	AllowMissing bool
	// NonBlocking are the blueprints that never fail the gate
	// (--non-blocking-ids), whether or not their runs say so already.
	NonBlocking []int64
}

// Kind is the one category of a run that every report, output, annotation
// and the exit code use. The Judge alone assigns it, so a run the gate
// stopped waiting for cannot be "skipped" in one report and "without
// verdict" in another.
type Kind int

// The kinds, in the order people should read them.
const (
	KindFailed Kind = iota
	KindNoVerdict
	KindNotAwaited
	KindNonBlocking
	KindPassed
)

// String is the kind's one word, which the log, the summary and the JSON
// results all use. (Outputs, dotenv variables and JUnit elements keep
// their established names, which pipelines read: errors, not-awaited,
// skipped.)
func (k Kind) String() string {
	switch k {
	case KindFailed:
		return "failed"
	case KindNoVerdict:
		return "no verdict"
	case KindNotAwaited:
		return "not awaited"
	case KindNonBlocking:
		return "non-blocking failure"
	default:
		return "passed"
	}
}

// Judged is one run as the Judge sees it.
type Judged struct {
	Run
	Kind Kind
	// Excused is set when a policy the user turned on lets this run,
	// which has no verdict, pass the gate with a warning.
	Excused bool
	// Flaky marks a pass that needed more than one attempt.
	Flaky bool
	// Label is the run's one-line title: its name and its kind.
	Label string
	// Problem says in one line why the run did not pass; "" when it did.
	Problem string
}

// Tally is the counts of a verdict.
type Tally struct {
	// Failed, NoVerdict and NotAwaited count blocking runs only, as the
	// verdict does; NonBlockingFailed counts the non-blocking runs that
	// did not pass, whatever happened to them. Excused counts the runs
	// without a verdict that a policy let pass (they are in NoVerdict too).
	Total, Passed, Failed, NoVerdict, NotAwaited, Flaky, NonBlockingFailed, Excused int
	// PassedWithFailedSteps counts passes whose answer also reported an
	// unsuccessful step: DocketQA decides, but a reader should look.
	PassedWithFailedSteps int
}

// Verdict is the gate's one judgement: every report, output, log line and
// the exit code render it and derive nothing of their own.
type Verdict struct {
	// Set is the group run; its Runs are in Runs, judged.
	Set Set
	// Runs are the set's runs in their order, each with its kind.
	Runs  []Judged
	Tally Tally
	// Outcome is the overall word: failed exactly when Exit is 1, passed
	// only when Exit is 0, error whenever Exit is 3 (and, with Exit 0,
	// when a policy excused a run).
	Outcome Outcome
	Exit    int
	// Stop is why the conductor stopped.
	Stop Stop
	// NoneStarted is set when DocketQA started no run at all: then no
	// policy can make the gate pass.
	NoneStarted bool
}

// Untriggered reports whether no group run was triggered.
func (v Verdict) Untriggered() bool { return v.Set.GroupRunID == 0 }

// Unreported is v after a report could not be written: a gate whose
// reports are missing has no verdict to show, unless a run failed.
func (v Verdict) Unreported() Verdict {
	if v.Outcome != Failed {
		v.Outcome, v.Exit = Error, ExitNoVerdict
	}
	return v
}

// Judge decides. A blocking run that failed fails the gate (exit 1).
// Otherwise the gate has no verdict (exit 3) when no run was started at
// all, whatever the policies say; when it stopped for a refused key, a
// failed trigger or an interruption; when fail-fast left blocking runs not
// awaited; or when a blocking run has no verdict that no policy excuses.
// Runs a policy excuses give exit 0 with the word error; else the gate
// passed.
func Judge(s Set, p Policy, stop Stop) Verdict {
	v := Verdict{Set: s, Stop: stop, Runs: make([]Judged, len(s.Runs))}
	v.Set.Runs = nil
	started := false
	for i, r := range s.Runs {
		v.Runs[i] = p.JudgeRun(r, stop)
		started = started || r.RunID != 0
	}
	v.Tally = tally(v.Runs)
	t := v.Tally
	v.NoneStarted = !started
	switch {
	case t.Failed > 0:
		v.Outcome, v.Exit = Failed, ExitFailed
	case !started, !stop.settled(), t.NotAwaited > 0, t.NoVerdict > t.Excused:
		v.Outcome, v.Exit = Error, ExitNoVerdict
	case t.Excused > 0:
		v.Outcome, v.Exit = Error, ExitPassed
	default:
		v.Outcome, v.Exit = Passed, ExitPassed
	}
	return v
}

// JudgeRun judges one run on its own: its kind, whether p excuses it when
// the gate ended with stop, its label and its problem.
func (p Policy) JudgeRun(r Run, stop Stop) Judged {
	if slices.Contains(p.NonBlocking, r.BlueprintID) {
		r.NonBlocking = true
	}
	j := Judged{Run: r, Kind: kindOf(r), Flaky: isFlaky(r), Problem: problem(r)}
	if j.Kind == KindNoVerdict && stop.excusable() {
		if r.Missing {
			j.Excused = p.AllowMissing
		} else {
			j.Excused = p.AllowNoVerdict && r.RunID != 0
		}
	}
	j.Label = r.Name() + ": " + j.Kind.String()
	return j
}

// kindOf classifies r. A non-blocking run that did not pass is only ever a
// non-blocking failure; a run fail-fast stopped waiting for is not awaited
// (it may well pass), never an error; any word but passed and failed is
// no verdict.
func kindOf(r Run) Kind {
	switch {
	case r.Verdict == Passed:
		return KindPassed
	case r.NonBlocking:
		return KindNonBlocking
	case r.Verdict == Failed:
		return KindFailed
	case r.NotAwaited:
		return KindNotAwaited
	default:
		return KindNoVerdict
	}
}

// isFlaky reports whether r passed only after earlier attempts failed. A
// listed earlier attempt is proof enough even when the Flaky flag is unset.
func isFlaky(r Run) bool {
	return r.Verdict == Passed && (r.Flaky || len(r.Earlier) > 0)
}

func tally(runs []Judged) Tally {
	t := Tally{Total: len(runs)}
	for _, r := range runs {
		if r.Flaky {
			t.Flaky++
		}
		switch r.Kind {
		case KindPassed:
			t.Passed++
			if r.FailedStep() != nil {
				t.PassedWithFailedSteps++
			}
		case KindNonBlocking:
			t.NonBlockingFailed++
		case KindFailed:
			t.Failed++
		case KindNotAwaited:
			t.NotAwaited++
		default:
			t.NoVerdict++
			if r.Excused {
				t.Excused++
			}
		}
	}
	return t
}

// StatusWord is the last status DocketQA reported for r. It falls back to
// the gate's word because a run that never reached DocketQA has no
// status, and a report should never show an empty one.
func StatusWord(r Run) string {
	switch {
	case r.Status != "":
		return r.Status
	case r.Verdict != "":
		return string(r.Verdict)
	default:
		return "unknown"
	}
}

// problem says in one line why r did not pass, or returns "" when it did:
// a failure by its first failed step, the detail a reader needs first (else
// its status word and the gate's reason); anything else by the gate's
// reason, else the last status.
func problem(r Run) string {
	switch r.Verdict {
	case Passed:
		return ""
	case Failed:
		if st := r.FailedStep(); st != nil {
			return joinNonEmpty(": ", fmt.Sprintf("step %d", st.Number), st.Task, st.Result)
		}
		return joinNonEmpty(": ", "status "+StatusWord(r), r.Reason)
	}
	switch {
	case r.Reason != "":
		return r.Reason
	case r.Status != "":
		return "no verdict; last status " + r.Status
	default:
		return "no verdict"
	}
}

func joinNonEmpty(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

// StillGoing reports whether a status word means the run has not finished.
// Only these words do; DocketQA documents "running", and "queued" and
// "pending" are the usual words for a run waiting for a browser. Any other
// word is final, so an undocumented status can never hang the gate.
func StillGoing(status string) bool {
	switch status {
	case "running", "queued", "pending":
		return true
	}
	return false
}

// OutcomeOf is what a final status word says: only the exact word
// "passed" is a pass; "failed", "stopped" and words nobody documented are
// failures, reported with their word.
func OutcomeOf(status string) Outcome {
	if status == "passed" {
		return Passed
	}
	return Failed
}
