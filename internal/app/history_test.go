package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

// TestHistoryAcrossInvocations: the first invocation writes --history with
// the finishes it observed, keyed by API and blueprint; the second reads it
// and adds to it; a corrupt file is a warning and a cold start, never a
// failure.
func TestHistoryAcrossInvocations(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{bp(1, "", 5*time.Millisecond), bp(2, "failed", 5*time.Millisecond)}})
	path := filepath.Join(h.dir, "history.json")
	read := func() (doc struct {
		Version    int `json:"version"`
		Blueprints []struct {
			API         string `json:"api"`
			BlueprintID int64  `json:"blueprint_id"`
			Runs        []struct {
				Outcome string `json:"outcome"`
			} `json:"runs"`
		} `json:"blueprints"`
	}) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil || json.Unmarshal(b, &doc) != nil {
			t.Fatalf("history file: %v\n%s", err, b)
		}
		return doc
	}
	for round := 1; round <= 2; round++ {
		h.stdout.Reset()
		if code := h.run(context.Background(), "--blueprint-ids", "1,2", "--history", path); code != 1 {
			t.Fatalf("round %d: exit %d, want 1\n%s", round, code, h.stderr.String())
		}
		doc := read()
		if doc.Version != 1 || len(doc.Blueprints) != 2 {
			t.Fatalf("round %d: %+v", round, doc)
		}
		for _, b := range doc.Blueprints {
			if b.API != h.srv.URL || len(b.Runs) != round {
				t.Errorf("round %d: blueprint %d: api %q, %d runs", round, b.BlueprintID, b.API, len(b.Runs))
			}
		}
		if !strings.Contains(h.stdout.String(), "polling history: "+path) {
			t.Errorf("round %d: the log does not name the history file:\n%s", round, h.stdout.String())
		}
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.stderr.Reset()
	if code := h.run(context.Background(), "--blueprint-ids", "1,2", "--history", path); code != 1 {
		t.Fatalf("corrupt history: exit %d, want 1", code)
	}
	if !strings.Contains(h.stderr.String(), "starting without history") {
		t.Errorf("no warning for a corrupt file:\n%s", h.stderr.String())
	}
	if doc := read(); len(doc.Blueprints) != 2 {
		t.Errorf("the corrupt file was not replaced: %+v", doc)
	}
}

// TestRecentRecordInEveryReport: a failure after passes reads as new, a
// failure after failures as ongoing, in the summary's reason cell, the
// JUnit message and output and the JSON results; a plain pass gets no
// record, and the record changes no verdict.
func TestRecentRecordInEveryReport(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{
		bp(1, "", 5*time.Millisecond), bp(2, "failed", 5*time.Millisecond), bp(3, "failed", 5*time.Millisecond)}})
	path := filepath.Join(h.dir, "history.json")
	results := filepath.Join(h.dir, "results.json")
	runs := func(outcomes ...string) string {
		parts := make([]string, len(outcomes))
		for i, o := range outcomes {
			parts[i] = `{"seconds": 4, "outcome": "` + o + `"}`
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	file := `{"version": 1, "blueprints": [
		{"api": "` + h.srv.URL + `", "blueprint_id": 1, "seen": 1, "runs": ` + runs("passed", "failed") + `},
		{"api": "` + h.srv.URL + `", "blueprint_id": 2, "seen": 1, "runs": ` + runs("passed", "passed", "passed") + `},
		{"api": "` + h.srv.URL + `", "blueprint_id": 3, "seen": 1, "runs": ` + runs("passed", "failed", "failed") + `}]}`
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	code := h.run(context.Background(), "--blueprint-ids", "1,2,3", "--history", path, "--results-json", results)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, h.stderr.String())
	}
	newFailure := "new failure: passed the last 3 runs (✓✓✓✗, latest last)"
	failing := "failing for the last 3 runs (✓✗✗✗, latest last)"

	summary, err := os.ReadFile(h.env["DOCKETQA_SUMMARY"])
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(summary), "\n") {
		want := map[string]string{"Flow 1": "", "Flow 2": newFailure, "Flow 3": failing}
		for name, rec := range want {
			if !strings.Contains(line, "| "+name+" (") {
				continue
			}
			cells := strings.Split(line, " | ")
			if rec == "" && strings.Contains(line, "latest last") || rec != "" && !strings.Contains(cells[3], rec) {
				t.Errorf("summary row of %s, want record %q in the reason cell:\n%s", name, rec, line)
			}
		}
	}

	cases := h.cases()
	for name, rec := range map[string]string{"Flow 2 (blueprint 2)": newFailure, "Flow 3 (blueprint 3)": failing} {
		c := cases[name]
		if c.Failure == nil || !strings.HasSuffix(c.Failure.Message, "; "+rec) || !strings.Contains(c.SystemOut, "recent record: "+rec+"\n") {
			t.Errorf("JUnit case %s lacks the record %q: %+v", name, rec, c)
		}
	}
	if strings.Contains(cases["Flow 1 (blueprint 1)"].SystemOut, "recent record") {
		t.Errorf("a plain pass got a record: %q", cases["Flow 1 (blueprint 1)"].SystemOut)
	}

	b, err := os.ReadFile(results)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs []struct {
			BlueprintID int64 `json:"blueprint_id"`
			Recent      *struct {
				Outcomes []string `json:"outcomes"`
				Reading  string   `json:"reading"`
			} `json:"recent"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc.Runs {
		switch {
		case r.BlueprintID == 1 && r.Recent != nil:
			t.Errorf("JSON: a plain pass got a record %+v", r.Recent)
		case r.BlueprintID == 2 && (r.Recent == nil || r.Recent.Reading != "new failure: passed the last 3 runs" ||
			strings.Join(r.Recent.Outcomes, ",") != "passed,passed,passed,failed"):
			t.Errorf("JSON record of blueprint 2 = %+v", r.Recent)
		case r.BlueprintID == 3 && (r.Recent == nil || r.Recent.Reading != "failing for the last 3 runs"):
			t.Errorf("JSON record of blueprint 3 = %+v", r.Recent)
		}
	}
}
