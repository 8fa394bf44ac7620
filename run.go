package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/atomicfile"
	"github.com/docketqa-gate/docketqa-gate/internal/ci"
	"github.com/docketqa-gate/docketqa-gate/internal/config"
	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/poll"
	"github.com/docketqa-gate/docketqa-gate/internal/report/junit"
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
	g.logf("dry run: nothing will be triggered")
	g.logf("  API base URL:      %s", c.BaseURL)
	g.logf("  blueprints (%d):    %s", len(c.BlueprintIDs), joinIDs(c.BlueprintIDs))
	g.logf("  deadline:          %s", c.Timeout)
	g.logf("  polling:           first after %s, at most every %s, %d requests in flight at most", c.PollInterval, c.MaxPollInterval, c.MaxParallel)
	g.logf("  JUnit report:      %s", c.JUnitPath)
	g.logf("  Markdown summary:  %s", orNone(c.SummaryPath))
}

func (g *gate) run(ctx context.Context) int {
	if g.key == "" {
		g.key = g.cfg.APIKey.Reveal()
	}
	start := time.Now()
	// The deadline covers everything up to the verdict, the trigger included.
	dctx, cancel := context.WithDeadline(ctx, start.Add(g.cfg.Timeout))
	defer cancel()
	client, err := docketqa.New(g.cfg.BaseURL, g.key, docketqa.WithUserAgent("docketqa-gate/"+version.String()))
	if err != nil {
		fmt.Fprintf(g.stderr, "docketqa-gate: %v\n", err)
		return exitUsage
	}
	set := result.Set{Started: start.UTC()}
	g.logf("docketqa-gate %s: triggering %d blueprint(s) on %s", version.String(), len(g.cfg.BlueprintIDs), g.cfg.BaseURL)
	grp, err := client.Trigger(dctx, g.cfg.BlueprintIDs)
	var fatal error
	if err != nil {
		fatal = fmt.Errorf("trigger failed: %w", err)
		if ctx.Err() != nil {
			fatal = fmt.Errorf("interrupted while triggering: %w", err)
		}
		set.Runs = g.untriggered(fatal.Error())
	} else {
		set.GroupRunID, set.GroupRunName = grp.ID, grp.Name
		set.GroupRunURL = g.dashboardURL(grp.ID)
		g.logf("triggered group run %d with %d test run(s): %s", grp.ID, len(grp.Runs), set.GroupRunURL)
		targets, missing := g.targets(grp)
		out := poll.Run(ctx, client, targets, poll.Options{
			Interval:         g.cfg.PollInterval,
			MaxInterval:      g.cfg.MaxPollInterval,
			MaxParallel:      g.cfg.MaxParallel,
			Deadline:         start.Add(g.cfg.Timeout),
			Timeout:          g.cfg.Timeout,
			FailFast:         g.cfg.FailFast,
			ProgressInterval: g.cfg.ProgressInterval,
			OnFinish:         g.logFinished,
			OnProgress:       g.logProgress,
		})
		set.Runs = append(out.Runs, missing...)
		switch out.Stop {
		case poll.AuthFailed:
			fatal = out.Err
		case poll.Interrupted:
			fatal = errors.New("interrupted: reports written with unfinished runs marked; DocketQA has no cancel endpoint, so the runs continue there: " + set.GroupRunURL)
		case poll.Deadline:
			fatal = fmt.Errorf("deadline of %s passed before every run finished (raise --timeout / DOCKETQA_TIMEOUT if runs need longer)", g.cfg.Timeout)
		}
	}
	set.Elapsed = time.Since(start)
	return g.finish(set, fatal)
}

// targets maps the trigger answer to the runs to poll. A requested
// blueprint with no run in the answer (unknown id, no access, or a partial
// answer) becomes an error result, so it cannot vanish from the reports.
func (g *gate) targets(grp *docketqa.GroupRun) ([]poll.Target, []result.Run) {
	nonBlocking := make(map[int64]bool, len(g.cfg.NonBlockingIDs))
	for _, id := range g.cfg.NonBlockingIDs {
		nonBlocking[id] = true
	}
	seen := make(map[int64]bool, len(grp.Runs))
	targets := make([]poll.Target, 0, len(grp.Runs))
	for _, r := range grp.Runs {
		seen[r.BlueprintID] = true
		targets = append(targets, poll.Target{RunID: r.ID, BlueprintID: r.BlueprintID, Title: r.Title, StepCount: r.StepCount, NonBlocking: nonBlocking[r.BlueprintID]})
	}
	var missing []result.Run
	for _, id := range g.cfg.BlueprintIDs {
		if !seen[id] {
			missing = append(missing, result.Run{BlueprintID: id, Verdict: result.Error, NonBlocking: nonBlocking[id],
				Reason: "DocketQA started no run for this blueprint: check that the id exists and belongs to the API key's company"})
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(g.stderr, "docketqa-gate: warning: the trigger answer has no run for %d of %d blueprint(s)\n", len(missing), len(g.cfg.BlueprintIDs))
	}
	return targets, missing
}

func (g *gate) untriggered(reason string) []result.Run {
	runs := make([]result.Run, len(g.cfg.BlueprintIDs))
	for i, id := range g.cfg.BlueprintIDs {
		runs[i] = result.Run{BlueprintID: id, Verdict: result.Error, Reason: "not triggered: " + reason}
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
	var buf bytes.Buffer
	if err := junit.Write(&buf, set); err != nil {
		writeErrs = append(writeErrs, fmt.Errorf("build JUnit report: %w", err))
	} else if err := atomicfile.Write(g.cfg.JUnitPath, buf.Bytes()); err != nil {
		writeErrs = append(writeErrs, fmt.Errorf("JUnit report (--junit / DOCKETQA_JUNIT): %w", err))
	}
	if g.cfg.SummaryPath != "" {
		md := summary.Render(set, summary.Options{})
		if err := atomicfile.Append(g.cfg.SummaryPath, []byte(md)); err != nil {
			writeErrs = append(writeErrs, fmt.Errorf("summary (--summary / DOCKETQA_SUMMARY): %w", err))
		}
	}
	outs := ci.OutputsFrom(set, g.cfg.JUnitPath, g.cfg.ResultsJSONPath)
	if g.cfg.DotenvPath != "" {
		if err := ci.WriteDotenv(g.cfg.DotenvPath, outs); err != nil {
			writeErrs = append(writeErrs, fmt.Errorf("dotenv (--dotenv / DOCKETQA_DOTENV): %w", err))
		}
	}
	if err := g.rep.SetOutputs(outs); err != nil {
		writeErrs = append(writeErrs, fmt.Errorf("GitHub outputs: %w", err))
	}
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
