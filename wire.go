package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/artifacts"
	"github.com/docketqa-gate/docketqa-gate/internal/ci"
	"github.com/docketqa-gate/docketqa-gate/internal/config"
	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/gate"
	"github.com/docketqa-gate/docketqa-gate/internal/history"
	"github.com/docketqa-gate/docketqa-gate/internal/manifest"
	"github.com/docketqa-gate/docketqa-gate/internal/poll"
	"github.com/docketqa-gate/docketqa-gate/internal/report/publish"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/sim"
	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
	"github.com/docketqa-gate/docketqa-gate/internal/version"
)

// newSink returns the platform's sink and registers the key with it first,
// so not even a warning can print the key unmasked; on a configuration
// error too, whenever a key was found.
func newSink(cfg config.Config, getenv func(string) string, stdout, stderr io.Writer) *ci.Sink {
	sink := ci.NewSink(ci.Detect(getenv), stdout, stderr, getenv, nil, ci.WithDebug(debugMode(cfg)))
	for _, v := range cfg.APIKey.MaskValues() {
		sink.Mask(v)
	}
	return sink
}

// startDemo serves the built-in simulator on loopback and points cfg and
// key at it, so the whole product can be seen with no key and no network.
func startDemo(ctx context.Context, cfg *config.Config, key *string, sink *ci.Sink) (func(), error) {
	demo, stop, err := sim.StartDemo(ctx, cfg.DemoScenario, cfg.ArtifactsDir != "")
	if err != nil {
		return nil, err
	}
	*key, cfg.BaseURL, cfg.DashboardURL, cfg.BlueprintIDs = demo.Key, demo.URL, demo.URL, demo.BlueprintIDs
	// The demo's runs take seconds, so poll at demo speed too.
	cfg.PollInterval, cfg.MaxPollInterval, cfg.ProgressInterval = 200*time.Millisecond, time.Second, 2*time.Second
	sink.Emit(event.Demo{URL: demo.URL, Scenario: cfg.DemoScenario})
	return stop, nil
}

// wiring is the conductor's collaborators, and what happens between its
// outcome and the reports.
type wiring struct {
	cfg      config.Config
	sink     *ci.Sink
	deps     gate.Deps
	evidence *artifacts.Downloader
	history  *history.File
}

// wire builds the API client (with its trigger-retry notice and debug
// observer), reads the --attach manifest, and sets up evidence downloads
// and the polling history. Only a bad manifest or base URL is an error.
func wire(cfg config.Config, key string, sink *ci.Sink) (*wiring, error) {
	w := &wiring{cfg: cfg, sink: sink, deps: gate.Deps{Sink: sink}}
	if cfg.Attach != "" {
		m, err := readManifest(cfg.Attach, key)
		if err != nil {
			return nil, err
		}
		w.deps.Manifest = &m
	}
	client, err := docketqa.New(cfg.BaseURL, key,
		docketqa.WithUserAgent("docketqa-gate/"+version.String()),
		docketqa.WithRequestTimeout(cfg.RequestTimeout),
		docketqa.WithMaxConns(cfg.MaxParallel),
		// A slow trigger of many blueprints is normal; it still must end.
		docketqa.WithTriggerTimeout(max(cfg.RequestTimeout, docketqa.DefaultTriggerTimeout)),
		// A trigger retried against an unreachable API would otherwise
		// be seconds of silence.
		docketqa.WithTriggerRetryNotice(func(r docketqa.TriggerRetry) {
			sink.Emit(event.Warning{Text: fmt.Sprintf("trigger attempt %d of %d in %s: %s", r.Attempt, r.Max, r.Wait, docketqa.Reason(r.Err))})
		}),
		docketqa.WithObserver(debugRequests(cfg, sink)))
	if err != nil {
		return nil, err
	}
	w.deps.API = client
	if cfg.Debug {
		w.deps.OnDelay = func(t poll.Target, d time.Duration, why string) {
			sink.Emit(event.Debug{Text: fmt.Sprintf("next poll of test run %d in %s (%s)", t.RunID, d.Round(time.Millisecond), why)})
		}
	}
	w.history = loadHistory(cfg, sink)
	if h := w.history; h != nil && cfg.Attach == "" {
		// With --attach the runs started before this process, and the
		// poller counts from its own start: forecasts would come late.
		w.deps.Forecast = func(t poll.Target) poll.Forecast { return poll.Forecast(h.Forecast(t.BlueprintID)) }
	}
	if cfg.ArtifactsDir != "" {
		// Evidence is a bonus: a directory that cannot be used is said
		// once and never changes the verdict.
		ev, err := artifacts.New(artifacts.Options{Dir: cfg.ArtifactsDir, Mode: cfg.ArtifactsMode, BaseURL: cfg.BaseURL})
		if err != nil {
			sink.Emit(event.Warning{Text: fmt.Sprintf("evidence (--artifacts-dir / DOCKETQA_ARTIFACTS_DIR) is not saved: %v", err)})
		} else {
			w.evidence, w.deps.Evidence = ev, ev
		}
	}
	return w, nil
}

// afterVerdict finishes what the verdict leaves: evidence downloads still
// going get a bounded budget, never past the deadline, and their files are
// put on the runs before the reports (which list them) are written; the
// polling history records the observed finishes.
func (w *wiring) afterVerdict(ctx context.Context, out gate.Outcome) {
	if w.evidence != nil {
		dctx, cancel := context.WithDeadline(ctx, out.Deadline)
		idx := w.evidence.Finish(dctx, evidenceBudget)
		cancel()
		idx.Apply(out.Set.Runs)
		if line := idx.LogLine(); line != "" {
			w.sink.Emit(event.Evidence{Text: strings.TrimPrefix(line, "evidence: "), Problems: len(idx.Problems()) > 0})
		}
	}
	saveHistory(w.cfg, w.history, out.Set.Runs, w.sink)
}

