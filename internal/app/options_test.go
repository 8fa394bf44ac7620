package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/manifest"
	"github.com/docketqa-gate/docketqa-gate/internal/report/publish"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/sim"
	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

func TestDetachThenAttachWithRerunsAndNonBlocking(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{
		bp(1, "", 10*ms),
		{ID: 2, Title: "Known flaky", Outcome: "failed", Duration: 10 * ms},
		{ID: 3, Title: "Passes on rerun", Outcome: "failed", PassFromTrigger: 2, Duration: 10 * ms},
	}})
	m := filepath.Join(h.dir, "runs.json")

	if code := h.run(context.Background(), "--blueprint-ids", "1,2,3", "--detach", m); code != 0 {
		t.Fatalf("detach exit %d\n%s", code, h.stderr.String())
	}
	if _, err := os.Stat(h.env["DOCKETQA_JUNIT"]); err == nil {
		t.Error("detach must not write a JUnit report: nothing was awaited")
	}
	b, err := os.ReadFile(m)
	if err != nil {
		t.Fatal(err)
	}
	man, err := manifest.Open(b, manifest.Want{Key: h.env["DOCKETQA_API_KEY"]}, untrusted.NewCleaner("", 0))
	if err != nil || len(man.Runs) != 3 || man.GroupRunID == 0 || !strings.HasSuffix(man.DashboardURL, "/dashboard/grouprun/35") {
		t.Fatalf("manifest %+v, %v", man, err)
	}
	if got := h.sim.Stats(); got.Triggers != 1 || got.Gets != 0 {
		t.Fatalf("after detach: %d triggers, %d gets; want 1 and 0", got.Triggers, got.Gets)
	}

	h.stdout.Reset()
	code := h.run(context.Background(), "--attach", m, "--rerun-failed", "2", "--non-blocking-ids", "2")
	if code != 0 {
		t.Fatalf("attach exit %d, want 0 (blueprint 2 is non-blocking, 3 passed on rerun)\n%s\n%s", code, h.stdout.String(), h.stderr.String())
	}
	// One detach trigger, then rerun 1 of {2,3} and rerun 2 of {2}.
	if got := h.sim.Stats().Triggers; got != 3 {
		t.Errorf("triggers = %d, want 3", got)
	}
	c := h.cases()
	if len(c) != 3 {
		t.Fatalf("want 3 testcases, got %v", c)
	}
	if k := c["Known flaky (blueprint 2)"]; k.Skipped == nil || !strings.Contains(k.Skipped.Message, "non-blocking") || k.Failure != nil || len(k.Reruns) != 2 {
		t.Errorf("non-blocking run: %+v", k)
	}
	if p := c["Passes on rerun (blueprint 3)"]; p.Failure != nil || p.Error != nil || len(p.Flaky) != 1 {
		t.Errorf("rerun pass should be a flaky pass with one flakyFailure: %+v", p)
	}
	if !strings.Contains(h.stdout.String(), "rerun 2 of 2: re-triggering 1 failed blueprint(s): 2") {
		t.Errorf("log should show the reruns:\n%s", h.stdout.String())
	}
}

func TestRerunNeverPasses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{{ID: 4, Title: "Broken", Outcome: "failed", Duration: time.Millisecond}}})
	if code := h.run(context.Background(), "--blueprint-ids", "4", "--rerun-failed", "2"); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	c := h.cases()["Broken (blueprint 4)"]
	if c.Failure == nil || len(c.Reruns) != 2 || len(c.Flaky) != 0 {
		t.Errorf("want a failure with 2 rerunFailures, got %+v", c)
	}
	if got := h.sim.Stats().Triggers; got != 3 {
		t.Errorf("triggers = %d, want 3", got)
	}
}

func TestFailFast(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{bp(1, "failed", 5*time.Millisecond), bp(2, "", time.Hour)}})
	// Run 2 lasts an hour: a gate that awaited it would hang this test,
	// so no stopwatch is needed.
	if code := h.run(context.Background(), "--blueprint-ids", "1,2", "--fail-fast"); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	c := h.cases()
	if c["Flow 1 (blueprint 1)"].Failure == nil {
		t.Error("run 1 should be a failure")
	}
	if e := c["Flow 2 (blueprint 2)"].Skipped; e == nil || !strings.Contains(e.Message, result.NotAwaited) {
		t.Errorf("run 2 should be marked not awaited: %+v", c["Flow 2 (blueprint 2)"])
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{bp(1, "", time.Millisecond)}})
	if code := h.run(context.Background(), "--blueprint-ids", "1,2", "--dry-run", "--non-blocking-ids", "2"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	if s := h.sim.Stats(); s.Triggers+s.Gets != 0 {
		t.Errorf("dry run made %d API requests", s.Triggers+s.Gets)
	}
	for _, want := range []string{h.srv.URL, "1, 2", "non-blocking:      2", "JUnit report:"} {
		if !strings.Contains(h.stdout.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, h.stdout.String())
		}
	}
	// The plan lists every report of the one table.
	for _, f := range publish.Formats() {
		if !strings.Contains(h.stdout.String(), "  "+f.Kind+":") {
			t.Errorf("plan lacks the report %q:\n%s", f.Kind, h.stdout.String())
		}
	}
	h.stdout.Reset()
	if code := h.run(context.Background(), "--blueprint-ids", "x", "--dry-run"); code != 2 {
		t.Errorf("bad config in a dry run: exit %d, want 2", code)
	}
}

func TestAttachBadManifest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sim.Options{})
	m := filepath.Join(h.dir, "broken.json")
	if err := os.WriteFile(m, []byte(`{"version":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := h.run(context.Background(), "--attach", m); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(h.stderr.String(), "broken.json") {
		t.Errorf("the error should name the manifest: %s", h.stderr.String())
	}
}

func TestResultsJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{
		bp(1, "", time.Millisecond),
		{ID: 2, Title: "Pay", Outcome: "failed", Steps: 3, FailStep: 2, Duration: time.Millisecond},
	}})
	path := filepath.Join(h.dir, "out", "results.json")
	if code := h.run(context.Background(), "--blueprint-ids", "1,2", "--non-blocking-ids", "2", "--results-json", path); code != 0 {
		t.Fatalf("exit %d, want 0 (the failing run is non-blocking)\n%s", code, h.stderr.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Verdict string `json:"verdict"`
		Counts  struct {
			Total             int `json:"total"`
			NonBlockingFailed int `json:"non_blocking_failed"`
		} `json:"counts"`
		Runs []struct {
			BlueprintID int64  `json:"blueprint_id"`
			Verdict     string `json:"verdict"`
			Blocking    bool   `json:"blocking"`
			FailingStep *struct {
				Number int `json:"number"`
			} `json:"failing_step"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("results JSON: %v\n%s", err, b)
	}
	if doc.Verdict != "passed" || doc.Counts.Total != 2 || doc.Counts.NonBlockingFailed != 1 || len(doc.Runs) != 2 {
		t.Fatalf("results: %+v", doc)
	}
	for _, r := range doc.Runs {
		if r.BlueprintID == 2 && (r.Verdict != "failed" || r.Blocking || r.FailingStep == nil || r.FailingStep.Number != 2) {
			t.Errorf("run 2: %+v", r)
		}
	}
}
