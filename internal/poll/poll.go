// Package poll waits for DocketQA test runs to finish. It polls every run
// concurrently, each on its own backoff schedule, never has more than
// MaxParallel requests in flight, and always returns a result for every run
// it was given, whether the run finished, the deadline passed, the API
// failed or the gate was interrupted.
//
// One scheduler goroutine owns all state and keeps runs in a heap ordered by
// their next poll time; a fixed pool of workers does the HTTP calls. That
// keeps memory and goroutines flat however many runs there are, and makes
// MaxParallel a hard bound rather than a hope.
package poll

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// API is what the poller needs from DocketQA.
type API interface {
	GetRun(ctx context.Context, id int64) (*docketqa.TestRun, error)
}

// Target is one test run to wait for.
type Target struct {
	RunID       int64
	BlueprintID int64
	Title       string
	// StepCount is the number of steps the blueprint declares; it predicts
	// how long the run takes.
	StepCount   int
	NonBlocking bool
	// SharedBlueprint is set when the blueprint has other runs too, so the
	// result names the run id as well.
	SharedBlueprint bool
}

// Stop says why polling ended before every run finished.
type Stop string

// The reasons polling can end early.
const (
	Finished    Stop = ""
	Deadline    Stop = "deadline"
	Interrupted Stop = "interrupted"
	AuthFailed  Stop = "auth"
	FailFast    Stop = "fail-fast"
)

// Outcome is what Run learned.
type Outcome struct {
	// Runs has one entry per target, in the targets' order.
	Runs []result.Run
	Stop Stop
	// Err is the error that stopped polling early (auth), if any.
	Err error
	// StillRunning is true when some run without a verdict was last seen
	// running (or queued): only then would a longer deadline have helped.
	StillRunning bool
}

// Progress is a periodic snapshot for "still waiting" log lines.
type Progress struct {
	Done, Total int
	// Waiting holds up to five unfinished runs, to name in the log.
	Waiting []Target
}

// Options tune the poller. Zero values get the defaults noted.
type Options struct {
	// Interval is the first poll delay (default 5s); MaxInterval the longest
	// (default 30s).
	Interval, MaxInterval time.Duration
	// MaxParallel bounds requests in flight (default 8).
	MaxParallel int
	// Deadline ends polling; Timeout is only used to word the report
	// ("no result within 30m").
	Deadline time.Time
	Timeout  time.Duration
	// NotFoundGrace is how long a 404 for a just-triggered run is retried,
	// since results may lag behind the trigger (default 30s).
	NotFoundGrace time.Duration
	// MaxBadAnswers is how many malformed answers in a row end a run's
	// polling with an error (default 5).
	MaxBadAnswers int
	// FinalFetchTimeout bounds the last fetch of unfinished runs at the
	// deadline (default 15s).
	FinalFetchTimeout time.Duration
	// FailFast stops at the first blocking failure.
	FailFast bool
	// Strategy picks poll delays; nil means Adaptive.
	Strategy Strategy
	// Forecast tells what earlier invocations saw of a target's blueprint
	// (see package history); nil or a zero Forecast means nothing.
	Forecast func(Target) Forecast
	// ProgressInterval is the period of OnProgress calls (0: never).
	ProgressInterval time.Duration
	// OnFinish is called, from one goroutine, as each run gets a verdict.
	OnFinish func(result.Run)
	// OnDelay is called, from the same goroutine, with each wait chosen
	// for a run and why (--debug).
	OnDelay    func(t Target, d time.Duration, why string)
	OnProgress func(Progress)
	// Clock is the time the scheduler reads and waits on: Deadline,
	// FinalFetchTimeout, the poll waits and the progress ticks all run on
	// it (default SystemClock).
	Clock Clock
}

