// Package artifacts saves the evidence of failed test runs, their failing
// step's screenshots and their video, as CI artifacts, because the API's
// links are pre-signed storage URLs that expire: a week later the reports
// of a blocked merge would point at nothing.
//
// The URLs come from the API, which the gate does not trust, so the
// downloader is safe by construction:
//
//   - https only; plain http only to loopback hosts, and loopback of any
//     kind only while the API base URL is itself on loopback (tests, the
//     simulator);
//   - every redirect is checked like the first URL and may not change the
//     scheme, so there is no way to file:// or to a downgrade;
//   - private, link-local (cloud metadata at 169.254.169.254), multicast,
//     unspecified and other non-public addresses are refused on the address
//     actually dialled, after DNS and after every redirect (net.Dialer's
//     Control hook), never on the name. Through an HTTPS proxy the gate only
//     dials the proxy, so the target's name is resolved and all its
//     addresses checked before the request is handed to the proxy;
//   - a fresh client with its own transport and no cookie jar: the API key,
//     cookies and the gate's own headers never reach a media host, and no
//     request carries a Referer, which net/http would fill on a redirect
//     with the previous (pre-signed, so secret) URL;
//   - caps on bytes per file, files per run, total bytes and time per
//     download; a body over the cap is cut, deleted and recorded;
//   - a file is kept only if its first bytes are PNG, JPEG, GIF, WebP, WebM
//     or MP4, whatever Content-Type says, so HTML or text never lands in an
//     artifact;
//   - file names are made by the gate from the blueprint and run ids, never
//     taken from the URL, and every file operation goes through an os.Root
//     on the directory, so nothing is written outside it.
//
// Downloads start as soon as Add is called, on their own small pool of
// workers and their own HTTP client, so they never take a request slot from
// polling. Finish gives what is still running a bounded budget, abandons the
// rest, and writes DIR/index.json listing what was saved and what was not,
// and why. Nothing here ever changes the gate's verdict.
package artifacts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/docketqa-gate/docketqa-gate/internal/atomicfile"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// The modes: which runs get their evidence saved.
const (
	// ModeFailed saves evidence for runs that failed or have no verdict.
	ModeFailed = "failed"
	// ModeAll saves evidence for every run.
	ModeAll = "all"
)

// Defaults for the zero fields of Options.
const (
	DefaultPerFileMax         = 20 << 20
	DefaultTotalMax           = 200 << 20
	DefaultFilesPerRun        = 6
	DefaultPerDownloadTimeout = 60 * time.Second
	DefaultConcurrency        = 2
)

// IndexFile is the name of the listing written into the directory.
const IndexFile = "index.json"

// Outcomes of one planned file, as recorded in index.json.
const (
	Saved     = "saved"
	Refused   = "refused"   // the URL, a redirect or the dialled address is not allowed
	TooLarge  = "too-large" // over the per-file cap: cut, deleted
	NotMedia  = "not-media" // the content is not an image or video
	Failed    = "failed"    // HTTP error status, network trouble, per-download timeout
	Skipped   = "skipped"   // a cap on files per run or total bytes left no room
	Abandoned = "abandoned" // still queued or running when Finish's budget ran out
)

// Options configures a Downloader. Only Dir is required.
type Options struct {
	// Dir is the artifacts directory; it is created if missing.
	Dir string
	// WorkDir, when set, turns an absolute Dir inside it into paths relative
	// to it in the reports, since GitLab and Jenkins resolve attachment
	// paths against the working directory.
	WorkDir string
	// Mode is ModeFailed (default) or ModeAll.
	Mode string
	// BaseURL is the API's base URL. Media on loopback (and plain http to
	// loopback) is allowed only when it is on loopback too.
	BaseURL string
	// PerFileMax caps one file's bytes (default 20 MiB), TotalMax all files'
	// bytes together (default 200 MiB), FilesPerRun the files per run
	// (default 6).
	PerFileMax, TotalMax int64
	FilesPerRun          int
	// PerDownloadTimeout bounds one download, redirects included
	// (default 60 s).
	PerDownloadTimeout time.Duration
	// Concurrency is how many downloads run at once (default 2).
	Concurrency int
	// Proxy picks a proxy per request, like http.Transport.Proxy; nil means
	// http.ProxyFromEnvironment, as for the API client. Tests set it.
	Proxy func(*http.Request) (*url.URL, error)
	// Resolver looks up media host names (default net.DefaultResolver). The
	// addresses it returns are still checked when dialled, so a test can
	// point a name at any address and see the real check at work.
	Resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
	// RootCAs replaces the system roots; tests use it to trust an httptest
	// TLS server.
	RootCAs *x509.CertPool
	// After is the budget timer of Finish (default time.After); tests pass
	// a channel they control instead of waiting.
	After func(time.Duration) <-chan time.Time
	// Now timestamps index.json (default time.Now).
	Now func() time.Time
}

