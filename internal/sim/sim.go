// Package sim is a scriptable simulator of the DocketQA REST API.
//
// It serves the two endpoints a CI client needs, POST /test_group_run/trigger_run
// and GET /test_run/{id}, with the JSON shapes the DocketQA docs show, including
// the undocumented fields that real payloads carry, so client code meets
// realistic answers rather than the minimal ones a hand-written stub would give.
//
// Every blueprint is scripted: how long its run stays "running", the final
// status word, which step fails and why, and how many DocketQA retries are
// reported. Fault rules add the trouble a CI client must survive: error
// statuses with Retry-After, slow answers, oversized bodies, connection
// resets, redirects, and answers lost after the server already acted.
//
// The simulator serves unit tests (as an http.Handler behind httptest),
// benchmarks (lookups are O(1), so tens of thousands of runs are fine) and
// docketqa-gate --demo (through Start and Demo).
package sim

import (
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults taken from the examples in the DocketQA docs, so simulated
// payloads look like the documented ones.
const (
	defaultFirstRunID   = 38
	defaultFirstGroupID = 35
	companyID           = 2
	// DefaultArtifactBaseURL prefixes screenshot and video URLs. The .invalid
	// top-level domain is reserved (RFC 2606), so a simulated link can never
	// resolve to somebody's real host.
	DefaultArtifactBaseURL = "https://artifacts.docketqa.invalid"
)

// Options configures a simulated DocketQA API.
type Options struct {
	// APIKey is the only X-API-KEY header value the simulator accepts.
	// Required.
	APIKey string
	// Blueprints are the scripted blueprints; their IDs must be unique.
	Blueprints []Blueprint
	// Default scripts a blueprint that is not in Blueprints. It is called at
	// most once per id, while the simulator holds its lock, so it must not
	// call the Server. When nil, unscripted ids are left out of the trigger
	// response, as the real API might do with unknown or foreign blueprints.
	Default func(id int64) Blueprint
	// Now is the simulator's clock (default time.Now). A run finishes once
	// Now() minus its trigger time reaches the blueprint's Duration, so a
	// fake clock steps runs through their states without sleeping.
	Now func() time.Time
	// After starts the wait of a fault's Delay (default: a timer of the
	// runtime), so a test can check the wait without waiting.
	After func(time.Duration) <-chan time.Time
	// StringIDs encodes every id in every response as a JSON string
	// ("id":"38"). The docs say integers, but a public client sends ids as
	// strings, so a robust client must read both.
	StringIDs bool
	// Faults are matched in order against every API request; see Fault.
	Faults []Fault
	// FirstRunID and FirstGroupID are the first test run and group run ids
	// handed out (defaults 38 and 35, as in the docs).
	FirstRunID, FirstGroupID int64
	// ArtifactBaseURL prefixes screenshot and video URLs
	// (default DefaultArtifactBaseURL).
	ArtifactBaseURL string
	// ServeMedia makes the simulator serve the screenshots (small PNGs) and
	// videos (a small WebM) its answers link to, under /media/, without a
	// key. Unless ArtifactBaseURL is set too, the links then point at this
	// server itself, as the client reached it, so --demo can show saved
	// evidence without any network.
	ServeMedia bool
}

// Stats are the simulator's request counters. Only counters are kept, never a
// per-request history, so long benchmarks use constant memory.
type Stats struct {
	// Triggers and Gets count requests to the trigger and get-run endpoints,
	// including those answered with a fault or an error.
	Triggers, Gets int64
	// Errors counts API requests answered with a fault or a non-2xx status.
	Errors int64
	// Unauthorized counts requests rejected because X-API-KEY was missing or
	// wrong.
	Unauthorized int64
	// InFlight is the number of API requests being handled right now;
	// PeakInFlight is its maximum so far.
	InFlight, PeakInFlight int64
	// GroupRuns is the number of group runs created.
	GroupRuns int
	// MediaGets counts requests for media (ServeMedia), which are not API
	// requests; MediaWithAPIKey counts those that carried an X-API-KEY
	// header, which a careful client never sends to a media host.
	MediaGets, MediaWithAPIKey int64
}

// RunInfo describes one simulated test run.
type RunInfo struct {
	RunID, BlueprintID int64
	// Status is what GET /test_run/{id} would report now; "" when the
	// blueprint reports a null status.
	Status string
	// Gets counts the authorized GET requests for this run that reached the
	// API; requests answered by a fault before processing are not counted.
	Gets int
	// FinishedAt is the trigger time plus the blueprint's Duration.
	FinishedAt time.Time
}

// Server is a simulated DocketQA API. It implements http.Handler and is safe
// for concurrent use.
type Server struct {
	key       []byte
	now       func() time.Time
	after     func(time.Duration) <-chan time.Time
	deflt     func(int64) Blueprint
	stringIDs bool
	artifacts string
	// artifactsSet records that ArtifactBaseURL was given; serveMedia and
	// media implement Options.ServeMedia.
	artifactsSet bool
	serveMedia   bool
	media        mediaFiles

	mu        sync.Mutex
	scripts   map[int64]*script // nil value: unknown id, cached from Default
	runs      map[int64]*run
	runOrder  []*run // in id order: ids are handed out under mu
	groups    map[int64]*group
	nextRun   int64
	nextGroup int64
	faults    []Fault // Count is decremented in place

	triggers, gets, errs, unauthorized, inFlight, peak atomic.Int64
	mediaGets, mediaWithKey                            atomic.Int64
}

// run is one test run. All fields but gets are immutable after creation.
type run struct {
	id, groupID int64
	sc          *script
	// outcome is the run's final status word, fixed when it is created.
	outcome string
	created time.Time
	gets    int // guarded by Server.mu
}

// group is one group run.
type group struct {
	id      int64
	name    string
	created time.Time
	runs    []*run
}

// New returns a simulator configured by opts. It panics if opts are invalid
// (no API key, a malformed blueprint or fault), because that is a bug in the
// calling test; Start reports the same problems as an error instead.
func New(opts Options) *Server {
	s, err := newServer(opts)
	if err != nil {
		panic(err)
	}
	return s
}

func newServer(opts Options) (*Server, error) {
	if opts.APIKey == "" {
		return nil, fmt.Errorf("sim: Options.APIKey is empty; set the key the simulator should accept")
	}
	s := &Server{
		key:        []byte(opts.APIKey),
		now:        opts.Now,
		after:      opts.After,
		deflt:      opts.Default,
		stringIDs:  opts.StringIDs,
		artifacts:  strings.TrimSuffix(opts.ArtifactBaseURL, "/"),
		serveMedia: opts.ServeMedia,
		scripts:    make(map[int64]*script, len(opts.Blueprints)),
		runs:       make(map[int64]*run),
		groups:     make(map[int64]*group),
		nextRun:    opts.FirstRunID,
		nextGroup:  opts.FirstGroupID,
		faults:     append([]Fault(nil), opts.Faults...),
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.artifactsSet = s.artifacts != ""
	if s.artifacts == "" {
		s.artifacts = DefaultArtifactBaseURL
	}
	if s.serveMedia {
		s.media = newMediaFiles()
	}
	if s.nextRun == 0 {
		s.nextRun = defaultFirstRunID
	}
	if s.nextGroup == 0 {
		s.nextGroup = defaultFirstGroupID
	}
	if s.nextRun < 0 || s.nextGroup < 0 {
		return nil, fmt.Errorf("sim: FirstRunID %d and FirstGroupID %d must be positive", opts.FirstRunID, opts.FirstGroupID)
	}
	for _, b := range opts.Blueprints {
		if _, dup := s.scripts[b.ID]; dup {
			return nil, fmt.Errorf("sim: blueprint %d is scripted twice; give every blueprint a unique ID", b.ID)
		}
		sc, err := s.newScript(b)
		if err != nil {
			return nil, err
		}
		s.scripts[b.ID] = sc
	}
	for i, f := range s.faults {
		if err := f.validate(); err != nil {
			return nil, fmt.Errorf("sim: fault %d: %w", i, err)
		}
	}
	return s, nil
}

// Stats returns a snapshot of the request counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	groups := len(s.groups)
	s.mu.Unlock()
	return Stats{
		Triggers:        s.triggers.Load(),
		Gets:            s.gets.Load(),
		Errors:          s.errs.Load(),
		Unauthorized:    s.unauthorized.Load(),
		InFlight:        s.inFlight.Load(),
		PeakInFlight:    s.peak.Load(),
		GroupRuns:       groups,
		MediaGets:       s.mediaGets.Load(),
		MediaWithAPIKey: s.mediaWithKey.Load(),
	}
}

// Runs describes every test run created so far, ordered by run id.
func (s *Server) Runs() []RunInfo {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RunInfo, 0, len(s.runOrder))
	for _, rn := range s.runOrder {
		st, _ := rn.status(now)
		out = append(out, RunInfo{
			RunID:       rn.id,
			BlueprintID: rn.sc.ID,
			Status:      st,
			Gets:        rn.gets,
			FinishedAt:  rn.finishAt(),
		})
	}
	return out
}