func (o Options) withDefaults() Options {
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.MaxInterval < o.Interval {
		o.MaxInterval = max(30*time.Second, o.Interval)
	}
	if o.MaxParallel <= 0 {
		o.MaxParallel = 8
	}
	if o.NotFoundGrace <= 0 {
		o.NotFoundGrace = 30 * time.Second
	}
	if o.MaxBadAnswers <= 0 {
		o.MaxBadAnswers = 5
	}
	if o.FinalFetchTimeout <= 0 {
		o.FinalFetchTimeout = 15 * time.Second
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Strategy == nil {
		o.Strategy = Adaptive{}
	}
	return o
}

// state is one run's bookkeeping; only the scheduler goroutine touches it.
type state struct {
	idx    int
	target Target
	bo     *backoff.ExponentialBackOff
	// retry spaces polls out while the API is in trouble (network errors,
	// 429, 5xx, unreadable answers): created at the first error of a
	// streak, dropped at the next good answer.
	retry         *backoff.ExponentialBackOff
	next          time.Time
	heapIdx       int
	lastStatus    string
	polls         int
	notFoundSince time.Time
	bad           int
	done          bool
	// lastErr is the last failed poll of a streak, so a run that gets no
	// verdict says what the API answered rather than only "no result".
	lastErr error

	// history is what Options.Forecast said of the run's blueprint; took
	// is the run's duration by DocketQA's timestamps, once known.
	history Forecast
	took    time.Duration
}

type reply struct {
	st  *state
	run *docketqa.TestRun
	err error
}

// Run polls every target until each has a verdict, the deadline passes, ctx
// is cancelled (interruption), or DocketQA refuses the key.
func Run(ctx context.Context, api API, targets []Target, opt Options) Outcome {
	opt = opt.withDefaults()
	p := &poller{api: api, opt: opt, start: opt.Clock.Now(), out: make([]result.Run, len(targets))}
	p.states = make([]*state, len(targets))
	for i, t := range targets {
		st := &state{idx: i, target: t, bo: p.newBackOff()}
		if opt.Forecast != nil {
			st.history = opt.Forecast(t)
		}
		p.states[i] = st
		p.out[i] = result.Run{BlueprintID: t.BlueprintID, RunID: t.RunID, Title: t.Title, NonBlocking: t.NonBlocking, SharedBlueprint: t.SharedBlueprint}
	}
	p.pending = len(targets)
	for _, st := range p.states {
		d := opt.Strategy.Next(p.view(st))
		st.next = p.start.Add(d)
		heap.Push(&p.queue, st)
		if opt.OnDelay != nil {
			opt.OnDelay(st.target, d, "first look")
		}
	}
	stop, err := p.loop(ctx)
	if stop == Deadline {
		p.finalFetch(ctx)
	}
	stillRunning := false
	for _, st := range p.states {
		if !st.done {
			p.out[st.idx].Verdict = result.Error
			p.out[st.idx].Status = st.lastStatus
			p.out[st.idx].Reason = p.unfinishedReason(st, stop, err)
			p.out[st.idx].NotAwaited = stop == FailFast
			stillRunning = stillRunning || StillGoing(st.lastStatus)
		}
	}
	if p.pending == 0 && stop == Deadline {
		stop = Finished
	}
	return Outcome{Runs: p.out, Stop: stop, Err: err, StillRunning: stillRunning}
}

type poller struct {
	api     API
	opt     Options
	start   time.Time
	states  []*state
	queue   queue
	out     []result.Run
	pending int
	// finished calibrates the strategy: observed durations per step.
	calib Calibration
}

func (p *poller) newBackOff() *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(p.opt.Interval),
		backoff.WithMaxInterval(p.opt.MaxInterval),
		backoff.WithMultiplier(1.5),
		backoff.WithRandomizationFactor(0.25),
		// Only the gate's deadline ends polling, never backoff's own
		// 15-minute default.
		backoff.WithMaxElapsedTime(0),
	)
	return b
}

