package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

// exchange is one request of a fault scenario and what must come back.
type exchange struct {
	path       string // "trigger" or a run id such as "38"
	wantStatus int
	wantBody   string            // substring; "" skips the check
	wantHeader map[string]string // exact values
}

func TestFaults(t *testing.T) {
	t.Parallel()
	const html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
	const brokenJSON = `{"test_run": {"id": 38, "status": "runn`
	cases := []struct {
		name      string
		faults    []sim.Fault
		exchanges []exchange
		wantStats sim.Stats // compared on Errors and GroupRuns
	}{
		{
			name:   "429 with Retry-After seconds, once",
			faults: []sim.Fault{{Count: 1, Status: 429, RetryAfter: "7"}},
			exchanges: []exchange{
				{path: "trigger", wantStatus: 429, wantBody: `{"detail":"Rate limit exceeded"}`,
					wantHeader: map[string]string{"Retry-After": "7", "Content-Type": "application/json"}},
				{path: "trigger", wantStatus: 200, wantHeader: map[string]string{"Retry-After": ""}},
			},
			wantStats: sim.Stats{Errors: 1, GroupRuns: 1},
		},
		{
			name:   "503 with an HTTP-date Retry-After",
			faults: []sim.Fault{{Endpoint: sim.Trigger, Count: 1, Status: 503, RetryAfter: "Wed, 21 Oct 2025 07:28:00 GMT"}},
			exchanges: []exchange{
				{path: "trigger", wantStatus: 503, wantBody: "Service Unavailable",
					wantHeader: map[string]string{"Retry-After": "Wed, 21 Oct 2025 07:28:00 GMT"}},
				{path: "trigger", wantStatus: 200},
			},
			wantStats: sim.Stats{Errors: 1, GroupRuns: 1},
		},
		{
			name:   "count decrements to zero",
			faults: []sim.Fault{{Endpoint: sim.Trigger, Count: 2, Status: 502}},
			exchanges: []exchange{
				{path: "trigger", wantStatus: 502},
				{path: "trigger", wantStatus: 502},
				{path: "trigger", wantStatus: 200},
			},
			wantStats: sim.Stats{Errors: 2, GroupRuns: 1},
		},
		{
			name:   "forever on one run only",
			faults: []sim.Fault{{Endpoint: sim.GetRun, RunID: 39, Count: -1, Status: 500}},
			exchanges: []exchange{
				{path: "trigger", wantStatus: 200},
				{path: "39", wantStatus: 500, wantBody: "Internal Server Error"},
				{path: "38", wantStatus: 200},
				{path: "39", wantStatus: 500},
				{path: "39", wantStatus: 500},
			},
			wantStats: sim.Stats{Errors: 3, GroupRuns: 1},
		},
		{
			name:   "get-run fault leaves the trigger alone",
			faults: []sim.Fault{{Endpoint: sim.GetRun, Count: 1, Status: 504}},
			exchanges: []exchange{
				{path: "trigger", wantStatus: 200},
				{path: "38", wantStatus: 504},
				{path: "38", wantStatus: 200},
			},
			wantStats: sim.Stats{Errors: 1, GroupRuns: 1},
		},
		{
			name:   "rules match in order",
			faults: []sim.Fault{{Endpoint: sim.Trigger, Count: 1, Status: 500}, {Count: 1, Status: 503}},
			exchanges: []exchange{
				{path: "trigger", wantStatus: 500},
				{path: "trigger", wantStatus: 503},
				{path: "trigger", wantStatus: 200},
			},
			wantStats: sim.Stats{Errors: 2, GroupRuns: 1},
		},
		{
			name:   "401 and 403 faults despite a valid key",
			faults: []sim.Fault{{Count: 1, Status: 401}, {Count: 1, Status: 403}},
			exchanges: []exchange{
				{path: "trigger", wantStatus: 401, wantBody: `{"detail":"Invalid API key"}`},
				{path: "trigger", wantStatus: 403, wantBody: `{"detail":"Forbidden"}`},
			},
			wantStats: sim.Stats{Errors: 2},
		},
		{
			name:   "HTML error page from a proxy",
			faults: []sim.Fault{{Count: 1, Status: 502, Body: html, ContentType: "text/html"}},
			exchanges: []exchange{
				{path: "trigger", wantStatus: 502, wantBody: html, wantHeader: map[string]string{"Content-Type": "text/html"}},
			},
			wantStats: sim.Stats{Errors: 1},
		},
		{
			name:   "malformed JSON with status 200",
			faults: []sim.Fault{{Endpoint: sim.GetRun, Count: 1, Body: brokenJSON}},
			exchanges: []exchange{
				{path: "trigger", wantStatus: 200},
				{path: "38", wantStatus: 200, wantBody: brokenJSON, wantHeader: map[string]string{"Content-Type": "application/json"}},
			},
			wantStats: sim.Stats{Errors: 1, GroupRuns: 1},
		},
		{
			name:   "redirect",
			faults: []sim.Fault{{Count: 1, RedirectTo: "https://api.docketqa.invalid/test_group_run/trigger_run"}},
			exchanges: []exchange{
				{path: "trigger", wantStatus: 307,
					wantHeader: map[string]string{"Location": "https://api.docketqa.invalid/test_group_run/trigger_run"}},
			},
			wantStats: sim.Stats{Errors: 1},
		},
		{
			name:   "answer lost after the trigger acted",
			faults: []sim.Fault{{Endpoint: sim.Trigger, Count: 1, Status: 504, AfterProcessing: true}},
			exchanges: []exchange{
				{path: "trigger", wantStatus: 504, wantBody: "Gateway Timeout"},
				{path: "38", wantStatus: 200, wantBody: `"test_group_run_id":35`},
				{path: "trigger", wantStatus: 200, wantBody: `"test_runs":[{"id":40`},
			},
			wantStats: sim.Stats{Errors: 1, GroupRuns: 2},
		},
		{
			name:   "delay only answers normally",
			faults: []sim.Fault{{Count: 1, Delay: time.Millisecond}},
			exchanges: []exchange{
				{path: "trigger", wantStatus: 200},
			},
			wantStats: sim.Stats{GroupRuns: 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, ts := serve(t, sim.Options{Blueprints: []sim.Blueprint{{ID: 1}, {ID: 2}}, Faults: tc.faults})
			c := noRedirects(ts)
			for i, ex := range tc.exchanges {
				method, url, body := "GET", ts.URL+"/test_run/"+ex.path, ""
				if ex.path == "trigger" {
					method, url, body = "POST", ts.URL+"/test_group_run/trigger_run", triggerBody(1, 2)
				}
				r := call(t, c, method, url, testKey, body)
				if r.status != ex.wantStatus || !strings.Contains(string(r.body), ex.wantBody) {
					t.Errorf("exchange %d (%s): got %d %s, want %d containing %s",
						i, ex.path, r.status, r.body, ex.wantStatus, ex.wantBody)
				}
				for k, v := range ex.wantHeader {
					if got := r.header.Get(k); got != v {
						t.Errorf("exchange %d: %s = %q, want %q", i, k, got, v)
					}
				}
			}
			if st := s.Stats(); st.Errors != tc.wantStats.Errors || st.GroupRuns != tc.wantStats.GroupRuns {
				t.Errorf("Stats = %+v, want Errors %d, GroupRuns %d", st, tc.wantStats.Errors, tc.wantStats.GroupRuns)
			}
		})
	}
}

