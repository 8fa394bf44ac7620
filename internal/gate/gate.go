// Package gate is the conductor: everything between a validated
// configuration and a finished result set. It triggers the blueprints (or
// takes the runs of an earlier --detach), waits for every run through the
// poller, reruns failures, and says why it stopped. It prints nothing and
// writes no file: what it has to say goes to an event.Sink, and what it
// learned comes back as an Outcome, which result.Judge (with Policy) turns
// into the one verdict that main publishes and exits with.
//
// Identity is decided here, once: which test run belongs to which
// blueprint comes from the blueprints the user asked for and the trigger
// answer (or the manifest) together, never from a poll answer. A run the
// trigger answer assigns to a blueprint nobody asked for is not polled, and
// reruns only ever trigger blueprints the user listed.
package gate

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/config"
	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/manifest"
	"github.com/docketqa-gate/docketqa-gate/internal/poll"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/version"
)

// API is what the conductor needs from DocketQA.
type API interface {
	Trigger(ctx context.Context, ids []int64) (*docketqa.GroupRun, error)
	poll.API
}

var _ API = (*docketqa.Client)(nil)

// Deps are the conductor's collaborators.
type Deps struct {
	API  API
	Sink event.Sink
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Manifest is the parsed --attach file; nil unless cfg.Attach is set.
	Manifest *manifest.Manifest
	// Strategy overrides the poller's strategy (tests); nil is the default.
	Strategy poll.Strategy
	// OnDelay, when set, hears each poll delay chosen and why (--debug).
	OnDelay func(t poll.Target, d time.Duration, why string)
	// Forecast tells the poller what earlier invocations saw of a
	// blueprint (--history); nil means a cold start.
	Forecast func(poll.Target) poll.Forecast
	// Evidence, when set, is handed every run the moment it is final, so
	// screenshots and videos of a failure download while the other runs
	// are still polled.
	Evidence Evidence
}

// Evidence saves what a run left behind (see package artifacts).
type Evidence interface {
	Add(ctx context.Context, r result.Run)
}

// Outcome is what Run learned.
type Outcome struct {
	Set  result.Set
	Stop result.Stop
	// Err says, for the user, why the gate could not reach a verdict on
	// every run (deadline, interruption, refused key, failed trigger or
	// rerun); nil when it could. It has already been reported when Stop is
	// result.StopTriggerFailed.
	Err error
	// Manifest is what --detach must record; set only when Stop is
	// result.StopDetached.
	Manifest *manifest.Manifest
	// Deadline is when --timeout ends: what is left to do after the
	// verdict (evidence downloads) must not run past it.
	Deadline time.Time
	// Cause is why runs got no verdict when the stop explains it (a
	// refused key, a failed trigger, the deadline, an interruption), with
	// its advice; empty otherwise.
	Cause event.Cause
}

// Policy is what cfg says about runs that do not pass, for the Judge.
func Policy(cfg config.Config) result.Policy {
	return result.Policy{AllowNoVerdict: !cfg.FailOnNoVerdict, AllowMissing: !cfg.FailOnMissing, NonBlocking: cfg.NonBlockingIDs}
}

// Run triggers (or attaches to) the configured runs and waits for them.
func Run(ctx context.Context, cfg config.Config, d Deps) Outcome {
	if d.Now == nil {
		d.Now = time.Now
	}
	c := &conductor{cfg: cfg, d: d, nonBlocking: idSet(cfg.NonBlockingIDs), ctx: ctx}
	return c.run(ctx)
}

type conductor struct {
	cfg         config.Config
	d           Deps
	nonBlocking map[int64]bool
	// requested are the blueprints the user asked for: the configured ids,
	// or those of the manifest with --attach.
	requested []int64
	// ctx is the gate's own context (interruption, not the deadline), for
	// evidence downloads.
	ctx      context.Context
	deadline time.Time
}

func (c *conductor) emit(e event.Event) { c.d.Sink.Emit(e) }

func (c *conductor) run(ctx context.Context) Outcome {
	out := c.conduct(ctx)
	out.Deadline = c.deadline
	if c.d.Evidence != nil {
		// Runs that ended without a verdict never passed through the
		// poller's OnFinish; the evidence saver ignores a run twice.
		for _, r := range out.Set.Runs {
			c.d.Evidence.Add(ctx, r)
		}
	}
	return out
}

