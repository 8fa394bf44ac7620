package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

// TestFirstHour drives the whole gate through the mistakes and policies a
// new user meets in the first hour, each checked where that user looks:
// the exit code, the log lines, the GitHub annotations and outputs, and
// the reports.
func TestFirstHour(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	github := func(h *harness) {
		h.env["GITHUB_ACTIONS"] = "true"
		h.env["GITHUB_OUTPUT"] = filepath.Join(h.dir, "github_output")
	}
	cases := []struct {
		name     string
		bps      []sim.Blueprint
		simKey   string
		setup    func(h *harness)
		args     []string
		want     int
		triggers int64
		// stdout and stderr must contain each of these; absent must appear
		// in neither.
		stdout, stderr []string
		absent         []string
		// count maps a text to how often it must appear in stdout+stderr.
		count map[string]int
		check func(t *testing.T, h *harness)
	}{
		{
			name: "configuration error on GitHub: mask first, one annotation, a JUnit error case", setup: github,
			args: []string{"--blueprint-ids", "0"}, want: 2,
			count: map[string]int{"::error title=docketqa-gate configuration::": 1, "--help": 1},
			check: func(t *testing.T, h *harness) {
				if first, _, _ := strings.Cut(h.stdout.String(), "\n"); first != "::add-mask::"+testKey {
					t.Errorf("first line %q, want the mask", first)
				}
				c := h.cases()
				if len(c) != 1 {
					t.Fatalf("cases = %v", c)
				}
				for _, tc := range c {
					if tc.Error == nil || !strings.Contains(tc.Error.Message, "blueprint") {
						t.Errorf("JUnit error case %+v does not carry the problem", tc)
					}
				}
			},
		},
		{
			name: "a failed trigger is said once, with what to check", setup: github,
			bps:  []sim.Blueprint{bp(1, "", ms), bp(2, "", ms), bp(3, "", ms)},
			args: []string{"--blueprint-ids", "1,2,3", "--base-url", "http://" + "CLOSED", "--timeout", "2s"}, want: 3,
			stderr: []string{"check --base-url / DOCKETQA_BASE_URL, DNS, the proxy variables", "docketqa-gate: trigger attempt 2 of 5 in 1s: "},
			count:  map[string]int{"trigger failed for 3 blueprints": 2, "::error ": 1},
		},
		{
			name: "fail-fast: not awaited everywhere, never an error", setup: github,
			bps:  []sim.Blueprint{bp(1, "failed", 5*ms), bp(2, "", time.Hour), bp(3, "", time.Hour)},
			args: []string{"--blueprint-ids", "1,2,3", "--fail-fast"}, want: 1, triggers: 1,
			stdout: []string{"0 without verdict, 2 not awaited", "::notice::2 runs not awaited"},
			count:  map[string]int{"::error ": 1},
			check: func(t *testing.T, h *harness) {
				outs := parseFileCommand(t, h.env["GITHUB_OUTPUT"])
				if outs["errors"] != "0" || outs["not-awaited"] != "2" || outs["failed"] != "1" {
					t.Errorf("outputs = %v", outs)
				}
				for _, name := range []string{"Flow 2 (blueprint 2)", "Flow 3 (blueprint 3)"} {
					if c := h.cases()[name]; c.Skipped == nil || c.Error != nil {
						t.Errorf("%s in JUnit: %+v, want skipped", name, c)
					}
				}
			},
		},
		{
			name: "a bare --timeout below a minute is explained, and the first line names the deadline",
			bps:  []sim.Blueprint{bp(1, "", ms)},
			args: []string{"--blueprint-ids", "1", "--timeout", "30"}, want: 0, triggers: 1,
			stderr: []string{"30 is read as 30 seconds; write 30m for minutes"},
			stdout: []string{"deadline 30s, polling each run every 2ms to 10ms"},
		},
		{
			name: "the last lines name every report written",
			bps:  []sim.Blueprint{bp(1, "", ms)},
			setup: func(h *harness) {
				h.env["DOCKETQA_RESULTS_JSON"] = filepath.Join(h.dir, "results.json")
				h.env["DOCKETQA_DOTENV"] = filepath.Join(h.dir, "docketqa.env")
			},
			args: []string{"--blueprint-ids", "1"}, want: 0, triggers: 1,
			stdout: []string{"JUnit report: ", "Markdown summary: ", "JSON results: ", "dotenv outputs: "},
		},
		{
			name: "a report that cannot be written: exit 2 before anything is triggered",
			bps:  []sim.Blueprint{bp(1, "", ms)},
			setup: func(h *harness) {
				h.env["DOCKETQA_RESULTS_JSON"] = filepath.Join(regularFile(t, h), "results.json")
			},
			args: []string{"--blueprint-ids", "1"}, want: 2, triggers: 0,
			stdout: []string{"JUnit report: "},
			stderr: []string{"--results-json", "cannot be written"},
		},
		{
			name: "--fail-on-no-verdict=false lets a deadline pass with a warning", setup: github,
			bps:  []sim.Blueprint{bp(1, "", ms), bp(2, "", time.Hour)},
			args: []string{"--blueprint-ids", "1,2", "--timeout", "300ms", "--fail-on-no-verdict=false"}, want: 0, triggers: 1,
			stdout: []string{"::warning title=Flow 2 (blueprint 2) (no verdict)::"},
			absent: []string{"::error "},
			check: func(t *testing.T, h *harness) {
				if outs := parseFileCommand(t, h.env["GITHUB_OUTPUT"]); outs["verdict"] != "error" {
					t.Errorf("verdict output %q, want error", outs["verdict"])
				}
			},
		},
		{
			name:   "--fail-on-no-verdict=false never excuses a refused key",
			bps:    []sim.Blueprint{bp(1, "", ms)},
			simKey: "another-key-entirely",
			args:   []string{"--blueprint-ids", "1", "--fail-on-no-verdict=false"}, want: 3, triggers: 1,
		},
		{
			name: "--fail-on-no-verdict=false never excuses a failure",
			bps:  []sim.Blueprint{bp(1, "failed", ms), bp(2, "", time.Hour)},
			args: []string{"--blueprint-ids", "1,2", "--timeout", "300ms", "--fail-on-no-verdict=false"}, want: 1, triggers: 1,
		},
		{
			name: "--fail-on-missing=false lets an unknown blueprint pass with a warning",
			bps:  []sim.Blueprint{bp(1, "", ms)},
			args: []string{"--blueprint-ids", "1,77", "--fail-on-missing=false"}, want: 0, triggers: 1,
			stderr: []string{"no run for 1 of 2 blueprint(s): 77"},
		},
		{
			name: "an unknown blueprint fails the gate by default",
			bps:  []sim.Blueprint{bp(1, "", ms)},
			args: []string{"--blueprint-ids", "1,77"}, want: 3, triggers: 1,
		},
		{
			name: "reruns are skipped when too many runs failed",
			bps:  []sim.Blueprint{bp(1, "failed", ms), bp(2, "failed", ms), bp(3, "failed", ms)},
			args: []string{"--blueprint-ids", "1,2,3", "--rerun-failed", "2", "--rerun-max-failures", "2"}, want: 1, triggers: 1,
			stdout: []string{"not rerunning: 3 blueprints failed, more than --rerun-max-failures 2"},
		},
		{
			name: "--debug shows the resolved settings and their sources, never the key",
			bps:  []sim.Blueprint{bp(1, "", ms)},
			args: []string{"--blueprint-ids", "1", "--debug"}, want: 0, triggers: 1,
			stdout: []string{"debug: setting timeout = \"30m\" from default", "debug: setting blueprint-ids = \"1\" from flag --blueprint-ids",
				"debug: setting api-key = \"[redacted]\" from env DOCKETQA_API_KEY",
				"debug: POST /test_group_run/trigger_run: HTTP 200 in ", "debug: GET /test_run/38: HTTP 200 in ",
				"debug: next poll of test run 38 in "},
		},
		{
			name: "RUNNER_DEBUG makes debug lines ::debug:: commands",
			bps:  []sim.Blueprint{bp(1, "", ms)},
			setup: func(h *harness) {
				github(h)
				h.env["RUNNER_DEBUG"] = "1"
			},
			args: []string{"--blueprint-ids", "1"}, want: 0, triggers: 1,
			stdout: []string{"::debug::setting timeout = "},
			absent: []string{"debug: setting"},
		},
		{
			name: "a dry run refuses a report path it could not write",
			bps:  []sim.Blueprint{bp(1, "", ms)},
			setup: func(h *harness) {
				h.env["DOCKETQA_JUNIT"] = filepath.Join(regularFile(t, h), "junit.xml")
			},
			args: []string{"--blueprint-ids", "1", "--dry-run"}, want: 2,
			stderr: []string{"--junit"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sim.Options{APIKey: tc.simKey, Blueprints: tc.bps})
			if tc.setup != nil {
				tc.setup(h)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "CLOSED", closedPort(t))
			}
			code := h.run(context.Background(), args...)
			h.assertExit(code, tc.want, tc.triggers, "", "")
			out, errOut := h.stdout.String(), h.stderr.String()
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(out+errOut, s) {
					t.Errorf("output has %q:\n%s\n%s", s, out, errOut)
				}
			}
			for s, n := range tc.count {
				if got := strings.Count(out+errOut, s); got != n {
					t.Errorf("%q appears %d times, want %d:\n%s\n%s", s, got, n, out, errOut)
				}
			}
			if tc.check != nil {
				tc.check(t, h)
			}
			if _, err := os.Stat(h.env["DOCKETQA_JUNIT"]); err != nil && tc.want != 2 {
				t.Errorf("no JUnit report: %v", err)
			}
		})
	}
}
