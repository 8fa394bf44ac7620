package artifacts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/atomicfile"
	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/poll"
	"github.com/docketqa-gate/docketqa-gate/internal/report/junit"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/sim"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

const testKey = "test-key-never-on-media-hosts"

// Small but real media bodies, by magic bytes.
var (
	pngBody  = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 200)...)
	webmBody = append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84, 'w', 'e', 'b', 'm'}, make([]byte, 300)...)
)

// mediaHost is a hostile or friendly media server that records what
// reached it.
type mediaHost struct {
	*httptest.Server
	hits     atomic.Int64
	withKey  atomic.Int64 // requests carrying X-API-KEY, Cookie or Authorization
	inFlight atomic.Int64
	peak     atomic.Int64
	mu       sync.Mutex
	paths    []string
}

func newMediaHost(t *testing.T, h http.HandlerFunc) *mediaHost {
	t.Helper()
	m := &mediaHost{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.hits.Add(1)
		n := m.inFlight.Add(1)
		defer m.inFlight.Add(-1)
		for p := m.peak.Load(); n > p && !m.peak.CompareAndSwap(p, n); p = m.peak.Load() {
		}
		if r.Header.Get("X-API-KEY") != "" || r.Header.Get("Cookie") != "" || r.Header.Get("Authorization") != "" ||
			strings.Contains(strings.ToLower(r.UserAgent()), "docketqa") {
			m.withKey.Add(1)
		}
		m.mu.Lock()
		m.paths = append(m.paths, r.URL.RequestURI())
		m.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(m.Close)
	return m
}

// fakeResolver maps names to addresses, so a test can point a name at a
// private or metadata address and watch the dial-time check refuse it.
type fakeResolver map[string]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	a, ok := f[host]
	if !ok {
		return nil, fmt.Errorf("no such host %s", host)
	}
	return []netip.Addr{netip.MustParseAddr(a)}, nil
}

// instant is an After whose timer has already fired.
func instant(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	c <- time.Time{}
	return c
}

// never is an After that never fires: Finish waits for every download.
func never(time.Duration) <-chan time.Time { return nil }

func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

func newDownloader(t *testing.T, opt Options) (*Downloader, string) {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = filepath.Join(t.TempDir(), "artifacts")
	}
	if opt.BaseURL == "" {
		opt.BaseURL = "http://127.0.0.1:1"
	}
	if opt.Proxy == nil {
		opt.Proxy = noProxy
	}
	if opt.After == nil {
		opt.After = never
	}
	if opt.Now == nil {
		opt.Now = func() time.Time { return time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) }
	}
	d, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return d, opt.Dir
}

// failedRun is a run that failed at step 3 with the given media URLs.
func failedRun(bp, id int64, after, before, video string) result.Run {
	st := result.Step{Number: 3, Task: "Click 'Place order'", Result: "Card declined"}
	if after != "" {
		st.Screenshots = []string{after}
	}
	if before != "" {
		st.ScreenshotsBefore = []string{before}
	}
	return result.Run{
		BlueprintID: bp, RunID: id, Title: "Checkout", Status: "failed", Verdict: result.Failed,
		Steps:    []result.Step{{Number: 1, OK: true, Screenshots: []string{"http://127.0.0.1:1/never-fetched.png"}}, {Number: 2, OK: true}, st},
		VideoURL: video,
	}
}

