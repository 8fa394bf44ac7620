package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

var update = testutil.UpdateFlag()

func TestTriggerShape(t *testing.T) {
	t.Parallel()
	clock := newClock()
	_, ts := serve(t, sim.Options{
		Now: clock.Now,
		Blueprints: []sim.Blueprint{
			{ID: 180, Title: "Login Flow", StartingURL: "https://example.com/login", StepActions: []string{
				"Enter 'user@example.com' in the email field",
				"Enter the password in the password field",
			}},
			{ID: 7},
		},
	})

	r := call(t, ts.Client(), http.MethodPost, ts.URL+"/test_group_run/trigger_run", testKey, triggerBody(180, 7))
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	if got, want := r.header.Get("Content-Type"), "application/json"; got != want {
		t.Errorf("Content-Type %q, want %q", got, want)
	}
	var doc triggerDoc
	decodeStrict(t, r.body, &doc)

	g := doc.TestGroupRun
	const ts0 = "2025-07-03T01:38:03.020496+00:00"
	checks := []struct {
		name      string
		got, want any
	}{
		{"message", doc.Message, "Test group run triggered successfully"},
		{"group id", g.ID, int64(35)},
		{"company id", g.CompanyID, int64(2)},
		{"group name", g.Name, "Manual Run 2025-07-03 01:38:03"},
		{"group status", g.Status, "running"},
		{"group created_at", g.CreatedAt, ts0},
		{"group updated_at", g.UpdatedAt, ts0},
		{"runs", len(g.TestRuns), 2},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if t.Failed() {
		return
	}

	for i, want := range []struct {
		id, bp int64
		title  string
		steps  int
	}{{38, 180, "Login Flow", 2}, {39, 7, "Blueprint 7", 3}} {
		run := g.TestRuns[i]
		if run.ID != want.id || run.TestBlueprintID != want.bp || run.TestGroupRunID != 35 || run.Status != "running" {
			t.Errorf("run %d = id %d, blueprint %d, group %d, status %q; want %d, %d, 35, running",
				i, run.ID, run.TestBlueprintID, run.TestGroupRunID, run.Status, want.id, want.bp)
		}
		if run.CreatedAt != ts0 || run.UpdatedAt != ts0 {
			t.Errorf("run %d timestamps %q, %q; want %q", i, run.CreatedAt, run.UpdatedAt, ts0)
		}
		md := run.BlueprintMetadata
		if md.ID != want.bp || md.Title != want.title || md.Type != "integration" || len(md.Steps) != want.steps {
			t.Errorf("run %d metadata = %+v", i, md)
		}
		for n, st := range md.Steps {
			if st.StepNumber != n+1 || st.Type != "act" || st.Action == "" {
				t.Errorf("run %d step %d = %+v", i, n, st)
			}
		}
	}
	if got := g.TestRuns[0].BlueprintMetadata.Steps[0].Action; got != "Enter 'user@example.com' in the email field" {
		t.Errorf("step 1 action %q", got)
	}
	if got := g.TestRuns[0].BlueprintMetadata.StartingURL; got != "https://example.com/login" {
		t.Errorf("starting_url %q", got)
	}

	// Keys that must be present with these exact raw values, not absent.
	var raw struct {
		TestGroupRun struct {
			TestRuns []map[string]json.RawMessage `json:"test_runs"`
		} `json:"test_group_run"`
	}
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"results": "null", "is_login_test_run": "false", "test_video_s3_key": "null"} {
		if got := string(raw.TestGroupRun.TestRuns[0][key]); got != want {
			t.Errorf("test_runs[0].%s = %q, want %q", key, got, want)
		}
	}
}

func TestTimestampWithoutMicroseconds(t *testing.T) {
	t.Parallel()
	// Python's isoformat() drops the fraction when it is zero; clients must
	// cope with both forms.
	whole := time.Date(2025, 7, 3, 1, 38, 3, 0, time.UTC)
	_, ts := serve(t, sim.Options{Now: func() time.Time { return whole }, Blueprints: []sim.Blueprint{{ID: 1}}})
	doc := trigger(t, ts, 1)
	if got, want := doc.TestGroupRun.CreatedAt, "2025-07-03T01:38:03+00:00"; got != want {
		t.Errorf("created_at %q, want %q", got, want)
	}
}

