package poll

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// RunView is what a Strategy may look at to pick the next poll delay.
type RunView struct {
	StepCount int
	// Polls made for this run so far.
	Polls int
	// Elapsed since the trigger.
	Elapsed time.Duration
	// Pending runs (this one included) out of Total.
	Pending, Total int
	Calib          *Calibration
	// BackOff is the run's own exponential backoff.
	BackOff       *backoff.ExponentialBackOff
	Interval, Max time.Duration
}

// Strategy picks how long to wait before polling a run again.
type Strategy interface {
	Next(v RunView) time.Duration
}

// Backoff is plain capped exponential backoff with jitter, per run.
type Backoff struct{}

// Next implements Strategy.
func (Backoff) Next(v RunView) time.Duration { return min(v.BackOff.NextBackOff(), v.Max) }

// Fixed polls every run at one interval, like the peers do; it exists to
// compare against.
type Fixed struct{ Every time.Duration }

// Next implements Strategy.
func (f Fixed) Next(RunView) time.Duration { return f.Every }

// Adaptive spends polls where they shorten the pipeline. A run's duration is
// predicted from its step count (calibrated by siblings that have finished),
// so the run is left alone until near its predicted end, polled more often
// around it, and the last few unfinished runs, which decide when the verdict
// is known, are polled at the shortest interval. Delays stay within
// [Interval, Max], with jitter so runs started together do not poll in
// lockstep.
type Adaptive struct{}

// Next implements Strategy.
func (Adaptive) Next(v RunView) time.Duration {
	jitter := func(d time.Duration) time.Duration {
		return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	}
	clamp := func(d time.Duration) time.Duration { return min(max(d, v.Interval), v.Max) }
	if v.Polls == 0 {
		// A first look soon after the trigger catches runs that die at once
		// (bad starting URL, unknown blueprint).
		return jitter(v.Interval)
	}
	tail := min(max(v.Total/10, 2), 16)
	if v.Pending <= tail {
		return jitter(v.Interval)
	}
	pred := v.Calib.Predict(v.StepCount, v.Interval)
	if left := pred - v.Elapsed; left > v.Interval {
		// Sleep towards the predicted end, but aim a little early.
		return clamp(jitter(left * 3 / 4))
	}
	// Overdue: back off from the shortest interval again.
	over := v.Elapsed - pred
	return clamp(jitter(v.Interval + over/3))
}

// Calibration learns how long a step takes from the runs that finished.
type Calibration struct {
	// perStep is kept sorted: insertion is a memmove, and the median is
	// then free however often it is asked for.
	perStep []time.Duration
}

// Observe records a finished run of steps steps that took d since the
// trigger.
func (c *Calibration) Observe(steps int, d time.Duration) {
	if steps <= 0 || d <= 0 {
		return
	}
	v := d / time.Duration(steps)
	i, _ := slices.BinarySearch(c.perStep, v)
	c.perStep = slices.Insert(c.perStep, i, v)
}

// Predict returns the expected duration of a run of steps steps. Before any
// sibling finished it assumes a step takes four poll intervals (20 s with
// the default 5 s; the DocketQA docs' example AI step took 43 s).
func (c *Calibration) Predict(steps int, interval time.Duration) time.Duration {
	if steps <= 0 {
		steps = 1
	}
	per := 4 * interval
	if n := len(c.perStep); n > 0 {
		per = c.perStep[n/2]
	}
	return time.Duration(steps) * per
}