// listFiles returns every file under dir, slash-separated and relative.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestSimulatorEvidence(t *testing.T) {
	t.Parallel()
	bps, err := sim.Demo("fail")
	if err != nil {
		t.Fatal(err)
	}
	for i := range bps {
		bps[i].Duration = 0
	}
	srv := sim.New(sim.Options{APIKey: testKey, Blueprints: bps, ServeMedia: true})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	ctx := context.Background()
	client, err := docketqa.New(ts.URL, testKey)
	if err != nil {
		t.Fatal(err)
	}
	g, err := client.Trigger(ctx, []int64{180, 181})
	if err != nil {
		t.Fatal(err)
	}
	d, dir := newDownloader(t, Options{BaseURL: ts.URL})
	var runs []result.Run
	for _, tr := range g.Runs {
		tr := tr
		got, err := client.GetRun(ctx, tr.ID)
		if err != nil {
			t.Fatal(err)
		}
		r := poll.Convert(poll.Target{RunID: tr.ID, BlueprintID: tr.BlueprintID}, got)
		runs = append(runs, r)
		d.Add(ctx, r)
	}
	idx := d.Finish(ctx, time.Minute)
	idx.Apply(runs)

	var failed result.Run
	for _, r := range runs {
		if r.Verdict == result.Failed {
			failed = r
		} else if len(r.Artifacts) != 0 {
			t.Errorf("passed run %d got artifacts %v under mode failed", r.BlueprintID, r.Artifacts)
		}
	}
	sub := fmt.Sprintf("%d-%d", failed.BlueprintID, failed.RunID)
	wantPaths := []string{
		sub + "/" + sub + "-step3-after.png",
		sub + "/" + sub + "-step3-before.png",
		sub + "/" + sub + "-video.webm",
	}
	var gotPaths, kinds []string
	for _, a := range failed.Artifacts {
		gotPaths = append(gotPaths, strings.TrimPrefix(a.Path, filepath.ToSlash(dir)+"/"))
		kinds = append(kinds, a.Kind)
	}
	if !slices.Equal(gotPaths, wantPaths) {
		t.Errorf("artifacts %q, want %q (failing step's after shot first)", gotPaths, wantPaths)
	}
	if want := []string{result.ShotAfter, result.ShotBefore, result.Video}; !slices.Equal(kinds, want) {
		t.Errorf("kinds %q, want %q", kinds, want)
	}
	if got, want := listFiles(t, dir), append(slices.Clone(wantPaths), IndexFile); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("files on disk %q, want %q", got, want)
	}
	video, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(wantPaths[2])))
	if err != nil || len(video) < 500 || !strings.Contains(string(video[:40]), "webm") {
		t.Errorf("video: %d bytes, err %v; want the simulator's WebM", len(video), err)
	}
	if st := srv.Stats(); st.MediaGets != 3 || st.MediaWithAPIKey != 0 {
		t.Errorf("media requests %d (with key %d), want 3 without the key", st.MediaGets, st.MediaWithAPIKey)
	}
	if idx.WriteErr != nil || len(idx.Problems()) != 0 {
		t.Errorf("index write error %v, problems %+v", idx.WriteErr, idx.Problems())
	}
	if got, want := idx.LogLine(), "evidence: saved 3 file(s), 1.5 KiB, for 1 run(s) in "+filepath.ToSlash(dir); got != want {
		t.Errorf("log line %q, want %q", got, want)
	}

	// The JUnit report written after Finish points at the files, failing
	// step's screenshot first, and still validates.
	var buf bytes.Buffer
	if err := junit.Write(&buf, result.Set{GroupRunID: g.ID, Runs: runs}); err != nil {
		t.Fatal(err)
	}
	testutil.ValidateJUnit(t, buf.Bytes())
	var attached []string
	for _, line := range strings.Split(buf.String(), "\n") {
		if p, ok := strings.CutPrefix(line, "[[ATTACHMENT|"); ok {
			attached = append(attached, strings.TrimSuffix(p, "]]"))
		}
	}
	if len(attached) != 3 || !strings.HasSuffix(attached[0], "-step3-after.png") {
		t.Fatalf("attachment lines %q, want 3, the failing step's after shot first", attached)
	}
	for _, p := range attached {
		if _, err := os.Stat(filepath.FromSlash(p)); err != nil {
			t.Errorf("attachment %q: %v", p, err)
		}
	}
}