func (c *conductor) conduct(ctx context.Context) Outcome {
	start := c.d.Now()
	// The deadline covers everything up to the verdict: trigger, polling
	// and reruns.
	deadline := start.Add(c.cfg.Timeout)
	c.deadline = deadline
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	set := result.Set{Started: start.UTC()}
	var targets []poll.Target
	var missing []result.Run
	if m := c.d.Manifest; m != nil {
		// The link is rebuilt, never taken from the file.
		set.GroupRunID, set.GroupRunName, set.GroupRunURL = m.GroupRunID, m.GroupRunName, c.dashboardURL(m.GroupRunID)
		for _, r := range m.Runs {
			c.requested = appendUnique(c.requested, r.BlueprintID)
		}
		for _, id := range m.MissingBlueprintIDs {
			c.requested = appendUnique(c.requested, id)
		}
		c.emit(c.plan(m))
		targets, missing = c.fromManifest(m)
	} else {
		c.requested = c.cfg.BlueprintIDs
		c.emit(c.plan(nil))
		grp, err := c.d.API.Trigger(dctx, c.requested)
		if err != nil {
			failed := c.triggerFailed(0, len(c.requested), err)
			c.emit(failed)
			set.Runs = c.untriggered(err)
			set.Elapsed = c.d.Now().Sub(start)
			if ctx.Err() != nil {
				return Outcome{Set: set, Stop: result.StopInterrupted, Err: fmt.Errorf("interrupted while triggering: %w", err),
					Cause: event.Cause{What: "the gate was interrupted while triggering"}}
			}
			return Outcome{Set: set, Stop: result.StopTriggerFailed, Err: fmt.Errorf("trigger failed: %w", err), Cause: failed.Cause}
		}
		set.GroupRunID, set.GroupRunName = grp.ID, string(grp.Name)
		set.GroupRunURL = c.dashboardURL(grp.ID)
		c.emit(event.Triggered{GroupRunID: grp.ID, URL: set.GroupRunURL, Runs: len(grp.Runs)})
		targets, missing = c.targets(grp, c.requested)
		if c.cfg.Detach != "" {
			set.Elapsed = c.d.Now().Sub(start)
			return Outcome{Set: set, Stop: result.StopDetached, Manifest: c.manifest(set, targets, missing)}
		}
	}
	out := c.wait(ctx, targets, deadline, c.cfg.RerunFailed == 0)
	set.Runs = append(out.Runs, missing...)
	stop, err := c.stopped(out, set.GroupRunURL)
	if stop == result.StopFinished {
		set.Runs, stop, err = c.rerun(ctx, set.Runs, deadline)
	}
	set.Elapsed = c.d.Now().Sub(start)
	return Outcome{Set: set, Stop: stop, Err: err, Cause: c.cause(stop, err, set.GroupRunURL)}
}

// cause names why polling stopped short of a verdict, with its advice.
func (c *conductor) cause(stop result.Stop, err error, groupURL string) event.Cause {
	switch stop {
	case result.StopAuthRefused:
		return c.triggerCause(err)
	case result.StopDeadline:
		var de *DeadlineError
		if errors.As(err, &de) {
			return event.Cause{What: fmt.Sprintf("the deadline of %s passed before every run finished", de.Timeout), Advice: de.Advice}
		}
	case result.StopInterrupted:
		return event.Cause{What: "the gate was interrupted", Advice: "the runs continue on DocketQA: " + groupURL}
	}
	return event.Cause{}
}

// DeadlineError is --timeout passing before every run finished. Advice
// says what to do, so each place that shows the error can show it too.
type DeadlineError struct {
	Timeout time.Duration
	Advice  string
}

func (e *DeadlineError) Error() string {
	return fmt.Sprintf("deadline of %s passed before every run finished (%s)", e.Timeout, e.Advice)
}

func (c *conductor) plan(m *manifest.Manifest) event.Plan {
	p := Plan(c.cfg)
	p.BlueprintIDs = c.requested
	if m != nil {
		p.GroupRunID, p.GroupRunURL, p.Runs = m.GroupRunID, c.dashboardURL(m.GroupRunID), len(m.Runs)
	}
	return p
}

