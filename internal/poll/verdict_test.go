package poll

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// scriptAPI answers GetRun with fn; call is the 1-based count of calls for
// the run, total the count over all runs.
type scriptAPI struct {
	mu    sync.Mutex
	calls map[int64]int
	total int
	fn    func(ctx context.Context, id int64, call, total int) (*docketqa.TestRun, error)
}

func newScript(fn func(ctx context.Context, id int64, call, total int) (*docketqa.TestRun, error)) *scriptAPI {
	return &scriptAPI{calls: map[int64]int{}, fn: fn}
}

func (s *scriptAPI) GetRun(ctx context.Context, id int64) (*docketqa.TestRun, error) {
	s.mu.Lock()
	s.calls[id]++
	s.total++
	call, total := s.calls[id], s.total
	s.mu.Unlock()
	return s.fn(ctx, id, call, total)
}

func (s *scriptAPI) callsFor(id int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[id]
}

// answerFor is the answer of the fake API for run id: the identity the
// targets of targetsFor expect.
func answerFor(id int64, status string) *docketqa.TestRun {
	return &docketqa.TestRun{ID: id, BlueprintID: id * 10, Status: untrusted.Text(status)}
}

// virtualOptions polls one run at a time on clock c. The deadline, a day
// of virtual time, is only a safety net: a test that reaches it has failed.
func virtualOptions(c *vclock) Options {
	return Options{Interval: time.Second, MaxInterval: 4 * time.Second, MaxParallel: 1, Strategy: Fixed{},
		Clock: c, OnDelay: func(_ Target, d time.Duration, _ string) { c.advance(d) },
		Deadline: c.after(24 * time.Hour)}
}

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   Options
		want Options
	}{
		{name: "zero", in: Options{},
			want: Options{Interval: 5 * time.Second, MaxInterval: 30 * time.Second, MaxParallel: 8, NotFoundGrace: 30 * time.Second,
				MaxBadAnswers: 5, FinalFetchTimeout: 15 * time.Second}},
		{name: "negative", in: Options{Interval: -1, MaxInterval: -1, MaxParallel: -1, NotFoundGrace: -1, MaxBadAnswers: -1, FinalFetchTimeout: -1},
			want: Options{Interval: 5 * time.Second, MaxInterval: 30 * time.Second, MaxParallel: 8, NotFoundGrace: 30 * time.Second,
				MaxBadAnswers: 5, FinalFetchTimeout: 15 * time.Second}},
		{name: "explicit values kept", in: Options{Interval: 2 * time.Second, MaxInterval: 9 * time.Second, MaxParallel: 3, NotFoundGrace: time.Second,
			MaxBadAnswers: 2, FinalFetchTimeout: time.Second},
			want: Options{Interval: 2 * time.Second, MaxInterval: 9 * time.Second, MaxParallel: 3, NotFoundGrace: time.Second,
				MaxBadAnswers: 2, FinalFetchTimeout: time.Second}},
		{name: "max equal to interval is kept", in: Options{Interval: 10 * time.Second, MaxInterval: 10 * time.Second},
			want: Options{Interval: 10 * time.Second, MaxInterval: 10 * time.Second, MaxParallel: 8, NotFoundGrace: 30 * time.Second,
				MaxBadAnswers: 5, FinalFetchTimeout: 15 * time.Second}},
		{name: "max below a long interval becomes the interval", in: Options{Interval: time.Minute, MaxInterval: time.Second},
			want: Options{Interval: time.Minute, MaxInterval: time.Minute, MaxParallel: 8, NotFoundGrace: 30 * time.Second,
				MaxBadAnswers: 5, FinalFetchTimeout: 15 * time.Second}},
		{name: "max below a short interval becomes 30s", in: Options{Interval: time.Second, MaxInterval: time.Millisecond},
			want: Options{Interval: time.Second, MaxInterval: 30 * time.Second, MaxParallel: 8, NotFoundGrace: 30 * time.Second,
				MaxBadAnswers: 5, FinalFetchTimeout: 15 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.in.withDefaults()
			if got.Interval != tc.want.Interval || got.MaxInterval != tc.want.MaxInterval || got.MaxParallel != tc.want.MaxParallel ||
				got.NotFoundGrace != tc.want.NotFoundGrace || got.MaxBadAnswers != tc.want.MaxBadAnswers || got.FinalFetchTimeout != tc.want.FinalFetchTimeout {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if _, ok := got.Clock.(SystemClock); !ok {
				t.Error("no clock")
			}
			if _, ok := got.Strategy.(Adaptive); !ok {
				t.Errorf("strategy %T, want Adaptive", got.Strategy)
			}
		})
	}
	// A strategy given is kept.
	if got := (Options{Strategy: Fixed{Every: time.Second}}).withDefaults(); got.Strategy != (Fixed{Every: time.Second}) {
		t.Errorf("strategy %#v, want the one given", got.Strategy)
	}
}

