package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/config"
	"github.com/docketqa-gate/docketqa-gate/internal/sim"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// faultRow is one row of the fault matrix: a misbehaving DocketQA and what
// the gate must make of it.
type faultRow struct {
	name string
	opts sim.Options
	args []string
	// setup runs before the gate: extra files, env or a wrapped API.
	setup func(t *testing.T, h *harness)
	// run replaces a plain h.run, for rows that act while the gate runs.
	run      func(t *testing.T, h *harness, args []string) int
	want     int
	triggers int64
	// verdicts maps every JUnit testcase to "pass", "failure:<substring>"
	// or "error:<substring>" of its message.
	verdicts map[string]string
	stderr   string
	stdout   string
	// noJUnit marks rows that make the JUnit path unwritable.
	noJUnit bool
	// redirectOn adds a rule redirecting every request of that endpoint to
	// another host that records what it receives.
	redirectOn *sim.Endpoint
	// needs names a setting the row needs; it skips until config has it.
	needs string
	check func(t *testing.T, h *harness)
}

const (
	flow1 = "Flow 1 (blueprint 1)"
	flow2 = "Flow 2 (blueprint 2)"
)

func endpoint(e sim.Endpoint) *sim.Endpoint { return &e }

// faultRows is the matrix of issue "a gate you can trust". Durations are
// milliseconds, so the whole table runs in a few seconds; the only waits
// of a second or more are Retry-After and the trigger's own backoff, which
// have one-second resolution.
func faultRows() []faultRow {
	ms := time.Millisecond
	one := []sim.Blueprint{bp(1, "", 5*ms)}
	two := []sim.Blueprint{bp(1, "", 5*ms), bp(2, "", 5*ms)}
	ids1 := []string{"--blueprint-ids", "1"}
	ids12 := []string{"--blueprint-ids", "1,2"}
	short := func(args ...string) []string { return append([]string{"--timeout", "300ms"}, args...) }
	pass1 := map[string]string{flow1: "pass"}
	getFault := func(f sim.Fault) sim.Options {
		f.Endpoint = sim.GetRun
		return sim.Options{Blueprints: one, Faults: []sim.Fault{f}}
	}
	trigFault := func(f sim.Fault) sim.Options {
		f.Endpoint = sim.Trigger
		return sim.Options{Blueprints: one, Faults: []sim.Fault{f}}
	}
	gets := func(want int64) func(t *testing.T, h *harness) {
		return func(t *testing.T, h *harness) {
			if got := h.sim.Stats().Gets; got != want {
				t.Errorf("GET requests = %d, want %d", got, want)
			}
		}
	}
	html := `<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>`

	return []faultRow{
		// Rate limits: Retry-After in both forms is honoured, and never
		// past the deadline.
		// The gate's choice of wait, from its debug log, not the wall
		// clock: that the scheduler then waits what it chose is a unit
		// test of package poll on virtual time.
		{name: "429 with Retry-After seconds", want: 0, triggers: 1, args: append(ids1, "--debug"), verdicts: pass1,
			opts: getFault(sim.Fault{Count: 1, Status: 429, RetryAfter: "1"}),
			check: func(t *testing.T, h *harness) {
				if out := h.stdout.String() + h.stderr.String(); !strings.Contains(out, "in 1s (API error, Retry-After 1s") {
					t.Errorf("Retry-After: 1 was not honoured; debug log:\n%s", out)
				}
				gets(2)(t, h)
			}},
		{name: "429 with Retry-After HTTP date, capped by the deadline", want: 0, triggers: 1, args: short(ids1...), verdicts: pass1,
			opts: getFault(sim.Fault{Count: 1, Status: 429, RetryAfter: time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}),
			// No poll between the 429 and the deadline, then the final
			// fetch finds the pass.
			check: gets(2)},
		// A day's Retry-After: a gate held past its deadline would
		// hang this test (go test's -timeout), no clock needed.
		{name: "429 until past the deadline", want: 3, triggers: 1, args: short(ids1...),
			opts:     getFault(sim.Fault{Count: -1, Status: 429, RetryAfter: "86400"}),
			verdicts: map[string]string{flow1: "error:no result within 300ms"}, stderr: "deadline of 300ms passed"},

		// Transient server errors are retried; an API that stays down
		// never yields a pass.
		{name: "500/502/503/504 bursts", want: 0, triggers: 1, args: ids1, verdicts: pass1,
			opts: sim.Options{Blueprints: one, Faults: []sim.Fault{
				{Endpoint: sim.GetRun, Count: 3, Status: 500},
				{Endpoint: sim.GetRun, Count: 3, Status: 502},
				{Endpoint: sim.GetRun, Count: 3, Status: 503},
				{Endpoint: sim.GetRun, Count: 3, Status: 504},
			}},
			check: gets(13)},
		{name: "408 burst", want: 0, triggers: 1, args: ids1, verdicts: pass1,
			opts: getFault(sim.Fault{Count: 2, Status: 408}), check: gets(3)},
		{name: "503 forever (API down)", want: 3, triggers: 1, args: short(ids1...),
			opts:     getFault(sim.Fault{Count: -1, Status: 503}),
			verdicts: map[string]string{flow1: "error:no result within 300ms"}, stderr: "deadline of 300ms passed"},

		// Network trouble. Go's transport silently retries a GET whose
		// reused connection was reset, so four resets in a row make sure
		// some reach the client.
		{name: "connection reset burst", want: 0, triggers: 1, args: ids1, verdicts: pass1,
			opts: getFault(sim.Fault{Count: 4, Reset: true}),
			check: func(t *testing.T, h *harness) {
				if got := h.sim.Stats().Errors; got != 4 {
					t.Errorf("%d faulted requests, want all 4 resets used", got)
				}
			}},
		{name: "connection reset forever", want: 3, triggers: 1, args: short(ids1...),
			opts:     getFault(sim.Fault{Count: -1, Reset: true}),
			verdicts: map[string]string{flow1: "error:no result within 300ms"}},
		// Answers held for an hour: a gate that waited for them would
		// hang this test rather than pass it late.
		{name: "slow answer cut by the deadline, final fetch finds the pass", want: 0, triggers: 1, args: short(ids1...), verdicts: pass1,
			opts: getFault(sim.Fault{Count: 1, Delay: time.Hour}), check: gets(2)},
		{name: "slow answer past the per-request timeout", needs: "request-timeout", want: 0, triggers: 1, verdicts: pass1,
			args: []string{"--blueprint-ids", "1", "--request-timeout", "50ms", "--timeout", "20s"},
			opts: getFault(sim.Fault{Count: 1, Delay: time.Hour})},
		{name: "API unreachable (connection refused)", want: 3, triggers: 0, args: []string{"--blueprint-ids", "1", "--timeout", "2s"},
			opts:     sim.Options{Blueprints: one},
			setup:    func(t *testing.T, h *harness) { h.env["DOCKETQA_BASE_URL"] = "http://" + closedPort(t) },
			verdicts: map[string]string{"blueprint 1": "error:not triggered"}, stderr: "refused"},

		// Answers that are not the documented JSON never pass.
		{name: "malformed JSON burst", want: 0, triggers: 1, args: ids1, verdicts: pass1,
			opts: getFault(sim.Fault{Count: 3, Body: `{"test_run":{"id":38,`})},
		{name: "malformed JSON forever", want: 3, triggers: 1, args: ids1,
			opts:     getFault(sim.Fault{Count: -1, Body: `{"test_run":{"id":38,"status":"pass`}),
			verdicts: map[string]string{flow1: "error:unreadable answers"}},
		{name: "HTML error page burst (502)", want: 0, triggers: 1, args: ids1, verdicts: pass1,
			opts: getFault(sim.Fault{Count: 3, Status: 502, Body: html, ContentType: "text/html"})},
		{name: "HTML page with 200 echoing the key", want: 3, triggers: 1, args: ids1,
			opts:     getFault(sim.Fault{Count: -1, Body: "<html><body>Signed in with " + testKey + "</body></html>", ContentType: "text/html"}),
			verdicts: map[string]string{flow1: "error:unreadable answers"}},
		{name: "body larger than the limit", want: 3, triggers: 1, args: ids1,
			opts:     getFault(sim.Fault{Count: -1, HugeBody: 9 << 20}),
			verdicts: map[string]string{flow1: "error:answer larger than"}},
		{name: "unknown status word", want: 1, triggers: 1, args: ids1,
			opts:     sim.Options{Blueprints: []sim.Blueprint{bp(1, "exploded", 5*ms)}},
			verdicts: map[string]string{flow1: "failure:exploded"}},
		{name: "null status", want: 3, triggers: 1, args: ids1,
			opts:     sim.Options{Blueprints: []sim.Blueprint{{ID: 1, Title: "Flow 1", Duration: 5 * ms, NullStatus: true}}},
			verdicts: map[string]string{flow1: "error:missing or null"}},
		{name: "missing status field", want: 3, triggers: 1, args: ids1,
			opts:     getFault(sim.Fault{Count: -1, Body: `{"test_run":{"id":38,"test_blueprint_id":1,"results":[]}}`}),
			verdicts: map[string]string{flow1: "error:missing or null"}},
		{name: "string ids", want: 1, triggers: 1, args: ids12,
			opts:     sim.Options{StringIDs: true, Blueprints: []sim.Blueprint{bp(1, "", 5*ms), bp(2, "failed", 5*ms)}},
			verdicts: map[string]string{flow1: "pass", flow2: "failure:step 3"}},

		// The key is refused: stop at once, name the setting.
		{name: "401 on trigger", want: 3, triggers: 1, args: ids1,
			opts:     trigFault(sim.Fault{Count: -1, Status: 401}),
			verdicts: map[string]string{"blueprint 1": "error:not triggered"}, stderr: "DOCKETQA_API_KEY"},
		{name: "401 while polling", want: 3, triggers: 1, args: ids12,
			opts:     sim.Options{Blueprints: two, Faults: []sim.Fault{{Endpoint: sim.GetRun, Count: -1, Status: 401}}},
			verdicts: map[string]string{flow1: "error:refused the API key", flow2: "error:refused the API key"}, stderr: "DOCKETQA_API_KEY"},
		{name: "403 while polling", want: 3, triggers: 1, args: ids12,
			opts:     sim.Options{Blueprints: two, Faults: []sim.Fault{{Endpoint: sim.GetRun, Count: -1, Status: 403}}},
			verdicts: map[string]string{flow1: "error:refused the API key", flow2: "error:refused the API key"}, stderr: "DOCKETQA_API_KEY"},
		{name: "400 while polling is not retried", want: 3, triggers: 1, args: ids1,
			opts:     getFault(sim.Fault{Count: -1, Status: 400}),
			verdicts: map[string]string{flow1: "error:HTTP 400"}, check: gets(1)},
		{name: "key echoed in an error answer", want: 3, triggers: 1, args: ids1,
			opts:     trigFault(sim.Fault{Count: -1, Status: 401, Body: `{"detail":"invalid API key ` + testKey + `"}`}),
			verdicts: map[string]string{"blueprint 1": "error:[redacted]"}},

		// A run the trigger just returned may lag behind on GET.
		{name: "404 grace period, then found", want: 0, triggers: 1, args: ids1, verdicts: pass1,
			opts: getFault(sim.Fault{Count: 3, Status: 404}), check: gets(4)},
		{name: "404 for the whole deadline", want: 3, triggers: 1, args: short(ids1...),
			opts:     getFault(sim.Fault{Count: -1, Status: 404}),
			verdicts: map[string]string{flow1: "error:no result within 300ms"}},
		{name: "404 past the grace period", needs: "not-found-grace", want: 3, triggers: 1,
			args:     []string{"--blueprint-ids", "1", "--not-found-grace", "50ms", "--timeout", "20s"},
			opts:     getFault(sim.Fault{Count: -1, Status: 404}),
			verdicts: map[string]string{flow1: "error:does not know test run"}},

		// Redirects never take the key to another host.
		{name: "cross-host redirect while polling", want: 3, triggers: 1, args: ids1,
			opts: sim.Options{Blueprints: one}, redirectOn: endpoint(sim.GetRun),
			verdicts: map[string]string{flow1: "error:refused to follow a redirect"}},
		{name: "cross-host redirect on trigger", want: 3, triggers: 1, args: ids1,
			opts: sim.Options{Blueprints: one}, redirectOn: endpoint(sim.Trigger),
			verdicts: map[string]string{"blueprint 1": "error:refused to follow a redirect"}},

		// Runs that cannot be awaited are errors, never silently dropped.
		{name: "fewer runs than requested", want: 3, triggers: 1, args: ids12,
			opts:     sim.Options{Blueprints: []sim.Blueprint{bp(1, "", 5*ms), {ID: 2, Omit: true}}},
			verdicts: map[string]string{flow1: "pass", "blueprint 2": "error:started no run"}},
		{name: "unknown blueprint id", want: 3, triggers: 1, args: []string{"--blueprint-ids", "1,99"},
			opts:     sim.Options{Blueprints: one},
			verdicts: map[string]string{flow1: "pass", "blueprint 99": "error:started no run"}},
		{name: "deadline with one run still running", want: 3, triggers: 1, args: short(ids12...),
			opts:     sim.Options{Blueprints: []sim.Blueprint{bp(1, "", time.Hour), bp(2, "", 5*ms)}},
			verdicts: map[string]string{flow1: "error:no result within 300ms; last status running", flow2: "pass"},
			stderr:   "deadline of 300ms passed"},

		// SIGTERM (or SIGINT): stop at once, write reports, exit 3.
		{name: "SIGTERM while polling", want: 3, triggers: 1, args: ids12,
			opts:     sim.Options{Blueprints: []sim.Blueprint{bp(1, "", time.Hour), bp(2, "", time.Hour)}},
			run:      interruptAfterFirstPoll,
			verdicts: map[string]string{flow1: "error:interrupted", flow2: "error:interrupted"},
			stderr:   "runs continue there"},

		// The trigger is not idempotent.
		{name: "reset mid-trigger", want: 3, triggers: 1, args: ids1,
			opts:     trigFault(sim.Fault{Count: 1, Reset: true, AfterProcessing: true}),
			verdicts: map[string]string{"blueprint 1": "error:check the DocketQA dashboard"},
			stderr:   "check the DocketQA dashboard", check: groupRuns(1)},
		{name: "timeout mid-trigger", want: 3, triggers: 1, args: short(ids1...),
			opts:     trigFault(sim.Fault{Count: 1, Delay: 10 * time.Second, AfterProcessing: true}),
			verdicts: map[string]string{"blueprint 1": "error:check the DocketQA dashboard"},
			stderr:   "check the DocketQA dashboard", check: groupRuns(1)},
		{name: "huge answer to the trigger", want: 3, triggers: 1, args: ids1,
			opts:     trigFault(sim.Fault{Count: 1, HugeBody: 3 << 20, AfterProcessing: true}),
			verdicts: map[string]string{"blueprint 1": "error:check the DocketQA dashboard"},
			stderr:   "check the DocketQA dashboard", check: groupRuns(1)},
		{name: "503 with Retry-After on trigger is retried", want: 0, triggers: 2, args: ids1, verdicts: pass1,
			opts: trigFault(sim.Fault{Count: 1, Status: 503, RetryAfter: "1"}), check: groupRuns(1)},
		{name: "429 on trigger is retried", want: 0, triggers: 2, args: ids1, verdicts: pass1,
			opts: trigFault(sim.Fault{Count: 1, Status: 429, RetryAfter: "0"}), check: groupRuns(1)},
		// A day's Retry-After: waiting for it would hang this test.
		{name: "429 on trigger with Retry-After past the deadline", want: 3, triggers: 1, args: []string{"--blueprint-ids", "1", "--timeout", "5s"},
			opts:     trigFault(sim.Fault{Count: -1, Status: 429, RetryAfter: "86400"}),
			verdicts: map[string]string{"blueprint 1": "error:past the deadline"}},
		{name: "502 on trigger is not retried", want: 3, triggers: 1, args: ids1,
			opts:     trigFault(sim.Fault{Count: -1, Status: 502}),
			verdicts: map[string]string{"blueprint 1": "error:HTTP 502"}, check: groupRuns(0)},
		{name: "503 without Retry-After on trigger is not retried", want: 3, triggers: 1, args: ids1,
			opts:     trigFault(sim.Fault{Count: -1, Status: 503}),
			verdicts: map[string]string{"blueprint 1": "error:HTTP 503"}, check: groupRuns(0)},
	}
}

