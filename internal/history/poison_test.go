package history

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// TestPoisonedHistoryHeals plants maxBlueprints entries of another API
// that claim to have been seen at the end of time, before and after the
// current API's own entries: the current API keeps every entry, and the
// next Save writes a file without the lie.
func TestPoisonedHistoryHeals(t *testing.T) {
	t.Parallel()
	for _, ownFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("own entries first %v", ownFirst), func(t *testing.T) {
			t.Parallel()
			type e = map[string]any
			var poison, own []e
			for i := range maxBlueprints {
				poison = append(poison, e{"api": "https://evil.example", "blueprint_id": i + 1, "seen": int64(math.MaxInt64),
					"runs": []e{{"seconds": 1, "outcome": "passed"}}})
			}
			for id := 1; id <= 3; id++ {
				own = append(own, e{"api": api, "blueprint_id": id, "seen": now.Add(-time.Hour).Unix(),
					"runs": []e{{"seconds": 60, "outcome": "passed"}}})
			}
			all := append(poison, own...)
			if ownFirst {
				all = append(own, poison...)
			}
			b, _ := json.Marshal(e{"version": Version, "blueprints": all})
			path := filepath.Join(t.TempDir(), "history.json")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			f, warns := Load(t.Context(), path, api, now)
			if len(warns) > 0 {
				t.Fatalf("warnings %q", warns)
			}
			for id := int64(1); id <= 3; id++ {
				if got := f.Forecast(id); got.Runs != 1 {
					t.Errorf("blueprint %d lost its history to the poisoned entries: %+v", id, got)
				}
			}
			// A run of a fourth blueprint: still room for it, at the expense
			// of another API's entry.
			f.Record(now, []result.Run{passed(4, time.Minute)})
			if err := f.Save(path); err != nil {
				t.Fatal(err)
			}
			g, _ := Load(t.Context(), path, api, now.Add(time.Hour))
			for id := int64(1); id <= 4; id++ {
				if got := g.Forecast(id); got.Runs < 1 {
					t.Errorf("after Save, blueprint %d has no history: %+v", id, got)
				}
			}
			var fj fileJSON
			data, _ := os.ReadFile(path)
			if err := json.Unmarshal(data, &fj); err != nil {
				t.Fatal(err)
			}
			if len(fj.Blueprints) > maxBlueprints {
				t.Errorf("the file holds %d entries, more than %d", len(fj.Blueprints), maxBlueprints)
			}
			for _, x := range fj.Blueprints {
				if x.Seen > now.Unix() {
					t.Fatalf("the saved file still claims a future time: %+v", x)
				}
			}
		})
	}
}
