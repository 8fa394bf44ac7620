package hostile

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
)

const key = "k-Hostile-Test"

func get(t *testing.T, s *Server, path, key string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-KEY", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestScriptsRepeatTheLastAnswerAndRecordEverything(t *testing.T) {
	t.Parallel()
	s := New(t, key)
	s.Run(7, Fail(500, `{"detail":"boom"}`), Answer{Body: "x", Header: http.Header{"Retry-After": {"1"}}})
	s.HandleRuns(func(id int64, n int) Answer { return OK(`{"n":` + string(rune('0'+n)) + `}`) })
	var codes []int
	var bodies []string
	for range 3 {
		resp, body, err := get(t, s, "/test_run/7", key)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, resp.StatusCode)
		bodies = append(bodies, body)
	}
	if got, want := strings.Join(bodies, "|"), `{"detail":"boom"}|x|x`; got != want {
		t.Errorf("bodies %q, want %q", got, want)
	}
	if codes[0] != 500 || codes[1] != 200 || codes[2] != 200 {
		t.Errorf("codes %v", codes)
	}
	if _, body, _ := get(t, s, "/test_run/8", key); body != `{"n":0}` {
		t.Errorf("fallback answered %q", body)
	}
	if resp, _, _ := get(t, s, "/test_run/7", "wrong"); resp.StatusCode != 401 {
		t.Errorf("a wrong key got %d, want 401", resp.StatusCode)
	}
	if resp, _, _ := get(t, s, "/nowhere", key); resp.StatusCode != 404 {
		t.Errorf("an unknown path got %d, want 404", resp.StatusCode)
	}
	reqs := s.Requests()
	if len(reqs) != 6 || reqs[4].KeyOK || !reqs[0].KeyOK || reqs[0].RunID != 7 || reqs[3].RunID != 8 {
		t.Errorf("requests recorded wrongly: %+v", reqs)
	}
	served := s.ServedRun(7)
	if len(served) != 4 || served[0].N != 0 || served[2].N != 2 || served[1].Answer.Body != "x" {
		t.Errorf("served run 7: %+v", served)
	}
}

func TestTriggerIsAnsweredWithTheRequestedIDs(t *testing.T) {
	t.Parallel()
	s := New(t, key)
	s.HandleTrigger(func(n int, ids []int64) Answer {
		var runs []Run
		for i, id := range ids {
			runs = append(runs, Run{ID: int64(100*(n+1) + i), BlueprintID: id})
		}
		return Triggered(int64(n+1), runs...)
	})
	for _, body := range []string{`{"test_blueprint_ids":[180,181]}`, `{"test_blueprint_ids":[5],"x":1}`} {
		req, _ := http.NewRequest(http.MethodPost, s.URL+TriggerPath, strings.NewReader(body))
		req.Header.Set("X-API-KEY", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	ids, err := s.TriggeredIDs()
	if err == nil || len(ids) != 2 || ids[0] != 180 || ids[1] != 181 {
		t.Errorf("TriggeredIDs = %v, %v; want [180 181] and an error for the second body", ids, err)
	}
	runs, err := TriggerRuns(s.ServedTriggers()[0].Answer)
	if err != nil || len(runs) != 2 || runs[1] != [2]int64{101, 181} {
		t.Errorf("TriggerRuns = %v, %v", runs, err)
	}
	if runs, err := TriggerRuns(s.ServedTriggers()[1].Answer); err != nil || len(runs) != 0 {
		t.Errorf("an invalid request gets a trigger answer with no runs: %v, %v", runs, err)
	}
}

func TestDropAndReset(t *testing.T) {
	t.Parallel()
	s := New(t, key)
	s.Run(1, Answer{Drop: true})
	s.Run(2, Answer{Reset: true})
	if _, _, err := get(t, s, "/test_run/1", key); err == nil {
		t.Error("a dropped connection gave an answer")
	}
	_, _, err := get(t, s, "/test_run/2", key)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("reset: got %v, want ECONNRESET", err)
	}
}

func TestServedPass(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		a    Answer
		want bool
	}{
		{"documented pass", Get(Run{ID: 1000, BlueprintID: 180, Status: "passed"}), true},
		{"no ids is no disagreement", OK(`{"test_run":{"status":"passed"}}`), true},
		{"string ids", OK(`{"test_run":{"id":"1000","test_blueprint_id":"180","status":"passed"}}`), true},
		{"case variant decides nothing", OK(`{"test_run":{"id":1000,"status":"passed","Status":"failed"}}`), true},
		{"failed", Get(Run{ID: 1000, BlueprintID: 180, Status: "failed"}), false},
		{"case variant status", OK(`{"test_run":{"id":1000,"status":"failed","Status":"passed"}}`), false},
		{"upper wrapper", OK(`{"TEST_RUN":{"id":1000,"status":"passed"}}`), false},
		{"duplicate status", OK(`{"test_run":{"id":1000,"status":"failed","status":"passed"}}`), false},
		{"escaped duplicate", OK(`{"test_run":{"id":1000,"status":"failed","st\u0061tus":"passed"}}`), false},
		{"duplicate deep inside", OK(`{"test_run":{"id":1000,"status":"passed","results":[{"a":1,"a":2}]}}`), false},
		{"trailing data", OK(`{"test_run":{"id":1000,"status":"passed"}} x`), false},
		{"PASSED", OK(`{"test_run":{"id":1000,"status":"PASSED"}}`), false},
		{"padded", OK(`{"test_run":{"id":1000,"status":" passed"}}`), false},
		{"no status", OK(`{"test_run":{"id":1000}}`), false},
		{"wrong id", OK(`{"test_run":{"id":1001,"status":"passed"}}`), false},
		{"wrong blueprint", OK(`{"test_run":{"id":1000,"test_blueprint_id":181,"status":"passed"}}`), false},
		{"HTTP 500", Fail(500, `{"test_run":{"id":1000,"status":"passed"}}`), false},
		{"dropped", Answer{Drop: true, Body: `{"test_run":{"id":1000,"status":"passed"}}`}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, why := ServedPass(tc.a, 1000, 180); got != tc.want {
				t.Errorf("ServedPass = %v (%s), want %v", got, why, tc.want)
			}
		})
	}
}
