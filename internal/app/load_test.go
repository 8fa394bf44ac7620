package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

// TestLoadWithFaults runs 2,000 blueprints through the whole gate while the
// API answers 5% of polls with a 5xx, 2% with a 429 and drops 1% of
// connections. Nothing may be lost and the verdict must be exact: every
// scripted failure is a failure, every other run a pass, none an error.
func TestLoadWithFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: 2,000 runs")
	}
	t.Parallel()
	const runs = 2000
	failed := func(id int64) bool { return id%10 == 0 }
	// Durations spread over 0-3 s, so most runs are polled while still
	// running and meet several faults on the way.
	h := newHarness(t, sim.Options{Default: func(id int64) sim.Blueprint {
		b := sim.Blueprint{Title: fmt.Sprintf("Flow %d", id), Steps: 1 + int(id%5), Duration: time.Duration(id%100) * 30 * time.Millisecond}
		switch {
		case failed(id):
			b.Outcome = "failed"
		case id%37 == 0:
			b.Retries = 1 // a flaky pass is still a pass
		}
		return b
	}})
	c := &chaos{rng: rand.New(rand.NewPCG(4, 2000))}
	serveVia(t, h, c.serve)

	ids := make([]string, runs)
	for i := range ids {
		ids[i] = strconv.Itoa(i + 1)
	}
	start := time.Now()
	code := h.run(context.Background(), "--blueprint-ids", strings.Join(ids, ","),
		"--max-parallel", "32", "--timeout", "2m", "--poll-interval", "2ms", "--max-poll-interval", "20ms")
	elapsed := time.Since(start)
	if code != 1 {
		t.Errorf("exit %d, want 1 (some runs failed)\nstderr:\n%s", code, h.stderr.String())
	}

	validateJUnit(t, h.env["DOCKETQA_JUNIT"])
	got := h.cases()
	want := make(map[string]string, runs)
	for id := int64(1); id <= runs; id++ {
		v := "pass"
		if failed(id) {
			v = "failure:step"
		}
		want[fmt.Sprintf("Flow %d (blueprint %d)", id, id)] = v
	}
	assertVerdicts(t, got, want)
	assertEveryRunOnce(t, h, got)
	if n := len(h.sim.Runs()); n != runs {
		t.Errorf("DocketQA started %d runs, want %d", n, runs)
	}

	// The faults must really have happened, in about the intended shares,
	// or this test proves nothing.
	c.mu.Lock()
	defer c.mu.Unlock()
	t.Logf("%d runs in %v; %d polls: %d 5xx, %d 429, %d dropped", runs, elapsed, c.total, c.status5xx, c.status429, c.dropped)
	for _, f := range []struct {
		name  string
		n     int
		share float64
	}{{"5xx", c.status5xx, 0.05}, {"429", c.status429, 0.02}, {"dropped", c.dropped, 0.01}} {
		if lo, hi := int(f.share/2*float64(c.total)), int(f.share*2*float64(c.total)); f.n < lo || f.n > hi || f.n == 0 {
			t.Errorf("%d %s answers of %d polls, want about %.0f%%", f.n, f.name, c.total, f.share*100)
		}
	}
}

// chaos answers a seeded random share of polls itself, with a server error,
// a rate limit or a dropped connection, and passes the rest to the
// simulator. The trigger is left alone: its retry rules are the fault
// matrix's business, and one lost trigger would end the test at once.
type chaos struct {
	mu                                   sync.Mutex
	rng                                  *rand.Rand
	total, status5xx, status429, dropped int
}

func (c *chaos) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/test_run/") {
		next.ServeHTTP(w, r)
		return
	}
	c.mu.Lock()
	c.total++
	x := c.rng.Float64()
	status := []int{500, 502, 503, 504}[c.rng.IntN(4)]
	switch {
	case x < 0.05:
		c.status5xx++
	case x < 0.07:
		c.status429++
		status = http.StatusTooManyRequests
	case x < 0.08:
		c.dropped++
		status = 0
	default:
		status = http.StatusOK
	}
	c.mu.Unlock()
	switch status {
	case http.StatusOK:
		next.ServeHTTP(w, r)
	case 0:
		drop(w)
	default:
		http.Error(w, `{"detail":"`+http.StatusText(status)+`"}`, status)
	}
}

// drop closes the connection without an answer; linger 0 makes it a reset.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
