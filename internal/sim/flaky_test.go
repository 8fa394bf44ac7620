package sim_test

import (
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

func TestPassFromTrigger(t *testing.T) {
	t.Parallel()
	_, ts := serve(t, sim.Options{Blueprints: []sim.Blueprint{{ID: 7, Outcome: "failed", PassFromTrigger: 3}}})
	want := []string{"failed", "failed", "passed", "passed"}
	for i, w := range want {
		doc := trigger(t, ts, 7)
		run, _ := getRun(t, ts, doc.TestGroupRun.TestRuns[0].ID)
		if run.Status == nil || *run.Status != w {
			t.Errorf("trigger %d: status %v, want %s", i+1, run.Status, w)
		}
		if failing := len(run.Results) > 0 && !run.Results[len(run.Results)-1].IsSuccessful; failing != (w == "failed") {
			t.Errorf("trigger %d: results disagree with status %s", i+1, w)
		}
	}
}
