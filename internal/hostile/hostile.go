// Package hostile is a scriptable stand-in for the DocketQA API that answers
// the way an attacker or a badly broken server would. Where the simulator in
// internal/sim models DocketQA faithfully, this server serves whatever bytes
// a test scripts, per endpoint and per test run: raw bodies (malformed JSON,
// duplicate or case-variant keys, injected control characters, huge fields),
// any status code and headers, delays, and connections dropped or reset
// without an answer.
//
// It records every request it received (method, path, headers, body) and
// every answer it served, per test run id, so a test can check a property of
// the gate against what the API really said: for example that the gate only
// reported a pass for a run that was, at least once, served an unambiguous
// "passed".
//
// The server runs on httptest (loopback only) and is safe for concurrent
// use; tests may read the records while the gate is still polling.
package hostile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The two endpoints of the DocketQA API that the gate uses.
const (
	TriggerPath = "/test_group_run/trigger_run"
	RunPrefix   = "/test_run/"
)

// maxRequestBody bounds what the server reads of a request body; a trigger
// of 10,000 ids is about 80 KB.
const maxRequestBody = 4 << 20

// Answer is one scripted answer. The zero Answer is an empty 200.
type Answer struct {
	// Status is the HTTP status code; 0 means 200.
	Status int
	// Header is added to the answer. Content-Type defaults to
	// application/json unless Header sets it.
	Header http.Header
	// Body is sent as is.
	Body string
	// Delay holds the answer back; it ends early when the client gives up.
	Delay time.Duration
	// Drop closes the connection without an answer (after Delay).
	Drop bool
	// Reset closes the connection with a TCP RST instead of a FIN.
	Reset bool
}

// OK is a 200 answer with body.
func OK(body string) Answer { return Answer{Body: body} }

// Fail is an answer with an error status and body.
func Fail(status int, body string) Answer { return Answer{Status: status, Body: body} }

// Request is one request the server received.
type Request struct {
	// Seq numbers requests in the order they arrived, from 0.
	Seq    int
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// RunID is the id in GET /test_run/{id}; 0 for other requests.
	RunID int64
	// KeyOK says whether X-API-KEY carried exactly the configured key.
	KeyOK bool
}

// Served is one answer the server gave (or, for Drop and Reset, withheld).
type Served struct {
	// Seq is the Seq of the request it answered.
	Seq int
	// RunID is the run asked for; 0 for a trigger.
	RunID int64
	// N counts the answers for the same run (or trigger), from 0.
	N      int
	Answer Answer
}

// TriggerFunc answers the n-th trigger request (from 0) for the blueprint
// ids the request asked for. ids is nil when the request body was not a
// strictly valid trigger request.
type TriggerFunc func(n int, ids []int64) Answer

// RunFunc answers the n-th GET (from 0) of test run id.
type RunFunc func(id int64, n int) Answer

// Server is a hostile DocketQA API on loopback.
type Server struct {
	// URL is the base URL to configure the gate with.
	URL string
	key string
	srv *httptest.Server

	mu       sync.Mutex
	trigger  TriggerFunc
	runs     map[int64]RunFunc
	fallback RunFunc
	counts   map[int64]int
	triggerN int
	requests []Request
	served   []Served
}

// New starts a hostile server that expects key in X-API-KEY and stops it
// when tb ends. A request with another key gets a 401 (and is recorded).
// Until scripted, a trigger gets a 500 and every run a 404.
func New(tb testing.TB, key string) *Server {
	tb.Helper()
	s := &Server{key: key, runs: make(map[int64]RunFunc), counts: make(map[int64]int)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	tb.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// HandleTrigger sets the function answering trigger requests.
func (s *Server) HandleTrigger(f TriggerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trigger = f
}

// Trigger scripts the trigger answers in order; past the end the last one
// repeats.
func (s *Server) Trigger(answers ...Answer) {
	s.HandleTrigger(func(n int, _ []int64) Answer { return nth(answers, n) })
}

// HandleRun sets the function answering GETs of test run id.
func (s *Server) HandleRun(id int64, f RunFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[id] = f
}

// Run scripts the answers for test run id in order; past the end the last
// one repeats, which is how "until the deadline" is scripted.
func (s *Server) Run(id int64, answers ...Answer) {
	s.HandleRun(id, func(_ int64, n int) Answer { return nth(answers, n) })
}

// HandleRuns answers GETs of every run that has no handler of its own.
func (s *Server) HandleRuns(f RunFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fallback = f
}

func nth(answers []Answer, n int) Answer {
	if len(answers) == 0 {
		return Answer{}
	}
	return answers[min(n, len(answers)-1)]
}

// Requests returns a copy of every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// Triggers returns the trigger requests received so far, in order.
func (s *Server) Triggers() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Method == http.MethodPost && r.Path == TriggerPath {
			out = append(out, r)
		}
	}
	return out
}

