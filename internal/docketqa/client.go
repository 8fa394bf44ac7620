// Package docketqa is a defensive HTTP client for the two DocketQA endpoints
// the gate uses: POST /test_group_run/trigger_run and GET /test_run/{id}.
//
// DocketQA documents no error format, no rate limits and only three status
// words, so the client assumes little: it bounds every request in time and
// size, classifies failures into typed errors the caller can act on, parses
// payloads leniently, and never lets the API key leave the X-API-KEY header.
//
// Corporate CI networks work without options: the default transport takes
// HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the environment, and on Linux
// SSL_CERT_FILE and SSL_CERT_DIR replace the trusted CA certificates (for a
// TLS-inspecting proxy). An untrusted certificate is reported as such, with
// that hint, and never retried.
package docketqa

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults chosen for a CI job: long enough for a slow trigger of many
// blueprints (the official action waits 45 s), short enough that a hung
// connection is noticed well before the gate's deadline.
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultTriggerTimeout = 60 * time.Second
	// DefaultMaxBody bounds a GET answer; a run with many steps and actions
	// is a few hundred KiB at most.
	DefaultMaxBody = 8 << 20
	// triggerBodyPerRun is added per requested blueprint, since the trigger
	// answer carries every blueprint's metadata snapshot.
	triggerBodyPerRun = 64 << 10
	maxRetryAfter     = 5 * time.Minute
)

// Client talks to the DocketQA API. It is safe for concurrent use.
type Client struct {
	base           *url.URL
	key            string
	hc             *http.Client
	userAgent      string
	requestTimeout time.Duration
	triggerTimeout time.Duration
	maxBody        int64
	// triggerRetries bounds the retries of a trigger that certainly did
	// not start anything.
	triggerRetries int
	maxConns       int
	sleep          func(ctx context.Context, d time.Duration) error
	now            func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient uses hc's transport and timeout. The redirect policy is
// always replaced, so the key cannot follow a redirect to another host.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithMaxConns sizes the connection pool for n concurrent requests.
func WithMaxConns(n int) Option { return func(c *Client) { c.maxConns = n } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithRequestTimeout bounds each GET; WithTriggerTimeout bounds the trigger.
func WithRequestTimeout(d time.Duration) Option { return func(c *Client) { c.requestTimeout = d } }

// WithTriggerTimeout bounds the trigger request.
func WithTriggerTimeout(d time.Duration) Option { return func(c *Client) { c.triggerTimeout = d } }

// WithMaxBody bounds the size of a GET answer in bytes.
func WithMaxBody(n int64) Option { return func(c *Client) { c.maxBody = n } }

// WithSleep replaces the wait between trigger retries (tests make it instant).
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) { c.sleep = f }
}

// WithClock replaces time.Now, used to turn a Retry-After date into a wait.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New returns a client for the API at baseURL (for example
// https://api.docketqa.com, optionally with a path prefix).
func New(baseURL, apiKey string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("invalid DocketQA base URL %q: want https://host[/prefix]", baseURL)
	}
	c := &Client{
		base:           u,
		key:            apiKey,
		userAgent:      "docketqa-gate",
		requestTimeout: DefaultRequestTimeout,
		triggerTimeout: DefaultTriggerTimeout,
		maxBody:        DefaultMaxBody,
		triggerRetries: 4,
		sleep:          sleepCtx,
		now:            time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	// Keep an idle connection for every request that may be in flight:
	// the default keeps two per host, so a poller with eight in flight
	// would open (and TLS-handshake) new connections all the time.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(c.maxConns, 2)
	hc := http.Client{Transport: t}
	if c.hc != nil {
		hc = *c.hc
	}
	hc.CheckRedirect = sameHostRedirects
	c.hc = &hc
	return c, nil
}

// sameHostRedirects refuses redirects to another host or scheme: Go forwards
// custom headers such as X-API-KEY on every redirect, and the key must never
// reach a host the user did not configure.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Host != first.Host || req.URL.Scheme != first.Scheme {
		return &redirectError{to: req.URL.Scheme + "://" + req.URL.Host}
	}
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	return nil
}

type redirectError struct{ to string }

func (e *redirectError) Error() string {
	return fmt.Sprintf("refused to follow a redirect to %s: the API key is only sent to the configured base URL; set --base-url to the final API address", e.to)
}