// TestHostileMediaHosts serves one hostile trick per case and asserts
// what is fetched, what is written, and what is recorded.
func TestHostileMediaHosts(t *testing.T) {
	t.Parallel()
	other := newMediaHost(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(pngBody) })
	_, otherPort, _ := net.SplitHostPort(other.Listener.Addr().String())
	evil := newMediaHost(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok.png":
			w.Header().Set("Content-Type", "binary/octet-stream")
			_, _ = w.Write(pngBody)
		case "/to-other-host.png":
			http.Redirect(w, r, "http://cdn.localhost:"+otherPort+"/from-redirect.png", http.StatusFound)
		case "/to-file.png":
			w.Header().Set("Location", "file:///etc/passwd")
			w.WriteHeader(http.StatusFound)
		case "/to-private.png":
			http.Redirect(w, r, "http://private.localhost:"+otherPort+"/secret.png", http.StatusFound)
		case "/to-metadata.png":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/to-https.png":
			http.Redirect(w, r, "https://cdn.localhost:"+otherPort+"/x.png", http.StatusFound)
		case "/huge.webm":
			// 1 GB of "video", streamed without a length: the cap must cut it.
			_, _ = w.Write(webmBody)
			chunk := make([]byte, 1<<20)
			for range 1024 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "/huge-announced.webm":
			w.Header().Set("Content-Length", "1073741824")
			_, _ = w.Write(webmBody)
		case "/html-as-png.png":
			w.Header().Set("Content-Type", "image/png")
			_, _ = io.WriteString(w, "<!doctype html><html><body>login</body></html>")
		case "/text.png":
			w.Header().Set("Content-Type", "image/png")
			_, _ = io.WriteString(w, "plain text pretending to be an image, long enough to sniff it properly")
		case "/video-as-shot.png":
			_, _ = w.Write(webmBody)
		case "/forbidden.png":
			http.Error(w, "AccessDenied", http.StatusForbidden)
		default:
			// Path traversal and anything else: answer with a real PNG, so
			// only the gate's own naming keeps it inside the directory.
			_, _ = w.Write(pngBody)
		}
	})
	base := evil.URL
	_, evilPort, _ := net.SplitHostPort(evil.Listener.Addr().String())
	res := fakeResolver{"cdn.localhost": "127.0.0.1", "private.localhost": "10.0.0.7", "metadata.test": "169.254.169.254", "evil.localhost": "127.0.0.1"}

	cases := []struct {
		name, url string
		video     bool
		outcome   string
		reason    string // a substring of the recorded reason
	}{
		{"content type ignored, PNG kept", base + "/ok.png", false, Saved, ""},
		{"redirect to another host", base + "/to-other-host.png", false, Saved, ""},
		{"redirect to file", base + "/to-file.png", false, Refused, "redirect from http to file"},
		{"redirect to a private address", base + "/to-private.png", false, Refused, "private address 10.0.0.7"},
		{"redirect to cloud metadata", base + "/to-metadata.png", false, Refused, "plain http"},
		{"redirect changes scheme", base + "/to-https.png", false, Refused, "redirect from http to https"},
		{"name resolving to metadata", "http://metadata.test:" + evilPort + "/x.png", false, Refused, "plain http"},
		{"https name resolving to metadata", "https://metadata.test:" + evilPort + "/x.png", false, Refused, "link-local address 169.254.169.254"},
		{"metadata literal", "https://169.254.169.254/latest/meta-data/", false, Refused, "link-local address 169.254.169.254"},
		{"private literal", "https://192.168.1.1/x.png", false, Refused, "private address"},
		{"unspecified literal", "https://0.0.0.0/x.png", false, Refused, "unspecified address"},
		{"multicast literal", "https://[ff02::1]/x.png", false, Refused, "multicast"},
		{"file scheme", "file:///etc/passwd", false, Refused, `scheme "file"`},
		{"credentials in URL", "http://user:pass@127.0.0.1:" + evilPort + "/ok.png", false, Refused, "credentials"},
		{"1 GB body", base + "/huge.webm", true, TooLarge, "cut at the cap"},
		{"1 GB announced", base + "/huge-announced.webm", true, TooLarge, "announced 1024 MiB"},
		{"HTML labelled image/png", base + "/html-as-png.png", false, NotMedia, `Content-Type "image/png"`},
		{"text labelled image/png", base + "/text.png", false, NotMedia, "not an image or video"},
		{"video where a screenshot belongs", base + "/video-as-shot.png", false, NotMedia, "expected an image"},
		{"HTTP error", base + "/forbidden.png", false, Failed, "HTTP 403"},
		{"path traversal in the URL", base + "/..%2f..%2f..%2fescaped.png", false, Saved, ""},
		{"dot segments in the URL", "http://evil.localhost:" + evilPort + "/a/../../../../escaped.png?name=../../x.png", false, Saved, ""},
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "artifacts")
	d, _ := newDownloader(t, Options{Dir: dir, Resolver: res, PerFileMax: 1 << 20, FilesPerRun: 1})
	for i, c := range cases {
		r := result.Run{BlueprintID: 900, RunID: int64(i + 1), Verdict: result.Failed,
			Steps: []result.Step{{Number: 1}}}
		if c.video {
			r.VideoURL = c.url
		} else {
			r.Steps[0].Screenshots = []string{c.url}
		}
		d.Add(context.Background(), r)
	}
	idx := d.Finish(context.Background(), time.Minute)
	if len(idx.Entries) != len(cases) {
		t.Fatalf("%d entries, want %d: %+v", len(idx.Entries), len(cases), idx.Entries)
	}
	for i, c := range cases {
		e := idx.Entries[i]
		if e.Outcome != c.outcome || !strings.Contains(e.Reason, c.reason) {
			t.Errorf("%s: outcome %q reason %q, want %q containing %q", c.name, e.Outcome, e.Reason, c.outcome, c.reason)
		}
		if e.Outcome == Saved {
			want := filepath.ToSlash(filepath.Join(dir, fmt.Sprintf("900-%d/900-%d-step1-after.png", i+1, i+1)))
			if e.Path != want {
				t.Errorf("%s: saved as %q, want the gate's own name %q", c.name, e.Path, want)
			}
		}
		if strings.Contains(e.URL, "?") || strings.Contains(e.URL, "pass@") {
			t.Errorf("%s: index URL %q keeps a query or credentials", c.name, e.URL)
		}
	}
	// Nothing outside the directory, and nothing but saved files inside it.
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("the directory's parent holds %d entries, want only the directory", len(entries))
	}
	for _, f := range listFiles(t, dir) {
		if f != IndexFile && !strings.HasSuffix(f, "-step1-after.png") {
			t.Errorf("unexpected file %q (a cut or refused download left behind?)", f)
		}
	}
	if n := evil.withKey.Load() + other.withKey.Load(); n != 0 {
		t.Errorf("%d media requests carried the key, a cookie or the gate's headers", n)
	}
	for _, p := range other.paths {
		if p != "/from-redirect.png" {
			t.Errorf("the other host was asked for %q; only the allowed redirect may reach it", p)
		}
	}
	// The index on disk is the returned one.
	raw, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk Index
	if err := json.Unmarshal(raw, &onDisk); err != nil || len(onDisk.Entries) != len(cases) {
		t.Errorf("index.json: %v, %d entries", err, len(onDisk.Entries))
	}
	if line := idx.LogLine(); !strings.Contains(line, "not saved") || strings.Count(line, "\n") != 0 {
		t.Errorf("log line %q, want one line mentioning what was not saved", line)
	}
}