// TestNotFoundGrace checks that a 404 is retried for exactly the grace,
// counted from the first 404 of a streak, by the virtual clock: each call
// happens 10s after the one before.
func TestNotFoundGrace(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		script []string // "404" or a status word, by call; the last repeats
		want   result.Verdict
		calls  int
	}{
		{name: "gives up when the grace is reached", script: []string{"404"}, want: result.Error, calls: 3},
		{name: "found just before the grace", script: []string{"404", "404", "passed"}, want: result.Passed, calls: 3},
		{name: "a good answer restarts the grace", script: []string{"404", "running", "404"}, want: result.Error, calls: 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newVClock()
			api := newScript(func(_ context.Context, id int64, call, _ int) (*docketqa.TestRun, error) {
				c.set(time.Duration(call) * 10 * time.Second)
				if w := tc.script[min(call, len(tc.script))-1]; w != "404" {
					return answerFor(id, w), nil
				}
				return nil, e404
			})
			opt := virtualOptions(c)
			opt.Interval, opt.MaxInterval = time.Nanosecond, time.Nanosecond
			opt.NotFoundGrace = 20 * time.Second
			out := Run(context.Background(), api, targetsFor(1), opt)
			r := out.Runs[0]
			if r.Verdict != tc.want || api.callsFor(1) != tc.calls || out.Stop != Finished {
				t.Errorf("verdict %s (%s) after %d calls, stop %q; want %s after %d", r.Verdict, r.Reason, api.callsFor(1), out.Stop, tc.want, tc.calls)
			}
			if tc.want == result.Error && !strings.Contains(r.Reason, "HTTP 404 for 20s") {
				t.Errorf("reason %q", r.Reason)
			}
		})
	}
}

// TestIdentityChecked checks that an answer about another run or blueprint
// is refused like an unreadable answer, while an absent id is accepted.
func TestIdentityChecked(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		answer func(call int) *docketqa.TestRun
		want   result.Verdict
		reason string
		calls  int
	}{
		{name: "absent ids are no disagreement", answer: func(int) *docketqa.TestRun { return &docketqa.TestRun{Status: "passed"} },
			want: result.Passed, calls: 1},
		{name: "another run", answer: func(int) *docketqa.TestRun { return &docketqa.TestRun{ID: 7, BlueprintID: 10, Status: "failed"} },
			want: result.Error, reason: "2 unreadable answers: GET /test_run/1: unexpected answer: answer is for test run 7, not 1", calls: 2},
		{name: "another blueprint", answer: func(int) *docketqa.TestRun { return &docketqa.TestRun{ID: 1, BlueprintID: 99, Status: "failed"} },
			want: result.Error, reason: "names blueprint 99", calls: 2},
		{name: "another run, then the right one", answer: func(call int) *docketqa.TestRun {
			if call == 1 {
				return &docketqa.TestRun{ID: 7, BlueprintID: 10, Status: "failed"}
			}
			return answerFor(1, "passed")
		}, want: result.Passed, calls: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newVClock()
			api := newScript(func(_ context.Context, _ int64, call, _ int) (*docketqa.TestRun, error) { return tc.answer(call), nil })
			opt := virtualOptions(c)
			opt.MaxBadAnswers = 2
			out := Run(context.Background(), api, targetsFor(1), opt)
			r := out.Runs[0]
			if r.Verdict != tc.want || !strings.Contains(r.Reason, tc.reason) || api.callsFor(1) != tc.calls {
				t.Errorf("verdict %s (%q) after %d calls, want %s containing %q after %d", r.Verdict, r.Reason, api.callsFor(1), tc.want, tc.reason, tc.calls)
			}
			if r.RunID != 1 || r.BlueprintID != 10 {
				t.Errorf("identity changed: %+v", r)
			}
		})
	}
}