// TriggeredIDs returns every blueprint id any trigger request asked for, in
// order and with repeats, and an error if a request body was not a strictly
// valid trigger request.
func (s *Server) TriggeredIDs() ([]int64, error) {
	var all []int64
	for _, r := range s.Triggers() {
		ids, err := ParseTriggerRequest(r.Body)
		if err != nil {
			return all, fmt.Errorf("trigger request %d: %w", r.Seq, err)
		}
		all = append(all, ids...)
	}
	return all, nil
}

// Served returns a copy of every answer given so far, in order.
func (s *Server) Served() []Served {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Served, len(s.served))
	copy(out, s.served)
	return out
}

// ServedRun returns the answers given to GETs of test run id, in order.
func (s *Server) ServedRun(id int64) []Served {
	var out []Served
	for _, a := range s.Served() {
		if a.RunID == id {
			out = append(out, a)
		}
	}
	return out
}

// ServedTriggers returns the answers given to trigger requests, in order.
func (s *Server) ServedTriggers() []Served {
	var out []Served
	for _, a := range s.Served() {
		if a.RunID == 0 {
			out = append(out, a)
		}
	}
	return out
}

// ParseTriggerRequest strictly reads a trigger request body: exactly one
// object with exactly one member, "test_blueprint_ids", a list of positive
// integers.
func ParseTriggerRequest(body []byte) ([]int64, error) {
	doc, err := ParseStrict(body)
	if err != nil {
		return nil, err
	}
	obj, ok := doc.(Object)
	if !ok || len(obj) != 1 || obj[0].Name != "test_blueprint_ids" {
		return nil, errors.New(`want {"test_blueprint_ids": [...]}`)
	}
	list, ok := obj[0].Value.([]any)
	if !ok {
		return nil, errors.New("test_blueprint_ids is not a list")
	}
	ids := make([]int64, 0, len(list))
	for _, v := range list {
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("blueprint id %v is not a number", v)
		}
		id, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("blueprint id %s is not a positive integer", n)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body,
		KeyOK: r.Header.Get("X-API-KEY") == s.key}
	isRun := r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, RunPrefix)
	if isRun {
		id, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, RunPrefix), 10, 64)
		if err == nil && id > 0 {
			req.RunID = id
		} else {
			isRun = false
		}
	}

	s.mu.Lock()
	req.Seq = len(s.requests)
	s.requests = append(s.requests, req)
	var a Answer
	n := 0
	switch {
	case !req.KeyOK:
		a = Fail(http.StatusUnauthorized, `{"detail":"Invalid API key"}`)
	case r.Method == http.MethodPost && r.URL.Path == TriggerPath:
		n = s.triggerN
		s.triggerN++
		ids, err := ParseTriggerRequest(body)
		if err != nil {
			ids = nil
		}
		if s.trigger == nil {
			a = Fail(http.StatusInternalServerError, `{"detail":"hostile: no trigger answer scripted"}`)
		} else {
			a = s.trigger(n, ids)
		}
	case isRun:
		n = s.counts[req.RunID]
		s.counts[req.RunID]++
		f := s.runs[req.RunID]
		if f == nil {
			f = s.fallback
		}
		if f == nil {
			a = Fail(http.StatusNotFound, `{"detail":"Not found"}`)
		} else {
			a = f(req.RunID, n)
		}
	default:
		a = Fail(http.StatusNotFound, `{"detail":"Not Found"}`)
	}
	s.served = append(s.served, Served{Seq: req.Seq, RunID: req.RunID, N: n, Answer: a})
	s.mu.Unlock()

	write(r.Context(), w, a)
}

