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

// Exit codes: the contract with CI pipelines, documented in --help and the
// README.
const (
	exitPassed    = 0
	exitFailed    = 1
	exitUsage     = 2
	exitNoVerdict = 3
)

// run is the whole program behind main, with every dependency injected so
// tests drive the real binary logic without subprocesses: configuration,
// the platform's sink, the conductor, the reports, the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	platform := ci.Detect(getenv)
	cfg, warnings, err := config.Load(args, getenv)
	sink := ci.NewSink(platform, stdout, stderr, getenv,
		[]ci.Option{ci.WithExcused(func(r result.Run) bool { return excused(cfg, r) })}, ci.WithDebug(debugMode(cfg)))
	// Masking comes before any other line, so not even a warning can print
	// the key unmasked; on a configuration error too, whenever a key was
	// found.
	for _, v := range cfg.APIKey.MaskValues() {
		sink.Mask(v)
	}
	if err != nil {
		return configError(cfg, err, sink)
	}
	switch {
	case cfg.ShowHelp:
		var help strings.Builder
		config.Usage(&help)
		sink.Emit(event.Text{Text: help.String()})
		return exitPassed
	case cfg.ShowVersion:
		sink.Emit(event.Text{Text: "docketqa-gate " + version.String()})
		return exitPassed
	}
	for _, w := range warnings {
		sink.Emit(event.Warning{Text: w})
	}
	for _, s := range cfg.Sources {
		sink.Emit(event.Debug{Text: fmt.Sprintf("setting %s = %q from %s %s", s.Name, s.Value, s.Source, s.From)})
	}
	key := cfg.APIKey.Reveal()
	if cfg.Demo {
		demo, stop, err := sim.StartDemo(ctx, cfg.DemoScenario, cfg.ArtifactsDir != "")
		if err != nil {
			sink.Emit(event.ConfigError{Problems: []string{err.Error()}})
			return exitUsage
		}
		defer stop()
		key, cfg.BaseURL, cfg.DashboardURL, cfg.BlueprintIDs = demo.Key, demo.URL, demo.URL, demo.BlueprintIDs
		// The demo's runs take seconds, so poll at demo speed too.
		cfg.PollInterval, cfg.MaxPollInterval, cfg.ProgressInterval = 200*time.Millisecond, time.Second, 2*time.Second
		sink.Emit(event.Demo{URL: demo.URL, Scenario: cfg.DemoScenario})
	}
	if cfg.DryRun {
		// A dry run promises a configuration that works, report files
		// included.
		if err := config.CheckWritable(cfg.ReportPaths()); err != nil {
			return configError(cfg, err, sink)
		}
		sink.Emit(gate.Plan(cfg))
		return exitPassed
	}
	deps := gate.Deps{Sink: sink}
	if cfg.Attach != "" {
		m, err := readManifest(cfg.Attach, key)
		if err != nil {
			sink.Emit(event.ConfigError{Problems: []string{err.Error()}})
			return exitUsage
		}
		deps.Manifest = &m
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
		sink.Emit(event.ConfigError{Problems: []string{err.Error()}})
		return exitUsage
	}
	deps.API = client
	if cfg.Debug {
		deps.OnDelay = func(t poll.Target, d time.Duration, why string) {
			sink.Emit(event.Debug{Text: fmt.Sprintf("next poll of test run %d in %s (%s)", t.RunID, d.Round(time.Millisecond), why)})
		}
	}
	hist := loadHistory(cfg, sink)
	if hist != nil && cfg.Attach == "" {
		// With --attach the runs started before this process, and the
		// poller counts from its own start: forecasts would come late.
		deps.Forecast = func(t poll.Target) poll.Forecast { return poll.Forecast(hist.Forecast(t.BlueprintID)) }
	}
	var evidence *artifacts.Downloader
	if cfg.ArtifactsDir != "" {
		// Evidence is a bonus: a directory that cannot be used is said
		// once and never changes the verdict.
		if evidence, err = artifacts.New(artifacts.Options{Dir: cfg.ArtifactsDir, Mode: cfg.ArtifactsMode, BaseURL: cfg.BaseURL}); err != nil {
			sink.Emit(event.Warning{Text: fmt.Sprintf("evidence (--artifacts-dir / DOCKETQA_ARTIFACTS_DIR) is not saved: %v", err)})
			evidence = nil
		} else {
			deps.Evidence = evidence
		}
	}
	// The first signal is reported the moment it arrives, through the sink
	// like every other line.
	stopNotice := context.AfterFunc(ctx, func() { sink.Emit(event.Interrupted{Signal: signalName(ctx)}) })
	defer stopNotice()

	out := gate.Run(ctx, cfg, deps)
	if out.Stop == gate.Detached {
		return detach(cfg, out, sink)
	}
	if evidence != nil {
		// Downloads still going get a bounded budget, never past the
		// deadline, before the reports (which list the files) are written.
		dctx, cancel := context.WithDeadline(ctx, out.Deadline)
		idx := evidence.Finish(dctx, evidenceBudget)
		cancel()
		idx.Apply(out.Set.Runs)
		if line := idx.LogLine(); line != "" {
			sink.Emit(event.Evidence{Text: strings.TrimPrefix(line, "evidence: "), Problems: len(idx.Problems()) > 0})
		}
	}
	saveHistory(cfg, hist, out.Set.Runs, sink)
	tally := out.Set.Tally()
	written := publish.Reports(out.Set, tally, publish.Paths{
		JUnit: cfg.JUnitPath, Summary: cfg.SummaryPath, ResultsJSON: cfg.ResultsJSONPath, Dotenv: cfg.DotenvPath,
		SummaryFromRunner: cfg.SummaryFromRunner,
	}, sink)
	sink.Emit(event.Verdict{Set: out.Set, Tally: tally, Untriggered: out.Set.GroupRunID == 0})
	for _, w := range written {
		sink.Emit(event.ReportWritten{Kind: w.Kind, Path: w.Path, Err: w.Err})
	}
	if out.Err != nil && out.Stop != gate.TriggerFailed {
		sink.Emit(event.Fatal{Err: out.Err})
	}
	return exitCode(cfg, tally, out, publish.Failed(written))
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
	for _, w := range publish.ConfigError(publish.Paths{JUnit: cfg.JUnitPath, Summary: cfg.SummaryPath, SummaryFromRunner: cfg.SummaryFromRunner}, msg) {
		sink.Emit(event.ReportWritten{Kind: w.Kind, Path: w.Path, Err: w.Err})
	}
	return exitUsage
}