// Plan describes what cfg asks for: with the report files (which the
// caller adds from the report table, publish.Plan) the whole output of
// --dry-run, and the first line of a real run.
func Plan(cfg config.Config) event.Plan {
	p := event.Plan{
		Version:      version.String(),
		Mode:         event.ModeTrigger,
		DryRun:       cfg.DryRun,
		BaseURL:      cfg.BaseURL,
		BlueprintIDs: cfg.BlueprintIDs,
		NonBlocking:  cfg.NonBlockingIDs,
		Timeout:      cfg.Timeout,
		PollInterval: cfg.PollInterval,
		MaxPoll:      cfg.MaxPollInterval,
		MaxParallel:  cfg.MaxParallel,
		RerunFailed:  cfg.RerunFailed,
		FailFast:     cfg.FailFast,
	}
	switch {
	case cfg.Attach != "":
		p.Mode, p.Manifest = event.ModeAttach, cfg.Attach
	case cfg.Detach != "":
		p.Mode, p.Manifest = event.ModeDetach, cfg.Detach
	}
	return p
}

// wait polls targets until each has a verdict or polling must stop.
// lastAttempt says whether a failure now is final; fail-fast only acts on
// final failures, so --fail-fast never skips a rerun.
func (c *conductor) wait(ctx context.Context, targets []poll.Target, deadline time.Time, lastAttempt bool) poll.Outcome {
	pollUntil, final := pollWindow(deadline, c.cfg.Timeout)
	return poll.Run(ctx, c.d.API, targets, poll.Options{
		Interval:          c.cfg.PollInterval,
		MaxInterval:       c.cfg.MaxPollInterval,
		MaxParallel:       c.cfg.MaxParallel,
		Deadline:          pollUntil,
		FinalFetchTimeout: final,
		Timeout:           c.cfg.Timeout,
		NotFoundGrace:     c.cfg.NotFoundGrace,
		FailFast:          c.cfg.FailFast && lastAttempt,
		ProgressInterval:  c.cfg.ProgressInterval,
		Strategy:          c.d.Strategy,
		Forecast:          c.d.Forecast,
		OnDelay:           c.d.OnDelay,
		OnFinish:          c.finished,
		OnProgress:        c.progress,
	})
}

// maxFinalFetch bounds the last look at unfinished runs.
const maxFinalFetch = 15 * time.Second

// pollWindow splits the time up to deadline between polling and the last
// look at every unfinished run, so that look too ends by --timeout: it
// gets a tenth of timeout, at most maxFinalFetch, and polling stops that
// much before the deadline.
func pollWindow(deadline time.Time, timeout time.Duration) (pollUntil time.Time, final time.Duration) {
	final = max(min(timeout/10, maxFinalFetch), time.Millisecond)
	return deadline.Add(-final), final
}

func (c *conductor) finished(r result.Run) {
	c.emit(event.RunFinished{Run: Policy(c.cfg).JudgeRun(r, result.StopFinished)})
	if c.d.Evidence != nil {
		c.d.Evidence.Add(c.ctx, r)
	}
}

func (c *conductor) progress(p poll.Progress) {
	names := make([]string, 0, len(p.Waiting))
	for _, t := range p.Waiting {
		names = append(names, result.Run{BlueprintID: t.BlueprintID, RunID: t.RunID, Title: t.Title, SharedBlueprint: t.SharedBlueprint}.Name())
	}
	c.emit(event.StillWaiting{Waiting: p.Total - p.Done, Total: p.Total, Names: names})
}

// stopped explains why polling ended early. Fail-fast is a verdict, not a
// problem: it is announced, and the outcome carries no error.
func (c *conductor) stopped(out poll.Outcome, groupURL string) (result.Stop, error) {
	switch out.Stop {
	case poll.AuthFailed:
		return result.StopAuthRefused, out.Err
	case poll.Interrupted:
		return result.StopInterrupted, errors.New("interrupted: reports written with unfinished runs marked; DocketQA has no cancel endpoint, so the runs continue there: " + groupURL)
	case poll.Deadline:
		hint := "raise --timeout / DOCKETQA_TIMEOUT if runs need longer"
		if !out.StillRunning {
			hint = "the runs were not seen running at the end: each run's reason in the reports names the last API answer"
		}
		return result.StopDeadline, &DeadlineError{Timeout: c.cfg.Timeout, Advice: hint}
	case poll.FailFast:
		c.emit(event.FailFastStopped{URL: groupURL})
		return result.StopFailFast, nil
	}
	return result.StopFinished, nil
}

