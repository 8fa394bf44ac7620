package sim_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

// TestServeMedia: with ServeMedia, a finished run's links point at the
// simulator itself and answer with real PNG and WebM bytes, without a key;
// media requests are counted apart from API requests.
func TestServeMedia(t *testing.T) {
	t.Parallel()
	bps := []sim.Blueprint{{ID: 7, Outcome: "failed", FailStep: 2, StepActions: []string{"Open", "Click"}}}
	srv, ts := serve(t, sim.Options{Blueprints: bps, ServeMedia: true})
	doc := trigger(t, ts, 7)
	run, _ := getRun(t, ts, doc.TestGroupRun.TestRuns[0].ID)
	if len(run.Results) != 2 {
		t.Fatalf("%d results, want 2", len(run.Results))
	}
	act := run.Results[1].Actions[0]
	links := []struct {
		url, ctype string
		magic      []byte
	}{
		{act.ScreenshotURL, "image/png", []byte("\x89PNG\r\n\x1a\n")},
		{act.ScreenshotURLBefore, "image/png", []byte("\x89PNG\r\n\x1a\n")},
		{*run.TestVideoURL, "binary/octet-stream", []byte{0x1A, 0x45, 0xDF, 0xA3}},
		{*run.TestVideoDownloadURL, "binary/octet-stream", []byte{0x1A, 0x45, 0xDF, 0xA3}},
	}
	before := srv.Stats()
	var bodies [][]byte
	for _, l := range links {
		if !strings.HasPrefix(l.url, ts.URL+"/media/runs/") {
			t.Fatalf("link %q does not point at the simulator's media", l.url)
		}
		r := call(t, ts.Client(), http.MethodGet, l.url, "", "")
		if r.status != http.StatusOK || r.header.Get("Content-Type") != l.ctype || !bytes.HasPrefix(r.body, l.magic) {
			t.Errorf("%s: status %d, type %q, %d bytes", l.url, r.status, r.header.Get("Content-Type"), len(r.body))
		}
		bodies = append(bodies, r.body)
	}
	if bytes.Equal(bodies[0], bodies[1]) {
		t.Error("before and after screenshots are the same image")
	}
	if !bytes.Contains(bodies[2][:64], []byte("webm")) {
		t.Error("video is not a WebM")
	}
	for _, path := range []string{"/media/runs/999/attempt-1/video.webm", "/media/runs/38/attempt-1/../../x", "/media/other"} {
		if r := call(t, ts.Client(), http.MethodGet, ts.URL+path, "", ""); r.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, r.status)
		}
	}
	call(t, ts.Client(), http.MethodGet, links[0].url, testKey, "")
	after := srv.Stats()
	if after.Gets != before.Gets || after.MediaGets-before.MediaGets != 8 || after.MediaWithAPIKey != 1 {
		t.Errorf("stats %+v after %+v: want 8 media requests, 1 with a key, no API gets", after, before)
	}

	// Without ServeMedia the links stay on the reserved .invalid host.
	_, plain := serve(t, sim.Options{Blueprints: bps})
	doc = trigger(t, plain, 7)
	run, _ = getRun(t, plain, doc.TestGroupRun.TestRuns[0].ID)
	if !strings.HasPrefix(*run.TestVideoURL, sim.DefaultArtifactBaseURL) {
		t.Errorf("video %q without ServeMedia", *run.TestVideoURL)
	}
}
