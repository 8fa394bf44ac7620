package result

import (
	"testing"

	_ "github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

func TestNameAndFailedStep(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		run  Run
		want string
	}{
		{Run{BlueprintID: 7}, "blueprint 7"},
		{Run{BlueprintID: 7, Title: "Login"}, "Login (blueprint 7)"},
		{Run{BlueprintID: 7, RunID: 70, Title: "Login", SharedBlueprint: true}, "Login (blueprint 7, run 70)"},
		{Run{BlueprintID: 7, SharedBlueprint: true}, "blueprint 7"},
	} {
		if got := tc.run.Name(); got != tc.want {
			t.Errorf("Name() = %q, want %q", got, tc.want)
		}
	}
	r := Run{Steps: []Step{{Number: 1, OK: true}, {Number: 2}, {Number: 3}}}
	if s := r.FailedStep(); s == nil || s.Number != 2 {
		t.Errorf("FailedStep() = %+v, want step 2", s)
	}
	if s := (Run{Steps: []Step{{OK: true}}}).FailedStep(); s != nil {
		t.Errorf("FailedStep() of a clean run = %+v", s)
	}
}