func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	for _, tc := range faultRows() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.needs != "" && !hasSetting(tc.needs) {
				t.Skipf("needs lead fix: a --%s setting passed to the client/poller", tc.needs)
			}
			var redirected *headerLog
			if tc.redirectOn != nil {
				redirected = newHeaderLog(t)
				tc.opts.Faults = append(tc.opts.Faults, sim.Fault{Endpoint: *tc.redirectOn, Count: -1, RedirectTo: redirected.url + "/elsewhere"})
			}
			h := newHarness(t, tc.opts)
			if tc.setup != nil {
				tc.setup(t, h)
			}
			args := append([]string{"--timeout", "20s"}, tc.args...)
			var code int
			if tc.run != nil {
				code = tc.run(t, h, args)
			} else {
				code = h.run(context.Background(), args...)
			}
			h.assertExit(code, tc.want, tc.triggers, tc.stderr, tc.stdout)
			if !strings.Contains(h.stdout.String(), "verdict: ") {
				t.Errorf("no verdict line on stdout:\n%s", h.stdout.String())
			}
			if !tc.noJUnit {
				validateJUnit(t, h.env["DOCKETQA_JUNIT"])
				got := h.cases()
				assertVerdicts(t, got, tc.verdicts)
				assertEveryRunOnce(t, h, got)
			} else if _, err := os.Stat(h.env["DOCKETQA_JUNIT"]); err == nil {
				t.Error("the JUnit path was meant to be unwritable")
			}
			if redirected != nil {
				redirected.assertNoKey(t)
			}
			if tc.check != nil {
				tc.check(t, h)
			}
		})
	}
}

