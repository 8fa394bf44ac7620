package poll

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/config"
	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

// benchKey is the simulator's API key: obviously fake.
const benchKey = "bench-fake-key-0000"

// Environment knobs of BenchmarkPolling. The gate's own polling takes its
// settings from the gate's configuration, so DOCKETQA_POLL_INTERVAL,
// DOCKETQA_MAX_POLL_INTERVAL and DOCKETQA_MAX_PARALLEL compare other
// defaults.
const (
	envSeeds    = "DOCKETQA_BENCH_SEEDS"    // seeds of the reference workload (default 20; 2 with -short)
	envScale    = "DOCKETQA_BENCH_SCALE"    // time runs this many times faster (default 100)
	envParallel = "DOCKETQA_BENCH_PARALLEL" // seeds run at once (default 4)
)

// benchSetup is one benchmark invocation's settings, in unscaled time.
type benchSetup struct {
	seeds, parallel int
	scale           int64
	// stallLimit is the longest pause of the process that still counts as
	// noise: the gate's shortest wait, scaled. Pauses of a few
	// milliseconds are common on a shared machine; pauses of seconds
	// happen too.
	stallLimit  time.Duration
	gate        benchCase
	maxParallel int
}

// benchCase is one polling strategy to measure.
type benchCase struct {
	name          string
	strategy      func(scaled func(time.Duration) time.Duration) Strategy
	interval, max time.Duration
}

// benchTally is what one strategy measured over all seeds, unscaled.
type benchTally struct {
	gets, runs       int64
	peak             int64
	verdict, detects []time.Duration
}

func loadBenchSetup(b *testing.B) benchSetup {
	b.Helper()
	intEnv := func(name string, def int) int {
		v := os.Getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("%s=%q: want a positive integer", name, v)
		}
		return n
	}
	seeds := refSeeds
	if testing.Short() {
		seeds = 2
	}
	// The gate's defaults, read the way the gate reads them, so the
	// benchmark follows a change of default.
	pass := map[string]bool{"DOCKETQA_POLL_INTERVAL": true, "DOCKETQA_MAX_POLL_INTERVAL": true, "DOCKETQA_MAX_PARALLEL": true}
	cfg, _, err := config.Load([]string{"--demo"}, func(k string) string {
		if pass[k] {
			return os.Getenv(k)
		}
		return ""
	})
	if err != nil {
		b.Fatalf("read the gate's polling settings: %v", err)
	}
	scale := int64(intEnv(envScale, 100))
	return benchSetup{
		seeds:      intEnv(envSeeds, seeds),
		parallel:   intEnv(envParallel, 4),
		scale:      scale,
		stallLimit: cfg.PollInterval / time.Duration(scale),
		gate: benchCase{
			name: fmt.Sprintf("docketqa-gate (adaptive, %s..%s)", cfg.PollInterval, cfg.MaxPollInterval),
			strategy: func(scaled func(time.Duration) time.Duration) Strategy {
				return Adaptive{}
			},
			interval: cfg.PollInterval, max: cfg.MaxPollInterval,
		},
		maxParallel: cfg.MaxParallel,
	}
}

func fixedCase(every time.Duration) benchCase {
	return benchCase{
		name:     fmt.Sprintf("fixed %s (peers)", every),
		strategy: func(scaled func(time.Duration) time.Duration) Strategy { return Fixed{Every: scaled(every)} },
		interval: every, max: every,
	}
}

