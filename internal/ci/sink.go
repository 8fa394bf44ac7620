package ci

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/bound"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// program prefixes the lines the gate writes to stderr.
const program = "docketqa-gate"

// Debug says whether and how debug lines are printed.
type Debug int

// The debug modes. DebugRunner is GitHub's "re-run with debug logging"
// (RUNNER_DEBUG=1): lines become ::debug:: commands, which GitHub shows
// only with step debug logging on. DebugPlain is an explicit --debug:
// plain "debug:" lines every CI shows.
const (
	DebugOff Debug = iota
	DebugPlain
	DebugRunner
)

// Sink is the gate's one voice: every line the gate prints, on stdout and
// stderr, comes from here. It implements event.Sink for one platform and
// alone decides format and escaping; on GitHub it also writes workflow
// commands (masks, groups, annotations) and step outputs.
//
// Every line goes through safeLine and starts with text of the gate's own,
// so API text can neither start a line, nor carry a control character, nor
// contain a sequence a CI runner acts on. Writes never fail: a closed or
// broken stdout or stderr is recorded (Err) and later writes are dropped,
// so the gate still writes its reports and exits with its verdict.
type Sink struct {
	mu    sync.Mutex
	rep   *Reporter
	errw  *logWriter
	debug Debug
}

var _ event.Sink = (*Sink)(nil)

// SinkOption configures a Sink.
type SinkOption func(*Sink)

// WithDebug turns on debug lines.
func WithDebug(d Debug) SinkOption { return func(s *Sink) { s.debug = d } }

// NewSink returns the sink for platform p. Options for the underlying
// Reporter (clock, annotation policy) are passed through.
func NewSink(p Platform, stdout, stderr io.Writer, getenv func(string) string, opts []Option, sopts ...SinkOption) *Sink {
	// Warnings and errors can echo inputs of any size: stderr as a whole
	// stays within bound.Stderr.
	s := &Sink{rep: NewReporter(p, stdout, getenv, opts...), errw: &logWriter{w: stderr, limit: bound.Stderr}}
	for _, o := range sopts {
		o(s)
	}
	return s
}

// Mask registers the API key: GitHub masks it from here on, and every
// platform's lines are redacted of it in any letter case. Call it first.
func (s *Sink) Mask(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rep.Mask(secret)
}

// SetOutputs publishes the step outputs on GitHub (see Reporter.SetOutputs).
func (s *Sink) SetOutputs(o Outputs) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rep.SetOutputs(o)
}

// Err returns the first error writing stdout, else stderr, if any.
func (s *Sink) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.rep.Err(); err != nil {
		return err
	}
	return s.errw.err
}

// out prints one stdout line.
func (s *Sink) out(format string, args ...any) {
	fmt.Fprintln(s.rep.out, s.rep.safe(fmt.Sprintf(format, args...)))
}

// errf prints one stderr line behind the program's name.
func (s *Sink) errf(format string, args ...any) {
	fmt.Fprintln(s.errw, s.rep.safe(program+": "+fmt.Sprintf(format, args...)))
}

// annotate prints a GitHub error annotation with a title; elsewhere nothing.
func (s *Sink) annotate(title, msg string) {
	if s.rep.gh == nil {
		return
	}
	s.rep.errorAnnotation(title, msg)
}

// warn says something odd but not fatal: on GitHub a warning annotation
// (whose line the log shows too), elsewhere a warning line on stderr.
// GitHub shows at most maxAnnotations warnings per step, so later ones
// are plain stderr lines, which also keeps them within stderr's bound.
func (s *Sink) warn(title, msg string) {
	if s.rep.gh == nil || s.rep.warningsShown >= maxAnnotations {
		s.errf("warning: %s", msg)
		return
	}
	s.rep.warningAnnotation(title, msg)
}

// Emit prints e.
func (s *Sink) Emit(e event.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e := e.(type) {
	case event.Text:
		// Gate-owned text (--help, --version), printed line by line.
		for _, l := range strings.Split(strings.TrimSuffix(e.Text, "\n"), "\n") {
			fmt.Fprintln(s.rep.out, s.rep.safe(l))
		}
	case event.ConfigError:
		for _, p := range e.Problems {
			s.errf("%s", p)
		}
		s.errf("run %s --help for every setting", program)
		s.annotate(program+" configuration", strings.Join(e.Problems, "; "))
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
		case s.debug == DebugRunner && s.rep.gh != nil:
			s.rep.gh.Debugf("%s", s.rep.safe(e.Text))
		case s.debug != DebugOff:
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
	s.annotate(title, msg)
}

func (s *Sink) runFinished(r result.Run) {
	mark := map[result.Kind]string{
		result.KindPassed: "✓ passed", result.KindFailed: "✗ failed", result.KindNoVerdict: "! error ",
		result.KindNotAwaited: "- not awaited", result.KindNonBlocking: "✗ failed (non-blocking)",
	}[result.KindOf(r)]
	line := fmt.Sprintf("%s  %s in %s", mark, r.Name(), r.Duration.Round(time.Second))
	if r.Flaky {
		line += fmt.Sprintf(" (flaky: passed after %d attempts)", r.Attempts)
	}
	if r.Verdict == result.Passed && r.FailedStep() != nil {
		line += fmt.Sprintf(" (warning: DocketQA reports step %d unsuccessful)", r.FailedStep().Number)
	}
	if r.Reason != "" {
		line += ": " + r.Reason
	}
	s.out("%s", line)
}

func (s *Sink) verdict(e event.Verdict) {
	if !e.Untriggered {
		s.rep.Details(e.Set.Runs)
		// The cause first: it explains every run annotation after it,
		// and must not be the one GitHub drops past its limit. A failed
		// trigger's annotation already named it.
		if e.Cause.What != "" && e.Tally.NoVerdict > 0 {
			s.rep.AnnotateCause(e.Cause, e.Set.Runs)
		}
		s.rep.Annotate(e.Set.Runs)
	}
	t := e.Tally
	line := fmt.Sprintf("verdict: %s: %d passed, %d failed, %d without verdict", t.Verdict, t.Passed, t.Failed, t.NoVerdict)
	if t.NotAwaited > 0 {
		line += fmt.Sprintf(", %d not awaited", t.NotAwaited)
	}
	if t.NonBlockingFailed > 0 {
		line += fmt.Sprintf(", %d non-blocking failure(s)", t.NonBlockingFailed)
	}
	if t.Flaky > 0 {
		line += fmt.Sprintf(", %d flaky", t.Flaky)
	}
	s.out("%s (%d run(s) in %s)", line, t.Total, e.Set.Elapsed.Round(time.Second))
	if t.PassedWithFailedSteps > 0 {
		s.warn(program+": unsuccessful steps", fmt.Sprintf("%s passed although DocketQA marked a step unsuccessful; see the reports",
			plural(t.PassedWithFailedSteps, "run", "runs")))
	}
	if e.Set.GroupRunURL != "" {
		s.out("group run: %s", e.Set.GroupRunURL)
	}
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