// interruptAfterFirstPoll cancels the gate's context, as main does on
// SIGTERM, right after the simulator answered the first poll. That the
// gate then stops promptly is not measured here: the runs it polls last
// an hour, so a gate that kept polling would hang this test, and how
// quickly the real binary exits after a signal is measured end to end in
// the root's signal_test.go.
func interruptAfterFirstPoll(t *testing.T, h *harness, args []string) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled atomic.Bool
	var once sync.Once
	serveVia(t, h, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		next.ServeHTTP(w, r)
		if r.Method == http.MethodGet {
			once.Do(func() {
				cancelled.Store(true)
				cancel()
			})
		}
	})
	code := h.run(ctx, args...)
	if !cancelled.Load() {
		t.Fatal("the gate never polled")
	}
	return code
}

// serveVia puts mw in front of the simulator, for rows that observe or
// steer individual requests.
func serveVia(t *testing.T, h *harness, mw func(w http.ResponseWriter, r *http.Request, next http.Handler)) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mw(w, r, h.sim) }))
	t.Cleanup(srv.Close)
	h.env["DOCKETQA_BASE_URL"] = srv.URL
}

// headerLog is another host, reached as localhost while the API is
// 127.0.0.1, that records every request it gets.
type headerLog struct {
	url  string
	mu   sync.Mutex
	reqs []http.Header
}

