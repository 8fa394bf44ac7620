package app

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// testKey is obviously fake; every test checks it never shows up anywhere.
const testKey = "dqa-test-key-0000-not-a-real-secret"

// harness runs the whole binary logic against a simulator on httptest.
type harness struct {
	t      *testing.T
	dir    string
	srv    *httptest.Server
	sim    *sim.Server
	env    map[string]string
	stdout bytes.Buffer
	stderr bytes.Buffer
}

func newHarness(t *testing.T, opts sim.Options) *harness {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	s := sim.New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	return &harness{t: t, dir: dir, srv: srv, sim: s, env: map[string]string{
		"DOCKETQA_API_KEY":  testKey,
		"DOCKETQA_BASE_URL": srv.URL,
		"DOCKETQA_JUNIT":    filepath.Join(dir, "junit.xml"),
		"DOCKETQA_SUMMARY":  filepath.Join(dir, "summary.md"),
	}}
}

// fast are poll settings that keep a simulated run of tens of milliseconds
// quick to observe.
var fast = []string{"--poll-interval", "2ms", "--max-poll-interval", "10ms"}

func (h *harness) run(ctx context.Context, args ...string) int {
	h.t.Helper()
	code := Run(ctx, append(append([]string{}, fast...), args...), testutil.Getenv(h.env), &h.stdout, &h.stderr)
	h.assertNoKey()
	return code
}

// assertExit checks the exit code, the number of trigger requests and that
// stderr and stdout contain the given texts; an empty text always matches.
func (h *harness) assertExit(code, want int, triggers int64, stderr, stdout string) {
	h.t.Helper()
	if code != want {
		h.t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, h.stdout.String(), h.stderr.String())
	}
	if got := h.sim.Stats().Triggers; got != triggers {
		h.t.Errorf("trigger requests = %d, want %d", got, triggers)
	}
	if !strings.Contains(h.stderr.String(), stderr) || !strings.Contains(h.stdout.String(), stdout) {
		h.t.Errorf("want stderr to contain %q and stdout %q\nstdout:\n%s\nstderr:\n%s", stderr, stdout, h.stdout.String(), h.stderr.String())
	}
}

// assertNoKey scans every output and file for the API key.
func (h *harness) assertNoKey() {
	h.t.Helper()
	// On GitHub the first line masks the key; the runner consumes that
	// command, so it is the one place the key may stand.
	stdout := strings.TrimPrefix(h.stdout.String(), "::add-mask::"+testKey+"\n")
	for name, s := range map[string]string{"stdout": stdout, "stderr": h.stderr.String()} {
		if strings.Contains(s, testKey) {
			h.t.Errorf("%s leaks the API key:\n%s", name, s)
		}
	}
	_ = filepath.WalkDir(h.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(testKey)) {
				h.t.Errorf("%s leaks the API key", p)
			}
		}
		return nil
	})
}

// junitCase is a testcase with every element the gate may write.
type junitCase struct {
	Name    string `xml:"name,attr"`
	Failure *struct {
		Message string `xml:"message,attr"`
	} `xml:"failure"`
	Error *struct {
		Message string `xml:"message,attr"`
	} `xml:"error"`
	Skipped *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped"`
	Flaky     []struct{} `xml:"flakyFailure"`
	Reruns    []struct{} `xml:"rerunFailure"`
	SystemOut string     `xml:"system-out"`
}

