package poll

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"reflect"
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
	// history is what an earlier invocation saw of the run's blueprint.
	history Forecast
}

func virtualReference(seed uint64, n int) []virtualRun {
	w := referenceWorkload(seed, n)
	runs := make([]virtualRun, len(w))
	for i, steps := range w {
		runs[i] = virtualRun{steps: len(steps), ends: sum(steps)}
	}
	return runs
}

// virtualFamily draws a family's runs for the virtual clock; warm gives
// every run the forecast that one earlier invocation leaves in the history.
func virtualFamily(f family, seed uint64, warm bool) []virtualRun {
	fr := f.draw(seed)
	prev := previous(seed, fr)
	runs := make([]virtualRun, len(fr))
	for i, r := range fr {
		runs[i] = virtualRun{steps: len(r.steps), ends: r.ends}
		if r.blind {
			runs[i].steps = 0
		}
		if warm {
			runs[i].history = Forecast{Median: prev[i], Runs: 1}
		}
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
	// lastFewWait is the longest wait any run had while at most lastFew
	// runs were pending, from the moment they became the last few;
	// overdueWait the longest wait of one of them that had outlived its
	// forecast (see Adaptive).
	lastFewWait time.Duration
}

// simulate replays the poller's scheduling on a virtual clock: requests take
// no time and in-flight requests are not limited, which isolates what the
// strategy decides from what the network does. The strategy sees the views
// poll.Run would build, finished runs calibrate it with their exact
// durations (DocketQA's timestamps), and a Revisiter is asked to revisit
// waits after each finish, as poll.Run does. Timing belongs in
// BenchmarkPolling; this gives deterministic counts for tests.
func simulate(s Strategy, runs []virtualRun, interval, maxInterval time.Duration) virtualOutcome {
	var (
		q       virtualQueue
		calib   Calibration
		pending = len(runs)
		fast    int
		out     = virtualOutcome{lags: make([]time.Duration, len(runs))}
		// fewSince is when the pending runs became the last few.
		fewSince time.Duration = -1
	)
	view := func(e *virtualEntry, now time.Duration) RunView {
		return RunView{StepCount: runs[e.i].steps, Polls: e.polls, Elapsed: now, Pending: pending,
			Total: len(runs), Calib: &calib, History: runs[e.i].history, BackOff: e.bo, Interval: interval, Max: maxInterval}
	}
	setFast := func(e *virtualEntry, on bool) {
		if e.fast != on {
			e.fast = on
			if on {
				fast++
			} else {
				fast--
			}
			out.peakFast = max(out.peakFast, fast)
		}
	}
	schedule := func(e *virtualEntry, now time.Duration) {
		e.delay = s.Next(view(e, now))
		setFast(e, e.polls > 0 && e.delay <= interval)
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
		now, r := e.at, runs[e.i]
		if fewSince >= 0 {
			out.lastFewWait = max(out.lastFewWait, now-max(e.at-e.delay, fewSince))
		}
		out.gets++
		e.polls++
		if now < r.ends {
			schedule(e, now)
			continue
		}
		setFast(e, false)
		pending--
		calib.Observe(r.steps, r.ends)
		out.lags[e.i] = now - r.ends
		last, lastEnd = max(last, now), max(lastEnd, r.ends)
		if pending <= lastFew && fewSince < 0 {
			fewSince = now
		}
		if rv, ok := s.(Revisiter); ok && rv.Revisit(pending, calib.Stats().Runs) {
			for _, w := range slices.Clone(q) {
				if w.polls == 0 {
					continue
				}
				if d := s.Next(view(w, now)); now+d < w.at {
					w.at, w.delay = now+d, d
					setFast(w, d <= interval)
					heap.Fix(&q, w.idx)
				}
			}
		}
	}
	out.verdictLag = last - lastEnd
	return out
}

// virtualEntry is one run waiting in simulate's queue.
type virtualEntry struct {
	at, delay time.Duration
	i, polls  int
	idx       int
	fast      bool
	bo        *backoff.ExponentialBackOff
}

// virtualQueue is simulate's min-heap by poll time.
type virtualQueue []*virtualEntry

func (q virtualQueue) Len() int           { return len(q) }
func (q virtualQueue) Less(i, j int) bool { return q[i].at < q[j].at }
func (q virtualQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i]; q[i].idx = i; q[j].idx = j }
func (q *virtualQueue) Push(x any)        { e := x.(*virtualEntry); e.idx = len(*q); *q = append(*q, e) }
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
	for range 20000 {
		v := randomView(rng)
		got := Adaptive{rnd: rng.Float64}.Next(v)
		lo, hi := v.Interval, max(v.Max, v.Interval)
		if got < lo || got > hi {
			t.Fatalf("Next(%+v) = %v, outside [%v, %v]", v, got, lo, hi)
		}
		// The storm bound: with many runs pending, no run is polled fast,
		// whatever it looks like. See Adaptive.
		floor := time.Duration(minWaitShare * float64(min(time.Duration(stormPrice*float64(v.Pending)*float64(lo)), hi)))
		if v.Polls > 0 && got < floor {
			t.Fatalf("Next(%+v) = %v, below the storm floor %v for %d pending runs", v, got, floor, v.Pending)
		}
		// The safety rule: one of the last few runs, without a history
		// that puts its finish later, waits no longer than blindEvery
		// Intervals; with FailFast no run waits longer than failFastEvery
		// Intervals (unless the storm bound says so).
		if v.Polls > 0 && v.Pending <= lastFew && v.History.Median == 0 {
			if limit := max(lo, min(hi, time.Duration(blindEvery*float64(lo)))); got > limit {
				t.Fatalf("Next(%+v) = %v, above the last-few bound %v", v, got, limit)
			}
		}
		if v.Polls > 0 && v.FailFast {
			if limit := max(lo, min(hi, max(time.Duration(failFastEvery*float64(lo)), time.Duration(stormPrice*float64(v.Pending)*float64(lo))))); got > limit {
				t.Fatalf("Next(%+v) = %v, above the fail-fast bound %v", v, got, limit)
			}
		}
	}
}