func TestFailFastStop(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		failFast    bool
		nonBlocking bool
		runs        int
		wantStop    Stop
		want2       result.Verdict
		notAwaited2 bool
	}{
		{name: "a failure stops the others", failFast: true, runs: 2, wantStop: FailFast, want2: result.Error, notAwaited2: true},
		{name: "the last run failing leaves nothing to stop", failFast: true, runs: 1, wantStop: Finished},
		{name: "a non-blocking failure does not stop", failFast: true, nonBlocking: true, runs: 2, wantStop: Finished, want2: result.Passed},
		{name: "without fail-fast", runs: 2, wantStop: Finished, want2: result.Passed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newVClock()
			// Run 1 fails at its first answer; run 2 runs twice, then passes.
			api := newScript(func(_ context.Context, id int64, call, _ int) (*docketqa.TestRun, error) {
				if id == 1 {
					return answerFor(1, "failed"), nil
				}
				if call < 3 {
					return answerFor(2, "running"), nil
				}
				return answerFor(2, "passed"), nil
			})
			opt := virtualOptions(c)
			opt.FailFast = tc.failFast
			ids := []int64{1, 2}[:tc.runs]
			targets := targetsFor(ids...)
			targets[0].NonBlocking = tc.nonBlocking
			out := Run(context.Background(), api, targets, opt)
			if out.Stop != tc.wantStop {
				t.Errorf("stop %q, want %q", out.Stop, tc.wantStop)
			}
			if r := out.Runs[0]; r.Verdict != result.Failed || r.NotAwaited {
				t.Errorf("run 1: %+v", r)
			}
			if tc.runs < 2 {
				return
			}
			r := out.Runs[1]
			if r.Verdict != tc.want2 || r.NotAwaited != tc.notAwaited2 || (tc.notAwaited2 && r.Reason != result.NotAwaited) {
				t.Errorf("run 2: verdict %s, not awaited %v, reason %q", r.Verdict, r.NotAwaited, r.Reason)
			}
		})
	}
}

