package docketqa

import (
	"fmt"
	"strings"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// GroupRun is the part of a trigger answer the gate needs: the group run and
// the test runs it started.
type GroupRun struct {
	ID     int64
	Name   untrusted.Text
	Status untrusted.Text
	// Runs are the pollable test runs, each id once, in answer order.
	// Several runs may share a blueprint; each is a run of its own.
	Runs []TestRun
	// Omitted counts what the decoder left out of the group's own fields.
	Omitted Omitted
}

// TestRun is one test run as DocketQA reports it, reduced to what the gate
// shows and bounded by the client's Limits. Steps holds the executed steps
// once the run has finished; StepCount is the number of steps the blueprint
// declares (known at trigger time).
type TestRun struct {
	ID int64
	// BlueprintID is test_blueprint_id as the answer gave it, 0 if absent.
	// The client does not judge it: the caller compares it with the
	// identity the trigger fixed, since a poll answer must never change
	// which blueprint a run belongs to.
	BlueprintID int64
	GroupRunID  int64
	// Status is the status word exactly as sent, only trimmed of
	// surrounding white space: it is not lower-cased, so "PASSED" or
	// "Passed" never becomes the documented "passed". The decoder refuses a
	// GET answer whose word holds control or invisible characters, since
	// cleaning them out could turn "pass\u200bed" into "passed"; the word
	// is cleaned like any Text otherwise (the key, if echoed, is redacted).
	Status    untrusted.Text
	Title     untrusted.Text
	StepCount int
	Steps     []Step
	VideoURL  untrusted.URL
	// Retries are the kept entries of additional_attempts: earlier attempts
	// DocketQA made itself because the blueprint has num_retries.
	Retries   []Retry
	CreatedAt time.Time
	UpdatedAt time.Time
	// Omitted says what the decoder left out, so reports can say so.
	Omitted Omitted
}

// Retry is one of DocketQA's own earlier attempts at a run.
type Retry struct {
	Steps    []Step
	VideoURL untrusted.URL
	// StepsNotShown counts the attempt's steps left out by the caps.
	StepsNotShown int
}

// Step is one executed step from a run's results.
type Step struct {
	Number      int
	Task        untrusted.Text
	OK          bool
	Result      untrusted.Text
	Duration    time.Duration
	Screenshots []untrusted.URL
	// ScreenshotsBefore are the actions' screenshot_url_before links.
	ScreenshotsBefore []untrusted.URL
}

// Omitted counts what the decoder did not keep of an answer: steps and
// attempts beyond the caps, links that were unusable or over the per-step
// cap, and decorative fields whose value was unreadable (a step_number of
// 1e300, a duration of "abc", a title that is an object). Texts that were
// cut say so themselves ("… (N bytes)").
type Omitted struct {
	Steps    int // steps of the final attempt not kept
	Attempts int // entries of additional_attempts not kept
	Links    int // screenshot or video links dropped
	Fields   int // decorative values dropped as unreadable
	// FieldNames are the first few dropped fields, e.g. "results[2].duration".
	FieldNames []string
}

// maxFieldNames bounds FieldNames; the count goes on.
const maxFieldNames = 5

// Empty reports whether nothing was left out.
func (o Omitted) Empty() bool {
	return o.Steps == 0 && o.Attempts == 0 && o.Links == 0 && o.Fields == 0
}

// String says what was left out in one line, or "" when nothing was.
func (o Omitted) String() string {
	var parts []string
	if o.Steps > 0 {
		parts = append(parts, plural(o.Steps, "step")+" not shown")
	}
	if o.Attempts > 0 {
		parts = append(parts, plural(o.Attempts, "earlier attempt")+" not shown")
	}
	if o.Links > 0 {
		parts = append(parts, plural(o.Links, "link")+" dropped")
	}
	if o.Fields > 0 {
		s := plural(o.Fields, "unreadable field") + " ignored"
		if len(o.FieldNames) > 0 {
			s += " (" + strings.Join(o.FieldNames, ", ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func (o *Omitted) field(name string) {
	o.Fields++
	if len(o.FieldNames) < maxFieldNames {
		o.FieldNames = append(o.FieldNames, name)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Limits bound what the client keeps of one run, whatever the answer's
// size: memory and report size follow the number of runs, not what the API
// sends. The first failing step of each attempt is kept beyond every cap,
// with its links, since it is why a run failed.
type Limits struct {
	Steps       int // steps kept per attempt
	Attempts    int // entries of additional_attempts kept
	Links       int // screenshot links kept per step
	TitleBytes  int // a title or group name
	TaskBytes   int // a step's task
	ResultBytes int // a step's result
	// RunBytes bounds the texts and links kept of one run, its earlier
	// attempts included; steps past it are counted, not kept.
	RunBytes int
}

// DefaultLimits keep a run at 32 KiB at most (plus its failing step): with
// 1,000 runs that is 32 MiB, where whole answers could be gigabytes.
var DefaultLimits = Limits{
	Steps:       200,
	Attempts:    5,
	Links:       8,
	TitleBytes:  512,
	TaskBytes:   1 << 10,
	ResultBytes: 4 << 10,
	RunBytes:    32 << 10,
}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	pick := func(v, def int) int {
		if v > 0 {
			return v
		}
		return def
	}
	return Limits{
		Steps: pick(l.Steps, d.Steps), Attempts: pick(l.Attempts, d.Attempts), Links: pick(l.Links, d.Links),
		TitleBytes: pick(l.TitleBytes, d.TitleBytes), TaskBytes: pick(l.TaskBytes, d.TaskBytes),
		ResultBytes: pick(l.ResultBytes, d.ResultBytes), RunBytes: pick(l.RunBytes, d.RunBytes),
	}
}

// secondsToDuration converts the undocumented-unit "duration" field. The
// docs example (43 for one AI step) reads as seconds. ok is false for a
// value no step can take (negative, or over 1e7 s, about four months).
func secondsToDuration(s float64) (time.Duration, bool) {
	if s < 0 || s > 1e7 {
		return 0, false
	}
	return time.Duration(s * float64(time.Second)), true
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02 15:04:05.999999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
