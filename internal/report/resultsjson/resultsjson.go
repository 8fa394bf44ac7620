// Package resultsjson writes the gate's result set as the --results-json
// document: the full machine-readable outcome for downstream tools, where
// the JUnit report and the summary are written for CI views and people.
//
// The document is versioned by SchemaVersion and keeps a stable shape:
// every field is always present, in the order of the struct types below.
// A value the gate does not know is null when it is a number or an object
// (run_id, failing_step, recent, started, group_run) and "" when it is a string;
// lists are [] rather than null. Strings are made valid UTF-8, replacing
// invalid bytes with U+FFFD, so a broken byte from the API cannot make the
// file unreadable for strict decoders.
package resultsjson

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/describe"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// SchemaVersion is the value of schema_version. It changes only when a
// field is removed or changes meaning; added fields keep the version.
const SchemaVersion = 1

type document struct {
	SchemaVersion  int       `json:"schema_version"`
	Verdict        string    `json:"verdict"`
	Counts         counts    `json:"counts"`
	GroupRun       *groupRun `json:"group_run"`
	Started        *string   `json:"started"`
	ElapsedSeconds float64   `json:"elapsed_seconds"`
	Runs           []run     `json:"runs"`
}

type counts struct {
	Total             int `json:"total"`
	Passed            int `json:"passed"`
	Failed            int `json:"failed"`
	Errors            int `json:"errors"`
	NotAwaited        int `json:"not_awaited"`
	Flaky             int `json:"flaky"`
	NonBlockingFailed int `json:"non_blocking_failed"`
}

type groupRun struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

type run struct {
	BlueprintID     int64        `json:"blueprint_id"`
	RunID           *int64       `json:"run_id"`
	Title           string       `json:"title"`
	Name            string       `json:"name"`
	Status          string       `json:"status"`
	Verdict         string       `json:"verdict"`
	Kind            string       `json:"kind"`
	DurationSeconds float64      `json:"duration_seconds"`
	FailingStep     *failingStep `json:"failing_step"`
	Reason          string       `json:"reason"`
	VideoURL        string       `json:"video_url"`
	Attempts        int          `json:"attempts"`
	Flaky           bool         `json:"flaky"`
	Blocking        bool         `json:"blocking"`
	EarlierAttempts []attempt    `json:"earlier_attempts"`
	Steps           []step       `json:"steps"`
	// Artifacts are the files saved under --artifacts-dir; empty when none
	// were (always present, like every field of the schema).
	Artifacts []artifact `json:"artifacts"`
	// Omitted says what the API's answer held that the gate did not keep.
	Omitted string `json:"omitted"`
	// Recent is the blueprint's recent record from --history, for runs
	// that failed, had no verdict or were flaky; null otherwise.
	Recent *recent `json:"recent"`
}

// recent is a run's recent record: outcomes most recent last, and their
// reading in plain words.
type recent struct {
	Outcomes []string `json:"outcomes"`
	Reading  string   `json:"reading"`
}

// artifact is a saved screenshot or video: the local path, relative to the
// working directory, and the (expiring) URL it came from, without its query.
type artifact struct {
	Kind string `json:"kind"`
	Step int    `json:"step"`
	Path string `json:"path"`
	URL  string `json:"url"`
}

type failingStep struct {
	Number int    `json:"number"`
	Task   string `json:"task"`
	Result string `json:"result"`
}

type attempt struct {
	Rerun    bool   `json:"rerun"`
	RunID    *int64 `json:"run_id"`
	Status   string `json:"status"`
	Verdict  string `json:"verdict"`
	Reason   string `json:"reason"`
	VideoURL string `json:"video_url"`
}

type step struct {
	Number          int      `json:"number"`
	Task            string   `json:"task"`
	OK              bool     `json:"ok"`
	Result          string   `json:"result"`
	DurationSeconds float64  `json:"duration_seconds"`
	Screenshots     []string `json:"screenshots"`
}