// BenchmarkPolling measures the gate's polling against fixed 5 s and 10 s
// polling on the reference workload (see referenceWorkload), side by side:
// every seed's workload is polled by every strategy at the same time, each
// against its own simulator, so all share the machine's noise. Polls go
// through the real client over loopback HTTP rather than straight into the
// simulator's handler, so the lags include what a poll really costs
// (connections, JSON decoding, --max-parallel queueing). Time is scaled
// (the simulated runs, the poll settings and the strategy's step-time
// prior alike) and reported unscaled; at the default 1/100 the gate's
// shortest wait is 20 ms, far above timer jitter.
//
// It prints a Markdown table; the short mode for CI is
//
//	go test -run '^$' -bench BenchmarkPolling -benchtime 1x -short ./internal/poll
//
// which runs two seeds and judges nothing.
func BenchmarkPolling(b *testing.B) {
	setup := loadBenchSetup(b)
	cases := []benchCase{setup.gate, fixedCase(5 * time.Second), fixedCase(10 * time.Second)}
	tallies := make([]benchTally, len(cases))
	var reruns atomic.Int64
	for b.Loop() {
		var (
			mu   sync.Mutex
			wg   sync.WaitGroup
			sem  = make(chan struct{}, setup.parallel)
			errs = make(chan error, setup.seeds)
		)
		for seed := range uint64(setup.seeds) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// At most parallel seeds share the machine at once; a
				// seed's strategies always run together.
				sem <- struct{}{}
				defer func() { <-sem }()
				for attempt := 0; ; attempt++ {
					ms, stall, err := pollSeed(b.Context(), setup, cases, seed)
					if err != nil {
						errs <- fmt.Errorf("seed %d: %w", seed, err)
						return
					}
					if stall > setup.stallLimit && attempt < maxStallRetries {
						// The machine stopped this process for longer than
						// the gate's shortest wait: the lags would measure
						// the machine, not the polling. Measure again.
						reruns.Add(1)
						continue
					}
					mu.Lock()
					for i, m := range ms {
						t := &tallies[i]
						t.gets += m.gets
						t.runs += m.runs
						t.peak = max(t.peak, m.peak)
						t.verdict = append(t.verdict, m.verdict...)
						t.detects = append(t.detects, m.detects...)
					}
					mu.Unlock()
					return
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Error(err)
		}
		if b.Failed() {
			b.FailNow()
		}
	}
	printPollingTable(os.Stdout, setup, cases, tallies, int(reruns.Load()))
	gate, fixed := tallies[0], tallies[1]
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(getsPerRun(gate), "GETs/run")
	b.ReportMetric(getsPerRun(gate)/getsPerRun(fixed), "GETs-vs-fixed5s")
	b.ReportMetric(ratio(percentile(gate.verdict, 50), percentile(fixed.verdict, 50)), "p50-vs-fixed5s")
	b.ReportMetric(ratio(percentile(gate.verdict, 95), percentile(fixed.verdict, 95)), "p95-vs-fixed5s")
}

// maxStallRetries bounds how often a seed is measured again after a stall.
const maxStallRetries = 3

// pollSeed polls one seed's workload with every case at once and reports
// the longest the process was kept from running meanwhile, as seen by a
// ticker: on a shared machine, a stall of seconds happens, and it would
// show up as verdict lag of every strategy.
func pollSeed(ctx context.Context, setup benchSetup, cases []benchCase, seed uint64) ([]workloadMeasure, time.Duration, error) {
	stop := make(chan struct{})
	stall := make(chan time.Duration)
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		last, worst := time.Now(), time.Duration(0)
		for {
			select {
			case <-stop:
				stall <- worst
				return
			case now := <-tick.C:
				worst, last = max(worst, now.Sub(last)), now
			}
		}
	}()
	ms := make([]workloadMeasure, len(cases))
	errs := make([]error, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Go(func() {
			ms[i], errs[i] = pollWorkload(ctx, setup, c, seed)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("%s: %w", c.name, errs[i])
			}
		})
	}
	wg.Wait()
	close(stop)
	return ms, <-stall, errors.Join(errs...)
}

func getsPerRun(t benchTally) float64 { return float64(t.gets) / float64(max(t.runs, 1)) }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(max(b, 1)) }

