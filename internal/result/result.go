// Package result holds what the gate learned about one group run and
// judges it. Run and Set are the hand-off point between the poller and
// everything after it: they keep only what a report shows, never a whole
// API payload. Judge is the one place that decides: each run's kind, the
// tally, the overall verdict and the exit code, from the set, the user's
// policies and why the conductor stopped (Stop, which the conductor and the
// poller share). Every report and log line renders the Verdict it returns.
// The package depends on nothing but the standard library.
package result

import (
	"fmt"
	"time"
)

// Outcome is the word for one test run or for the whole group: passed,
// failed or error. It is what a run's answer said (see OutcomeOf); what
// the gate makes of it is the Judge's Verdict.
type Outcome string

// The outcomes. Only Passed is green. Error means "no verdict": the run's
// outcome is unknown (deadline, API trouble, interruption, missing run).
const (
	Passed Outcome = "passed"
	Failed Outcome = "failed"
	Error  Outcome = "error"
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
	Verdict  Outcome
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
	Verdict Outcome
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
	Outcomes []Outcome
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