// TestAdaptiveFixedWhenIntervalsEqual checks that --poll-interval X
// --max-poll-interval X is fixed polling.
func TestAdaptiveFixedWhenIntervalsEqual(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		v := randomView(rng)
		v.Max = v.Interval
		if got := (Adaptive{rnd: rng.Float64}).Next(v); got != v.Interval {
			t.Fatalf("Next(%+v) = %v, want the fixed %v", v, got, v.Interval)
		}
	}
}

// TestAdaptiveScaleInvariant checks that the strategy has no time constant
// of its own: a view with every time divided by a factor gets the same
// wait divided by that factor.
func TestAdaptiveScaleInvariant(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(8, 9))
	for range 2000 {
		v := randomView(rng)
		if v.Max <= v.Interval || v.Interval < 100*time.Millisecond {
			continue
		}
		const k = 20
		w := v
		w.Interval, w.Max, w.Elapsed = v.Interval/k, v.Max/k, v.Elapsed/k
		w.History.Median = v.History.Median / k
		if v.Calib != nil {
			w.Calib = &Calibration{}
			for _, s := range v.Calib.samples {
				if s.d < time.Millisecond {
					continue // lost to rounding at 1/k
				}
				w.Calib.Observe(s.steps, s.d/k)
			}
			if len(w.Calib.samples) != len(v.Calib.samples) {
				continue
			}
		}
		u := rng.Float64()
		got, want := Adaptive{rnd: func() float64 { return u }}.Next(w), Adaptive{rnd: func() float64 { return u }}.Next(v)/k
		if d := got - want; d < -time.Millisecond/10 || d > time.Millisecond/10 {
			t.Fatalf("Next at 1/%d scale = %v, want %v (Next(%+v) = %v)", k, got, want, v, want*k)
		}
	}
}

