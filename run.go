package main

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
// README.
const (
	exitPassed    = 0
	exitFailed    = 1
	exitUsage     = 2
	exitNoVerdict = 3
)

// run is the whole program behind main, with every dependency injected so
// tests drive the real binary logic without subprocesses: configuration,
// the platform's sink, the conductor, the reports, the exit code. The
// wiring of each collaborator lives in wire.go.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, warnings, err := config.LoadSystem(args, config.System{Getenv: getenv, Context: ctx})
	sink := newSink(cfg, getenv, stdout, stderr)
	switch {
	case err != nil:
		return configError(cfg, err, sink)
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
		stop, err := startDemo(ctx, &cfg, &key, sink)
		if err != nil {
			return configError(cfg, err, sink)
		}
		defer stop()
	}
	if cfg.DryRun {
		// A dry run promises a configuration that works, report files
		// included.
		if err := config.CheckWritable(cfg.ReportPaths()); err != nil {
			return configError(cfg, err, sink)
		}
		// As in a real run, evidence that cannot be saved is a warning,
		// and an existing directory is what a real run wants.
		if cfg.ArtifactsDir != "" {
			if err := config.CheckDir(cfg.ArtifactsDir); err != nil {
				sink.Emit(event.Warning{Text: fmt.Sprintf("evidence (--artifacts-dir / DOCKETQA_ARTIFACTS_DIR) would not be saved: %v", err)})
			}
		}
		sink.Emit(gate.Plan(cfg))
		return exitPassed
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
	if out.Stop == gate.Detached {
		return w.detach(out)
	}
	w.afterVerdict(ctx, out)
	tally := out.Set.Tally()
	written := publish.Reports(out.Set, tally, publish.Paths{
		JUnit: cfg.JUnitPath, Summary: cfg.SummaryPath, ResultsJSON: cfg.ResultsJSONPath, Dotenv: cfg.DotenvPath,
		SummaryFromRunner: cfg.SummaryFromRunner, SummaryNotes: policyNotes(cfg), Cause: out.Cause,
	}, sink)
	sink.Emit(event.Verdict{Set: out.Set, Tally: tally, Untriggered: out.Set.GroupRunID == 0, Cause: out.Cause})
	for _, w := range written {
		sink.Emit(event.ReportWritten{Kind: w.Kind, Path: w.Path, Err: w.Err})
	}
	if out.Err != nil && out.Stop != gate.TriggerFailed {
		sink.Emit(event.Fatal{Err: out.Err})
	}
	code := exitCode(cfg, tally, out, publish.Failed(written))
	// Last: the reports are written and the verdict printed, and the
	// comment can only warn, never change the exit code.
	w.prComment(ctx, out.Set, tally, code != exitPassed)
	return code
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
