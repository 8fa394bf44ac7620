package docketqa

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestErrorTexts: what an error says is short, one line, cleaned, and
// names the cause; Reason gives the cause alone for a run's reason.
func TestErrorTexts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		status     int
		body       string
		wantErr    string
		wantReason string
	}{
		{name: "json message", status: 500, body: `{"message":"upstream\ntimeout \u001b[31m` + strings.ToUpper(testKey) + `"}`,
			wantErr:    "GET /test_run/38: HTTP 500 Internal Server Error: upstream timeout [31m[redacted]",
			wantReason: "HTTP 500 Internal Server Error: upstream timeout [31m[redacted]"},
		{name: "error key", status: 502, body: `{"error":"bad gateway"}`, wantReason: "HTTP 502 Bad Gateway: bad gateway"},
		{name: "detail number", status: 400, body: `{"detail":42}`, wantReason: "HTTP 400 Bad Request: 42"},
		{name: "detail object falls back to the body", status: 422, body: `{"detail":[{"msg":"x"}]}`, wantReason: `HTTP 422 Unprocessable Entity: {"detail":[{"msg":"x"}]}`},
		{name: "duplicate message is no message", status: 500, body: `{"message":"a","message":"b"}`, wantReason: `HTTP 500 Internal Server Error: {"message":"a","message":"b"}`},
		{name: "empty message falls to error", status: 500, body: `{"message":" ","error":"e"}`, wantReason: "HTTP 500 Internal Server Error: e"},
		{name: "html", status: 503, body: "<html>\n<body>Service\tUnavailable</body></html>", wantReason: "HTTP 503 Service Unavailable: <html> <body>Service Unavailable</body></html>"},
		{name: "no body", status: 500, wantReason: "HTTP 500 Internal Server Error"},
		{name: "huge body is cut", status: 500, body: strings.Repeat("x", 1<<20), wantReason: "HTTP 500 Internal Server Error: " + strings.Repeat("x", 200-len("… (65536 bytes)")) + "… (65536 bytes)"},
		{name: "auth", status: 401, body: `{"detail":"bad key"}`, wantErr: "GET /test_run/38: HTTP 401 Unauthorized: bad key (check the API key: set DOCKETQA_API_KEY to a key from the DocketQA dashboard's CI/CD page)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			_, err := c.GetRun(context.Background(), 38)
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != tc.status || ae.TooLarge != 0 {
				t.Fatalf("want an APIError %d, got %v", tc.status, err)
			}
			if tc.wantErr != "" && err.Error() != tc.wantErr {
				t.Errorf("Error() = %q\nwant      %q", err, tc.wantErr)
			}
			if tc.wantReason != "" && Reason(err) != tc.wantReason {
				t.Errorf("Reason() = %q\nwant       %q", Reason(err), tc.wantReason)
			}
			checkClean(t, err.Error(), Reason(err))
			if len(ae.Message) > excerptLen || len(ae.Body) > excerptLen {
				t.Errorf("texts of %d and %d bytes", len(ae.Message), len(ae.Body))
			}
		})
	}
}

func TestReasonOfOtherErrors(t *testing.T) {
	t.Parallel()
	c := decoderClient(t)
	_, derr := decodeGet(c, []byte(`{"test_run":{"id":38,"status":"a","status":"b"}}`), 38)
	cases := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("plain"), "plain"},
		{&TransportError{Endpoint: "GET /x", Err: errors.New("connection reset")}, "connection reset"},
		{&APIError{Endpoint: "GET /x", Redirect: true, Message: "refused to follow"}, "refused to follow"},
		{derr, `unreadable answer: jsontext: duplicate object member name "status" within "/test_run"`},
	}
	for _, tc := range cases {
		if got := Reason(tc.err); got != tc.want {
			t.Errorf("Reason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	var de *DecodeError
	if !errors.As(derr, &de) || !strings.HasPrefix(derr.Error(), "GET /test_run/38: unexpected answer: jsontext: duplicate") || !strings.HasSuffix(derr.Error(), `: {"test_run":{"id":38,"status":"a","status":"b"}}`) {
		t.Errorf("DecodeError text %q", derr)
	}
}

// rawServer answers every connection with resp, written as is, then closes.
func rawServer(t *testing.T, resp string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(conn)
				for {
					line, err := r.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				_, _ = conn.Write([]byte(resp))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestTransportErrorsAreCleaned: Go's transport quotes a malformed status
// line in its error, so the server's bytes reach the error text; they are
// cleaned there too.
func TestTransportErrorsAreCleaned(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, resp string
		check      func(t *testing.T, err error)
	}{
		{name: "malformed status line", resp: "HTTP/1.1 " + strings.ToUpper(testKey) + " OK\r\n\r\n", check: func(t *testing.T, err error) {
			var te *TransportError
			if !errors.As(err, &te) || !strings.Contains(err.Error(), "malformed HTTP") || !strings.Contains(err.Error(), "[redacted]") {
				t.Errorf("want a cleaned TransportError, got %v", err)
			}
		}},
		{name: "body cut short", resp: "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"test_run\":{\"id\":38,\"status\":\"passed\"", check: func(t *testing.T, err error) {
			var te *TransportError
			var de *DecodeError
			if !errors.As(err, &te) || errors.As(err, &de) || !strings.Contains(err.Error(), "read answer") || !IsTemporary(err) {
				t.Errorf("a connection lost mid-answer is a TransportError, got %T %v", err, err)
			}
		}},
		{name: "redirect to another host", resp: "HTTP/1.1 302 Found\r\nLocation: http://evil.example\x1b[31m" + testKey + "/x\r\nContent-Length: 0\r\n\r\n", check: func(t *testing.T, err error) {
			// Go refuses the control character in the Location itself.
			if err == nil {
				t.Error("want an error")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(rawServer(t, tc.resp), testKey, WithSleep(noSleep))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetRun(context.Background(), 38)
			tc.check(t, err)
			if err != nil {
				checkClean(t, err.Error())
			}
		})
	}
}