// finishAt is when the run reports its final status.
func (rn *run) finishAt() time.Time { return rn.created.Add(rn.sc.Duration) }

// status returns the status word the API reports at now and whether the run
// has finished. The word is "" when the finished run reports a null status.
func (rn *run) status(now time.Time) (string, bool) {
	if now.Sub(rn.created) < rn.sc.Duration {
		return statusRunning, false
	}
	if rn.sc.NullStatus {
		return "", true
	}
	return rn.outcome, true
}

// ServeHTTP answers one request: dashboard pages directly, API requests after
// fault rules, routing and the API key check.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := routeOf(r)
	if rt.kind == routeDashboard {
		s.serveDashboard(w, rt)
		return
	}
	if s.serveMedia && strings.HasPrefix(r.URL.Path, mediaPrefix) {
		s.handleMedia(w, r)
		return
	}

	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	switch rt.kind {
	case routeTrigger:
		s.triggers.Add(1)
	case routeGetRun:
		s.gets.Add(1)
	}

	// Reading the body up front matters: net/http only notices a client
	// that hangs up (and cancels r.Context()) once the body has been read,
	// and a Delay must end when the client gives up.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyRead))
	if err != nil {
		s.errs.Add(1)
		return // the client went away mid-request
	}

	f := s.takeFault(rt)
	var resp response
	processed := f != nil && f.AfterProcessing
	if processed {
		// The simulated API acts first; the client may never learn of it.
		resp = s.handle(r, rt, body)
	}
	if f != nil && !s.sleep(r, f.Delay) {
		// The client gave up; there is nobody left to answer.
		s.errs.Add(1)
		return
	}
	if f != nil && f.replacesResponse() {
		s.errs.Add(1)
		f.apply(w)
		return
	}
	if !processed {
		resp = s.handle(r, rt, body)
	}
	if resp.status < 200 || resp.status > 299 {
		s.errs.Add(1)
	}
	resp.write(w)
}