// TestLoopbackOnlyWithLoopbackAPI: with a real API base URL, a media URL
// on loopback, by literal or by a name resolving there, never reaches it.
func TestLoopbackOnlyWithLoopbackAPI(t *testing.T) {
	t.Parallel()
	m := newMediaHost(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(pngBody) })
	_, port, _ := net.SplitHostPort(m.Listener.Addr().String())
	d, _ := newDownloader(t, Options{BaseURL: "https://api.docketqa.com", Resolver: fakeResolver{"sneaky.example": "127.0.0.1"}})
	urls := []string{m.URL + "/a.png", "https://127.0.0.1:" + port + "/b.png", "https://sneaky.example:" + port + "/c.png", "https://localhost:" + port + "/d.png"}
	for i, u := range urls {
		d.Add(context.Background(), failedRun(1, int64(i+1), u, "", ""))
	}
	idx := d.Finish(context.Background(), time.Minute)
	for _, e := range idx.Entries {
		if e.Outcome != Refused {
			t.Errorf("%s: outcome %q, want refused", e.URL, e.Outcome)
		}
	}
	if !strings.Contains(idx.Entries[2].Reason, "loopback address 127.0.0.1") {
		t.Errorf("name resolving to loopback: reason %q, want the dialled address named", idx.Entries[2].Reason)
	}
	if n := m.hits.Load(); n != 0 {
		t.Errorf("the loopback host got %d requests, want 0", n)
	}
}

