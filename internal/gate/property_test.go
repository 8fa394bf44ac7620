package gate

// The verdict property, over random sequences of trigger, poll and rerun
// answers and every combination of the policies: the conductor runs
// against a scripted API, the Judge decides, and the outcome is checked
// against what the API really served, not against the gate's own view.
// The no-verdict policies are judged in all four combinations for every
// script; --fail-fast, --rerun-failed and --non-blocking-ids are drawn with
// it, since they change what the conductor does. The properties:
//
//   - exit 0 only if at least one run was started;
//   - exit 0 only if no failure the API served is left without a later
//     rerun of that blueprint in which every run was served "passed";
//   - exit 0 only if every other blocking blueprint passed, or was excused
//     by a policy the user turned on (--fail-on-missing=false for a
//     blueprint DocketQA started no run for, --fail-on-no-verdict=false for
//     runs without a verdict);
//   - the verdict word, the outputs (and so the dotenv), the JUnit report,
//     the summary, the JSON results and the exit code agree: exit 1
//     exactly when the verdict is failed, passed only with exit 0, exit 3
//     always with error.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/ci"
	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/report/junit"
	"github.com/docketqa-gate/docketqa-gate/internal/report/resultsjson"
	"github.com/docketqa-gate/docketqa-gate/internal/report/summary"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// propAnswer is one GET answer: a status word, or an HTTP error.
type propAnswer struct {
	status string
	code   int
}

// propAPI is a scripted DocketQA: the n-th trigger gets triggers[n] (a
// trigger past the script fails), every run its list of answers, the last
// one repeated. It records what it served.
type propAPI struct {
	mu       sync.Mutex
	triggers []propTrigger
	answers  map[int64][]propAnswer
	polls    map[int64]int

	// requested[n] are the blueprints the n-th trigger asked for;
	// runsOf[n][bp] the runs its answer started for bp.
	requested [][]int64
	runsOf    []map[int64][]int64
	// served is the final status word each run was served, if any.
	served map[int64]string
}

type propTrigger struct {
	fail bool
	runs []docketqa.TestRun
}

func (a *propAPI) Trigger(_ context.Context, ids []int64) (*docketqa.GroupRun, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := len(a.requested)
	a.requested = append(a.requested, slices.Clone(ids))
	a.runsOf = append(a.runsOf, map[int64][]int64{})
	if n >= len(a.triggers) || a.triggers[n].fail {
		return nil, &docketqa.APIError{Endpoint: "POST /test_group_run/trigger_run", StatusCode: 400}
	}
	for _, r := range a.triggers[n].runs {
		if slices.Contains(ids, r.BlueprintID) {
			a.runsOf[n][r.BlueprintID] = append(a.runsOf[n][r.BlueprintID], r.ID)
		}
	}
	return &docketqa.GroupRun{ID: int64(100 + n), Runs: a.triggers[n].runs}, nil
}

func (a *propAPI) GetRun(_ context.Context, id int64) (*docketqa.TestRun, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	script := a.answers[id]
	if len(script) == 0 {
		return nil, &docketqa.APIError{Endpoint: fmt.Sprintf("GET /test_run/%d", id), StatusCode: 400}
	}
	ans := script[min(a.polls[id], len(script)-1)]
	a.polls[id]++
	if ans.code != 0 {
		return nil, &docketqa.APIError{Endpoint: fmt.Sprintf("GET /test_run/%d", id), StatusCode: ans.code}
	}
	if !result.StillGoing(ans.status) {
		a.served[id] = ans.status
	}
	return &docketqa.TestRun{ID: id, BlueprintID: a.blueprintOf(id), Status: untrusted.Text(ans.status)}, nil
}

// blueprintOf is the blueprint whose trigger answer started run id.
func (a *propAPI) blueprintOf(id int64) int64 {
	for _, t := range a.triggers {
		for _, r := range t.runs {
			if r.ID == id {
				return r.BlueprintID
			}
		}
	}
	return 0
}