func write(ctx context.Context, w http.ResponseWriter, a Answer) {
	if a.Delay > 0 {
		t := time.NewTimer(a.Delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	if a.Drop || a.Reset {
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("hostile: the connection cannot be hijacked")
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok && a.Reset {
			// A zero linger turns Close into a RST.
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
		return
	}
	for k, vs := range a.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.Copy(w, strings.NewReader(a.Body))
}

// Run is a well-formed test run, for building answers without writing JSON
// by hand. Strings are encoded exactly (control characters as \u escapes),
// so whatever a test puts in them reaches the gate after decoding.
type Run struct {
	ID          int64
	BlueprintID int64
	GroupRunID  int64
	Status      string
	Title       string
	Steps       []Step
	VideoURL    string
	// Created and Updated, when set, give the run a deterministic duration.
	Created, Updated string
}

// Step is one executed step of a Run.
type Step struct {
	Number     int
	Task       string
	OK         bool
	Result     string
	Screenshot string
}

type wireRun struct {
	ID                int64        `json:"id"`
	Status            string       `json:"status"`
	TestBlueprintID   int64        `json:"test_blueprint_id"`
	TestGroupRunID    int64        `json:"test_group_run_id"`
	BlueprintMetadata wireMeta     `json:"blueprint_metadata"`
	Results           []wireResult `json:"results"`
	TestVideoURL      string       `json:"test_video_url,omitempty"`
	CreatedAt         string       `json:"created_at,omitempty"`
	UpdatedAt         string       `json:"updated_at,omitempty"`
}

type wireMeta struct {
	ID    int64      `json:"id"`
	Title string     `json:"title"`
	Steps []wireStep `json:"steps"`
}

type wireStep struct {
	StepNumber int    `json:"step_number"`
	Action     string `json:"action"`
	Type       string `json:"type"`
}

type wireResult struct {
	StepNumber   int          `json:"step_number"`
	Task         string       `json:"task"`
	IsSuccessful bool         `json:"is_successful"`
	Result       string       `json:"result"`
	Duration     int          `json:"duration"`
	Actions      []wireAction `json:"actions"`
}

type wireAction struct {
	Description   string `json:"description"`
	Type          string `json:"type"`
	ScreenshotURL string `json:"screenshot_url,omitempty"`
}

func (r Run) wire() wireRun {
	w := wireRun{ID: r.ID, Status: r.Status, TestBlueprintID: r.BlueprintID, TestGroupRunID: r.GroupRunID,
		BlueprintMetadata: wireMeta{ID: r.BlueprintID, Title: r.Title, Steps: []wireStep{}},
		TestVideoURL:      r.VideoURL, CreatedAt: r.Created, UpdatedAt: r.Updated}
	for i, s := range r.Steps {
		n := s.Number
		if n == 0 {
			n = i + 1
		}
		w.BlueprintMetadata.Steps = append(w.BlueprintMetadata.Steps, wireStep{StepNumber: n, Action: s.Task, Type: "act"})
		res := wireResult{StepNumber: n, Task: s.Task, IsSuccessful: s.OK, Result: s.Result, Duration: 1,
			Actions: []wireAction{{Description: s.Task, Type: "click_element", ScreenshotURL: s.Screenshot}}}
		w.Results = append(w.Results, res)
	}
	return w
}

// GetBody is the GET /test_run/{id} answer for r.
func GetBody(r Run) string {
	return encode(map[string]wireRun{"test_run": r.wire()})
}

// Get is a 200 answer with GetBody(r).
func Get(r Run) Answer { return OK(GetBody(r)) }

// TriggerBody is a trigger answer for group run group with the given runs.
// The runs' results are left out, as DocketQA sends null right after a
// trigger.
func TriggerBody(group int64, runs ...Run) string {
	type wireTriggerRun struct {
		ID                int64    `json:"id"`
		Status            string   `json:"status"`
		TestBlueprintID   int64    `json:"test_blueprint_id"`
		TestGroupRunID    int64    `json:"test_group_run_id"`
		BlueprintMetadata wireMeta `json:"blueprint_metadata"`
		Results           []any    `json:"results"`
	}
	type wireGroup struct {
		ID       int64            `json:"id"`
		Name     string           `json:"name"`
		Status   string           `json:"status"`
		TestRuns []wireTriggerRun `json:"test_runs"`
	}
	g := wireGroup{ID: group, Name: "Manual Run 2025-07-03 01:38:03", Status: "running", TestRuns: []wireTriggerRun{}}
	for _, r := range runs {
		w := r.wire()
		status := r.Status
		if status == "" {
			status = "running"
		}
		g.TestRuns = append(g.TestRuns, wireTriggerRun{ID: r.ID, Status: status, TestBlueprintID: r.BlueprintID,
			TestGroupRunID: group, BlueprintMetadata: w.BlueprintMetadata})
	}
	return encode(struct {
		Message      string    `json:"message"`
		TestGroupRun wireGroup `json:"test_group_run"`
	}{"Test group run triggered successfully", g})
}

// Triggered is a 200 answer with TriggerBody(group, runs...).
func Triggered(group int64, runs ...Run) Answer { return OK(TriggerBody(group, runs...)) }

// encode writes v like DocketQA's Python backend: no HTML escaping.
func encode(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("hostile: encode: %v", err))
	}
	return strings.TrimSuffix(b.String(), "\n")
}