// printPollingTable writes the results as the README's Markdown table.
func printPollingTable(w io.Writer, setup benchSetup, cases []benchCase, tallies []benchTally, reruns int) {
	seconds := func(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
	fixed := getsPerRun(tallies[1])
	fmt.Fprintf(w, "\nReference workload: %d runs of 3..12 steps (log-normal, median 25 s, sigma 0.5), %d seeds, "+
		"time scaled 1/%d, at most %d requests in flight; %s, %s/%s.\n\n",
		refRuns, setup.seeds, setup.scale, setup.maxParallel, time.Now().UTC().Format(time.DateOnly), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintln(w, "| Polling | GET requests per run | vs fixed 5 s | Verdict lag p50 | Verdict lag p95 | Detection lag p50 | Peak requests in flight |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for i, c := range cases {
		t := tallies[i]
		fmt.Fprintf(w, "| %s | %.1f | %.2f× | %s | %s | %s | %d |\n", c.name, getsPerRun(t), getsPerRun(t)/fixed,
			seconds(percentile(t.verdict, 50)), seconds(percentile(t.verdict, 95)), seconds(percentile(t.detects, 50)), t.peak)
	}
	fmt.Fprintf(w, "| physical limit (one GET per run at its end) | 1.0 | %.2f× | 0.00 s | 0.00 s | 0.00 s | 1 |\n\n", 1/fixed)
	gate, f5 := tallies[0], tallies[1]
	verdict := func(ok bool) string { return map[bool]string{true: "met", false: "MISSED"}[ok] }
	g, p50, p95 := getsPerRun(gate)/fixed, ratio(percentile(gate.verdict, 50), percentile(f5.verdict, 50)),
		ratio(percentile(gate.verdict, 95), percentile(f5.verdict, 95))
	fmt.Fprintf(w, "Goals vs fixed 5 s: GETs %.2f× (≤ 0.50: %s), verdict lag p50 %.2f× (≤ 1.00: %s), p95 %.2f× (≤ 1.50: %s).\n",
		g, verdict(g <= 0.5), p50, verdict(p50 <= 1), p95, verdict(p95 <= 1.5))
	fmt.Fprintf(w, "Seeds measured again because the machine stalled the benchmark for over %s: %d.\n\n", setup.stallLimit, reruns)
}

// workloadMeasure is what polling one seed's workload measured, unscaled.
type workloadMeasure struct {
	gets, runs, peak int64
	verdict          []time.Duration
	detects          []time.Duration
}

// pollWorkload triggers one seed's reference workload on a fresh simulator
// and polls it with c, as the gate does: trigger, then poll.Run.
func pollWorkload(ctx context.Context, setup benchSetup, c benchCase, seed uint64) (workloadMeasure, error) {
	scaled := func(d time.Duration) time.Duration { return d / time.Duration(setup.scale) }
	work := referenceWorkload(seed, refRuns)
	bps := make([]sim.Blueprint, len(work))
	ids := make([]int64, len(work))
	for i, steps := range work {
		ids[i] = int64(i + 1)
		bps[i] = sim.Blueprint{ID: ids[i], StepDurations: make([]time.Duration, len(steps))}
		for j, s := range steps {
			bps[i].StepDurations[j] = scaled(s)
		}
	}
	srv := sim.New(sim.Options{APIKey: benchKey, Blueprints: bps})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	// Idle connections are kept for every request in flight, so the
	// benchmark measures polling rather than TCP set-up (and does not run
	// out of ephemeral ports).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = setup.maxParallel
	defer tr.CloseIdleConnections()
	client, err := docketqa.New(ts.URL, benchKey, docketqa.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		return workloadMeasure{}, err
	}
	grp, err := client.Trigger(ctx, ids)
	if err != nil {
		return workloadMeasure{}, fmt.Errorf("trigger: %w", err)
	}
	targets := make([]Target, len(grp.Runs))
	for i, r := range grp.Runs {
		if r.StepCount != len(work[r.BlueprintID-1]) {
			return workloadMeasure{}, fmt.Errorf("run %d: trigger answer declares %d steps, want %d", r.ID, r.StepCount, len(work[r.BlueprintID-1]))
		}
		targets[i] = Target{RunID: r.ID, BlueprintID: r.BlueprintID, Title: r.Title, StepCount: r.StepCount}
	}
	// OnFinish runs on the poller's scheduler goroutine only.
	seen := make(map[int64]time.Time, len(targets))
	out := Run(ctx, client, targets, Options{
		Interval:    scaled(c.interval),
		MaxInterval: scaled(c.max),
		MaxParallel: setup.maxParallel,
		Deadline:    time.Now().Add(scaled(time.Hour)),
		Strategy:    c.strategy(scaled),
		OnFinish:    func(r result.Run) { seen[r.RunID] = time.Now() },
	})
	returned := time.Now()
	if out.Stop != Finished {
		return workloadMeasure{}, fmt.Errorf("polling stopped early (%s): %v", out.Stop, out.Err)
	}
	for _, r := range out.Runs {
		if r.Verdict != result.Passed {
			return workloadMeasure{}, fmt.Errorf("run %d: verdict %s (%s), want passed", r.RunID, r.Verdict, r.Reason)
		}
	}
	unscale := func(d time.Duration) time.Duration { return d * time.Duration(setup.scale) }
	m := workloadMeasure{runs: int64(len(targets))}
	var lastEnd time.Time
	for _, info := range srv.Runs() {
		m.detects = append(m.detects, unscale(seen[info.RunID].Sub(info.FinishedAt)))
		if info.FinishedAt.After(lastEnd) {
			lastEnd = info.FinishedAt
		}
	}
	m.verdict = []time.Duration{unscale(returned.Sub(lastEnd))}
	st := srv.Stats()
	m.gets, m.peak = st.Gets, st.PeakInFlight
	return m, nil
}

// BenchmarkPollingScale polls 10,000 short runs (1,000 with -short;
// DOCKETQA_BENCH_RUNS to change) through the real client against an
// in-process simulator, and reports the peak number of goroutines and the
// peak heap in use while polling. Both include the simulator's: its
// connection goroutines, and its scripts and runs.
//
//	go test -run '^$' -bench BenchmarkPollingScale -benchtime 1x ./internal/poll
func BenchmarkPollingScale(b *testing.B) {
	runs := 10000
	if testing.Short() {
		runs = 1000
	}
	if v := os.Getenv("DOCKETQA_BENCH_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("DOCKETQA_BENCH_RUNS=%q: want a positive integer", v)
		}
		runs = n
	}
	const maxParallel = 8
	for b.Loop() {
		m := measureScale(b, runs, maxParallel, time.Second, 20*time.Millisecond, 300*time.Millisecond)
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(float64(m.goroutines), "peak-goroutines")
		b.ReportMetric(float64(m.baseline), "goroutines-before")
		b.ReportMetric(float64(m.heap)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(m.gets)/float64(runs), "GETs/run")
	}
}

// scaleMeasure is what measureScale saw.
type scaleMeasure struct {
	baseline, goroutines int
	heap                 uint64
	gets                 int64
}

// measureScale triggers and polls runs blueprints of 3..12 steps lasting
// runTime to twice that, and samples goroutines and heap while polling.
// Every run must pass.
func measureScale(tb testing.TB, runs, maxParallel int, runTime, interval, maxInterval time.Duration) scaleMeasure {
	tb.Helper()
	srv := sim.New(sim.Options{APIKey: benchKey, Default: func(id int64) sim.Blueprint {
		return sim.Blueprint{Steps: 3 + int(id%10), Duration: runTime + time.Duration(id%100)*runTime/100}
	}})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = maxParallel
	defer tr.CloseIdleConnections()
	client, err := docketqa.New(ts.URL, benchKey, docketqa.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]int64, runs)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	ctx := context.Background()
	grp, err := client.Trigger(ctx, ids)
	if err != nil {
		tb.Fatalf("trigger %d runs: %v", runs, err)
	}
	targets := make([]Target, len(grp.Runs))
	for i, r := range grp.Runs {
		targets[i] = Target{RunID: r.ID, BlueprintID: r.BlueprintID, Title: r.Title, StepCount: r.StepCount}
	}
	grp = nil
	runtime.GC()
	m := scaleMeasure{baseline: runtime.NumGoroutine()}
	var peakG atomic.Int64
	var peakHeap atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for n := 0; ; n++ {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			peakG.Store(max(peakG.Load(), int64(runtime.NumGoroutine())))
			if n%50 == 0 { // ReadMemStats stops the world; sample it less often
				runtime.ReadMemStats(&ms)
				peakHeap.Store(max(peakHeap.Load(), ms.HeapInuse))
			}
		}
	}()
	out := Run(ctx, client, targets, Options{Interval: interval, MaxInterval: maxInterval, MaxParallel: maxParallel,
		Deadline: time.Now().Add(time.Minute), Strategy: Adaptive{}})
	close(done)
	<-sampled
	if out.Stop != Finished {
		tb.Fatalf("polling stopped early (%s): %v", out.Stop, out.Err)
	}
	if len(out.Runs) != runs {
		tb.Fatalf("%d results for %d runs", len(out.Runs), runs)
	}
	for _, r := range out.Runs {
		if r.Verdict != result.Passed {
			tb.Fatalf("run %d: verdict %s (%s), want passed", r.RunID, r.Verdict, r.Reason)
		}
	}
	m.goroutines = int(peakG.Load())
	m.heap = peakHeap.Load()
	m.gets = srv.Stats().Gets
	return m
}