func (p *poller) view(st *state) RunView {
	return RunView{
		StepCount: st.target.StepCount,
		Polls:     st.polls,
		Elapsed:   p.opt.Clock.Now().Sub(p.start),
		Pending:   p.pending,
		Total:     len(p.states),
		Calib:     &p.calib,
		History:   st.history,
		FailFast:  p.opt.FailFast,
		BackOff:   st.bo,
		Interval:  p.opt.Interval,
		Max:       p.opt.MaxInterval,
	}
}

func (p *poller) loop(ctx context.Context) (Stop, error) {
	if p.pending == 0 {
		return Finished, nil
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !p.opt.Deadline.IsZero() {
		var c2 context.CancelFunc
		pctx, c2 = withDeadline(pctx, p.opt.Clock, p.opt.Deadline)
		defer c2()
	}
	jobs := make(chan *state)
	replies := make(chan reply, p.opt.MaxParallel)
	var wg sync.WaitGroup
	for range p.opt.MaxParallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for st := range jobs {
				run, err := p.api.GetRun(pctx, st.target.RunID)
				replies <- reply{st: st, run: run, err: err}
			}
		}()
	}
	inflight := 0
	defer func() {
		close(jobs)
		cancel()
		for ; inflight > 0; inflight-- {
			<-replies
		}
		wg.Wait()
	}()

	timer := p.opt.Clock.NewTimer(time.Hour)
	defer timer.Stop()
	var progress <-chan time.Time
	if p.opt.ProgressInterval > 0 && p.opt.OnProgress != nil {
		t := p.opt.Clock.NewTicker(p.opt.ProgressInterval)
		defer t.Stop()
		progress = t.C()
	}
	for p.pending > 0 {
		now := p.opt.Clock.Now()
		for inflight < p.opt.MaxParallel && p.queue.Len() > 0 && !p.queue[0].next.After(now) {
			st := heap.Pop(&p.queue).(*state)
			inflight++
			jobs <- st
		}
		var wake <-chan time.Time
		if inflight < p.opt.MaxParallel && p.queue.Len() > 0 {
			timer.Reset(p.queue[0].next.Sub(now))
			wake = timer.C()
		}
		select {
		case <-pctx.Done():
			switch {
			case ctx.Err() != nil:
				return Interrupted, nil
			default:
				return Deadline, nil
			}
		case r := <-replies:
			inflight--
			if stop, err := p.handle(pctx, r); stop != Finished {
				return stop, err
			}
		case <-wake:
		case <-progress:
			p.opt.OnProgress(p.progress())
		}
		// No Stop-and-drain before the next Reset: since Go 1.23 (go.mod
		// says 1.26) Reset discards a value the timer sent but nobody took.
	}
	return Finished, nil
}