// TestHTTPSProxy: through a proxy the target's addresses are checked
// before the request is handed to the proxy.
func TestHTTPSProxy(t *testing.T) {
	t.Parallel()
	var proxied atomic.Int64
	var keyAtProxy atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		if r.Header.Get("X-API-KEY") != "" {
			keyAtProxy.Add(1)
		}
		_, _ = w.Write(pngBody) // a forward proxy relaying the target's PNG
	}))
	t.Cleanup(proxy.Close)
	pu, _ := url.Parse(proxy.URL)
	d, _ := newDownloader(t, Options{
		Proxy:    func(*http.Request) (*url.URL, error) { return pu, nil },
		Resolver: fakeResolver{"private.localhost": "10.1.2.3", "media.localhost": "127.0.0.1", "meta.localhost": "169.254.169.254"},
	})
	d.Add(context.Background(), failedRun(1, 1, "http://private.localhost/x.png", "", ""))
	d.Add(context.Background(), failedRun(1, 2, "http://meta.localhost/x.png", "", ""))
	d.Add(context.Background(), failedRun(1, 3, "http://media.localhost/x.png", "", ""))
	idx := d.Finish(context.Background(), time.Minute)
	got := []string{idx.Entries[0].Outcome, idx.Entries[1].Outcome, idx.Entries[2].Outcome}
	if want := []string{Refused, Refused, Saved}; !slices.Equal(got, want) {
		t.Errorf("outcomes %q, want %q; entries %+v", got, want, idx.Entries)
	}
	if n := proxied.Load(); n != 1 {
		t.Errorf("the proxy got %d requests, want 1 (refused targets never reach it)", n)
	}
	if keyAtProxy.Load() != 0 {
		t.Error("the proxy saw the API key")
	}
}

// TestHTTPSOnly: with a TLS media host, https works and a redirect down to
// http is refused.
func TestHTTPSOnly(t *testing.T) {
	t.Parallel()
	var plainHits atomic.Int64
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { plainHits.Add(1); _, _ = w.Write(pngBody) }))
	t.Cleanup(plain.Close)
	tlsHost := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down.png" {
			http.Redirect(w, r, plain.URL+"/x.png", http.StatusFound)
			return
		}
		_, _ = w.Write(pngBody)
	}))
	t.Cleanup(tlsHost.Close)
	pool := tlsHost.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	d, _ := newDownloader(t, Options{RootCAs: pool})
	d.Add(context.Background(), failedRun(1, 1, tlsHost.URL+"/ok.png", tlsHost.URL+"/down.png", ""))
	idx := d.Finish(context.Background(), time.Minute)
	if idx.Entries[0].Outcome != Saved || idx.Entries[1].Outcome != Refused {
		t.Errorf("entries %+v, want the https shot saved and the downgrade refused", idx.Entries)
	}
	if plainHits.Load() != 0 {
		t.Error("the downgrade redirect was followed")
	}
}

