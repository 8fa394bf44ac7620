package docketqa

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// Seed answers: the documented examples, then the shapes seen in the wild
// or feared (string ids, null and odd statuses, duplicates, case variants,
// truncation, HTML).
var (
	runSeeds = []string{
		`{"test_run":{"id":38,"status":"running","test_blueprint_id":180,"test_group_run_id":35,"blueprint_metadata":{"title":"Login Flow","steps":[{}]},"results":null,"test_video_url":null,"is_login_test_run":false}}`,
		`{"test_run":{"id":38,"status":"passed","test_blueprint_id":180,"results":[{"step_number":1,"task":"Open the page","is_successful":true,"result":"ok","duration":43,"actions":[{"description":"go","type":"go_to_url","screenshot_url":"https://s/1.png","screenshot_url_before":"https://s/0.png","api_response":{}}]}],"test_video_url":"https://v/1.webm","test_video_download_url":"https://v/1d.webm","additional_attempts":[],"created_at":"2025-07-03T01:38:03.020496+00:00","updated_at":"2025-07-03T01:39:03.020496+00:00"}}`,
		`{"test_run":{"id":38,"status":"failed","results":[{"step_number":2,"task":"Click","is_successful":false,"result":"not found","duration":"12.5"}],"additional_attempts":[{"results":[{"is_successful":false}],"test_video_url":"https://v/0.webm"}]}}`,
		`{"test_run":{"id":"38","status":"PASSED","test_blueprint_id":"180"}}`,
		`{"test_run":{"id":38,"status":null}}`,
		`{"test_run":{"id":38,"status":{"word":"passed"}}}`,
		`{"test_run":{"id":38,"status":"pa\u0073sed"}}`,
		`{"test_run":{"id":38,"status":"pass\u200bed"}}`,
		`{"test_run":{"id":38,"status":"failed","status":"passed"}}`,
		`{"test_run":{"id":38,"status":"failed","Status":"passed"}}`,
		`{"TEST_RUN":{"id":38,"STATUS":"passed"}}`,
		`{"test_run":{"id":38.0,"status":7}}`,
		`{"test_run":{"id":39,"status":"passed"}}`,
		`{"test_run":{"id":38,"status":"failed","results":[{"step_number":1e300,"duration":"abc","task":{"x":1},"actions":[{"screenshot_url":5}]}]}}`,
		`{"test_run":{"id":38,`,
		`{"detail":"Test run not found"}`,
		`<html><body><h1>502 Bad Gateway</h1></body></html>`,
		`null`,
	}
	triggerSeeds = []string{
		`{"message":"Test group run triggered successfully","test_group_run":{"company_id":2,"id":35,"name":"Manual Run 2025-07-03 01:38:03","status":"running","test_runs":[{"id":38,"status":"running","test_blueprint_id":180,"test_group_run_id":35,"results":null,"blueprint_metadata":{"title":"Login","steps":[{},{}]},"is_login_test_run":false,"test_video_s3_key":null,"created_at":"2025-07-03T01:38:03.020496+00:00","updated_at":"2025-07-03T01:38:03.020496+00:00"}],"created_at":"2025-07-03T01:38:03.020496+00:00","updated_at":"2025-07-03T01:38:03.020496+00:00"}}`,
		`{"test_group_run":{"id":"35","test_runs":[{"id":"38","test_blueprint_id":"180"},{"id":"38"},{"id":null},{"id":0}]}}`,
		`{"test_group_run":{"id":35,"test_runs":null}}`,
		`{"test_group_run":{"id":35,"test_runs":[{"id":38,"test_blueprint_id":1},{"id":39,"test_blueprint_id":1}]}}`,
		`{"test_group_run":{"id":35,"test_runs":[{"id":38,"id":39}]}}`,
		`{"test_group_run":{"id":-1}}`,
		`{"detail":"Invalid API key ` + testKey + `"}`,
		`{"test_group_run":`,
	}
)