// Write writes the results document for s to w as indented JSON followed
// by a newline.
//
// The document is streamed with a jsontext.Encoder, which writes to w as
// its buffer fills, and the runs are converted one at a time, so memory
// stays flat with 10,000 runs and their steps. The encoder is set to write
// what encoding/json's MarshalIndent wrote before: the indent (which also
// puts a space after each colon), and <, >, & and U+2028/U+2029 escaped as
// encoding/json does by default; the bytes did not change.
func Write(w io.Writer, s result.Set) error {
	doc := build(result.Set{GroupRunID: s.GroupRunID, GroupRunName: s.GroupRunName, GroupRunURL: s.GroupRunURL,
		Started: s.Started, Elapsed: s.Elapsed})
	// The header is built from an empty set, so take the counts and the
	// verdict from the real one.
	t := s.Tally()
	doc.Verdict = string(t.Verdict)
	doc.Counts = countsOf(t)
	// The runs, doc's last field, come from the set, not from doc.Runs.
	runs := json.MarshalToFunc(func(enc *jsontext.Encoder, _ []run) error {
		if err := enc.WriteToken(jsontext.BeginArray); err != nil {
			return err
		}
		for _, r := range s.Runs {
			if err := json.MarshalEncode(enc, runFor(r)); err != nil {
				return err
			}
		}
		return enc.WriteToken(jsontext.EndArray)
	})
	enc := jsontext.NewEncoder(w, jsontext.WithIndent("  "),
		jsontext.EscapeForHTML(true), jsontext.EscapeForJS(true))
	if err := json.MarshalEncode(enc, doc, json.WithMarshalers(runs)); err != nil {
		return fmt.Errorf("write results json: %w", err)
	}
	return nil
}

func build(s result.Set) document {
	t := s.Tally()
	doc := document{
		SchemaVersion:  SchemaVersion,
		Verdict:        string(t.Verdict),
		Counts:         countsOf(t),
		ElapsedSeconds: seconds(s.Elapsed),
		Runs:           make([]run, 0, len(s.Runs)),
	}
	if s.GroupRunID != 0 {
		doc.GroupRun = &groupRun{ID: s.GroupRunID, Name: text(s.GroupRunName), URL: text(s.GroupRunURL)}
	}
	if !s.Started.IsZero() {
		started := s.Started.UTC().Format(time.RFC3339)
		doc.Started = &started
	}
	for _, r := range s.Runs {
		doc.Runs = append(doc.Runs, runFor(r))
	}
	return doc
}

// countsOf is the document's view of the one tally: errors are the runs
// without a verdict, not counting those fail-fast did not wait for.
func countsOf(t result.Tally) counts {
	return counts{Total: t.Total, Passed: t.Passed, Failed: t.Failed, Errors: t.NoVerdict,
		NotAwaited: t.NotAwaited, Flaky: t.Flaky, NonBlockingFailed: t.NonBlockingFailed}
}

func runFor(r result.Run) run {
	out := run{
		BlueprintID:     r.BlueprintID,
		RunID:           id(r.RunID),
		Title:           text(r.Title),
		Name:            text(r.Name()),
		Status:          text(r.Status),
		Verdict:         text(string(r.Verdict)),
		Kind:            result.KindOf(r).String(),
		Omitted:         text(r.Omitted),
		DurationSeconds: seconds(r.Duration),
		Reason:          text(r.Reason),
		VideoURL:        text(r.VideoURL),
		Attempts:        describe.Attempts(r),
		Flaky:           describe.Flaky(r),
		Blocking:        !r.NonBlocking,
		EarlierAttempts: make([]attempt, 0, len(r.Earlier)),
		Steps:           make([]step, 0, len(r.Steps)),
	}
	if r.Recent.Reading != "" {
		out.Recent = &recent{Outcomes: make([]string, len(r.Recent.Outcomes)), Reading: r.Recent.Reading}
		for i, o := range r.Recent.Outcomes {
			out.Recent.Outcomes[i] = string(o)
		}
	}
	if st := r.FailedStep(); st != nil {
		out.FailingStep = &failingStep{Number: st.Number, Task: text(st.Task), Result: text(st.Result)}
	}
	for _, a := range r.Earlier {
		out.EarlierAttempts = append(out.EarlierAttempts, attempt{
			Rerun:    a.Rerun,
			RunID:    id(a.RunID),
			Status:   text(a.Status),
			Verdict:  text(string(a.Verdict)),
			Reason:   text(a.Reason),
			VideoURL: text(a.VideoURL),
		})
	}
	out.Artifacts = make([]artifact, 0, len(r.Artifacts))
	for _, a := range r.Artifacts {
		out.Artifacts = append(out.Artifacts, artifact{Kind: text(a.Kind), Step: a.Step, Path: text(a.Path), URL: text(a.URL)})
	}
	for _, st := range r.Steps {
		shots := make([]string, len(st.Screenshots))
		for i, u := range st.Screenshots {
			shots[i] = text(u)
		}
		out.Steps = append(out.Steps, step{
			Number:          st.Number,
			Task:            text(st.Task),
			OK:              st.OK,
			Result:          text(st.Result),
			DurationSeconds: seconds(st.Duration),
			Screenshots:     shots,
		})
	}
	return out
}

// id is nil for the zero id, which means "no test run" in result.
func id(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

// seconds is d in seconds with millisecond precision, so the document
// shows 42.5 rather than 42.500000001; negative durations (a skewed clock)
// become zero.
func seconds(d time.Duration) float64 {
	return float64(max(d, 0).Milliseconds()) / 1000
}

func text(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}
