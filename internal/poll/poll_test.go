package poll

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// fakeAPI scripts GetRun answers per run: each call takes the next answer,
// and the last one repeats.
type fakeAPI struct {
	mu       sync.Mutex
	answers  map[int64][]answer
	calls    map[int64]int
	inflight atomic.Int32
	peak     atomic.Int32
	// hold delays every answer on clock.
	hold  time.Duration
	clock Clock
}

type answer struct {
	status string
	err    error
}

func newFake(answers map[int64][]answer) *fakeAPI {
	return &fakeAPI{answers: answers, calls: map[int64]int{}}
}

func (f *fakeAPI) GetRun(ctx context.Context, id int64) (*docketqa.TestRun, error) {
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if f.hold > 0 {
		tm := f.clock.NewTimer(f.hold)
		defer tm.Stop()
		select {
		case <-tm.C():
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	as := f.answers[id]
	i := min(f.calls[id], len(as)-1)
	f.calls[id]++
	f.mu.Unlock()
	a := as[i]
	if a.err != nil {
		return nil, a.err
	}
	return &docketqa.TestRun{ID: id, BlueprintID: id * 10, Status: untrusted.Text(a.status)}, nil
}

func (f *fakeAPI) callsFor(id int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
}

// fastOpts polls every few milliseconds of c's virtual time; the deadline
// is ten seconds of it.
func fastOpts(c *vclock) Options {
	return Options{Interval: time.Millisecond, MaxInterval: 3 * time.Millisecond, MaxParallel: 4, Strategy: Backoff{},
		NotFoundGrace: 20 * time.Millisecond, Deadline: c.after(10 * time.Second), Clock: c}
}

func targetsFor(ids ...int64) []Target {
	ts := make([]Target, len(ids))
	for i, id := range ids {
		ts[i] = Target{RunID: id, BlueprintID: id * 10, Title: fmt.Sprintf("t%d", id), StepCount: 3}
	}
	return ts
}

var (
	e503   = &docketqa.APIError{Endpoint: "GET /test_run/1", StatusCode: 503}
	e429   = &docketqa.APIError{Endpoint: "GET /test_run/1", StatusCode: 429, RetryAfter: 30 * time.Millisecond}
	e401   = &docketqa.APIError{Endpoint: "GET /test_run/1", StatusCode: 401}
	e404   = &docketqa.APIError{Endpoint: "GET /test_run/1", StatusCode: 404}
	e400   = &docketqa.APIError{Endpoint: "GET /test_run/1", StatusCode: 400}
	eBad   = &docketqa.DecodeError{Endpoint: "GET /test_run/1", Err: errors.New("bad json")}
	eReset = &docketqa.TransportError{Endpoint: "GET /test_run/1", Err: errors.New("connection reset")}
)

func TestRunVerdicts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		script   []answer
		want     result.Verdict
		reason   string
		wantStop Stop
	}{
		{name: "pass after running", script: []answer{{status: "queued"}, {status: "running"}, {status: "passed"}}, want: result.Passed},
		{name: "failed", script: []answer{{status: "running"}, {status: "failed"}}, want: result.Failed, reason: "status failed"},
		{name: "stopped is a failure", script: []answer{{status: "stopped"}}, want: result.Failed, reason: `"stopped"`},
		{name: "unknown word is a failure", script: []answer{{status: "exploded"}}, want: result.Failed, reason: `"exploded"`},
		{name: "transient errors are retried", script: []answer{{err: e503}, {err: eReset}, {err: e429}, {status: "passed"}}, want: result.Passed},
		{name: "404 within grace then found", script: []answer{{err: e404}, {status: "passed"}}, want: result.Passed},
		{name: "404 past grace", script: []answer{{err: e404}}, want: result.Error, reason: "HTTP 404"},
		{name: "bad answers give up", script: []answer{{err: eBad}}, want: result.Error, reason: "5 unreadable answers"},
		{name: "bad answer then fine", script: []answer{{err: eBad}, {err: eBad}, {status: "passed"}}, want: result.Passed},
		{name: "permanent 4xx", script: []answer{{err: e400}}, want: result.Error, reason: "HTTP 400"},
		{name: "auth stops everything", script: []answer{{err: e401}}, want: result.Error, reason: "refused the API key", wantStop: AuthFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newVClock()
			api := newFake(map[int64][]answer{1: tc.script})
			var out Outcome
			c.drive(t, func(*testing.T) { out = Run(context.Background(), api, targetsFor(1), fastOpts(c)) })
			if len(out.Runs) != 1 {
				t.Fatalf("runs = %d", len(out.Runs))
			}
			r := out.Runs[0]
			if r.Verdict != tc.want || !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("verdict %s reason %q, want %s containing %q", r.Verdict, r.Reason, tc.want, tc.reason)
			}
			if out.Stop != tc.wantStop {
				t.Errorf("stop = %q, want %q", out.Stop, tc.wantStop)
			}
			if r.RunID != 1 || r.BlueprintID != 10 {
				t.Errorf("identity lost: %+v", r)
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	c := newVClock()
	api := newFake(map[int64][]answer{1: {{err: e429}, {status: "passed"}}})
	var out Outcome
	c.drive(t, func(*testing.T) { out = Run(context.Background(), api, targetsFor(1), fastOpts(c)) })
	if out.Runs[0].Verdict != result.Passed {
		t.Fatalf("verdict %s", out.Runs[0].Verdict)
	}
	// The only wait longer than 3ms in this run is the Retry-After; the
	// time is c's, so this is exact rather than a race with the machine.
	if el := c.elapsed(); el < e429.RetryAfter || el > e429.RetryAfter+3*time.Millisecond {
		t.Errorf("finished after %v, want the Retry-After of %v and at most one poll interval", el, e429.RetryAfter)
	}
}

func TestMaxParallelBound(t *testing.T) {
	t.Parallel()
	answers := map[int64][]answer{}
	var ids []int64
	for i := int64(1); i <= 40; i++ {
		answers[i] = []answer{{status: "running"}, {status: "running"}, {status: "passed"}}
		ids = append(ids, i)
	}
	c := newVClock()
	api := newFake(answers)
	api.hold, api.clock = 2*time.Millisecond, c
	opt := fastOpts(c)
	opt.MaxParallel = 3
	var out Outcome
	c.drive(t, func(*testing.T) { out = Run(context.Background(), api, targetsFor(ids...), opt) })
	for _, r := range out.Runs {
		if r.Verdict != result.Passed {
			t.Fatalf("run %d: %s", r.RunID, r.Verdict)
		}
	}
	if p := api.peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak in flight = %d, want 2..3", p)
	}
	for _, id := range ids {
		if n := api.callsFor(id); n != 3 {
			t.Errorf("run %d polled %d times, want 3", id, n)
		}
	}
}

func TestDeadlineFinalFetch(t *testing.T) {
	t.Parallel()
	// Run 1 keeps running; run 2 finishes only on the fetch after the
	// deadline, which must be counted, not reported as timed out.
	c := newVClock()
	api := newFake(map[int64][]answer{1: {{status: "running"}}, 2: {{status: "running"}}})
	opt := fastOpts(c)
	opt.Deadline = c.after(30 * time.Millisecond)
	opt.Timeout = 30 * time.Millisecond
	var finished []int64
	opt.OnFinish = func(r result.Run) { finished = append(finished, r.RunID) }
	wrapped := &passAfterDeadline{fakeAPI: api, deadline: opt.Deadline, clock: c}
	var out Outcome
	c.drive(t, func(*testing.T) { out = Run(context.Background(), wrapped, targetsFor(1, 2), opt) })
	if out.Stop != Deadline {
		t.Errorf("stop = %q, want deadline", out.Stop)
	}
	if r := out.Runs[0]; r.Verdict != result.Error || r.Reason != "no result within 30ms; last status running" {
		t.Errorf("run 1: %s %q", r.Verdict, r.Reason)
	}
	if r := out.Runs[1]; r.Verdict != result.Passed {
		t.Errorf("run 2: %s %q, want passed from the final fetch", r.Verdict, r.Reason)
	}
}

// passAfterDeadline answers "passed" for run 2 once the deadline is past.
type passAfterDeadline struct {
	*fakeAPI
	deadline time.Time
	clock    Clock
}

func (p *passAfterDeadline) GetRun(ctx context.Context, id int64) (*docketqa.TestRun, error) {
	if id == 2 && !p.clock.Now().Before(p.deadline) {
		return &docketqa.TestRun{ID: 2, BlueprintID: 20, Status: "passed"}, nil
	}
	return p.fakeAPI.GetRun(ctx, id)
}

func TestInterruptStopsAtOnce(t *testing.T) {
	t.Parallel()
	c := newVClock()
	api := newFake(map[int64][]answer{1: {{status: "running"}}, 2: {{status: "passed"}}})
	api.hold, api.clock = time.Hour, c // an in-flight request must be abandoned, not awaited
	var out Outcome
	c.drive(t, func(*testing.T) {
		// Made inside the bubble, so that waiting on it counts as blocked.
		ctx, cancel := context.WithCancel(context.Background())
		interrupt := c.NewTimer(20 * time.Millisecond)
		go func() { <-interrupt.C(); cancel() }()
		out = Run(ctx, api, targetsFor(1, 2), fastOpts(c))
	})
	// Virtual time: the poller stops at the interrupt, not a moment later.
	if el := c.elapsed(); el != 20*time.Millisecond {
		t.Errorf("stopped after %v, want at the interrupt (20ms)", el)
	}
	if out.Stop != Interrupted {
		t.Fatalf("stop = %q", out.Stop)
	}
	for _, r := range out.Runs {
		if r.Verdict != result.Error || !strings.Contains(r.Reason, "interrupted") {
			t.Errorf("run %d: %s %q", r.RunID, r.Verdict, r.Reason)
		}
	}
}

func TestFailFast(t *testing.T) {
	t.Parallel()
	c := newVClock()
	api := newFake(map[int64][]answer{1: {{status: "failed"}}, 2: {{status: "running"}}})
	opt := fastOpts(c)
	opt.FailFast = true
	var out Outcome
	c.drive(t, func(*testing.T) { out = Run(context.Background(), api, targetsFor(1, 2), opt) })
	if out.Stop != FailFast {
		t.Fatalf("stop = %q", out.Stop)
	}
	if out.Runs[0].Verdict != result.Failed || out.Runs[1].Reason != "not awaited (fail-fast)" {
		t.Errorf("runs %+v", out.Runs)
	}
}

func TestFlakyAndConvert(t *testing.T) {
	t.Parallel()
	r := Convert(Target{RunID: 1, BlueprintID: 2, Title: "t"}, &docketqa.TestRun{Status: "passed", Retries: []docketqa.Retry{{}, {VideoURL: "v"}},
		Steps: []docketqa.Step{{Number: 1, OK: true, Duration: time.Second}, {Number: 2, OK: true, Duration: 2 * time.Second}}})
	if !r.Flaky || r.Attempts != 3 || r.Verdict != result.Passed || r.Duration != 3*time.Second {
		t.Errorf("got %+v", r)
	}
	f := Convert(Target{}, &docketqa.TestRun{Status: "failed", Steps: []docketqa.Step{{Number: 1, OK: true}, {Number: 2, Task: "Click\npay", Result: "no button"}}})
	if f.Reason != "step 2: Click pay: no button" {
		t.Errorf("reason %q", f.Reason)
	}
}

func TestStillGoing(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"running", "queued", "pending"} {
		if !StillGoing(s) {
			t.Errorf("%q should be still going", s)
		}
	}
	for _, s := range []string{"passed", "failed", "stopped", "", "Running", "error"} {
		if StillGoing(s) {
			t.Errorf("%q should be final", s)
		}
	}
}

