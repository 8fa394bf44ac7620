package ci

import (
	"crypto/rand"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/bound"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/text"
)

// program prefixes the lines the gate writes to stderr.
const program = "docketqa-gate"

// Debug says whether and how debug lines are printed.
type Debug int

// The debug modes. DebugRunner is GitHub's "re-run with debug logging"
// (RUNNER_DEBUG=1): lines take the platform's own debug form where it has
// one (GitHub's ::debug:: commands, which it shows only with step debug
// logging on), else they are plain. DebugPlain is an explicit --debug:
// plain "debug:" lines every CI shows.
const (
	DebugOff Debug = iota
	DebugPlain
	DebugRunner
)

// Sink is the gate's one voice: every line the gate prints, on stdout and
// stderr, comes from here. It implements event.Sink and alone decides
// format and escaping; what only one platform shows (masks, groups,
// annotations, step outputs) it renders through that platform's adapter,
// never asking which one it is.
//
// Every line goes through safeLine and starts with text of the gate's own,
// so API text can neither start a line, nor carry a control character, nor
// contain a sequence a CI runner acts on. Writes never fail: a closed or
// broken stdout or stderr is recorded (Err) and later writes are dropped,
// so the gate still writes its reports and exits with its verdict.
type Sink struct {
	mu    sync.Mutex
	c     *console
	a     adapter
	errw  *logWriter
	debug Debug
}

var _ event.Sink = (*Sink)(nil)

// Option configures a Sink.
type Option func(*Sink)

// WithDebug turns on debug lines.
func WithDebug(d Debug) Option { return func(s *Sink) { s.debug = d } }

// WithNow replaces the clock that stamps GitLab log sections, for
// deterministic tests.
func WithNow(now func() time.Time) Option { return func(s *Sink) { s.c.now = now } }

// NewSink returns the sink for platform p, rendering through p's adapter
// from the one table (plain text for a platform it does not list). It
// prints nothing, so Mask can still come before any other output.
func NewSink(p Platform, stdout, stderr io.Writer, getenv func(string) string, opts ...Option) *Sink {
	s := &Sink{
		c: &console{out: &logWriter{w: stdout}, getenv: getenv, now: time.Now, random: rand.Reader},
		// Warnings and errors can echo inputs of any size: stderr as
		// a whole stays within bound.Stderr.
		errw: &logWriter{w: stderr, limit: bound.Stderr},
	}
	for _, o := range opts {
		o(s)
	}
	s.a = adapterFor(p).open(s.c)
	return s
}

// Mask registers a secret (the API key, the GitHub token): every
// platform's lines are redacted of it in any letter case from here on,
// and the platform masks it where it can (GitHub). Call it first, once per
// secret.
func (s *Sink) Mask(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if secret == "" {
		return
	}
	s.c.secrets = s.c.secrets.With(secret)
	s.a.mask(secret)
}

// SetOutputs publishes the step outputs where the platform reads them
// from the job (GitHub's $GITHUB_OUTPUT); elsewhere it does nothing.
func (s *Sink) SetOutputs(o Outputs) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.a.setOutputs(o)
}

// Err returns the first error writing stdout, else stderr, if any.
func (s *Sink) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c.out.err != nil {
		return s.c.out.err
	}
	return s.errw.err
}

// out prints one stdout line.
func (s *Sink) out(format string, args ...any) {
	s.c.line(fmt.Sprintf(format, args...))
}

// errf prints one stderr line behind the program's name.
func (s *Sink) errf(format string, args ...any) {
	fmt.Fprintln(s.errw, s.c.safe(program+": "+fmt.Sprintf(format, args...)))
}

// warn says something odd but not fatal: a warning annotation where the
// platform shows one (whose line the log shows too), else a warning line
// on stderr, which also keeps later ones within stderr's bound.
func (s *Sink) warn(title, msg string) {
	if !s.a.warning(title, msg) {
		s.errf("warning: %s", msg)
	}
}