func TestRunLifecycle(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	cases := []struct {
		name          string
		bp            sim.Blueprint
		wantStatus    *string
		wantOK        []bool
		wantDurations []int
		wantReason    string // result of the failing step, when one fails
		wantAttempts  [][]bool
	}{
		{
			name:          "passes",
			bp:            sim.Blueprint{ID: 1, Steps: 4, Duration: 40 * time.Second},
			wantStatus:    str("passed"),
			wantOK:        []bool{true, true, true, true},
			wantDurations: []int{10, 10, 10, 10},
		},
		{
			name:       "fails at step 2 and skips the rest",
			bp:         sim.Blueprint{ID: 2, Steps: 4, Duration: time.Minute, Outcome: "failed", FailStep: 2},
			wantStatus: str("failed"),
			wantOK:     []bool{true, false},
			wantReason: "Expected the page to show the described content, but it was not found on the page.",
		},
		{
			name:       "fails at the last step by default",
			bp:         sim.Blueprint{ID: 3, Duration: time.Second, Outcome: "failed", FailReason: "Button 'Pay' was disabled."},
			wantStatus: str("failed"),
			wantOK:     []bool{true, true, false},
			wantReason: "Button 'Pay' was disabled.",
		},
		{
			name:       "stopped",
			bp:         sim.Blueprint{ID: 4, Duration: time.Second, Outcome: "stopped", FailStep: 1},
			wantStatus: str("stopped"),
			wantOK:     []bool{false},
			wantReason: "The run was stopped before this step completed.",
		},
		{
			name:       "unknown status word",
			bp:         sim.Blueprint{ID: 5, Steps: 2, Duration: time.Second, Outcome: "exploded"},
			wantStatus: str("exploded"),
			wantOK:     []bool{true, false},
			wantReason: `The run ended with status "exploded" while this step was executing.`,
		},
		{
			name:       "null status",
			bp:         sim.Blueprint{ID: 6, Steps: 1, Duration: time.Second, NullStatus: true},
			wantStatus: nil,
			wantOK:     []bool{true},
		},
		{
			name:         "passes on the third attempt",
			bp:           sim.Blueprint{ID: 7, Duration: time.Second, Retries: 2, FailStep: 2},
			wantStatus:   str("passed"),
			wantOK:       []bool{true, true, true},
			wantAttempts: [][]bool{{true, false}, {true, false}},
		},
		{
			name:         "fails after a retry",
			bp:           sim.Blueprint{ID: 8, Steps: 2, Duration: time.Second, Outcome: "failed", Retries: 1},
			wantStatus:   str("failed"),
			wantOK:       []bool{true, false},
			wantAttempts: [][]bool{{true, false}},
		},
		{
			name:          "exact step durations",
			bp:            sim.Blueprint{ID: 9, StepDurations: []time.Duration{2 * time.Second, 300 * time.Millisecond, 43 * time.Second}},
			wantStatus:    str("passed"),
			wantOK:        []bool{true, true, true},
			wantDurations: []int{2, 1, 43},
		},
		{
			name:       "zero duration finishes at once",
			bp:         sim.Blueprint{ID: 10, Steps: 1},
			wantStatus: str("passed"),
			wantOK:     []bool{true},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newClock()
			s, ts := serve(t, sim.Options{Now: clock.Now, Blueprints: []sim.Blueprint{tc.bp}})
			runID := trigger(t, ts, tc.bp.ID).TestGroupRun.TestRuns[0].ID
			wall := tc.bp.Duration
			if wall == 0 { // Duration defaults to the sum of StepDurations
				for _, d := range tc.bp.StepDurations {
					wall += d
				}
			}

			if wall > 0 {
				for _, at := range []time.Duration{0, wall - time.Microsecond} {
					clock.Advance(at - (clock.Now().Sub(epoch)))
					run, body := getRun(t, ts, runID)
					if run.Status == nil || *run.Status != "running" {
						t.Fatalf("at +%v: status %v, want running", at, run.Status)
					}
					raw := rawRun(t, body)
					for key, want := range map[string]string{
						"results": "null", "test_video_url": "null", "test_video_download_url": "null",
						"additional_attempts": "[]", "test_video_s3_key": "null",
					} {
						if got := string(raw[key]); got != want {
							t.Errorf("at +%v: %s = %q, want %q", at, key, got, want)
						}
					}
				}
				clock.Advance(time.Microsecond)
			}

			run, _ := getRun(t, ts, runID)
			if !reflect.DeepEqual(run.Status, tc.wantStatus) {
				t.Errorf("status %v, want %v", deref(run.Status), deref(tc.wantStatus))
			}
			var ok []bool
			var durations []int
			for i, st := range run.Results {
				ok = append(ok, st.IsSuccessful)
				durations = append(durations, st.Duration)
				checkStep(t, fmt.Sprintf("results[%d]", i), st, run.BlueprintMetadata.Steps[i].Action, i+1)
			}
			if !reflect.DeepEqual(ok, tc.wantOK) {
				t.Errorf("is_successful per step = %v, want %v", ok, tc.wantOK)
			}
			if tc.wantDurations != nil && !reflect.DeepEqual(durations, tc.wantDurations) {
				t.Errorf("durations %v, want %v", durations, tc.wantDurations)
			}
			if last := run.Results[len(run.Results)-1]; tc.wantReason != "" && last.Result != tc.wantReason {
				t.Errorf("failing step result %q, want %q", last.Result, tc.wantReason)
			}
			for _, u := range []*string{run.TestVideoURL, run.TestVideoDownloadURL} {
				if u == nil || !strings.HasPrefix(*u, "https://") || !strings.HasSuffix(*u, ".webm") {
					t.Errorf("video URL %v, want an https .webm URL", deref(u))
				}
			}
			if want := timestampOf(epoch.Add(wall)); run.UpdatedAt != want {
				t.Errorf("updated_at %q, want %q", run.UpdatedAt, want)
			}

			var attempts [][]bool
			for i, a := range run.AdditionalAttempts {
				var aok []bool
				for _, st := range a.Results {
					aok = append(aok, st.IsSuccessful)
				}
				attempts = append(attempts, aok)
				if !strings.HasSuffix(a.TestVideoURL, ".webm") || a.TestVideoURL == *run.TestVideoURL {
					t.Errorf("attempt %d video %q, want its own .webm", i, a.TestVideoURL)
				}
			}
			if !reflect.DeepEqual(attempts, tc.wantAttempts) {
				t.Errorf("additional_attempts = %v, want %v", attempts, tc.wantAttempts)
			}

			infos := s.Runs()
			if len(infos) != 1 {
				t.Fatalf("Runs() = %+v", infos)
			}
			info := infos[0]
			if info.RunID != runID || info.BlueprintID != tc.bp.ID || info.Status != deref(tc.wantStatus) ||
				!info.FinishedAt.Equal(epoch.Add(wall)) {
				t.Errorf("RunInfo = %+v", info)
			}
			if wantGets := map[bool]int{true: 3, false: 1}[wall > 0]; info.Gets != wantGets {
				t.Errorf("RunInfo.Gets = %d, want %d", info.Gets, wantGets)
			}
		})
	}
}