func TestCapsAndModes(t *testing.T) {
	t.Parallel()
	m := newMediaHost(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".webm") {
			_, _ = w.Write(webmBody)
			return
		}
		_, _ = w.Write(pngBody)
	})
	shot := func(name string) string { return m.URL + "/" + name }
	t.Run("files per run", func(t *testing.T) {
		t.Parallel()
		d, _ := newDownloader(t, Options{FilesPerRun: 2})
		d.Add(context.Background(), failedRun(5, 50, shot("a.png"), shot("b.png"), shot("v.webm")))
		idx := d.Finish(context.Background(), time.Minute)
		got := []string{idx.Entries[0].Outcome, idx.Entries[1].Outcome, idx.Entries[2].Outcome}
		if want := []string{Saved, Saved, Skipped}; !slices.Equal(got, want) {
			t.Errorf("outcomes %q, want %q", got, want)
		}
	})
	t.Run("total bytes", func(t *testing.T) {
		t.Parallel()
		// Room for one PNG (208 bytes) and not two; one worker keeps the order.
		d, dir := newDownloader(t, Options{TotalMax: 300, Concurrency: 1})
		d.Add(context.Background(), failedRun(5, 51, shot("a.png"), shot("b.png"), ""))
		idx := d.Finish(context.Background(), time.Minute)
		if idx.Entries[0].Outcome != Saved || idx.Entries[1].Outcome != Skipped || !strings.Contains(idx.Entries[1].Reason, "total cap") {
			t.Errorf("entries %+v, want the second file skipped by the total cap", idx.Entries)
		}
		if files := listFiles(t, dir); len(files) != 2 {
			t.Errorf("files %q, want one screenshot and the index", files)
		}
	})
	t.Run("modes", func(t *testing.T) {
		t.Parallel()
		passed := result.Run{BlueprintID: 7, RunID: 70, Verdict: result.Passed,
			Steps: []result.Step{{Number: 1, OK: true}, {Number: 2, OK: true, Screenshots: []string{shot("last.png")}}}}
		noVerdict := result.Run{BlueprintID: 8, RunID: 80, Verdict: result.Error, VideoURL: shot("v.webm")}
		for _, c := range []struct {
			mode string
			want []string
		}{
			{ModeFailed, []string{"8-80-video.webm"}},
			{ModeAll, []string{"7-70-step2-after.png", "8-80-video.webm"}},
		} {
			d, _ := newDownloader(t, Options{Mode: c.mode})
			d.Add(context.Background(), passed)
			d.Add(context.Background(), noVerdict)
			d.Add(context.Background(), noVerdict) // twice: ignored
			idx := d.Finish(context.Background(), time.Minute)
			var got []string
			for _, e := range idx.Entries {
				got = append(got, filepath.Base(e.Path))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("mode %s: saved %q, want %q", c.mode, got, c.want)
			}
		}
	})
	t.Run("concurrency", func(t *testing.T) {
		t.Parallel()
		limited := newMediaHost(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(pngBody) })
		d, _ := newDownloader(t, Options{Concurrency: 2})
		for i := range 10 {
			d.Add(context.Background(), failedRun(9, int64(i+1), limited.URL+"/a.png", limited.URL+"/b.png", ""))
		}
		idx := d.Finish(context.Background(), time.Minute)
		if len(idx.Problems()) != 0 || limited.hits.Load() != 20 {
			t.Errorf("problems %+v, hits %d; want 20 saved", idx.Problems(), limited.hits.Load())
		}
		if p := limited.peak.Load(); p > 2 {
			t.Errorf("peak %d downloads in flight, want at most 2", p)
		}
	})
}

// TestFinishBudget: a media host that never answers does not hold the
// gate: Finish abandons its downloads when the budget or ctx ends, records
// them, and still writes the index.
func TestFinishBudget(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 4)
	hang := newMediaHost(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	})
	for _, c := range []struct {
		name   string
		after  func(time.Duration) <-chan time.Time
		ctx    func() context.Context
		reason string
	}{
		{"budget", instant, context.Background, "download budget ran out"},
		{"deadline", never, func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, "download budget ran out"},
	} {
		d, dir := newDownloader(t, Options{After: c.after, Concurrency: 1})
		run := failedRun(3, 30, hang.URL+"/a.png", hang.URL+"/b.png", "")
		d.Add(context.Background(), run)
		<-arrived // the first download is running, the second queued
		idx := d.Finish(c.ctx(), time.Minute)
		for _, e := range idx.Entries {
			if e.Outcome != Abandoned || !strings.Contains(e.Reason, c.reason) {
				t.Errorf("%s: entry %+v, want abandoned", c.name, e)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, IndexFile)); err != nil {
			t.Errorf("%s: no index: %v", c.name, err)
		}
		run.Verdict = result.Failed
		runs := []result.Run{run}
		idx.Apply(runs)
		if runs[0].Verdict != result.Failed || len(runs[0].Artifacts) != 0 {
			t.Errorf("%s: Apply changed the run: %+v", c.name, runs[0])
		}
		// Add after Finish is ignored rather than starting new work.
		d.Add(context.Background(), failedRun(3, 31, hang.URL+"/c.png", "", ""))
	}
}