// rerun re-triggers the failed blueprints up to --rerun-failed times and
// folds each new attempt into runs. A blueprint that passes on a rerun is a
// flaky pass; one that never passes stays failed, with every attempt
// listed.
func (c *conductor) rerun(ctx context.Context, runs []result.Run, deadline time.Time) ([]result.Run, result.Stop, error) {
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	for attempt := 1; attempt <= c.cfg.RerunFailed; attempt++ {
		ids := failedBlueprints(runs)
		if len(ids) == 0 {
			return runs, result.StopFinished, nil
		}
		if limit := c.cfg.RerunMaxFailures; limit > 0 && len(ids) > limit {
			// Reruns are paid browser runs: when many blueprints fail at
			// once, the cause is rarely flakiness.
			c.emit(event.RerunSkipped{Failed: len(ids), Max: limit})
			return runs, result.StopFinished, nil
		}
		c.emit(event.RerunStarted{Attempt: attempt, Of: c.cfg.RerunFailed, BlueprintIDs: ids})
		grp, err := c.d.API.Trigger(dctx, ids)
		if err != nil {
			c.emit(c.triggerFailed(attempt, len(ids), err))
			return runs, result.StopFinished, fmt.Errorf("rerun %d: trigger failed, keeping the earlier failures: %w", attempt, err)
		}
		url := c.dashboardURL(grp.ID)
		c.emit(event.Triggered{Rerun: attempt, GroupRunID: grp.ID, URL: url, Runs: len(grp.Runs)})
		targets, missing := c.targets(grp, ids)
		out := c.wait(ctx, targets, deadline, attempt == c.cfg.RerunFailed)
		runs = mergeRerun(runs, ids, append(out.Runs, missing...))
		if stop, err := c.stopped(out, url); stop != result.StopFinished {
			return runs, stop, err
		}
	}
	return runs, result.StopFinished, nil
}

// failedBlueprints lists, once each and in order, the blueprints with a
// blocking or non-blocking run that failed.
func failedBlueprints(runs []result.Run) []int64 {
	var ids []int64
	for _, r := range runs {
		if r.Verdict == result.Failed {
			ids = appendUnique(ids, r.BlueprintID)
		}
	}
	return ids
}

// mergeRerun folds the runs of a rerun into runs. A failure the gate has
// seen stands until every run of that blueprint's rerun has passed: only
// then, or when the rerun failed again, do the rerun's runs replace the
// earlier ones, which become earlier attempts of its first run. A rerun
// that left any run without a verdict and failed none (a partial answer,
// the deadline, API trouble) does not replace the known failure, whatever
// its other runs did: it is recorded as earlier attempts of each failed
// run, so the reports show both the failure and the unfinished rerun, and
// no policy about runs without a verdict can excuse the failure away.
func mergeRerun(runs []result.Run, ids []int64, next []result.Run) []result.Run {
	byBlueprint := make(map[int64][]result.Run, len(ids))
	for _, r := range next {
		byBlueprint[r.BlueprintID] = append(byBlueprint[r.BlueprintID], r)
	}
	rerun := idSet(ids)
	var out []result.Run
	done := make(map[int64]bool, len(ids))
	for i, r := range runs {
		bp := r.BlueprintID
		if !rerun[bp] {
			out = append(out, r)
			continue
		}
		if done[bp] {
			continue
		}
		done[bp] = true
		var prev []result.Run
		for _, p := range runs[i:] {
			if p.BlueprintID == bp {
				prev = append(prev, p)
			}
		}
		out = append(out, mergeBlueprint(prev, byBlueprint[bp])...)
	}
	return out
}

func mergeBlueprint(prev, next []result.Run) []result.Run {
	failedAgain := slices.ContainsFunc(next, func(r result.Run) bool { return r.Verdict == result.Failed })
	allPassed := len(next) > 0 && !slices.ContainsFunc(next, func(r result.Run) bool { return r.Verdict != result.Passed })
	if !failedAgain && !allPassed {
		for i := range prev {
			if prev[i].Verdict != result.Failed {
				continue
			}
			for _, n := range next {
				prev[i].Attempts++
				prev[i].Earlier = append(prev[i].Earlier, attemptOf(n))
			}
		}
		return prev
	}
	first := &next[0]
	var earlier []result.Attempt
	attempts := 0
	for _, p := range prev {
		earlier = append(earlier, p.Earlier...)
		earlier = append(earlier, attemptOf(p))
		attempts += max(p.Attempts, 1)
	}
	first.Earlier = slices.Concat(earlier, first.Earlier)
	first.Attempts += attempts
	for i := range next {
		next[i].NonBlocking = prev[0].NonBlocking
		// Every run here is a rerun after a failure: a pass is flaky.
		next[i].Flaky = next[i].Verdict == result.Passed
		if next[i].Title == "" {
			next[i].Title = prev[0].Title
		}
	}
	return next
}