// TestAdaptiveJitters checks that many runs started together do not poll
// in lockstep, and that the last few are not jittered.
func TestAdaptiveJitters(t *testing.T) {
	t.Parallel()
	var calib Calibration
	for i := range 10 {
		calib.Observe(4, time.Duration(90+i)*time.Second)
	}
	const lo, hi = 2 * time.Second, 30 * time.Second
	cases := []struct {
		name     string
		v        RunView
		min, max float64 // the spread wanted, max/min of the delays
	}{
		// Without --fail-fast the first looks come after the peers' 5 s
		// and are spread over as long again; with it, from one Interval.
		{name: "first looks", v: RunView{StepCount: 8, Pending: 20, Total: 20, Interval: lo, Max: hi}, min: 1.9, max: 2.001},
		{name: "first looks, fail-fast", v: RunView{StepCount: 8, Pending: 20, Total: 20, FailFast: true, Interval: lo, Max: hi}, min: 2, max: blindEvery * 1.001},
		{name: "many pending, forecast", v: RunView{StepCount: 4, Polls: 5, Elapsed: 92 * time.Second, Pending: 8, Total: 40, Calib: &calib,
			Interval: lo, Max: hi}, min: 1.2, max: (1 + jitterShare) / (1 - jitterShare) * 1.001},
		{name: "many pending, blind", v: RunView{StepCount: 8, Polls: 2, Elapsed: 5 * time.Second, Pending: 20, Total: 20, Interval: lo, Max: hi},
			min: 2, max: 6},
		{name: "the last one", v: RunView{StepCount: 8, Polls: 5, Elapsed: 150 * time.Second, Pending: 1, Total: 25, Calib: &calib,
			Interval: lo, Max: hi}, min: 1, max: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(3, 4))
			var ds []time.Duration
			for range 200 {
				ds = append(ds, Adaptive{rnd: rng.Float64}.Next(tc.v))
			}
			spread := float64(slices.Max(ds)) / float64(slices.Min(ds))
			if spread < tc.min || spread > tc.max {
				t.Errorf("200 delays spread over [%v, %v], a factor %.2f; want %.2f to %.2f", slices.Min(ds), slices.Max(ds), spread, tc.min, tc.max)
			}
		})
	}
}

// TestAdaptiveLastFew checks the safety rule on Next directly: what the
// last few runs wait, by what is known about them.
func TestAdaptiveLastFew(t *testing.T) {
	t.Parallel()
	var calib Calibration
	for i := range 10 {
		calib.Observe(4, time.Duration(90+i)*time.Second)
	}
	const lo, hi = 2 * time.Second, 30 * time.Second
	blind, overdue := time.Duration(blindEvery*float64(lo)), time.Duration(overdueEvery*float64(lo))
	base := RunView{StepCount: 4, Polls: 3, Pending: 2, Total: 20, Interval: lo, Max: hi, Calib: &calib}
	cases := []struct {
		name     string
		edit     func(v *RunView)
		min, max time.Duration
	}{
		{name: "nothing known, lone run", edit: func(v *RunView) { v.Calib, v.Total, v.Pending, v.Elapsed = nil, 1, 1, 20*time.Second }, min: blind, max: blind},
		{name: "forecast far ahead", edit: func(v *RunView) { v.Elapsed = 10 * time.Second }, min: lo, max: blind},
		{name: "at the forecast", edit: func(v *RunView) { v.Elapsed, v.Pending = 94*time.Second, 1 }, min: lo, max: lo},
		{name: "outlived the forecast", edit: func(v *RunView) { v.Elapsed = 20 * time.Minute }, min: overdue, max: overdue},
		{name: "history: long before its window", edit: func(v *RunView) {
			v.Elapsed, v.History = 10*time.Second, Forecast{Median: 10 * time.Minute, Spread: 0.1, Runs: 5}
		}, min: hi, max: hi},
		{name: "history: outlived", edit: func(v *RunView) {
			v.Elapsed, v.History = 20*time.Minute, Forecast{Median: 10 * time.Minute, Spread: 0.1, Runs: 5}
		}, min: overdue, max: overdue},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := base
			tc.edit(&v)
			if got := (Adaptive{rnd: func() float64 { return 0.5 }}).Next(v); got < tc.min || got > tc.max {
				t.Errorf("Next(%+v) = %v, want within [%v, %v]", v, got, tc.min, tc.max)
			}
		})
	}
}

// TestAdaptiveSafetyRule checks on every family, on a virtual clock, that
// once at most lastFew runs are pending none of them waits longer than
// blindEvery Intervals (cold: no history moves a window later), and that
// no run is found later than Max after its end.
func TestAdaptiveSafetyRule(t *testing.T) {
	t.Parallel()
	const lo, hi = 2 * time.Second, 30 * time.Second
	for _, f := range families() {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(max(f.short, 1)) {
				o := simulate(adaptiveWith(rand.New(rand.NewPCG(seed, 1)).Float64), virtualFamily(f, seed, false), lo, hi)
				if limit := time.Duration(blindEvery * float64(lo)); o.lastFewWait > limit+time.Millisecond {
					t.Errorf("seed %d: a run waited %v while at most %d runs were pending, want at most %v", seed, o.lastFewWait, lastFew, limit)
				}
				if m := slices.Max(o.lags); m > hi {
					t.Errorf("seed %d: a run was found %v after its end, later than --max-poll-interval %v", seed, m, hi)
				}
			}
		})
	}
}