// handle applies one poll answer and reschedules the run if needed.
func (p *poller) handle(ctx context.Context, r reply) (Stop, error) {
	st := r.st
	st.polls++
	now := p.opt.Clock.Now()
	if r.err == nil {
		r.err = checkIdentity(st.target, r.run)
	}
	if r.err != nil {
		if ctx.Err() != nil {
			return Finished, nil // the loop notices ctx on its next turn
		}
		st.lastErr = r.err
		if docketqa.IsAuth(r.err) {
			return AuthFailed, r.err
		}
		var ae *docketqa.APIError
		var de *docketqa.DecodeError
		switch {
		case errors.As(r.err, &ae) && ae.NotFound():
			if st.notFoundSince.IsZero() {
				st.notFoundSince = now
			}
			if now.Sub(st.notFoundSince) >= p.opt.NotFoundGrace {
				p.finishError(st, fmt.Sprintf("DocketQA does not know test run %d (HTTP 404 for %s)", st.target.RunID, p.opt.NotFoundGrace))
				return Finished, nil
			}
		case errors.As(r.err, &de):
			st.bad++
			if st.bad >= p.opt.MaxBadAnswers {
				p.finishError(st, fmt.Sprintf("gave up after %d unreadable answers: %v", st.bad, r.err))
				return Finished, nil
			}
		case docketqa.IsTemporary(r.err):
			// Network trouble, 408, 429 and 5xx: try again later.
		default:
			p.finishError(st, r.err.Error())
			return Finished, nil
		}
		if st.retry == nil {
			st.retry = p.newBackOff()
		}
		// A struggling API gets exponentially fewer requests, bounded by
		// --max-poll-interval; its Retry-After, when it sends one, wins.
		backoff, hint := min(st.retry.NextBackOff(), p.opt.MaxInterval), docketqa.RetryAfter(r.err)
		why := "API error, backing off: " + docketqa.Reason(r.err)
		if hint > backoff {
			why = fmt.Sprintf("API error, Retry-After %s: %s", hint, docketqa.Reason(r.err))
		}
		p.reschedule(st, max(backoff, hint), why)
		return Finished, nil
	}
	st.bad = 0
	st.retry = nil
	st.lastErr = nil
	st.notFoundSince = time.Time{}
	st.lastStatus = string(r.run.Status)
	if StillGoing(st.lastStatus) {
		p.reschedule(st, 0, "status "+st.lastStatus)
		return Finished, nil
	}
	res := p.finishAnswer(st, r.run)
	if p.opt.FailFast && res.Verdict == result.Failed && !res.NonBlocking && p.pending > 0 {
		return FailFast, nil
	}
	return Finished, nil
}

func (p *poller) reschedule(st *state, atLeast time.Duration, why string) {
	d := max(p.opt.Strategy.Next(p.view(st)), atLeast)
	st.next = p.opt.Clock.Now().Add(d)
	heap.Push(&p.queue, st)
	if p.opt.OnDelay != nil {
		p.opt.OnDelay(st.target, d, why)
	}
}

// finishAnswer records a run's final answer. A run whose answer carries no
// timing gets the time the gate observed since the trigger.
func (p *poller) finishAnswer(st *state, run *docketqa.TestRun) result.Run {
	res := Convert(st.target, run)
	st.took = serverTook(run)
	if res.Duration <= 0 {
		res.Duration = p.opt.Clock.Now().Sub(p.start)
	}
	p.finish(st, res)
	return res
}

func (p *poller) finish(st *state, r result.Run) {
	st.done = true
	p.pending--
	p.out[st.idx] = r
	calibrated := r.Verdict != result.Error
	if calibrated {
		took := st.took
		if took <= 0 {
			took = p.opt.Clock.Now().Sub(p.start)
		}
		p.calib.Observe(st.target.StepCount, took)
	}
	p.revisit(calibrated)
	if p.opt.OnFinish != nil {
		p.opt.OnFinish(r)
	}
}

// revisit lets a Revisiter move polls scheduled earlier forward after a
// run finished. Runs backing off after errors keep their waits.
func (p *poller) revisit(calibrated bool) {
	finished := 0
	if calibrated {
		finished = p.calib.Stats().Runs
	}
	r, ok := p.opt.Strategy.(Revisiter)
	if !ok || !r.Revisit(p.pending, finished) {
		return
	}
	now := p.opt.Clock.Now()
	for _, st := range slices.Clone(p.queue) {
		if st.retry != nil || st.polls == 0 {
			continue
		}
		if at := now.Add(p.opt.Strategy.Next(p.view(st))); at.Before(st.next) {
			st.next = at
			heap.Fix(&p.queue, st.heapIdx)
		}
	}
}

func (p *poller) finishError(st *state, reason string) {
	r := p.out[st.idx]
	r.Verdict = result.Error
	r.Status = st.lastStatus
	r.Reason = reason
	p.finish(st, r)
}