// Trigger starts one group run with a test run per blueprint id.
//
// The trigger is not idempotent: repeating it starts a second, paid set of
// browser runs. So it is retried only when the request certainly did not
// reach DocketQA (the connection could not be made) or DocketQA said to come
// back (429, or 503 with Retry-After), and never when the wait would end
// past ctx's deadline. Any other failure is returned at once; a request that
// was sent but got no usable answer (timeout, reset, deadline, interruption,
// unreadable 2xx answer) is an *UncertainTriggerError.
func (c *Client) Trigger(ctx context.Context, ids []int64) (*GroupRun, error) {
	body, err := json.Marshal(map[string][]int64{"test_blueprint_ids": ids})
	if err != nil {
		return nil, fmt.Errorf("encode trigger request: %w", err)
	}
	limit := int64(1<<20) + int64(len(ids))*triggerBodyPerRun
	for attempt := 0; ; attempt++ {
		raw, err := c.do(ctx, http.MethodPost, triggerPath, body, c.triggerTimeout, limit)
		if err == nil {
			return decodeTrigger(raw, c.key)
		}
		if maybeStarted(err) {
			return nil, &UncertainTriggerError{Err: err}
		}
		wait, retry := c.triggerRetry(err, attempt)
		if !retry || attempt >= c.triggerRetries {
			return nil, err
		}
		if dl, ok := ctx.Deadline(); ok && c.now().Add(wait).After(dl) {
			return nil, fmt.Errorf("%w; not retrying, since the wait of %s would end past the deadline", err, wait)
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("%w; stopped waiting to retry: %w", err, serr)
		}
	}
}

const (
	triggerPath     = "/test_group_run/trigger_run"
	triggerEndpoint = http.MethodPost + " " + triggerPath
)

// maybeStarted reports whether a failed trigger may have reached DocketQA
// and started runs anyway: the request left this machine but no usable
// answer came back, or a success answer could not be read whole.
func maybeStarted(err error) bool {
	var te *TransportError
	if errors.As(err, &te) {
		return !te.NotSent
	}
	var ae *APIError
	return errors.As(err, &ae) && ae.TooLarge > 0 && ae.StatusCode >= 200 && ae.StatusCode <= 299
}

// triggerRetry decides whether a trigger that certainly started nothing may
// be sent again, and after how long.
func (c *Client) triggerRetry(err error, attempt int) (time.Duration, bool) {
	backoff := time.Duration(1<<attempt) * time.Second
	var te *TransportError
	if errors.As(err, &te) {
		return backoff, te.NotSent && !te.Certificate
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch {
		case ae.StatusCode == http.StatusTooManyRequests:
			return max(ae.RetryAfter, backoff), true
		case ae.StatusCode == http.StatusServiceUnavailable && ae.RetryAfter > 0:
			return ae.RetryAfter, true
		}
	}
	return 0, false
}

// GetRun fetches one test run. It makes exactly one request: the poller
// decides what to do with a temporary error.
func (c *Client) GetRun(ctx context.Context, id int64) (*TestRun, error) {
	path := "/test_run/" + strconv.FormatInt(id, 10)
	raw, err := c.do(ctx, http.MethodGet, path, nil, c.requestTimeout, c.maxBody)
	if err != nil {
		return nil, err
	}
	return decodeRun(raw, id, c.key)
}

// decodeRun reads a GET /test_run/{id} answer. It refuses anything that does
// not name the run asked for and carry a status word, so no malformed answer
// can be mistaken for a result.
func decodeRun(raw []byte, id int64, key string) (*TestRun, error) {
	endpoint := "GET /test_run/" + strconv.FormatInt(id, 10)
	var w wireGetResponse
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, &DecodeError{Endpoint: endpoint, Err: err, Excerpt: excerpt(raw, key)}
	}
	if w.TestRun == nil {
		return nil, &DecodeError{Endpoint: endpoint, Err: errors.New(`no "test_run" object`), Excerpt: excerpt(raw, key)}
	}
	run := w.TestRun.toRun()
	if run.ID != id {
		return nil, &DecodeError{Endpoint: endpoint, Err: fmt.Errorf("answer is for test run %d", run.ID)}
	}
	if run.Status == "" {
		return nil, &DecodeError{Endpoint: endpoint, Err: errors.New(`"status" is missing or null`)}
	}
	return &run, nil
}

// decodeTrigger reads the trigger answer. Runs without a usable id cannot be
// polled and are dropped (their blueprints then count as missing), and a run
// listed twice is kept once, so no run is reported twice.
func decodeTrigger(raw []byte, key string) (*GroupRun, error) {
	var w wireTriggerResponse
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, &UncertainTriggerError{Err: &DecodeError{Endpoint: triggerEndpoint, Err: err, Excerpt: excerpt(raw, key)}}
	}
	if w.TestGroupRun == nil || w.TestGroupRun.ID <= 0 {
		return nil, &UncertainTriggerError{Err: &DecodeError{Endpoint: triggerEndpoint, Err: errors.New(`no "test_group_run" with an id in the answer`), Excerpt: excerpt(raw, key)}}
	}
	g := &GroupRun{
		ID:     int64(w.TestGroupRun.ID),
		Name:   string(w.TestGroupRun.Name),
		Status: string(w.TestGroupRun.Status),
		Runs:   make([]TestRun, 0, len(w.TestGroupRun.TestRuns)),
	}
	seen := make(map[int64]bool, len(w.TestGroupRun.TestRuns))
	for i := range w.TestGroupRun.TestRuns {
		r := w.TestGroupRun.TestRuns[i].toRun()
		if r.ID <= 0 || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		g.Runs = append(g.Runs, r)
	}
	return g, nil
}