// TestRunGoroutinesFlat checks that polling many runs does not cost a
// goroutine per run: the poller's goroutines are its scheduler and
// MaxParallel workers, and the simulator and client add a few per
// connection, whatever the number of runs.
func TestRunGoroutinesFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("polls 2,000 runs for about a second")
	}
	const maxParallel = 4
	m := measureScale(t, 2000, maxParallel, 200*time.Millisecond, 5*time.Millisecond, 50*time.Millisecond)
	// Per connection: a server goroutine and the transport's reader and
	// writer; plus the scheduler, the workers and the sampler.
	if limit := m.baseline + maxParallel*(1+3) + 4; m.goroutines > limit {
		t.Errorf("peak of %d goroutines polling 2,000 runs, want at most %d (%d before polling)", m.goroutines, limit, m.baseline)
	}
	if m.gets < 2000 {
		t.Errorf("%d GETs for 2,000 runs", m.gets)
	}
}

// BenchmarkAdaptiveNext measures one decision of the gate's strategy, the
// CPU it adds to every poll.
func BenchmarkAdaptiveNext(b *testing.B) {
	var calib Calibration
	for i, steps := range referenceWorkload(1, 100) {
		calib.Observe(len(steps), sum(steps)+time.Duration(i)*time.Millisecond)
	}
	v := RunView{StepCount: 8, Polls: 3, Elapsed: 190 * time.Second, Pending: 10, Total: 20, Calib: &calib,
		Interval: 2 * time.Second, Max: 30 * time.Second}
	var d time.Duration
	for b.Loop() {
		d += Adaptive{}.Next(v)
	}
	if d <= 0 {
		b.Fatal("no delay")
	}
}