// Downloader saves the evidence of runs. Its methods are safe for
// concurrent use. Create one with New.
type Downloader struct {
	opt   Options
	root  *os.Root
	guard guard
	hc    *http.Client

	// ctx ends every download when Finish gives up on them.
	ctx    context.Context
	cancel context.CancelFunc

	total atomic.Int64 // bytes reserved by files being written or saved

	mu       sync.Mutex
	seen     map[runKey]bool
	entries  []Entry
	queue    []*job
	active   int
	finished bool
	wg       sync.WaitGroup // one per queued job
}

// runKey identifies a run across reruns of the same blueprint.
type runKey struct{ blueprint, run int64 }

// job is one planned file.
type job struct {
	ctx   context.Context
	stop  func()
	entry int // index into Downloader.entries
	url   string
	// base is the file name without its extension, which comes from the
	// content: "181-39-step3-after".
	base string
	// sub is the run's directory: "181-39".
	sub   string
	video bool
}

// Entry is one line of index.json: a file the gate planned to save.
type Entry struct {
	BlueprintID int64  `json:"blueprint_id"`
	RunID       int64  `json:"run_id"`
	Kind        string `json:"kind"`
	Step        int    `json:"step,omitempty"`
	// URL is the source without its query, where pre-signed URLs keep their
	// signature, and without credentials.
	URL     string `json:"url"`
	Outcome string `json:"outcome"`
	// Reason says why a file was not saved.
	Reason string `json:"reason,omitempty"`
	// Path is the saved file, as the reports name it.
	Path  string `json:"path,omitempty"`
	Bytes int64  `json:"bytes"`
	// Type is the media type found by sniffing the content.
	Type string `json:"type,omitempty"`
}

