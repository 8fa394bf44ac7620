package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/atomicfile"
	"github.com/docketqa-gate/docketqa-gate/internal/ci"
	"github.com/docketqa-gate/docketqa-gate/internal/config"
	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/manifest"
	"github.com/docketqa-gate/docketqa-gate/internal/poll"
	"github.com/docketqa-gate/docketqa-gate/internal/report/junit"
	"github.com/docketqa-gate/docketqa-gate/internal/report/resultsjson"
	"github.com/docketqa-gate/docketqa-gate/internal/report/summary"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/sim"
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
// tests drive the real binary logic without subprocesses.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, warnings, err := config.Load(args, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "docketqa-gate: %v\nRun docketqa-gate --help for every setting.\n", err)
		return exitUsage
	}
	switch {
	case cfg.ShowHelp:
		config.Usage(stdout)
		return exitPassed
	case cfg.ShowVersion:
		fmt.Fprintf(stdout, "docketqa-gate %s\n", version.String())
		return exitPassed
	}
	rep := ci.NewReporter(ci.Detect(getenv), stdout, getenv)
	// Masking comes before any other line, so not even a warning can print
	// the key unmasked.
	rep.Mask(cfg.APIKey.Reveal())
	for _, w := range warnings {
		fmt.Fprintf(stderr, "docketqa-gate: warning: %s\n", w)
	}
	g := &gate{cfg: cfg, stdout: stdout, stderr: stderr, rep: rep}
	if cfg.Demo {
		stop, err := g.startDemo(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "docketqa-gate: %v\n", err)
			return exitUsage
		}
		defer stop()
	}
	if cfg.DryRun {
		g.printPlan()
		return exitPassed
	}
	return g.run(ctx)
}

// gate is one invocation's state.
type gate struct {
	cfg            config.Config
	stdout, stderr io.Writer
	rep            *ci.Reporter
	// key is the API key in use: the configured one, or the demo's.
	key string
}

func (g *gate) logf(format string, args ...any) { fmt.Fprintf(g.stdout, format+"\n", args...) }