// propScenario draws one scenario: 1 to 3 blueprints, the policies, and
// for each possible trigger its answer and every run's answers.
func propScenario(rng *rand.Rand) (propConfig, *propAPI) {
	n := 1 + rng.IntN(3)
	var ids, nonBlocking []int64
	for i := range n {
		id := int64(181 + i)
		ids = append(ids, id)
		if rng.IntN(4) == 0 {
			nonBlocking = append(nonBlocking, id)
		}
	}
	pc := propConfig{ids: ids, nonBlocking: nonBlocking, failFast: rng.IntN(3) == 0, reruns: rng.IntN(3)}
	api := &propAPI{answers: map[int64][]propAnswer{}, polls: map[int64]int{}, served: map[int64]string{}}
	words := []propAnswer{{status: "passed"}, {status: "passed"}, {status: "failed"}, {status: "failed"}, {status: "stopped"},
		{code: 400}, {code: 403}}
	next := int64(1000)
	for t := 0; t <= pc.reruns; t++ {
		if rng.IntN(8) == 0 {
			api.triggers = append(api.triggers, propTrigger{fail: true})
			continue
		}
		var tr propTrigger
		// Every possible blueprint may get runs: the conductor must ignore
		// those nobody asked for in this trigger.
		for _, bp := range append(slices.Clone(ids), 999) {
			k := []int{0, 1, 1, 1, 2}[rng.IntN(5)]
			if bp == 999 {
				k = rng.IntN(2)
			}
			for range k {
				next++
				tr.runs = append(tr.runs, docketqa.TestRun{ID: next, BlueprintID: bp, Status: "running"})
				var script []propAnswer
				for range rng.IntN(3) {
					script = append(script, propAnswer{status: "running"})
				}
				final := words[rng.IntN(len(words))]
				if rng.IntN(40) == 0 {
					final = propAnswer{code: 401}
				}
				api.answers[next] = append(script, final)
			}
		}
		api.triggers = append(api.triggers, tr)
	}
	return pc, api
}

type propConfig struct {
	ids, nonBlocking               []int64
	failOnNoVerdict, failOnMissing bool
	failFast                       bool
	reruns                         int
}

// lastTrigger is the last trigger that asked for bp, or -1.
func (a *propAPI) lastTrigger(bp int64) int {
	last := -1
	for n, ids := range a.requested {
		if slices.Contains(ids, bp) {
			last = n
		}
	}
	return last
}

// allowedGreen says whether the served answers allow exit 0, and why not.
func (a *propAPI) allowedGreen(pc propConfig) (bool, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	started := false
	for _, runs := range a.runsOf[0] {
		started = started || len(runs) > 0
	}
	if !started {
		return false, "no run was started"
	}
	for _, bp := range pc.ids {
		if slices.Contains(pc.nonBlocking, bp) {
			continue
		}
		failureSeen := false
		for n := range a.requested {
			for _, id := range a.runsOf[n][bp] {
				if w, ok := a.served[id]; ok && w != "passed" {
					failureSeen = true
				}
			}
		}
		last := a.lastTrigger(bp)
		runs := a.runsOf[last][bp]
		allPassed := len(runs) > 0
		undecided := false
		for _, id := range runs {
			w, ok := a.served[id]
			allPassed = allPassed && w == "passed"
			undecided = undecided || !ok
		}
		switch {
		case allPassed:
		case failureSeen:
			return false, fmt.Sprintf("blueprint %d: a failure was served and no rerun passed entirely", bp)
		case len(runs) == 0 && last == 0 && !pc.failOnMissing:
		case len(runs) > 0 && undecided && !pc.failOnNoVerdict:
		default:
			return false, fmt.Sprintf("blueprint %d neither passed nor was excused (runs %v)", bp, runs)
		}
	}
	return true, ""
}

