package docketqa

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// TestDecodeBoundaries pins every bound of the decoder at its edge, so
// that moving one by a byte is noticed.
func TestDecodeBoundaries(t *testing.T) {
	t.Parallel()
	c := decoderClient(t)
	longURL := func(n int) string { return "https://s3.example/" + strings.Repeat("a", n-len("https://s3.example/")) }
	cases := []struct {
		name, body string
		err        string
		check      func(t *testing.T, r *TestRun)
	}{
		{name: "status of 32 bytes", body: run(`"id":38,"status":"` + strings.Repeat("w", 32) + `"`), check: status(untrusted.Text(strings.Repeat("w", 32)))},
		{name: "status of 33 bytes", body: run(`"id":38,"status":"` + strings.Repeat("w", 33) + `"`), err: "a string of 33 bytes"},
		{name: "status padded to 128 bytes", body: run(`"id":38,"status":"` + strings.Repeat(" ", 61) + "passed" + strings.Repeat(" ", 61) + `"`), err: "a string of 128 bytes"},
		{name: "status padded to 129 bytes", body: run(`"id":38,"status":"` + strings.Repeat(" ", 62) + "passed" + strings.Repeat(" ", 61) + `"`), err: "a string of 129 bytes"},
		{name: "status padded past a word", body: run(`"id":38,"status":"passed` + strings.Repeat(" ", 100) + `x"`), err: "want a status word"},
		{name: "step numbers at their bounds", body: run(`"id":38,"status":"failed","results":[{"step_number":2147483647},{"step_number":2147483648},{"step_number":0},{"step_number":1},{"step_number":2.5},{"step_number":-3}]`),
			check: func(t *testing.T, r *TestRun) {
				want := []int{2147483647, 2, 3, 1, 5, 6}
				for i, s := range r.Steps {
					if s.Number != want[i] {
						t.Errorf("step %d numbered %d, want %d", i, s.Number, want[i])
					}
				}
				if r.Omitted.Fields != 4 {
					t.Errorf("omitted %+v", r.Omitted)
				}
			}},
		{name: "group run id at its bound", body: run(`"id":38,"status":"failed","test_group_run_id":9007199254740991`), check: func(t *testing.T, r *TestRun) {
			if r.GroupRunID != 9007199254740991 {
				t.Errorf("group run %d", r.GroupRunID)
			}
		}},
		{name: "group run id past its bound", body: run(`"id":38,"status":"failed","test_group_run_id":9007199254740993`), check: func(t *testing.T, r *TestRun) {
			if r.GroupRunID != 0 || r.Omitted.Fields != 1 {
				t.Errorf("group run %d, omitted %+v", r.GroupRunID, r.Omitted)
			}
		}},
		{name: "link of the cap kept whole", body: run(`"id":38,"status":"failed","test_video_url":"` + longURL(untrusted.MaxURL) + `"`), check: func(t *testing.T, r *TestRun) {
			if string(r.VideoURL) != longURL(untrusted.MaxURL) {
				t.Errorf("link of %d bytes", len(r.VideoURL))
			}
		}},
		{name: "link past the cap dropped", body: run(`"id":38,"status":"failed","test_video_url":"` + longURL(untrusted.MaxURL+1) + `"`), check: func(t *testing.T, r *TestRun) {
			if r.VideoURL != "" || r.Omitted.Links != 1 {
				t.Errorf("link of %d bytes, omitted %+v", len(r.VideoURL), r.Omitted)
			}
		}},
		{name: "escaped link past the cap dropped", body: run(`"id":38,"status":"failed","test_video_url":"` + strings.Replace(longURL(untrusted.MaxURL+1), "aa", `a\u0061`, 1) + `"`), check: func(t *testing.T, r *TestRun) {
			if r.VideoURL != "" {
				t.Errorf("link of %d bytes", len(r.VideoURL))
			}
		}},
		{name: "duration bounds", body: run(`"id":38,"status":"failed","results":[{"duration":0},{"duration":10000000},{"duration":10000001},{"duration":-0.5},{"duration":"1e400"}]`), check: func(t *testing.T, r *TestRun) {
			if r.Steps[0].Duration != 0 || r.Steps[1].Duration != 1e7*time.Second || r.Steps[2].Duration != 0 || r.Omitted.Fields != 3 {
				t.Errorf("durations %v %v %v, omitted %+v", r.Steps[0].Duration, r.Steps[1].Duration, r.Steps[2].Duration, r.Omitted)
			}
		}},
		{name: "ids in canonical form only", body: run(`"id":"+38","status":"failed"`), err: "want an integer"},
		{name: "id minus zero", body: run(`"id":"-0","status":"failed"`), err: "want an integer"},
		{name: "id of the key is not quoted back", body: run(`"id":"` + testKey + `","status":"failed"`), err: "text of 28 bytes"},
		{name: "id exponent", body: run(`"id":3.8e1,"status":"failed"`), err: `"3.8e1"`},
		{name: "long numeric id quoted", body: run(`"id":123456789012345678901234,"status":"failed"`), err: `"123456789012345678901234"`},
		{name: "longer numeric id not quoted", body: run(`"id":1234567890123456789012345,"status":"failed"`), err: "text of 25 bytes"},
		{name: "null actions are no bad field", body: run(`"id":38,"status":"failed","results":[{"actions":null}]`), check: func(t *testing.T, r *TestRun) {
			if !r.Omitted.Empty() {
				t.Errorf("omitted %+v", r.Omitted)
			}
		}},
		{name: "booleans", body: run(`"id":38,"status":"failed","results":[{"is_successful":true},{"is_successful":false},{"is_successful":null},{"is_successful":1}]`), check: func(t *testing.T, r *TestRun) {
			if !r.Steps[0].OK || r.Steps[1].OK || r.Steps[2].OK || r.Steps[3].OK || r.Omitted.Fields != 1 {
				t.Errorf("steps %+v, omitted %+v", r.Steps, r.Omitted)
			}
		}},
		{name: "texts from literals", body: run(`"id":38,"status":"failed","blueprint_metadata":{"title":true},"results":[{"task":12.5,"result":null}]`), check: func(t *testing.T, r *TestRun) {
			if r.Title != "true" || r.Steps[0].Task != "12.5" || r.Steps[0].Result != "" || !r.Omitted.Empty() {
				t.Errorf("title %q task %q result %q omitted %+v", r.Title, r.Steps[0].Task, r.Steps[0].Result, r.Omitted)
			}
		}},
		{name: "times", body: run(`"id":38,"status":"failed","created_at":"2025-07-03T01:38:03.020496","updated_at":"2025-07-03 01:39:03.5+02:00"`), check: func(t *testing.T, r *TestRun) {
			if !r.CreatedAt.Equal(time.Date(2025, 7, 3, 1, 38, 3, 20496000, time.UTC)) || !r.UpdatedAt.Equal(time.Date(2025, 7, 2, 23, 39, 3, 5e8, time.UTC)) {
				t.Errorf("times %v %v", r.CreatedAt, r.UpdatedAt)
			}
		}},
		{name: "null envelopes", body: run(`"id":38,"status":"failed","results":null,"blueprint_metadata":null,"additional_attempts":null,"test_video_url":null,"created_at":null`), check: func(t *testing.T, r *TestRun) {
			if r.Steps != nil || r.Retries != nil || !r.Omitted.Empty() {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "test_run null", body: `{"test_run":null}`, err: `no "test_run" object`},
		{name: "actions of the wrong kinds", body: run(`"id":38,"status":"failed","results":[{"actions":null},{"actions":"x"},{"actions":[{"screenshot_url":null},{"screenshot_url":""},{"other":1}]}]`), check: func(t *testing.T, r *TestRun) {
			if len(r.Steps) != 3 || r.Omitted.Fields != 1 || r.Omitted.Links != 0 || r.Steps[2].Screenshots != nil {
				t.Errorf("steps %+v omitted %+v", r.Steps, r.Omitted)
			}
		}},
		{name: "attempts of the wrong kinds", body: run(`"id":38,"status":"failed","additional_attempts":[1,{"results":[],"test_video_url":"https://v/0.webm","x":1}]`), check: func(t *testing.T, r *TestRun) {
			if len(r.Retries) != 1 || r.Retries[0].VideoURL != "https://v/0.webm" || r.Omitted.Fields != 1 {
				t.Errorf("retries %+v omitted %+v", r.Retries, r.Omitted)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := decodeGet(c, []byte(tc.body), 38)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want an error with %q, got %v", tc.err, err)
				}
				checkClean(t, err.Error())
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, r)
		})
	}
}

func TestTriggerZeroIDIsDropped(t *testing.T) {
	t.Parallel()
	g, err := decodeTrig(decoderClient(t), []byte(`{"test_group_run":{"id":35,"test_runs":[{"id":0,"test_blueprint_id":1},{"id":"0"},{"id":7,"test_blueprint_id":"2"}]}}`))
	if err != nil || len(g.Runs) != 1 || g.Runs[0].ID != 7 || g.Runs[0].BlueprintID != 2 {
		t.Fatalf("got %+v, %v", g, err)
	}
}

// TestClientBoundaries pins the bounds of the HTTP side.
func TestClientBoundaries(t *testing.T) {
	t.Parallel()
	trigger := func(pad int) string {
		return `{"test_group_run":{"id":35,"test_runs":[{"id":38,"test_blueprint_id":1}]},"pad":"` + strings.Repeat("p", pad) + `"}`
	}
	t.Run("trigger answer within its per-run allowance", func(t *testing.T) {
		t.Parallel()
		c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("trigger sent Content-Type %q", r.Header.Get("Content-Type"))
			}
			if b, err := io.ReadAll(r.Body); err != nil || string(b) != `{"test_blueprint_ids":[1]}` {
				t.Errorf("trigger sent %q, %v", b, err)
			}
			_, _ = w.Write([]byte(trigger(1<<20 + 32<<10)))
		})
		if g, err := c.Trigger(context.Background(), []int64{1}); err != nil || g.ID != 35 {
			t.Fatalf("got %+v, %v", g, err)
		}
	})
	t.Run("trigger answer past it", func(t *testing.T) {
		t.Parallel()
		c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(trigger(1<<20 + 64<<10)))
		})
		_, err := c.Trigger(context.Background(), []int64{1})
		var ae *APIError
		var ue *UncertainTriggerError
		if !errors.As(err, &ue) || !errors.As(err, &ae) || ae.TooLarge != 1<<20+64<<10 || ae.StatusCode != 200 {
			t.Fatalf("want an uncertain too-large trigger, got %v", err)
		}
	})
	for _, code := range []int{299, 300} {
		t.Run(fmt.Sprintf("status %d", code), func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Content-Type") != "" {
					t.Errorf("GET sent Content-Type %q", r.Header.Get("Content-Type"))
				}
				w.WriteHeader(code)
				_, _ = w.Write([]byte(run(`"id":38,"status":"failed"`)))
			})
			r, err := c.GetRun(context.Background(), 38)
			var ae *APIError
			if ok := code <= 299; ok != (err == nil) || (!ok && (!errors.As(err, &ae) || ae.StatusCode != 300)) || (ok && r.Status != "failed") {
				t.Errorf("HTTP %d: %+v, %v", code, r, err)
			}
		})
	}
	for _, hops := range []int{4, 5} {
		t.Run(fmt.Sprintf("%d same-host redirects", hops), func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				var n int
				if _, err := fmt.Sscanf(r.URL.Query().Get("hop"), "%d", &n); err != nil || n < hops {
					http.Redirect(w, r, fmt.Sprintf("/prefix/test_run/38?hop=%d", n+1), http.StatusFound)
					return
				}
				_, _ = w.Write([]byte(run(`"id":38,"status":"failed"`)))
			})
			_, err := c.GetRun(context.Background(), 38)
			if (hops < 5) != (err == nil) {
				t.Errorf("%d redirects: %v", hops, err)
			}
		})
	}
}

