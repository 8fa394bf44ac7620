// Package result holds what the gate learned about one group run: the
// verdict of every test run and the details the reports need. It is the
// hand-off point between the poller and the report writers, so it depends on
// nothing but the standard library and keeps only what a report shows, never
// a whole API payload.
package result

import (
	"fmt"
	"time"
)

// Verdict is the gate's judgement of one test run or of the whole group.
type Verdict string

// The verdicts. Only Passed is green. Error means "no verdict": the run's
// outcome is unknown (deadline, API trouble, interruption, missing run).
const (
	Passed Verdict = "passed"
	Failed Verdict = "failed"
	Error  Verdict = "error"
)

// NotAwaited is the Reason of a run the gate stopped waiting for because
// another run failed (--fail-fast). Reports show such runs as skipped rather
// than as errors: they may well have passed.
const NotAwaited = "not awaited (fail-fast)"

// Step is one executed blueprint step as DocketQA reported it.
type Step struct {
	Number   int
	Task     string
	OK       bool
	Result   string
	Duration time.Duration
	// Screenshots are the step's screenshot_url values (the page after each
	// action); ScreenshotsBefore its screenshot_url_before values, where
	// DocketQA sent them.
	Screenshots       []string
	ScreenshotsBefore []string
}

// Attempt is an earlier, unsuccessful attempt at a blueprint.
type Attempt struct {
	// Rerun is true for a rerun the gate triggered (--rerun-failed), false
	// for a retry DocketQA made itself (the blueprint's num_retries).
	Rerun bool
	// RunID is the test run of a rerun; 0 for DocketQA's own retries, which
	// share the run id of the final attempt.
	RunID    int64
	Status   string
	Verdict  Verdict
	Reason   string
	VideoURL string
}

// Run is one test run (one blueprint executed inside the group run).
type Run struct {
	BlueprintID int64
	// RunID is 0 when the trigger answer held no run for the blueprint.
	RunID int64
	Title string
	// Status is the last status word DocketQA reported; empty if none was seen.
	Status  string
	Verdict Verdict
	// Reason says why a run failed or has no verdict, in one line.
	Reason   string
	Steps    []Step
	Duration time.Duration
	VideoURL string
	// Attempts counts every attempt at this blueprint: DocketQA's own
	// retries, the gate's reruns, and the final attempt.
	Attempts int
	// Earlier lists the other attempts that did not pass: DocketQA's
	// retries and the gate's reruns before the final one, and a rerun that
	// got no verdict (which leaves the earlier failure standing).
	Earlier []Attempt
	// Flaky marks a pass that needed more than one attempt.
	Flaky bool
	// NonBlocking runs are reported but never fail the gate.
	NonBlocking bool
	// NotAwaited marks a run the gate stopped waiting for because another
	// run failed (--fail-fast).
	NotAwaited bool
	// Missing marks a requested blueprint DocketQA started no run for.
	Missing bool
	// Omitted says, in one line, what the answer held that the gate did
	// not keep (steps beyond the caps, unreadable decorative fields,
	// unusable links); empty when nothing was left out.
	Omitted string
	// SharedBlueprint is set when the trigger answer held several runs for
	// this run's blueprint: then the run id joins the display name, since
	// CI test views merge cases with equal names.
	SharedBlueprint bool
	// Artifacts are the run's screenshots and video saved under
	// --artifacts-dir, failing step's screenshot first; empty when none
	// were saved. The reports point at them because the URLs expire.
	Artifacts []Artifact
	// Recent is the blueprint's recent record from the --history file,
	// for the runs a reader asks "did this change break it?" about
	// (failed, flaky, no verdict); the zero value when there is none. It
	// informs only: no verdict, count or exit code depends on it.
	Recent Recent
}

// Recent is a run's recent record: the outcomes of the blueprint's last
// runs, most recent last, and their reading in plain words (see
// history.Read for when each reading applies).
type Recent struct {
	// Outcomes are Passed or Failed, most recent last; the run's own
	// outcome is the last one when it finished with a verdict.
	Outcomes []Verdict
	// Reading is one of "recent: passed 9 of the last 10", "new failure:
	// passed the last 9 runs", "failing for the last 4 runs" or "flaky: 3
	// failures in the last 10"; empty when there is no record.
	Reading string
}