func TestSniff(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		head []byte
		ext  string
	}{
		{"png", pngBody, "png"},
		{"jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}, "jpg"},
		{"gif", []byte("GIF89a\x01\x00"), "gif"},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "webp"},
		{"webm", webmBody, "webm"},
		{"mp4", []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"), "mp4"},
		{"matroska is not webm", []byte{0x1A, 0x45, 0xDF, 0xA3, 0x42, 0x82, 0x88, 'm', 'a', 't', 'r', 'o', 's', 'k', 'a'}, ""},
		{"html", []byte("<!DOCTYPE html><html>"), ""},
		{"svg", []byte("<svg xmlns='http://www.w3.org/2000/svg'>"), ""},
		{"json", []byte(`{"error":"expired"}`), ""},
		{"empty", nil, ""},
		{"riff but wav", []byte("RIFF\x24\x00\x00\x00WAVEfmt "), ""},
	}
	for _, c := range cases {
		f, ok := sniff(c.head)
		if ok != (c.ext != "") || f.ext != c.ext {
			t.Errorf("%s: sniffed %q (%v), want %q", c.name, f.ext, ok, c.ext)
		}
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	t.Parallel()
	if _, err := New(Options{}); err == nil {
		t.Error("no directory accepted")
	}
	if _, err := New(Options{Dir: t.TempDir(), Mode: "some"}); err == nil {
		t.Error("unknown mode accepted")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Dir: file}); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file as the directory: %v", err)
	}
}

func TestReportPathRelativeToWorkDir(t *testing.T) {
	t.Parallel()
	wd := t.TempDir()
	d, _ := newDownloader(t, Options{Dir: filepath.Join(wd, "out", "evidence"), WorkDir: wd})
	if got, want := d.reportPath("1-2/1-2-video.webm"), "out/evidence/1-2/1-2-video.webm"; got != want {
		t.Errorf("path %q, want %q", got, want)
	}
	d.Finish(context.Background(), 0)
}

// TestPlantedLinks: links planted in the artifacts directory under the
// names the gate will use (a checkout can hold anything) are never written
// through. index.json as a link, a run's directory linked out of the
// directory, and a screenshot's name as a link are all refused, and the
// files they point at keep their content.
func TestPlantedLinks(t *testing.T) {
	t.Parallel()
	m := newMediaHost(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(pngBody) })
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "artifacts")
	if err := os.MkdirAll(filepath.Join(dir, "5-53"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		IndexFile:                   secret,
		"5-52":                      outside,
		"5-53/5-53-step3-after.png": secret,
	} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	d, _ := newDownloader(t, Options{Dir: dir})
	d.Add(context.Background(), failedRun(5, 52, m.URL+"/a.png", "", ""))
	d.Add(context.Background(), failedRun(5, 53, m.URL+"/b.png", "", ""))
	idx := d.Finish(context.Background(), time.Minute)
	if !errors.Is(idx.WriteErr, atomicfile.ErrSymlink) {
		t.Errorf("index.json as a link: error %v, want ErrSymlink", idx.WriteErr)
	}
	if len(idx.Entries) != 2 {
		t.Fatalf("entries %+v, want two", idx.Entries)
	}
	for _, e := range idx.Entries {
		if e.Outcome != Failed {
			t.Errorf("run %d: outcome %q (%s), want failed", e.RunID, e.Outcome, e.Reason)
		}
	}
	if got, _ := os.ReadFile(secret); string(got) != "keep" {
		t.Errorf("the link target changed to %q", got)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Errorf("files written outside the artifacts directory: %v", entries)
	}
}

