package ci

import (
	"crypto/rand"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// maxAnnotations is GitHub's limit per step and severity (10 errors and 10
// warnings per step, 50 per job): further annotations are silently dropped.
const maxAnnotations = 10

// Reporter writes the platform-specific parts of the gate's log. It is not
// safe for concurrent use: log lines of one run must stay together anyway.
type Reporter struct {
	platform Platform
	out      *logWriter
	getenv   func(string) string
	now      func() time.Time
	// gh is set only on GitHub, so no other platform can print a workflow
	// command by accident.
	gh *githubactions.Action
	// keys are the secrets Mask was given (the API key, the GitHub
	// token); every line is redacted of each.
	keys []string
	// random draws the delimiters of step outputs.
	random io.Reader
	// excused says which runs without a verdict a policy lets pass
	// (--fail-on-no-verdict=false, --fail-on-missing=false): they are
	// annotated as warnings, not errors.
	excused func(result.Run) bool
	// errorsShown and warningsShown count the annotations printed so far,
	// so the per-run ones stop at GitHub's limit with a notice instead of
	// being dropped silently.
	errorsShown, warningsShown int
}

// Option configures a Reporter.
type Option func(*Reporter)

// WithExcused annotates the runs without a verdict that excused accepts
// as warnings, not errors: a policy lets them pass the gate.
func WithExcused(excused func(result.Run) bool) Option {
	return func(r *Reporter) { r.excused = excused }
}

// WithNow replaces the clock that stamps GitLab log sections, for
// deterministic tests.
func WithNow(now func() time.Time) Option {
	return func(r *Reporter) { r.now = now }
}

// NewReporter returns a Reporter for platform p writing to w. It prints
// nothing, so Mask can still come before any other output.
func NewReporter(p Platform, w io.Writer, getenv func(string) string, opts ...Option) *Reporter {
	r := &Reporter{
		platform: p,
		out:      &logWriter{w: w},
		getenv:   getenv,
		now:      time.Now,
		random:   rand.Reader,
	}
	for _, opt := range opts {
		opt(r)
	}
	if p == GitHub {
		r.gh = githubactions.New(
			githubactions.WithWriter(r.out),
			githubactions.WithGetenv(getenv),
		)
	}
	return r
}

// Err returns the first error writing to the log, if any. Log output is
// best effort: a broken stdout must not stop the gate from writing its
// reports and exiting with the right code, so write errors are only
// recorded (go-githubactions would otherwise panic on them).
func (r *Reporter) Err() error {
	return r.out.err
}

// Mask tells GitHub to redact secret from the rest of the job's log, and
// adds it to the secrets every line is redacted of; each secret is
// registered with its own call. Call it before anything else is printed. Each line of a multi-line secret is
// masked too, because GitHub matches masks line by line. Elsewhere it does
// nothing: those platforms mask through their own secret settings.
func (r *Reporter) Mask(secret string) {
	if secret == "" {
		return
	}
	r.keys = append(r.keys, secret)
	if r.gh == nil {
		return
	}
	r.gh.AddMask(secret)
	if strings.ContainsAny(secret, "\r\n") {
		for _, line := range strings.FieldsFunc(secret, func(c rune) bool { return c == '\n' || c == '\r' }) {
			r.gh.AddMask(line)
		}
	}
}

// Details prints one collapsible block per run that did not pass, with its
// steps, reason and video link, so the log explains a red gate without a
// trip to the dashboard. Passing runs are left to the summary.
func (r *Reporter) Details(runs []result.Run) {
	for i, run := range runs {
		if run.Verdict == result.Passed {
			continue
		}
		header := r.safe(runHeader(run))
		body := runBody(run)
		switch r.platform {
		case GitHub:
			r.gh.Group(header)
			r.lines("  ", body)
			r.gh.EndGroup()
		case GitLab:
			// GitLab's custom collapsible sections, documented at
			// https://docs.gitlab.com/ci/jobs/job_logs/
			id := sectionID(i, run)
			fmt.Fprintf(r.out, "\x1b[0Ksection_start:%d:%s[collapsed=true]\r\x1b[0K%s\n", r.now().Unix(), id, header)
			r.lines("  ", body)
			fmt.Fprintf(r.out, "\x1b[0Ksection_end:%d:%s\r\x1b[0K\n", r.now().Unix(), id)
		default:
			fmt.Fprintln(r.out, header)
			r.lines("    ", body)
		}
	}
}

// Annotate adds a GitHub error annotation for each blocking run that failed
// or has no verdict, and a warning for each non-blocking one, so they show
// on the workflow run page and in pull requests. GitHub keeps at most 10 of
// each per step; the rest are counted in a notice instead of vanishing.
// Other platforms have no annotations; there it does nothing.
func (r *Reporter) Annotate(runs []result.Run) {
	if r.gh == nil {
		return
	}
	var errs, warnings []result.Run
	notAwaited := 0
	for _, run := range runs {
		switch result.KindOf(run) {
		case result.KindPassed:
		case result.KindNotAwaited:
			// Not an error: fail-fast chose not to wait. One notice
			// says so, below.
			notAwaited++
		case result.KindNonBlocking:
			warnings = append(warnings, run)
		case result.KindNoVerdict:
			if r.excused != nil && r.excused(run) {
				warnings = append(warnings, run)
			} else {
				errs = append(errs, run)
			}
		default:
			errs = append(errs, run)
		}
	}
	if notAwaited > 0 {
		r.gh.Noticef("%s not awaited: fail-fast stopped waiting after a failure; they continue on DocketQA",
			plural(notAwaited, "run", "runs"))
	}
	// What was annotated before (configuration warnings, the cause of
	// missing verdicts) counts towards GitHub's limit too.
	errLimit, warnLimit := max(0, maxAnnotations-r.errorsShown), max(0, maxAnnotations-r.warningsShown)
	for i, run := range errs {
		if i == errLimit {
			r.gh.Noticef("%s not annotated (GitHub shows at most %d error annotations per step); see the job summary or JUnit report",
				plural(len(errs)-errLimit, "more failed run", "more failed runs"), maxAnnotations)
			break
		}
		r.errorAnnotation(run.Name(), annotation(run))
	}
	for i, run := range warnings {
		if i == warnLimit {
			r.gh.Noticef("%s not annotated (GitHub shows at most %d warning annotations per step); see the job summary or JUnit report",
				plural(len(warnings)-warnLimit, "more non-blocking failure", "more non-blocking failures"), maxAnnotations)
			break
		}
		label := " (non-blocking)"
		if !run.NonBlocking {
			label = " (no verdict)"
		}
		r.warningAnnotation(run.Name()+label, annotation(run))
	}
}

// errorAnnotation prints one GitHub error annotation and counts it.
func (r *Reporter) errorAnnotation(title, msg string) {
	r.errorsShown++
	r.gh.WithFieldsMap(map[string]string{"title": r.safe(title)}).Errorf("%s", r.safe(msg))
}

// warningAnnotation prints one GitHub warning annotation and counts it.
func (r *Reporter) warningAnnotation(title, msg string) {
	r.warningsShown++
	r.gh.WithFieldsMap(map[string]string{"title": r.safe(title)}).Warningf("%s", r.safe(msg))
}

// AnnotateCause adds one GitHub annotation naming why runs have no
// verdict, with its advice (raise --timeout, check the key): an error,
// or a warning when a policy lets every run without a verdict pass.
// Other platforms have no annotations; there it does nothing.
func (r *Reporter) AnnotateCause(c event.Cause, runs []result.Run) {
	if r.gh == nil {
		return
	}
	excused := r.excused != nil
	for _, run := range runs {
		if result.KindOf(run) == result.KindNoVerdict && (r.excused == nil || !r.excused(run)) {
			excused = false
		}
	}
	if excused {
		r.warningAnnotation(program+": no verdict", c.String())
		return
	}
	r.errorAnnotation(program+": no verdict", c.String())
}

// SetOutputs publishes o as GitHub step outputs (see OutputNames), each
// value behind its own random delimiter (see appendGitHubFile). It does
// nothing off GitHub or when the runner provides no GITHUB_OUTPUT file.
func (r *Reporter) SetOutputs(o Outputs) error {
	path := r.getenv("GITHUB_OUTPUT")
	if r.gh == nil || path == "" {
		return nil
	}
	if err := appendGitHubFile(path, o.outputs(), r.random); err != nil {
		return fmt.Errorf("set step outputs in the file named by GITHUB_OUTPUT: %w", err)
	}
	return nil
}

// runHeader is the one-line title of a run's block. It starts with a mark
// so that no run title can begin a line with "::".
func runHeader(run result.Run) string {
	verdict := "failed"
	if run.Verdict != result.Failed {
		verdict = "no verdict"
	}
	if run.NonBlocking {
		verdict += ", non-blocking"
	}
	return fmt.Sprintf("✗ %s: %s", oneLine(run.Name()), verdict)
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
		line := fmt.Sprintf("%s step %d (%s): %s", mark, s.Number, formatDuration(s.Duration), oneLine(s.Task))
		if res := oneLine(s.Result); res != "" {
			line += " — " + res
		}
		lines = append(lines, line)
	}
	if len(run.Steps) == 0 {
		lines = append(lines, "no steps reported")
	}
	if reason := oneLine(run.Reason); reason != "" {
		lines = append(lines, "reason: "+reason)
	}
	if video := oneLine(run.VideoURL); video != "" {
		lines = append(lines, "video: "+video)
	}
	return lines
}

