// Package event names everything the gate has to say while it works. The
// conductor (package gate) and the wiring in main emit events; one Sink per
// CI platform (package ci) turns them into log lines, groups and
// annotations. Neither side imports the other: both import this package,
// which sits beside package result at the bottom of the import graph.
//
// Events carry data, never formatted lines. Text that came from DocketQA
// (titles, reasons, error messages) travels as plain strings that were
// cleaned when they were decoded; the sink alone decides how a value is
// printed and escapes it for its medium, so no other package can forge a
// workflow command or a log section by printing something.
package event

import (
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// Sink receives the gate's events in order. Implementations must be safe
// for concurrent use: an interruption is reported from another goroutine.
type Sink interface {
	Emit(Event)
}

// Event is one of the types below.
type Event interface{ isEvent() }

// Mode says what an invocation does with DocketQA.
type Mode string

// The modes.
const (
	ModeTrigger Mode = "trigger"
	ModeDetach  Mode = "detach"
	ModeAttach  Mode = "attach"
)

// Plan is the first line of a real run, and the whole output of a dry run:
// what the gate is about to do and the settings that decide how long it
// may take.
type Plan struct {
	Version      string
	Mode         Mode
	DryRun       bool
	BaseURL      string
	BlueprintIDs []int64
	NonBlocking  []int64
	// Manifest is the --attach or --detach file, if any.
	Manifest string
	// GroupRunID and URL are known up front only with --attach.
	GroupRunID               int64
	GroupRunURL              string
	Runs                     int
	Timeout                  time.Duration
	PollInterval, MaxPoll    time.Duration
	MaxParallel, RerunFailed int
	FailFast                 bool
	// Reports maps a report's name ("JUnit report") to its path; only a
	// dry run lists them.
	Reports []Report
}

// Report names one output file.
type Report struct {
	Kind, Path string
}

// Demo says the gate runs against the built-in simulator.
type Demo struct {
	URL, Scenario string
}

// Triggered is a group run DocketQA started: the first trigger (Rerun 0)
// or a rerun of failed blueprints.
type Triggered struct {
	Rerun      int
	GroupRunID int64
	URL        string
	Runs       int
}

// TriggerFailed is a trigger that did not start a known set of runs. It is
// reported once, whatever the number of blueprints. Uncertain means the
// request was sent and the runs may have started anyway.
type TriggerFailed struct {
	Rerun      int
	Blueprints int
	Err        error
	Uncertain  bool
	// Unreachable means no connection could be made (DNS, refused,
	// proxy), so the hint names what to check.
	Unreachable bool
	// Cause names the failure for a title or headline, with its advice.
	Cause Cause
}

// Cause is the one reason runs got no verdict, when one reason explains
// them (a refused key, an unreachable API, the deadline), with what the
// user can do about it. The advice travels with the cause everywhere it is
// shown: the GitHub annotation, the summary's headline, the log.
type Cause struct {
	// What names the cause, for example "DocketQA refused the API key
	// (HTTP 401)" or "could not reach https://api.docketqa.com".
	What string
	// Advice says what to do; empty when there is nothing to advise.
	Advice string
}

// String is the cause and its advice on one line.
func (c Cause) String() string {
	if c.Advice == "" {
		return c.What
	}
	return c.What + "; " + c.Advice
}

// Notice is a transient note for the log, such as a retry: a plain line
// on every platform, never an annotation (GitHub shows only 10 warning
// annotations per step, and retries must not use them up).
type Notice struct {
	Text string
}

// MissingRuns lists requested blueprints the trigger answer has no run for.
type MissingRuns struct {
	BlueprintIDs []int64
	Requested    int
}

// UnrequestedRuns lists runs in a trigger answer for blueprints nobody
// asked for. They are neither polled nor reported: a run's identity comes
// from the request and the trigger answer together.
type UnrequestedRuns struct {
	RunIDs, BlueprintIDs []int64
}

// RunFinished is one run reaching its verdict (or giving up on one).
type RunFinished struct {
	Run result.Run
}

// StillWaiting is the periodic progress line.
type StillWaiting struct {
	Waiting, Total int
	// Names are the display names of up to five unfinished runs.
	Names []string
}

// RerunStarted is one round of --rerun-failed.
type RerunStarted struct {
	Attempt, Of  int
	BlueprintIDs []int64
}

// RerunSkipped says --rerun-failed was not applied because too many runs
// failed for flakiness to be the likely cause.
type RerunSkipped struct {
	Failed, Max int
}

// FailFastStopped says --fail-fast stopped waiting after a failure. Every
// other early stop (deadline, interruption, refused key) is an error and
// reaches the user once, as Fatal.
type FailFastStopped struct {
	// URL is the group run, where the runs not awaited go on.
	URL string
}

// Interrupted is the first signal arriving.
type Interrupted struct {
	Signal string
}

// Detached reports the manifest written by --detach.
type Detached struct {
	Path string
	Runs int
}

// Verdict is the gate's judgement, with everything the final lines,
// groups and annotations need. Tally is the one derivation of counts and
// categories that every report and the exit code share.
type Verdict struct {
	Set   result.Set
	Tally result.Tally
	// Untriggered is set when no group run was started: every run shares
	// the trigger's error, already reported once, so runs get no log
	// block or annotation of their own.
	Untriggered bool
	// Cause is why the runs without a verdict have none, when one reason
	// explains them; empty otherwise.
	Cause Cause
}

// ReportWritten says a report file was written, or why it was not.
type ReportWritten struct {
	Kind, Path string
	Err        error
}

// Warning is something odd but not fatal, about the configuration or the
// verdict: a warning annotation on GitHub.
type Warning struct {
	Text string
	// Title, when set, makes the warning a GitHub warning annotation with
	// that title as well, for what the user should fix where they look
	// (the pull-request comment that could not be written).
	Title string
}

// Fatal is the error that decides exit code 3 (or 2), printed once.
type Fatal struct {
	Err error
}

// ConfigError is a bad configuration: nothing was sent to DocketQA.
type ConfigError struct {
	Problems []string
}

// Evidence sums up what --artifacts-dir saved and what it could not.
type Evidence struct {
	Text string
	// Problems is true when some file was refused, cut or abandoned.
	Problems bool
}

// Debug is a line for --debug.
type Debug struct {
	Text string
}

// Text is gate-owned text printed as it is: --help and --version.
type Text struct {
	Text string
}

func (Plan) isEvent()            {}
func (Demo) isEvent()            {}
func (Triggered) isEvent()       {}
func (TriggerFailed) isEvent()   {}
func (MissingRuns) isEvent()     {}
func (UnrequestedRuns) isEvent() {}
func (RunFinished) isEvent()     {}
func (StillWaiting) isEvent()    {}
func (RerunStarted) isEvent()    {}
func (RerunSkipped) isEvent()    {}
func (FailFastStopped) isEvent() {}
func (Interrupted) isEvent()     {}
func (Detached) isEvent()        {}
func (Verdict) isEvent()         {}
func (ReportWritten) isEvent()   {}
func (Warning) isEvent()         {}
func (Notice) isEvent()          {}
func (Fatal) isEvent()           {}
func (ConfigError) isEvent()     {}
func (Debug) isEvent()           {}
func (Evidence) isEvent()        {}
func (Text) isEvent()            {}