func TestHugeBody(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		size   int64
		status int
	}{
		{"larger than any sane limit", 5 << 20, 0},
		{"shorter than the JSON prefix", 10, 0},
		{"with an error status", 100_000, 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, ts := serve(t, sim.Options{Faults: []sim.Fault{{Count: 1, HugeBody: tc.size, Status: tc.status}}})
			r := call(t, ts.Client(), "GET", ts.URL+"/test_run/38", testKey, "")
			want := tc.status
			if want == 0 {
				want = http.StatusOK
			}
			if r.status != want || int64(len(r.body)) != tc.size {
				t.Fatalf("got status %d and %d bytes, want %d and %d", r.status, len(r.body), want, tc.size)
			}
			if !strings.HasPrefix(`{"test_run":`, string(r.body[:min(len(r.body), 12)])) {
				t.Errorf("body does not start like a run: %.40s", r.body)
			}
			if json.Valid(r.body) {
				t.Error("huge body is valid JSON; it must be truncated")
			}
		})
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault sim.Fault
		path  string
	}{
		{"trigger", sim.Fault{Endpoint: sim.Trigger, Count: 1, Reset: true}, "trigger"},
		{"get run", sim.Fault{Endpoint: sim.GetRun, Count: 1, Reset: true}, "38"},
		{"trigger after processing", sim.Fault{Endpoint: sim.Trigger, Count: 1, Reset: true, AfterProcessing: true}, "trigger"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, ts := serve(t, sim.Options{Blueprints: []sim.Blueprint{{ID: 1}}, Faults: []sim.Fault{tc.fault}})
			// A fresh connection per request: net/http silently retries a
			// GET whose reused keep-alive connection was reset.
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			if tc.path != "trigger" {
				trigger(t, ts, 1)
			}
			method, url, body := "GET", ts.URL+"/test_run/"+tc.path, ""
			if tc.path == "trigger" {
				method, url, body = "POST", ts.URL+"/test_group_run/trigger_run", triggerBody(1)
			}
			if r, err := callErr(c, method, url, testKey, body); err == nil {
				t.Fatalf("got %d %s, want a connection error", r.status, r.body)
			}
			if r := call(t, c, method, url, testKey, body); r.status != http.StatusOK {
				t.Errorf("after the reset: %d %s", r.status, r.body)
			}
			wantGroups := 1
			if tc.fault.AfterProcessing {
				wantGroups = 2
			}
			if st := s.Stats(); st.Errors != 1 || st.GroupRuns != wantGroups {
				t.Errorf("Stats = %+v, want 1 error and %d group runs", st, wantGroups)
			}
		})
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	t.Run("answers after the delay", func(t *testing.T) {
		t.Parallel()
		const delay = 20 * time.Millisecond
		// The wait is recorded, not timed: After ends it at once.
		waits := make(chan time.Duration, 2)
		after := func(d time.Duration) <-chan time.Time {
			waits <- d
			c := make(chan time.Time, 1)
			c <- time.Time{}
			return c
		}
		_, ts := serve(t, sim.Options{After: after, Faults: []sim.Fault{{Count: 1, Delay: delay, Status: 503}}})
		r := call(t, ts.Client(), "GET", ts.URL+"/test_run/38", testKey, "")
		close(waits)
		var got []time.Duration
		for d := range waits {
			got = append(got, d)
		}
		if r.status != 503 || len(got) != 1 || got[0] != delay {
			t.Errorf("got %d after waits %v, want 503 after one wait of %v", r.status, got, delay)
		}
	})
	for _, after := range []bool{false, true} {
		t.Run(fmt.Sprintf("client cancel ends the wait, after processing %v", after), func(t *testing.T) {
			t.Parallel()
			clientCancel(t, after)
		})
	}
	t.Run("cancelled request gets no answer", func(t *testing.T) {
		t.Parallel()
		// In a synctest bubble the hour-long Delay runs on virtual time:
		// a handler that ignored the cancel would answer after an hour of
		// it, which the checks below catch, and nothing really waits.
		synctest.Test(t, func(t *testing.T) {
			s := sim.New(sim.Options{APIKey: testKey, Faults: []sim.Fault{{Count: 1, Delay: time.Hour, Status: 500}}})
			ctx, cancel := context.WithCancel(context.Background())
			req := httptest.NewRequestWithContext(ctx, "GET", "/test_run/38", nil)
			rec := httptest.NewRecorder()
			start := time.Now()
			done := make(chan struct{})
			go func() {
				defer close(done)
				s.ServeHTTP(rec, req)
			}()
			cancel()
			<-done
			if waited := time.Since(start); waited != 0 {
				t.Errorf("ServeHTTP returned after %v of virtual time, want at the cancel", waited)
			}
			if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
				t.Errorf("a cancelled request was answered: %d %q", rec.Code, rec.Body)
			}
		})
	})
}