// TestAdaptiveManyRuns checks the load of 10,000 runs: few polled fast at
// once, first looks spread over Max, and far fewer requests than fixed
// polling.
func TestAdaptiveManyRuns(t *testing.T) {
	t.Parallel()
	const lo, hi = 2 * time.Second, 30 * time.Second
	runs := virtualReference(1, 10000)
	a := simulate(adaptiveWith(rand.New(rand.NewPCG(1, 1)).Float64), runs, lo, hi)
	f := simulate(Fixed{Every: 5 * time.Second}, runs, 5*time.Second, 5*time.Second)
	if limit := int(math.Ceil(1/(minWaitShare*stormPrice))) + lastFew; a.peakFast > limit {
		t.Errorf("%d runs polled at the shortest interval at once, want at most %d", a.peakFast, limit)
	}
	if a.gets*4 > f.gets {
		t.Errorf("%d requests, more than a quarter of fixed 5 s polling's %d", a.gets, f.gets)
	}
	// First looks are spread evenly up to Max: each tenth holds about a
	// tenth. They start after the peers' 5 s, or after one Interval with
	// --fail-fast.
	for _, failFast := range []bool{false, true} {
		start := time.Duration(blindEvery * float64(lo))
		if failFast {
			start = lo
		}
		rng := rand.New(rand.NewPCG(2, 2))
		var first []time.Duration
		for range 10000 {
			first = append(first, Adaptive{rnd: rng.Float64}.Next(RunView{StepCount: 5, Pending: 10000, Total: 10000, FailFast: failFast, Interval: lo, Max: hi}))
		}
		slices.Sort(first)
		for i := 1; i < 10; i++ {
			want := start + time.Duration(i)*(hi-start)/10
			if got := first[i*1000]; got < want-time.Second || got > want+time.Second {
				t.Errorf("fail-fast %v: first looks: the %d0th percentile is %v, want about %v", failFast, i, got, want)
			}
		}
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
			got.Latest, got.RunSpread = nil, 0
			if !reflect.DeepEqual(got, tc.want) {
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

func judgeFamily(f family, seeds uint64, warm bool) (gate, fixed virtualSummary) {
	workload := func(seed uint64) []virtualRun { return virtualFamily(f, seed, warm) }
	fixed = simulateSeeds(seeds, fixed5, workload, 5*time.Second, 5*time.Second)
	gate = simulateSeeds(seeds, adaptiveWith, workload, 2*time.Second, 30*time.Second)
	return gate, fixed
}

// TestAdaptiveFamilyGoals checks the goals of the polling issue on every
// family, cold and warm, on a virtual clock: counts, not wall time.
// BenchmarkPolling measures the same over HTTP.
func TestAdaptiveFamilyGoals(t *testing.T) {
	t.Parallel()
	for _, f := range families() {
		for _, warm := range []bool{false, true} {
			name := f.name + map[bool]string{false: "/cold", true: "/warm"}[warm]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				g, fx := judgeFamily(f, uint64(max(f.seeds, 200)), warm)
				gets, p50, p95 := g.getsPerRun/fx.getsPerRun, ratio(g.lagP50, fx.lagP50), ratio(g.lagP95, fx.lagP95)
				worst := slices.Max(g.verdictLags)
				t.Logf("%.2f× requests (%.1f vs %.1f per run), lag p50 %.2f× (%v vs %v), p95 %.2f× (%v vs %v), worst %v",
					gets, g.getsPerRun, fx.getsPerRun, p50, g.lagP50, fx.lagP50, p95, g.lagP95, fx.lagP95, worst)
				wantGets, wantP50, wantP95 := goals(f, warm)
				if gets > wantGets {
					t.Errorf("requests %.2f× fixed 5 s, want at most %.2f×", gets, wantGets)
				}
				if p50 > wantP50 || p95 > wantP95 {
					t.Errorf("verdict lag p50 %.2f×, p95 %.2f× fixed 5 s, want at most %.2f× and %.2f×", p50, p95, wantP50, wantP95)
				}
				if !warm && worst > maxVerdictLag {
					t.Errorf("a seed's verdict lag was %v, want at most %v", worst, maxVerdictLag)
				}
			})
		}
	}
}
