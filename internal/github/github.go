// Package github is the gate's small client for the GitHub REST API: the
// three issue-comment endpoints the pull-request comment needs (list,
// create, update) and the token's identity, plus reading which pull
// request a workflow run is for.
//
// It is written on net/http rather than a client library: three endpoints
// do not justify a dependency, and the rules this gate needs are easier to
// see and test here than to configure into a library: requests go only to
// the configured API root (GitHub Enterprise Server included); a Link
// header is followed only on that root; no redirect is ever followed, so
// the token cannot travel to another host; every answer is read through a
// size bound; and the token appears in no error.
package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultAPIURL is GitHub.com's API root, used when GITHUB_API_URL is unset.
const DefaultAPIURL = "https://api.github.com"

// Bounds of what the client reads and how far it pages.
const (
	// maxBodyBytes bounds one answer: a page of perPage comments of at
	// most 65,536 characters each, with room for JSON escaping.
	maxBodyBytes = 16 << 20
	perPage      = 50
	// maxPages bounds the listing at 5,000 comments: a pull request with
	// more is an abuse of the comment thread, not a review.
	maxPages = 100
	// maxErrorBytes is how much of an error answer is read for its message.
	maxErrorBytes = 64 << 10
)

// Comment is an issue (pull-request) comment, with the fields the gate
// reads. The body and the author are untrusted text.
type Comment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
	User struct {
		Login string `json:"login"`
	} `json:"user"`
}

// Client calls the GitHub REST API at one root with one token.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
	ua    string
}

// New returns a client for the API root apiURL (https; http only on
// loopback, for tests and local stand-ins) authenticated with token. hc
// is the HTTP client to use; nil means a fresh one. Its CheckRedirect is
// replaced on a copy: a redirect is never followed.
func New(apiURL, token, userAgent string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(apiURL), "/"))
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("GitHub API URL %q is not an absolute URL without credentials, query or fragment", apiURL)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("GitHub API URL %q must be https (http only on loopback)", apiURL)
	}
	c := &http.Client{Timeout: 30 * time.Second}
	if hc != nil {
		cp := *hc
		c = &cp
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{base: u, token: token, hc: c, ua: userAgent}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Error is an answer other than the one asked for.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Message is GitHub's message, cleaned to one bounded line; untrusted.
	Message string
	// RateLimited says the answer was a rate limit (primary or secondary).
	RateLimited bool
	// Redirect is the Location of a redirect that was not followed.
	Redirect bool
}

func (e *Error) Error() string {
	switch {
	case e.RateLimited:
		return fmt.Sprintf("GitHub API rate limit (HTTP %d)", e.Status)
	case e.Redirect:
		return fmt.Sprintf("GitHub API answered with a redirect (HTTP %d), which is not followed", e.Status)
	case e.Message != "":
		return fmt.Sprintf("GitHub API: HTTP %d: %s", e.Status, e.Message)
	default:
		return fmt.Sprintf("GitHub API: HTTP %d", e.Status)
	}
}

// StatusOf returns the HTTP status of err when it is an *Error, else 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsRateLimited reports whether err is a rate-limit answer.
func IsRateLimited(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.RateLimited
}

// ErrForeignLink is returned when a Link header points away from the API
// root: the listing stops there rather than send the token elsewhere.
var ErrForeignLink = errors.New("GitHub API pagination link points outside the API root; not followed")

// ErrTooManyComments is returned when the listing has more pages than the
// client reads.
var ErrTooManyComments = errors.New("the pull request has more than 5000 comments (the most the gate pages through); not all were read")

// Login returns the login of the token's user, from GET /user. A workflow's
// GITHUB_TOKEN may not read it (403).
func (c *Client) Login(ctx context.Context) (string, error) {
	var u struct {
		Login string `json:"login"`
	}
	if _, err := c.do(ctx, http.MethodGet, c.endpoint("user"), nil, &u); err != nil {
		return "", err
	}
	return u.Login, nil
}

// ListComments returns every comment of issue or pull request n, oldest
// first, following Link rel="next" only within the API root.
func (c *Client) ListComments(ctx context.Context, repo Repo, n int) ([]Comment, error) {
	next := c.endpoint("repos", repo.Owner, repo.Name, "issues", strconv.Itoa(n), "comments")
	next.RawQuery = "per_page=" + strconv.Itoa(perPage)
	var all []Comment
	for page := 0; next != nil; page++ {
		if page == maxPages {
			return all, ErrTooManyComments
		}
		var batch []Comment
		h, err := c.do(ctx, http.MethodGet, next, nil, &batch)
		if err != nil {
			return all, err
		}
		all = append(all, batch...)
		if next, err = c.nextPage(h.Get("Link")); err != nil {
			return all, err
		}
	}
	return all, nil
}