func attemptOf(r result.Run) result.Attempt {
	return result.Attempt{Rerun: true, RunID: r.RunID, Status: r.Status, Verdict: r.Verdict, Reason: r.Reason, VideoURL: r.VideoURL}
}

// manifest records the triggered runs for a later --attach.
func (c *conductor) manifest(set result.Set, targets []poll.Target, missing []result.Run) *manifest.Manifest {
	m := &manifest.Manifest{GroupRunID: set.GroupRunID, GroupRunName: set.GroupRunName, DashboardURL: set.GroupRunURL, TriggeredAt: set.Started}
	for _, t := range targets {
		m.Runs = append(m.Runs, manifest.Run{RunID: t.RunID, BlueprintID: t.BlueprintID, Title: t.Title, StepCount: t.StepCount})
	}
	for _, r := range missing {
		m.MissingBlueprintIDs = append(m.MissingBlueprintIDs, r.BlueprintID)
	}
	return m
}

func (c *conductor) fromManifest(m *manifest.Manifest) ([]poll.Target, []result.Run) {
	targets := make([]poll.Target, len(m.Runs))
	for i, r := range m.Runs {
		targets[i] = poll.Target{RunID: r.RunID, BlueprintID: r.BlueprintID, Title: r.Title, StepCount: r.StepCount, NonBlocking: c.nonBlocking[r.BlueprintID]}
	}
	markShared(targets)
	var missing []result.Run
	for _, id := range m.MissingBlueprintIDs {
		missing = append(missing, c.missingRun(id))
	}
	return targets, missing
}

func (c *conductor) missingRun(id int64) result.Run {
	return result.Run{BlueprintID: id, Verdict: result.Error, NonBlocking: c.nonBlocking[id], Attempts: 1, Missing: true,
		Reason: "DocketQA started no run for this blueprint: check that the id exists and belongs to the API key's company"}
}

// targets maps a trigger answer to the runs to poll. Every run the answer
// lists for a requested blueprint is polled, several per blueprint
// included; a requested blueprint with no run (unknown id, no access, or a
// partial answer) becomes an error result, so it cannot vanish from the
// reports; a run for a blueprint nobody asked for is left alone.
func (c *conductor) targets(grp *docketqa.GroupRun, requested []int64) ([]poll.Target, []result.Run) {
	want := idSet(requested)
	seen := make(map[int64]bool, len(grp.Runs))
	targets := make([]poll.Target, 0, len(grp.Runs))
	var foreign event.UnrequestedRuns
	for _, r := range grp.Runs {
		if !want[r.BlueprintID] {
			foreign.RunIDs = append(foreign.RunIDs, r.ID)
			foreign.BlueprintIDs = append(foreign.BlueprintIDs, r.BlueprintID)
			continue
		}
		seen[r.BlueprintID] = true
		targets = append(targets, poll.Target{RunID: r.ID, BlueprintID: r.BlueprintID, Title: string(r.Title), StepCount: r.StepCount,
			NonBlocking: c.nonBlocking[r.BlueprintID]})
	}
	markShared(targets)
	if len(foreign.RunIDs) > 0 {
		c.emit(foreign)
	}
	var missing []result.Run
	var missingIDs []int64
	for _, id := range requested {
		if !seen[id] {
			missing = append(missing, c.missingRun(id))
			missingIDs = append(missingIDs, id)
		}
	}
	if len(missing) > 0 {
		c.emit(event.MissingRuns{BlueprintIDs: missingIDs, Requested: len(requested)})
	}
	return targets, missing
}

// markShared flags the targets whose blueprint has more than one run, so
// each gets a distinct name in the reports.
func markShared(targets []poll.Target) {
	count := make(map[int64]int, len(targets))
	for _, t := range targets {
		count[t.BlueprintID]++
	}
	for i := range targets {
		targets[i].SharedBlueprint = count[targets[i].BlueprintID] > 1
	}
}