// TestDeadlineFinalFetchAnswers checks the one fetch after the deadline,
// with the deadline already past so that no poll comes before it.
func TestDeadlineFinalFetchAnswers(t *testing.T) {
	t.Parallel()
	type want struct {
		verdict result.Verdict
		reason  string // exact for errors
	}
	cases := []struct {
		name         string
		timeout      time.Duration
		answers      map[int64]func(ctx context.Context) (*docketqa.TestRun, error)
		want         map[int64]want
		wantStop     Stop
		stillRunning bool
	}{
		{name: "mixed", answers: map[int64]func(context.Context) (*docketqa.TestRun, error){
			1: func(context.Context) (*docketqa.TestRun, error) { return answerFor(1, "running"), nil },
			2: func(context.Context) (*docketqa.TestRun, error) { return answerFor(2, "passed"), nil },
			3: func(context.Context) (*docketqa.TestRun, error) { return nil, e503 },
			4: func(context.Context) (*docketqa.TestRun, error) {
				return &docketqa.TestRun{ID: 99, BlueprintID: 40, Status: "passed"}, nil
			},
			5: func(context.Context) (*docketqa.TestRun, error) { return &docketqa.TestRun{Status: "failed"}, nil },
		}, want: map[int64]want{
			1: {result.Error, "no result within the deadline; last status running"},
			2: {verdict: result.Passed},
			3: {result.Error, "no result within the deadline; last status unknown; the last poll failed: HTTP 503 Service Unavailable"},
			4: {result.Error, "no result within the deadline; last status unknown; the last poll failed: unreadable answer: answer is for test run 99, not 4"},
			5: {verdict: result.Failed},
		}, wantStop: Deadline, stillRunning: true},
		{name: "every run finished at the last look", timeout: 30 * time.Minute, answers: map[int64]func(context.Context) (*docketqa.TestRun, error){
			1: func(context.Context) (*docketqa.TestRun, error) { return answerFor(1, "passed"), nil },
			2: func(context.Context) (*docketqa.TestRun, error) { return answerFor(2, "stopped"), nil },
		}, want: map[int64]want{1: {verdict: result.Passed}, 2: {verdict: result.Failed}}, wantStop: Finished},
		{name: "only failed polls are not still running", timeout: 30 * time.Minute, answers: map[int64]func(context.Context) (*docketqa.TestRun, error){
			1: func(context.Context) (*docketqa.TestRun, error) { return nil, e503 },
			2: func(context.Context) (*docketqa.TestRun, error) { return answerFor(2, "queued"), nil },
		}, want: map[int64]want{
			1: {result.Error, "no result within 30m0s; last status unknown; the last poll failed: HTTP 503 Service Unavailable"},
			2: {result.Error, "no result within 30m0s; last status queued"},
		}, wantStop: Deadline, stillRunning: true},
		{name: "a final fetch cut by its own timeout is no API failure", answers: map[int64]func(context.Context) (*docketqa.TestRun, error){
			1: func(ctx context.Context) (*docketqa.TestRun, error) { <-ctx.Done(); return nil, ctx.Err() },
		}, want: map[int64]want{1: {result.Error, "no result within the deadline; last status unknown"}}, wantStop: Deadline},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newVClock()
			api := newScript(func(ctx context.Context, id int64, _, _ int) (*docketqa.TestRun, error) { return tc.answers[id](ctx) })
			var ids []int64
			for id := int64(1); int(id) <= len(tc.answers); id++ {
				ids = append(ids, id)
			}
			opt := Options{Interval: time.Second, MaxInterval: time.Second, MaxParallel: 2, Strategy: Fixed{Every: time.Hour},
				Clock: c, Deadline: time.Unix(1, 0), Timeout: tc.timeout, FinalFetchTimeout: time.Hour}
			if strings.Contains(tc.name, "timeout") {
				opt.FinalFetchTimeout = time.Nanosecond
			}
			var out Outcome
			// Driven: the final fetch's timeout is a timer on c.
			c.drive(t, func(*testing.T) { out = Run(context.Background(), api, targetsFor(ids...), opt) })
			if out.Stop != tc.wantStop || out.StillRunning != tc.stillRunning {
				t.Errorf("stop %q still running %v, want %q %v", out.Stop, out.StillRunning, tc.wantStop, tc.stillRunning)
			}
			for _, id := range ids {
				r, w := out.Runs[id-1], tc.want[id]
				if r.Verdict != w.verdict || (w.verdict == result.Error && r.Reason != w.reason) || r.NotAwaited {
					t.Errorf("run %d: %s %q (not awaited %v), want %s %q", id, r.Verdict, r.Reason, r.NotAwaited, w.verdict, w.reason)
				}
				if n := api.callsFor(id); n != 1 {
					t.Errorf("run %d fetched %d times, want once", id, n)
				}
			}
		})
	}
}

