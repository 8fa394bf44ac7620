package docketqa

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// The example payloads of the API reference (docs.docketqa.com, "Run Test"
// and "Get Test Run"), with every key and value the reference gives. The
// reference leaves out the failure text and the screenshot link of the
// get example; those two are stand-ins, marked below.
const (
	docTriggerExample = `{
  "message": "Test group run triggered successfully",
  "test_group_run": {
    "company_id": 2,
    "id": 35,
    "name": "Manual Run 2025-07-03 01:38:03",
    "status": "running",
    "test_runs": [
      {
        "id": 38,
        "status": "running",
        "test_blueprint_id": 180,
        "test_group_run_id": 35,
        "blueprint_metadata": {
          "id": 180,
          "title": "Login Flow",
          "type": "integration",
          "starting_url": "https://example.com/login",
          "steps": [
            {"action": "Enter 'user@example.com' in the email field", "step_number": 1, "type": "act"},
            {"action": "Enter the password in the password field", "step_number": 2, "type": "act"}
          ]
        },
        "results": null,
        "is_login_test_run": false,
        "test_video_s3_key": null,
        "created_at": "2025-07-03T01:38:03.020496+00:00",
        "updated_at": "2025-07-03T01:38:03.020496+00:00"
      }
    ],
    "created_at": "2025-07-03T01:38:03.020496+00:00",
    "updated_at": "2025-07-03T01:38:03.020496+00:00"
  }
}`
	docGetExample = `{
  "test_run": {
    "id": 38,
    "status": "failed",
    "test_blueprint_id": 180,
    "test_group_run_id": 35,
    "blueprint_metadata": {
      "id": 180,
      "title": "Login Flow",
      "type": "integration",
      "starting_url": "https://example.com/login",
      "steps": [
        {"action": "Enter 'user@example.com' in the email field", "step_number": 1, "type": "act"},
        {"action": "Enter the password in the password field", "step_number": 2, "type": "act"}
      ]
    },
    "results": [
      {
        "step_number": 1,
        "task": "Enter 'user@example.com' in the email field",
        "is_successful": false,
        "result": "The email field could not be found on the page.",
        "duration": 43,
        "actions": [
          {
            "description": "Look for the email field",
            "type": "extract_content",
            "screenshot_url": "https://docket-screenshots.s3.amazonaws.com/38/1.png",
            "screenshot_url_before": "https://docket-screenshots.s3.amazonaws.com/38/0.png",
            "api_response": {}
          }
        ]
      }
    ],
    "test_video_url": null,
    "test_video_download_url": null,
    "additional_attempts": [],
    "created_at": "2025-07-03T01:38:03.020496+00:00",
    "updated_at": "2025-07-03T01:40:11.020496+00:00"
  }
}`
)

func TestContractTriggerExample(t *testing.T) {
	t.Parallel()
	g, err := decodeTrig(decoderClient(t), []byte(docTriggerExample))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 7, 3, 1, 38, 3, 20496000, time.UTC)
	want := &GroupRun{ID: 35, Name: "Manual Run 2025-07-03 01:38:03", Status: "running", Runs: []TestRun{{
		ID: 38, BlueprintID: 180, GroupRunID: 35, Status: "running", Title: "Login Flow", StepCount: 2,
		CreatedAt: at, UpdatedAt: at,
	}}}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("trigger example decoded to\n%+v\nwant\n%+v", g, want)
	}
}

func TestContractGetExample(t *testing.T) {
	t.Parallel()
	r, err := decodeGet(decoderClient(t), []byte(docGetExample), 38)
	if err != nil {
		t.Fatal(err)
	}
	want := &TestRun{
		ID: 38, BlueprintID: 180, GroupRunID: 35, Status: "failed", Title: "Login Flow", StepCount: 2,
		Steps: []Step{{
			Number: 1, Task: "Enter 'user@example.com' in the email field", OK: false,
			Result: "The email field could not be found on the page.", Duration: 43 * time.Second,
			Screenshots:       []untrusted.URL{"https://docket-screenshots.s3.amazonaws.com/38/1.png"},
			ScreenshotsBefore: []untrusted.URL{"https://docket-screenshots.s3.amazonaws.com/38/0.png"},
		}},
		CreatedAt: time.Date(2025, 7, 3, 1, 38, 3, 20496000, time.UTC),
		UpdatedAt: time.Date(2025, 7, 3, 1, 40, 11, 20496000, time.UTC),
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("get example decoded to\n%+v\nwant\n%+v", r, want)
	}
}

