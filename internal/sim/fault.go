package sim

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Endpoint selects the requests a Fault applies to.
type Endpoint int

// The endpoints. The zero value, Any, matches every API request (dashboard
// pages are never faulted), so Fault{Status: 503, Count: 1} hits whatever the
// client sends first.
const (
	Any Endpoint = iota
	Trigger
	GetRun
)

// Fault is a scripted misbehaviour. Rules are matched in order against every
// API request; the first matching rule with uses left applies, and a positive
// Count is decremented. What the client receives, by precedence: Reset, then
// RedirectTo, then HugeBody, then Status and Body. A rule with none of these
// (only Delay, say) answers normally after its delay.
type Fault struct {
	Endpoint Endpoint
	// RunID restricts the rule to GET /test_run/{RunID}; 0 means any request
	// of the endpoint.
	RunID int64
	// Count is how many matching requests get the fault; -1 means forever
	// and 0 means the rule is used up.
	Count int
	// Status is the HTTP status to answer with (200 when only Body or
	// HugeBody is set). The body is {"detail": "..."} unless Body is set.
	Status int
	// RetryAfter is sent as the Retry-After header (seconds or HTTP-date).
	RetryAfter string
	// Body replaces the response body verbatim, e.g. an HTML error page from
	// a proxy or malformed JSON.
	Body string
	// ContentType is the Content-Type of the answer (default
	// application/json, even for Body, because proxies lie about it too).
	ContentType string
	// Delay is waited before answering (after processing, with
	// AfterProcessing); the wait ends early, without an answer, when the
	// client cancels the request.
	Delay time.Duration
	// HugeBody streams this many bytes: a valid-looking JSON prefix, then
	// filler that never closes, to exercise the client's body size limit.
	HugeBody int64
	// Reset closes the connection without any response, as a crashed proxy
	// or a connection reset would.
	Reset bool
	// RedirectTo answers 307 Temporary Redirect to this absolute URL (or
	// Status, when that is another 3xx code).
	RedirectTo string
	// AfterProcessing lets the simulated API handle the request first (a
	// trigger creates its group run) and only then delays and applies the
	// fault, modelling a client timeout or a reset after the server acted.
	AfterProcessing bool
}

func (f Fault) validate() error {
	switch {
	case f.Endpoint < Any || f.Endpoint > GetRun:
		return fmt.Errorf("unknown Endpoint %d; use Any, Trigger or GetRun", f.Endpoint)
	case f.RunID < 0:
		return fmt.Errorf("negative RunID %d; use 0 for any run", f.RunID)
	case f.RunID != 0 && f.Endpoint == Trigger:
		return errors.New("a RunID only applies to GetRun or Any faults")
	case f.Count < -1:
		return fmt.Errorf("invalid Count %d; use -1 for forever", f.Count)
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return fmt.Errorf("invalid Status %d; use an HTTP status code", f.Status)
	case f.Delay < 0 || f.HugeBody < 0:
		return errors.New("negative Delay or HugeBody")
	}
	if f.RedirectTo != "" {
		u, err := url.Parse(f.RedirectTo)
		if err != nil || !u.IsAbs() {
			return fmt.Errorf("RedirectTo %q is not an absolute URL", f.RedirectTo)
		}
	}
	return nil
}

// matches reports whether the rule has uses left and applies to rt.
func (f *Fault) matches(rt route) bool {
	if f.Count == 0 {
		return false
	}
	switch f.Endpoint {
	case Trigger:
		if rt.kind != routeTrigger {
			return false
		}
	case GetRun:
		if rt.kind != routeGetRun {
			return false
		}
	}
	return f.RunID == 0 || (rt.kind == routeGetRun && rt.runID == f.RunID)
}

// replacesResponse reports whether the rule changes what the client gets, as
// opposed to only delaying a normal answer.
func (f *Fault) replacesResponse() bool {
	return f.Status != 0 || f.Body != "" || f.HugeBody > 0 || f.Reset || f.RedirectTo != ""
}

// apply sends the faulty answer.
func (f *Fault) apply(w http.ResponseWriter) {
	if f.Reset {
		resetConnection(w)
		return
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)

	switch {
	case f.RedirectTo != "":
		status := http.StatusTemporaryRedirect
		if f.Status >= 300 && f.Status <= 399 {
			status = f.Status
		}
		w.Header().Set("Location", f.RedirectTo)
		errorResponse(status, http.StatusText(status)).writeBody(w)
	case f.HugeBody > 0:
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		writeHuge(w, f.HugeBody)
	case f.Body != "":
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
		w.WriteHeader(status)
		_, _ = w.Write([]byte(f.Body))
	default:
		errorResponse(f.Status, faultDetail(f.Status)).writeBody(w)
	}
}

// faultDetail is the {"detail"} text for a faulted status, worded like the
// FastAPI-style errors the API answers with.
func faultDetail(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "Invalid API key"
	case http.StatusTooManyRequests:
		return "Rate limit exceeded"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

// hugePrefix makes a huge body look like the start of a real answer, so a
// client that streams JSON gets past the first tokens before hitting the limit.
const hugePrefix = `{"test_run":{"id":38,"status":"running","results":null,"padding":"`

// writeHuge streams exactly n bytes without a Content-Length, so the client
// cannot reject the body up front and must enforce its own limit. It stops
// early when the client goes away.
func writeHuge(w http.ResponseWriter, n int64) {
	chunk := make([]byte, 32<<10)
	for i := range chunk {
		chunk[i] = 'x'
	}
	first := []byte(hugePrefix)
	if int64(len(first)) > n {
		first = first[:n]
	}
	if _, err := w.Write(first); err != nil {
		return
	}
	for left := n - int64(len(first)); left > 0; {
		c := chunk
		if int64(len(c)) > left {
			c = c[:left]
		}
		if _, err := w.Write(c); err != nil {
			return
		}
		left -= int64(len(c))
	}
}

// resetConnection drops the connection without answering. On TCP, linger 0
// makes the close send RST instead of FIN, as a crashed peer would. Where
// hijacking is impossible (HTTP/2, recorders), aborting the handler is the
// closest equivalent the net/http server offers.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