func TestVerdictProperty(t *testing.T) {
	t.Parallel()
	iterations := 400
	if testing.Short() {
		iterations = 60
	}
	for seed := range iterations {
		rng := rand.New(rand.NewPCG(uint64(seed), 18))
		pc, api := propScenario(rng)
		cfg := testConfig(pc.ids...)
		cfg.NonBlockingIDs, cfg.FailOnNoVerdict, cfg.FailOnMissing = pc.nonBlocking, pc.failOnNoVerdict, pc.failOnMissing
		cfg.FailFast, cfg.RerunFailed, cfg.RerunMaxFailures = pc.failFast, pc.reruns, 0
		cfg.NotFoundGrace = time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out := Run(ctx, cfg, Deps{API: api, Sink: &recorder{}, Strategy: fixed})
		cancel()
		// The two no-verdict policies change only the judgement, not what
		// the conductor does: every combination judges the same outcome.
		for _, combo := range [][2]bool{{true, true}, {false, true}, {true, false}, {false, false}} {
			pc.failOnNoVerdict, pc.failOnMissing = combo[0], combo[1]
			cfg.FailOnNoVerdict, cfg.FailOnMissing = combo[0], combo[1]
			v := result.Judge(out.Set, Policy(cfg), out.Stop)
			name := fmt.Sprintf("seed %d (%+v): stop %q, %s with exit %d, runs %+v", seed, pc, out.Stop, v.Outcome, v.Exit, out.Set.Runs)
			if ok, why := api.allowedGreen(pc); v.Exit == result.ExitPassed && !ok {
				t.Errorf("%s\nexit 0 but %s", name, why)
			}
			for _, bp := range pc.ids {
				if !slices.ContainsFunc(v.Runs, func(r result.Judged) bool { return r.BlueprintID == bp }) {
					t.Errorf("%s\nblueprint %d is missing from the verdict", name, bp)
				}
			}
			checkAgreement(t, name, v)
			checkAgreement(t, name+" (a report not written)", v.Unreported())
		}
	}
}

// checkAgreement renders v as every report does and checks they and the
// exit code say the same.
func checkAgreement(t *testing.T, name string, v result.Verdict) {
	t.Helper()
	switch {
	case (v.Exit == result.ExitFailed) != (v.Outcome == result.Failed):
		t.Errorf("%s: exit 1 iff failed broken", name)
	case v.Outcome == result.Passed && v.Exit != result.ExitPassed:
		t.Errorf("%s: passed without exit 0", name)
	case v.Exit == result.ExitNoVerdict && v.Outcome != result.Error:
		t.Errorf("%s: exit 3 without error", name)
	case v.Exit != result.ExitPassed && v.Exit != result.ExitFailed && v.Exit != result.ExitNoVerdict:
		t.Errorf("%s: exit %d", name, v.Exit)
	}
	if o := ci.OutputsFrom(v, "j.xml", ""); o.Verdict != string(v.Outcome) || o.Failed != v.Tally.Failed {
		t.Errorf("%s: outputs %+v", name, o)
	}
	var doc struct{ Verdict string }
	var buf bytes.Buffer
	if err := resultsjson.Write(&buf, v); err != nil || json.Unmarshal(buf.Bytes(), &doc) != nil || doc.Verdict != string(v.Outcome) {
		t.Errorf("%s: JSON results say %q (%v)", name, doc.Verdict, err)
	}
	buf.Reset()
	if err := junit.Write(&buf, v); err != nil {
		t.Fatal(err)
	}
	if failure := strings.Contains(buf.String(), "<failure"); failure != (v.Outcome == result.Failed) {
		t.Errorf("%s: JUnit has a <failure>: %v", name, failure)
	}
	if v.Outcome == result.Passed && strings.Contains(buf.String(), "<error") {
		t.Errorf("%s: passed with a JUnit <error>", name)
	}
	head, _, _ := strings.Cut(summary.Render(v, summary.Options{}), "\n")
	if strings.Contains(head, "❌") != (v.Outcome == result.Failed) || strings.Contains(head, "✅") != (v.Outcome == result.Passed) ||
		strings.Contains(head, "⚠️") != (v.Outcome == result.Error) {
		t.Errorf("%s: summary heading %q", name, head)
	}
}