// New checks opts, creates the directory and returns a Downloader. An error
// means no evidence can be saved; the gate logs it and carries on.
func New(opts Options) (*Downloader, error) {
	if opts.Dir == "" {
		return nil, errors.New("artifacts: no directory given")
	}
	switch opts.Mode {
	case "":
		opts.Mode = ModeFailed
	case ModeFailed, ModeAll:
	default:
		return nil, fmt.Errorf("artifacts: unknown mode %q; use %s or %s", opts.Mode, ModeFailed, ModeAll)
	}
	if opts.PerFileMax <= 0 {
		opts.PerFileMax = DefaultPerFileMax
	}
	if opts.TotalMax <= 0 {
		opts.TotalMax = DefaultTotalMax
	}
	if opts.FilesPerRun <= 0 {
		opts.FilesPerRun = DefaultFilesPerRun
	}
	if opts.PerDownloadTimeout <= 0 {
		opts.PerDownloadTimeout = DefaultPerDownloadTimeout
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Proxy == nil {
		opts.Proxy = http.ProxyFromEnvironment
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if opts.After == nil {
		opts.After = time.After
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create artifacts directory: %w", err)
	}
	root, err := os.OpenRoot(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("open artifacts directory: %w", err)
	}
	d := &Downloader{
		opt:   opts,
		root:  root,
		guard: guard{loopback: apiOnLoopback(opts.BaseURL)},
		seen:  make(map[runKey]bool),
	}
	d.hc = d.newClient()
	d.ctx, d.cancel = context.WithCancel(context.Background())
	return d, nil
}

// apiOnLoopback reports whether the API base URL names a loopback host.
func apiOnLoopback(base string) bool {
	u, err := url.Parse(base)
	return err == nil && isLoopbackName(u.Hostname())
}

// newClient builds the media client: its own transport (no connection is
// shared with the API client), no cookie jar, checked redirects, and a
// dialler that checks every address it connects to.
func (d *Downloader) newClient() *http.Client {
	proxies := &proxySet{}
	guarded := &net.Dialer{Timeout: 30 * time.Second, Control: d.guard.control}
	plain := &net.Dialer{Timeout: 30 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if proxies.has(addr) {
			return plain.DialContext(ctx, network, addr)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		var addrs []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{ip}
		} else if addrs, err = d.opt.Resolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		var errs []error
		for _, ip := range addrs {
			c, err := guarded.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
		}
		if len(errs) == 0 {
			return nil, fmt.Errorf("resolve %s: no addresses", host)
		}
		return nil, errors.Join(errs...)
	}
	t := &http.Transport{
		Proxy:                 d.guard.proxied(d.opt.Proxy, d.opt.Resolver, proxies),
		DialContext:           dial,
		TLSClientConfig:       &tls.Config{RootCAs: d.opt.RootCAs, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		// A media host has no business asking for credentials; but cap
		// what a hostile one can make the gate hold in header memory.
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{Transport: noReferer{t}, CheckRedirect: d.guard.checkRedirect}
}

// noReferer sends every media request without a Referer header. net/http
// adds one on redirects, holding the previous URL with its query, which
// for a pre-signed link is its signature and credential: the redirect
// target would receive them. checkRedirect removes it already; this is the
// last line, so no request leaves with one whatever path it took.
type noReferer struct{ next http.RoundTripper }

func (n noReferer) RoundTrip(req *http.Request) (*http.Response, error) {
	if _, ok := req.Header["Referer"]; ok {
		// A RoundTripper must not change the caller's request.
		req = req.Clone(req.Context())
		req.Header.Del("Referer")
	}
	return n.next.RoundTrip(req)
}

// proxySet holds the proxies' host:port seen by the Proxy hook; dials to
// them skip the address check, since the operator configured them.
type proxySet struct {
	mu sync.Mutex
	m  map[string]bool
}

func (p *proxySet) add(hostport string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[string]bool)
	}
	p.m[hostport] = true
}

func (p *proxySet) has(hostport string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[hostport]
}

// Add plans and starts saving the evidence of r, if its verdict calls for
// it under the mode: for a failed run (or one without a verdict) the
// failing step's screenshots, after first, then before, and the video,
// the video before any second screenshot (see plan). A
// run without a failing step gets its last step's. It returns at once;
// downloads run on the Downloader's own workers. ctx ends this run's
// downloads when cancelled, so pass the gate's interrupt context, not the
// polling deadline. A run added twice, or after Finish, is ignored.
func (d *Downloader) Add(ctx context.Context, r result.Run) {
	if d.opt.Mode == ModeFailed && r.Verdict == result.Passed {
		return
	}
	key := runKey{r.BlueprintID, r.RunID}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.finished || d.seen[key] {
		return
	}
	d.seen[key] = true
	sub := fmt.Sprintf("%d-%d", r.BlueprintID, r.RunID)
	for i, p := range plan(r) {
		e := Entry{BlueprintID: r.BlueprintID, RunID: r.RunID, Kind: p.kind, Step: p.step, URL: redactRaw(p.url)}
		if i >= d.opt.FilesPerRun {
			e.Outcome, e.Reason = Skipped, fmt.Sprintf("more than %d files for one run", d.opt.FilesPerRun)
			d.entries = append(d.entries, e)
			continue
		}
		d.entries = append(d.entries, e)
		jctx, cancel := context.WithCancel(ctx)
		stopWatch := context.AfterFunc(d.ctx, cancel)
		d.queue = append(d.queue, &job{
			ctx:   jctx,
			stop:  func() { stopWatch(); cancel() },
			entry: len(d.entries) - 1,
			url:   p.url,
			base:  sub + "-" + p.name,
			sub:   sub,
			video: p.kind == result.Video,
		})
		d.wg.Add(1)
	}
	for d.active < d.opt.Concurrency && d.active < len(d.queue) {
		d.active++
		go d.work()
	}
}

// planned is one file Add intends to save.
type planned struct {
	kind string
	step int
	url  string
	name string // without extension
}

// plan lists r's evidence in the order the file budget is spent: first
// what explains the failure, the failing (else last) step's first
// screenshot after and first before, and the video; then the step's
// further screenshots, each after before its before. Add skips whatever
// is past FilesPerRun, so a step with a dozen screenshots can never crowd
// out the video. Duplicate and empty URLs are dropped.
func plan(r result.Run) []planned {
	var out []planned
	seen := make(map[string]bool)
	addOne := func(p planned) {
		if strings.TrimSpace(p.url) == "" || seen[p.url] {
			return
		}
		seen[p.url] = true
		out = append(out, p)
	}
	st := r.FailedStep()
	if st == nil && len(r.Steps) > 0 {
		st = &r.Steps[len(r.Steps)-1]
	}
	shots := func(i int) {
		suffix := ""
		if i > 0 {
			suffix = "-" + strconv.Itoa(i+1)
		}
		if i < len(st.Screenshots) {
			addOne(planned{result.ShotAfter, st.Number, st.Screenshots[i], fmt.Sprintf("step%d-after%s", st.Number, suffix)})
		}
		if i < len(st.ScreenshotsBefore) {
			addOne(planned{result.ShotBefore, st.Number, st.ScreenshotsBefore[i], fmt.Sprintf("step%d-before%s", st.Number, suffix)})
		}
	}
	if st != nil {
		shots(0)
	}
	addOne(planned{kind: result.Video, url: r.VideoURL, name: "video"})
	if st != nil {
		for i := 1; i < max(len(st.Screenshots), len(st.ScreenshotsBefore)); i++ {
			shots(i)
		}
	}
	return out
}

// work runs queued jobs until none are left.
func (d *Downloader) work() {
	for {
		d.mu.Lock()
		if len(d.queue) == 0 {
			d.active--
			d.mu.Unlock()
			return
		}
		j := d.queue[0]
		d.queue[0] = nil
		d.queue = d.queue[1:]
		d.mu.Unlock()

		e := d.fetch(j)
		j.stop()
		d.mu.Lock()
		base := d.entries[j.entry]
		base.Outcome, base.Reason, base.Path, base.Bytes, base.Type = e.Outcome, e.Reason, e.Path, e.Bytes, e.Type
		d.entries[j.entry] = base
		d.mu.Unlock()
		d.wg.Done()
	}
}

// fetch downloads one file and reports how it went in the outcome fields
// of an Entry.
func (d *Downloader) fetch(j *job) Entry {
	if err := j.ctx.Err(); err != nil {
		return d.stopped(j, err)
	}
	u, err := url.Parse(j.url)
	if err != nil {
		return Entry{Outcome: Refused, Reason: "the URL does not parse"}
	}
	if err := d.guard.checkURL(u); err != nil {
		return Entry{Outcome: Refused, Reason: reasonOf(err)}
	}
	if d.total.Load() >= d.opt.TotalMax {
		return Entry{Outcome: Skipped, Reason: "the total cap of " + size(d.opt.TotalMax) + " is reached"}
	}

	ctx, cancel := context.WithTimeout(j.ctx, d.opt.PerDownloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Entry{Outcome: Refused, Reason: "the URL does not make a request"}
	}
	req.Header.Set("Accept", "image/*, video/*")
	resp, err := d.hc.Do(req)
	if err != nil {
		return d.transportFailure(ctx, j, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return Entry{Outcome: Failed, Reason: "HTTP " + strconv.Itoa(resp.StatusCode)}
	}
	if resp.ContentLength > d.opt.PerFileMax {
		return Entry{Outcome: TooLarge, Reason: fmt.Sprintf("announced %s, over the cap of %s", size(resp.ContentLength), size(d.opt.PerFileMax))}
	}

	head := make([]byte, sniffLen)
	n, err := io.ReadFull(resp.Body, head)
	head = head[:n]
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return d.transportFailure(ctx, j, err)
	}
	f, ok := sniff(head)
	if !ok {
		return Entry{Outcome: NotMedia, Reason: "the content is not an image or video (Content-Type " + declared(resp.Header.Get("Content-Type")) + ")"}
	}
	if f.video != j.video {
		want := "an image"
		if j.video {
			want = "a video"
		}
		return Entry{Outcome: NotMedia, Reason: "expected " + want + ", got " + f.mime}
	}
	return d.save(ctx, j, f, head, resp.Body)
}

// save streams the rest of the body into the run's directory through
// atomicfile (a temporary file renamed into place only when complete, all
// inside the os.Root), enforcing the per-file and total caps as it goes.
func (d *Downloader) save(ctx context.Context, j *job, f format, head []byte, body io.Reader) Entry {
	if err := d.root.MkdirAll(j.sub, 0o755); err != nil {
		return Entry{Outcome: Failed, Reason: "cannot create the run's directory: " + reasonOf(err)}
	}
	final := path.Join(j.sub, j.base+"."+f.ext)
	var written int64
	// refused is the entry of a body the caps or the transport stopped;
	// returning errStopped makes atomicfile drop the temporary file.
	var refused *Entry
	err := atomicfile.WriteFuncIn(d.root, final, func(out io.Writer) error {
		stop := func(e Entry) error { refused = &e; return errStopped }
		src := io.MultiReader(strings.NewReader(string(head)), body)
		buf := make([]byte, 32<<10)
		for {
			n, rerr := src.Read(buf)
			if n > 0 {
				if written+int64(n) > d.opt.PerFileMax {
					return stop(Entry{Outcome: TooLarge, Reason: "cut at the cap of " + size(d.opt.PerFileMax) + "; nothing kept"})
				}
				if d.total.Add(int64(n)) > d.opt.TotalMax {
					d.total.Add(-int64(n))
					return stop(Entry{Outcome: Skipped, Reason: "the total cap of " + size(d.opt.TotalMax) + " is reached; nothing kept"})
				}
				written += int64(n)
				if _, err := out.Write(buf[:n]); err != nil {
					return err
				}
			}
			if rerr == io.EOF {
				return nil
			}
			if rerr != nil {
				return stop(d.transportFailure(ctx, j, rerr))
			}
		}
	})
	if err != nil {
		d.total.Add(-written)
		if refused != nil {
			return *refused
		}
		return Entry{Outcome: Failed, Reason: "cannot write the file: " + reasonOf(err)}
	}
	return Entry{Outcome: Saved, Path: d.reportPath(final), Bytes: written, Type: f.mime}
}

// errStopped ends a save whose entry says why.
var errStopped = errors.New("download stopped")

// transportFailure classifies an error from the client or a body read.
func (d *Downloader) transportFailure(ctx context.Context, j *job, err error) Entry {
	if errors.Is(err, errRefused) {
		return Entry{Outcome: Refused, Reason: reasonOf(err)}
	}
	if jerr := j.ctx.Err(); jerr != nil {
		return d.stopped(j, jerr)
	}
	if ctx.Err() != nil {
		return Entry{Outcome: Failed, Reason: "took longer than " + d.opt.PerDownloadTimeout.String()}
	}
	return Entry{Outcome: Failed, Reason: reasonOf(err)}
}

// stopped records a job whose context ended: Finish's budget, or the
// caller's context (an interrupt).
func (d *Downloader) stopped(j *job, err error) Entry {
	if d.ctx.Err() != nil {
		return Entry{Outcome: Abandoned, Reason: "still running when the download budget ran out"}
	}
	return Entry{Outcome: Abandoned, Reason: "stopped: " + reasonOf(err)}
}

// reportPath is a saved file's path as the reports give it: under Dir as
// configured, relative to WorkDir where possible, slash-separated.
func (d *Downloader) reportPath(rel string) string {
	p := filepath.Join(d.opt.Dir, filepath.FromSlash(rel))
	if d.opt.WorkDir != "" && filepath.IsAbs(p) {
		if r, err := filepath.Rel(d.opt.WorkDir, p); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			p = r
		}
	}
	return filepath.ToSlash(p)
}

// reasonOf is err's text in one line, without any URL's query: net/http
// errors quote the URL, which for a pre-signed link holds its signature.
func reasonOf(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	return truncate(msg, 300)
}

// declared renders a Content-Type header for a reason, short and printable.
func declared(ct string) string {
	if ct == "" {
		return "none"
	}
	return strconv.Quote(truncate(ct, 80))
}

func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// size formats a byte count in MiB or KiB.
func size(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

// Finish waits for the downloads still going, at most budget and never
// after ctx is done, then abandons the rest, writes DIR/index.json and
// returns the outcome. Call it once, after the verdict and before writing
// the reports; later Adds are ignored.
func (d *Downloader) Finish(ctx context.Context, budget time.Duration) Index {
	d.mu.Lock()
	d.finished = true
	d.mu.Unlock()

	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-d.opt.After(budget):
	case <-ctx.Done():
	}
	// Abandon what is left: queued jobs see the cancelled context at once,
	// running ones have their request or body read cut.
	d.cancel()
	<-done

	d.mu.Lock()
	idx := Index{
		Dir:     filepath.ToSlash(d.opt.Dir),
		Mode:    d.opt.Mode,
		Written: d.opt.Now().UTC().Format(time.RFC3339),
		Entries: append([]Entry{}, d.entries...),
	}
	d.mu.Unlock()
	idx.WriteErr = d.writeIndex(idx)
	_ = d.root.Close()
	return idx
}

// writeIndex writes index.json through atomicfile inside the os.Root, so
// an upload that races the gate never sees half of it, and a link named
// index.json is refused rather than written through.
func (d *Downloader) writeIndex(idx Index) error {
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", IndexFile, err)
	}
	return atomicfile.WriteIn(d.root, IndexFile, append(data, '\n'))
}

