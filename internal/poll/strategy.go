package poll

import (
	"math"
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

// DefaultStepTime is what Adaptive assumes one blueprint step takes until a
// sibling run has finished and calibrated it. It is on the short side of
// what DocketQA's AI steps take (the docs' example step took 43 s), because
// guessing short costs a few early polls while guessing long costs lag.
const DefaultStepTime = 20 * time.Second

// Tuning of Adaptive, measured on the reference workload of
// BenchmarkPolling.
const (
	// lagPrice is what one request is worth, in seconds of expected
	// verdict lag per second of Interval and per pending run. Raising it
	// saves requests and costs lag.
	lagPrice = 0.04
	// stepSpread is the prior relative spread of a run's duration per
	// square root of its steps (the sum of k steps of similar length
	// spreads like sqrt(k)); siblings replace it as they finish.
	stepSpread = 0.6
	// priorWeight is how many finished siblings the prior spread counts for.
	priorWeight = 4
	// priorDoubt is the relative uncertainty of StepTime before any
	// sibling finished.
	priorDoubt = 0.5
	// surprise is the share of runs that do not follow the step model at
	// all (stuck in a queue, failing early, a blueprint unlike the others).
	// They are modelled with wideSpread, which keeps an overdue run from
	// being polled as if it were about to finish for ever.
	surprise   = 0.1
	wideSpread = 1.0
	// unknownSteps is the step count assumed for a run whose blueprint
	// declares none, before any sibling has finished.
	unknownSteps = 8
	// jitterShare spreads delays by ±15 % so runs started together do not
	// poll in lockstep.
	jitterShare = 0.15
)

// Adaptive spends polls where they shorten the pipeline.
//
// A run's finish time is forecast from its step count: steps times the
// median step time of the sibling runs that have finished (StepTime before
// any has), with a spread that narrows as the run has more steps and as more
// siblings have finished. Each wait is then the longest one whose expected
// cost stays within a budget: the chance that the run finishes during the
// wait, times the wait (the lag it would add), must not exceed lagPrice *
// Interval * pending runs. So a run far from its forecast finish waits up to
// Max, a run inside its forecast window is polled more often, and the last
// few runs, one of which decides when the verdict is known, are polled at
// Interval.
//
// The budget also bounds the load: since that chance is at most 1, no wait
// is shorter than about 0.85 * lagPrice * Interval * pending runs (or Max),
// so the runs polled faster than Max together never make more than about
// 30 requests per Interval, however many runs there are.
//
// Delays stay within [Interval, Max], with jitter.
type Adaptive struct {
	// StepTime is the step time assumed before a sibling run finished
	// (default DefaultStepTime).
	StepTime time.Duration
	// rnd returns a uniform number in [0, 1) for the jitter
	// (default math/rand/v2); tests fix it.
	rnd func() float64
}

// Next implements Strategy.
func (a Adaptive) Next(v RunView) time.Duration {
	lo, hi := v.Interval, max(v.Max, v.Interval)
	// budget is the expected lag, in seconds, one request must save.
	budget := lagPrice * float64(max(v.Pending, 1)) * lo.Seconds()
	if v.Polls == 0 {
		// A first look soon after the trigger catches runs that die at once
		// (bad starting URL, unknown blueprint), which matters with
		// --fail-fast. Many runs spread their first looks over up to Max
		// rather than all asking at once.
		spread := min(hi, max(time.Duration(budget*float64(time.Second)), time.Duration(float64(lo)*(1+jitterShare))))
		return lo + time.Duration(a.random()*float64(spread-lo))
	}
	return a.jitter(a.forecast(v).longestWait(v.Elapsed, lo, hi, budget), lo, hi)
}

// forecast returns the finish-time model of the run v describes.
func (a Adaptive) forecast(v RunView) finish {
	stepTime := a.StepTime
	if stepTime <= 0 {
		stepTime = DefaultStepTime
	}
	var st CalibStats
	if v.Calib != nil {
		st = v.Calib.Stats()
	}
	if v.StepCount <= 0 {
		median := time.Duration(unknownSteps) * stepTime
		if st.Runs > 0 {
			median = st.RunTime
		}
		return finish{median: median, spread: wideSpread}
	}
	// The forecast is uncertain twice: the run's own steps vary, and the
	// step time is only an estimate, from the prior or from few siblings.
	step, spread, doubt := stepTime, stepSpread, priorDoubt
	if st.StepRuns > 0 && st.StepTime > 0 {
		step = st.StepTime
		spread = (priorWeight*stepSpread + float64(st.StepRuns)*st.Spread) / (priorWeight + float64(st.StepRuns))
		// A median's standard error is about 1.25 times the mean's.
		doubt = 1.25 * spread / math.Sqrt(float64(st.Steps))
	}
	k := float64(v.StepCount)
	return finish{median: time.Duration(k * float64(step)), spread: math.Hypot(spread/math.Sqrt(k), doubt)}
}

// jitter moves d by up to ±jitterShare, within [lo, hi].
func (a Adaptive) jitter(d, lo, hi time.Duration) time.Duration {
	d = time.Duration(float64(d) * (1 + jitterShare*(2*a.random()-1)))
	return min(max(d, lo), hi)
}

func (a Adaptive) random() float64 {
	if a.rnd == nil {
		return rand.Float64()
	}
	return a.rnd()
}

// finish models when a run ends: a log-normal around median with the given
// relative spread, mixed with a wide one for runs that defy the forecast.
type finish struct {
	median time.Duration
	spread float64
}

// survival is the chance that the run is still going at elapsed t.
func (f finish) survival(t time.Duration) float64 {
	if t <= 0 || f.median <= 0 {
		return 1
	}
	z := math.Log(float64(t) / float64(f.median))
	upper := func(s float64) float64 { return 0.5 * math.Erfc(z/(s*math.Sqrt2)) }
	return (1-surprise)*upper(max(f.spread, 1e-3)) + surprise*upper(wideSpread)
}

// longestWait returns the longest wait d in [lo, hi] after elapsed t whose
// expected lag, P(finish within d | running at t) * d, stays within budget
// seconds; lo if even the shortest exceeds it. The expected lag grows with
// d, so a bisection on a log scale finds it.
func (f finish) longestWait(t, lo, hi time.Duration, budget float64) time.Duration {
	alive := f.survival(t)
	cost := func(d time.Duration) float64 {
		p := 1.0
		if alive > 0 {
			p = 1 - f.survival(t+d)/alive
		}
		return p * d.Seconds()
	}
	if cost(hi) <= budget {
		return hi
	}
	if cost(lo) >= budget {
		return lo
	}
	a, b := math.Log(float64(lo)), math.Log(float64(hi))
	for range 12 {
		if m := (a + b) / 2; cost(time.Duration(math.Exp(m))) <= budget {
			a = m
		} else {
			b = m
		}
	}
	return time.Duration(math.Exp(a))
}

// Calibration learns from the runs that finished how long a step takes and
// how much run durations spread. It keeps one small sample per run and
// recomputes its statistics only when the sample has grown by an eighth
// (or on every run while it is small), so the work stays O(n log n) for n
// runs and a statistic asked for at every poll is free.
type Calibration struct {
	samples []sample
	stats   CalibStats
	// statsAt is len(samples) when stats were computed.
	statsAt int
}

type sample struct {
	steps int
	d     time.Duration
}

// CalibStats are what the finished runs tell about the others.
type CalibStats struct {
	// Runs is the number of finished runs observed; StepRuns those of them
	// with a known step count.
	Runs, StepRuns int
	// Steps is the total step count of the StepRuns.
	Steps int
	// StepTime is the median duration per step over StepRuns; 0 if none.
	StepTime time.Duration
	// Spread is the robust spread of log(duration per step) scaled by the
	// square root of the steps: a run of k steps lands within a factor
	// exp(±Spread/sqrt(k)) of k*StepTime about two times in three.
	Spread float64
	// RunTime is the median run duration over all Runs.
	RunTime time.Duration
}

// exactBelow is the sample size up to which statistics are recomputed on
// every observation.
const exactBelow = 64

// Observe records a finished run of steps steps (0 if unknown) that took d
// since the trigger.
func (c *Calibration) Observe(steps int, d time.Duration) {
	if d <= 0 {
		return
	}
	c.samples = append(c.samples, sample{steps: max(steps, 0), d: d})
	if n := len(c.samples); n <= exactBelow || n >= c.statsAt+c.statsAt/8 {
		c.recompute()
	}
}

// Stats returns the statistics of the runs observed so far (possibly
// missing the latest eighth of them, see Calibration).
func (c *Calibration) Stats() CalibStats { return c.stats }

func (c *Calibration) recompute() {
	c.statsAt = len(c.samples)
	runs := make([]float64, 0, len(c.samples))
	perStep := make([]float64, 0, len(c.samples))
	steps := 0
	for _, s := range c.samples {
		runs = append(runs, float64(s.d))
		if s.steps > 0 {
			perStep = append(perStep, float64(s.d)/float64(s.steps))
			steps += s.steps
		}
	}
	st := CalibStats{Runs: len(runs), StepRuns: len(perStep), Steps: steps, RunTime: time.Duration(median(runs))}
	if len(perStep) > 0 {
		m := median(perStep)
		st.StepTime = time.Duration(m)
		// Median absolute deviation in log space, scaled by sqrt(steps)
		// and by 1.4826 to estimate a standard deviation: robust against
		// the run that failed at its first step.
		dev := perStep[:0]
		for _, s := range c.samples {
			if s.steps > 0 {
				dev = append(dev, math.Sqrt(float64(s.steps))*math.Abs(math.Log(float64(s.d)/float64(s.steps)/m)))
			}
		}
		st.Spread = 1.4826 * median(dev)
	}
	c.stats = st
}

// median sorts xs and returns its median (0 for none).
func median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	slices.Sort(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