func TestConvertTitleAndFlaky(t *testing.T) {
	t.Parallel()
	target := Target{RunID: 1, BlueprintID: 2, Title: "from the trigger"}
	cases := []struct {
		name      string
		run       docketqa.TestRun
		title     string
		flaky     bool
		attempts  int
		verdict   result.Verdict
		durationD time.Duration
	}{
		{name: "no title keeps the trigger's", run: docketqa.TestRun{Status: "passed"}, title: "from the trigger", attempts: 1, verdict: result.Passed},
		{name: "a title is refreshed", run: docketqa.TestRun{Status: "passed", Title: "renamed"}, title: "renamed", attempts: 1, verdict: result.Passed},
		{name: "a pass after retries is flaky", run: docketqa.TestRun{Status: "passed", Retries: []docketqa.Retry{{}}}, title: "from the trigger", flaky: true, attempts: 2, verdict: result.Passed},
		{name: "a failure after retries is not flaky", run: docketqa.TestRun{Status: "failed", Retries: []docketqa.Retry{{}}}, title: "from the trigger", attempts: 2, verdict: result.Failed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := Convert(target, &tc.run)
			if r.Title != tc.title || r.Flaky != tc.flaky || r.Attempts != tc.attempts || r.Verdict != tc.verdict {
				t.Errorf("got title %q flaky %v attempts %d verdict %s", r.Title, r.Flaky, r.Attempts, r.Verdict)
			}
		})
	}
}

// recorder is a Strategy and Revisiter that polls at once and records what
// the poller showed it.
type recorder struct {
	mu      sync.Mutex
	polls   map[int][]int // by step count, which the test makes unique per run
	revisit [][2]int
	calib   *Calibration
}

func (r *recorder) Next(v RunView) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.polls[v.StepCount] = append(r.polls[v.StepCount], v.Polls)
	r.calib = v.Calib
	return 0
}

func (r *recorder) Revisit(pending, finished int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.revisit = append(r.revisit, [2]int{pending, finished})
	return false
}

// TestViewsAndCalibration checks what a strategy is told: the polls made,
// and a calibration fed by the runs that got a verdict, with DocketQA's
// duration when the answer has one and the gate's observed one otherwise.
func TestViewsAndCalibration(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		timed   bool
		wantDur time.Duration
	}{
		// Every call is 10s after the one before; run 2 passes at the 4th.
		{name: "no timestamps: the time observed", wantDur: 40 * time.Second},
		{name: "timestamps: DocketQA's duration", timed: true, wantDur: 7 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newVClock()
			api := newScript(func(_ context.Context, id int64, call, total int) (*docketqa.TestRun, error) {
				c.set(time.Duration(total) * 10 * time.Second)
				switch {
				case id == 1:
					return nil, e400
				case call < 3:
					return answerFor(2, "running"), nil
				}
				run := answerFor(2, "passed")
				if tc.timed {
					run.CreatedAt, run.UpdatedAt = created, created.Add(7*time.Second)
				}
				return run, nil
			})
			rec := &recorder{polls: map[int][]int{}}
			opt := virtualOptions(c)
			opt.Strategy = rec
			targets := targetsFor(1, 2)
			targets[0].StepCount, targets[1].StepCount = 1, 2
			out := Run(context.Background(), api, targets, opt)
			if out.Stop != Finished || out.Runs[0].Verdict != result.Error || out.Runs[1].Verdict != result.Passed {
				t.Fatalf("stop %q runs %+v", out.Stop, out.Runs)
			}
			if got := fmt.Sprint(rec.polls[2]); got != "[0 1 2]" {
				t.Errorf("run 2 was shown polls %s, want [0 1 2]", got)
			}
			// The error finishes first and calibrates nothing.
			if got := fmt.Sprint(rec.revisit); got != "[[1 0] [0 1]]" {
				t.Errorf("revisits (pending, finished) %s, want [[1 0] [0 1]]", got)
			}
			if d := out.Runs[1].Duration; d != tc.wantDur {
				t.Errorf("duration %v, want %v", d, tc.wantDur)
			}
			if st := rec.calib.Stats(); st.Runs != 1 || st.RunTime != tc.wantDur {
				t.Errorf("calibration %+v, want one run of %v", st, tc.wantDur)
			}
		})
	}
}

