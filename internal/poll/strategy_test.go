package poll

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// The reference workload of the polling benchmark: N runs start together;
// run i has k_i steps, k_i uniform in 3..12, declared at trigger time; each
// step lasts a log-normal time with median 25 s and sigma 0.5; a run lasts
// the sum of its steps and passes.
const (
	refRuns       = 20
	refSeeds      = 20
	refMinSteps   = 3
	refMaxSteps   = 12
	refStepMedian = 25 * time.Second
	refStepSigma  = 0.5
)

// referenceWorkload draws n runs of the reference workload from seed: the
// step durations of each run, unscaled.
func referenceWorkload(seed uint64, n int) [][]time.Duration {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	runs := make([][]time.Duration, n)
	for i := range runs {
		runs[i] = make([]time.Duration, refMinSteps+rng.IntN(refMaxSteps-refMinSteps+1))
		for j := range runs[i] {
			runs[i][j] = time.Duration(float64(refStepMedian) * math.Exp(refStepSigma*rng.NormFloat64()))
		}
	}
	return runs
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

// virtualRun is one run in a simulation on a virtual clock.
type virtualRun struct {
	// steps is the declared step count (0: unknown).
	steps int
	// ends is when the run finishes, since the trigger.
	ends time.Duration
}

func virtualReference(seed uint64, n int) []virtualRun {
	w := referenceWorkload(seed, n)
	runs := make([]virtualRun, len(w))
	for i, steps := range w {
		runs[i] = virtualRun{steps: len(steps), ends: sum(steps)}
	}
	return runs
}

// virtualOutcome is what a simulation on a virtual clock measured.
type virtualOutcome struct {
	gets int
	// verdictLag is from the last run's end to the last detection.
	verdictLag time.Duration
	// lags are the per-run detection lags.
	lags []time.Duration
	// peakFast is the most runs waiting Interval or less at once, first
	// looks aside.
	peakFast int
}

// simulate replays the poller's scheduling on a virtual clock: requests take
// no time and in-flight requests are not limited, which isolates what the
// strategy decides from what the network does. The strategy sees the views
// poll.Run would build. Timing belongs in BenchmarkPolling; this gives
// deterministic counts for tests.
func simulate(s Strategy, runs []virtualRun, interval, maxInterval time.Duration) virtualOutcome {
	var (
		q       virtualQueue
		calib   Calibration
		pending = len(runs)
		fast    int
		out     = virtualOutcome{lags: make([]time.Duration, len(runs))}
	)
	schedule := func(e *virtualEntry, now time.Duration) {
		e.delay = s.Next(RunView{StepCount: runs[e.i].steps, Polls: e.polls, Elapsed: now, Pending: pending,
			Total: len(runs), Calib: &calib, BackOff: e.bo, Interval: interval, Max: maxInterval})
		if e.polls > 0 && e.delay <= interval {
			fast++
			out.peakFast = max(out.peakFast, fast)
		}
		e.at = now + e.delay
		heap.Push(&q, e)
	}
	for i := range runs {
		bo := backoff.NewExponentialBackOff(backoff.WithInitialInterval(interval), backoff.WithMaxInterval(maxInterval),
			backoff.WithMultiplier(1.5), backoff.WithRandomizationFactor(0.25), backoff.WithMaxElapsedTime(0))
		schedule(&virtualEntry{i: i, bo: bo}, 0)
	}
	var last, lastEnd time.Duration
	for q.Len() > 0 {
		e := heap.Pop(&q).(*virtualEntry)
		if e.polls > 0 && e.delay <= interval {
			fast--
		}
		now, r := e.at, runs[e.i]
		out.gets++
		e.polls++
		if now < r.ends {
			schedule(e, now)
			continue
		}
		pending--
		calib.Observe(r.steps, now)
		out.lags[e.i] = now - r.ends
		last, lastEnd = max(last, now), max(lastEnd, r.ends)
	}
	out.verdictLag = last - lastEnd
	return out
}

// virtualEntry is one run waiting in simulate's queue.
type virtualEntry struct {
	at, delay time.Duration
	i, polls  int
	bo        *backoff.ExponentialBackOff
}

// virtualQueue is simulate's min-heap by poll time.
type virtualQueue []*virtualEntry

func (q virtualQueue) Len() int           { return len(q) }
func (q virtualQueue) Less(i, j int) bool { return q[i].at < q[j].at }
func (q virtualQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *virtualQueue) Push(x any)        { *q = append(*q, x.(*virtualEntry)) }
func (q *virtualQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// percentile returns the p-th percentile (0..100) of ds, interpolating
// between closest ranks. It sorts ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	pos := p / 100 * float64(len(ds)-1)
	i := int(pos)
	if i+1 >= len(ds) {
		return ds[len(ds)-1]
	}
	return ds[i] + time.Duration((pos-float64(i))*float64(ds[i+1]-ds[i]))
}

// virtualSummary aggregates simulate over several seeds.
type virtualSummary struct {
	getsPerRun           float64
	lagP50, lagP95       time.Duration
	maxDetect            time.Duration
	peakFast             int
	verdictLags, detects []time.Duration
}

// simulateSeeds runs simulate for seeds 0..seeds-1. mk builds the strategy
// (with a jitter source seeded like the workload, so results repeat) and
// workload builds the runs.
func simulateSeeds(seeds uint64, mk func(rnd func() float64) Strategy, workload func(seed uint64) []virtualRun,
	interval, maxInterval time.Duration) virtualSummary {
	var s virtualSummary
	gets, runs := 0, 0
	for seed := range seeds {
		w := workload(seed)
		o := simulate(mk(rand.New(rand.NewPCG(seed, 1)).Float64), w, interval, maxInterval)
		gets += o.gets
		runs += len(w)
		s.verdictLags = append(s.verdictLags, o.verdictLag)
		s.detects = append(s.detects, o.lags...)
		s.peakFast = max(s.peakFast, o.peakFast)
	}
	s.getsPerRun = float64(gets) / float64(runs)
	s.lagP50, s.lagP95 = percentile(s.verdictLags, 50), percentile(s.verdictLags, 95)
	s.maxDetect = slices.Max(s.detects)
	return s
}

// minWaitShare is the least share of the storm floor a wait may fall to:
// the jitter's -15 %, and a little for the bisection's precision.
const minWaitShare = 0.84

func adaptiveWith(rnd func() float64) Strategy { return Adaptive{rnd: rnd} }
func fixed5(func() float64) Strategy           { return Fixed{Every: 5 * time.Second} }

// randomView draws a view the poller could build, edge cases included:
// unknown and absurd step counts, Max below Interval, no calibration,
// calibration from odd runs, elapsed times from zero to days.
func randomView(rng *rand.Rand) RunView {
	logUniform := func(lo, hi time.Duration) time.Duration {
		return time.Duration(math.Exp(math.Log(float64(lo)) + rng.Float64()*math.Log(float64(hi)/float64(lo))))
	}
	total := 1 + rng.IntN(20000)
	v := RunView{
		StepCount: rng.IntN(60) - 5,
		Polls:     rng.IntN(50),
		Pending:   1 + rng.IntN(total),
		Total:     total,
		Interval:  logUniform(time.Millisecond, 20*time.Second),
	}
	if rng.IntN(10) > 0 {
		v.Elapsed = logUniform(time.Millisecond, 72*time.Hour)
	}
	if rng.IntN(5) == 0 {
		v.Max = v.Interval / 2 // the poller never does this, but a caller might
	} else {
		v.Max = v.Interval + logUniform(time.Millisecond, 10*time.Minute)
	}
	if rng.IntN(5) > 0 {
		v.Calib = &Calibration{}
		for range rng.IntN(40) {
			v.Calib.Observe(rng.IntN(40)-2, logUniform(time.Nanosecond, 10*time.Hour))
		}
	}
	return v
}

func TestAdaptiveStaysWithinBounds(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	for range 5000 {
		v := randomView(rng)
		got := Adaptive{rnd: rng.Float64}.Next(v)
		lo, hi := v.Interval, max(v.Max, v.Interval)
		if got < lo || got > hi {
			t.Fatalf("Next(%+v) = %v, outside [%v, %v]", v, got, lo, hi)
		}
		// The storm bound: with many runs pending, no run is polled fast,
		// whatever it looks like. See Adaptive.
		budget := time.Duration(lagPrice * float64(v.Pending) * float64(lo))
		if floor := time.Duration(minWaitShare * float64(min(budget, hi))); v.Polls > 0 && got < floor {
			t.Fatalf("Next(%+v) = %v, below the storm floor %v for %d pending runs", v, got, floor, v.Pending)
		}
	}
}

func TestAdaptiveJitters(t *testing.T) {
	t.Parallel()
	var calib Calibration
	calib.Observe(4, 100*time.Second)
	cases := []struct {
		name string
		v    RunView
	}{
		{name: "first look", v: RunView{StepCount: 8, Pending: 20, Total: 20, Calib: &calib, Interval: 2 * time.Second, Max: 30 * time.Second}},
		{name: "far from the end", v: RunView{StepCount: 12, Polls: 1, Elapsed: 2 * time.Second, Pending: 20, Total: 20, Calib: &calib,
			Interval: 2 * time.Second, Max: 30 * time.Second}},
		{name: "near the end", v: RunView{StepCount: 8, Polls: 5, Elapsed: 190 * time.Second, Pending: 10, Total: 20, Calib: &calib,
			Interval: 2 * time.Second, Max: 30 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(3, 4))
			seen := map[time.Duration]bool{}
			for range 200 {
				seen[Adaptive{rnd: rng.Float64}.Next(tc.v)] = true
			}
			ds := make([]time.Duration, 0, len(seen))
			for d := range seen {
				ds = append(ds, d)
			}
			lo, hi := slices.Min(ds), slices.Max(ds)
			if len(ds) < 50 || float64(hi-lo) < 0.1*float64(hi) {
				t.Errorf("200 delays gave %d distinct values in [%v, %v]; want jitter of about ±%.0f%%", len(ds), lo, hi, 100*jitterShare)
			}
			if float64(hi) > (1+jitterShare)/(1-jitterShare)*float64(lo)*1.001 {
				t.Errorf("delays spread over [%v, %v], more than the jitter of ±%.0f%% explains", lo, hi, 100*jitterShare)
			}
		})
	}
}

