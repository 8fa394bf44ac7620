package docketqa

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestTriggerUncertainty pins down when a failed trigger is reported as
// "may have started runs": exactly when the request left the machine and no
// usable answer came back.
func TestTriggerUncertainty(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		handler   http.HandlerFunc
		ctx       func() (context.Context, context.CancelFunc)
		wantCalls int32
		uncertain bool
		wantErr   string
	}{
		{
			name: "deadline while waiting for the answer",
			handler: func(w http.ResponseWriter, r *http.Request) {
				// The server only notices the client hang up once the
				// body has been read.
				_, _ = io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
			},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			},
			wantCalls: 1, uncertain: true, wantErr: "check the DocketQA dashboard",
		},
		{
			name:    "interrupted before sending",
			handler: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(triggerOK)) },
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, cancel
			},
			wantCalls: 0, wantErr: "context canceled",
		},
		{
			name: "success answer larger than the limit",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(`{"test_group_run":{"id":35,"name":"`))
				_, _ = w.Write([]byte(strings.Repeat("x", 2<<20)))
			},
			wantCalls: 1, uncertain: true, wantErr: "answer larger than",
		},
		{
			name: "error answer larger than the limit started nothing",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(strings.Repeat("x", 2<<20)))
			},
			wantCalls: 1, wantErr: "HTTP 400",
		},
		{
			name: "answer without a group run id",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(`{"message":"ok","test_group_run":{"name":"x"}}`))
			},
			wantCalls: 1, uncertain: true, wantErr: `no "test_group_run"`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				tc.handler(w, r)
			})
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()
			_, err := c.Trigger(ctx, []int64{180})
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("calls = %d, want %d", got, tc.wantCalls)
			}
			var ue *UncertainTriggerError
			if got := errors.As(err, &ue); got != tc.uncertain {
				t.Errorf("uncertain = %v, want %v (err %v)", got, tc.uncertain, err)
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

// TestTriggerRetryAfterPastDeadline: a Retry-After that ends past the
// deadline is not waited for; the trigger fails at once and says why.
func TestTriggerRetryAfterPastDeadline(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for _, tc := range []struct {
		retryAfter string
		wantCalls  int32
		wantSleeps int
	}{
		{retryAfter: "120", wantCalls: 1, wantSleeps: 0},
		{retryAfter: now.Add(time.Hour).UTC().Format(http.TimeFormat), wantCalls: 1, wantSleeps: 0},
		{retryAfter: "2", wantCalls: 2, wantSleeps: 1},
	} {
		t.Run(tc.retryAfter, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			var sleeps int
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set("Retry-After", tc.retryAfter)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				_, _ = w.Write([]byte(triggerOK))
			}, WithClock(func() time.Time { return now }),
				WithSleep(func(context.Context, time.Duration) error { sleeps++; return nil }))
			ctx, cancel := context.WithDeadline(context.Background(), now.Add(time.Minute))
			defer cancel()
			_, err := c.Trigger(ctx, []int64{180})
			if calls.Load() != tc.wantCalls || sleeps != tc.wantSleeps {
				t.Errorf("calls %d, sleeps %d; want %d, %d (err %v)", calls.Load(), sleeps, tc.wantCalls, tc.wantSleeps, err)
			}
			if tc.wantSleeps == 0 && (err == nil || !strings.Contains(err.Error(), "past the deadline")) {
				t.Errorf("err = %v, want it to say the wait ends past the deadline", err)
			}
		})
	}
}

// TestErrorsNeverCarryTheKey feeds answers that echo the key in every place
// an error message is built from.
func TestErrorsNeverCarryTheKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		status  int
		body    string
		decodes bool
	}{
		{name: "json detail", status: 401, body: `{"detail":"API key ` + testKey + ` was revoked"}`},
		{name: "json message", status: 500, body: `{"message":"` + testKey + `"}`},
		{name: "html page", status: 502, body: `<html><body>` + testKey + `</body></html>`},
		{name: "key in an id", status: 200, body: `{"test_run":{"id":"` + testKey + `","status":"passed"}}`},
		{name: "key in a duration", status: 200, body: `{"test_run":{"id":38,"status":"failed","results":[{"duration":"` + testKey + `"}]}}`, decodes: true},
		{name: "key in a title and status", status: 200, body: `{"test_run":{"id":38,"status":"` + strings.ToUpper(testKey) + `","blueprint_metadata":{"title":"t ` + testKey + `"}}}`, decodes: true},
		{name: "key in a status of a refused answer", status: 200, body: `{"test_run":{"id":38,"status":"` + testKey + `\u0000"}}`},
		{name: "key in a JSON name", status: 200, body: `{"test_run":{"` + testKey + `":1,"` + testKey + `":2}}`},
		{name: "malformed around the key", status: 200, body: `{"test_run":` + testKey},
		{name: "key cut by the excerpt window", status: 503, body: strings.Repeat("a", 4*excerptLen-10) + testKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			run, err := c.GetRun(context.Background(), 38)
			msg := fmt.Sprintf("%+v", run)
			switch {
			case tc.decodes && err != nil:
				t.Fatalf("a decorative field is no reason to refuse the answer: %v", err)
			case !tc.decodes && err == nil:
				t.Fatal("want an error")
			case err != nil:
				msg = err.Error()
			}
			// Ten characters of the key, in any case, are already too many.
			if strings.Contains(strings.ToLower(msg), strings.ToLower(testKey[:10])) {
				t.Errorf("the key leaks: %s", msg)
			}
		})
	}
}

// TestUntrustedCertificate: a TLS failure is a setup problem; it is not
// retried and the message points at SSL_CERT_FILE.
func TestUntrustedCertificate(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	// The refused handshake is the point; its log line is noise.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	var sleeps int
	c, err := New(srv.URL, testKey, WithSleep(func(context.Context, time.Duration) error { sleeps++; return nil }))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Trigger(context.Background(), []int64{1})
	var te *TransportError
	if !errors.As(err, &te) || !te.Certificate || IsTemporary(err) || !strings.Contains(err.Error(), "SSL_CERT_FILE") {
		t.Fatalf("want a permanent certificate error naming SSL_CERT_FILE, got %v", err)
	}
	var ue *UncertainTriggerError
	if errors.As(err, &ue) || sleeps != 0 || calls.Load() != 0 {
		t.Errorf("a TLS failure started nothing and must not be retried: uncertain %v, sleeps %d, calls %d", errors.As(err, &ue), sleeps, calls.Load())
	}
}

func TestDecodeTriggerKeepsOnlyPollableRuns(t *testing.T) {
	t.Parallel()
	raw := `{"test_group_run":{"id":"35","test_runs":[
		{"id":38,"test_blueprint_id":1,"status":"running"},
		{"id":null,"test_blueprint_id":2},
		{"id":-4,"test_blueprint_id":3},
		{"id":"38","test_blueprint_id":1},
		{"id":39,"test_blueprint_id":4,"status":" Running "}]}}`
	g, err := decodeTrig(decoderClient(t), []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range g.Runs {
		ids = append(ids, r.ID)
	}
	if g.ID != 35 || len(ids) != 2 || ids[0] != 38 || ids[1] != 39 || g.Runs[1].Status != "Running" {
		t.Errorf("group %d with runs %v (%+v), want 35 with runs [38 39]", g.ID, ids, g.Runs)
	}
}