func checkStep(t *testing.T, where string, st stepDoc, action string, number int) {
	t.Helper()
	if st.StepNumber != number || st.Task != action || st.Result == "" || len(st.Actions) != 1 {
		t.Errorf("%s = %+v", where, st)
		return
	}
	a := st.Actions[0]
	if a.Description == "" || a.Type == "" || string(a.APIResponse) != "null" ||
		!strings.HasPrefix(a.ScreenshotURL, "https://") || !strings.HasPrefix(a.ScreenshotURLBefore, "https://") {
		t.Errorf("%s.actions[0] = %+v", where, a)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func timestampOf(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000+00:00") }

func TestTriggerSelection(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		opts     sim.Options
		body     string
		wantBPs  []int64
		wantRuns []int64
	}{
		{
			name:     "omitted blueprint is left out",
			opts:     sim.Options{Blueprints: []sim.Blueprint{{ID: 1}, {ID: 2, Omit: true}, {ID: 3}}},
			body:     triggerBody(1, 2, 3),
			wantBPs:  []int64{1, 3},
			wantRuns: []int64{38, 39},
		},
		{
			name:     "unscripted ids are unknown without Default",
			opts:     sim.Options{Blueprints: []sim.Blueprint{{ID: 1}}},
			body:     triggerBody(99, 1),
			wantBPs:  []int64{1},
			wantRuns: []int64{38},
		},
		{
			name:     "nothing known still creates a group run",
			opts:     sim.Options{},
			body:     triggerBody(99),
			wantBPs:  []int64{},
			wantRuns: []int64{},
		},
		{
			name: "Default scripts unscripted ids",
			opts: sim.Options{
				Blueprints: []sim.Blueprint{{ID: 1}},
				Default:    func(id int64) sim.Blueprint { return sim.Blueprint{Omit: id%2 == 0} },
			},
			body:     triggerBody(5, 1, 6, 7),
			wantBPs:  []int64{5, 1, 7},
			wantRuns: []int64{38, 39, 40},
		},
		{
			name:     "ids sent as strings",
			opts:     sim.Options{Blueprints: []sim.Blueprint{{ID: 5}, {ID: 6}}},
			body:     `{"test_blueprint_ids":["5", 6]}`,
			wantBPs:  []int64{5, 6},
			wantRuns: []int64{38, 39},
		},
		{
			name:     "a repeated id runs twice",
			opts:     sim.Options{Blueprints: []sim.Blueprint{{ID: 5}}},
			body:     triggerBody(5, 5),
			wantBPs:  []int64{5, 5},
			wantRuns: []int64{38, 39},
		},
		{
			name:     "custom first ids",
			opts:     sim.Options{Blueprints: []sim.Blueprint{{ID: 5}}, FirstRunID: 1000, FirstGroupID: 7},
			body:     triggerBody(5),
			wantBPs:  []int64{5},
			wantRuns: []int64{1000},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, ts := serve(t, tc.opts)
			r := call(t, ts.Client(), http.MethodPost, ts.URL+"/test_group_run/trigger_run", testKey, tc.body)
			if r.status != http.StatusOK {
				t.Fatalf("status %d, body %s", r.status, r.body)
			}
			var doc triggerDoc
			decodeStrict(t, r.body, &doc)
			bps, runs := []int64{}, []int64{}
			for _, run := range doc.TestGroupRun.TestRuns {
				bps = append(bps, run.TestBlueprintID)
				runs = append(runs, run.ID)
			}
			if !reflect.DeepEqual(bps, tc.wantBPs) || !reflect.DeepEqual(runs, tc.wantRuns) {
				t.Errorf("blueprints %v runs %v, want %v %v", bps, runs, tc.wantBPs, tc.wantRuns)
			}
			if got := s.Stats().GroupRuns; got != 1 {
				t.Errorf("GroupRuns = %d, want 1", got)
			}
			if got := len(s.Runs()); got != len(tc.wantRuns) {
				t.Errorf("len(Runs()) = %d, want %d", got, len(tc.wantRuns))
			}
		})
	}
}

func TestRequestErrors(t *testing.T) {
	t.Parallel()
	const trig = "/test_group_run/trigger_run"
	cases := []struct {
		name, method, path, key, body string
		wantStatus                    int
		wantBody                      string // substring
		wantUnauthorized              int64
	}{
		{"missing key", "POST", trig, "", triggerBody(1), 401, `{"detail":"Invalid API key"}`, 1},
		{"wrong key", "GET", "/test_run/38", "not-the-key", "", 401, `{"detail":"Invalid API key"}`, 1},
		{"trailing slash on trigger", "POST", trig + "/", testKey, triggerBody(1), 404, `{"detail":"Not Found"}`, 0},
		{"trailing slash on get run", "GET", "/test_run/38/", testKey, "", 404, `{"detail":"Not Found"}`, 0},
		{"no run id", "GET", "/test_run/", testKey, "", 404, `{"detail":"Not Found"}`, 0},
		{"undocumented path", "POST", "/test_group_run/trigger_ci_run", testKey, "{}", 404, `{"detail":"Not Found"}`, 0},
		{"unknown run", "GET", "/test_run/12345", testKey, "", 404, `"detail"`, 0},
		{"run id not a number", "GET", "/test_run/abc", testKey, "", 422, `"test_run_id"`, 0},
		{"wrong method", "GET", trig, testKey, "", 405, `{"detail":"Method Not Allowed"}`, 0},
		{"not JSON", "POST", trig, testKey, "test_blueprint_ids=1", 400, `"detail"`, 0},
		{"ids missing", "POST", trig, testKey, `{"test_blueprint_category_id":"3"}`, 400, "test_blueprint_ids", 0},
		{"ids empty", "POST", trig, testKey, `{"test_blueprint_ids":[]}`, 400, "test_blueprint_ids", 0},
		{"ids not an array", "POST", trig, testKey, `{"test_blueprint_ids":1}`, 400, "test_blueprint_ids", 0},
		{"zero id", "POST", trig, testKey, `{"test_blueprint_ids":[0]}`, 400, "positive", 0},
		{"negative id", "POST", trig, testKey, `{"test_blueprint_ids":[-4]}`, 400, "positive", 0},
		{"fractional id", "POST", trig, testKey, `{"test_blueprint_ids":[1.5]}`, 400, "positive", 0},
		{"non-numeric string id", "POST", trig, testKey, `{"test_blueprint_ids":["abc"]}`, 400, "positive", 0},
		{"empty body", "POST", trig, testKey, "", 400, `"detail"`, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, ts := serve(t, sim.Options{Blueprints: []sim.Blueprint{{ID: 1}}})
			r := call(t, ts.Client(), tc.method, ts.URL+tc.path, tc.key, tc.body)
			if r.status != tc.wantStatus || !strings.Contains(string(r.body), tc.wantBody) {
				t.Errorf("got %d %s, want %d containing %s", r.status, r.body, tc.wantStatus, tc.wantBody)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tc.key != "" && tc.key != testKey && strings.Contains(string(r.body), tc.key) {
				t.Errorf("body echoes the API key: %s", r.body)
			}
			st := s.Stats()
			if st.Errors != 1 || st.Unauthorized != tc.wantUnauthorized || st.GroupRuns != 0 {
				t.Errorf("Stats = %+v, want 1 error, %d unauthorized, no group run", st, tc.wantUnauthorized)
			}
		})
	}
}

func TestInvalidDefaultBlueprint(t *testing.T) {
	t.Parallel()
	s, ts := serve(t, sim.Options{
		Blueprints: []sim.Blueprint{{ID: 1}},
		Default:    func(int64) sim.Blueprint { return sim.Blueprint{Steps: 2, FailStep: 3} },
	})
	r := call(t, ts.Client(), http.MethodPost, ts.URL+"/test_group_run/trigger_run", testKey, triggerBody(1, 2))
	if r.status != http.StatusInternalServerError || !strings.Contains(string(r.body), "FailStep 3") {
		t.Errorf("got %d %s, want 500 naming FailStep 3", r.status, r.body)
	}
	if st := s.Stats(); st.GroupRuns != 0 || len(s.Runs()) != 0 {
		t.Errorf("a failed trigger left state behind: %+v, %d runs", st, len(s.Runs()))
	}
}

func TestStringIDs(t *testing.T) {
	t.Parallel()
	_, ts := serve(t, sim.Options{StringIDs: true, Blueprints: []sim.Blueprint{{ID: 180, Retries: 1}}})
	r := call(t, ts.Client(), http.MethodPost, ts.URL+"/test_group_run/trigger_run", testKey, triggerBody(180))
	if r.status != http.StatusOK {
		t.Fatalf("trigger: %d %s", r.status, r.body)
	}
	if n := checkIDsAreStrings(t, r.body); n != 6 { // group, company, run, blueprint, group-in-run, metadata
		t.Errorf("trigger answer has %d ids, want 6", n)
	}
	if !strings.Contains(string(r.body), `"test_runs":[{"id":"38"`) {
		t.Errorf("run id not encoded as a string: %s", r.body)
	}

	r = call(t, ts.Client(), http.MethodGet, ts.URL+"/test_run/38", testKey, "")
	if r.status != http.StatusOK {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	if n := checkIDsAreStrings(t, r.body); n != 4 { // run, blueprint, group, metadata
		t.Errorf("run answer has %d ids, want 4", n)
	}
	if !strings.Contains(string(r.body), `"step_number":1`) {
		t.Errorf("step numbers must stay numbers: %s", r.body)
	}
}

// checkIDsAreStrings walks a JSON document and requires every "id" and
// "*_id" value to be a string, returning how many it saw.
func checkIDsAreStrings(t *testing.T, b []byte) int {
	t.Helper()
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "id" || strings.HasSuffix(k, "_id") {
					n++
					if _, ok := x.(string); !ok {
						t.Errorf("%s = %v (%T), want a string", k, x, x)
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	return n
}

func TestStats(t *testing.T) {
	t.Parallel()
	s, ts := serve(t, sim.Options{
		Blueprints: []sim.Blueprint{{ID: 1}, {ID: 2}},
		Faults:     []sim.Fault{{Endpoint: sim.GetRun, RunID: 39, Count: 1, Status: 503}},
	})
	c := ts.Client()
	trigger(t, ts, 1, 2)                                                    // trigger 1, runs 38 and 39
	getRun(t, ts, 38)                                                       // get 1
	call(t, c, "GET", ts.URL+"/test_run/39", testKey, "")                   // get 2: fault
	getRun(t, ts, 39)                                                       // get 3
	call(t, c, "GET", ts.URL+"/test_run/40", testKey, "")                   // get 4: 404
	call(t, c, "GET", ts.URL+"/test_run/38", "bad-key", "")                 // get 5: 401
	call(t, c, "POST", ts.URL+"/test_group_run/trigger_run", testKey, "{}") // trigger 2: 400
	call(t, c, "GET", ts.URL+"/nowhere", testKey, "")                       // 404, neither endpoint
	trigger(t, ts, 2)                                                       // trigger 3, run 40

	got := s.Stats()
	want := sim.Stats{Triggers: 3, Gets: 5, Errors: 5, Unauthorized: 1, InFlight: 0, PeakInFlight: 1, GroupRuns: 2}
	if got != want {
		t.Errorf("Stats() = %+v\nwant      %+v", got, want)
	}
	var gets []int
	for _, r := range s.Runs() {
		gets = append(gets, r.Gets)
	}
	if want := []int{1, 1, 0}; !reflect.DeepEqual(gets, want) {
		t.Errorf("per-run Gets %v, want %v", gets, want)
	}
}

func TestConcurrentPolling(t *testing.T) {
	t.Parallel()
	const (
		blueprints = 100
		workers    = 16
		rounds     = 2
		faulted    = 100
	)
	clock := newClock()
	s, ts := serve(t, sim.Options{
		Now:     clock.Now,
		Default: func(id int64) sim.Blueprint { return sim.Blueprint{Duration: time.Duration(id) * time.Second} },
		Faults:  []sim.Fault{{Endpoint: sim.GetRun, Count: faulted, Status: 429, RetryAfter: "1"}},
	})
	ids := make([]int64, blueprints)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	runs := trigger(t, ts, ids...).TestGroupRun.TestRuns

	// Enough idle connections for every worker, so the test measures the
	// simulator rather than connection churn.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds * len(runs) {
				run := runs[(i+w)%len(runs)]
				if w == 0 && i%50 == 0 {
					clock.Advance(time.Second) // runs finish while others poll
				}
				r, err := callErr(client, "GET", ts.URL+"/test_run/"+itoa(run.ID), testKey, "")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				counts[r.status]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	total := workers * rounds * blueprints
	if counts[200]+counts[429] != total || counts[429] != faulted {
		t.Errorf("answers %v, want %d in total and %d 429s", counts, total, faulted)
	}
	st := s.Stats()
	if st.Gets != int64(total) || st.Errors != faulted || st.InFlight != 0 || st.PeakInFlight < 1 || st.PeakInFlight > workers {
		t.Errorf("Stats = %+v", st)
	}
	sum := 0
	for _, r := range s.Runs() {
		sum += r.Gets
	}
	if sum != counts[200] {
		t.Errorf("per-run Gets sum to %d, want %d", sum, counts[200])
	}
}

func TestTenThousandBlueprints(t *testing.T) {
	t.Parallel()
	const n = 10_000
	s := sim.New(sim.Options{APIKey: testKey, Default: func(int64) sim.Blueprint { return sim.Blueprint{} }})
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	req := httptest.NewRequest("POST", "/test_group_run/trigger_run", strings.NewReader(triggerBody(ids...)))
	req.Header.Set("X-API-KEY", testKey)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("trigger: %d %s", rec.Code, rec.Body)
	}
	// A sample of runs, spread over the whole id range, keeps the test quick
	// under -race; the lookups it exercises are the same for every id.
	for id := int64(38); id < 38+n; id += 7 {
		req := httptest.NewRequest("GET", "/test_run/"+itoa(id), nil)
		req.Header.Set("X-API-KEY", testKey)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"status":"passed"`)) {
			t.Fatalf("run %d: %d %s", id, rec.Code, rec.Body)
		}
	}
	if got := len(s.Runs()); got != n {
		t.Errorf("len(Runs()) = %d, want %d", got, n)
	}
}

func BenchmarkGetRun(b *testing.B) {
	const n = 10_000
	s := sim.New(sim.Options{APIKey: testKey, Default: func(int64) sim.Blueprint { return sim.Blueprint{Steps: 5} }})
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	req := httptest.NewRequest("POST", "/test_group_run/trigger_run", strings.NewReader(triggerBody(ids...)))
	req.Header.Set("X-API-KEY", testKey)
	s.ServeHTTP(httptest.NewRecorder(), req)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			req := httptest.NewRequest("GET", "/test_run/"+itoa(int64(38+i%n)), nil)
			req.Header.Set("X-API-KEY", testKey)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
			i++
		}
	})
}

func TestDashboard(t *testing.T) {
	t.Parallel()
	clock := newClock()
	_, ts := serve(t, sim.Options{Now: clock.Now, Blueprints: []sim.Blueprint{
		{ID: 1, Title: "Login <script>alert(1)</script>", Duration: time.Second},
		{ID: 2, Title: "Checkout", Duration: time.Second, Outcome: "failed"},
		{ID: 3, Title: "Quiet", Duration: time.Second, NullStatus: true},
	}})
	trigger(t, ts, 1, 2, 3)
	c := ts.Client()
	cases := []struct {
		name, path string
		advance    time.Duration
		wantStatus int
		want       []string
		notWant    []string
	}{
		{"running", "/dashboard/grouprun/35", 0, 200,
			[]string{"Manual Run 2025-07-03 01:38:03", "Login &lt;script&gt;", "<td>running</td>"}, []string{"<script>alert"}},
		{"finished", "/dashboard/grouprun/35", time.Second, 200,
			[]string{"<td>passed</td>", "<td>failed</td>", "<td>(no status)</td>"}, []string{"<td>running</td>"}},
		{"unknown group", "/dashboard/grouprun/99", 0, 404, nil, nil},
		{"trailing slash", "/dashboard/grouprun/35/", 0, 404, nil, nil},
	}
	for _, tc := range cases { // sequential: the clock moves between cases
		clock.Advance(tc.advance)
		r := call(t, c, "GET", ts.URL+tc.path, "", "") // no key, like a browser
		if r.status != tc.wantStatus {
			t.Errorf("%s: status %d, want %d", tc.name, r.status, tc.wantStatus)
			continue
		}
		if tc.wantStatus == 200 && !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: Content-Type %q", tc.name, r.header.Get("Content-Type"))
		}
		for _, w := range tc.want {
			if !strings.Contains(string(r.body), w) {
				t.Errorf("%s: page lacks %q:\n%s", tc.name, w, r.body)
			}
		}
		for _, w := range tc.notWant {
			if strings.Contains(string(r.body), w) {
				t.Errorf("%s: page contains %q", tc.name, w)
			}
		}
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	clock := newClock()
	_, ts := serve(t, sim.Options{Now: clock.Now, Blueprints: []sim.Blueprint{{
		ID: 180, Title: "Login Flow", StartingURL: "https://example.com/login",
		StepActions: []string{
			"Enter 'user@example.com' in the email field",
			"Enter the test account's password in the password field",
			"Click the 'Log in' button",
		},
		StepDurations: []time.Duration{12 * time.Second, 9 * time.Second, 43 * time.Second},
		Outcome:       "failed", FailStep: 3, Retries: 1,
		FailReason: "Expected the dashboard to load, but the page showed 'Invalid credentials'.",
	}}})
	cases := []struct {
		name, method, path, body string
		advance                  time.Duration
	}{
		{"trigger", "POST", "/test_group_run/trigger_run", triggerBody(180), 0},
		{"run_running", "GET", "/test_run/38", "", 0},
		{"run_failed", "GET", "/test_run/38", "", 64 * time.Second},
	}
	for _, tc := range cases { // sequential: the clock moves between cases
		clock.Advance(tc.advance)
		r := call(t, ts.Client(), tc.method, ts.URL+tc.path, testKey, tc.body)
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, r.body, "", "  "); err != nil {
			t.Fatalf("%s: %v: %s", tc.name, err, r.body)
		}
		pretty.WriteByte('\n')
		testutil.Golden(t, filepath.Join("testdata", tc.name+".golden.json"), pretty.Bytes(), *update)
	}
}

func TestStart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		end  func(cancel context.CancelFunc, stop func())
	}{
		{"stop", func(_ context.CancelFunc, stop func()) { stop(); stop() }},
		{"context cancelled", func(cancel context.CancelFunc, stop func()) { cancel(); stop() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			base, stop, err := sim.Start(ctx, sim.Options{APIKey: testKey, Blueprints: []sim.Blueprint{{ID: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, "/") {
				t.Errorf("baseURL %q, want http://127.0.0.1:port", base)
			}
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			r := call(t, c, "POST", base+"/test_group_run/trigger_run", testKey, triggerBody(1))
			if r.status != http.StatusOK {
				t.Fatalf("trigger: %d %s", r.status, r.body)
			}
			tc.end(cancel, stop)
			if _, err := callErr(c, "GET", base+"/test_run/38", testKey, ""); err == nil {
				t.Error("the simulator still answers after it was stopped")
			}
		})
	}
}

func TestInvalidOptions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts sim.Options
		want string
	}{
		{"no key", sim.Options{}, "APIKey"},
		{"duplicate blueprint", sim.Options{APIKey: testKey, Blueprints: []sim.Blueprint{{ID: 1}, {ID: 1}}}, "twice"},
		{"zero id", sim.Options{APIKey: testKey, Blueprints: []sim.Blueprint{{}}}, "must be positive"},
		{"fail step beyond steps", sim.Options{APIKey: testKey, Blueprints: []sim.Blueprint{{ID: 1, Steps: 2, FailStep: 3}}}, "FailStep 3"},
		{"durations mismatch", sim.Options{APIKey: testKey, Blueprints: []sim.Blueprint{{ID: 1, Steps: 2, StepDurations: []time.Duration{1}}}}, "StepDurations"},
		{"actions mismatch", sim.Options{APIKey: testKey, Blueprints: []sim.Blueprint{{ID: 1, Steps: 1, StepActions: []string{"a", "b"}}}}, "StepActions"},
		{"negative retries", sim.Options{APIKey: testKey, Blueprints: []sim.Blueprint{{ID: 1, Retries: -1}}}, "Retries"},
		{"bad fault count", sim.Options{APIKey: testKey, Faults: []sim.Fault{{Count: -2, Status: 500}}}, "fault 0: invalid Count"},
		{"bad fault status", sim.Options{APIKey: testKey, Faults: []sim.Fault{{Count: 1, Status: 1000}}}, "invalid Status"},
		{"relative redirect", sim.Options{APIKey: testKey, Faults: []sim.Fault{{Count: 1, RedirectTo: "/elsewhere"}}}, "absolute"},
		{"run id on trigger", sim.Options{APIKey: testKey, Faults: []sim.Fault{{Endpoint: sim.Trigger, RunID: 3, Count: 1}}}, "RunID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stop, err := sim.Start(context.Background(), tc.opts)
			if err == nil {
				stop()
				t.Fatalf("Start succeeded, want an error mentioning %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			sim.New(tc.opts)
		})
	}
}
