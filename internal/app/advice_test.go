package app

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

// TestAdviceWhereUsersLook runs the gate as the GitHub action, and with
// flags on GitLab and Jenkins, into the mistakes a new user makes: a
// timeout without a unit, a refused key, an unreachable API, a deadline
// too short. On GitHub a configuration warning is a ::warning annotation
// (after the ::add-mask:: line), the cause of missing verdicts is named in
// the annotation and in the job summary's headline, each with its advice,
// and retry notices stay plain log lines. On GitLab and Jenkins the same
// advice reaches the log, without a workflow command.
func TestAdviceWhereUsersLook(t *testing.T) {
	t.Parallel()
	meta := readActionMetadata(t)
	ms := time.Millisecond
	const (
		deadline   = "the deadline of 2s passed before every run finished"
		raise      = "raise --timeout / DOCKETQA_TIMEOUT if runs need longer"
		refused    = "DocketQA refused the API key (HTTP 401)"
		checkKey   = "check the API key: set DOCKETQA_API_KEY to a key from the DocketQA dashboard"
		checkURL   = "check --base-url / DOCKETQA_BASE_URL, DNS, the proxy variables"
		warnTitle  = "docketqa-gate"
		causeTitle = "docketqa-gate: no verdict"
	)
	cases := []struct {
		name   string
		bps    []sim.Blueprint
		faults []sim.Fault
		simKey string
		with   map[string]string // action inputs besides key, URL, intervals
		closed bool              // the base URL is a closed loopback port
		want   int
		// annotations: "kind|title|part of the message" on GitHub.
		annotations []string
		// headline: the summary's first line contains each.
		headline []string
		// log: the GitLab and Jenkins logs (stdout + stderr) contain each.
		log []string
		// plain: stderr lines on GitHub that must stay plain (never an
		// annotation).
		plain string
	}{
		{
			name: "timeout without a unit", want: 0,
			bps:         []sim.Blueprint{bp(1, "", 5*ms)},
			with:        map[string]string{"blueprint-ids": "1", "timeout": "30"},
			annotations: []string{"warning|" + warnTitle + "|30 is read as 30 seconds; write 30m for minutes"},
			headline:    []string{"1 run passed"},
			log:         []string{"warning: ", "30 is read as 30 seconds; write 30m for minutes"},
		},
		{
			name: "refused key", want: 3,
			bps:         []sim.Blueprint{bp(1, "", 5*ms), bp(2, "", 5*ms)},
			simKey:      "some-other-key-entirely",
			with:        map[string]string{"blueprint-ids": "1,2"},
			annotations: []string{"error|docketqa-gate: " + refused + "|" + checkKey},
			headline:    []string{"no verdict for 2 of 2 runs: " + refused, "**What to do:** " + checkKey},
			log:         []string{"HTTP 401", checkKey},
		},
		{
			// The key is revoked after the trigger: the cause once, then
			// each run's own annotation.
			name: "key refused while polling", want: 3,
			bps:    []sim.Blueprint{bp(1, "", time.Hour), bp(2, "", time.Hour)},
			faults: []sim.Fault{{Endpoint: sim.GetRun, Count: -1, Status: 401}},
			with:   map[string]string{"blueprint-ids": "1,2"},
			annotations: []string{
				"error|" + causeTitle + "|" + refused + "; " + checkKey,
				"error|" + runName(1) + "|not awaited: DocketQA refused the API key",
				"error|" + runName(2) + "|not awaited: DocketQA refused the API key",
			},
			headline: []string{"no verdict for 2 of 2 runs: " + refused, "**What to do:** " + checkKey},
			log:      []string{"HTTP 401", checkKey},
		},
		{
			name: "unreachable API", want: 3, closed: true,
			bps:         []sim.Blueprint{bp(1, "", 5*ms)},
			with:        map[string]string{"blueprint-ids": "1", "timeout": "2s"},
			annotations: []string{"error|docketqa-gate: could not reach http://127.0.0.1:|" + checkURL},
			headline:    []string{"no verdict for 1 of 1 run: could not reach http://127.0.0.1:", "**What to do:** " + checkURL},
			log:         []string{"connection refused", checkURL},
			plain:       "docketqa-gate: trigger attempt 2 of 5 in 1s: ",
		},
		{
			name: "deadline", want: 3,
			bps:  []sim.Blueprint{bp(1, "", time.Hour)},
			with: map[string]string{"blueprint-ids": "1", "timeout": "2s"},
			annotations: []string{
				"error|" + causeTitle + "|" + deadline + "; " + raise,
				"error|" + runName(1) + "|no result within 2s",
			},
			headline: []string{"no verdict for 1 of 1 run: " + deadline, "**What to do:** " + raise},
			log:      []string{"deadline of 2s passed before every run finished (" + raise + ")"},
		},
	}
	for _, tc := range cases {
		t.Run("GitHub "+tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sim.Options{APIKey: tc.simKey, Blueprints: tc.bps, Faults: tc.faults})
			base := h.srv.URL
			if tc.closed {
				base = "http://" + closedPort(t)
			}
			with := map[string]string{"api-key": testKey, "base-url": base, "poll-interval": "2ms", "max-poll-interval": "10ms",
				"junit-path": filepath.Join(h.dir, "docketqa-junit.xml")}
			for k, v := range tc.with {
				with[k] = v
			}
			h.env = meta.stepEnv(t, h.dir, with)
			if err := os.Mkdir(filepath.Join(h.dir, "file_commands"), 0o755); err != nil {
				t.Fatal(err)
			}
			code := h.runAsAction(context.Background())
			h.assertMaskFirst() // also drops the ::add-mask:: line
			stdout, stderr := h.stdout.String(), h.stderr.String()
			if code != tc.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, stdout, stderr)
			}
			var got []string
			for _, c := range commands(t, stdout) {
				if c.name == "error" || c.name == "warning" {
					got = append(got, c.name+"|"+c.props["title"]+"|"+c.msg)
				}
			}
			if len(got) != len(tc.annotations) {
				t.Errorf("annotations %q, want %d like %q", got, len(tc.annotations), tc.annotations)
			}
			for i, want := range tc.annotations {
				kind, rest, _ := strings.Cut(want, "|")
				title, msg, _ := strings.Cut(rest, "|")
				if i >= len(got) {
					break
				}
				gk, grest, _ := strings.Cut(got[i], "|")
				gt, gm, _ := strings.Cut(grest, "|")
				if gk != kind || !strings.HasPrefix(gt, title) || !strings.Contains(gm, msg) {
					t.Errorf("annotation %d = %q, want kind %s, title starting %q, message with %q", i+1, got[i], kind, title, msg)
				}
			}
			// Warnings are annotations now, not stderr lines as well.
			if strings.Contains(stderr, "warning:") {
				t.Errorf("stderr still has a warning line the annotation says:\n%s", stderr)
			}
			if tc.plain != "" && (!strings.Contains(stderr, tc.plain) || strings.Contains(stdout, "trigger attempt")) {
				t.Errorf("retry notices must be plain stderr lines %q, never annotations\nstdout:\n%s\nstderr:\n%s", tc.plain, stdout, stderr)
			}
			summary, err := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
			if err != nil {
				t.Fatal(err)
			}
			heading, rest, _ := strings.Cut(string(summary), "\n")
			for i, want := range tc.headline {
				// The cause is in the heading; its advice right below it.
				in := heading
				if i > 0 {
					// Markdown: the summary escapes underscores.
					in = firstParagraph(rest)
					want = strings.ReplaceAll(want, "_", `\_`)
				}
				if !strings.Contains(in, want) {
					t.Errorf("summary headline lacks %q:\n%s", want, summary)
				}
			}
		})
		for _, platform := range []struct {
			name string
			env  map[string]string
		}{
			{"GitLab", map[string]string{"GITLAB_CI": "true", "CI": "true"}},
			{"Jenkins", map[string]string{"JENKINS_URL": "https://jenkins.example.com/"}},
		} {
			t.Run(platform.name+" "+tc.name, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, sim.Options{APIKey: tc.simKey, Blueprints: tc.bps, Faults: tc.faults})
				for k, v := range platform.env {
					h.env[k] = v
				}
				if tc.closed {
					h.env["DOCKETQA_BASE_URL"] = "http://" + closedPort(t)
				}
				args := []string{"--blueprint-ids", tc.with["blueprint-ids"]}
				if v, ok := tc.with["timeout"]; ok {
					args = append(args, "--timeout", v)
				}
				code := h.run(context.Background(), args...)
				log := h.stdout.String() + h.stderr.String()
				if code != tc.want {
					t.Fatalf("exit %d, want %d\n%s", code, tc.want, log)
				}
				for _, want := range tc.log {
					if !strings.Contains(log, want) {
						t.Errorf("log lacks %q:\n%s", want, log)
					}
				}
				if slices.ContainsFunc(strings.Split(log, "\n"), func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), "::") }) {
					t.Errorf("a workflow command reached the %s log:\n%s", platform.name, log)
				}
				summary, err := os.ReadFile(h.env["DOCKETQA_SUMMARY"])
				if err != nil {
					t.Fatal(err)
				}
				if heading, _, _ := strings.Cut(string(summary), "\n"); !strings.Contains(heading, tc.headline[0]) {
					t.Errorf("summary headline %q lacks %q", heading, tc.headline[0])
				}
			})
		}
	}
}

// firstParagraph returns the first non-empty block of lines of s.
func firstParagraph(s string) string {
	s = strings.TrimLeft(s, "\n")
	p, _, _ := strings.Cut(s, "\n\n")
	return p
}