// handle routes and authenticates an API request and answers it. Routing
// comes first, as in the FastAPI app the error bodies come from: an unknown
// path is 404 whatever the key.
func (s *Server) handle(r *http.Request, rt route, body []byte) response {
	switch rt.kind {
	case routeNotFound:
		return errorResponse(http.StatusNotFound, "Not Found")
	case routeMethodNotAllowed:
		resp := errorResponse(http.StatusMethodNotAllowed, "Method Not Allowed")
		resp.allow = rt.allow
		return resp
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-API-KEY")), s.key) != 1 {
		s.unauthorized.Add(1)
		return errorResponse(http.StatusUnauthorized, "Invalid API key")
	}
	if rt.kind == routeTrigger {
		return s.trigger(body)
	}
	return s.getRun(rt, s.mediaBase(r))
}

// takeFault returns the first fault rule matching rt that still has uses
// left, using one of them up.
func (s *Server) takeFault(rt route) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		f := &s.faults[i]
		if !f.matches(rt) {
			continue
		}
		if f.Count > 0 {
			f.Count--
		}
		applied := *f
		return &applied
	}
	return nil
}

// sleep waits for d or until the request is cancelled, reporting whether the
// full delay passed.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	var done <-chan time.Time
	if s.after != nil {
		done = s.after(d)
	} else {
		t := time.NewTimer(d)
		defer t.Stop()
		done = t.C
	}
	select {
	case <-done:
		return true
	case <-r.Context().Done():
		return false
	}
}

// routeKind classifies a request path.
type routeKind int

const (
	routeNotFound routeKind = iota
	routeMethodNotAllowed
	routeTrigger
	routeGetRun
	routeDashboard
)

// route is a classified request.
type route struct {
	kind  routeKind
	param string // run id or group run id as written in the path
	runID int64  // parsed run id for routeGetRun; 0 if not a number
	allow string // Allow header for routeMethodNotAllowed
}

// Exact paths: the real API is slash-sensitive (the official action had to
// drop a trailing slash), so "/test_run/38/" must not match.
const (
	triggerPath   = "/test_group_run/trigger_run"
	runPrefix     = "/test_run/"
	dashboardPath = "/dashboard/grouprun/"
)

func routeOf(r *http.Request) route {
	p := r.URL.Path
	switch {
	case p == triggerPath:
		if r.Method != http.MethodPost {
			return route{kind: routeMethodNotAllowed, allow: http.MethodPost}
		}
		return route{kind: routeTrigger}
	case strings.HasPrefix(p, runPrefix):
		id := strings.TrimPrefix(p, runPrefix)
		if id == "" || strings.Contains(id, "/") {
			return route{kind: routeNotFound}
		}
		if r.Method != http.MethodGet {
			return route{kind: routeMethodNotAllowed, allow: http.MethodGet}
		}
		n, _ := strconv.ParseInt(id, 10, 64)
		return route{kind: routeGetRun, param: id, runID: n}
	case strings.HasPrefix(p, dashboardPath):
		id := strings.TrimPrefix(p, dashboardPath)
		if id == "" || strings.Contains(id, "/") || r.Method != http.MethodGet {
			return route{kind: routeNotFound}
		}
		return route{kind: routeDashboard, param: id}
	}
	return route{kind: routeNotFound}
}
