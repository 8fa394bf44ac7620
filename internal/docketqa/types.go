package docketqa

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// GroupRun is the part of a trigger answer the gate needs: the group run and
// the test runs it started.
type GroupRun struct {
	ID     int64
	Name   string
	Status string
	Runs   []TestRun
}

// TestRun is one test run as DocketQA reports it, reduced to what the gate
// shows. Steps holds the executed steps once the run has finished; StepCount
// is the number of steps the blueprint declares (known at trigger time).
type TestRun struct {
	ID          int64
	BlueprintID int64
	GroupRunID  int64
	// Status is the status word, trimmed and lower-cased; empty if DocketQA
	// sent none or null.
	Status    string
	Title     string
	StepCount int
	Steps     []Step
	VideoURL  string
	// Retries are the entries of additional_attempts: earlier attempts
	// DocketQA made itself because the blueprint has num_retries.
	Retries   []Retry
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Retry is one of DocketQA's own earlier attempts at a run.
type Retry struct {
	Steps    []Step
	VideoURL string
}

// Step is one executed step from a run's results.
type Step struct {
	Number   int
	Task     string
	OK       bool
	Result   string
	Duration time.Duration
	// Screenshots holds each action's screenshot_url, ScreenshotsBefore its
	// screenshot_url_before; the field names match result.Step.
	Screenshots       []string
	ScreenshotsBefore []string
}

// The wire types mirror the documented JSON, but every field is lenient:
// ids may arrive as strings, numbers may be floats, anything may be null,
// and unknown fields are ignored (real payloads carry undocumented ones).

type wireTriggerResponse struct {
	Message      string        `json:"message"`
	TestGroupRun *wireGroupRun `json:"test_group_run"`
	Detail       flexString    `json:"detail"`
}

type wireGroupRun struct {
	ID       flexInt       `json:"id"`
	Name     flexString    `json:"name"`
	Status   flexString    `json:"status"`
	TestRuns []wireTestRun `json:"test_runs"`
}

type wireGetResponse struct {
	TestRun *wireTestRun `json:"test_run"`
}

type wireTestRun struct {
	ID                 flexInt       `json:"id"`
	Status             flexString    `json:"status"`
	TestBlueprintID    flexInt       `json:"test_blueprint_id"`
	TestGroupRunID     flexInt       `json:"test_group_run_id"`
	BlueprintMetadata  *wireMetadata `json:"blueprint_metadata"`
	Results            []wireResult  `json:"results"`
	TestVideoURL       flexString    `json:"test_video_url"`
	VideoDownloadURL   flexString    `json:"test_video_download_url"`
	AdditionalAttempts []wireAttempt `json:"additional_attempts"`
	CreatedAt          flexString    `json:"created_at"`
	UpdatedAt          flexString    `json:"updated_at"`
}

type wireAttempt struct {
	Results      []wireResult `json:"results"`
	TestVideoURL flexString   `json:"test_video_url"`
}

type wireMetadata struct {
	Title flexString `json:"title"`
	// Steps are only counted: decoding into empty structs keeps no bytes,
	// which matters with 10,000 runs in one trigger answer.
	Steps []struct{} `json:"steps"`
}

type wireResult struct {
	StepNumber   flexInt      `json:"step_number"`
	Task         flexString   `json:"task"`
	IsSuccessful *bool        `json:"is_successful"`
	Result       flexString   `json:"result"`
	Duration     flexFloat    `json:"duration"`
	Actions      []wireAction `json:"actions"`
}

type wireAction struct {
	ScreenshotURL       flexString `json:"screenshot_url"`
	ScreenshotURLBefore flexString `json:"screenshot_url_before"`
}

func (w *wireTestRun) toRun() TestRun {
	r := TestRun{
		ID:          int64(w.ID),
		BlueprintID: int64(w.TestBlueprintID),
		GroupRunID:  int64(w.TestGroupRunID),
		Status:      strings.ToLower(strings.TrimSpace(string(w.Status))),
		VideoURL:    string(w.TestVideoURL),
		CreatedAt:   parseTime(string(w.CreatedAt)),
		UpdatedAt:   parseTime(string(w.UpdatedAt)),
	}
	if r.VideoURL == "" {
		r.VideoURL = string(w.VideoDownloadURL)
	}
	if m := w.BlueprintMetadata; m != nil {
		r.Title = strings.TrimSpace(string(m.Title))
		r.StepCount = len(m.Steps)
	}
	r.Steps = steps(w.Results)
	for _, a := range w.AdditionalAttempts {
		r.Retries = append(r.Retries, Retry{Steps: steps(a.Results), VideoURL: string(a.TestVideoURL)})
	}
	return r
}

func steps(results []wireResult) []Step {
	if len(results) == 0 {
		return nil
	}
	out := make([]Step, 0, len(results))
	for i, res := range results {
		s := Step{
			Number: int(res.StepNumber),
			Task:   string(res.Task),
			// A step without is_successful is not known to be good.
			OK:       res.IsSuccessful != nil && *res.IsSuccessful,
			Result:   string(res.Result),
			Duration: secondsToDuration(float64(res.Duration)),
		}
		if s.Number == 0 {
			s.Number = i + 1
		}
		for _, a := range res.Actions {
			if a.ScreenshotURL != "" {
				s.Screenshots = append(s.Screenshots, string(a.ScreenshotURL))
			}
			if a.ScreenshotURLBefore != "" {
				s.ScreenshotsBefore = append(s.ScreenshotsBefore, string(a.ScreenshotURLBefore))
			}
		}
		out = append(out, s)
	}
	return out
}

// secondsToDuration converts the undocumented-unit "duration" field. The
// docs example (43 for one AI step) reads as seconds.
func secondsToDuration(s float64) time.Duration {
	if s <= 0 || s > 1e7 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02 15:04:05.999999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// numberText returns the text of a JSON number, or of a string holding one
// (ids and durations have been seen as strings); ok is false for null or "".
func numberText(b []byte) (text string, ok bool, err error) {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return "", false, nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", false, err
		}
		b = []byte(strings.TrimSpace(s))
	}
	return string(b), len(b) > 0, nil
}

// quoteNumberish quotes a bad numeric value for an error message, but only
// when it looks like a number gone wrong: an answer may echo anything into
// a field, the API key included, and error texts end up in CI logs.
func quoteNumberish(s string) string {
	if len(s) <= 24 && strings.Trim(s, "0123456789+-.eE") == "" {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("text of %d bytes", len(s))
}

// flexInt accepts a JSON number or a numeric string; null leaves it zero.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s, ok, err := numberText(b)
	if err != nil || !ok {
		return err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		fl, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || fl != float64(int64(fl)) {
			return fmt.Errorf("expected an integer, got %s", quoteNumberish(s))
		}
		n = int64(fl)
	}
	*f = flexInt(n)
	return nil
}

// flexFloat accepts a JSON number or a numeric string; null leaves it zero.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s, ok, err := numberText(b)
	if err != nil || !ok {
		return err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("expected a number, got %s", quoteNumberish(s))
	}
	*f = flexFloat(v)
	return nil
}

// flexString accepts a JSON string, number or boolean as text; null and
// objects leave it empty (a status that is an object is no status).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case b[0] == '{' || b[0] == '[':
		return nil
	default:
		*f = flexString(b)
	}
	return nil
}
