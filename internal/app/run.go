// Package app is the whole program behind main: configuration, the
// platform's sink, the conductor, the judge, the reports and the exit code,
// with every dependency injected so tests drive it in-process. Package main
// only adds the signal-aware context and turns Run's result into the
// process's exit code.
package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/docketqa-gate/docketqa-gate/internal/config"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/gate"
	"github.com/docketqa-gate/docketqa-gate/internal/report/publish"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/version"
)

// Exit codes: the contract with CI pipelines, documented in --help and the
// README; the Judge (result.Judge) decides which one a gate gets.
const (
	// ExitPassed: every awaited run passed, or a policy excused it.
	ExitPassed = result.ExitPassed
	// ExitFailed: a run failed.
	ExitFailed = result.ExitFailed
	// ExitUsage: the configuration is wrong; nothing was triggered.
	ExitUsage = result.ExitUsage
	// ExitNoVerdict: the gate could not reach a verdict (API error,
	// timeout, signal, reports that could not be written).
	ExitNoVerdict = result.ExitNoVerdict
)

// Run is the whole program behind main, with every dependency injected so
// tests drive the real binary logic without subprocesses: configuration,
// the platform's sink, the conductor, the reports, the exit code. The
// wiring of each collaborator lives in wire.go. ctx is cancelled with
// SignalCause when a signal stops the gate, so the notice can name it.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, warnings, err := config.LoadSystem(args, config.System{Getenv: getenv, Context: ctx})
	sink := newSink(cfg, getenv, stdout, stderr)
	switch {
	case err != nil:
		return configError(cfg, err, sink)
	case cfg.ShowHelp:
		var help strings.Builder
		config.Usage(&help)
		sink.Emit(event.Text{Text: help.String()})
		return ExitPassed
	case cfg.ShowVersion:
		sink.Emit(event.Text{Text: "docketqa-gate " + version.String()})
		return ExitPassed
	}
	for _, w := range warnings {
		sink.Emit(event.Warning{Text: w})
	}
	for _, s := range cfg.Sources {
		sink.Emit(event.Debug{Text: fmt.Sprintf("setting %s = %q from %s %s", s.Name, s.Value, s.Source, s.From)})
	}
	key := cfg.APIKey.Reveal()
	if cfg.Demo {
		stop, err := startDemo(ctx, &cfg, &key, sink)
		if err != nil {
			return configError(cfg, err, sink)
		}
		defer stop()
	}
	// Every report file must be writable before anything is triggered: a
	// report that cannot be written is exit 3 after paid runs, so it is a
	// configuration error now (exit 2), in a real run as in a dry run.
	if err := config.CheckWritable(checkedPaths(cfg)); err != nil {
		return configError(cfg, err, sink)
	}
	if cfg.DryRun {
		// As in a real run, evidence that cannot be saved is a warning,
		// and an existing directory is what a real run wants.
		if cfg.ArtifactsDir != "" {
			if err := config.CheckDir(cfg.ArtifactsDir); err != nil {
				sink.Emit(event.Warning{Text: fmt.Sprintf("evidence (--artifacts-dir / DOCKETQA_ARTIFACTS_DIR) would not be saved: %v", err)})
			}
		}
		plan := gate.Plan(cfg)
		plan.Reports = publish.Plan(cfg)
		sink.Emit(plan)
		return ExitPassed
	}
	w, err := wire(ctx, cfg, key, getenv, sink)
	if err != nil {
		return configError(cfg, err, sink)
	}
	// The first signal is reported the moment it arrives, through the sink
	// like every other line.
	stopNotice := context.AfterFunc(ctx, func() { sink.Emit(event.Interrupted{Signal: signalName(ctx)}) })
	defer stopNotice()

	out := gate.Run(ctx, cfg, w.deps)
	if out.Stop == result.StopDetached {
		return w.detach(out)
	}
	w.afterVerdict(ctx, out)
	v := result.Judge(out.Set, gate.Policy(cfg), out.Stop)
	written := publish.Reports(publish.Input{Verdict: v, Config: cfg, Cause: out.Cause, Notes: policyNotes(cfg)}, sink)
	if publish.Failed(written) {
		v = v.Unreported()
	}
	sink.Emit(event.Verdict{Verdict: v, Cause: out.Cause})
	for _, w := range written {
		sink.Emit(event.ReportWritten{Kind: w.Kind, Path: w.Path, Err: w.Err})
	}
	if out.Err != nil && out.Stop != result.StopTriggerFailed {
		sink.Emit(event.Fatal{Err: out.Err})
	}
	// Last: the reports are written and the verdict printed, and the
	// comment can only warn, never change the exit code.
	w.prComment(ctx, v)
	return v.Exit
}

// policyNotes names the config file that set policies, for the summary:
// "Policies from gate.yml: fail-on-missing=false".
func policyNotes(cfg config.Config) []string {
	p := cfg.FilePolicies()
	if len(p) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("Policies from %s: %s", cfg.ConfigFile, strings.Join(p, ", "))}
}

// checkedPaths are the report files to check before triggering: every one
// of the report table's, but the runner's own $GITHUB_STEP_SUMMARY, which
// the user does not choose (a runner that cannot take the summary is told
// at the end, as a report not written).
func checkedPaths(cfg config.Config) []config.ReportPath {
	var out []config.ReportPath
	for _, p := range publish.Paths(cfg) {
		if cfg.SummaryFromRunner && p.Path == cfg.SummaryPath {
			continue
		}
		out = append(out, p)
	}
	return out
}
