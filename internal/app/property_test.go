package app

// The false-green property, over sequences of hostile answers: under the
// default policies (no reruns, no non-blocking ids, no detach or dry run),
// the gate exits 0 only when every test run of the trigger answer was, at
// least once, served an answer that says "passed" beyond any doubt. What
// "beyond any doubt" means is decided by hostile.ServedPass, the suite's
// own strict reading of the bytes the server really sent, not by the
// gate's decoder.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/hostile"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// answerKind builds one hostile GET answer for run id of blueprint bp.
type answerKind struct {
	name string
	make func(id, bp int64) hostile.Answer
}

// body formats a GET answer with the run's ids; format gets id and bp.
func body(format string) func(id, bp int64) hostile.Answer {
	return func(id, bp int64) hostile.Answer {
		return hostile.OK(strings.NewReplacer("ID", strconv.FormatInt(id, 10), "BP", strconv.FormatInt(bp, 10)).Replace(format))
	}
}

// answerKinds are the answers the fuzz input picks from: documented ones,
// status words that only look like a pass, loose JSON, wrong identities,
// HTTP errors, broken connections, and decorative garbage.
var answerKinds = []answerKind{
	{"running", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"running","results":null}}`)},
	{"passed", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"passed","results":[{"step_number":1,"task":"Open","is_successful":true,"result":"ok","duration":3}]}}`)},
	{"failed", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"failed","results":[{"step_number":1,"task":"Pay","is_successful":false,"result":"declined"}]}}`)},
	{"PASSED", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"PASSED"}}`)},
	{"Passed", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"Passed"}}`)},
	{"padded passed", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":" passed "}}`)},
	{"no status", body(`{"test_run":{"id":ID,"test_blueprint_id":BP}}`)},
	{"null status", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":null}}`)},
	{"duplicate failed,passed", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"failed","status":"passed"}}`)},
	{"duplicate passed,failed", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"passed","status":"failed"}}`)},
	{"Status passed", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"failed","Status":"passed"}}`)},
	{"Status failed", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"passed","Status":"failed"}}`)},
	{"TEST_RUN", body(`{"TEST_RUN":{"id":ID,"test_blueprint_id":BP,"STATUS":"passed"}}`)},
	{"TEST_RUN after test_run", body(`{"test_run":{"id":ID,"status":"failed"},"TEST_RUN":{"id":ID,"status":"passed"}}`)},
	{"wrong id", func(id, bp int64) hostile.Answer {
		return body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"passed"}}`)(id+1, bp)
	}},
	{"wrong blueprint", func(id, bp int64) hostile.Answer {
		return body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"passed"}}`)(id, bp+1)
	}},
	{"500 saying passed", func(id, bp int64) hostile.Answer {
		a := body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"passed"}}`)(id, bp)
		a.Status = http.StatusInternalServerError
		return a
	}},
	{"429", func(int64, int64) hostile.Answer {
		return hostile.Answer{Status: 429, Header: http.Header{"Retry-After": {"0"}}, Body: `{"detail":"slow down"}`}
	}},
	{"404", func(int64, int64) hostile.Answer { return hostile.Fail(404, `{"detail":"Not found"}`) }},
	{"dropped", func(int64, int64) hostile.Answer { return hostile.Answer{Drop: true} }},
	{"reset", func(int64, int64) hostile.Answer { return hostile.Answer{Reset: true} }},
	{"decorative garbage, passed", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"test_group_run_id":"zz","status":"passed","results":[{"step_number":1e300,"task":7,"is_successful":true,"duration":"zz"}],"created_at":5}}`)},
	{"decorative garbage, failed", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"test_group_run_id":"zz","status":"failed","results":[{"step_number":1e300,"is_successful":false}]}}`)},
	{"truncated", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"passed"`)},
	{"trailing data", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"failed"}}{"test_run":{"id":ID,"status":"passed"}}`)},
	{"escaped duplicate", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"failed","st\u0061tus":"passed"}}`)},
	{"nested passed", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"running","blueprint_metadata":{"status":"passed"}}}`)},
	{"passed without ids", body(`{"test_run":{"status":"passed"}}`)},
	{"passed with string ids", body(`{"test_run":{"id":"ID","test_blueprint_id":"BP","status":"passed"}}`)},
	{"duplicate decorative, passed", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"passed","results":[{"task":"a","task":"b","is_successful":true}]}}`)},
	{"passed with a failed step", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"passed","results":[{"step_number":1,"task":"Pay","is_successful":false,"result":"flaky"}]}}`)},
	{"201 passed", func(id, bp int64) hostile.Answer {
		a := body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"passed"}}`)(id, bp)
		a.Status = http.StatusCreated
		return a
	}},
	{"empty body", func(int64, int64) hostile.Answer { return hostile.OK("") }},
	{"array", body(`[{"test_run":{"id":ID,"status":"passed"}}]`)},
	{"status true", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":true}}`)},
	{"zero-width passed", body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"\u200bpassed"}}`)},
}

// finalFailed ends every script: once a run's scripted answers are used
// up, it fails, so every fuzz iteration ends quickly and a verdict of 0
// can only come from the scripted answers.
func finalFailed(id, bp int64) hostile.Answer {
	return body(`{"test_run":{"id":ID,"test_blueprint_id":BP,"status":"failed"}}`)(id, bp)
}

// scenario is what one fuzz input decodes to.
type scenario struct {
	blueprints []int64
	// runs pairs each run of the trigger answer with its blueprint.
	runs [][2]int64
	// answers are the scripted answers per run id.
	answers map[int64][]hostile.Answer
	kinds   map[int64][]string
}

// decodeScenario turns fuzz bytes into 1 to 4 blueprints, each with no run
// (rarely), one or two runs in the trigger answer, and one to six answers
// per run. Missing bytes read as 0, so every input is a valid scenario.
func decodeScenario(in []byte) scenario {
	pos := 0
	next := func() int {
		if pos >= len(in) {
			pos++
			return 0
		}
		pos++
		return int(in[pos-1])
	}
	sc := scenario{answers: map[int64][]hostile.Answer{}, kinds: map[int64][]string{}}
	n := next()%4 + 1
	runID := int64(1000)
	for i := range n {
		bp := int64(180 + i)
		sc.blueprints = append(sc.blueprints, bp)
		runs := 1
		switch next() % 8 {
		case 0:
			runs = 2
		case 1:
			runs = 0
		}
		for range runs {
			sc.runs = append(sc.runs, [2]int64{runID, bp})
			for range next()%6 + 1 {
				k := answerKinds[next()%len(answerKinds)]
				sc.answers[runID] = append(sc.answers[runID], k.make(runID, bp))
				sc.kinds[runID] = append(sc.kinds[runID], k.name)
			}
			sc.answers[runID] = append(sc.answers[runID], finalFailed(runID, bp))
			runID++
		}
	}
	return sc
}

// seed encodes a scenario by kind names: blueprints, then per blueprint
// its run count code and per run its answer kinds.
func seed(blueprints ...[]string) []byte {
	b := []byte{byte(len(blueprints) - 1)}
	for _, kinds := range blueprints {
		b = append(b, 2, byte(len(kinds)-1))
		for _, name := range kinds {
			b = append(b, byte(kindIndex(name)))
		}
	}
	return b
}

func kindIndex(name string) int {
	for i, k := range answerKinds {
		if k.name == name {
			return i
		}
	}
	panic("no answer kind " + name)
}

func FuzzPropertyNoFalseGreen(f *testing.F) {
	for _, s := range [][][]string{
		{{"running", "passed"}},
		{{"failed"}},
		{{"PASSED"}},
		{{"Passed"}},
		{{"padded passed"}},
		{{"no status"}, {"passed"}},
		{{"duplicate failed,passed"}},
		{{"Status passed"}},
		{{"Status failed"}},
		{{"TEST_RUN"}},
		{{"TEST_RUN after test_run"}},
		{{"wrong id"}},
		{{"wrong blueprint"}, {"passed"}},
		{{"500 saying passed", "running", "passed"}},
		{{"429", "dropped", "reset", "404", "passed"}},
		{{"decorative garbage, passed"}},
		{{"decorative garbage, failed"}},
		{{"truncated", "trailing data", "escaped duplicate"}},
		{{"nested passed"}},
		{{"passed without ids"}, {"passed with string ids"}},
		{{"duplicate decorative, passed"}},
		{{"passed with a failed step"}, {"201 passed"}},
		{{"empty body", "array", "status true", "zero-width passed"}},
		{{"running", "passed"}, {"running", "running", "passed"}, {"passed"}, {"failed"}},
	} {
		f.Add(seed(s...))
	}
	// Two runs for one blueprint, one failing; and a blueprint without a run.
	f.Add([]byte{0, 0, 0, byte(kindIndex("failed")), 0, byte(kindIndex("passed"))})
	f.Add([]byte{1, 2, 0, byte(kindIndex("passed")), 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		t.Parallel()
		checkFalseGreen(t, decodeScenario(in))
	})
}

// checkFalseGreen runs the gate on sc and checks the property.
func checkFalseGreen(t *testing.T, sc scenario) {
	api := hostile.New(t, hostileKey)
	var runs []hostile.Run
	for _, r := range sc.runs {
		runs = append(runs, trun(r[0], r[1], "running"))
		api.Run(r[0], sc.answers[r[0]]...)
	}
	api.Trigger(hostile.Triggered(35, runs...))
	dir := t.TempDir()
	env := map[string]string{
		"DOCKETQA_API_KEY":      hostileKey,
		"DOCKETQA_BASE_URL":     api.URL,
		"DOCKETQA_JUNIT":        filepath.Join(dir, "junit.xml"),
		"DOCKETQA_RESULTS_JSON": filepath.Join(dir, "results.json"),
	}
	ids := make([]string, len(sc.blueprints))
	for i, id := range sc.blueprints {
		ids[i] = strconv.FormatInt(id, 10)
	}
	var stdout, stderr lockedBuffer
	args := []string{"--blueprint-ids", strings.Join(ids, ","), "--poll-interval", "1ms", "--max-poll-interval", "2ms",
		"--not-found-grace", "5ms", "--request-timeout", "2s", "--timeout", "5s"}
	code := Run(context.Background(), args, testutil.Getenv(env), &stdout, &stderr)
	describe := func() string {
		var b strings.Builder
		fmt.Fprintf(&b, "blueprints %v\n", sc.blueprints)
		for _, r := range sc.runs {
			fmt.Fprintf(&b, "run %d (blueprint %d): %v\n", r[0], r[1], sc.kinds[r[0]])
		}
		fmt.Fprintf(&b, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		return b.String()
	}
	if code != 0 && code != 1 && code != 3 {
		t.Fatalf("exit code %d, want 0, 1 or 3\n%s", code, describe())
	}
	if _, err := os.Stat(env["DOCKETQA_JUNIT"]); err != nil {
		t.Errorf("no JUnit report: %v\n%s", err, describe())
	}
	if code != 0 {
		return
	}
	// Exit 0: prove it from what the server served.
	triggers := api.ServedTriggers()
	if len(triggers) != 1 {
		t.Fatalf("exit 0 after %d trigger answers, want exactly 1 (no reruns by default)\n%s", len(triggers), describe())
	}
	served, err := hostile.TriggerRuns(triggers[0].Answer)
	if err != nil {
		t.Fatalf("exit 0, but the trigger answer served is unreadable: %v\n%s", err, describe())
	}
	for _, bp := range sc.blueprints {
		found := false
		for _, r := range served {
			found = found || r[1] == bp
		}
		if !found {
			t.Errorf("exit 0, but the trigger answer has no run for requested blueprint %d\n%s", bp, describe())
		}
	}
	for _, r := range served {
		ok := false
		var why []string
		for _, a := range api.ServedRun(r[0]) {
			pass, reason := hostile.ServedPass(a.Answer, r[0], r[1])
			ok = ok || pass
			why = append(why, reason)
		}
		if !ok {
			t.Errorf("exit 0, but run %d (blueprint %d) was never served an unambiguous pass; its answers: %q\n%s", r[0], r[1], why, describe())
		}
	}
}