// finalFetch makes one last request for every unfinished run after the
// deadline, so a run that finished in the last moments is not reported as
// timed out. It runs outside the expired deadline, on its own short budget.
func (p *poller) finalFetch(ctx context.Context) {
	if ctx.Err() != nil || p.pending == 0 {
		return
	}
	fctx, cancel := withDeadline(context.WithoutCancel(ctx), p.opt.Clock, p.opt.Clock.Now().Add(p.opt.FinalFetchTimeout))
	defer cancel()
	// Stop at once if the gate is interrupted during the final fetch.
	stopOnCancel := context.AfterFunc(ctx, cancel)
	defer stopOnCancel()
	sem := make(chan struct{}, p.opt.MaxParallel)
	replies := make(chan reply)
	n := 0
	for _, st := range p.states {
		if st.done {
			continue
		}
		n++
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			run, err := p.api.GetRun(fctx, st.target.RunID)
			replies <- reply{st: st, run: run, err: err}
		}()
	}
	for range n {
		r := <-replies
		if r.err == nil {
			r.err = checkIdentity(r.st.target, r.run)
		}
		if r.err != nil {
			if fctx.Err() == nil {
				r.st.lastErr = r.err
			}
			continue
		}
		r.st.lastErr = nil
		r.st.lastStatus = string(r.run.Status)
		if !StillGoing(r.st.lastStatus) {
			p.finishAnswer(r.st, r.run)
		}
	}
}

func (p *poller) unfinishedReason(st *state, stop Stop, err error) string {
	last := st.lastStatus
	if last == "" {
		last = "unknown"
	}
	switch stop {
	case Deadline:
		if st.lastErr != nil {
			// The cause, not the symptom: the API was failing, and a
			// longer deadline may not have helped.
			return fmt.Sprintf("no result within %s; last status %s; the last poll failed: %s", timeoutLabel(p.opt), last, docketqa.Reason(st.lastErr))
		}
		return fmt.Sprintf("no result within %s; last status %s", timeoutLabel(p.opt), last)
	case Interrupted:
		return fmt.Sprintf("interrupted before a result; last status %s; the run continues on DocketQA", last)
	case AuthFailed:
		return fmt.Sprintf("not awaited: DocketQA refused the API key (%v)", err)
	case FailFast:
		return result.NotAwaited
	default:
		return "no result; last status " + last
	}
}

func timeoutLabel(o Options) string {
	if o.Timeout > 0 {
		return o.Timeout.String()
	}
	return "the deadline"
}

func (p *poller) progress() Progress {
	pr := Progress{Done: len(p.states) - p.pending, Total: len(p.states)}
	for _, st := range p.states {
		if !st.done {
			pr.Waiting = append(pr.Waiting, st.target)
			if len(pr.Waiting) == 5 {
				break
			}
		}
	}
	return pr
}

// checkIdentity refuses an answer about another run or blueprint. Which run
// belongs to which blueprint was fixed by the trigger answer; a poll answer
// that disagrees is an API error for that poll (retried like any unreadable
// answer), never a change of identity. An absent field is no disagreement.
func checkIdentity(t Target, run *docketqa.TestRun) error {
	if run.ID != 0 && run.ID != t.RunID {
		return &docketqa.DecodeError{Endpoint: fmt.Sprintf("GET /test_run/%d", t.RunID), Err: fmt.Errorf("answer is for test run %d, not %d", run.ID, t.RunID)}
	}
	return docketqa.CheckBlueprint(run, t.BlueprintID)
}

// queue is a min-heap of states by next poll time.
type queue []*state

func (q queue) Len() int           { return len(q) }
func (q queue) Less(i, j int) bool { return q[i].next.Before(q[j].next) }
func (q queue) Swap(i, j int)      { q[i], q[j] = q[j], q[i]; q[i].heapIdx = i; q[j].heapIdx = j }
func (q *queue) Push(x any)        { st := x.(*state); st.heapIdx = len(*q); *q = append(*q, st) }
func (q *queue) Pop() any {
	old := *q
	st := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return st
}