// startDemo serves a simulated DocketQA on loopback and points the gate at
// it, so the whole product can be seen with no key and no network.
func (g *gate) startDemo(ctx context.Context) (func(), error) {
	bps, err := sim.Demo(g.cfg.DemoScenario)
	if err != nil {
		return nil, fmt.Errorf("invalid --demo-scenario: %w", err)
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	g.key = "demo-" + hex.EncodeToString(b[:])
	base, stop, err := sim.Start(ctx, sim.Options{APIKey: g.key, Blueprints: bps})
	if err != nil {
		return nil, fmt.Errorf("start the demo simulator: %w", err)
	}
	g.cfg.BaseURL, g.cfg.DashboardURL = base, base
	g.cfg.BlueprintIDs = g.cfg.BlueprintIDs[:0]
	for _, bp := range bps {
		g.cfg.BlueprintIDs = append(g.cfg.BlueprintIDs, bp.ID)
	}
	// The demo's runs take seconds, so poll at demo speed too.
	g.cfg.PollInterval, g.cfg.MaxPollInterval, g.cfg.ProgressInterval = 200*time.Millisecond, time.Second, 2*time.Second
	g.logf("demo: simulated DocketQA API at %s (scenario %q)", base, g.cfg.DemoScenario)
	return stop, nil
}

func (g *gate) printPlan() {
	c := g.cfg
	g.logf("dry run: configuration is valid; nothing will be triggered")
	switch {
	case c.Attach != "":
		g.logf("  mode:              wait for the runs recorded in %s", c.Attach)
	case c.Detach != "":
		g.logf("  mode:              trigger, record the runs in %s, exit without waiting", c.Detach)
	default:
		g.logf("  mode:              trigger and wait")
	}
	g.logf("  API base URL:      %s", c.BaseURL)
	if c.Attach == "" {
		g.logf("  blueprints (%d):    %s", len(c.BlueprintIDs), joinIDs(c.BlueprintIDs))
	}
	if len(c.NonBlockingIDs) > 0 {
		g.logf("  non-blocking:      %s", joinIDs(c.NonBlockingIDs))
	}
	g.logf("  deadline:          %s", c.Timeout)
	g.logf("  polling:           checks %s to %s apart per run, at most %d requests in flight", c.PollInterval, c.MaxPollInterval, c.MaxParallel)
	g.logf("  reruns of failed:  %d; fail fast: %v", c.RerunFailed, c.FailFast)
	g.logf("  JUnit report:      %s", c.JUnitPath)
	g.logf("  Markdown summary:  %s", orNone(c.SummaryPath))
	g.logf("  JSON results:      %s", orNone(c.ResultsJSONPath))
	g.logf("  dotenv outputs:    %s", orNone(c.DotenvPath))
}

func (g *gate) run(ctx context.Context) int {
	if g.key == "" {
		g.key = g.cfg.APIKey.Reveal()
	}
	start := time.Now()
	// The deadline covers everything up to the verdict: trigger, polling
	// and reruns.
	deadline := start.Add(g.cfg.Timeout)
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	client, err := docketqa.New(g.cfg.BaseURL, g.key,
		docketqa.WithUserAgent("docketqa-gate/"+version.String()),
		docketqa.WithRequestTimeout(g.cfg.RequestTimeout),
		docketqa.WithMaxConns(g.cfg.MaxParallel),
		// A slow trigger of many blueprints is normal; it still must end.
		docketqa.WithTriggerTimeout(max(g.cfg.RequestTimeout, docketqa.DefaultTriggerTimeout)))
	if err != nil {
		fmt.Fprintf(g.stderr, "docketqa-gate: %v\n", err)
		return exitUsage
	}
	set := result.Set{Started: start.UTC()}
	var targets []poll.Target
	var missing []result.Run
	if g.cfg.Attach != "" {
		m, err := readManifest(g.cfg.Attach)
		if err != nil {
			fmt.Fprintf(g.stderr, "docketqa-gate: %v\n", err)
			return exitUsage
		}
		set.GroupRunID, set.GroupRunName, set.GroupRunURL = m.GroupRunID, m.GroupRunName, m.DashboardURL
		targets, missing = g.fromManifest(m)
		g.logf("docketqa-gate %s: waiting for group run %d (%d test run(s)) from %s: %s", version.String(), m.GroupRunID, len(m.Runs), g.cfg.Attach, m.DashboardURL)
	} else {
		g.logf("docketqa-gate %s: triggering %d blueprint(s) on %s", version.String(), len(g.cfg.BlueprintIDs), g.cfg.BaseURL)
		grp, err := client.Trigger(dctx, g.cfg.BlueprintIDs)
		if err != nil {
			fatal := fmt.Errorf("trigger failed: %w", err)
			if ctx.Err() != nil {
				fatal = fmt.Errorf("interrupted while triggering: %w", err)
			}
			set.Runs = g.untriggered(err)
			set.Elapsed = time.Since(start)
			return g.finish(set, fatal)
		}
		set.GroupRunID, set.GroupRunName = grp.ID, string(grp.Name)
		set.GroupRunURL = g.dashboardURL(grp.ID)
		g.logf("triggered group run %d with %d test run(s): %s", grp.ID, len(grp.Runs), set.GroupRunURL)
		targets, missing = g.targets(grp, g.cfg.BlueprintIDs)
		if g.cfg.Detach != "" {
			return g.detach(set, targets, missing)
		}
	}
	out := g.wait(ctx, client, targets, deadline, g.cfg.RerunFailed == 0)
	set.Runs = append(out.Runs, missing...)
	fatal := g.stopError(out, set.GroupRunURL)
	if fatal == nil && g.cfg.RerunFailed > 0 {
		fatal = g.rerun(ctx, client, set.Runs, deadline)
	}
	set.Elapsed = time.Since(start)
	return g.finish(set, fatal)
}

// wait polls targets until each has a verdict or polling must stop.
// lastAttempt says whether a failure now is final; fail-fast only acts on
// final failures, so --fail-fast never skips a rerun.
func (g *gate) wait(ctx context.Context, client *docketqa.Client, targets []poll.Target, deadline time.Time, lastAttempt bool) poll.Outcome {
	return poll.Run(ctx, client, targets, poll.Options{
		Interval:         g.cfg.PollInterval,
		MaxInterval:      g.cfg.MaxPollInterval,
		MaxParallel:      g.cfg.MaxParallel,
		Deadline:         deadline,
		Timeout:          g.cfg.Timeout,
		NotFoundGrace:    g.cfg.NotFoundGrace,
		FailFast:         g.cfg.FailFast && lastAttempt,
		ProgressInterval: g.cfg.ProgressInterval,
		OnFinish:         g.logFinished,
		OnProgress:       g.logProgress,
	})
}

// stopError explains why polling ended early, or returns nil.
func (g *gate) stopError(out poll.Outcome, groupURL string) error {
	switch out.Stop {
	case poll.AuthFailed:
		return out.Err
	case poll.Interrupted:
		return errors.New("interrupted: reports written with unfinished runs marked; DocketQA has no cancel endpoint, so the runs continue there: " + groupURL)
	case poll.Deadline:
		return fmt.Errorf("deadline of %s passed before every run finished (raise --timeout / DOCKETQA_TIMEOUT if runs need longer)", g.cfg.Timeout)
	case poll.FailFast:
		g.logf("fail-fast: a run failed; not waiting for the others (they continue on DocketQA: %s)", groupURL)
	}
	return nil
}

// rerun re-triggers the failed blueprints up to --rerun-failed times and
// folds each new attempt into runs. A blueprint that passes on a rerun is a
// flaky pass; one that never passes stays failed, with every attempt listed.
func (g *gate) rerun(ctx context.Context, client *docketqa.Client, runs []result.Run, deadline time.Time) error {
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	for attempt := 1; attempt <= g.cfg.RerunFailed; attempt++ {
		var idx []int
		var ids []int64
		for i, r := range runs {
			if r.Verdict == result.Failed {
				idx = append(idx, i)
				ids = append(ids, r.BlueprintID)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		g.logf("rerun %d of %d: re-triggering %d failed blueprint(s): %s", attempt, g.cfg.RerunFailed, len(ids), joinIDs(ids))
		grp, err := client.Trigger(dctx, ids)
		if err != nil {
			return fmt.Errorf("rerun %d: trigger failed, keeping the earlier failures: %w", attempt, err)
		}
		url := g.dashboardURL(grp.ID)
		g.logf("rerun %d: group run %d: %s", attempt, grp.ID, url)
		targets, missing := g.targets(grp, ids)
		out := g.wait(ctx, client, targets, deadline, attempt == g.cfg.RerunFailed)
		latest := make(map[int64]result.Run, len(ids))
		for _, r := range append(out.Runs, missing...) {
			latest[r.BlueprintID] = r
		}
		for _, i := range idx {
			if next, ok := latest[runs[i].BlueprintID]; ok {
				runs[i] = mergeAttempt(runs[i], next)
			}
		}
		if err := g.stopError(out, url); err != nil || out.Stop == poll.FailFast {
			return err
		}
	}
	return nil
}

// mergeAttempt makes next the final attempt of a blueprint that failed as
// prev. A rerun that reached no verdict does not replace a known failure.
func mergeAttempt(prev, next result.Run) result.Run {
	if next.Verdict == result.Error {
		prev.Attempts++
		prev.Earlier = append(prev.Earlier, result.Attempt{Rerun: true, RunID: next.RunID, Status: next.Status,
			Verdict: next.Verdict, Reason: next.Reason, VideoURL: next.VideoURL})
		return prev
	}
	next.Earlier = slices.Concat(prev.Earlier, []result.Attempt{{Rerun: true, RunID: prev.RunID, Status: prev.Status,
		Verdict: prev.Verdict, Reason: prev.Reason, VideoURL: prev.VideoURL}}, next.Earlier)
	next.Attempts += prev.Attempts
	next.NonBlocking = prev.NonBlocking
	next.Flaky = next.Verdict == result.Passed
	if next.Title == "" {
		next.Title = prev.Title
	}
	return next
}

// detach records the triggered runs for a later --attach and exits 0: the
// runs go on without anybody waiting here.
func (g *gate) detach(set result.Set, targets []poll.Target, missing []result.Run) int {
	m := manifest.Manifest{GroupRunID: set.GroupRunID, GroupRunName: set.GroupRunName, DashboardURL: set.GroupRunURL, TriggeredAt: set.Started}
	for _, t := range targets {
		m.Runs = append(m.Runs, manifest.Run{RunID: t.RunID, BlueprintID: t.BlueprintID, Title: t.Title, StepCount: t.StepCount})
	}
	for _, r := range missing {
		m.MissingBlueprintIDs = append(m.MissingBlueprintIDs, r.BlueprintID)
	}
	b, err := manifest.Marshal(m)
	if err == nil {
		err = atomicfile.Write(g.cfg.Detach, b)
	}
	if err != nil {
		fmt.Fprintf(g.stderr, "docketqa-gate: cannot write the manifest (--detach / DOCKETQA_DETACH): %v; the runs were triggered: %s\n", err, set.GroupRunURL)
		return exitNoVerdict
	}
	outs := ci.Outputs{Verdict: "pending", Total: len(targets) + len(missing), GroupRunID: set.GroupRunID, GroupRunURL: set.GroupRunURL}
	if errs := g.publishOutputs(outs); len(errs) > 0 {
		for _, err := range errs {
			fmt.Fprintf(g.stderr, "docketqa-gate: cannot write report: %v\n", err)
		}
		return exitNoVerdict
	}
	g.logf("detached: %d test run(s) recorded in %s; wait for them with --attach %s", len(m.Runs), g.cfg.Detach, g.cfg.Detach)
	return exitPassed
}

// publishOutputs hands the outputs to the CI platform: the GitLab dotenv
// file when asked for, and GitHub step outputs when running there.
func (g *gate) publishOutputs(outs ci.Outputs) []error {
	var errs []error
	if g.cfg.DotenvPath != "" {
		if err := ci.WriteDotenv(g.cfg.DotenvPath, outs); err != nil {
			errs = append(errs, fmt.Errorf("dotenv (--dotenv / DOCKETQA_DOTENV): %w", err))
		}
	}
	if err := g.rep.SetOutputs(outs); err != nil {
		errs = append(errs, fmt.Errorf("GitHub outputs: %w", err))
	}
	return errs
}

func readManifest(path string) (manifest.Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("read the manifest (--attach / DOCKETQA_ATTACH): %w; it is written by an earlier docketqa-gate --detach", err)
	}
	m, err := manifest.Parse(b)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("manifest %s (--attach / DOCKETQA_ATTACH): %w", path, err)
	}
	return m, nil
}

func (g *gate) fromManifest(m manifest.Manifest) ([]poll.Target, []result.Run) {
	nb := g.nonBlocking()
	targets := make([]poll.Target, len(m.Runs))
	for i, r := range m.Runs {
		targets[i] = poll.Target{RunID: r.RunID, BlueprintID: r.BlueprintID, Title: r.Title, StepCount: r.StepCount, NonBlocking: nb[r.BlueprintID]}
	}
	var missing []result.Run
	for _, id := range m.MissingBlueprintIDs {
		missing = append(missing, missingRun(id, nb[id]))
	}
	return targets, missing
}

func (g *gate) nonBlocking() map[int64]bool {
	nb := make(map[int64]bool, len(g.cfg.NonBlockingIDs))
	for _, id := range g.cfg.NonBlockingIDs {
		nb[id] = true
	}
	return nb
}

func missingRun(id int64, nonBlocking bool) result.Run {
	return result.Run{BlueprintID: id, Verdict: result.Error, NonBlocking: nonBlocking, Attempts: 1,
		Reason: "DocketQA started no run for this blueprint: check that the id exists and belongs to the API key's company"}
}

// targets maps a trigger answer to the runs to poll. A requested
// blueprint with no run in the answer (unknown id, no access, or a partial
// answer) becomes an error result, so it cannot vanish from the reports.
func (g *gate) targets(grp *docketqa.GroupRun, requested []int64) ([]poll.Target, []result.Run) {
	nb := g.nonBlocking()
	seen := make(map[int64]bool, len(grp.Runs))
	targets := make([]poll.Target, 0, len(grp.Runs))
	for _, r := range grp.Runs {
		seen[r.BlueprintID] = true
		targets = append(targets, poll.Target{RunID: r.ID, BlueprintID: r.BlueprintID, Title: string(r.Title), StepCount: r.StepCount, NonBlocking: nb[r.BlueprintID]})
	}
	var missing []result.Run
	for _, id := range requested {
		if !seen[id] {
			missing = append(missing, missingRun(id, nb[id]))
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(g.stderr, "docketqa-gate: warning: the trigger answer has no run for %d of %d blueprint(s)\n", len(missing), len(requested))
	}
	return targets, missing
}

// untriggered gives every blueprint an error result when the trigger
// failed, worded by whether runs may have started anyway.
func (g *gate) untriggered(err error) []result.Run {
	reason := "not triggered: " + err.Error()
	var ue *docketqa.UncertainTriggerError
	if errors.As(err, &ue) {
		reason = "trigger outcome unknown (runs may have started): " + err.Error()
	}
	runs := make([]result.Run, len(g.cfg.BlueprintIDs))
	for i, id := range g.cfg.BlueprintIDs {
		runs[i] = result.Run{BlueprintID: id, Verdict: result.Error, Attempts: 1, Reason: reason}
	}
	return runs
}

func (g *gate) dashboardURL(id int64) string {
	return g.cfg.DashboardURL + "/dashboard/grouprun/" + strconv.FormatInt(id, 10)
}

func (g *gate) logFinished(r result.Run) {
	mark := map[result.Verdict]string{result.Passed: "✓ passed", result.Failed: "✗ failed", result.Error: "! error "}[r.Verdict]
	line := fmt.Sprintf("%s  %s in %s", mark, r.Name(), r.Duration.Round(time.Second))
	if r.Flaky {
		line += fmt.Sprintf(" (flaky: passed after %d attempts)", r.Attempts)
	}
	if r.Reason != "" {
		line += ": " + r.Reason
	}
	g.logf("%s", line)
}

func (g *gate) logProgress(p poll.Progress) {
	names := make([]string, 0, len(p.Waiting))
	for _, t := range p.Waiting {
		names = append(names, result.Run{BlueprintID: t.BlueprintID, Title: t.Title}.Name())
	}
	waiting := p.Total - p.Done
	more := ""
	if waiting > len(names) {
		more = fmt.Sprintf(" and %d more", waiting-len(names))
	}
	g.logf("… still waiting on %d of %d: %s%s", waiting, p.Total, strings.Join(names, ", "), more)
}

// finish writes every report, prints the verdict and picks the exit code.
// It runs on every path: pass, fail, deadline, API trouble, interruption.
func (g *gate) finish(set result.Set, fatal error) int {
	var writeErrs []error
	// Reports stream to their files: with 10,000 runs a buffered copy of
	// each would double the gate's peak memory.
	if err := atomicfile.WriteFunc(g.cfg.JUnitPath, func(w io.Writer) error { return junit.Write(w, set) }); err != nil {
		writeErrs = append(writeErrs, fmt.Errorf("JUnit report (--junit / DOCKETQA_JUNIT): %w", err))
	}
	if g.cfg.SummaryPath != "" {
		md := summary.Render(set, summary.Options{})
		if err := atomicfile.Append(g.cfg.SummaryPath, []byte(md)); err != nil {
			writeErrs = append(writeErrs, fmt.Errorf("summary (--summary / DOCKETQA_SUMMARY): %w", err))
		}
	}
	outs := ci.OutputsFrom(set, g.cfg.JUnitPath, g.cfg.ResultsJSONPath)
	if g.cfg.ResultsJSONPath != "" {
		if err := atomicfile.WriteFunc(g.cfg.ResultsJSONPath, func(w io.Writer) error { return resultsjson.Write(w, set) }); err != nil {
			writeErrs = append(writeErrs, fmt.Errorf("JSON results (--results-json / DOCKETQA_RESULTS_JSON): %w", err))
		}
	}
	writeErrs = append(writeErrs, g.publishOutputs(outs)...)
	g.rep.Details(set.Runs)
	g.rep.Annotate(set.Runs)

	c := set.Counts()
	verdict := set.Verdict()
	if fatal != nil {
		fmt.Fprintf(g.stderr, "docketqa-gate: %v\n", fatal)
	}
	for _, err := range writeErrs {
		fmt.Fprintf(g.stderr, "docketqa-gate: cannot write report: %v\n", err)
	}
	line := fmt.Sprintf("verdict: %s: %d passed, %d failed, %d without verdict", verdict, c.Passed, c.Failed, c.Errors)
	if c.NonBlockingFailed > 0 {
		line += fmt.Sprintf(", %d non-blocking failure(s)", c.NonBlockingFailed)
	}
	if c.Flaky > 0 {
		line += fmt.Sprintf(", %d flaky", c.Flaky)
	}
	g.logf("%s (%d run(s) in %s)", line, c.Total, set.Elapsed.Round(time.Second))
	if set.GroupRunURL != "" {
		g.logf("group run: %s", set.GroupRunURL)
	}
	g.logf("JUnit report: %s", g.cfg.JUnitPath)
	switch {
	case verdict == result.Failed:
		return exitFailed
	case verdict == result.Error || fatal != nil || len(writeErrs) > 0:
		return exitNoVerdict
	default:
		return exitPassed
	}
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
