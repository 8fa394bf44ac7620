package poll

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/docketqa-gate/docketqa-gate/internal/stats"
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
	// Calib holds what the sibling runs that finished tell.
	Calib *Calibration
	// FailFast is set when the first failure ends polling.
	FailFast bool
	// History is what earlier invocations saw of this run's blueprint;
	// the zero value when nothing is known (see Options.Forecast).
	History Forecast
	// BackOff is the run's own exponential backoff.
	BackOff       *backoff.ExponentialBackOff
	Interval, Max time.Duration
}

// Forecast is what is known about a run's duration before it starts, from
// earlier runs of the same blueprint.
type Forecast struct {
	// Median is the typical duration from the trigger to the final status;
	// 0 means nothing is known.
	Median time.Duration
	// Spread is the spread of log(duration) around Median, like a standard
	// deviation: about two runs in three land within a factor
	// exp(±Spread) of Median.
	Spread float64
	// Runs is how many durations Median and Spread rest on.
	Runs int
}

// Strategy picks how long to wait before polling a run again.
type Strategy interface {
	Next(v RunView) time.Duration
}

// Revisiter is a Strategy that wants the waits already scheduled to be
// decided again when runs finish: Revisit reports, after a run finished,
// whether the poller should ask Next once more for every waiting run and
// move a poll earlier if the new answer is sooner. pending counts the runs
// still going; finished counts the runs that calibrate the forecasts (see
// Calibration), or is 0 when the run that just finished does not (it ended
// in an error), so a strategy can revisit once per new calibration.
type Revisiter interface {
	Revisit(pending, finished int) bool
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

// Tuning of Adaptive, measured on the families of BenchmarkPolling. None is
// a time: every wait derives from Interval, Max or what was observed, so
// dividing both intervals by a factor and running DocketQA that much faster
// gives the same decisions.
const (
	// lastFew is the number of pending runs from which on each of them may
	// well decide when the verdict is known.
	lastFew = 5
	// blindEvery is the wait, in Intervals, for one of the last few runs
	// when nothing forecasts it: 5 s at the default Interval of 2 s, the
	// rhythm of the peers, so a lone run is never found later than by them.
	blindEvery = 2.5
	// overdueEvery is the wait, in Intervals, for one of the last few runs
	// once it has outlived its forecast (3 s at the default): it is the
	// likeliest to decide the verdict, and it is alone or nearly so.
	overdueEvery = 1.5
	// failFastEvery is the longest wait, in Intervals, with FailFast
	// (3 s at the default), whatever the forecast: any failure decides the
	// verdict, so every run may be the one.
	failFastEvery = 1.5
	// windowZ is where the forecast window starts: this many spreads
	// below the median (the 5th percentile).
	windowZ = 1.65
	// overdueTail is where a run counts as having outlived its forecast:
	// the longest of the runs is longer than that with this chance.
	overdueTail = 0.05
	// blindShare is the mean longest wait, as a share of the elapsed time,
	// of a run with many siblings pending when nothing forecasts it yet.
	// scoutShare spreads it (±60 %) so some runs look early and find the
	// first finishes, which then forecast the others.
	blindShare = 4.0
	scoutShare = 0.6
	// maxFinishChance bounds every wait chosen on the siblings' forecast:
	// none is so long that the run more likely than not ends during it.
	// Runs that end together (a burst of short runs) then cannot all sit
	// on long waits while the gate still counts them pending, which would
	// leave the last of them seen late.
	maxFinishChance = 0.5
	// lagPrice is what one request is worth, in expected verdict lag per
	// Interval, with n of total runs pending: lagPrice * n³ / total. With
	// many pending a run is unlikely to be the last, so it waits long; the
	// last one is polled every Interval, which costs little next to what
	// its siblings saved.
	lagPrice = 0.1
	// soloPrice / total^1.5 is the least price: an invocation of one or two
	// runs, with no siblings to save requests on, does not spend them on
	// polling every Interval.
	soloPrice = 0.6
	// stormPrice bounds the load: with n runs pending, no run waits less
	// than stormPrice*n Intervals (or Max) after its first look.
	stormPrice = 0.04
	// rateShare is the share of the expected time until only the last few
	// are pending, at the siblings' recent finish rate, that a run may wait.
	rateShare = 1.0
	// minSiblings is how many siblings must have finished before they
	// forecast the others: one alone says little, and a pair of runs is
	// better polled like the peers than on a guess.
	minSiblings = 2
	// minSpread is the least spread a forecast is given: durations that
	// repeated exactly once need not repeat exactly again.
	minSpread = 0.1
	// siblingSpread is the spread of one sibling's duration as a forecast
	// of another run's, before enough siblings finished to measure it.
	siblingSpread = 0.6
	// priorWeight is how many finished siblings siblingSpread counts for.
	priorWeight = 4
	// surprise is the share of runs that do not follow the forecast at all
	// (stuck in a queue, failing early, a blueprint unlike the others).
	// They are modelled with wideSpread, which keeps an overdue run with
	// many siblings pending from being polled as if about to finish.
	surprise   = 0.1
	wideSpread = 1.0
	// jitterShare spreads delays by ±15 % so runs started together do not
	// poll in lockstep; the last few runs are not jittered.
	jitterShare = 0.15
	// firstLooksPerInterval bounds the first looks of many runs: they are
	// spread so that about this many fall in one Interval.
	firstLooksPerInterval = 25
)

// Adaptive spends polls where they bring the verdict sooner.
//
// The verdict is known when the last run is seen finished, so only the runs
// that may be last need watching closely. Each run gets a forecast of its
// duration: from its blueprint's history (History) if there is one, else,
// once two siblings have finished, from their durations by DocketQA's own
// timestamps (per step when the blueprints declare steps). Each wait is the
// longest one whose expected cost stays within a budget: the chance that the
// run finishes during the wait times the wait must not exceed a price that
// falls steeply as fewer runs are pending. So a run far from its forecast
// finish, or one of many pending, waits up to Max, and the last run, once
// inside its forecast window, is polled every Interval. A wait chosen on the
// siblings' forecast is also never one during which the run more likely
// than not ends (maxFinishChance), so runs that end in a burst are not all
// seen late.
//
// The safety rule, which a wrong forecast cannot break: once at most
// lastFew (5) runs are pending, and the poller revisits their waits at that
// moment, none of them waits longer than blindEvery (2.5) Intervals, 5 s at
// the default, the peers' fixed rhythm, except before the forecast window
// that history shows; one that has outlived its forecast is polled every
// overdueEvery (1.5) Intervals, so a bad forecast costs requests, not lag.
// Before that, no run waits longer than its share of the time the siblings'
// recent finish rate needs to leave only the last few, so a burst of
// finishes cannot leave the last runs on long waits. A run nothing forecasts
// waits blindEvery Intervals if it is one of the last few, else about
// blindShare of its elapsed time, so some runs scout for the first finishes.
// With FailFast any failure decides the verdict, so no run waits longer than
// failFastEvery (1.5) Intervals.
//
// One or two runs without history are polled exactly like fixed 5 s polling
// (at the default Interval): with nothing known of when a run ends, a
// schedule that makes no more requests than a fixed rhythm cannot see the
// end sooner, in median or in the tail, so a tie is the best there is.
//
// The load is bounded too: no wait after the first look is shorter than
// about stormPrice * Interval * pending runs (or Max; jitter takes up to
// 15 % off), so the runs polled faster than Max together make at most about
// 1/stormPrice = 25 requests per Interval,
// however many runs there are; first looks are spread likewise.
//
// Delays stay within [Interval, Max]; with Interval equal to Max the
// strategy is fixed polling.
type Adaptive struct {
	// rnd returns a uniform number in [0, 1) for the jitter
	// (default math/rand/v2); tests fix it.
	rnd func() float64
}

// Revisit implements Revisiter: when the siblings first forecast the others,
// waits chosen blind are cut to what the forecast allows, and when the
// pending runs become the last few, waits chosen while there were many are
// cut to what the safety rule allows.
func (Adaptive) Revisit(pending, finished int) bool {
	return pending <= lastFew || finished == minSiblings
}

// Next implements Strategy.
func (a Adaptive) Next(v RunView) time.Duration {
	lo, hi := v.Interval, max(v.Max, v.Interval)
	if lo >= hi {
		return lo
	}
	d := a.next(v, lo, hi)
	if v.FailFast && v.Polls > 0 {
		// Any failure decides the verdict, so every run may be the one.
		storm := time.Duration(stormPrice * float64(max(v.Pending, 1)) * float64(lo))
		d = min(d, max(storm, time.Duration(failFastEvery*float64(lo))))
	}
	return min(max(d, lo), hi)
}

func (a Adaptive) next(v RunView, lo, hi time.Duration) time.Duration {
	n := max(v.Pending, 1)
	few := n <= lastFew
	blind := min(hi, time.Duration(blindEvery*float64(lo)))
	// floor is the storm bound: with n runs pending, no run is polled
	// more often than every stormPrice*n Intervals.
	floor := min(hi, time.Duration(stormPrice*float64(n)*float64(lo)))
	f, ok := a.forecast(v)
	if v.Polls == 0 {
		if h := v.History; h.Median > 0 && !v.FailFast {
			// History says when the run will be worth a look; only a
			// wrong history makes this first look late, by at most Max.
			return a.jitter(max(f.windowStart(), blind), lo, hi)
		}
		if few {
			return blind
		}
		// With --fail-fast a first look soon after the trigger catches runs
		// that die at once (bad starting URL, unknown blueprint). Without
		// it, such a run decides nothing until its siblings end, so the
		// first looks come no sooner than the peers' (blind), spread over
		// as long again. Many runs spread their first looks further.
		start, end := lo, blind
		if !v.FailFast {
			start, end = blind, 2*blind
		}
		end = min(hi, max(end, time.Duration(float64(n)/firstLooksPerInterval*float64(lo))))
		return start + time.Duration(a.random()*float64(max(end-start, 0)))
	}
	var d time.Duration
	switch {
	case !ok && few:
		return blind
	case !ok:
		d = max(time.Duration(blindShare*(1-scoutShare+2*scoutShare*a.random())*float64(v.Elapsed)), floor)
	case few && f.overdue(v.Elapsed, v.Total):
		return min(hi, time.Duration(overdueEvery*float64(lo)))
	default:
		total := float64(max(v.Total, n))
		budget := lo.Seconds() * max(lagPrice*math.Pow(float64(n), 3)/total, soloPrice/math.Pow(total, 1.5))
		chance := maxFinishChance
		if v.History.Median > 0 {
			// A blueprint's own history is a tight forecast: the
			// budget alone decides.
			chance = 1
		}
		d = f.longestWait(v.Elapsed, lo, hi, budget, chance)
		if few {
			// One of the last few is polled at least as often as a run
			// nothing forecasts, except before the forecast window that
			// its blueprint's history shows.
			if v.History.Median > 0 {
				return min(max(d, lo), max(f.windowStart()-v.Elapsed, blind))
			}
			return min(max(d, lo), blind)
		}
		// Runs that finish together (a queue draining, a burst of short
		// runs) must not leave the last few on long waits: no run waits
		// longer than half the time the siblings' recent finish rate takes
		// to leave only the last few, or the blind rhythm if that is
		// longer.
		if gap := v.Calib.Stats().recentGap(v.Elapsed); gap > 0 {
			d = min(d, max(blind, time.Duration(rateShare*float64(n-lastFew)*float64(gap))))
		}
		d = max(d, floor)
	}
	return a.jitter(d, lo, hi)
}

// forecast returns the finish-time model of the run v describes, and false
// when nothing forecasts it yet.
func (a Adaptive) forecast(v RunView) (finish, bool) {
	if h := v.History; h.Median > 0 && h.Runs > 0 {
		// A median of r durations is uncertain by about 1.25 spreads over
		// sqrt(r).
		s := max(h.Spread, minSpread)
		return finish{median: h.Median, spread: s * math.Sqrt(1+1.56/float64(h.Runs))}, true
	}
	var st CalibStats
	if v.Calib != nil {
		st = v.Calib.Stats()
	}
	if st.Runs < minSiblings {
		return finish{}, false
	}
	weigh := func(spread float64, runs int) float64 {
		return (priorWeight*siblingSpread + float64(runs)*spread) / (priorWeight + float64(runs))
	}
	if v.StepCount <= 0 || st.StepRuns == 0 || st.StepTime <= 0 {
		spread := weigh(st.RunSpread, st.Runs)
		return finish{median: st.RunTime, spread: max(minSpread, spread*math.Sqrt(1+1.56/float64(st.Runs)))}, true
	}
	// The forecast is uncertain twice: the run's own steps vary, and the
	// step time is only an estimate from few siblings.
	spread := weigh(st.Spread, st.StepRuns)
	k := float64(v.StepCount)
	doubt := 1.25 * spread / math.Sqrt(float64(st.Steps))
	return finish{median: time.Duration(k * float64(st.StepTime)), spread: max(minSpread, math.Hypot(spread/math.Sqrt(k), doubt))}, true
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

// windowStart is the elapsed time before which the run is unlikely to end.
func (f finish) windowStart() time.Duration {
	return time.Duration(float64(f.median) * math.Exp(-windowZ*f.spread))
}

// overdue reports whether a run still going at t has outlived the forecast,
// as the longest of total runs would: the last of 200 runs is expected
// further out than the only one.
func (f finish) overdue(t time.Duration, total int) bool {
	z := math.Sqrt2 * math.Erfcinv(2*overdueTail/float64(max(total, 1)))
	return float64(t) > float64(f.median)*math.Exp(z*f.spread)
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
func (f finish) longestWait(t, lo, hi time.Duration, budget, maxChance float64) time.Duration {
	alive := f.survival(t)
	cost := func(d time.Duration) float64 {
		p := 1.0
		if alive > 0 {
			p = 1 - f.survival(t+d)/alive
		}
		if p > maxChance {
			return math.Inf(1)
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
	// RunTime is the median run duration over all Runs, and RunSpread the
	// robust spread of log(duration) around it.
	RunTime   time.Duration
	RunSpread float64
	// Latest are the latest finish times observed, up to recentFinishes,
	// earliest first.
	Latest []time.Duration
}

// recentFinishes is how many of the latest finishes measure the finish rate.
const recentFinishes = 4

// recentGap is the mean time between finishes lately, as seen at elapsed
// t: the time since the earliest of the latest finishes, divided by how
// many they are. A pause since the last finish lengthens it. 0 if too few
// runs finished.
func (st CalibStats) recentGap(t time.Duration) time.Duration {
	if len(st.Latest) < 2 {
		return 0
	}
	return max(0, t-st.Latest[0]) / time.Duration(len(st.Latest))
}

// exactBelow is the sample size up to which statistics are recomputed on
// every observation.
const exactBelow = 64

// Observe records a finished run of steps steps (0 if unknown) that took d
// since the trigger, best as DocketQA's own timestamps tell it, which do not
// depend on when the gate happened to look.
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
// A nil Calibration has observed nothing.
func (c *Calibration) Stats() CalibStats {
	if c == nil {
		return CalibStats{}
	}
	return c.stats
}

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
	st := CalibStats{Runs: len(runs), StepRuns: len(perStep), Steps: steps}
	if len(runs) > 0 {
		m := stats.Median(runs)
		st.RunTime = time.Duration(m)
		for _, r := range runs[max(0, len(runs)-recentFinishes):] {
			st.Latest = append(st.Latest, time.Duration(r))
		}
		st.RunSpread = stats.LogSpread(runs, m)
	}
	if len(perStep) > 0 {
		m := stats.Median(perStep)
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
		st.Spread = 1.4826 * stats.Median(dev)
	}
	c.stats = st
}
