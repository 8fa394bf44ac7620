package app

// Hostile cases for the verdict rules that no policy can bend: a partial
// rerun never erases a failure the gate saw, and a gate in which no run
// was started never passes. Each case runs under every combination of
// --fail-on-no-verdict and --fail-on-missing, on every platform, and
// checks the exit code, that the verdict output (dotenv or GitHub output)
// and the JSON results agree with it, that every requested blueprint is in
// every report, that the key is nowhere, and that the gate ended within
// its --timeout.

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/hostile"
)

// hgPolicies are every combination of the two no-verdict policies.
var hgPolicies = [][]string{
	{"--fail-on-no-verdict=true", "--fail-on-missing=true"},
	{"--fail-on-no-verdict=false", "--fail-on-missing=true"},
	{"--fail-on-no-verdict=true", "--fail-on-missing=false"},
	{"--fail-on-no-verdict=false", "--fail-on-missing=false"},
}

// verdictOutput is the verdict the gate published for later steps: the
// GitHub step output on GitHub, else the dotenv variable.
func (h *gateRun) verdictOutput() string {
	h.t.Helper()
	if h.plat == hgGitHub {
		b, err := os.ReadFile(h.env["GITHUB_OUTPUT"])
		if err != nil {
			h.t.Fatalf("GitHub outputs: %v", err)
		}
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "verdict<<") && i+1 < len(lines) {
				return lines[i+1]
			}
		}
		h.t.Fatalf("no verdict output in %q", b)
	}
	return parseDotenv(h.t, h.env["DOCKETQA_DOTENV"])["DOCKETQA_VERDICT"]
}

// assertVerdictAndResultsAgree checks the published verdict, the JSON results and
// the exit code say the same: exit 1 exactly with failed, passed only with
// exit 0, exit 3 always with error.
func (h *gateRun) assertVerdictAndResultsAgree() {
	h.t.Helper()
	out, doc := h.verdictOutput(), h.results().Verdict
	if out != doc {
		h.t.Errorf("verdict output %q, JSON results %q", out, doc)
	}
	if (h.code == 1) != (out == "failed") || out == "passed" && h.code != 0 || h.code == 3 && out != "error" {
		h.t.Errorf("exit %d with verdict %q\n%s", h.code, out, h.logs())
	}
}

func TestHostileVerdictRules(t *testing.T) {
	t.Parallel()
	const timeout = 3 * time.Second
	cases := []struct {
		name       string
		blueprints []int64
		script     func(api *hostile.Server)
		args       []string
		want       int
		check      func(t *testing.T, h *gateRun)
	}{
		{
			// Issue 18, item 3: 182 fails; its rerun answer holds two runs
			// for 182, one passes and one never finishes.
			name: "3 a partial rerun keeps the failure", blueprints: []int64{181, 182},
			args: []string{"--rerun-failed", "1"}, want: 1,
			script: func(api *hostile.Server) {
				api.HandleTrigger(func(n int, _ []int64) hostile.Answer {
					if n == 0 {
						return triggerOne([2]int64{1000, 181}, [2]int64{1001, 182})
					}
					return hostile.Triggered(36, trun(2000, 182, "running"), trun(2001, 182, "running"))
				})
				api.Run(1000, hostile.Get(trun(1000, 181, "passed")))
				api.Run(1001, hostile.Get(failedRun(1001, 182)))
				api.Run(2000, hostile.Get(trun(2000, 182, "passed")))
				api.Run(2001, hostile.Get(trun(2001, 182, "running")))
			},
			check: func(t *testing.T, h *gateRun) {
				// The reports show the failure and the unfinished rerun.
				var found bool
				for _, r := range h.results().Runs {
					if r.BlueprintID != 182 {
						continue
					}
					found = true
					if r.Verdict != "failed" || r.RunID == nil || *r.RunID != 1001 {
						t.Errorf("blueprint 182 reported as %s (run %v), want the failure of run 1001", r.Verdict, r.RunID)
					}
					ids := map[int64]bool{}
					for _, a := range r.EarlierAttempts {
						if a.RunID != nil {
							ids[*a.RunID] = true
						}
					}
					if !ids[2000] || !ids[2001] {
						t.Errorf("the rerun's runs are not shown as attempts: %+v", r.EarlierAttempts)
					}
				}
				if !found {
					t.Error("blueprint 182 is not in the JSON results")
				}
				if !strings.Contains(h.summary(), "❌") {
					t.Errorf("the summary does not show the failure:\n%s", h.summary())
				}
			},
		},
		{
			// The same with the unfinished rerun run unknown to the API.
			name: "3 a partial rerun with a vanished run keeps the failure", blueprints: []int64{182},
			args: []string{"--rerun-failed", "2"}, want: 1,
			script: func(api *hostile.Server) {
				api.HandleTrigger(func(n int, _ []int64) hostile.Answer {
					if n == 0 {
						return triggerOne([2]int64{1001, 182})
					}
					return hostile.Triggered(int64(35+n), trun(int64(2000+10*n), 182, "running"), trun(int64(2001+10*n), 182, "running"))
				})
				api.Run(1001, hostile.Get(failedRun(1001, 182)))
				api.HandleRuns(func(id int64, _ int) hostile.Answer {
					if id%10 == 0 {
						return hostile.Get(trun(id, 182, "passed"))
					}
					return hostile.Fail(http.StatusNotFound, `{"detail":"Not found"}`)
				})
			},
		},
		{
			// Issue 18, item 4: a trigger answer that starts no run at all
			// (what a valid key of another company gets).
			name: "4 nothing ran", blueprints: []int64{181, 182}, want: 3,
			script: func(api *hostile.Server) { api.Trigger(hostile.Triggered(35)) },
		},
		{
			name: "4 nothing ran that was asked for", blueprints: []int64{181}, want: 3,
			script: func(api *hostile.Server) {
				api.Trigger(triggerOne([2]int64{1000, 999}))
				api.Run(1000, hostile.Get(trun(1000, 999, "passed")))
			},
		},
		{
			name: "4 nothing ran, every blueprint non-blocking", blueprints: []int64{181},
			args: []string{"--non-blocking-ids", "181"}, want: 3,
			script: func(api *hostile.Server) { api.Trigger(hostile.Triggered(35)) },
		},
	}
	for _, tc := range cases {
		for _, plat := range []hgPlatform{hgPlain, hgGitHub, hgGitLab} {
			for _, policy := range hgPolicies {
				t.Run(fmt.Sprintf("%s/%s/%s", tc.name, plat, strings.Join(policy, " ")), func(t *testing.T) {
					t.Parallel()
					h := newGateRun(t, plat)
					h.env["DOCKETQA_DOTENV"] = h.dir + "/docketqa.env"
					tc.script(h.api)
					ids := make([]string, len(tc.blueprints))
					for i, id := range tc.blueprints {
						ids[i] = fmt.Sprint(id)
					}
					args := append([]string{"--blueprint-ids", strings.Join(ids, ","), "--timeout", timeout.String()}, policy...)
					start := time.Now()
					h.run(append(args, tc.args...)...)
					if took := time.Since(start); took > timeout+5*time.Second {
						t.Errorf("the gate took %s with --timeout %s", took, timeout)
					}
					h.assertCode(tc.want)
					h.assertPromises(tc.blueprints...)
					h.assertVerdictAndResultsAgree()
					if tc.check != nil {
						tc.check(t, h)
					}
				})
			}
		}
	}
}