// Emit prints e.
func (s *Sink) Emit(e event.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e := e.(type) {
	case event.Text:
		// Gate-owned text (--help, --version), printed line by line.
		for _, l := range strings.Split(strings.TrimSuffix(e.Text, "\n"), "\n") {
			s.c.line(l)
		}
	case event.ConfigError:
		for _, p := range e.Problems {
			s.errf("%s", p)
		}
		s.errf("run %s --help for every setting", program)
		s.a.errorAnnotation(program+" configuration", strings.Join(e.Problems, "; "))
	case event.Plan:
		s.plan(e)
	case event.Demo:
		s.out("demo: simulated DocketQA API at %s (scenario %q); its links work only while the demo runs", e.URL, e.Scenario)
	case event.Triggered:
		if e.Rerun == 0 {
			s.out("triggered group run %d with %d test run(s): %s", e.GroupRunID, e.Runs, e.URL)
		} else {
			s.out("rerun %d: group run %d with %d test run(s): %s", e.Rerun, e.GroupRunID, e.Runs, e.URL)
		}
	case event.TriggerFailed:
		s.triggerFailed(e)
	case event.MissingRuns:
		s.warn(program+": runs missing", fmt.Sprintf("the trigger answer has no run for %d of %d blueprint(s): %s", len(e.BlueprintIDs), e.Requested, joinIDs(e.BlueprintIDs)))
	case event.UnrequestedRuns:
		s.warn(program+": unrequested runs", fmt.Sprintf("the trigger answer lists %d run(s) for blueprints that were not requested (%s); they are not polled or reported",
			len(e.RunIDs), joinIDs(e.BlueprintIDs)))
	case event.RunFinished:
		s.runFinished(e.Run)
	case event.StillWaiting:
		more := ""
		if e.Waiting > len(e.Names) {
			more = fmt.Sprintf(" and %d more", e.Waiting-len(e.Names))
		}
		s.out("… still waiting on %d of %d: %s%s", e.Waiting, e.Total, strings.Join(e.Names, ", "), more)
	case event.RerunStarted:
		s.out("rerun %d of %d: re-triggering %d failed blueprint(s): %s", e.Attempt, e.Of, len(e.BlueprintIDs), joinIDs(e.BlueprintIDs))
	case event.RerunSkipped:
		s.out("not rerunning: %d blueprints failed, more than --rerun-max-failures %d; with that many failures the cause is rarely flakiness", e.Failed, e.Max)
	case event.FailFastStopped:
		s.out("fail-fast: a run failed; not waiting for the others (they continue on DocketQA: %s)", e.URL)
	case event.Interrupted:
		s.errf("received %s: stopping, writing reports (send again to exit at once)", e.Signal)
	case event.Detached:
		s.out("detached: %d test run(s) recorded in %s; wait for them with --attach %s", e.Runs, e.Path, e.Path)
	case event.Verdict:
		s.verdict(e)
	case event.ReportWritten:
		if e.Err != nil {
			s.errf("cannot write report: %v", e.Err)
			s.out("%s: %s (not written)", e.Kind, e.Path)
		} else {
			s.out("%s: %s", e.Kind, e.Path)
		}
	case event.Evidence:
		if e.Problems {
			s.warn(program+": evidence", "evidence: "+e.Text)
		} else {
			s.out("evidence: %s", e.Text)
		}
	case event.Warning:
		// The pull-request comment titles its own warnings.
		title := program
		if e.Title != "" {
			title = e.Title
		}
		s.warn(title, e.Text)
	case event.Notice:
		s.errf("%s", e.Text)
	case event.Fatal:
		s.errf("%v", e.Err)
	case event.Debug:
		switch {
		case s.debug == DebugOff:
		case s.debug == DebugRunner && s.a.debug(e.Text):
			// Printed in the platform's own form (GitHub's ::debug::).
		default:
			s.out("debug: %s", e.Text)
		}
	}
}

