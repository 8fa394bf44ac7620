package poll

import (
	"context"
	"sync"
	"time"
)

// Clock is the scheduler's time: what it reads as now, and the timers and
// tickers it waits on. Options.Clock injects it; tests pass a virtual one,
// so that no unit test of the scheduler waits on, or asserts, real time.
// This file is the only place in the package that touches the system's
// timers (a test greps the package for it).
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that fires once, d from now.
	NewTimer(d time.Duration) Timer
	// NewTicker returns a ticker that fires every d, d > 0.
	NewTicker(d time.Duration) Ticker
}

// Timer is a time.Timer behind Clock. As with time.Timer since Go 1.23,
// Reset and Stop discard a value the timer sent but nobody received, so a
// Reset needs no Stop-and-drain before it.
type Timer interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

// Ticker is a time.Ticker behind Clock.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// SystemClock is the real clock: time.Now and the runtime's timers.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer returns a time.Timer.
func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

// NewTicker returns a time.Ticker.
func (SystemClock) NewTicker(d time.Duration) Ticker { return sysTicker{time.NewTicker(d)} }

type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time   { return s.t.C }
func (s sysTimer) Reset(d time.Duration) { s.t.Reset(d) }
func (s sysTimer) Stop()                 { s.t.Stop() }

type sysTicker struct{ t *time.Ticker }

func (s sysTicker) C() <-chan time.Time { return s.t.C }
func (s sysTicker) Stop()               { s.t.Stop() }

// withDeadline is context.WithDeadline on clock rather than on the system's
// timers: the context is cancelled when clock reaches deadline, at once if
// it already has. Its error is then context.Canceled, with
// context.DeadlineExceeded as the cause.
func withDeadline(ctx context.Context, clock Clock, deadline time.Time) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	d := deadline.Sub(clock.Now())
	if d <= 0 {
		cancel(context.DeadlineExceeded)
		return ctx, func() {}
	}
	t := clock.NewTimer(d)
	stop := make(chan struct{})
	go func() {
		defer t.Stop()
		select {
		case <-t.C():
			cancel(context.DeadlineExceeded)
		case <-stop:
		case <-ctx.Done():
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() { close(stop) })
		cancel(context.Canceled)
	}
}