// decoderClient is a client for decoding only; it never sends a request.
func decoderClient(tb testing.TB, opts ...Option) *Client {
	tb.Helper()
	c, err := New("https://api.docketqa.invalid", testKey, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// decodeGet decodes raw as a 200 answer to GET /test_run/{id}, exactly as
// GetRun would.
func decodeGet(c *Client, raw []byte, id int64) (*TestRun, error) {
	var run *TestRun
	err := c.decodeBody(getEndpoint(id), 200, bytes.NewReader(raw), c.maxBody, func(r io.Reader) (err error) {
		run, err = c.decodeRun(r, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// decodeTrig decodes raw as a 200 answer to the trigger.
func decodeTrig(c *Client, raw []byte) (*GroupRun, error) {
	var g *GroupRun
	err := c.decodeBody(triggerEndpoint, 200, bytes.NewReader(raw), 1<<20, func(r io.Reader) (err error) {
		g, err = c.decodeTrigger(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// FuzzDecodeGetRun feeds any bytes as a 200 answer to GET /test_run/38.
func FuzzDecodeGetRun(f *testing.F) {
	for _, s := range runSeeds {
		f.Add([]byte(s))
	}
	c := decoderClient(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		run, err := decodeGet(c, raw, 38)
		if err != nil {
			if run != nil {
				t.Fatalf("a run alongside an error: %+v", run)
			}
			checkClean(t, err.Error())
			return
		}
		if run.ID != 38 || run.Status == "" {
			t.Fatalf("accepted a run with id %d and status %q", run.ID, run.Status)
		}
		if run.Status == "passed" && !strictlyPassed(raw) {
			t.Fatalf("decoded a pass from an answer whose test_run.status is not exactly passed: %q", raw)
		}
		checkRun(t, c.limits, run)
	})
}

// FuzzDecodeTrigger feeds any bytes as a 200 answer to the trigger.
func FuzzDecodeTrigger(f *testing.F) {
	for _, s := range triggerSeeds {
		f.Add([]byte(s))
	}
	c := decoderClient(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		g, err := decodeTrig(c, raw)
		if err != nil {
			if g != nil {
				t.Fatalf("a group alongside an error: %+v", g)
			}
			checkClean(t, err.Error())
			return
		}
		if g.ID <= 0 {
			t.Fatalf("accepted group id %d", g.ID)
		}
		checkClean(t, string(g.Name), string(g.Status))
		seen := map[int64]bool{}
		for i := range g.Runs {
			r := &g.Runs[i]
			if r.ID <= 0 || seen[r.ID] {
				t.Fatalf("run id %d is unusable or listed twice in %+v", r.ID, g.Runs)
			}
			seen[r.ID] = true
			checkRun(t, c.limits, r)
		}
	})
}

// FuzzCleanText checks that a decoded string cleaned from the cleaner's
// window reads as the whole string cleaned.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "abc", "a\u200bb" + strings.Repeat("é", 200), strings.Repeat("😀", 100)} {
		f.Add(s, 64)
	}
	f.Fuzz(func(t *testing.T, s string, capBytes int) {
		s = strings.ToValidUTF8(s, "\ufffd")
		cl := untrusted.NewCleaner(testKey, capBytes%300)
		if got, want := cleanText(cl, []byte(s)), cl.Text(s); got != want {
			t.Fatalf("cleanText(%q) = %q, want %q", s, got, want)
		}
	})
}

// strictlyPassed is the oracle: the document decoded by the JSON v2 rules
// (exact names, no duplicates) has test_run.status "passed", trimmed.
func strictlyPassed(raw []byte) bool {
	var doc struct {
		TestRun *struct {
			Status *string `json:"status"`
		} `json:"test_run"`
	}
	if json.Unmarshal(raw, &doc, jsontext.AllowInvalidUTF8(true)) != nil || doc.TestRun == nil || doc.TestRun.Status == nil {
		return false
	}
	return strings.TrimSpace(*doc.TestRun.Status) == "passed"
}

// checkClean fails when a text holds a control or format character or the
// key in any letter case.
func checkClean(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(strings.ToLower(s), strings.ToLower(testKey)) {
			t.Fatalf("text carries the key: %q", s)
		}
		if i := strings.IndexFunc(s, func(r rune) bool {
			return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
		}); i >= 0 {
			t.Fatalf("text carries a control or format character: %q", s)
		}
	}
}

// checkRun checks a decoded run against the boundary's promises: clean
// texts, usable links, and no more kept than the limits allow.
func checkRun(t *testing.T, lim Limits, r *TestRun) {
	t.Helper()
	checkClean(t, string(r.Status), string(r.Title))
	size := 0
	checkSteps := func(steps []Step) {
		if len(steps) > lim.Steps+1 {
			t.Fatalf("%d steps kept, limit %d", len(steps), lim.Steps)
		}
		for _, s := range steps {
			checkClean(t, string(s.Task), string(s.Result))
			if len(s.Task) > lim.TaskBytes || len(s.Result) > lim.ResultBytes || len(s.Screenshots) > lim.Links {
				t.Fatalf("step over its caps: %d, %d bytes, %d links", len(s.Task), len(s.Result), len(s.Screenshots))
			}
			size += len(s.Task) + len(s.Result)
			for _, u := range s.Screenshots {
				checkURL(t, u)
			}
		}
	}
	checkSteps(r.Steps)
	checkURL(t, r.VideoURL)
	if len(r.Retries) > lim.Attempts {
		t.Fatalf("%d attempts kept", len(r.Retries))
	}
	for _, a := range r.Retries {
		checkSteps(a.Steps)
		checkURL(t, a.VideoURL)
	}
	if len(r.Title) > lim.TitleBytes || size > lim.RunBytes+(1+len(r.Retries))*(lim.TaskBytes+lim.ResultBytes) {
		t.Fatalf("kept %d bytes of texts", size)
	}
}

func checkURL(t *testing.T, u untrusted.URL) {
	t.Helper()
	if u == "" {
		return
	}
	if !strings.HasPrefix(strings.ToLower(string(u)), "http") || strings.ContainsFunc(string(u), func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		t.Fatalf("kept link %q", u)
	}
	checkClean(t, string(u))
}
