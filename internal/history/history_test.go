package history

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

const api = "https://api.docketqa.com"

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func passed(id int64, d time.Duration) result.Run {
	return result.Run{BlueprintID: id, RunID: id * 10, Verdict: result.Passed, Duration: d}
}

func TestLoadProblemsGiveAColdStart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, content string
		// warn is a part of the warning wanted; "" for none.
		warn string
	}{
		{name: "missing file", content: "\x00missing"},
		{name: "corrupt", content: `{"version": 1, "blueprints": [`, warn: "not valid history JSON"},
		{name: "not an object", content: `[1, 2]`, warn: "not valid history JSON"},
		{name: "future version", content: `{"version": 2, "blueprints": []}`, warn: "format version 2"},
		{name: "no version", content: `{"blueprints": []}`, warn: "format version 0"},
		{name: "too large", content: `{"version": 1, "pad": "` + strings.Repeat("x", maxFileBytes) + `"}`, warn: "larger than 4 MiB"},
		{name: "empty history", content: `{"version": 1, "blueprints": []}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "history.json")
			if tc.content != "\x00missing" {
				if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			f, warns := Load(t.Context(), path, api, now)
			if f == nil {
				t.Fatal("Load returned no history")
			}
			if got := f.Forecast(1); got != (Forecast{}) {
				t.Errorf("Forecast = %+v from a cold start", got)
			}
			switch {
			case tc.warn == "" && len(warns) > 0:
				t.Errorf("warnings %q, want none", warns)
			case tc.warn != "" && (len(warns) != 1 || !strings.Contains(warns[0], tc.warn)):
				t.Errorf("warnings %q, want one containing %q", warns, tc.warn)
			}
			for _, w := range warns {
				if strings.Contains(w, "xxxxxxxx") {
					t.Errorf("the warning quotes the file: %.80q", w)
				}
			}
			// The next Save replaces the bad file with a good one.
			f.Record(now, []result.Run{passed(1, time.Minute)})
			if err := f.Save(path); err != nil {
				t.Fatal(err)
			}
			if g, warns := Load(t.Context(), path, api, now); len(warns) > 0 || g.Forecast(1).Median != time.Minute {
				t.Errorf("after Save: warnings %q, forecast %+v", warns, g.Forecast(1))
			}
		})
	}
}

func TestLoadDropsNonsense(t *testing.T) {
	t.Parallel()
	content := `{"version": 1, "blueprints": [
		{"api": "https://api.docketqa.com/", "blueprint_id": 1, "seen": 1, "runs": [
			{"seconds": 60, "outcome": "passed"},
			{"seconds": -5, "outcome": "passed"},
			{"seconds": 1e300, "outcome": "passed"},
			{"seconds": 80, "outcome": "exploded"},
			{"seconds": 100, "steps": -3, "outcome": "failed"},
			{"seconds": 100, "steps": 4, "outcome": "failed"}
		]},
		{"api": "https://api.docketqa.com", "blueprint_id": 1, "runs": [{"seconds": 999, "outcome": "passed"}]},
		{"api": "", "blueprint_id": 2, "runs": [{"seconds": 5, "outcome": "passed"}]},
		{"api": "https://api.docketqa.com", "blueprint_id": -3, "runs": [{"seconds": 5, "outcome": "passed"}]},
		null
	]}`
	path := filepath.Join(t.TempDir(), "h.json")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	f, warns := Load(t.Context(), path, api, now)
	if len(warns) > 0 {
		t.Fatalf("warnings %q", warns)
	}
	// Blueprint 1 keeps 60 s and 100 s (a duplicate entry is ignored), the
	// others nothing.
	if got := f.Forecast(1); got.Runs != 2 || got.Median != 80*time.Second {
		t.Errorf("Forecast(1) = %+v, want 2 runs of median 80s", got)
	}
	if got := f.Forecast(2); got.Runs != 0 {
		t.Errorf("Forecast(2) = %+v from an entry without API", got)
	}
}

func TestForecastAndKeys(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "history.json")
	f, _ := Load(t.Context(), path, api+"/", now)
	f.Record(now, []result.Run{
		passed(1, 100*time.Second),
		{BlueprintID: 2, Verdict: result.Failed, Duration: 30 * time.Second, Steps: make([]result.Step, 2)},
		// No verdict of their own: cut off, timed out, errors.
		{BlueprintID: 3, Verdict: result.Error, Duration: 50 * time.Second, Reason: result.NotAwaited},
		{BlueprintID: 4, Verdict: result.Error, Duration: 0},
		passed(5, 0),
	})
	f.Record(now.Add(time.Hour), []result.Run{passed(1, 110*time.Second), passed(1, 90*time.Second)})
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	g, warns := Load(t.Context(), path, api, now)
	if len(warns) > 0 {
		t.Fatal(warns)
	}
	cases := []struct {
		id   int64
		want Forecast
	}{
		{1, Forecast{Median: 100 * time.Second, Spread: 1.4826 * math.Log(1.1), Runs: 3}},
		{2, Forecast{Median: 30 * time.Second, Runs: 1}},
		{3, Forecast{}},
		{4, Forecast{}},
		{5, Forecast{}},
	}
	for _, tc := range cases {
		got := g.Forecast(tc.id)
		if math.Abs(got.Spread-tc.want.Spread) > 1e-9 {
			t.Errorf("Forecast(%d).Spread = %v, want %v", tc.id, got.Spread, tc.want.Spread)
		}
		got.Spread = tc.want.Spread
		if got != tc.want {
			t.Errorf("Forecast(%d) = %+v, want %+v", tc.id, got, tc.want)
		}
	}
	// Another API shares the file but not the forecasts, and its entries
	// survive its neighbour's Save.
	other, _ := Load(t.Context(), path, "https://eu.docketqa.example", now)
	if got := other.Forecast(1); got.Runs != 0 {
		t.Errorf("another API's forecast %+v", got)
	}
	other.Record(now, []result.Run{passed(1, time.Hour)})
	if err := other.Save(path); err != nil {
		t.Fatal(err)
	}
	if again, _ := Load(t.Context(), path, api, now); again.Forecast(1).Runs != 3 {
		t.Errorf("after another API saved, forecast %+v", again.Forecast(1))
	}
}

func TestBounded(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "h.json")
	f, _ := Load(t.Context(), path, api, now)
	for i := range 30 {
		f.Record(now, []result.Run{passed(1, time.Duration(i+1)*time.Second)})
	}
	for id := range int64(maxBlueprints + 500) {
		f.Record(now.Add(time.Duration(id)*time.Second), []result.Run{passed(id+2, time.Minute)})
	}
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > maxFileBytes/2 {
		t.Errorf("history file of %d bytes", st.Size())
	}
	var fj fileJSON
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &fj); err != nil {
		t.Fatal(err)
	}
	if len(fj.Blueprints) != maxBlueprints {
		t.Errorf("%d blueprints kept, want %d", len(fj.Blueprints), maxBlueprints)
	}
	g, _ := Load(t.Context(), path, api, now)
	// Blueprint 1 was seen least recently and went first; the latest
	// blueprint stayed, with its runs bounded.
	if got := g.Forecast(1); got.Runs != 0 {
		t.Errorf("the least recently seen blueprint stayed: %+v", got)
	}
	if got := g.Forecast(maxBlueprints + 501); got.Runs != 1 {
		t.Errorf("the latest blueprint went: %+v", got)
	}
	h, _ := Load(t.Context(), path, api, now)
	for i := range 30 {
		h.Record(now.Add(24*time.Hour), []result.Run{passed(7, time.Duration(i+1)*time.Second)})
	}
	if got := h.Forecast(7); got.Runs != keepRuns || got.Median != 25500*time.Millisecond {
		t.Errorf("Forecast after 30 runs = %+v, want the latest %d, median 25.5s", got, keepRuns)
	}
}

func TestNilAndNoPath(t *testing.T) {
	t.Parallel()
	var f *File
	f.Record(now, []result.Run{passed(1, time.Second)})
	if got := f.Forecast(1); got != (Forecast{}) {
		t.Errorf("nil history forecast %+v", got)
	}
	if err := f.Save(""); err != nil {
		t.Error(err)
	}
	g, warns := Load(t.Context(), "", api, now)
	if len(warns) > 0 || g.Forecast(1) != (Forecast{}) {
		t.Errorf("no path: %q %+v", warns, g.Forecast(1))
	}
}
