package docketqa

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testKey = "test-key-not-real-0123456789"

func noSleep(context.Context, time.Duration) error { return nil }

func newTestClient(t *testing.T, h http.HandlerFunc, opts ...Option) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	// Mount under a path prefix so a path built as absolute would 404.
	c, err := New(srv.URL+"/prefix/", testKey, append([]Option{WithSleep(noSleep)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestGetRunDecodesLeniently(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		wantErr    bool
		check      func(t *testing.T, r *TestRun)
	}{
		{name: "documented running", body: `{"test_run":{"id":38,"status":"running","test_blueprint_id":180,"test_group_run_id":35,"results":null,"blueprint_metadata":{"title":"Login Flow","steps":[{},{}]},"is_login_test_run":false}}`,
			check: func(t *testing.T, r *TestRun) {
				if r.Status != "running" || r.Title != "Login Flow" || r.StepCount != 2 || r.BlueprintID != 180 || r.Steps != nil {
					t.Errorf("got %+v", r)
				}
			}},
		{name: "string ids and upper-case status kept as sent", body: `{"test_run":{"id":"38","status":"PASSED","test_blueprint_id":"180"}}`,
			check: func(t *testing.T, r *TestRun) {
				if r.ID != 38 || r.BlueprintID != 180 || r.Status != "PASSED" {
					t.Errorf("got %+v", r)
				}
			}},
		{name: "finished with steps", body: `{"test_run":{"id":38,"status":"failed","results":[{"step_number":1,"task":"Enter e-mail","is_successful":false,"result":"no field","duration":43.5,"actions":[{"screenshot_url":"https://s/1.png","screenshot_url_before":"https://s/0.png"},{"screenshot_url_before":null}]}],"test_video_url":null,"test_video_download_url":"https://v/1.webm","additional_attempts":[{}],"created_at":"2025-07-03T01:38:03.020496+00:00","updated_at":"2025-07-03T01:39:03.020496+00:00"}}`,
			check: func(t *testing.T, r *TestRun) {
				if len(r.Steps) != 1 || r.Steps[0].OK || r.Steps[0].Duration != 43500*time.Millisecond || r.Steps[0].Screenshots[0] != "https://s/1.png" ||
					len(r.Steps[0].ScreenshotsBefore) != 1 || r.Steps[0].ScreenshotsBefore[0] != "https://s/0.png" {
					t.Errorf("steps %+v", r.Steps)
				}
				if r.VideoURL != "https://v/1.webm" || len(r.Retries) != 1 || r.UpdatedAt.Sub(r.CreatedAt) != time.Minute {
					t.Errorf("got %+v", r)
				}
			}},
		{name: "missing is_successful is not success", body: `{"test_run":{"id":38,"status":"passed","results":[{"step_number":1}]}}`,
			check: func(t *testing.T, r *TestRun) {
				if r.Steps[0].OK {
					t.Error("a step without is_successful must not count as successful")
				}
			}},
		{name: "null status", body: `{"test_run":{"id":38,"status":null}}`, wantErr: true},
		{name: "object status", body: `{"test_run":{"id":38,"status":{"x":1}}}`, wantErr: true},
		{name: "no test_run", body: `{"detail":"ok"}`, wantErr: true},
		{name: "wrong run id", body: `{"test_run":{"id":39,"status":"passed"}}`, wantErr: true},
		{name: "malformed", body: `{"test_run":{"id":38,`, wantErr: true},
		{name: "html", body: `<html><body>502 Bad Gateway</body></html>`, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/prefix/test_run/38" || r.Method != http.MethodGet || r.Header.Get("X-API-KEY") != testKey {
					t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
				}
				_, _ = w.Write([]byte(tc.body))
			})
			run, err := c.GetRun(context.Background(), 38)
			if tc.wantErr {
				var de *DecodeError
				if !errors.As(err, &de) || !IsTemporary(err) {
					t.Fatalf("want a DecodeError, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, run)
		})
	}
}

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status           int
		retryAfter, body string
		temporary, auth  bool
		wantRetryAfter   time.Duration
		wantInMsg        string
	}{
		{status: 429, retryAfter: "7", temporary: true, wantRetryAfter: 7 * time.Second},
		{status: 429, retryAfter: "99999", temporary: true, wantRetryAfter: maxRetryAfter},
		{status: 429, retryAfter: "garbage", temporary: true},
		{status: 503, retryAfter: "-3", temporary: true},
		{status: 500, body: `{"message":"boom"}`, temporary: true, wantInMsg: "boom"},
		{status: 502, body: "<html>bad gateway</html>", temporary: true, wantInMsg: "bad gateway"},
		{status: 504, temporary: true},
		{status: 408, temporary: true},
		{status: 401, body: `{"detail":"Invalid API key"}`, auth: true, wantInMsg: "DOCKETQA_API_KEY"},
		{status: 403, auth: true},
		{status: 400, body: `{"error":"bad ids"}`, wantInMsg: "bad ids"},
		{status: 404},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status)+tc.retryAfter, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
				// Echo the key as a hostile server might: it must not reach the error.
				_, _ = w.Write([]byte(tc.body + " " + r.Header.Get("X-API-KEY")))
			})
			_, err := c.GetRun(context.Background(), 38)
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != tc.status {
				t.Fatalf("want APIError %d, got %v", tc.status, err)
			}
			if got := IsTemporary(err); got != tc.temporary {
				t.Errorf("temporary = %v, want %v", got, tc.temporary)
			}
			if got := IsAuth(err); got != tc.auth {
				t.Errorf("auth = %v, want %v", got, tc.auth)
			}
			if got := RetryAfter(err); got != tc.wantRetryAfter {
				t.Errorf("RetryAfter = %v, want %v", got, tc.wantRetryAfter)
			}
			msg := err.Error()
			if strings.Contains(msg, testKey) {
				t.Errorf("error leaks the key: %s", msg)
			}
			if !strings.Contains(msg, "GET /test_run/38") || !strings.Contains(msg, "HTTP ") || !strings.Contains(msg, tc.wantInMsg) {
				t.Errorf("error %q should name endpoint, status and %q", msg, tc.wantInMsg)
			}
		})
	}
}

