package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/artifacts"
	"github.com/docketqa-gate/docketqa-gate/internal/bound"
	"github.com/docketqa-gate/docketqa-gate/internal/ci"
	"github.com/docketqa-gate/docketqa-gate/internal/config"
	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/gate"
	"github.com/docketqa-gate/docketqa-gate/internal/history"
	"github.com/docketqa-gate/docketqa-gate/internal/manifest"
	"github.com/docketqa-gate/docketqa-gate/internal/poll"
	"github.com/docketqa-gate/docketqa-gate/internal/report/prcomment"
	"github.com/docketqa-gate/docketqa-gate/internal/report/publish"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/safefile"
	"github.com/docketqa-gate/docketqa-gate/internal/sim"
	"github.com/docketqa-gate/docketqa-gate/internal/text"
	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
	"github.com/docketqa-gate/docketqa-gate/internal/version"
)

// newSink returns the platform's sink and registers the key and the GitHub
// token with it first, so not even a warning can print them unmasked; on a
// configuration error too, whenever they were found.
func newSink(cfg config.Config, getenv func(string) string, stdout, stderr io.Writer) *ci.Sink {
	sink := ci.NewSink(ci.Detect(getenv), stdout, stderr, getenv, ci.WithDebug(debugMode(cfg)))
	for _, v := range append(cfg.APIKey.MaskValues(), cfg.GitHubToken.MaskValues()...) {
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
	cfg    config.Config
	getenv func(string) string
	// key signs the --detach manifest.
	key string
	// commit is what the CI names as this job's commit, and commitVar the
	// variable it came from: a manifest is bound to it.
	commit, commitVar string
	sink              *ci.Sink
	deps              gate.Deps
	evidence          *artifacts.Downloader
	history           *history.File
}

// wire builds the API client (with its trigger-retry notice and debug
// observer), reads and verifies the --attach manifest, and sets up
// evidence downloads and the polling history. Only a bad manifest, commit
// variable or base URL is an error. The files are read under ctx, which
// the first signal cancels, and within --timeout; no read can block (see
// safefile).
func wire(ctx context.Context, cfg config.Config, key string, getenv func(string) string, sink *ci.Sink) (*wiring, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	w := &wiring{cfg: cfg, getenv: getenv, key: key, sink: sink, deps: gate.Deps{Sink: sink}}
	if cfg.Attach != "" || cfg.Detach != "" {
		commit, from, err := manifest.Commit(getenv)
		if err != nil {
			return nil, fmt.Errorf("the commit a manifest (--detach / --attach) is bound to: %w", err)
		}
		w.commit, w.commitVar = commit, from
	}
	if cfg.Attach != "" {
		m, err := readManifest(ctx, cfg.Attach, manifest.Want{Key: key, Commit: w.commit, CommitVar: w.commitVar, BlueprintIDs: cfg.BlueprintIDs})
		if err != nil {
			return nil, err
		}
		w.deps.Manifest = &m
	}
	client, err := docketqa.New(cfg.BaseURL, key,
		docketqa.WithSecret(cfg.GitHubToken.Reveal()),
		docketqa.WithUserAgent("docketqa-gate/"+version.String()),
		docketqa.WithRequestTimeout(cfg.RequestTimeout),
		docketqa.WithMaxConns(cfg.MaxParallel),
		// A slow trigger of many blueprints is normal; it still must end.
		docketqa.WithTriggerTimeout(max(cfg.RequestTimeout, docketqa.DefaultTriggerTimeout)),
		// A trigger retried against an unreachable API would otherwise
		// be seconds of silence.
		docketqa.WithTriggerRetryNotice(func(r docketqa.TriggerRetry) {
			sink.Emit(event.Notice{Text: fmt.Sprintf("trigger attempt %d of %d in %s: %s", r.Attempt, r.Max, r.Wait, docketqa.Reason(r.Err))})
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
	w.history = loadHistory(ctx, cfg, sink)
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
	addRecords(w.history, out.Set.Runs, gate.Policy(w.cfg), out.Stop)
	saveHistory(w.cfg, w.history, out.Set.Runs, w.sink)
}

// addRecords puts each run's recent record from the history, as loaded,
// on the runs a reader asks "was it already failing?" about: those that
// failed (non-blocking ones too), had no verdict or passed only after
// another attempt. It runs before Record, so a blueprint with two runs in
// this invocation sees only its own outcome after the file's. Which runs
// those are is the Judge's word (JudgeRun), not worked out here.
func addRecords(h *history.File, runs []result.Run, p result.Policy, stop result.Stop) {
	if h == nil {
		return
	}
	for i, r := range runs {
		switch j := p.JudgeRun(r, stop); j.Kind {
		case result.KindFailed, result.KindNoVerdict, result.KindNonBlocking:
		case result.KindPassed:
			if !j.Flaky {
				continue
			}
		default:
			continue
		}
		runs[i].Recent = h.RecentOf(r)
	}
}

// configError reports a bad configuration where the user looks: one
// ::error annotation on GitHub, the problems on stderr, and a JUnit report
// (and summary) with one error case, so CI test views show the cause. No
// request is sent.
//
// This is the one place the problems are bounded, whatever the input held
// (a manifest with thousands of errors): one problem per line, at most
// bound.MaxItems of them and then how many more, each cut to bound.Line.
// The log lines, the annotation, the JUnit report and the summary are all
// built from that list.
func configError(cfg config.Config, err error, sink *ci.Sink) int {
	var ue *config.UsageError
	problems := []string{err.Error()}
	if errors.As(err, &ue) {
		problems = ue.Problems
	}
	// The sink redacts what it prints; the reports are redacted here, so
	// a secret quoted back by a file's parser (a manifest or config file
	// naming it) reaches no JUnit report or summary either.
	// Redacted before they are cut, so no part of a secret is left at a cut.
	secrets := text.NewRedactor(append(cfg.APIKey.MaskValues(), cfg.GitHubToken.MaskValues()...)...)
	for i := range problems {
		problems[i] = secrets.Redact(problems[i])
	}
	problems = boundProblems(problems)
	sink.Emit(event.ConfigError{Problems: problems})
	msg := "docketqa-gate configuration: " + strings.Join(problems, "; ")
	for _, w := range publish.ConfigError(cfg, msg) {
		sink.Emit(event.ReportWritten{Kind: w.Kind, Path: w.Path, Err: w.Err})
	}
	return ExitUsage
}

// boundProblems splits problems into lines (a joined error holds one
// problem per line) and bounds their number and length.
func boundProblems(problems []string) []string {
	var lines []string
	for _, p := range problems {
		for l := range strings.Lines(p) {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
	}
	lines = bound.List(lines)
	for i := range lines {
		lines[i] = bound.Text(lines[i])
	}
	return lines
}

// prCommentBudget is how long writing the pull-request comment may take
// after the verdict.
const prCommentBudget = 30 * time.Second

// prComment writes or updates the pull-request comment (--pr-comment). It
// never changes the verdict: whatever keeps it from being written is one
// warning annotation saying why and how to fix it.
func (w *wiring) prComment(ctx context.Context, v result.Verdict) {
	if w.cfg.PRComment == prcomment.ModeOff || w.cfg.PRComment == "" {
		return
	}
	if ctx.Err() != nil {
		// Interrupted: the runner is about to stop the job, and a
		// half-written exchange helps nobody.
		w.sink.Emit(event.Debug{Text: "pull-request comment: not written, the gate was interrupted"})
		return
	}
	ctx, cancel := context.WithTimeout(ctx, prCommentBudget)
	defer cancel()
	o := prcomment.Post(ctx, prcomment.Options{
		Mode: w.cfg.PRComment, Tag: w.cfg.PRCommentTag, Token: w.cfg.GitHubToken.Reveal(),
		Getenv: w.getenv, UserAgent: "docketqa-gate/" + version.String(),
	}, prcomment.FromVerdict(v, ""))
	switch {
	case o.Warning != "":
		w.sink.Emit(event.Warning{Text: o.Warning, Title: "DocketQA pull-request comment"})
	case o.Done != "":
		w.sink.Emit(event.ReportWritten{Kind: "pull-request comment", Path: o.Done})
	case o.Debug != "":
		w.sink.Emit(event.Debug{Text: o.Debug})
	}
}

// evidenceBudget is how long evidence downloads may go on after the verdict.
const evidenceBudget = 60 * time.Second

// detach records the triggered runs for a later --attach, authenticated
// with the API key and bound to the CI's commit, and exits 0: the runs go
// on without anybody waiting here.
func (wi *wiring) detach(out gate.Outcome) int {
	cfg, sink := wi.cfg, wi.sink
	m := *out.Manifest
	m.Commit = wi.commit
	w := publish.Manifest(cfg.Detach, m, wi.key)
	if w.Err != nil {
		sink.Emit(event.Fatal{Err: fmt.Errorf("%w; the runs were triggered: %s", w.Err, out.Set.GroupRunURL)})
		return ExitNoVerdict
	}
	outs := ci.Outputs{Verdict: "pending", Total: len(out.Manifest.Runs) + len(out.Manifest.MissingBlueprintIDs),
		GroupRunID: out.Set.GroupRunID, GroupRunURL: out.Set.GroupRunURL}
	written := publish.WriteOutputs(outs, cfg.DotenvPath, sink)
	for _, w := range written {
		sink.Emit(event.ReportWritten{Kind: w.Kind, Path: w.Path, Err: w.Err})
	}
	if publish.Failed(written) {
		return ExitNoVerdict
	}
	sink.Emit(event.Detached{Path: cfg.Detach, Runs: len(out.Manifest.Runs)})
	return ExitPassed
}

// manifestKind is how safefile reads the --attach manifest.
var manifestKind = safefile.Kind{Name: "manifest", Setting: "--attach / DOCKETQA_ATTACH", Max: manifest.MaxSize}

// readManifest reads the --detach manifest, itself untrusted input: it is
// read like every file the gate did not write (safefile), decoded as
// strictly as an API answer, its MAC and commit verified against want
// before anything in it is used, and its texts cleaned with the key.
func readManifest(ctx context.Context, path string, want manifest.Want) (manifest.Manifest, error) {
	b, err := safefile.Read(ctx, path, manifestKind)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("%w; the manifest is written by an earlier docketqa-gate --detach", err)
	}
	m, err := manifest.Open(b, want, untrusted.NewCleaner(want.Key, untrusted.DefaultCap))
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
func loadHistory(ctx context.Context, cfg config.Config, sink *ci.Sink) *history.File {
	if cfg.HistoryPath == "" || cfg.Demo || cfg.Detach != "" {
		return nil
	}
	h, warnings := history.Load(ctx, cfg.HistoryPath, cfg.BaseURL, time.Now())
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

// SignalCause is the cause main cancels Run's context with when sig
// arrives, so the printed notice names the signal.
func SignalCause(sig os.Signal) error { return signalCause{sig} }

func (c signalCause) Error() string { return "received " + c.sig.String() }

func signalName(ctx context.Context) string {
	var sc signalCause
	if errors.As(context.Cause(ctx), &sc) {
		return sc.sig.String()
	}
	return "interruption"
}