func TestCalibration(t *testing.T) {
	t.Parallel()
	type obs struct {
		steps int
		d     time.Duration
	}
	sec := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	cases := []struct {
		name string
		obs  []obs
		want CalibStats
	}{
		{name: "nothing yet", want: CalibStats{}},
		{name: "one run", obs: []obs{{4, 100 * time.Second}},
			want: CalibStats{Runs: 1, StepRuns: 1, Steps: 4, StepTime: 25 * time.Second, RunTime: 100 * time.Second}},
		{name: "odd count takes the middle", obs: []obs{{1, 30 * time.Second}, {2, 20 * time.Second}, {4, 10 * time.Second}},
			want: CalibStats{Runs: 3, StepRuns: 3, Steps: 7, StepTime: 10 * time.Second, RunTime: 20 * time.Second, Spread: 1.4826 * math.Log(3)}},
		{name: "even count averages the middle two", obs: []obs{{1, 10 * time.Second}, {1, 20 * time.Second}, {1, 30 * time.Second}, {1, 40 * time.Second}},
			want: CalibStats{Runs: 4, StepRuns: 4, Steps: 4, StepTime: 25 * time.Second, RunTime: 25 * time.Second, Spread: 1.4826 * (math.Log(25.0/20) + math.Log(40.0/25)) / 2}},
		{name: "unknown steps only count as runs", obs: []obs{{0, 60 * time.Second}, {-1, 80 * time.Second}},
			want: CalibStats{Runs: 2, RunTime: 70 * time.Second}},
		{name: "nonsense durations are ignored", obs: []obs{{3, 0}, {3, -time.Second}},
			want: CalibStats{}},
		{name: "a run failing at its first step moves the median by one rank only",
			obs: []obs{{4, sec(100)}, {4, sec(104)}, {4, sec(96)}, {4, sec(108)}, {4, sec(92)}, {12, sec(3)}},
			want: CalibStats{Runs: 6, StepRuns: 6, Steps: 32, StepTime: sec(24.5), RunTime: sec(98),
				Spread: 1.4826 * 2 * (math.Log(26/24.5) + math.Log(24.5/23)) / 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c Calibration
			for _, o := range tc.obs {
				c.Observe(o.steps, o.d)
			}
			got := c.Stats()
			if math.Abs(got.Spread-tc.want.Spread) > 1e-9 {
				t.Errorf("Spread = %v, want %v", got.Spread, tc.want.Spread)
			}
			got.Spread = tc.want.Spread
			if d := got.StepTime - tc.want.StepTime; d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("StepTime = %v, want %v", got.StepTime, tc.want.StepTime)
			}
			got.StepTime = tc.want.StepTime
			if got != tc.want {
				t.Errorf("Stats() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCalibrationManyRuns(t *testing.T) {
	t.Parallel()
	// Statistics are refreshed when the sample grows by an eighth, so after
	// n runs they cover at least 7/8 of them.
	var c Calibration
	const n = 10000
	for i := range n {
		c.Observe(5, time.Duration(100+i%3)*time.Second)
		if st := c.Stats(); st.Runs*8 < (i+1)*7 {
			t.Fatalf("after %d runs the statistics cover only %d", i+1, st.Runs)
		}
	}
	if st := c.Stats(); st.StepTime != 20200*time.Millisecond || st.RunTime != 101*time.Second {
		t.Errorf("Stats() = %+v, want a step time of 20.2s and a run time of 1m41s", st)
	}
}

func TestAdaptiveForecast(t *testing.T) {
	t.Parallel()
	var calib Calibration
	calib.Observe(4, 120*time.Second)
	cases := []struct {
		name       string
		a          Adaptive
		steps      int
		calib      *Calibration
		wantMedian time.Duration
	}{
		{name: "prior", steps: 6, wantMedian: 6 * DefaultStepTime},
		{name: "prior set by the caller", a: Adaptive{StepTime: time.Second}, steps: 6, wantMedian: 6 * time.Second},
		{name: "calibrated by a sibling", steps: 6, calib: &calib, wantMedian: 180 * time.Second},
		{name: "unknown steps, calibrated", steps: 0, calib: &calib, wantMedian: 120 * time.Second},
		{name: "unknown steps, prior", steps: 0, wantMedian: unknownSteps * DefaultStepTime},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := tc.a.forecast(RunView{StepCount: tc.steps, Calib: tc.calib})
			if f.median != tc.wantMedian {
				t.Errorf("forecast median = %v, want %v", f.median, tc.wantMedian)
			}
			if f.spread <= 0 || f.spread > wideSpread {
				t.Errorf("forecast spread = %v, want within (0, %v]", f.spread, wideSpread)
			}
		})
	}
	// More steps, relatively less spread; more siblings, less doubt.
	few, many := Adaptive{}.forecast(RunView{StepCount: 3}), Adaptive{}.forecast(RunView{StepCount: 12})
	if many.spread >= few.spread {
		t.Errorf("spread for 12 steps %v not below the spread for 3 steps %v", many.spread, few.spread)
	}
	if calibrated := (Adaptive{}).forecast(RunView{StepCount: 12, Calib: &calib}); calibrated.spread >= many.spread {
		t.Errorf("spread after a sibling finished %v not below the prior's %v", calibrated.spread, many.spread)
	}
}

// TestAdaptiveReferenceGoals checks the goals of the polling issue on the
// reference workload, on a virtual clock, so the result is counts, not wall
// time: fewer than half of fixed 5 s polling's requests, a verdict no later
// at the median and no more than 1.5 times later at p95. BenchmarkPolling
// measures the same over HTTP.
func TestAdaptiveReferenceGoals(t *testing.T) {
	t.Parallel()
	workload := func(seed uint64) []virtualRun { return virtualReference(seed, refRuns) }
	fixed := simulateSeeds(refSeeds, fixed5, workload, 5*time.Second, 5*time.Second)
	adaptive := simulateSeeds(refSeeds, adaptiveWith, workload, 2*time.Second, 30*time.Second)
	plain := simulateSeeds(refSeeds, func(func() float64) Strategy { return Backoff{} }, workload, 2*time.Second, 30*time.Second)
	t.Logf("fixed 5s: %.1f GETs/run, verdict lag p50 %v p95 %v", fixed.getsPerRun, fixed.lagP50, fixed.lagP95)
	t.Logf("adaptive: %.1f GETs/run, verdict lag p50 %v p95 %v", adaptive.getsPerRun, adaptive.lagP50, adaptive.lagP95)
	t.Logf("backoff:  %.1f GETs/run, verdict lag p50 %v p95 %v", plain.getsPerRun, plain.lagP50, plain.lagP95)
	if adaptive.getsPerRun > 0.5*fixed.getsPerRun {
		t.Errorf("adaptive makes %.1f GETs per run, more than half of fixed 5s polling's %.1f", adaptive.getsPerRun, fixed.getsPerRun)
	}
	if adaptive.lagP50 > fixed.lagP50 {
		t.Errorf("adaptive verdict lag p50 %v, later than fixed 5s polling's %v", adaptive.lagP50, fixed.lagP50)
	}
	if float64(adaptive.lagP95) > 1.5*float64(fixed.lagP95) {
		t.Errorf("adaptive verdict lag p95 %v, more than 1.5 times fixed 5s polling's %v", adaptive.lagP95, fixed.lagP95)
	}
	// Plain backoff saves requests but pays for it in lag, which is why
	// Adaptive exists.
	if plain.lagP50 <= adaptive.lagP50 {
		t.Errorf("plain backoff verdict lag p50 %v not above adaptive's %v", plain.lagP50, adaptive.lagP50)
	}
}

// TestAdaptiveStaysSane runs workloads the step model does not fit, on a
// virtual clock.
func TestAdaptiveStaysSane(t *testing.T) {
	t.Parallel()
	const interval, maxInterval = 2 * time.Second, 30 * time.Second
	cases := []struct {
		name     string
		seeds    uint64
		workload func(seed uint64) []virtualRun
		// check returns a complaint, or "".
		check func(adaptive, fixed virtualSummary) string
	}{
		{
			name: "one run", seeds: refSeeds,
			workload: func(seed uint64) []virtualRun { return virtualReference(seed, 1) },
			check: func(a, f virtualSummary) string {
				if a.lagP50 > f.lagP50 || a.lagP95 > f.lagP95 {
					return "the only run, which decides the verdict, is found later than by fixed 5s polling"
				}
				return ""
			},
		},
		{
			name: "10,000 runs", seeds: 1,
			workload: func(seed uint64) []virtualRun { return virtualReference(seed, 10000) },
			check: func(a, f virtualSummary) string {
				if float64(a.peakFast) > 1/(minWaitShare*lagPrice) {
					return "too many runs polled at the shortest interval at once"
				}
				if a.getsPerRun > f.getsPerRun/3 {
					return "more than a third of fixed 5s polling's requests"
				}
				return ""
			},
		},
		{
			name: "no step counts", seeds: refSeeds,
			workload: func(seed uint64) []virtualRun {
				runs := virtualReference(seed, refRuns)
				for i := range runs {
					runs[i].steps = 0
				}
				return runs
			},
			check: func(a, f virtualSummary) string {
				if a.getsPerRun > 0.5*f.getsPerRun || float64(a.lagP95) > 1.5*float64(f.lagP95) {
					return "blind polling is worse than the goals allow"
				}
				return ""
			},
		},
		{
			name: "runs failing at their first step", seeds: refSeeds,
			workload: func(seed uint64) []virtualRun {
				runs := virtualReference(seed, refRuns)
				for i := range 3 {
					runs[i] = virtualRun{steps: refMaxSteps, ends: refStepMedian}
				}
				return runs
			},
			check: func(a, f virtualSummary) string {
				if a.getsPerRun > 0.6*f.getsPerRun || a.lagP50 > f.lagP50 {
					return "early failures confuse the forecast"
				}
				return ""
			},
		},
		{
			name: "step counts that predict nothing", seeds: refSeeds,
			workload: func(seed uint64) []virtualRun {
				runs := virtualReference(seed, refRuns)
				rng := rand.New(rand.NewPCG(seed, 99))
				for i := range runs {
					runs[i].steps = refMinSteps + rng.IntN(refMaxSteps-refMinSteps+1)
				}
				return runs
			},
			check: func(a, f virtualSummary) string {
				if a.getsPerRun > 0.6*f.getsPerRun || float64(a.lagP95) > 1.5*float64(f.lagP95) {
					return "a wrong forecast costs more than it should"
				}
				return ""
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := simulateSeeds(tc.seeds, fixed5, tc.workload, 5*time.Second, 5*time.Second)
			a := simulateSeeds(tc.seeds, adaptiveWith, tc.workload, interval, maxInterval)
			// Every run is found within the longest wait of its end.
			if a.maxDetect > maxInterval {
				t.Errorf("a run was found %v after its end, later than --max-poll-interval %v", a.maxDetect, maxInterval)
			}
			if msg := tc.check(a, f); msg != "" {
				t.Errorf("%s: adaptive %.1f GETs/run, verdict lag p50 %v p95 %v, peak %d fast runs; fixed 5s %.1f GETs/run, p50 %v p95 %v",
					msg, a.getsPerRun, a.lagP50, a.lagP95, a.peakFast, f.getsPerRun, f.lagP50, f.lagP95)
			}
		})
	}
}