func (s *Sink) plan(p event.Plan) {
	polling := fmt.Sprintf("polling each run every %s to %s, at most %d requests in flight", p.PollInterval, p.MaxPoll, p.MaxParallel)
	deadline := fmt.Sprintf("deadline %s", p.Timeout)
	if !p.DryRun {
		switch p.Mode {
		case event.ModeAttach:
			s.out("%s %s: waiting for group run %d (%d test run(s)) from %s: %s; %s, %s", program, p.Version, p.GroupRunID, p.Runs, p.Manifest, p.GroupRunURL, deadline, polling)
		case event.ModeDetach:
			s.out("%s %s: triggering %d blueprint(s) on %s, then recording them in %s without waiting", program, p.Version, len(p.BlueprintIDs), p.BaseURL, p.Manifest)
		default:
			s.out("%s %s: triggering %d blueprint(s) on %s; %s, %s", program, p.Version, len(p.BlueprintIDs), p.BaseURL, deadline, polling)
		}
		return
	}
	s.out("dry run: configuration is valid; nothing will be triggered")
	switch p.Mode {
	case event.ModeAttach:
		s.out("  mode:              wait for the runs recorded in %s", p.Manifest)
	case event.ModeDetach:
		s.out("  mode:              trigger, record the runs in %s, exit without waiting", p.Manifest)
	default:
		s.out("  mode:              trigger and wait")
	}
	s.out("  API base URL:      %s", p.BaseURL)
	if p.Mode != event.ModeAttach {
		s.out("  blueprints (%d):    %s", len(p.BlueprintIDs), joinIDs(p.BlueprintIDs))
	}
	if len(p.NonBlocking) > 0 {
		s.out("  non-blocking:      %s", joinIDs(p.NonBlocking))
	}
	s.out("  deadline:          %s", p.Timeout)
	s.out("  polling:           checks %s to %s apart per run, at most %d requests in flight", p.PollInterval, p.MaxPoll, p.MaxParallel)
	s.out("  reruns of failed:  %d; fail fast: %v", p.RerunFailed, p.FailFast)
	for _, r := range p.Reports {
		s.out("  %-18s %s", r.Kind+":", orNone(r.Path))
	}
}

func (s *Sink) triggerFailed(e event.TriggerFailed) {
	what := "trigger failed"
	if e.Rerun > 0 {
		what = fmt.Sprintf("rerun %d: trigger failed", e.Rerun)
	}
	// The advice of a refused key or an uncertain trigger is in the
	// error's own text; an unreachable API's is added here.
	var hint string
	if e.Unreachable && !e.Uncertain && e.Cause.Advice != "" {
		hint = "; " + e.Cause.Advice
	}
	msg := fmt.Sprintf("%s for %s: %v%s", what, plural(e.Blueprints, "blueprint", "blueprints"), e.Err, hint)
	s.errf("%s", msg)
	title := program + " trigger"
	if e.Cause.What != "" {
		title = program + ": " + e.Cause.What
	}
	s.a.errorAnnotation(title, msg)
}

func (s *Sink) runFinished(r result.Judged) {
	line := fmt.Sprintf("%s %s  %s in %s", mark(r.Kind), r.Kind, r.Name(), r.Duration.Round(time.Second))
	if r.Flaky {
		line += fmt.Sprintf(" (flaky: passed after %d attempts)", r.Attempts)
	}
	if r.Kind == result.KindPassed && r.FailedStep() != nil {
		line += fmt.Sprintf(" (warning: DocketQA reports step %d unsuccessful)", r.FailedStep().Number)
	}
	if r.Reason != "" {
		line += ": " + r.Reason
	}
	s.out("%s", line)
}

