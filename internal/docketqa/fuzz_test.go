package docketqa

import (
	"encoding/json"
	"strings"
	"testing"
)

// Seed answers: the documented examples, then the shapes seen in the wild
// or feared (string ids, null and odd statuses, truncation, HTML).
var (
	runSeeds = []string{
		`{"test_run":{"id":38,"status":"running","test_blueprint_id":180,"test_group_run_id":35,"blueprint_metadata":{"title":"Login Flow","steps":[{}]},"results":null,"test_video_url":null,"is_login_test_run":false}}`,
		`{"test_run":{"id":38,"status":"passed","test_blueprint_id":180,"results":[{"step_number":1,"task":"Open the page","is_successful":true,"result":"ok","duration":43,"actions":[{"description":"go","type":"go_to_url","screenshot_url":"https://s/1.png","screenshot_url_before":"https://s/0.png","api_response":{}}]}],"test_video_url":"https://v/1.webm","test_video_download_url":"https://v/1d.webm","additional_attempts":[],"created_at":"2025-07-03T01:38:03.020496+00:00","updated_at":"2025-07-03T01:39:03.020496+00:00"}}`,
		`{"test_run":{"id":38,"status":"failed","results":[{"step_number":2,"task":"Click","is_successful":false,"result":"not found","duration":"12.5"}],"additional_attempts":[{"results":[{"is_successful":false}],"test_video_url":"https://v/0.webm"}]}}`,
		`{"test_run":{"id":"38","status":"PASSED","test_blueprint_id":"180"}}`,
		`{"test_run":{"id":38,"status":null}}`,
		`{"test_run":{"id":38,"status":{"word":"passed"}}}`,
		`{"test_run":{"id":38,"status":"pa\u0073sed"}}`,
		`{"test_run":{"id":38.0,"status":7}}`,
		`{"test_run":{"id":39,"status":"passed"}}`,
		`{"test_run":{"id":38,`,
		`{"detail":"Test run not found"}`,
		`<html><body><h1>502 Bad Gateway</h1></body></html>`,
		`null`,
	}
	triggerSeeds = []string{
		`{"message":"Test group run triggered successfully","test_group_run":{"company_id":2,"id":35,"name":"Manual Run 2025-07-03 01:38:03","status":"running","test_runs":[{"id":38,"status":"running","test_blueprint_id":180,"test_group_run_id":35,"results":null,"blueprint_metadata":{"title":"Login","steps":[{},{}]},"is_login_test_run":false,"test_video_s3_key":null,"created_at":"2025-07-03T01:38:03.020496+00:00","updated_at":"2025-07-03T01:38:03.020496+00:00"}],"created_at":"2025-07-03T01:38:03.020496+00:00","updated_at":"2025-07-03T01:38:03.020496+00:00"}}`,
		`{"test_group_run":{"id":"35","test_runs":[{"id":"38","test_blueprint_id":"180"},{"id":"38"},{"id":null},{"id":0}]}}`,
		`{"test_group_run":{"id":35,"test_runs":null}}`,
		`{"test_group_run":{"id":-1}}`,
		`{"detail":"Invalid API key ` + testKey + `"}`,
		`{"test_group_run":`,
	}
)

// FuzzDecodeGetRun feeds any bytes as a 200 answer to GET /test_run/38.
func FuzzDecodeGetRun(f *testing.F) {
	for _, s := range runSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		run, err := decodeRun(raw, 38, testKey)
		if err != nil {
			if run != nil {
				t.Fatalf("a run alongside an error: %+v", run)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Fatalf("error carries the key: %v", err)
			}
			return
		}
		if run.ID != 38 || run.Status == "" {
			t.Fatalf("accepted a run with id %d and status %q", run.ID, run.Status)
		}
		if run.Status != strings.ToLower(strings.TrimSpace(run.Status)) {
			t.Fatalf("status %q is not normalised", run.Status)
		}
		if run.Status == "passed" && !saysPassed(raw) {
			t.Fatalf("decoded a pass from an answer with no string saying passed: %q", raw)
		}
	})
}

// FuzzDecodeTrigger feeds any bytes as a 200 answer to the trigger.
func FuzzDecodeTrigger(f *testing.F) {
	for _, s := range triggerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		g, err := decodeTrigger(raw, testKey)
		if err != nil {
			if g != nil {
				t.Fatalf("a group alongside an error: %+v", g)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Fatalf("error carries the key: %v", err)
			}
			return
		}
		if g.ID <= 0 {
			t.Fatalf("accepted group id %d", g.ID)
		}
		seen := map[int64]bool{}
		for _, r := range g.Runs {
			if r.ID <= 0 || seen[r.ID] {
				t.Fatalf("run id %d is unusable or listed twice in %+v", r.ID, g.Runs)
			}
			seen[r.ID] = true
			if r.Status == "passed" && !saysPassed(raw) {
				t.Fatalf("decoded a pass from an answer with no string saying passed: %q", raw)
			}
		}
	})
}

// saysPassed is the oracle: whether any JSON string value in raw, trimmed
// and lower-cased, is "passed". Decoding into a generic value follows the
// same escapes as the client, so "pa\u0073sed" counts, but nothing that is
// not such a string can.
func saysPassed(raw []byte) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return strings.ToLower(strings.TrimSpace(v)) == "passed"
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}