// do sends one request and returns the body of a 2xx answer, or a typed error.
func (c *Client) do(ctx context.Context, method, path string, body []byte, timeout time.Duration, limit int64) ([]byte, error) {
	endpoint := method + " " + path
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// A request that never got a connection certainly never reached
	// DocketQA, whatever the error says; the trigger's retry rule needs to
	// know that.
	var connected atomic.Bool
	rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connected.Store(true) },
	})
	u := *c.base
	// Append, never resolve: the base may carry a path prefix, and the API
	// is slash-sensitive, so the path is used exactly as documented.
	u.Path = strings.TrimRight(c.base.Path, "/") + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s: build request: %w", endpoint, err)
	}
	req.Header.Set("X-API-KEY", c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, endpoint, err, !connected.Load() || notSent(err), rctx.Err() != nil, timeout)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, c.transportError(ctx, endpoint, fmt.Errorf("read answer: %w", err), false, rctx.Err() != nil, timeout)
	}
	if int64(len(raw)) > limit {
		return nil, &APIError{Endpoint: endpoint, StatusCode: resp.StatusCode, TooLarge: limit,
			Message: fmt.Sprintf("answer larger than %d bytes", limit)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &APIError{
			Endpoint:   endpoint,
			StatusCode: resp.StatusCode,
			Message:    excerpt([]byte(errorMessage(raw)), c.key),
			Body:       excerpt(raw, c.key),
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
		}
	}
	return raw, nil
}

// transportError classifies a request that got no complete answer. ctx is
// the caller's context: when it ended (deadline or interruption), that is
// the cause, whatever the transport reported.
func (c *Client) transportError(ctx context.Context, endpoint string, err error, notSent, timedOut bool, timeout time.Duration) error {
	var re *redirectError
	if errors.As(err, &re) {
		return &APIError{Endpoint: endpoint, StatusCode: 0, Message: re.Error(), Redirect: true}
	}
	te := &TransportError{Endpoint: endpoint, Err: stripURL(err), NotSent: notSent}
	var cve *tls.CertificateVerificationError
	switch {
	case ctx.Err() != nil:
		te.Err = fmt.Errorf("stopped waiting for the answer: %w", ctx.Err())
	case timedOut:
		te.Err = fmt.Errorf("no answer within %s", timeout)
	case errors.As(err, &cve):
		te.Certificate = true
		te.Err = fmt.Errorf("%w (behind a TLS-inspecting proxy, set SSL_CERT_FILE to a file with its CA certificate)", te.Err)
	}
	return te
}

// stripURL drops the *url.Error wrapper, whose text repeats the method and
// URL the endpoint name already gives.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// notSent reports whether err proves the request never reached the server:
// the connection (or the DNS lookup before it) failed.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parseRetryAfter reads both forms of Retry-After (delta-seconds and
// HTTP-date). Garbage or a past date is no hint; the result is capped so a
// misbehaving server cannot stall the gate.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		d = time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// errorMessage pulls a human message out of a JSON error body, trying the
// keys seen in DocketQA-adjacent code (message, error, detail).
func errorMessage(raw []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	for _, k := range []string{"message", "error", "detail"} {
		var s flexString
		if v, ok := m[k]; ok && json.Unmarshal(v, &s) == nil && s != "" {
			return string(s)
		}
	}
	return ""
}

const excerptLen = 200

// excerpt returns a short one-line piece of a body (or of a message from
// it) for error messages, with the key removed should the server echo it.
func excerpt(raw []byte, key string) string {
	window := raw[:min(len(raw), 4*excerptLen)]
	s := strings.ToValidUTF8(string(window), "?")
	if key != "" {
		s = strings.ReplaceAll(s, key, "[redacted]")
		// A key cut in two by the window leaves its start at the end.
		for i := min(len(key)-1, len(s)); i > 0 && len(window) < len(raw); i-- {
			if strings.HasSuffix(s, key[:i]) {
				s = s[:len(s)-i] + "[redacted]"
				break
			}
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > excerptLen {
		s = string(r[:excerptLen]) + "…"
	}
	return s
}