// safe escapes one line for the log (see safeLine).
func (r *Reporter) safe(s string) string {
	s = safeLine(s, "")
	for _, k := range r.keys {
		s = redactFold(s, k)
	}
	return s
}

func (r *Reporter) lines(indent string, lines []string) {
	for _, l := range lines {
		fmt.Fprintln(r.out, r.safe(indent+l))
	}
}

// annotation is the message of a run's annotation: the failing step if
// there is one, as that is what a reader acts on, else the run's reason.
func annotation(run result.Run) string {
	if s := run.FailedStep(); s != nil {
		msg := fmt.Sprintf("step %d (%s) failed", s.Number, s.Task)
		if s.Result != "" {
			msg = fmt.Sprintf("step %d (%s): %s", s.Number, s.Task, s.Result)
		}
		return msg
	}
	if run.Reason != "" {
		return run.Reason
	}
	if run.Verdict == result.Failed {
		return "test run failed"
	}
	return "test run has no verdict"
}

// sectionChars matches what GitLab does not allow in a section name. It is
// compiled on first use: only GitLab runs need it, and a package-level
// MustCompile would cost every start of the gate, --version included.
var sectionChars = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^a-zA-Z0-9_.-]+`) })

// maxSectionTitle keeps raw section names readable; the index and
// blueprint id already make them unique.
const maxSectionTitle = 40

// sectionID returns a unique GitLab section name for the i-th run. GitLab
// only accepts letters, digits, '_', '.' and '-' there; anything else
// breaks the section, so the title is reduced to those characters.
func sectionID(i int, run result.Run) string {
	title := strings.Trim(sectionChars().ReplaceAllString(run.Title, "_"), "_")
	if len(title) > maxSectionTitle {
		title = title[:maxSectionTitle]
	}
	id := fmt.Sprintf("docketqa_%d_blueprint_%d", i+1, run.BlueprintID)
	if title != "" {
		id += "_" + title
	}
	return id
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

// logWriter records the first write error and drops later writes instead
// of failing them, which keeps go-githubactions from panicking. With a
// limit, it writes at most limit bytes in all: the line that would pass it
// is replaced by one that says so, and everything after is dropped.
type logWriter struct {
	w   io.Writer
	err error
	// limit bounds the bytes written; 0 means none.
	limit, written int
	full           bool
}

// limitNotice ends a log cut at its limit. It is the gate's own text.
const limitNotice = program + ": output limit reached; further messages are left out (the reports hold every result)\n"

func (l *logWriter) Write(p []byte) (int, error) {
	if l.full {
		return len(p), nil
	}
	out := p
	if l.limit > 0 && l.written+len(p) > l.limit-len(limitNotice) {
		out, l.full = []byte(limitNotice), true
	}
	if l.err == nil {
		if _, err := l.w.Write(out); err != nil {
			l.err = err
		}
	}
	l.written += len(out)
	return len(p), nil
}