func TestRetryAfterDate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := parseRetryAfter(now.Add(42*time.Second).Format(http.TimeFormat), now); got != 42*time.Second {
		t.Errorf("date form: got %v, want 42s", got)
	}
	if got := parseRetryAfter(now.Add(-time.Hour).Format(http.TimeFormat), now); got != 0 {
		t.Errorf("past date: got %v, want 0", got)
	}
	if got := parseRetryAfter(now.Add(24*time.Hour).Format(http.TimeFormat), now); got != maxRetryAfter {
		t.Errorf("far date: got %v, want cap %v", got, maxRetryAfter)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"test_run":{"id":38,"status":"running","x":"`))
		chunk := []byte(strings.Repeat("a", 1<<16))
		for range 64 { // 4 MiB, far past the limit below
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}, WithMaxBody(1<<20))
	_, err := c.GetRun(context.Background(), 38)
	var ae *APIError
	if !errors.As(err, &ae) || ae.TooLarge != 1<<20 || IsTemporary(err) {
		t.Fatalf("want a permanent too-large APIError, got %v", err)
	}
}

func TestCrossHostRedirectKeepsKey(t *testing.T) {
	t.Parallel()
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-KEY") != "" {
			leaked.Store(true)
		}
		_, _ = w.Write([]byte(`{"test_run":{"id":38,"status":"passed"}}`))
	}))
	t.Cleanup(other.Close)
	// 127.0.0.1 and localhost are different hosts to the client.
	target := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+"/test_run/38", http.StatusTemporaryRedirect)
	})
	_, err := c.GetRun(context.Background(), 38)
	if err == nil || IsTemporary(err) || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("want a permanent redirect refusal, got %v", err)
	}
	if leaked.Load() {
		t.Fatal("X-API-KEY was sent to another host")
	}
}

func TestSameHostRedirectFollowed(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/prefix/test_run/38" {
			http.Redirect(w, r, "/moved/38", http.StatusTemporaryRedirect)
			return
		}
		if r.Header.Get("X-API-KEY") != testKey {
			w.WriteHeader(401)
			return
		}
		_, _ = w.Write([]byte(`{"test_run":{"id":38,"status":"passed"}}`))
	})
	if _, err := c.GetRun(context.Background(), 38); err != nil {
		t.Fatal(err)
	}
}

func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, WithRequestTimeout(20*time.Millisecond))
	_, err := c.GetRun(context.Background(), 38)
	var te *TransportError
	if !errors.As(err, &te) || !IsTemporary(err) || !strings.Contains(err.Error(), "no answer within 20ms") {
		t.Fatalf("want a temporary timeout, got %v", err)
	}
}

const triggerOK = `{"message":"Test group run triggered successfully","test_group_run":{"id":35,"name":"Manual Run","status":"running","test_runs":[{"id":38,"status":"running","test_blueprint_id":180,"results":null,"blueprint_metadata":{"title":"Login","steps":[{},{},{}]}}]}}`

func TestTriggerRetryRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		answers   []func(w http.ResponseWriter)
		wantCalls int32
		wantErr   string
		uncertain bool
	}{
		{name: "429 then ok", wantCalls: 2, answers: []func(http.ResponseWriter){
			func(w http.ResponseWriter) { w.Header().Set("Retry-After", "1"); w.WriteHeader(429) },
			func(w http.ResponseWriter) { _, _ = w.Write([]byte(triggerOK)) },
		}},
		{name: "503 with Retry-After then ok", wantCalls: 2, answers: []func(http.ResponseWriter){
			func(w http.ResponseWriter) { w.Header().Set("Retry-After", "2"); w.WriteHeader(503) },
			func(w http.ResponseWriter) { _, _ = w.Write([]byte(triggerOK)) },
		}},
		{name: "503 without Retry-After is not retried", wantCalls: 1, wantErr: "HTTP 503", answers: []func(http.ResponseWriter){
			func(w http.ResponseWriter) { w.WriteHeader(503) },
		}},
		{name: "502 is not retried", wantCalls: 1, wantErr: "HTTP 502", answers: []func(http.ResponseWriter){
			func(w http.ResponseWriter) { w.WriteHeader(502) },
		}},
		{name: "reset mid-request is uncertain", wantCalls: 1, uncertain: true, wantErr: "check the DocketQA dashboard", answers: []func(http.ResponseWriter){
			func(w http.ResponseWriter) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					_ = conn.(*net.TCPConn).SetLinger(0)
					conn.Close()
				}
			},
		}},
		{name: "malformed answer is uncertain", wantCalls: 1, uncertain: true, answers: []func(http.ResponseWriter){
			func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"test_group_run":`)) },
		}},
		{name: "401 is not retried", wantCalls: 1, wantErr: "API key", answers: []func(http.ResponseWriter){
			func(w http.ResponseWriter) { w.WriteHeader(401) },
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				if r.URL.Path != "/prefix/test_group_run/trigger_run" || r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("unexpected request %s", r.URL.Path)
				}
				tc.answers[min(int(n), len(tc.answers))-1](w)
			})
			g, err := c.Trigger(context.Background(), []int64{180})
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("calls = %d, want %d", got, tc.wantCalls)
			}
			var ue *UncertainTriggerError
			if got := errors.As(err, &ue); got != tc.uncertain {
				t.Errorf("uncertain = %v, want %v (err %v)", got, tc.uncertain, err)
			}
			if tc.wantErr == "" && !tc.uncertain {
				if err != nil {
					t.Fatal(err)
				}
				if g.ID != 35 || len(g.Runs) != 1 || g.Runs[0].ID != 38 || g.Runs[0].StepCount != 3 {
					t.Errorf("group %+v", g)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

func TestTriggerConnectionRefusedIsRetried(t *testing.T) {
	t.Parallel()
	// A listener closed at once gives a port that refuses connections: the
	// request certainly never arrived, so retrying is safe.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var sleeps int
	c, err := New("http://"+addr, testKey, WithSleep(func(context.Context, time.Duration) error { sleeps++; return nil }))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Trigger(context.Background(), []int64{1})
	var te *TransportError
	if !errors.As(err, &te) || !te.NotSent {
		t.Fatalf("want a not-sent transport error, got %v", err)
	}
	var ue *UncertainTriggerError
	if errors.As(err, &ue) {
		t.Error("a refused connection is certain: nothing started")
	}
	if sleeps != 4 {
		t.Errorf("retries = %d, want 4", sleeps)
	}
}

// TestObserverAndTriggerRetryNotice: every request is reported once with
// its status and body size, and a trigger retry is announced before the
// wait, with the attempt number and the cause.
func TestObserverAndTriggerRetryNotice(t *testing.T) {
	t.Parallel()
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"detail":"slow down"}`, http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{"test_group_run":{"id":35,"test_runs":[{"id":38,"test_blueprint_id":180,"status":"running"}]}}`))
	}))
	t.Cleanup(srv.Close)
	var seen []Exchange
	var retries []TriggerRetry
	c, err := New(srv.URL, "k",
		WithSleep(func(context.Context, time.Duration) error { return nil }),
		WithObserver(func(x Exchange) { seen = append(seen, x) }),
		WithTriggerRetryNotice(func(r TriggerRetry) { retries = append(retries, r) }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Trigger(context.Background(), []int64{180}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0].Status != 429 || seen[0].Err == nil || seen[1].Status != 200 || seen[1].Bytes == 0 || seen[1].Err != nil ||
		seen[1].Method != http.MethodPost || seen[1].Path != "/test_group_run/trigger_run" {
		t.Errorf("exchanges = %+v", seen)
	}
	if len(retries) != 1 || retries[0].Attempt != 2 || retries[0].Wait != time.Second || !IsTemporary(retries[0].Err) {
		t.Errorf("retries = %+v", retries)
	}
}