func newHeaderLog(t *testing.T) *headerLog {
	t.Helper()
	l := &headerLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.reqs = append(l.reqs, r.Header.Clone())
		l.mu.Unlock()
		_, _ = w.Write([]byte(`{"test_run":{"id":38,"status":"passed"}}`))
	}))
	t.Cleanup(srv.Close)
	l.url = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	return l
}

func (l *headerLog) assertNoKey(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, hdr := range l.reqs {
		for name, vals := range hdr {
			if slices.ContainsFunc(vals, func(v string) bool { return strings.Contains(v, testKey) }) {
				t.Errorf("the API key reached the other host in header %s", name)
			}
		}
	}
}

func groupRuns(want int) func(t *testing.T, h *harness) {
	return func(t *testing.T, h *harness) {
		if got := h.sim.Stats().GroupRuns; got != want {
			t.Errorf("DocketQA holds %d group runs, want %d", got, want)
		}
	}
}

// assertVerdicts compares the JUnit testcases with want, which must list
// every one of them.
func assertVerdicts(t *testing.T, got map[string]junitCase, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d testcases, want %d: %+v", len(got), len(want), got)
	}
	for name, w := range want {
		c, ok := got[name]
		if !ok {
			t.Errorf("no testcase %q in %+v", name, got)
			continue
		}
		kind, msg, _ := strings.Cut(w, ":")
		switch {
		case kind == "pass" && (c.Failure != nil || c.Error != nil || c.Skipped != nil):
			t.Errorf("%s: want a pass, got %+v", name, c)
		case kind == "failure" && (c.Failure == nil || c.Error != nil || !strings.Contains(c.Failure.Message, msg)):
			t.Errorf("%s: want a failure with %q, got %+v", name, msg, c)
		case kind == "error" && (c.Error == nil || c.Failure != nil || !strings.Contains(c.Error.Message, msg)):
			t.Errorf("%s: want an error with %q, got %+v", name, msg, c)
		}
	}
}