// Index is what Finish saved and what it did not, as written to
// DIR/index.json.
type Index struct {
	Dir     string  `json:"dir"`
	Mode    string  `json:"mode"`
	Written string  `json:"written"`
	Entries []Entry `json:"files"`
	// WriteErr is why index.json could not be written, if it could not.
	WriteErr error `json:"-"`
}

// Artifacts returns the files saved for one run, in report order: the
// failing step's screenshot first.
func (x Index) Artifacts(blueprintID, runID int64) []result.Artifact {
	var out []result.Artifact
	for _, e := range x.Entries {
		if e.Outcome == Saved && e.BlueprintID == blueprintID && e.RunID == runID {
			out = append(out, result.Artifact{Kind: e.Kind, Step: e.Step, Path: e.Path, URL: e.URL})
		}
	}
	return out
}

// Apply sets Artifacts on every run in runs that has saved files, matched
// by blueprint and run id.
func (x Index) Apply(runs []result.Run) {
	for i := range runs {
		if a := x.Artifacts(runs[i].BlueprintID, runs[i].RunID); len(a) > 0 {
			runs[i].Artifacts = a
		}
	}
}

// Problems returns the entries that were not saved.
func (x Index) Problems() []Entry {
	var out []Entry
	for _, e := range x.Entries {
		if e.Outcome != Saved {
			out = append(out, e)
		}
	}
	return out
}

