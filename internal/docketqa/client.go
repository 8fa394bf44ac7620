// Package docketqa is a defensive HTTP client for the two DocketQA endpoints
// the gate uses: POST /test_group_run/trigger_run and GET /test_run/{id}.
//
// DocketQA documents no error format, no rate limits and only three status
// words, so the client assumes little: it bounds every request in time and
// size, classifies failures into typed errors the caller can act on, and
// never lets the API key leave the X-API-KEY header.
//
// The client is the trust boundary. It decodes answers strictly where the
// verdict is decided (see decode.go) and leniently elsewhere, cleans every
// string into an untrusted.Text or untrusted.URL as it is decoded, keeps
// at most Limits of each run, and builds every error text from cleaned
// bytes, so nothing behind it sees a raw byte of an answer.
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

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// Defaults chosen for a CI job: long enough for a slow trigger of many
// blueprints (the official action waits 45 s), short enough that a hung
// connection is noticed well before the gate's deadline.
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultTriggerTimeout = 60 * time.Second
	// DefaultMaxBody bounds a GET answer; a run with many steps and actions
	// is a few hundred KiB at most. It bounds time and traffic more than
	// memory: answers are decoded as they stream in.
	DefaultMaxBody = 8 << 20
	// errorBodyLimit is how much of a non-2xx answer is read: enough for
	// its message, and no more, whatever the body limit.
	errorBodyLimit = 64 << 10
	// excerptLen caps the excerpt of an answer in an error message.
	excerptLen = 200
	// triggerBodyPerRun is added per requested blueprint, since the trigger
	// answer carries every blueprint's metadata snapshot.
	triggerBodyPerRun = 64 << 10
	maxRetryAfter     = 5 * time.Minute
)