func TestTriggerBackoff(t *testing.T) {
	t.Parallel()
	var waits []time.Duration
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
	}, WithSleep(func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }))
	_, err := c.Trigger(context.Background(), []int64{1})
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	if err == nil || fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v (err %v)", waits, want, err)
	}
}

func TestParseRetryAfterSeconds(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{"": 0, "0": 0, "-5": 0, "1": time.Second, "300": maxRetryAfter, "301": maxRetryAfter, "x": 0, " 7 ": 7 * time.Second} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestBodyReaderBounds: the excerpt head never grows past its size, the
// count covers every byte, and a read error is kept for classification.
func TestBodyReaderBounds(t *testing.T) {
	t.Parallel()
	br := &bodyReader{r: bytes.NewReader(bytes.Repeat([]byte("a"), 10*excerptHead)), limit: 1 << 30}
	n := 0
	buf := make([]byte, excerptHead/3)
	var err error
	for err == nil {
		var k int
		k, err = br.Read(buf)
		n += k
	}
	if err != io.EOF || n != 10*excerptHead || br.n != int64(n) || len(br.head) != excerptHead || br.err != nil {
		t.Errorf("read %d (%v), counted %d, head %d, err %v", n, err, br.n, len(br.head), br.err)
	}
	boom := errors.New("boom")
	br = &bodyReader{r: io.MultiReader(strings.NewReader("abc"), errReader{boom}), limit: 100}
	if _, err := io.ReadAll(br); !errors.Is(err, boom) || !errors.Is(br.err, boom) || string(br.head) != "abc" {
		t.Errorf("err %v, kept %v, head %q", err, br.err, br.head)
	}
	br = &bodyReader{r: strings.NewReader("abcdef"), limit: 5}
	if _, err := io.ReadAll(br); err != io.ErrUnexpectedEOF || br.n != 6 {
		t.Errorf("over the limit: err %v after %d bytes", err, br.n)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestCleanText: a text cleaned from the window the cleaner looks at reads
// as the whole text cleaned, also when the window's end falls inside a
// character.
func TestCleanText(t *testing.T) {
	t.Parallel()
	cl := untrusted.NewCleaner("", untrusted.MinCap)
	w := cl.Window()
	zw := strings.Repeat("\u200b", (w-3)/3) // invisible: cleaned away
	cases := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"short", "abc", "abc"},
		{"the window exactly", strings.Repeat("a", w), strings.Repeat("a", 49) + "… (144 bytes)"},
		{"a character across the window's end", zw + "éü" + strings.Repeat("x", 10), "é… (155 bytes)"},
		{"a character ending at the window", zw + "aé", "aé"},
	}
	for _, tc := range cases {
		if got, whole := cleanText(cl, []byte(tc.in)), cl.Text(tc.in); got != untrusted.Text(tc.want) || got != whole {
			t.Errorf("%s: cleanText = %q, want %q (Text of the whole: %q)", tc.name, got, tc.want, whole)
		}
	}
}

func TestCheckBlueprint(t *testing.T) {
	t.Parallel()
	cases := []struct {
		r    *TestRun
		want int64
		err  string
	}{
		{nil, 180, ""},
		{&TestRun{ID: 38}, 180, ""},
		{&TestRun{ID: 38, BlueprintID: 180}, 180, ""},
		{&TestRun{ID: 38, BlueprintID: 181}, 180, "GET /test_run/38: unexpected answer: answer names blueprint 181, but test run 38 was started for blueprint 180"},
	}
	for _, tc := range cases {
		err := CheckBlueprint(tc.r, tc.want)
		var de *DecodeError
		if (tc.err == "") != (err == nil) || (err != nil && (err.Error() != tc.err || !errors.As(err, &de) || !IsTemporary(err))) {
			t.Errorf("CheckBlueprint(%+v, %d) = %v, want %q", tc.r, tc.want, err, tc.err)
		}
	}
}

// TestDecodeErrorTexts pins what a refused answer says: the field, by its
// path in the answer, what it held and what was wanted.
func TestDecodeErrorTexts(t *testing.T) {
	t.Parallel()
	c := decoderClient(t)
	trig := func(runs string) string { return `{"test_group_run":{"id":35,"test_runs":` + runs + `}}` }
	cases := []struct {
		name, body string
		trigger    bool
		want       string
	}{
		{"answer of the wrong kind", `["passed"]`, false, "wrong type: an array, want an object"},
		{"envelope of the wrong kind", `{"test_run":"passed"}`, false, "test_run: wrong type: a string, want an object"},
		{"fractional id", run(`"id":38.5,"status":"passed"`), false, `test_run.id: wrong type: "38.5", want an integer`},
		{"zero id", run(`"id":0,"status":"passed"`), false, "test_run.id: wrong type: 0, want a positive id"},
		{"zero blueprint id", run(`"id":38,"status":"passed","test_blueprint_id":"0"`), false, "test_run.test_blueprint_id: wrong type: 0, want a positive id"},
		{"status a number", run(`"id":38,"status":1`), false, "test_run.status: wrong type: a number, want a string"},
		{"two documents", run(`"id":38,"status":"failed"`) + `{}`, false, "more than one JSON value"},
		{"run id a boolean", trig(`[{"id":38},{"id":true}]`), true, "test_group_run.test_runs[1].id: wrong type: a boolean, want an integer"},
		{"runs not an array", trig(`{}`), true, "test_group_run.test_runs: wrong type: an object, want an array"},
		{"group not an object", `{"test_group_run":[]}`, true, "test_group_run: wrong type: an array, want an object"},
	}
	for _, tc := range cases {
		var err error
		if tc.trigger {
			_, err = decodeTrig(c, []byte(tc.body))
		} else {
			_, err = decodeGet(c, []byte(tc.body), 38)
		}
		var de *DecodeError
		if !errors.As(err, &de) || de.Err.Error() != tc.want {
			t.Errorf("%s: got %v, want a DecodeError saying %q", tc.name, err, tc.want)
		}
	}
}

// TestOmittedFieldNames: a dropped field is named from its own run, in a
// trigger answer as in a GET answer, and the group's from the answer.
func TestOmittedFieldNames(t *testing.T) {
	t.Parallel()
	g, err := decodeTrig(decoderClient(t), []byte(`{"test_group_run":{"id":35,"name":{"a":1},"test_runs":[
		{"id":38,"status":{"x":1},"additional_attempts":[{"results":[{"duration":"x"}]}]},
		{"id":39,"results":[{"step_number":1},{"task":[1]}]}],"status":[2]}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := [][]string{g.Omitted.FieldNames, g.Runs[0].Omitted.FieldNames, g.Runs[1].Omitted.FieldNames}
	want := [][]string{{"test_group_run.name", "test_group_run.status"}, {"status", "additional_attempts[0].results[0].duration"}, {"results[1].task"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("field names %q, want %q", got, want)
	}
}

// TestStepCapAlone: with room in the byte budget, the step cap alone
// decides, at its edge.
func TestStepCapAlone(t *testing.T) {
	t.Parallel()
	c := decoderClient(t, WithLimits(Limits{Steps: 2, RunBytes: 1 << 20}))
	r, err := decodeGet(c, []byte(run(`"id":38,"status":"passed","results":[{"is_successful":true},{"is_successful":true},{"is_successful":true}]`)), 38)
	if err != nil || len(r.Steps) != 2 || r.Omitted.Steps != 1 {
		t.Fatalf("got %+v, %v; want 2 steps kept and 1 not shown", r, err)
	}
}
