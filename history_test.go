package main

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