// TestSchedulerIdlesWhileWorkersBusy checks that, with every worker busy
// and a poll due, the scheduler neither blocks handing it out nor spins on
// its timer: it still reports progress, and reads no clock meanwhile. The
// first poll is held until the first progress report.
func TestSchedulerIdlesWhileWorkersBusy(t *testing.T) {
	t.Parallel()
	c := newVClock()
	// Driven, and everything made inside the bubble: the progress ticker
	// runs on c, which moves only when every goroutine waits.
	c.drive(t, func(t *testing.T) {
		reported := make(chan struct{})
		var once sync.Once
		var first Progress
		readsAtProgress, readsAtCall := 0, 0
		api := newScript(func(ctx context.Context, id int64, _, total int) (*docketqa.TestRun, error) {
			if total == 1 {
				readsAtCall = c.readCount()
			}
			select {
			case <-reported:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return answerFor(id, "passed"), nil
		})
		opt := virtualOptions(c)
		opt.ProgressInterval = 5 * time.Millisecond
		opt.OnProgress = func(p Progress) {
			once.Do(func() {
				first, readsAtProgress = p, c.readCount()
				close(reported)
			})
		}
		out := Run(context.Background(), api, targetsFor(1, 2), opt)
		if out.Stop != Finished || out.Runs[0].Verdict != result.Passed || out.Runs[1].Verdict != result.Passed {
			t.Fatalf("stop %q runs %+v", out.Stop, out.Runs)
		}
		if first.Done != 0 || first.Total != 2 || len(first.Waiting) != 2 || first.Waiting[0].RunID != 1 || first.Waiting[1].RunID != 2 {
			t.Errorf("first progress %+v", first)
		}
		if spin := readsAtProgress - readsAtCall; spin > 2 {
			t.Errorf("the scheduler read the clock %d times while waiting for a busy worker", spin)
		}
	})
}

// TestProgressOff checks that no progress is reported without an interval.
func TestProgressOff(t *testing.T) {
	t.Parallel()
	c := newVClock()
	api := newScript(func(_ context.Context, id int64, call, _ int) (*docketqa.TestRun, error) {
		if call < 3 {
			return answerFor(id, "running"), nil
		}
		return answerFor(id, "passed"), nil
	})
	opt := virtualOptions(c)
	calls := 0
	opt.OnProgress = func(Progress) { calls++ }
	out := Run(context.Background(), api, targetsFor(1), opt)
	if out.Stop != Finished || calls != 0 {
		t.Errorf("stop %q, %d progress reports", out.Stop, calls)
	}
}

// TestAPIErrorWaitExplained checks the reason given with the wait after an
// API error: Retry-After only when it is longer than the own backoff.
func TestAPIErrorWaitExplained(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		err     error
		why     string
		minWait time.Duration
	}{
		{name: "retry-after longer than the backoff", err: &docketqa.APIError{Endpoint: "GET /test_run/1", StatusCode: 429, RetryAfter: time.Minute},
			why: "API error, Retry-After 1m0s: HTTP 429", minWait: time.Minute},
		{name: "retry-after shorter than the backoff", err: &docketqa.APIError{Endpoint: "GET /test_run/1", StatusCode: 429, RetryAfter: time.Nanosecond},
			why: "API error, backing off: HTTP 429", minWait: 7 * time.Second},
		{name: "no retry-after", err: e503, why: "API error, backing off: HTTP 503", minWait: 7 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newVClock()
			api := newScript(func(_ context.Context, id int64, call, _ int) (*docketqa.TestRun, error) {
				if call == 1 {
					return nil, tc.err
				}
				return answerFor(id, "passed"), nil
			})
			opt := virtualOptions(c)
			opt.Interval, opt.MaxInterval = 10*time.Second, 10*time.Second
			var whys []string
			var waits []time.Duration
			opt.OnDelay = func(_ Target, d time.Duration, why string) {
				c.advance(d)
				whys, waits = append(whys, why), append(waits, d)
			}
			out := Run(context.Background(), api, targetsFor(1), opt)
			if out.Runs[0].Verdict != result.Passed || len(whys) != 2 {
				t.Fatalf("verdict %s, delays %q", out.Runs[0].Verdict, whys)
			}
			if !strings.HasPrefix(whys[1], tc.why) || waits[1] < tc.minWait {
				t.Errorf("wait %v %q, want at least %v with %q", waits[1], whys[1], tc.minWait, tc.why)
			}
		})
	}
}