// configError reports a bad configuration where the user looks: one
// ::error annotation on GitHub, the problems on stderr, and a JUnit report
// (and summary) with one error case, so CI test views show the cause. No
// request is sent.
func configError(cfg config.Config, err error, sink *ci.Sink) int {
	var ue *config.UsageError
	problems := []string{err.Error()}
	if errors.As(err, &ue) {
		problems = ue.Problems
	}
	sink.Emit(event.ConfigError{Problems: problems})
	msg := "docketqa-gate configuration: " + strings.Join(problems, "; ")
	for _, w := range publish.ConfigError(cfg, msg) {
		sink.Emit(event.ReportWritten{Kind: w.Kind, Path: w.Path, Err: w.Err})
	}
	return exitUsage
}

// evidenceBudget is how long evidence downloads may go on after the verdict.
const evidenceBudget = 60 * time.Second

// detach records the triggered runs for a later --attach and exits 0: the
// runs go on without anybody waiting here.
func detach(cfg config.Config, out gate.Outcome, sink *ci.Sink) int {
	w := publish.Manifest(cfg.Detach, *out.Manifest)
	if w.Err != nil {
		sink.Emit(event.Fatal{Err: fmt.Errorf("%w; the runs were triggered: %s", w.Err, out.Set.GroupRunURL)})
		return exitNoVerdict
	}
	outs := ci.Outputs{Verdict: "pending", Total: len(out.Manifest.Runs) + len(out.Manifest.MissingBlueprintIDs),
		GroupRunID: out.Set.GroupRunID, GroupRunURL: out.Set.GroupRunURL}
	written := publish.WriteOutputs(outs, cfg.DotenvPath, sink)
	for _, w := range written {
		sink.Emit(event.ReportWritten{Kind: w.Kind, Path: w.Path, Err: w.Err})
	}
	if publish.Failed(written) {
		return exitNoVerdict
	}
	sink.Emit(event.Detached{Path: cfg.Detach, Runs: len(out.Manifest.Runs)})
	return exitPassed
}

// readManifest reads the --detach manifest, itself untrusted input: it is
// decoded as strictly as an API answer and its texts cleaned with the key.
func readManifest(path, key string) (manifest.Manifest, error) {
	b, err := readAtMost(path, manifest.MaxSize+1)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("read the manifest (--attach / DOCKETQA_ATTACH): %w; it is written by an earlier docketqa-gate --detach", err)
	}
	m, err := manifest.ParseClean(b, untrusted.NewCleaner(key, untrusted.DefaultCap))
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("manifest %s (--attach / DOCKETQA_ATTACH): %w", path, err)
	}
	return m, nil
}

// debugRequests returns the observer that prints one debug line per API
// request, or nil without --debug.
func debugRequests(cfg config.Config, sink *ci.Sink) func(docketqa.Exchange) {
	if !cfg.Debug {
		return nil
	}
	return func(x docketqa.Exchange) {
		line := fmt.Sprintf("%s %s: HTTP %d in %s, %d bytes", x.Method, x.Path, x.Status, x.Duration.Round(time.Millisecond), x.Bytes)
		if x.Err != nil {
			line += "; " + docketqa.Reason(x.Err)
			if docketqa.IsTemporary(x.Err) {
				line += " (temporary)"
			}
		}
		sink.Emit(event.Debug{Text: line})
	}
}

// loadHistory reads --history, or returns nil when there is none to use:
// not asked for, or a demo (whose loopback runs would only pollute it). A
// missing or unreadable file is a cold start with a warning, never an error.
func loadHistory(cfg config.Config, sink *ci.Sink) *history.File {
	if cfg.HistoryPath == "" || cfg.Demo || cfg.Detach != "" {
		return nil
	}
	h, warnings := history.Load(cfg.HistoryPath, cfg.BaseURL)
	for _, w := range warnings {
		sink.Emit(event.Warning{Text: w})
	}
	return h
}

// saveHistory records the observed finishes and writes the file. It never
// changes the verdict: a file that cannot be written is a warning.
func saveHistory(cfg config.Config, h *history.File, runs []result.Run, sink *ci.Sink) {
	if h == nil {
		return
	}
	h.Record(time.Now(), runs)
	if err := h.Save(cfg.HistoryPath); err != nil {
		sink.Emit(event.Warning{Text: fmt.Sprintf("polling history (--history / DOCKETQA_HISTORY) not saved: %v", err)})
		return
	}
	sink.Emit(event.ReportWritten{Kind: "polling history", Path: cfg.HistoryPath})
}

// readAtMost reads at most n bytes of path, so a huge file cannot fill
// memory before its size is refused.
func readAtMost(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

func debugMode(cfg config.Config) ci.Debug {
	switch {
	case cfg.DebugFromRunner:
		return ci.DebugRunner
	case cfg.Debug:
		return ci.DebugPlain
	default:
		return ci.DebugOff
	}
}

// signalCause is how main cancels the context on a signal, so the notice
// can name it.
type signalCause struct{ sig os.Signal }

func (c signalCause) Error() string { return "received " + c.sig.String() }

func signalName(ctx context.Context) string {
	var sc signalCause
	if errors.As(context.Cause(ctx), &sc) {
		return sc.sig.String()
	}
	return "interruption"
}
