package history

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// outcomes reads "PPF" as passed, passed, failed.
func outcomes(s string) []result.Verdict {
	out := make([]result.Verdict, len(s))
	for i, c := range s {
		out[i] = result.Failed
		if c == 'P' {
			out[i] = result.Passed
		}
	}
	return out
}

func TestRead(t *testing.T) {
	t.Parallel()
	cases := []struct {
		outcomes  string
		failedNow bool
		want      string
	}{
		{"", false, ""},
		// Rule 1: the run's own failure after nothing but passes.
		{"PPPPPPPPPF", true, "new failure: passed the last 9 runs"},
		{"PF", true, "new failure: passed the last run"},
		// The same outcomes without the run's own failure (it had no
		// verdict, the last failure is an earlier run's): not "new".
		{"PPPPPPPPPF", false, "recent: passed 9 of the last 10"},
		// Rule 2: a failing streak after passes, or nothing but failures.
		{"PPPPPPFFFF", true, "failing for the last 4 runs"},
		{"FF", true, "failing for the last 2 runs"},
		{"PPFF", false, "failing for the last 2 runs"},
		{"FFFFFFFFFF", true, "failing for the last 10 runs"},
		// A streak of one is not "failing for".
		{"F", false, "recent: passed 0 of the last 1"},
		// Rule 3: at least two switches.
		{"PFPPFPPPFP", false, "flaky: 3 failures in the last 10"},
		{"PFP", false, "flaky: 1 failure in the last 3"},
		{"FPF", true, "flaky: 2 failures in the last 3"},
		// An older failure before the streak makes it flaky, not "failing for".
		{"FPPPFF", true, "flaky: 3 failures in the last 6"},
		// Rule 4: everything else.
		{"PPPPPPPPPP", false, "recent: passed 10 of the last 10"},
		{"FFFP", false, "recent: passed 1 of the last 4"},
		{"P", false, "recent: passed 1 of the last 1"},
	}
	for _, tc := range cases {
		t.Run(tc.outcomes, func(t *testing.T) {
			t.Parallel()
			if got := Read(outcomes(tc.outcomes), tc.failedNow); got != tc.want {
				t.Errorf("Read(%s, failedNow=%v) = %q, want %q", tc.outcomes, tc.failedNow, got, tc.want)
			}
		})
	}
}

func TestRecentOf(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "history.json")
	f, _ := Load(t.Context(), path, api, now)
	failed := func(id int64) result.Run {
		return result.Run{BlueprintID: id, RunID: id * 10, Verdict: result.Failed, Duration: time.Minute}
	}
	// Twelve passes: the file keeps the last ten.
	for i := range 12 {
		f.Record(now.Add(time.Duration(i)*time.Minute), []result.Run{passed(1, time.Minute)})
	}
	f.Record(now, []result.Run{failed(2), failed(2)})
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	f, _ = Load(t.Context(), path, api, now)

	cases := []struct {
		name string
		run  result.Run
		want string
	}{
		// The run's own outcome joins the ten loaded ones, and the window
		// stays ten long.
		{"new failure", failed(1), "new failure: passed the last 9 runs (✓✓✓✓✓✓✓✓✓✗, latest last)"},
		{"pass after passes", passed(1, time.Minute), "recent: passed 10 of the last 10 (✓✓✓✓✓✓✓✓✓✓, latest last)"},
		// A run without a verdict adds nothing of its own.
		{"no verdict", result.Run{BlueprintID: 1, Verdict: result.Error}, "recent: passed 10 of the last 10 (✓✓✓✓✓✓✓✓✓✓, latest last)"},
		{"still failing", failed(2), "failing for the last 3 runs (✗✗✗, latest last)"},
		// Nothing recorded for the blueprint: no record at all, not a
		// record of the run alone.
		{"unknown blueprint", failed(3), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := f.RecentOf(tc.run).String(); got != tc.want {
				t.Errorf("RecentOf = %q, want %q", got, tc.want)
			}
		})
	}

	// Another API's history is not this one's.
	other, _ := Load(t.Context(), path, "https://other.example", now)
	if got := other.RecentOf(failed(1)); got.Reading != "" {
		t.Errorf("another API's record = %q, want none", got.Reading)
	}
	var none *File
	if got := none.RecentOf(failed(1)); got.Reading != "" || got.String() != "" {
		t.Errorf("nil history gives record %q", got.String())
	}
}