func TestEmptyTargets(t *testing.T) {
	t.Parallel()
	out := Run(context.Background(), newFake(nil), nil, fastOpts(newVClock()))
	if len(out.Runs) != 0 || out.Stop != Finished {
		t.Errorf("got %+v", out)
	}
}

func TestErrorsBackOff(t *testing.T) {
	t.Parallel()
	// The API answers 503 for good: polls must thin out exponentially
	// instead of hammering it at the shortest interval until the deadline.
	c := newVClock()
	api := newFake(map[int64][]answer{1: {{err: e503}}})
	opt := Options{Interval: time.Millisecond, MaxInterval: time.Second, MaxParallel: 1,
		Deadline: c.after(300 * time.Millisecond), Strategy: Fixed{Every: time.Millisecond}, Clock: c}
	var out Outcome
	c.drive(t, func(*testing.T) { out = Run(context.Background(), api, targetsFor(1), opt) })
	if out.Runs[0].Verdict != result.Error {
		t.Fatalf("verdict %s", out.Runs[0].Verdict)
	}
	// 1ms growing by 1.5x sums past 300ms after about 14 polls; at a fixed
	// 1ms it would be about 300, plus the final fetch.
	if n := api.callsFor(1); n > 25 {
		t.Errorf("%d polls in 300ms of 503s, want exponential backoff (under 25)", n)
	}
}
