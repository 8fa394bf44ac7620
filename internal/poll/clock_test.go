package poll

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// vclock is the virtual Clock of the unit tests: the one clock every test
// of the scheduler runs on. It moves in three ways only, never by itself:
//   - set and advance, which tests call from the fake API or the OnDelay
//     hook to jump over a wait the poller chose;
//   - drive, which runs a test in a synctest bubble and, whenever every
//     goroutine of the bubble is blocked, jumps to the earliest timer and
//     fires it, so waits take no real time at all.
//
// Its timers and tickers behave as the runtime's do since Go 1.23: a
// timer reset or stopped drops a value it sent but nobody took, and a
// ticker drops ticks nobody took.
type vclock struct {
	mu     sync.Mutex
	base   time.Time
	now    time.Time
	reads  int
	timers map[*vtimer]struct{} // the active ones
}

func newVClock() *vclock {
	b := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &vclock{base: b, now: b, timers: map[*vtimer]struct{}{}}
}

var _ Clock = (*vclock)(nil)

func (c *vclock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	return c.now
}

// after is the virtual time d after the clock's start.
func (c *vclock) after(d time.Duration) time.Time { return c.base.Add(d) }

// set moves the clock to base+at, never backwards.
func (c *vclock) set(at time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.base.Add(at); t.After(c.now) {
		c.now = t
	}
	c.fireLocked()
}

func (c *vclock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(max(d, 0))
	c.fireLocked()
}

// elapsed is the virtual time since the clock's start.
func (c *vclock) elapsed() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now.Sub(c.base)
}

func (c *vclock) readCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

func (c *vclock) NewTimer(d time.Duration) Timer {
	t := &vtimer{c: c, ch: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

func (c *vclock) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("non-positive interval for NewTicker")
	}
	t := &vtimer{c: c, ch: make(chan time.Time, 1), period: d}
	t.Reset(d)
	return t
}

// jump moves the clock to its earliest active timer and fires it; false
// if no timer is active.
func (c *vclock) jump() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next time.Time
	for t := range c.timers {
		if next.IsZero() || t.at.Before(next) {
			next = t.at
		}
	}
	if next.IsZero() {
		return false
	}
	if next.After(c.now) {
		c.now = next
	}
	c.fireLocked()
	return true
}

// fireLocked sends on every timer that is due; c.mu is held.
func (c *vclock) fireLocked() {
	for t := range c.timers {
		if t.at.After(c.now) {
			continue
		}
		select {
		case t.ch <- c.now:
		default: // a tick nobody took yet: dropped, like time.Ticker's
		}
		if t.period == 0 {
			delete(c.timers, t)
			continue
		}
		for !t.at.After(c.now) {
			t.at = t.at.Add(t.period)
		}
	}
}

// drive runs fn in a synctest bubble on c: whenever every goroutine of the
// bubble is blocked, c jumps to its earliest timer. A test whose goroutines
// all block with no timer left is a deadlock, which synctest reports.
func (c *vclock) drive(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		var finished atomic.Bool
		go func() {
			for {
				synctest.Wait()
				if finished.Load() || !c.jump() {
					return
				}
			}
		}()
		fn(t)
		finished.Store(true)
	})
}

// vtimer is a timer or, with a period, a ticker of vclock.
type vtimer struct {
	c      *vclock
	ch     chan time.Time
	at     time.Time
	period time.Duration
}

func (t *vtimer) C() <-chan time.Time { return t.ch }

func (t *vtimer) Reset(d time.Duration) {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.drain()
	t.at = t.c.now.Add(d)
	t.c.timers[t] = struct{}{}
	t.c.fireLocked()
}

func (t *vtimer) Stop() {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	delete(t.c.timers, t)
	t.drain()
}

func (t *vtimer) drain() {
	select {
	case <-t.ch:
	default:
	}
}

// TestVClock pins down the virtual clock the other tests rely on.
func TestVClock(t *testing.T) {
	t.Parallel()
	c := newVClock()
	tm := c.NewTimer(time.Second)
	tk := c.NewTicker(300 * time.Millisecond)
	pending := func(ch <-chan time.Time) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	if pending(tm.C()) || pending(tk.C()) {
		t.Fatal("fired before any time passed")
	}
	c.advance(999 * time.Millisecond)
	if pending(tm.C()) {
		t.Error("timer fired early")
	}
	if !pending(tk.C()) {
		t.Error("ticker did not tick")
	}
	c.advance(time.Millisecond)
	if !pending(tm.C()) {
		t.Error("timer did not fire on time")
	}
	tm.Reset(time.Second)
	c.advance(time.Second)
	tm.Reset(time.Minute) // drops the value nobody took
	if pending(tm.C()) {
		t.Error("Reset kept a stale value")
	}
	tm.Reset(0)
	if !pending(tm.C()) {
		t.Error("a zero timer did not fire at once")
	}
	tk.Stop()
	c.advance(time.Hour)
	if pending(tk.C()) {
		t.Error("a stopped ticker ticked")
	}
	if got := c.elapsed(); got != time.Hour+2*time.Second {
		t.Errorf("elapsed %v", got)
	}
}

// TestVClockDrive: a driven test's waits take virtual time only.
func TestVClockDrive(t *testing.T) {
	t.Parallel()
	c := newVClock()
	c.drive(t, func(t *testing.T) {
		tm := c.NewTimer(time.Hour)
		<-tm.C()
		if got := c.elapsed(); got != time.Hour {
			t.Errorf("elapsed %v after waiting an hour", got)
		}
	})
}

// TestDeadlineOnClock: withDeadline ends its context when the clock, not
// the system, reaches the deadline; a deadline already past ends it at once.
func TestDeadlineOnClock(t *testing.T) {
	t.Parallel()
	c := newVClock()
	past, cancel := withDeadline(context.Background(), c, c.after(-time.Second))
	defer cancel()
	if context.Cause(past) != context.DeadlineExceeded {
		t.Errorf("past deadline: cause %v", context.Cause(past))
	}
	c.drive(t, func(t *testing.T) {
		ctx, cancel := withDeadline(context.Background(), c, c.after(time.Minute))
		defer cancel()
		<-ctx.Done()
		if got := c.elapsed(); got != time.Minute || context.Cause(ctx) != context.DeadlineExceeded {
			t.Errorf("ended after %v with %v, want 1m0s and the deadline", got, context.Cause(ctx))
		}
	})
}

// TestNoSystemTimers: the scheduler waits on its Clock only. Apart from
// the clock's implementation, no file of the package, tests and the
// benchmark included, starts a system timer or sleeps; the benchmark,
// which needs real time, takes SystemClock's.
func TestNoSystemTimers(t *testing.T) {
	t.Parallel()
	banned := regexp.MustCompile(`\btime\.(NewTimer|NewTicker|After|AfterFunc|Tick|Sleep)\(`)
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no source files: %v", err)
	}
	for _, f := range files {
		if f == "clock.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range bytes.Split(src, []byte("\n")) {
			if m := banned.Find(line); m != nil {
				t.Errorf("%s:%d: %s outside clock.go; use the Clock", f, i+1, m)
			}
		}
	}
}