func (s *Sink) verdict(e event.Verdict) {
	v := e.Verdict
	if !v.Untriggered() {
		s.details(v.Runs)
		// The cause first: it explains every run annotation after it,
		// and must not be the one GitHub drops past its limit. A failed
		// trigger's annotation already named it.
		if e.Cause.What != "" && v.Tally.NoVerdict > 0 {
			s.annotateCause(e.Cause, v.Runs)
		}
		s.annotateRuns(v.Runs)
	}
	t := v.Tally
	line := fmt.Sprintf("verdict: %s: %d passed, %d failed, %d without verdict", v.Outcome, t.Passed, t.Failed, t.NoVerdict)
	if t.NotAwaited > 0 {
		line += fmt.Sprintf(", %d not awaited", t.NotAwaited)
	}
	if t.NonBlockingFailed > 0 {
		line += fmt.Sprintf(", %d non-blocking failure(s)", t.NonBlockingFailed)
	}
	if t.Flaky > 0 {
		line += fmt.Sprintf(", %d flaky", t.Flaky)
	}
	s.out("%s (%d run(s) in %s)", line, t.Total, v.Set.Elapsed.Round(time.Second))
	if t.PassedWithFailedSteps > 0 {
		s.warn(program+": unsuccessful steps", fmt.Sprintf("%s passed although DocketQA marked a step unsuccessful; see the reports",
			plural(t.PassedWithFailedSteps, "run", "runs")))
	}
	if v.Set.GroupRunURL != "" {
		s.out("group run: %s", v.Set.GroupRunURL)
	}
}

// details prints one collapsible block per run that did not pass, with
// its steps, reason and video link, so the log explains a red gate without
// a trip to the dashboard. Passing runs are left to the summary.
func (s *Sink) details(runs []result.Judged) {
	for i, run := range runs {
		if run.Kind != result.KindPassed {
			s.a.group(i, run.Run, s.c.safe(runHeader(run)), runBody(run.Run))
		}
	}
}

// annotateCause annotates why runs have no verdict, where the platform
// has annotations.
func (s *Sink) annotateCause(c event.Cause, runs []result.Judged) { s.a.annotateCause(c, runs) }

// annotateRuns annotates the runs that did not pass, where the platform
// has annotations.
func (s *Sink) annotateRuns(runs []result.Judged) { s.a.annotateRuns(runs) }

// runHeader is the one-line title of a run's block: its mark and the
// Judge's label. It starts with a mark so that no run title can begin a
// line with "::".
func runHeader(run result.Judged) string {
	return mark(run.Kind) + " " + text.Line(run.Label, 0)
}

// mark is the log's sign for each kind, in front of the kind's word (a
// switch, not a map, so nothing is built at start-up).
func mark(k result.Kind) string {
	switch k {
	case result.KindPassed:
		return "✓"
	case result.KindNoVerdict:
		return "!"
	case result.KindNotAwaited:
		return "-"
	default: // failed, non-blocking failure
		return "✗"
	}
}

// runBody returns the lines of a run's block. Every value from the API is
// forced onto one line behind a fixed prefix, so it cannot forge CI
// commands or sections.
func runBody(run result.Run) []string {
	var lines []string
	for _, s := range run.Steps {
		mark := "✓"
		if !s.OK {
			mark = "✗"
		}
		line := fmt.Sprintf("%s step %d (%s): %s", mark, s.Number, formatDuration(s.Duration), text.Line(s.Task, 0))
		if res := text.Line(s.Result, 0); res != "" {
			line += " — " + res
		}
		lines = append(lines, line)
	}
	if len(run.Steps) == 0 {
		lines = append(lines, "no steps reported")
	}
	if reason := text.Line(run.Reason, 0); reason != "" {
		lines = append(lines, "reason: "+reason)
	}
	if video := text.Line(run.VideoURL, 0); video != "" {
		lines = append(lines, "video: "+video)
	}
	return lines
}

// formatDuration rounds d to what a human reads in a log line.
func formatDuration(d time.Duration) string {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// joinIDs lists ids for a log line: at most bound.MaxItems of them, then
// how many more, since an API answer can list thousands.
func joinIDs(ids []int64) string {
	s := make([]string, min(len(ids), bound.MaxItems+1))
	for i := range s {
		s[i] = strconv.FormatInt(ids[i], 10)
	}
	if len(ids) > bound.MaxItems {
		s[bound.MaxItems] = fmt.Sprintf("… and %d more", len(ids)-bound.MaxItems)
	}
	return strings.Join(s, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