// run wraps test_run fields in a GET answer.
func run(fields string) string { return `{"test_run":{` + fields + `}}` }

// TestHostileGetAnswers: answers a hostile or broken API could send, each
// with the one outcome the gate may draw from it.
func TestHostileGetAnswers(t *testing.T) {
	t.Parallel()
	c := decoderClient(t)
	big := strings.Repeat("x", 7<<20)
	cases := []struct {
		name string
		body string
		// err is a part of the DecodeError's text; "" means the answer reads.
		err   string
		check func(t *testing.T, r *TestRun)
	}{
		// Case variants never stand in for the documented names.
		{name: "Status beside status", body: run(`"id":38,"status":"failed","Status":"passed"`), check: status("failed")},
		{name: "Status before status", body: run(`"Status":"passed","id":38,"status":"failed"`), check: status("failed")},
		{name: "STATUS only", body: run(`"id":38,"STATUS":"passed"`), err: `"status" is missing`},
		{name: "TEST_RUN envelope", body: `{"TEST_RUN":{"id":38,"STATUS":"passed"}}`, err: `no "test_run" object`},
		{name: "Test_Run beside test_run", body: `{"Test_Run":{"id":38,"status":"passed"},"test_run":{"id":38,"status":"failed"}}`, check: status("failed")},
		{name: "upper-case PASSED is not passed", body: run(`"id":38,"status":"PASSED"`), check: status("PASSED")},
		{name: "padded passed is not a status word", body: run(`"id":38,"status":" passed\t"`), err: "white space, control or invisible characters"},
		{name: "escaped passed is passed", body: run(`"id":38,"status":"pa\u0073sed"`), check: status("passed")},

		// Duplicate names anywhere make the whole answer unreadable.
		{name: "duplicate status", body: run(`"id":38,"status":"failed","status":"passed"`), err: "duplicate"},
		{name: "duplicate status, pass first", body: run(`"id":38,"status":"passed","status":"failed"`), err: "duplicate"},
		{name: "duplicate test_run", body: `{"test_run":{"id":38,"status":"failed"},"test_run":{"id":38,"status":"passed"}}`, err: "duplicate"},
		{name: "duplicate id", body: run(`"id":38,"id":39,"status":"passed"`), err: "duplicate"},
		{name: "duplicate inside results", body: run(`"id":38,"status":"passed","results":[{"is_successful":false,"is_successful":true}]`), err: "duplicate"},
		{name: "duplicate inside a skipped field", body: run(`"id":38,"status":"passed","blueprint_metadata":{"steps":[{"a":1,"a":2}]}`), err: "duplicate"},
		{name: "duplicate in an unknown field", body: `{"x":{"y":1,"y":1},"test_run":{"id":38,"status":"passed"}}`, err: "duplicate"},

		// Verdict fields are strict.
		{name: "status with zero-width space", body: run(`"id":38,"status":"pass\u200bed"`), err: "invisible"},
		{name: "status with newline", body: run(`"id":38,"status":"passed\n::error::x"`), err: "control"},
		{name: "status with ESC", body: run("\"id\":38,\"status\":\"\x1b[32mpassed\""), err: "control"},
		{name: "status a number", body: run(`"id":38,"status":1`), err: "want a string"},
		{name: "status an object", body: run(`"id":38,"status":{"word":"passed"}`), err: "want a string"},
		{name: "status null", body: run(`"id":38,"status":null`), err: "missing or null"},
		{name: "status of spaces", body: run(`"id":38,"status":"  "`), err: "white space, control or invisible characters"},
		{name: "status huge", body: run(`"id":38,"status":"` + strings.Repeat("passed", 100) + `"`), err: "status word"},
		{name: "id a fraction", body: run(`"id":38.5,"status":"passed"`), err: "want an integer"},
		{name: "id not a number", body: run(`"id":"zz","status":"passed"`), err: "want an integer"},
		{name: "id with a leading zero", body: run(`"id":"038","status":"passed"`), err: "want an integer"},
		{name: "id a boolean", body: run(`"id":true,"status":"passed"`), err: "want an integer"},
		{name: "blueprint id not a number", body: run(`"id":38,"status":"passed","test_blueprint_id":"zz"`), err: "want an integer"},
		{name: "test_run not an object", body: `{"test_run":"passed"}`, err: "want an object"},
		{name: "answer not an object", body: `["passed"]`, err: "want an object"},
		{name: "trailing garbage", body: run(`"id":38,"status":"passed"`) + ` x`, err: "invalid character"},
		{name: "two documents", body: run(`"id":38,"status":"failed"`) + run(`"id":38,"status":"passed"`), err: "more than one JSON value"},
		{name: "truncated", body: run(`"id":38,"status":"passed"`)[:30], err: "unexpected EOF"},

		// Identity: an answer about another run is no answer; an absent id
		// is no disagreement; the blueprint id is reported as sent.
		{name: "other run", body: run(`"id":39,"status":"passed"`), err: "answer is for test run 39"},
		{name: "negative id", body: run(`"id":-38,"status":"passed"`), err: "answer is for test run -38"},
		{name: "id absent", body: run(`"status":"failed"`), check: func(t *testing.T, r *TestRun) {
			if r.ID != 38 || r.BlueprintID != 0 {
				t.Errorf("id %d blueprint %d, want 38 and 0", r.ID, r.BlueprintID)
			}
		}},
		{name: "id null", body: run(`"id":null,"status":"failed"`), check: status("failed")},
		{name: "other blueprint reported", body: run(`"id":38,"status":"passed","test_blueprint_id":999`), check: func(t *testing.T, r *TestRun) {
			if r.BlueprintID != 999 {
				t.Errorf("blueprint %d, want 999 as sent", r.BlueprintID)
			}
		}},

		// Decorative fields: a bad value is dropped alone.
		{name: "bad decorative values", body: run(`"id":38,"status":"failed","test_group_run_id":"zz","blueprint_metadata":{"title":{"x":1},"steps":7},
			"results":[{"step_number":1e300,"task":["a"],"is_successful":"no","result":7,"duration":"abc","actions":[{"screenshot_url":5},{"screenshot_url":"javascript:alert(1)"},"x"]},
			{"step_number":2,"is_successful":false,"duration":-1},"junk"],
			"test_video_url":{"u":1},"created_at":"yesterday","updated_at":12,"additional_attempts":{"a":1}`),
			check: func(t *testing.T, r *TestRun) {
				if r.Status != "failed" || r.GroupRunID != 0 || r.Title != "" || r.StepCount != 0 || len(r.Steps) != 3 || r.VideoURL != "" || !r.CreatedAt.IsZero() || r.Retries != nil {
					t.Errorf("got %+v", r)
				}
				s := r.Steps[0]
				if s.Number != 1 || s.Task != "" || s.OK || s.Result != "7" || s.Duration != 0 || s.Screenshots != nil {
					t.Errorf("step 1: %+v", s)
				}
				if r.Steps[1].Number != 2 || r.Steps[2].Number != 3 {
					t.Errorf("step numbers %d %d, want 2 and 3", r.Steps[1].Number, r.Steps[2].Number)
				}
				want := Omitted{Links: 3, Fields: 13, FieldNames: []string{"test_group_run_id", "blueprint_metadata.title", "blueprint_metadata.steps", "results[0].step_number", "results[0].task"}}
				if !reflect.DeepEqual(r.Omitted, want) {
					t.Errorf("omitted %+v, want %+v", r.Omitted, want)
				}
			}},
		{name: "decorative envelopes of the wrong kind", body: run(`"id":38,"status":"passed","results":"none","blueprint_metadata":[1]`), check: func(t *testing.T, r *TestRun) {
			if r.Status != "passed" || r.Steps != nil || r.Omitted.Fields != 2 {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "numbers as strings", body: run(`"id":"38","status":"failed","test_group_run_id":"35","results":[{"step_number":"4","duration":"1.5","is_successful":true}]`), check: func(t *testing.T, r *TestRun) {
			if r.GroupRunID != 35 || r.Steps[0].Number != 4 || r.Steps[0].Duration != 1500*time.Millisecond || !r.Steps[0].OK || !r.Omitted.Empty() {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "download link when no video link", body: run(`"id":38,"status":"passed","test_video_download_url":"https://v/d.webm"`), check: func(t *testing.T, r *TestRun) {
			if r.VideoURL != "https://v/d.webm" {
				t.Errorf("video %q", r.VideoURL)
			}
		}},

		// Texts are cleaned where they are decoded.
		{name: "terminal escapes and bidi in texts", body: run(`"id":38,"status":"failed","blueprint_metadata":{"title":"Log\u001b[31min\u001b]8;;https://evil\u0007here\u202e\u2066 flow\nnext"},
			"results":[{"task":"a\r\nb","result":"::add-mask::x\n##[error]y","is_successful":false}]`), check: func(t *testing.T, r *TestRun) {
			if r.Title != "Log [31min ]8;;https://evil here flow next" || r.Steps[0].Task != "a b" || r.Steps[0].Result != "::add-mask::x ##[error]y" {
				t.Errorf("title %q task %q result %q", r.Title, r.Steps[0].Task, r.Steps[0].Result)
			}
		}},
		{name: "key echoed in mixed case", body: run(`"id":38,"status":"` + strings.ToUpper(testKey) + `","blueprint_metadata":{"title":"a ` + testKey + `"},"results":[{"result":"k=` + mixedCase(testKey) + `","task":"` + testKey[:5] + `\u200b` + testKey[5:] + `"}],"test_video_url":"https://v/?k=` + testKey + `"`),
			check: func(t *testing.T, r *TestRun) {
				if r.Status != "[redacted]" || r.Title != "a [redacted]" || r.Steps[0].Result != "k=[redacted]" || r.Steps[0].Task != "[redacted]" || r.VideoURL != "" || r.Omitted.Links != 1 {
					t.Errorf("got %+v", r)
				}
			}},
		{name: "attachment marker stays text", body: run(`"id":38,"status":"failed","results":[{"result":"[[ATTACHMENT|/etc/passwd]]"}]`), check: func(t *testing.T, r *TestRun) {
			if r.Steps[0].Result != "[[ATTACHMENT|/etc/passwd]]" {
				t.Errorf("result %q", r.Steps[0].Result)
			}
		}},
		{name: "invalid UTF-8 in a text", body: run("\"id\":38,\"status\":\"failed\",\"blueprint_metadata\":{\"title\":\"a\xffb\"}"), check: func(t *testing.T, r *TestRun) {
			if r.Title != "a\ufffdb" {
				t.Errorf("title %q", r.Title)
			}
		}},
		{name: "invalid UTF-8 in the status", body: run("\"id\":38,\"status\":\"pass\xffed\""), err: "control or invisible"},
		{name: "huge result", body: run(`"id":38,"status":"failed","results":[{"result":"` + big + `"}]`), check: func(t *testing.T, r *TestRun) {
			want := fmt.Sprintf("… (%d bytes)", len(big))
			if res := string(r.Steps[0].Result); len(res) > DefaultLimits.ResultBytes || !strings.HasSuffix(res, want) {
				t.Errorf("result of %d bytes ending %q", len(res), res[len(res)-20:])
			}
		}},
		{name: "huge escaped title", body: run(`"id":38,"status":"failed","blueprint_metadata":{"title":"` + strings.Repeat(`\u00e9`, 100000) + `"}`), check: func(t *testing.T, r *TestRun) {
			if len(r.Title) > DefaultLimits.TitleBytes || !strings.HasSuffix(string(r.Title), "é… (200000 bytes)") {
				t.Errorf("title of %d bytes: %q", len(r.Title), r.Title)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := decodeGet(c, []byte(tc.body), 38)
			if tc.err != "" {
				var de *DecodeError
				if !errors.As(err, &de) || !strings.Contains(err.Error(), tc.err) || r != nil {
					t.Fatalf("want a DecodeError with %q, got %v (run %+v)", tc.err, err, r)
				}
				checkClean(t, err.Error())
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, r)
			checkRun(t, c.limits, r)
		})
	}
}

func status(want untrusted.Text) func(t *testing.T, r *TestRun) {
	return func(t *testing.T, r *TestRun) {
		t.Helper()
		if r.Status != want || r.ID != 38 {
			t.Errorf("run %d status %q, want 38 %q", r.ID, r.Status, want)
		}
	}
}

func mixedCase(s string) string {
	b := []byte(s)
	for i := range b {
		if i%2 == 0 {
			b[i] = strings.ToUpper(string(b[i]))[0]
		}
	}
	return string(b)
}

func TestHostileTriggerAnswers(t *testing.T) {
	t.Parallel()
	c := decoderClient(t)
	cases := []struct {
		name, body, err string
		check           func(t *testing.T, g *GroupRun)
	}{
		{name: "duplicate run id field", body: `{"test_group_run":{"id":35,"test_runs":[{"id":38,"id":39}]}}`, err: "duplicate"},
		{name: "duplicate group", body: `{"test_group_run":{"id":35},"test_group_run":{"id":36}}`, err: "duplicate"},
		{name: "TEST_GROUP_RUN", body: `{"TEST_GROUP_RUN":{"id":35}}`, err: "no \"test_group_run\""},
		{name: "group id not a number", body: `{"test_group_run":{"id":"zz"}}`, err: "want an integer"},
		{name: "group id absent", body: `{"test_group_run":{"name":"x"}}`, err: "no \"test_group_run\""},
		{name: "group not an object", body: `{"test_group_run":35}`, err: "want an object"},
		{name: "test_runs not an array", body: `{"test_group_run":{"id":35,"test_runs":{"id":38}}}`, err: "want an array"},
		{name: "run not an object", body: `{"test_group_run":{"id":35,"test_runs":[38]}}`, err: "want an object"},
		{name: "run id a fraction", body: `{"test_group_run":{"id":35,"test_runs":[{"id":38.5}]}}`, err: "want an integer"},
		{name: "two runs for one blueprint both kept", body: `{"test_group_run":{"id":35,"test_runs":[{"id":38,"test_blueprint_id":1,"status":"failed"},{"id":39,"test_blueprint_id":1,"status":"passed"}]}}`,
			check: func(t *testing.T, g *GroupRun) {
				if len(g.Runs) != 2 || g.Runs[0].BlueprintID != 1 || g.Runs[1].BlueprintID != 1 {
					t.Errorf("runs %+v", g.Runs)
				}
			}},
		{name: "odd status words are only shown in a trigger answer", body: `{"test_group_run":{"id":35,"name":{"a":1},"status":"run\u200bning","test_runs":[{"id":38,"status":"\u001bqueued"}]}}`,
			check: func(t *testing.T, g *GroupRun) {
				if g.Name != "" || g.Status != "running" || g.Runs[0].Status != "queued" || g.Omitted.Fields != 1 {
					t.Errorf("group %+v", g)
				}
			}},
		{name: "key in the group name", body: `{"test_group_run":{"id":35,"name":"` + strings.ToUpper(testKey) + `"}}`,
			check: func(t *testing.T, g *GroupRun) {
				if g.Name != "[redacted]" {
					t.Errorf("name %q", g.Name)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, err := decodeTrig(c, []byte(tc.body))
			if tc.err != "" {
				var de *DecodeError
				if !errors.As(err, &de) || !strings.Contains(err.Error(), tc.err) || g != nil {
					t.Fatalf("want a DecodeError with %q, got %v", tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, g)
		})
	}
}

// TestLimits: whatever the answer's size, a run keeps at most its caps,
// the first failing step is always kept with its links, and the rest is
// counted so reports can say what is not shown.
func TestLimits(t *testing.T) {
	t.Parallel()
	lim := Limits{Steps: 3, Attempts: 1, Links: 2, TitleBytes: 64, TaskBytes: 64, ResultBytes: 100, RunBytes: 1000}
	c := decoderClient(t, WithLimits(lim))
	step := func(n int, ok bool, links int) string {
		var acts []string
		for i := range links {
			acts = append(acts, fmt.Sprintf(`{"screenshot_url":"https://s/%d/%d.png"}`, n, i))
		}
		return fmt.Sprintf(`{"step_number":%d,"is_successful":%v,"result":"%s","actions":[%s]}`, n, ok, strings.Repeat("r", 300), strings.Join(acts, ","))
	}
	steps := func(from, to, failAt int) string {
		var s []string
		for n := from; n <= to; n++ {
			s = append(s, step(n, n != failAt, 3))
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	cases := []struct {
		name       string
		results    string
		attempts   string
		wantNums   []int
		wantOmit   int
		wantRetry  int
		wantRetryN []int
	}{
		{name: "under the caps", results: steps(1, 2, 0), wantNums: []int{1, 2}},
		{name: "step cap", results: steps(1, 5, 0), wantNums: []int{1, 2, 3}, wantOmit: 2},
		{name: "failing step past the cap is kept", results: steps(1, 10, 8), wantNums: []int{1, 2, 3, 8}, wantOmit: 6},
		{name: "only the first failing step is forced", results: steps(1, 10, 8)[:len(steps(1, 10, 8))-1] + "," + step(11, false, 1) + "]", wantNums: []int{1, 2, 3, 8}, wantOmit: 7},
		{name: "failing step inside the cap", results: steps(1, 6, 2), wantNums: []int{1, 2, 3}, wantOmit: 3},
		{name: "attempt cap and shared budget", results: steps(1, 2, 0), attempts: `[{"results":` + steps(1, 5, 5) + `},{"results":[]}]`,
			wantNums: []int{1, 2}, wantRetry: 1, wantRetryN: []int{1, 5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := run(`"id":38,"status":"failed","results":` + tc.results)
			if tc.attempts != "" {
				body = run(`"id":38,"status":"failed","results":` + tc.results + `,"additional_attempts":` + tc.attempts)
			}
			r, err := decodeGet(c, []byte(body), 38)
			if err != nil {
				t.Fatal(err)
			}
			var nums []int
			for _, s := range r.Steps {
				nums = append(nums, s.Number)
				if len(s.Result) > lim.ResultBytes || len(s.Screenshots) != 2 {
					t.Errorf("step %d: %d bytes, %d links", s.Number, len(s.Result), len(s.Screenshots))
				}
			}
			if !reflect.DeepEqual(nums, tc.wantNums) || r.Omitted.Steps != tc.wantOmit {
				t.Errorf("kept steps %v with %d not shown, want %v with %d", nums, r.Omitted.Steps, tc.wantNums, tc.wantOmit)
			}
			if tc.attempts != "" {
				var rn []int
				for _, s := range r.Retries[0].Steps {
					rn = append(rn, s.Number)
				}
				if len(r.Retries) != 1 || r.Omitted.Attempts != tc.wantRetry || !reflect.DeepEqual(rn, tc.wantRetryN) || r.Retries[0].StepsNotShown != 3 || r.Omitted.Links != 4 {
					t.Errorf("retries %+v, omitted %+v", r.Retries, r.Omitted)
				}
			}
		})
	}
}

func TestOmittedString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		o    Omitted
		want string
	}{
		{Omitted{}, ""},
		{Omitted{Steps: 1}, "1 step not shown"},
		{Omitted{Steps: 12, Attempts: 2, Links: 1, Fields: 2, FieldNames: []string{"a", "b"}}, "12 steps not shown; 2 earlier attempts not shown; 1 link dropped; 2 unreadable fields ignored (a, b)"},
		{Omitted{Fields: 1}, "1 unreadable field ignored"},
	}
	for _, tc := range cases {
		if got := tc.o.String(); got != tc.want || tc.o.Empty() != (tc.want == "") {
			t.Errorf("%+v: %q (empty %v), want %q", tc.o, got, tc.o.Empty(), tc.want)
		}
	}
	var o Omitted
	for i := range 9 {
		o.field(fmt.Sprint(i))
	}
	if o.Fields != 9 || len(o.FieldNames) != maxFieldNames {
		t.Errorf("field names not bounded: %+v", o)
	}
}

// TestBudgetCountsEveryText: a step costs its task, result and links
// beside a fixed overhead, so the byte budget, not only the step cap,
// decides how many steps a run keeps.
func TestBudgetCountsEveryText(t *testing.T) {
	t.Parallel()
	c := decoderClient(t, WithLimits(Limits{Steps: 100, TaskBytes: 200, ResultBytes: 200, RunBytes: 4 * (stepOverhead + 400)}))
	cases := []struct {
		name, step string
		want       int
	}{
		{"task and result", `{"is_successful":true,"task":"` + strings.Repeat("t", 200) + `","result":"` + strings.Repeat("r", 200) + `"}`, 4},
		{"task only, cut to its cap", `{"is_successful":true,"task":"` + strings.Repeat("t", 400) + `"}`, 6},
		{"links", `{"is_successful":true,"actions":[{"screenshot_url":"https://s/` + strings.Repeat("u", 390) + `"}]}`, 4},
		{"overhead only", `{"is_successful":true}`, 4 * (stepOverhead + 400) / stepOverhead},
	}
	for _, tc := range cases {
		body := run(`"id":38,"status":"passed","results":[` + strings.TrimSuffix(strings.Repeat(tc.step+",", 40), ",") + `]`)
		r, err := decodeGet(c, []byte(body), 38)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Steps) != tc.want || r.Omitted.Steps != 40-tc.want {
			t.Errorf("%s: kept %d steps (%d not shown), want %d", tc.name, len(r.Steps), r.Omitted.Steps, tc.want)
		}
	}
}