// untriggered gives every blueprint an error result when the trigger
// failed, worded by whether runs may have started anyway.
func (c *conductor) untriggered(err error) []result.Run {
	reason := "not triggered: " + err.Error()
	var ue *docketqa.UncertainTriggerError
	if errors.As(err, &ue) {
		reason = "trigger outcome unknown (runs may have started): " + err.Error()
	}
	runs := make([]result.Run, len(c.requested))
	for i, id := range c.requested {
		runs[i] = result.Run{BlueprintID: id, Verdict: result.Error, Attempts: 1, NonBlocking: c.nonBlocking[id], Reason: reason}
	}
	return runs
}

func (c *conductor) triggerFailed(rerun, blueprints int, err error) event.TriggerFailed {
	var ue *docketqa.UncertainTriggerError
	var te *docketqa.TransportError
	return event.TriggerFailed{
		Rerun:       rerun,
		Blueprints:  blueprints,
		Err:         err,
		Uncertain:   errors.As(err, &ue),
		Unreachable: errors.As(err, &te) && te.NotSent,
		Cause:       c.triggerCause(err),
	}
}

// UnreachableAdvice is what to check when no connection to the API could
// be made.
const UnreachableAdvice = "check --base-url / DOCKETQA_BASE_URL, DNS, the proxy variables (HTTPS_PROXY, NO_PROXY) and any firewall between this runner and the API"

// triggerCause names an API error that stopped the gate, with its advice:
// a refused key, an unreachable API, a trigger whose outcome is unknown.
func (c *conductor) triggerCause(err error) event.Cause {
	var ae *docketqa.APIError
	var te *docketqa.TransportError
	var ue *docketqa.UncertainTriggerError
	switch {
	case errors.As(err, &ae) && ae.Auth():
		return event.Cause{What: fmt.Sprintf("DocketQA refused the API key (HTTP %d)", ae.StatusCode), Advice: docketqa.AuthAdvice}
	case errors.As(err, &ue):
		return event.Cause{What: "the trigger's outcome is unknown (the runs may have started)",
			Advice: "check the DocketQA dashboard before re-running, since another trigger starts a second set of runs"}
	case errors.As(err, &te) && te.Certificate:
		return event.Cause{What: "could not reach " + c.cfg.BaseURL + ": its TLS certificate is not trusted",
			Advice: "if a proxy or a private CA signs it, point SSL_CERT_FILE at that CA's certificate"}
	case errors.As(err, &te) && te.NotSent:
		return event.Cause{What: "could not reach " + c.cfg.BaseURL, Advice: UnreachableAdvice}
	case err != nil:
		return event.Cause{What: "the trigger failed: " + docketqa.Reason(err)}
	}
	return event.Cause{}
}

// dashboardURL is the group run's page, built from --dashboard-url and the
// numeric id only: no link read from a manifest or an API answer ever
// reaches an output, where a later step may paste it into a script.
func (c *conductor) dashboardURL(id int64) string {
	return GroupRunURL(c.cfg.DashboardURL, id)
}

// GroupRunURL is the dashboard page of group run id under the dashboard
// root, parsed and re-serialised by net/url: "" unless root is an http(s)
// URL with a host, no credentials, query or fragment, a host of letters,
// digits, dots, hyphens (and colons, for IPv6) and a path of letters,
// digits and -._~/ only, and id is positive. The configuration refuses
// other roots already; this is defence in depth, because net/url keeps
// characters such as $ ( ) ' that a shell acts on, and the link becomes a
// step output that later steps may paste into a script.
func GroupRunURL(root string, id int64) string {
	u, err := url.Parse(root)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" || id <= 0 ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.RawPath != "" ||
		!onlyRunes(u.Hostname(), "-.:") || !onlyRunes(u.Path, "-._~/") {
		return ""
	}
	return u.JoinPath("dashboard", "grouprun", strconv.FormatInt(id, 10)).String()
}

// onlyRunes reports whether s holds only ASCII letters, digits and the
// runes of extra.
func onlyRunes(s, extra string) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune(extra, r)) {
			return false
		}
	}
	return true
}

func idSet(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func appendUnique(ids []int64, id int64) []int64 {
	if slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}