// assertEveryRunOnce checks that every test run DocketQA started appears in
// the JUnit report exactly once, whatever the gate learned about it.
func assertEveryRunOnce(t *testing.T, h *harness, got map[string]junitCase) {
	t.Helper()
	for _, r := range h.sim.Runs() {
		bare, titled := fmt.Sprintf("blueprint %d", r.BlueprintID), fmt.Sprintf("(blueprint %d)", r.BlueprintID)
		n := 0
		for name := range got {
			if name == bare || strings.HasSuffix(name, titled) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("test run %d (blueprint %d) appears %d times in the JUnit report, want once", r.RunID, r.BlueprintID, n)
		}
	}
}

// validateJUnit checks the report file against the JUnit schema.
func validateJUnit(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the JUnit report: %v", err)
	}
	testutil.ValidateJUnit(t, b)
}

// regularFile creates a plain file, below which nothing can be created.
func regularFile(t *testing.T, h *harness) string {
	t.Helper()
	p := filepath.Join(h.dir, "not-a-directory")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatal(err)
	}
	return addr
}

// hasSetting reports whether the gate has a setting of that name yet.
func hasSetting(name string) bool {
	return slices.ContainsFunc(config.Settings(), func(s config.Setting) bool { return s.Name == name })
}

// TestUnwritableReportRefusedBeforeTrigger: a report path the gate cannot
// write (its parent is a file) is a configuration error before anything
// is triggered (exit 2, no paid run), naming the setting, and the reports
// that can be written still say so. A report that fails later, after the
// runs, is exit 3 (TestGitHubActionWithoutFileCommands).
func TestUnwritableReportRefusedBeforeTrigger(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"DOCKETQA_JUNIT", "DOCKETQA_SUMMARY", "DOCKETQA_RESULTS_JSON", "DOCKETQA_DOTENV"} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{bp(1, "", time.Millisecond)}})
			h.env[env] = filepath.Join(regularFile(t, h), "report")
			code := h.run(context.Background(), "--blueprint-ids", "1")
			h.assertExit(code, 2, 0, "cannot be written", "")
			if !strings.Contains(h.stderr.String(), h.env[env]) {
				t.Errorf("the refusal does not name the path:\n%s", h.stderr.String())
			}
			if env != "DOCKETQA_JUNIT" {
				validateJUnit(t, h.env["DOCKETQA_JUNIT"])
			}
		})
	}
}
