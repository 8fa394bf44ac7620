package sim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

// testKey is an obviously fake API key.
const testKey = "fake-docketqa-key-for-tests"

// epoch is the trigger time of the docs' example (group run 35).
var epoch = time.Date(2025, 7, 3, 1, 38, 3, 20496000, time.UTC)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: epoch} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// serve starts opts behind httptest, filling in the test key when unset.
func serve(t *testing.T, opts sim.Options) (*sim.Server, *httptest.Server) {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	s := sim.New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// call sends one request. An empty key sends no X-API-KEY header.
func call(t *testing.T, c *http.Client, method, url, key, body string) reply {
	t.Helper()
	r, err := callErr(c, method, url, key, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

func callErr(c *http.Client, method, url, key, body string) (reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return reply{}, err
	}
	if key != "" {
		req.Header.Set("X-API-KEY", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// noRedirects returns a client that hands 3xx answers back to the test.
func noRedirects(ts *httptest.Server) *http.Client {
	c := *ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// triggerBody is the documented request body for ids.
func triggerBody(ids ...int64) string {
	b, _ := json.Marshal(map[string][]int64{"test_blueprint_ids": ids})
	return string(b)
}

// decodeStrict decodes b into v and fails on keys v does not mirror, so the
// mirror structs below pin the exact wire shape.
func decodeStrict(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// Mirrors of the documented JSON, including the undocumented extras.

type metadataDoc struct {
	ID             int64   `json:"id"`
	Title          string  `json:"title"`
	Type           string  `json:"type"`
	StartingURL    string  `json:"starting_url"`
	DeviceType     string  `json:"device_type"`
	BrowserZoom    float64 `json:"browser_zoom"`
	ViewportWidth  int     `json:"viewport_width"`
	ViewportHeight int     `json:"viewport_height"`
	NumRetries     int     `json:"num_retries"`
	Variables      []any   `json:"variables"`
	Steps          []struct {
		StepNumber int    `json:"step_number"`
		Type       string `json:"type"`
		Action     string `json:"action"`
		UseVision  bool   `json:"use_vision"`
	} `json:"steps"`
}

type triggerRunDoc struct {
	ID                int64             `json:"id"`
	Status            string            `json:"status"`
	TestBlueprintID   int64             `json:"test_blueprint_id"`
	TestGroupRunID    int64             `json:"test_group_run_id"`
	BlueprintMetadata metadataDoc       `json:"blueprint_metadata"`
	Results           []json.RawMessage `json:"results"`
	IsLoginTestRun    bool              `json:"is_login_test_run"`
	TestVideoS3Key    *string           `json:"test_video_s3_key"`
	CreatedAt         string            `json:"created_at"`
	UpdatedAt         string            `json:"updated_at"`
}

type triggerDoc struct {
	Message      string `json:"message"`
	TestGroupRun struct {
		ID        int64           `json:"id"`
		CompanyID int64           `json:"company_id"`
		Name      string          `json:"name"`
		Status    string          `json:"status"`
		TestRuns  []triggerRunDoc `json:"test_runs"`
		CreatedAt string          `json:"created_at"`
		UpdatedAt string          `json:"updated_at"`
	} `json:"test_group_run"`
}

type stepDoc struct {
	StepNumber   int    `json:"step_number"`
	Task         string `json:"task"`
	IsSuccessful bool   `json:"is_successful"`
	Result       string `json:"result"`
	Duration     int    `json:"duration"`
	Actions      []struct {
		Description         string          `json:"description"`
		Type                string          `json:"type"`
		ScreenshotURL       string          `json:"screenshot_url"`
		ScreenshotURLBefore string          `json:"screenshot_url_before"`
		APIResponse         json.RawMessage `json:"api_response"`
	} `json:"actions"`
}

type attemptDoc struct {
	Results      []stepDoc `json:"results"`
	TestVideoURL string    `json:"test_video_url"`
}

type runDoc struct {
	ID                   int64        `json:"id"`
	Status               *string      `json:"status"`
	TestBlueprintID      int64        `json:"test_blueprint_id"`
	TestGroupRunID       int64        `json:"test_group_run_id"`
	BlueprintMetadata    metadataDoc  `json:"blueprint_metadata"`
	Results              []stepDoc    `json:"results"`
	TestVideoURL         *string      `json:"test_video_url"`
	TestVideoDownloadURL *string      `json:"test_video_download_url"`
	AdditionalAttempts   []attemptDoc `json:"additional_attempts"`
	CreatedAt            string       `json:"created_at"`
	UpdatedAt            string       `json:"updated_at"`
	IsLoginTestRun       bool         `json:"is_login_test_run"`
	TestVideoS3Key       *string      `json:"test_video_s3_key"`
}

// rawRun returns the raw JSON values of a GET /test_run answer by key, to
// tell null from absent from empty.
func rawRun(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var doc struct {
		TestRun map[string]json.RawMessage `json:"test_run"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return doc.TestRun
}

// trigger posts ids and decodes the 200 answer strictly.
func trigger(t *testing.T, ts *httptest.Server, ids ...int64) triggerDoc {
	t.Helper()
	r := call(t, ts.Client(), http.MethodPost, ts.URL+"/test_group_run/trigger_run", testKey, triggerBody(ids...))
	if r.status != http.StatusOK {
		t.Fatalf("trigger %v: status %d, body %s", ids, r.status, r.body)
	}
	var doc triggerDoc
	decodeStrict(t, r.body, &doc)
	return doc
}

// getRun fetches a run and decodes the 200 answer strictly, returning the raw
// body too.
func getRun(t *testing.T, ts *httptest.Server, id int64) (runDoc, []byte) {
	t.Helper()
	r := call(t, ts.Client(), http.MethodGet, ts.URL+"/test_run/"+itoa(id), testKey, "")
	if r.status != http.StatusOK {
		t.Fatalf("get run %d: status %d, body %s", id, r.status, r.body)
	}
	var doc struct {
		TestRun runDoc `json:"test_run"`
	}
	decodeStrict(t, r.body, &doc)
	return doc.TestRun, r.body
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