// CreateComment adds a comment to issue or pull request n.
func (c *Client) CreateComment(ctx context.Context, repo Repo, n int, body string) (Comment, error) {
	var out Comment
	_, err := c.do(ctx, http.MethodPost, c.endpoint("repos", repo.Owner, repo.Name, "issues", strconv.Itoa(n), "comments"),
		map[string]string{"body": body}, &out)
	return out, err
}

// UpdateComment replaces the body of comment id.
func (c *Client) UpdateComment(ctx context.Context, repo Repo, id int64, body string) (Comment, error) {
	var out Comment
	_, err := c.do(ctx, http.MethodPatch, c.endpoint("repos", repo.Owner, repo.Name, "issues", "comments", strconv.FormatInt(id, 10)),
		map[string]string{"body": body}, &out)
	return out, err
}

// endpoint is the API root joined with the path segments, each escaped.
func (c *Client) endpoint(segments ...string) *url.URL {
	u := *c.base
	raw, esc := make([]string, len(segments)), make([]string, len(segments))
	for i, s := range segments {
		raw[i], esc[i] = s, url.PathEscape(s)
	}
	u.Path = strings.TrimSuffix(c.base.Path, "/") + "/" + strings.Join(raw, "/")
	u.RawPath = strings.TrimSuffix(c.base.EscapedPath(), "/") + "/" + strings.Join(esc, "/")
	return &u
}

// nextPage returns the rel="next" target of a Link header, nil when there
// is none, or ErrForeignLink when it leaves the API root.
func (c *Client) nextPage(link string) (*url.URL, error) {
	for _, part := range strings.Split(link, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		isNext := false
		for _, p := range strings.Split(params, ";") {
			if k, v, _ := strings.Cut(strings.TrimSpace(p), "="); k == "rel" && strings.Contains(" "+strings.Trim(v, `"`)+" ", " next ") {
				isNext = true
			}
		}
		if !isNext {
			continue
		}
		u, err := url.Parse(target[1 : len(target)-1])
		if err != nil || !c.within(u) {
			return nil, ErrForeignLink
		}
		return u, nil
	}
	return nil, nil
}

// within reports whether u is on the API root: same scheme, host and port,
// no credentials, and a path under the root's.
func (c *Client) within(u *url.URL) bool {
	root := strings.TrimSuffix(c.base.Path, "/") + "/"
	return u.Scheme == c.base.Scheme && u.Host == c.base.Host && u.User == nil && strings.HasPrefix(u.Path, root)
}

// do sends one request and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, method string, u *url.URL, in, out any) (http.Header, error) {
	if !c.within(u) {
		return nil, ErrForeignLink
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("GitHub API request: %w", err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("Authorization", "Bearer "+c.token)
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// The URL is the API's, never the token's; still say no more than
		// the operation and the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("GitHub API %s %s: %w", method, u.Path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, errorFrom(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GitHub API %s %s: read answer: %w", method, u.Path, err)
	}
	if len(b) > maxBodyBytes {
		return nil, fmt.Errorf("GitHub API %s %s: answer larger than %d MiB", method, u.Path, maxBodyBytes>>20)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return nil, fmt.Errorf("GitHub API %s %s: answer is not the JSON expected: %w", method, u.Path, err)
	}
	return resp.Header, nil
}

// errorFrom reads a non-2xx answer's message and tells a rate limit apart:
// GitHub answers 403 or 429 with X-RateLimit-Remaining: 0 or Retry-After.
func errorFrom(resp *http.Response) error {
	e := &Error{Status: resp.StatusCode}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		e.Redirect = true
		return e
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &m) == nil {
		e.Message = oneLine(m.Message, 200)
	}
	if (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests) &&
		(resp.Header.Get("X-RateLimit-Remaining") == "0" || resp.Header.Get("Retry-After") != "" ||
			strings.Contains(strings.ToLower(e.Message), "rate limit")) {
		e.RateLimited = true
	}
	return e
}

// oneLine keeps the printable characters of s on one line of at most n
// runes; the sink cleans every line again, this keeps messages short.
func oneLine(s string, n int) string {
	var b strings.Builder
	i := 0
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if i == n {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r == 0x7f {
			r = ' '
		}
		b.WriteRune(r)
		i++
	}
	return strings.TrimSpace(b.String())
}
