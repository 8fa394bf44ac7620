package resultsjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/reporttest"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

var update = testutil.UpdateFlag()

func TestWriteGolden(t *testing.T) {
	t.Parallel()
	reporttest.GoldenWrite(t, ".golden.json", *update, Write)
}

// TestWriteRoundTrip decodes every shared set's document strictly into the
// document types and checks that it holds each run once, in input order,
// with the counts and verdict of the set.
func TestWriteRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range reporttest.Cases() {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			got := roundTrip(t, tc.Set)
			tally := tc.Set.Tally()
			if got.SchemaVersion != SchemaVersion || got.Verdict != string(tally.Verdict) {
				t.Errorf("schema_version %d, verdict %q; want %d, %q", got.SchemaVersion, got.Verdict, SchemaVersion, tally.Verdict)
			}
			c := tally
			if got.Counts != (counts{c.Total, c.Passed, c.Failed, c.NoVerdict, c.NotAwaited, c.Flaky, c.NonBlockingFailed}) {
				t.Errorf("counts = %+v, want %+v", got.Counts, c)
			}
			checkRuns(t, tc.Set, got)
		})
	}
}

// roundTrip writes s and decodes the output, rejecting unknown fields and
// trailing data, so the document and the types cannot drift apart.
func roundTrip(t *testing.T, s result.Set) document {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if !utf8.Valid(buf.Bytes()) || !json.Valid(buf.Bytes()) {
		t.Fatalf("output is not valid UTF-8 JSON:\n%q", buf.String())
	}
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	var doc document
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decode: %v\n%s", err, buf.String())
	}
	if dec.More() {
		t.Fatalf("trailing data after the document:\n%s", buf.String())
	}
	return doc
}

func checkRuns(t *testing.T, s result.Set, doc document) {
	t.Helper()
	if len(doc.Runs) != len(s.Runs) {
		t.Fatalf("%d runs in the document, %d in the set", len(doc.Runs), len(s.Runs))
	}
	seen := make(map[string]int, len(doc.Runs))
	for i, r := range doc.Runs {
		seen[r.Name]++
		in := s.Runs[i]
		if r.BlueprintID != in.BlueprintID || len(r.EarlierAttempts) != len(in.Earlier) || len(r.Steps) != len(in.Steps) {
			t.Errorf("run %d = blueprint %d with %d earlier attempts and %d steps; want %d, %d, %d",
				i, r.BlueprintID, len(r.EarlierAttempts), len(r.Steps), in.BlueprintID, len(in.Earlier), len(in.Steps))
		}
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("run %q appears %d times, want once", name, n)
		}
	}
}

func TestWriteFields(t *testing.T) {
	t.Parallel()
	set := result.Set{
		GroupRunID: 35, GroupRunName: "Nightly", GroupRunURL: "https://app.example/g/35",
		Started: time.Date(2025, 3, 14, 10, 26, 53, 0, time.FixedZone("CET", 3600)),
		Elapsed: 4*time.Minute + 345*time.Millisecond,
		Runs: []result.Run{
			{
				BlueprintID: 7, RunID: 70, Title: "Checkout", Status: "failed", Verdict: result.Failed,
				Reason: "step 2 failed", Duration: 1500 * time.Millisecond, VideoURL: "https://cdn.example/70.mp4",
				Attempts: 2, NonBlocking: true,
				Earlier: []result.Attempt{{Rerun: true, RunID: 60, Status: "failed", Verdict: result.Failed, Reason: "boom"}},
				Steps: []result.Step{
					{Number: 1, Task: "Open", OK: true, Duration: -time.Second, Screenshots: []string{"https://cdn.example/1.png"}},
					{Number: 2, Task: "Pay", Result: "declined"},
				},
			},
			{BlueprintID: 8, Verdict: result.Error, Reason: "the trigger answer held no run for this blueprint"},
		},
	}
	doc := roundTrip(t, set)
	if doc.GroupRun == nil || *doc.GroupRun != (groupRun{35, "Nightly", "https://app.example/g/35"}) {
		t.Errorf("group_run = %+v", doc.GroupRun)
	}
	if doc.Started == nil || *doc.Started != "2025-03-14T09:26:53Z" || doc.ElapsedSeconds != 240.345 {
		t.Errorf("started %v, elapsed %v; want UTC 2025-03-14T09:26:53Z and 240.345", doc.Started, doc.ElapsedSeconds)
	}
	r := doc.Runs[0]
	if r.RunID == nil || *r.RunID != 70 || r.Name != "Checkout (blueprint 7)" || r.DurationSeconds != 1.5 ||
		r.Attempts != 2 || r.Flaky || r.Blocking || r.VideoURL != "https://cdn.example/70.mp4" {
		t.Errorf("run = %+v", r)
	}
	if r.FailingStep == nil || *r.FailingStep != (failingStep{2, "Pay", "declined"}) {
		t.Errorf("failing_step = %+v", r.FailingStep)
	}
	if a := r.EarlierAttempts[0]; !a.Rerun || a.RunID == nil || *a.RunID != 60 || a.Reason != "boom" || a.Verdict != "failed" {
		t.Errorf("earlier attempt = %+v", a)
	}
	if st := r.Steps[0]; st.DurationSeconds != 0 || !st.OK || len(st.Screenshots) != 1 || r.Steps[1].Screenshots == nil {
		t.Errorf("steps = %+v", r.Steps)
	}
	missing := doc.Runs[1]
	if missing.RunID != nil || missing.FailingStep != nil || !missing.Blocking ||
		missing.EarlierAttempts == nil || missing.Steps == nil || missing.Name != "blueprint 8" {
		t.Errorf("run without a test run = %+v", missing)
	}
}

// TestWriteUnknowns checks the null and [] conventions on the raw JSON, since
// decoding into Go types cannot tell null from a missing field.
func TestWriteUnknowns(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Write(&buf, result.Set{Runs: []result.Run{{BlueprintID: 1, Verdict: result.Error}}}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`"verdict": "error"`, `"group_run": null`, `"started": null`, `"run_id": null`, `"failing_step": null`,
		`"recent": null`, `"earlier_attempts": []`, `"steps": []`, `"status": ""`, `"blocking": true`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Count(out, "null") != 5 {
		t.Errorf("want exactly 5 nulls (group_run, started, run_id, failing_step, recent):\n%s", out)
	}
}

func TestWriteSanitizesUTF8(t *testing.T) {
	t.Parallel()
	doc := roundTrip(t, reporttest.Hostile())
	for _, r := range doc.Runs {
		for _, s := range []string{r.Title, r.Name, r.Status, r.Reason, r.VideoURL} {
			if !utf8.ValidString(s) {
				t.Errorf("invalid UTF-8 survived: %q", s)
			}
		}
	}
	if got := doc.Runs[0].Title; !strings.Contains(got, "\uFFFD") || !strings.Contains(got, "<script>") {
		t.Errorf("title = %q, want invalid bytes replaced and text otherwise kept", got)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWritePropagatesErrors(t *testing.T) {
	t.Parallel()
	err := Write(failingWriter{}, reporttest.Cases()[0].Set)
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "results json") {
		t.Errorf("err = %v, want wrapped disk full naming the results json", err)
	}
}