// cases parses the JUnit report into name → case, failing on duplicates.
func (h *harness) cases() map[string]junitCase {
	h.t.Helper()
	b, err := os.ReadFile(h.env["DOCKETQA_JUNIT"])
	if err != nil {
		h.t.Fatalf("JUnit report missing: %v", err)
	}
	var doc struct {
		Suites []struct {
			Cases []junitCase `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		h.t.Fatalf("JUnit report is not XML: %v", err)
	}
	out := map[string]junitCase{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if _, dup := out[c.Name]; dup {
				h.t.Errorf("testcase %q appears twice", c.Name)
			}
			out[c.Name] = c
		}
	}
	return out
}

func bp(id int64, outcome string, d time.Duration) sim.Blueprint {
	return sim.Blueprint{ID: id, Title: fmt.Sprintf("Flow %d", id), Outcome: outcome, Duration: d}
}

func TestGateEndToEnd(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	cases := []struct {
		name     string
		opts     sim.Options
		args     []string
		env      map[string]string
		want     int
		triggers int64
		verdicts map[string]string // case name → "pass" | "failure" | "error" (substring of message)
		stderr   string
		stdout   string
	}{
		{
			name: "all pass", want: 0, triggers: 1,
			opts:     sim.Options{Blueprints: []sim.Blueprint{bp(1, "", 20*ms), bp(2, "", 30*ms), bp(3, "", 10*ms)}},
			args:     []string{"--blueprint-ids", "1,2,3"},
			verdicts: map[string]string{"Flow 1 (blueprint 1)": "pass", "Flow 2 (blueprint 2)": "pass", "Flow 3 (blueprint 3)": "pass"},
			stdout:   "verdict: passed: 3 passed, 0 failed, 0 without verdict",
		},
		{
			name: "one failure", want: 1, triggers: 1,
			opts:     sim.Options{Blueprints: []sim.Blueprint{bp(1, "", 20*ms), {ID: 2, Title: "Pay", Outcome: "failed", Steps: 4, FailStep: 2, Duration: 20 * ms}}},
			args:     []string{"--blueprint-ids", "1 2"},
			verdicts: map[string]string{"Flow 1 (blueprint 1)": "pass", "Pay (blueprint 2)": "failure:step 2"},
			stdout:   "verdict: failed: 1 passed, 1 failed",
		},
		{
			name: "bad ids", want: 2, triggers: 0,
			args:   []string{"--blueprint-ids", "1,abc"},
			stderr: "abc",
		},
		{
			name: "missing key", want: 2, triggers: 0,
			env:    map[string]string{"DOCKETQA_API_KEY": ""},
			args:   []string{"--blueprint-ids", "1"},
			stderr: "DOCKETQA_API_KEY",
		},
		{
			name: "wrong key", want: 3, triggers: 1,
			opts:     sim.Options{APIKey: "some-other-key-entirely", Blueprints: []sim.Blueprint{bp(1, "", ms)}},
			args:     []string{"--blueprint-ids", "1"},
			verdicts: map[string]string{"blueprint 1": "error:not triggered"},
			stderr:   "API key",
		},
		{
			name: "429 then success", want: 0, triggers: 2,
			opts: sim.Options{Blueprints: []sim.Blueprint{bp(1, "", 10*ms)}, Faults: []sim.Fault{
				{Endpoint: sim.Trigger, Count: 1, Status: 429, RetryAfter: "0"},
				{Endpoint: sim.GetRun, Count: 2, Status: 429, RetryAfter: "0"},
			}},
			args:     []string{"--blueprint-ids", "1"},
			verdicts: map[string]string{"Flow 1 (blueprint 1)": "pass"},
		},
		{
			name: "5xx then success", want: 0, triggers: 1,
			opts: sim.Options{Blueprints: []sim.Blueprint{bp(1, "", 10*ms)}, Faults: []sim.Fault{
				{Endpoint: sim.GetRun, Count: 1, Status: 500},
				{Endpoint: sim.GetRun, Count: 1, Status: 502},
				{Endpoint: sim.GetRun, Count: 1, Status: 503},
				{Endpoint: sim.GetRun, Count: 1, Status: 504},
			}},
			args:     []string{"--blueprint-ids", "1"},
			verdicts: map[string]string{"Flow 1 (blueprint 1)": "pass"},
		},
		{
			name: "never finishes", want: 3, triggers: 1,
			opts:     sim.Options{Blueprints: []sim.Blueprint{bp(1, "", time.Hour), bp(2, "", 5*ms)}},
			args:     []string{"--blueprint-ids", "1,2", "--timeout", "150ms"},
			verdicts: map[string]string{"Flow 1 (blueprint 1)": "error:no result within 150ms; last status running", "Flow 2 (blueprint 2)": "pass"},
			stderr:   "deadline of 150ms passed",
		},
		{
			name: "missing run in trigger answer", want: 3, triggers: 1,
			opts:     sim.Options{Blueprints: []sim.Blueprint{bp(1, "", 5*ms), {ID: 2, Omit: true}}},
			args:     []string{"--blueprint-ids", "1,2"},
			verdicts: map[string]string{"Flow 1 (blueprint 1)": "pass", "blueprint 2": "error:started no run"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tc.opts)
			for k, v := range tc.env {
				h.env[k] = v
			}
			code := h.run(context.Background(), tc.args...)
			h.assertExit(code, tc.want, tc.triggers, tc.stderr, tc.stdout)
			if tc.want == 2 {
				// Nothing ran, but CI test views must show why: one
				// error case that carries the configuration problem.
				c := h.cases()
				if len(c) != 1 {
					t.Fatalf("a usage error must write one error case, got %v", c)
				}
				for _, tcase := range c {
					if tcase.Error == nil || !strings.Contains(tcase.Error.Message, tc.stderr) {
						t.Errorf("the error case should carry %q: %+v", tc.stderr, tcase)
					}
				}
				return
			}
			assertVerdicts(t, h.cases(), tc.verdicts)
			if sum, err := os.ReadFile(h.env["DOCKETQA_SUMMARY"]); err != nil || !strings.Contains(string(sum), "DocketQA") {
				t.Errorf("summary missing or empty: %v", err)
			}
		})
	}
}

func TestGateInterruptedWritesReports(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{bp(1, "", time.Hour), bp(2, "", time.Millisecond)}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once run 1 has been polled, from the simulator's side, so
	// polling is surely under way and nothing waits or sleeps to see it.
	var once sync.Once
	serveVia(t, h, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		next.ServeHTTP(w, r)
		if r.Method == http.MethodGet && polled(h.sim, 1) {
			once.Do(cancel)
		}
	})
	// No stopwatch: run 1 lasts an hour, so a gate that ignored the
	// cancel would hang this test; the root's signal_test.go measures the real
	// binary's exit after a signal.
	code := h.run(ctx, "--blueprint-ids", "1,2")
	if !polled(h.sim, 1) {
		t.Fatal("run 1 was never polled")
	}
	if code != 3 {
		t.Errorf("exit %d, want 3", code)
	}
	c := h.cases()
	if e := c["Flow 1 (blueprint 1)"].Error; e == nil || !strings.Contains(e.Message, "interrupted") {
		t.Errorf("run 1 should be an interrupted error: %+v", c)
	}
	if !strings.Contains(h.stderr.String(), "runs continue there") {
		t.Errorf("stderr should say the runs continue on DocketQA:\n%s", h.stderr.String())
	}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"--help"}, func(string) string { return "" }, &out, &errb); code != 0 {
		t.Fatalf("--help exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"--blueprint-ids", "DOCKETQA_API_KEY", "--timeout", "exit"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	out.Reset()
	if code := Run(context.Background(), []string{"--version"}, func(string) string { return "" }, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "docketqa-gate ") {
		t.Errorf("--version: exit %d, %q", code, out.String())
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		want     int
	}{{"pass", 0}, {"fail", 1}} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var out, errb bytes.Buffer
			getenv := func(string) string { return "" }
			code := Run(context.Background(), []string{"--demo", "--demo-scenario", tc.scenario, "--junit", filepath.Join(dir, "j.xml")}, getenv, &out, &errb)
			if code != tc.want {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.want, out.String(), errb.String())
			}
			if strings.Contains(out.String(), "demo-") {
				t.Error("the demo key must not be printed")
			}
		})
	}
}

// polled reports whether the simulator answered a GET for blueprint id's run.
func polled(s *sim.Server, id int64) bool {
	for _, r := range s.Runs() {
		if r.BlueprintID == id && r.Gets > 0 {
			return true
		}
	}
	return false
}