// Client talks to the DocketQA API. It is safe for concurrent use.
type Client struct {
	base *url.URL
	key  string
	// secrets are redacted from API texts besides the key (WithSecret).
	secrets        []string
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
	// cleaner turns every string of an answer into Text or URL, with the
	// key redacted; limits bound what is kept of a run.
	cleaner untrusted.Cleaner
	limits  Limits
	// observe and onTriggerRetry report requests and trigger retries
	// (--debug, and the line a waiting user sees); nil when unused.
	observe        func(Exchange)
	onTriggerRetry func(TriggerRetry)
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient uses hc's transport and timeout. The redirect policy is
// always replaced, so the key cannot follow a redirect to another host.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithMaxConns sizes the connection pool for n concurrent requests.
func WithMaxConns(n int) Option { return func(c *Client) { c.maxConns = n } }

// WithSecret adds a secret besides the API key (the GitHub token of the
// pull-request comment) that every text from the API is redacted of: a
// hostile API that learned it cannot make the gate print or publish it.
func WithSecret(secret string) Option {
	return func(c *Client) { c.secrets = append(c.secrets, secret) }
}

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

// WithLimits bounds what is kept of each run; zero fields keep their
// DefaultLimits value.
func WithLimits(l Limits) Option { return func(c *Client) { c.limits = l } }

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
	c.limits = c.limits.withDefaults()
	c.cleaner = untrusted.NewCleaner(apiKey, untrusted.DefaultCap)
	for _, s := range c.secrets {
		c.cleaner = c.cleaner.WithSecret(s)
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
		var g *GroupRun
		err := c.do(ctx, http.MethodPost, triggerPath, body, c.triggerTimeout, limit, func(r io.Reader) (err error) {
			g, err = c.decodeTrigger(r)
			return err
		})
		if err == nil {
			return g, nil
		}
		var de *DecodeError
		if errors.As(err, &de) {
			return nil, &UncertainTriggerError{Err: err}
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
		if c.onTriggerRetry != nil {
			c.onTriggerRetry(TriggerRetry{Attempt: attempt + 2, Max: c.triggerRetries + 1, Wait: wait, Err: err})
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
	// Only a 2xx answer is read whole, so only it can be too large.
	return errors.As(err, &ae) && ae.TooLarge > 0
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
//
// The answer must be about run id: one whose id is present and differs is a
// DecodeError. Its test_blueprint_id is returned as sent (0 if absent), for
// the caller to compare with the identity the trigger fixed.
func (c *Client) GetRun(ctx context.Context, id int64) (*TestRun, error) {
	path := "/test_run/" + strconv.FormatInt(id, 10)
	var run *TestRun
	err := c.do(ctx, http.MethodGet, path, nil, c.requestTimeout, c.maxBody, func(r io.Reader) (err error) {
		run, err = c.decodeRun(r, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// decodeRun reads a GET /test_run/{id} answer. It refuses anything that
// names another run or carries no status word, so no malformed answer can
// be mistaken for a result.
func (c *Client) decodeRun(r io.Reader, id int64) (*TestRun, error) {
	run, err := c.newDecoder(r, true).getAnswer()
	switch {
	case err != nil:
		return nil, err
	case run.ID != 0 && run.ID != id:
		return nil, &DecodeError{Endpoint: getEndpoint(id), Err: fmt.Errorf("answer is for test run %d", run.ID)}
	case run.Status == "":
		return nil, &DecodeError{Endpoint: getEndpoint(id), Err: errors.New(`"status" is missing or null (or empty)`)}
	}
	run.ID = id
	return run, nil
}

func getEndpoint(id int64) string { return "GET /test_run/" + strconv.FormatInt(id, 10) }

// decodeTrigger reads the trigger answer. Runs without a usable id cannot be
// polled and are dropped (their blueprints then count as missing), and a run
// listed twice is kept once, so no run is reported twice.
func (c *Client) decodeTrigger(r io.Reader) (*GroupRun, error) {
	return c.newDecoder(r, false).triggerAnswer()
}

// Exchange is one request and how it ended, for --debug. It never holds
// the key, and Err's text, like every error of this package, is cleaned.
type Exchange struct {
	Method, Path string
	// Status is the HTTP status, 0 when no answer came.
	Status   int
	Duration time.Duration
	// Bytes counts the body of a 2xx answer read so far.
	Bytes int64
	Err   error
}

// TriggerRetry is a trigger about to be sent again: the request certainly
// started nothing (or DocketQA asked for a retry), and Wait is the pause.
type TriggerRetry struct {
	Attempt, Max int
	Wait         time.Duration
	Err          error
}

// WithObserver calls f after every request, from the goroutine that made it.
func WithObserver(f func(Exchange)) Option { return func(c *Client) { c.observe = f } }

// WithTriggerRetryNotice calls f before each trigger retry, so a user
// waiting for an unreachable API is told what is going on.
func WithTriggerRetryNotice(f func(TriggerRetry)) Option {
	return func(c *Client) { c.onTriggerRetry = f }
}

// do sends one request (see send) and reports it to the observer.
func (c *Client) do(ctx context.Context, method, path string, body []byte, timeout time.Duration, limit int64, decode func(io.Reader) error) error {
	if c.observe == nil {
		return c.send(ctx, method, path, body, timeout, limit, decode)
	}
	start := c.now()
	ex := Exchange{Method: method, Path: path}
	err := c.send(ctx, method, path, body, timeout, limit, func(r io.Reader) error {
		cr := &countingReader{r: r}
		defer func() { ex.Bytes = cr.n }()
		ex.Status = http.StatusOK
		return decode(cr)
	})
	var ae *APIError
	if errors.As(err, &ae) {
		ex.Status = ae.StatusCode
	}
	ex.Duration, ex.Err = c.now().Sub(start), err
	c.observe(ex)
	return err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// send sends one request and hands the body of a 2xx answer to decode as it
// streams in, or returns a typed error. An error from decode that is not
// already a DecodeError becomes one, with a cleaned excerpt of the answer.
func (c *Client) send(ctx context.Context, method, path string, body []byte, timeout time.Duration, limit int64, decode func(io.Reader) error) error {
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
		return fmt.Errorf("%s: build request: %w", endpoint, err)
	}
	req.Header.Set("X-API-KEY", c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportError(ctx, endpoint, err, !connected.Load() || notSent(err), rctx.Err() != nil, timeout)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Only the start of an error answer matters; the rest is left.
		br := &bodyReader{r: io.LimitReader(resp.Body, errorBodyLimit), limit: errorBodyLimit}
		raw, err := io.ReadAll(br)
		if err != nil {
			return c.transportError(ctx, endpoint, fmt.Errorf("read answer: %w", err), false, rctx.Err() != nil, timeout)
		}
		return &APIError{
			Endpoint:   endpoint,
			StatusCode: resp.StatusCode,
			Message:    c.cleaner.WithCap(excerptLen).Text(string(errorMessage(raw))),
			Body:       c.excerpt(br),
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
		}
	}
	err = c.decodeBody(endpoint, resp.StatusCode, resp.Body, limit, decode)
	var re *readError
	if errors.As(err, &re) {
		return c.transportError(ctx, endpoint, fmt.Errorf("read answer: %w", re.err), false, rctx.Err() != nil, timeout)
	}
	return err
}

// decodeBody runs decode over a 2xx body of at most limit bytes. An error
// from decode that is not already a DecodeError becomes one, with its text
// cleaned and a cleaned excerpt of the answer; a body over the limit is an
// APIError, and a failed read a *readError for the caller to classify.
func (c *Client) decodeBody(endpoint string, status int, body io.Reader, limit int64, decode func(io.Reader) error) error {
	br := &bodyReader{r: io.LimitReader(body, limit+1), limit: limit}
	derr := decode(br)
	switch {
	case br.n > limit:
		return &APIError{Endpoint: endpoint, StatusCode: status, TooLarge: limit,
			Message: untrusted.Text(fmt.Sprintf("answer larger than %d bytes", limit))}
	case br.err != nil:
		return &readError{br.err}
	case derr == nil:
		return nil
	}
	var de *DecodeError
	if errors.As(derr, &de) {
		return derr
	}
	return &DecodeError{Endpoint: endpoint, Err: cleanError{c.cleaner.WithCap(excerptLen).Text(derr.Error()), derr}, Excerpt: c.excerpt(br)}
}

// readError is a body that could not be read to its end.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }

// bodyReader counts what is read of a body, keeps its first bytes for an
// error excerpt, and remembers a read error, so a failed decode can be told
// apart from a failed connection or an answer over the limit.
type bodyReader struct {
	r     io.Reader
	limit int64
	n     int64
	head  []byte
	err   error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if room := excerptHead - len(b.head); room > 0 {
		b.head = append(b.head, p[:min(n, room)]...)
	}
	if b.n > b.limit {
		// Stop the decoder at once: the answer is refused whole.
		return n, io.ErrUnexpectedEOF
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// excerptHead is how much of a body is kept for an excerpt: the excerpt's
// cap plus room for white space and a key cut at the end.
const excerptHead = 4 * excerptLen

// excerpt returns a short, cleaned, one-line piece of the body read so far.
func (c *Client) excerpt(b *bodyReader) untrusted.Text {
	return c.cleaner.WithCap(excerptLen).Prefix(string(b.head), int(b.n))
}

// cleanError carries an error whose text may hold API bytes (a JSON name
// from the answer, say) with that text cleaned.
type cleanError struct {
	text untrusted.Text
	err  error
}

func (e cleanError) Error() string { return string(e.text) }
func (e cleanError) Unwrap() error { return e.err }

// transportError classifies a request that got no complete answer. ctx is
// the caller's context: when it ended (deadline or interruption), that is
// the cause, whatever the transport reported.
func (c *Client) transportError(ctx context.Context, endpoint string, err error, notSent, timedOut bool, timeout time.Duration) error {
	var re *redirectError
	if errors.As(err, &re) {
		// The target host came from the answer's Location header.
		return &APIError{Endpoint: endpoint, StatusCode: 0, Message: c.cleaner.Text(re.Error()), Redirect: true}
	}
	// Transport errors may quote the server's bytes (a malformed status
	// line, say), so their text is cleaned too.
	plain := stripURL(err)
	te := &TransportError{Endpoint: endpoint, Err: cleanError{c.cleaner.WithCap(2 * excerptLen).Text(plain.Error()), plain}, NotSent: notSent}
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
		d = time.Duration(min(max(n, 0), int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// errorMessage pulls a human message out of a JSON error body, trying the
// keys seen in DocketQA-adjacent code (message, error, detail). A string is
// the message; a number or boolean gives its literal, anything else none.
func errorMessage(raw []byte) string {
	var m map[string]jsontext.Value
	if json.Unmarshal(raw, &m, jsontext.AllowInvalidUTF8(true)) != nil {
		return ""
	}
	for _, k := range []string{"message", "error", "detail"} {
		v, ok := m[k]
		if !ok {
			continue
		}
		switch v.Kind() {
		case '"':
			// The body was read to errorBodyLimit at most.
			b, _ := jsontext.AppendUnquote(nil, v)
			if s := strings.TrimSpace(string(b)); s != "" {
				return s
			}
		case '0', 't', 'f':
			return string(v)
		}
	}
	return ""
}