// evidenceBudget is how long evidence downloads may go on after the verdict.
const evidenceBudget = 60 * time.Second

// exitCode maps the outcome to the documented exit codes. A failed run
// always gives 1. Otherwise anything that kept the gate from a verdict on
// every run gives 3, except what the policies excuse: runs left without a
// verdict by API trouble or the deadline (--fail-on-no-verdict=false) and
// blueprints DocketQA started no run for (--fail-on-missing=false). A
// refused key, a failed or uncertain trigger, an interruption and an
// unwritten report are never excused, so a revoked key cannot go green.
func exitCode(cfg config.Config, t result.Tally, out gate.Outcome, reportFailed bool) int {
	switch {
	case t.Verdict == result.Failed:
		return exitFailed
	case reportFailed:
		return exitNoVerdict
	case t.Verdict == result.Passed && out.Err == nil:
		return exitPassed
	case out.Stop != gate.Finished && out.Stop != gate.Deadline:
		return exitNoVerdict
	case t.Total == 0 || t.NotAwaited > 0:
		return exitNoVerdict
	}
	for _, r := range out.Set.Runs {
		if result.KindOf(r) == result.KindNoVerdict && !excused(cfg, r) {
			return exitNoVerdict
		}
	}
	return exitPassed
}

// excused reports whether a policy lets r, a run without a verdict, pass
// the gate with a warning.
func excused(cfg config.Config, r result.Run) bool {
	if result.KindOf(r) != result.KindNoVerdict {
		return false
	}
	if r.Missing {
		return !cfg.FailOnMissing
	}
	return !cfg.FailOnNoVerdict && r.RunID != 0
}

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