func TestHugeBodyStopsWhenClientLeaves(t *testing.T) {
	t.Parallel()
	s, ts := serve(t, sim.Options{Faults: []sim.Fault{{Count: 1, HugeBody: 1 << 40}}})
	resp, err := ts.Client().Get(ts.URL + "/test_run/38")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, resp.Body, 1<<20); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Close waits for the handler: streaming a terabyte would hang here.
	ts.Close()
	if st := s.Stats(); st.InFlight != 0 {
		t.Errorf("InFlight = %d after close", st.InFlight)
	}
}

// clientCancel lets a client give up during an hour-long Delay on a
// trigger; with AfterProcessing the group run must exist all the same.
func clientCancel(t *testing.T, afterProcessing bool) {
	s := sim.New(sim.Options{
		APIKey:     testKey,
		Blueprints: []sim.Blueprint{{ID: 1}},
		Faults:     []sim.Fault{{Count: 1, Delay: time.Hour, AfterProcessing: afterProcessing}},
	})
	// arrived tells the client when the simulator has the request, so it
	// gives up during the delay rather than before the request got there.
	arrived := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		s.ServeHTTP(w, r)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-arrived
		cancel()
	}()
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/test_group_run/trigger_run", strings.NewReader(triggerBody(1)))
	req.Header.Set("X-API-KEY", testKey)
	resp, err := ts.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want the request cancelled", resp.StatusCode)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want a cancellation", err)
	}
	// httptest.Server.Close waits for the handler, so a handler that kept
	// waiting after the client cancelled would hang this test for the
	// hour of the Delay: no stopwatch needed.
	ts.Close()
	want := sim.Stats{Triggers: 1, Errors: 1, PeakInFlight: 1}
	if afterProcessing {
		want.GroupRuns = 1
	}
	if got := s.Stats(); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}
