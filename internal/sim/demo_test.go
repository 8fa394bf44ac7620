package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	const checkout = "Checkout with saved card"
	cases := []struct {
		name       string
		wantStatus map[string]string
	}{
		{"pass", map[string]string{
			"Login flow": "passed", checkout: "passed", "Search returns results": "passed", "Password reset e-mail": "passed",
		}},
		{"fail", map[string]string{
			"Login flow": "passed", checkout: "failed", "Search returns results": "passed", "Password reset e-mail": "passed",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bps, err := sim.Demo(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			var longest time.Duration
			for _, b := range bps {
				ids = append(ids, b.ID)
				longest = max(longest, b.Duration)
				if b.Duration < time.Second || b.Duration > 4*time.Second {
					t.Errorf("%s: Duration %v, want 1-4 s so the demo is quick", b.Title, b.Duration)
				}
				if n := len(b.StepActions); n < 3 || n > 6 {
					t.Errorf("%s: %d steps, want 3-6", b.Title, n)
				}
			}
			clock := newClock()
			_, ts := serve(t, sim.Options{Now: clock.Now, Blueprints: bps})
			runs := trigger(t, ts, ids...).TestGroupRun.TestRuns
			if len(runs) != len(tc.wantStatus) {
				t.Fatalf("%d runs, want %d", len(runs), len(tc.wantStatus))
			}
			clock.Advance(longest)

			retried := 0
			for _, tr := range runs {
				run, _ := getRun(t, ts, tr.ID)
				title := run.BlueprintMetadata.Title
				if got, want := deref(run.Status), tc.wantStatus[title]; got != want {
					t.Errorf("%s: status %q, want %q", title, got, want)
				}
				if len(run.AdditionalAttempts) > 0 {
					retried++
				}
				if title != checkout || tc.name != "fail" {
					continue
				}
				if len(run.Results) != 3 || run.Results[2].IsSuccessful {
					t.Fatalf("%s: results %+v, want three steps with the third failing", title, run.Results)
				}
				if got, want := run.Results[2].Result, "Expected the order confirmation page, but the payment form showed 'Card declined'."; got != want {
					t.Errorf("%s: failure %q, want %q", title, got, want)
				}
			}
			if retried != 1 {
				t.Errorf("%d runs report DocketQA retries, want exactly 1", retried)
			}
		})
	}
}

func TestDemoUnknown(t *testing.T) {
	t.Parallel()
	_, err := sim.Demo("flaky")
	if err == nil {
		t.Fatal("Demo(flaky) succeeded")
	}
	for _, name := range sim.DemoNames() {
		if !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("error %q does not list %q", err, name)
		}
	}
}

func TestDemoReturnsFreshValues(t *testing.T) {
	t.Parallel()
	a, _ := sim.Demo("pass")
	a[0].Title = "changed"
	a[0].StepActions[0] = "changed"
	b, _ := sim.Demo("pass")
	if b[0].Title == "changed" || b[0].StepActions[0] == "changed" {
		t.Error("Demo shares state between calls")
	}
}