// String is the record as the reports print it: the reading and the
// outcomes as marks, most recent last ("new failure: passed the last 3
// runs (✓✓✓✗, latest last)"); empty when there is no record.
func (r Recent) String() string {
	if r.Reading == "" {
		return ""
	}
	return r.Reading + " (" + r.Marks() + ", latest last)"
}

// Marks is the outcomes as ✓ (passed) and ✗ (failed), most recent last.
func (r Recent) Marks() string {
	b := make([]rune, len(r.Outcomes))
	for i, o := range r.Outcomes {
		b[i] = '✗'
		if o == Passed {
			b[i] = '✓'
		}
	}
	return string(b)
}

// The kinds of saved evidence.
const (
	ShotAfter  = "screenshot-after"
	ShotBefore = "screenshot-before"
	Video      = "video"
)

// Artifact is one file the gate saved for a run.
type Artifact struct {
	// Kind is ShotAfter, ShotBefore or Video.
	Kind string
	// Step is the step a screenshot belongs to; 0 for a video.
	Step int
	// Path is where the file is, slash-separated and relative to the
	// working directory when the directory was given relatively, which is
	// what GitLab and Jenkins resolve attachment paths against.
	Path string
	// URL is where it came from, without its query (pre-signed URLs carry
	// their signature there).
	URL string
}

// Name is the run's unique display name: title plus blueprint id, because
// titles are not unique and CI test views merge cases with equal names.
func (r Run) Name() string {
	id := fmt.Sprintf("blueprint %d", r.BlueprintID)
	if r.SharedBlueprint && r.RunID != 0 {
		id += fmt.Sprintf(", run %d", r.RunID)
	}
	if r.Title == "" {
		return id
	}
	return fmt.Sprintf("%s (%s)", r.Title, id)
}

// FailedStep returns the first unsuccessful step, or nil.
func (r Run) FailedStep() *Step {
	for i := range r.Steps {
		if !r.Steps[i].OK {
			return &r.Steps[i]
		}
	}
	return nil
}

// Set is the outcome of one gate invocation.
type Set struct {
	GroupRunID   int64
	GroupRunName string
	// GroupRunURL is the dashboard link for the group run.
	GroupRunURL string
	Runs        []Run
	// Started is when the trigger was sent; Elapsed is the gate's wall time.
	Started time.Time
	Elapsed time.Duration
}

// Kind is the one category of a run that every report, output, annotation
// and the exit code use. It is derived in one place, KindOf, so a run the
// gate stopped waiting for cannot be "skipped" in one report and "without
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

// String names the kind as the log, the JSON results and the outputs do.
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

// KindOf classifies r. A non-blocking run that did not pass is only ever a
// non-blocking failure; a run fail-fast stopped waiting for is not awaited
// (it may well pass), never an error.
func KindOf(r Run) Kind {
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

// Tally is the verdict and the counts of a set, derived once by Set.Tally
// and handed to every report and to the exit code.
type Tally struct {
	Verdict Verdict
	// Failed, NoVerdict and NotAwaited count blocking runs only, as the
	// verdict does; NonBlockingFailed counts the non-blocking runs that
	// did not pass, whatever happened to them.
	Total, Passed, Failed, NoVerdict, NotAwaited, Flaky, NonBlockingFailed int
	// PassedWithFailedSteps counts passes whose answer also reported an
	// unsuccessful step: DocketQA decides, but a reader should look.
	PassedWithFailedSteps int
}

// IsFlaky reports whether r passed only after earlier attempts failed. A
// listed earlier attempt is proof enough even when the Flaky flag is unset.
func IsFlaky(r Run) bool {
	return r.Verdict == Passed && (r.Flaky || len(r.Earlier) > 0)
}

// Tally derives the verdict and counts of s: Failed if any blocking run
// failed; else Error if any blocking run has no verdict, if runs were not
// awaited without a failure to explain it, or if there are no runs at all;
// else Passed.
func (s Set) Tally() Tally {
	t := Tally{Total: len(s.Runs)}
	for _, r := range s.Runs {
		if IsFlaky(r) {
			t.Flaky++
		}
		switch KindOf(r) {
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
		}
	}
	switch {
	case t.Failed > 0:
		t.Verdict = Failed
	case t.NoVerdict > 0 || t.NotAwaited > 0 || t.Total == 0:
		t.Verdict = Error
	default:
		t.Verdict = Passed
	}
	return t
}
