package poll

import (
	"context"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// lateUnlessLast waits an hour after the first look unless one run is
// pending, and asks to be revisited when that happens. A run of one step
// takes its first look later than the others.
type lateUnlessLast struct{}

func (lateUnlessLast) Next(v RunView) time.Duration {
	switch {
	case v.Polls == 0 && v.StepCount == 1:
		return 50 * time.Millisecond
	case v.Polls == 0 || v.Pending <= 1:
		return time.Millisecond
	}
	return time.Hour
}

func (lateUnlessLast) Revisit(pending, _ int) bool { return pending <= 1 }

// TestRevisitMovesWaitsForward checks that a Revisiter's waits, scheduled
// while many runs were pending, are cut when a finish makes them shorter:
// the second run would otherwise wait an hour.
func TestRevisitMovesWaitsForward(t *testing.T) {
	t.Parallel()
	// Run 2 looks first, sees its run going with two pending, and waits an
	// hour; run 1 then passes at its first look, which leaves run 2 alone
	// and must bring its poll forward.
	api := newFake(map[int64][]answer{
		1: {{status: "passed"}},
		2: {{status: "running"}, {status: "running"}, {status: "passed"}},
	})
	targets := targetsFor(1, 2)
	targets[0].StepCount, targets[1].StepCount = 1, 2
	c := newVClock()
	opt := Options{Interval: time.Millisecond, MaxInterval: time.Hour, MaxParallel: 2, Strategy: lateUnlessLast{},
		Deadline: c.after(3 * time.Second), Clock: c}
	var out Outcome
	c.drive(t, func(*testing.T) { out = Run(context.Background(), api, targets, opt) })
	if out.Stop != Finished {
		t.Fatalf("stop %q: the waiting run was not revisited", out.Stop)
	}
	for _, r := range out.Runs {
		if r.Verdict != result.Passed {
			t.Errorf("run %d: %s (%s)", r.RunID, r.Verdict, r.Reason)
		}
	}
	if got := api.callsFor(2); got != 3 {
		t.Errorf("run 2 polled %d times, want 3", got)
	}
}
