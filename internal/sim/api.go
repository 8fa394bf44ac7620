package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

const (
	statusRunning  = "running"
	triggerMessage = "Test group run triggered successfully"
	// maxTriggerBody bounds the request body; 10,000 ids need about 80 KB.
	maxTriggerBody = 4 << 20
	// maxBodyRead is how much of any request body is read: one byte more
	// than allowed, to tell "too large" from "just fits".
	maxBodyRead = maxTriggerBody + 1
)

// response is an API answer built before it is written, so a fault applied
// after processing can still replace it.
type response struct {
	status int
	body   []byte
	allow  string
}

func (resp response) write(w http.ResponseWriter) {
	if resp.allow != "" {
		w.Header().Set("Allow", resp.allow)
	}
	w.Header().Set("Content-Type", "application/json")
	resp.writeBody(w)
}

// writeBody writes status and body, leaving the headers as they are.
func (resp response) writeBody(w http.ResponseWriter) {
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// errorResponse is the FastAPI-style error the API answers with.
func errorResponse(status int, detail string) response {
	return response{status: status, body: mustJSON(map[string]string{"detail": detail})}
}

// mustJSON encodes v like the real (Python) API does: no HTML escaping of
// <, > and &, and no trailing newline. The simulator's own types always
// encode, so an error is a programming bug.
func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("sim: encode response: %v", err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// jsonID is an id that encodes as a number, or as a string in StringIDs mode.
type jsonID struct {
	n      int64
	quoted bool
}

// MarshalJSON implements json.Marshaler.
func (id jsonID) MarshalJSON() ([]byte, error) {
	b := strconv.AppendInt(nil, id.n, 10)
	if id.quoted {
		b = append(append([]byte{'"'}, b...), '"')
	}
	return b, nil
}

func (s *Server) id(n int64) jsonID { return jsonID{n: n, quoted: s.stringIDs} }

// timestamp formats t like Python's datetime.isoformat() on an aware UTC
// value, which is what the API sends: microseconds and +00:00, and no
// fraction at all when the microseconds are zero.
func timestamp(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05+00:00")
	}
	return t.Format("2006-01-02T15:04:05.000000+00:00")
}

// JSON shapes, in the key order of the docs' examples.

type triggerJSON struct {
	Message      string    `json:"message"`
	TestGroupRun groupJSON `json:"test_group_run"`
}

type groupJSON struct {
	ID        jsonID           `json:"id"`
	CompanyID jsonID           `json:"company_id"`
	Name      string           `json:"name"`
	Status    string           `json:"status"`
	TestRuns  []triggerRunJSON `json:"test_runs"`
	CreatedAt string           `json:"created_at"`
	UpdatedAt string           `json:"updated_at"`
}

// triggerRunJSON is a run inside the trigger answer, with the fields the
// docs' example shows beyond the schema (is_login_test_run and so on).
type triggerRunJSON struct {
	ID                jsonID          `json:"id"`
	Status            string          `json:"status"`
	TestBlueprintID   jsonID          `json:"test_blueprint_id"`
	TestGroupRunID    jsonID          `json:"test_group_run_id"`
	BlueprintMetadata json.RawMessage `json:"blueprint_metadata"`
	Results           []stepJSON      `json:"results"`
	IsLoginTestRun    bool            `json:"is_login_test_run"`
	TestVideoS3Key    *string         `json:"test_video_s3_key"`
	CreatedAt         string          `json:"created_at"`
	UpdatedAt         string          `json:"updated_at"`
}

type getRunJSON struct {
	TestRun runJSON `json:"test_run"`
}

type runJSON struct {
	ID                   jsonID          `json:"id"`
	Status               *string         `json:"status"`
	TestBlueprintID      jsonID          `json:"test_blueprint_id"`
	TestGroupRunID       jsonID          `json:"test_group_run_id"`
	BlueprintMetadata    json.RawMessage `json:"blueprint_metadata"`
	Results              []stepJSON      `json:"results"`
	TestVideoURL         *string         `json:"test_video_url"`
	TestVideoDownloadURL *string         `json:"test_video_download_url"`
	AdditionalAttempts   []attemptJSON   `json:"additional_attempts"`
	CreatedAt            string          `json:"created_at"`
	UpdatedAt            string          `json:"updated_at"`
	IsLoginTestRun       bool            `json:"is_login_test_run"`
	TestVideoS3Key       *string         `json:"test_video_s3_key"`
}

type metadataJSON struct {
	ID             jsonID     `json:"id"`
	Title          string     `json:"title"`
	Type           string     `json:"type"`
	StartingURL    string     `json:"starting_url"`
	DeviceType     string     `json:"device_type"`
	BrowserZoom    float64    `json:"browser_zoom"`
	ViewportWidth  int        `json:"viewport_width"`
	ViewportHeight int        `json:"viewport_height"`
	NumRetries     int        `json:"num_retries"`
	Variables      []struct{} `json:"variables"`
	Steps          []specJSON `json:"steps"`
}

type specJSON struct {
	StepNumber int    `json:"step_number"`
	Type       string `json:"type"`
	Action     string `json:"action"`
	UseVision  bool   `json:"use_vision"`
}

type stepJSON struct {
	StepNumber   int          `json:"step_number"`
	Task         string       `json:"task"`
	IsSuccessful bool         `json:"is_successful"`
	Result       string       `json:"result"`
	Duration     int          `json:"duration"`
	Actions      []actionJSON `json:"actions"`
}

type actionJSON struct {
	Description         string          `json:"description"`
	Type                string          `json:"type"`
	ScreenshotURL       string          `json:"screenshot_url"`
	ScreenshotURLBefore string          `json:"screenshot_url_before"`
	APIResponse         json.RawMessage `json:"api_response"`
}

type attemptJSON struct {
	Results      []stepJSON `json:"results"`
	TestVideoURL string     `json:"test_video_url"`
}

// trigger creates a group run with one test run per known, not omitted
// blueprint id, in request order.
func (s *Server) trigger(data []byte) response {
	if len(data) > maxTriggerBody {
		return errorResponse(http.StatusRequestEntityTooLarge, "request body too large")
	}
	ids, err := parseTriggerBody(data)
	if err != nil {
		return errorResponse(http.StatusBadRequest, err.Error())
	}

	now := s.now().UTC().Truncate(time.Microsecond)
	s.mu.Lock()
	// Resolve every id before creating anything, so a broken Default leaves
	// no half-made group run behind.
	scripts := make([]*script, 0, len(ids))
	for _, id := range ids {
		sc, err := s.scriptLocked(id)
		if err != nil {
			s.mu.Unlock()
			return errorResponse(http.StatusInternalServerError, err.Error())
		}
		if sc != nil && !sc.Omit {
			scripts = append(scripts, sc)
		}
	}
	g := &group{
		id:      s.nextGroup,
		name:    "Manual Run " + now.Format(time.DateTime),
		created: now,
		runs:    make([]*run, 0, len(scripts)),
	}
	s.nextGroup++
	for _, sc := range scripts {
		sc.triggered++
		outcome := sc.Outcome
		if sc.PassFromTrigger > 0 && sc.triggered >= sc.PassFromTrigger {
			outcome = outcomePassed
		}
		rn := &run{id: s.nextRun, groupID: g.id, sc: sc, outcome: outcome, created: now}
		s.nextRun++
		s.runs[rn.id] = rn
		s.runOrder = append(s.runOrder, rn)
		g.runs = append(g.runs, rn)
	}
	s.groups[g.id] = g
	s.mu.Unlock()

	ts := timestamp(now)
	out := triggerJSON{
		Message: triggerMessage,
		TestGroupRun: groupJSON{
			ID:        s.id(g.id),
			CompanyID: s.id(companyID),
			Name:      g.name,
			Status:    statusRunning,
			TestRuns:  make([]triggerRunJSON, 0, len(g.runs)),
			CreatedAt: ts,
			UpdatedAt: ts,
		},
	}
	for _, rn := range g.runs {
		out.TestGroupRun.TestRuns = append(out.TestGroupRun.TestRuns, triggerRunJSON{
			ID:                s.id(rn.id),
			Status:            statusRunning,
			TestBlueprintID:   s.id(rn.sc.ID),
			TestGroupRunID:    s.id(g.id),
			BlueprintMetadata: rn.sc.meta,
			CreatedAt:         ts,
			UpdatedAt:         ts,
		})
	}
	return response{status: http.StatusOK, body: mustJSON(out)}
}

// scriptLocked returns the script for a blueprint id, asking Default once for
// unscripted ids. nil means the id is unknown to the simulated API.
func (s *Server) scriptLocked(id int64) (*script, error) {
	if sc, ok := s.scripts[id]; ok {
		return sc, nil
	}
	var sc *script
	if s.deflt != nil {
		b := s.deflt(id)
		b.ID = id
		var err error
		if sc, err = s.newScript(b); err != nil {
			return nil, fmt.Errorf("simulator Default returned an invalid blueprint: %w", err)
		}
	}
	s.scripts[id] = sc
	return sc, nil
}

// parseTriggerBody reads {"test_blueprint_ids": [...]}. Ids may be numbers or
// numeric strings, because a public client sends strings.
func parseTriggerBody(data []byte) ([]int64, error) {
	var body struct {
		IDs []json.RawMessage `json:"test_blueprint_ids"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return nil, fmt.Errorf("request body must be a JSON object with test_blueprint_ids, an array of integers: %v", err)
	}
	if len(body.IDs) == 0 {
		return nil, fmt.Errorf("test_blueprint_ids is required and must list at least one blueprint id")
	}
	ids := make([]int64, 0, len(body.IDs))
	for _, raw := range body.IDs {
		text := string(raw)
		var quoted string
		if json.Unmarshal(raw, &quoted) == nil {
			text = quoted
		}
		id, err := strconv.ParseInt(text, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("test_blueprint_ids must hold positive integers, got %s", raw)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// getRun reports one test run as it stands now.
// mediaBase prefixes the screenshot and video URLs in the answer.
func (s *Server) getRun(rt route, mediaBase string) response {
	if _, err := strconv.ParseInt(rt.param, 10, 64); err != nil {
		// FastAPI's answer to a path parameter of the wrong type.
		return response{status: http.StatusUnprocessableEntity, body: mustJSON(map[string]any{
			"detail": []map[string]any{{
				"loc":  []string{"path", "test_run_id"},
				"msg":  "value is not a valid integer",
				"type": "type_error.integer",
			}},
		})}
	}
	s.mu.Lock()
	rn := s.runs[rt.runID]
	if rn != nil {
		rn.gets++
	}
	s.mu.Unlock()
	if rn == nil {
		return errorResponse(http.StatusNotFound, "Test run not found")
	}

	word, finished := rn.status(s.now())
	created := timestamp(rn.created)
	out := runJSON{
		ID:                 s.id(rn.id),
		TestBlueprintID:    s.id(rn.sc.ID),
		TestGroupRunID:     s.id(rn.groupID),
		BlueprintMetadata:  rn.sc.meta,
		AdditionalAttempts: []attemptJSON{},
		CreatedAt:          created,
		UpdatedAt:          created,
	}
	if word != "" {
		out.Status = &word
	}
	if finished {
		s.fillResults(&out, rn, mediaBase)
	}
	return response{status: http.StatusOK, body: mustJSON(getRunJSON{TestRun: out})}
}

// fillResults adds what a finished run reports: step results, videos, and
// the failed earlier attempts.
func (s *Server) fillResults(out *runJSON, rn *run, base string) {
	sc := rn.sc
	final := sc.Retries + 1
	out.Results = s.results(rn, final, rn.outcome != outcomePassed, base)
	video := artifactURL(base, rn, final, "video.webm")
	download := artifactURL(base, rn, final, "download/video.webm")
	key := fmt.Sprintf("test-videos/%d/attempt-%d.webm", rn.id, final)
	out.TestVideoURL, out.TestVideoDownloadURL, out.TestVideoS3Key = &video, &download, &key
	out.UpdatedAt = timestamp(rn.finishAt())
	for a := 1; a < final; a++ {
		out.AdditionalAttempts = append(out.AdditionalAttempts, attemptJSON{
			Results:      s.results(rn, a, true, base),
			TestVideoURL: artifactURL(base, rn, a, "video.webm"),
		})
	}
}

// results builds the step results of one attempt. A failing attempt stops at
// the failing step, as the real runner does.
func (s *Server) results(rn *run, attempt int, failing bool, base string) []stepJSON {
	sc := rn.sc
	last := sc.Steps
	if failing {
		last = sc.FailStep
	}
	out := make([]stepJSON, 0, last)
	for n := 1; n <= last; n++ {
		action := sc.StepActions[n-1]
		ok := !failing || n != sc.FailStep
		result := successSentence(action)
		if !ok {
			result = sc.FailReason
		}
		out = append(out, stepJSON{
			StepNumber:   n,
			Task:         action,
			IsSuccessful: ok,
			Result:       result,
			Duration:     wholeSeconds(sc.StepDurations[n-1]),
			Actions: []actionJSON{{
				Description:         action,
				Type:                actionType(action),
				ScreenshotURL:       artifactURL(base, rn, attempt, fmt.Sprintf("step-%d-after.png", n)),
				ScreenshotURLBefore: artifactURL(base, rn, attempt, fmt.Sprintf("step-%d-before.png", n)),
				APIResponse:         json.RawMessage("null"),
			}},
		})
	}
	return out
}

// artifactURL is the link to one of a run's media files under base.
func artifactURL(base string, rn *run, attempt int, name string) string {
	return fmt.Sprintf("%s/runs/%d/attempt-%d/%s", base, rn.id, attempt, name)
}

// newScript validates b and renders its blueprint_metadata once, since the
// snapshot never changes and is part of every answer about its runs.
func (s *Server) newScript(b Blueprint) (*script, error) {
	sc, err := newScript(b)
	if err != nil {
		return nil, err
	}
	sc.meta = mustJSON(s.metadata(sc))
	return sc, nil
}

func (s *Server) metadata(sc *script) metadataJSON {
	return metadataJSON{
		ID:             s.id(sc.ID),
		Title:          sc.Title,
		Type:           "integration",
		StartingURL:    sc.StartingURL,
		DeviceType:     "desktop",
		BrowserZoom:    1,
		ViewportWidth:  1900,
		ViewportHeight: 1200,
		NumRetries:     sc.Retries,
		Variables:      []struct{}{},
		Steps:          sc.specs,
	}
}