func TestNoRefererOnRedirect(t *testing.T) {
	t.Parallel()
	const signature = "X-Amz-Signature=c2VjcmV0LXNpZ25hdHVyZQ&X-Amz-Credential=AKIASECRETCREDENTIAL"
	var mu sync.Mutex
	var seen []http.Header
	record := func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Header.Clone())
	}
	target := newMediaHost(t, func(w http.ResponseWriter, r *http.Request) {
		record(r)
		if strings.HasSuffix(r.URL.Path, ".webm") {
			_, _ = w.Write(webmBody)
			return
		}
		_, _ = w.Write(pngBody)
	})
	hop := newMediaHost(t, func(w http.ResponseWriter, r *http.Request) {
		record(r)
		// A second hop on another host: its own query must not travel on either.
		http.Redirect(w, r, target.URL+"/final"+r.URL.Path+"?hop=2", http.StatusTemporaryRedirect)
	})
	origin := newMediaHost(t, func(w http.ResponseWriter, r *http.Request) {
		record(r)
		code := http.StatusFound
		if strings.Contains(r.URL.Path, "moved") {
			code = http.StatusMovedPermanently
		}
		if strings.Contains(r.URL.Path, "two-hops") {
			http.Redirect(w, r, hop.URL+r.URL.Path, code)
			return
		}
		http.Redirect(w, r, target.URL+r.URL.Path, code)
	})
	d, _ := newDownloader(t, Options{})
	run := failedRun(5, 50, origin.URL+"/found.png?"+signature, origin.URL+"/moved.png?"+signature, origin.URL+"/two-hops.webm?"+signature)
	d.Add(context.Background(), run)
	idx := d.Finish(context.Background(), time.Minute)
	if p := idx.Problems(); len(p) != 0 {
		t.Fatalf("not saved: %+v", p)
	}
	if n := target.hits.Load(); n != 3 {
		t.Fatalf("the redirect target saw %d requests, want 3", n)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, h := range seen {
		if ref, ok := h["Referer"]; ok {
			t.Errorf("a media request carried Referer %q", ref)
		}
		for name, vs := range h {
			for _, v := range vs {
				if strings.Contains(v, "X-Amz") || strings.Contains(v, "SECRET") || strings.Contains(v, "hop=2") || strings.Contains(v, origin.URL) {
					t.Errorf("header %s carries the original URL: %q", name, v)
				}
			}
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNoRefererTransport(t *testing.T) {
	t.Parallel()
	var got http.Header
	rt := noReferer{roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = r.Header
		return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody}, nil
	})}
	req := httptest.NewRequest(http.MethodGet, "https://cdn.example/a.png", nil)
	req.Header.Set("Referer", "https://cdn.example/b.png?X-Amz-Signature=s")
	req.Header.Set("Accept", "image/*")
	if _, err := rt.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["Referer"]; ok || got.Get("Accept") != "image/*" {
		t.Errorf("sent headers %v, want Accept without Referer", got)
	}
	if req.Header.Get("Referer") == "" {
		t.Error("the caller's request was changed")
	}
}

func TestEvidencePriority(t *testing.T) {
	t.Parallel()
	m := newMediaHost(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".webm") {
			_, _ = w.Write(webmBody)
			return
		}
		_, _ = w.Write(pngBody)
	})
	for _, before := range []int{0, 12} {
		t.Run(fmt.Sprintf("12 after, %d before", before), func(t *testing.T) {
			t.Parallel()
			run := failedRun(5, 50, "", "", m.URL+"/v.webm")
			st := &run.Steps[2]
			for i := range 12 {
				st.Screenshots = append(st.Screenshots, fmt.Sprintf("%s/after-%d.png", m.URL, i))
			}
			for i := range before {
				st.ScreenshotsBefore = append(st.ScreenshotsBefore, fmt.Sprintf("%s/before-%d.png", m.URL, i))
			}
			d, _ := newDownloader(t, Options{})
			d.Add(context.Background(), run)
			idx := d.Finish(context.Background(), time.Minute)
			var saved []string
			skipped := 0
			for _, e := range idx.Entries {
				switch e.Outcome {
				case Saved:
					saved = append(saved, path.Base(e.Path))
				case Skipped:
					skipped++
				default:
					t.Errorf("entry %+v", e)
				}
			}
			want := []string{"5-50-step3-after.png", "5-50-step3-before.png", "5-50-video.webm", "5-50-step3-after-2.png", "5-50-step3-before-2.png", "5-50-step3-after-3.png"}
			if before == 0 {
				want = []string{"5-50-step3-after.png", "5-50-video.webm", "5-50-step3-after-2.png", "5-50-step3-after-3.png", "5-50-step3-after-4.png", "5-50-step3-after-5.png"}
			}
			if !slices.Equal(saved, want) {
				t.Errorf("saved %q, want %q", saved, want)
			}
			if total := 12 + before + 1; skipped != total-DefaultFilesPerRun {
				t.Errorf("%d skipped, want %d", skipped, total-DefaultFilesPerRun)
			}
			if a := idx.Artifacts(5, 50); len(a) == 0 || a[0].Kind != result.ShotAfter {
				t.Errorf("the report's first file is not the failing step's screenshot: %+v", a)
			}
		})
	}
}