// LogLine is the one log line about the evidence: how much was saved, and
// how much was not and why, pointing at index.json for the details. It is
// empty when nothing was planned.
func (x Index) LogLine() string {
	if len(x.Entries) == 0 && x.WriteErr == nil {
		return ""
	}
	var files, bytes int64
	runs := make(map[runKey]bool)
	notSaved := make(map[string]int)
	var order []string
	for _, e := range x.Entries {
		if e.Outcome == Saved {
			files++
			bytes += e.Bytes
			runs[runKey{e.BlueprintID, e.RunID}] = true
			continue
		}
		if notSaved[e.Outcome] == 0 {
			order = append(order, e.Outcome)
		}
		notSaved[e.Outcome]++
	}
	msg := fmt.Sprintf("evidence: saved %d file(s), %s, for %d run(s) in %s", files, size(bytes), len(runs), x.Dir)
	if len(order) > 0 {
		parts := make([]string, len(order))
		total := 0
		for i, o := range order {
			parts[i] = fmt.Sprintf("%d %s", notSaved[o], o)
			total += notSaved[o]
		}
		msg += fmt.Sprintf("; %d not saved (%s), see %s", total, strings.Join(parts, ", "), path.Join(x.Dir, IndexFile))
	}
	if x.WriteErr != nil {
		msg += "; " + reasonOf(x.WriteErr)
	}
	return msg
}
