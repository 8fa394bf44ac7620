package ci

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/sethvargo/go-githubactions"

	"github.com/docketqa-gate/docketqa-gate/internal/atomicfile"
	"github.com/docketqa-gate/docketqa-gate/internal/bound"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// GitHub is GitHub Actions, detected by GITHUB_ACTIONS=true.
const GitHub Platform = 1

// maxAnnotations is GitHub's limit per step and severity (10 errors and 10
// warnings per step, 50 per job): further annotations are silently dropped.
const maxAnnotations = 10

// github prints GitHub's workflow commands: ::add-mask::, log groups,
// annotations within GitHub's limits, ::debug:: lines, and step outputs in
// $GITHUB_OUTPUT. It is the only adapter that writes workflow commands,
// so no other platform can print one by accident.
type github struct{ *githubJob }

// githubJob is the state of one job's log on GitHub.
type githubJob struct {
	c  *console
	gh *githubactions.Action
	// errorsShown and warningsShown count the annotations printed so far,
	// so that later ones stop at GitHub's limit with a notice (runs) or
	// become plain stderr lines (warnings) instead of being dropped
	// silently.
	errorsShown, warningsShown int
}

func (github) platform() Platform { return GitHub }
func (github) name() string       { return "GitHub Actions" }

// detect is strict ("true"): workflow commands must never be printed
// anywhere else.
func (github) detect(getenv func(string) string) bool {
	return getenv("GITHUB_ACTIONS") == "true"
}

func (github) open(c *console) adapter {
	return github{&githubJob{c: c, gh: githubactions.New(
		githubactions.WithWriter(c.out),
		githubactions.WithGetenv(c.getenv),
	)}}
}

// mask tells GitHub to redact secret from the rest of the job's log. Each
// line of a multi-line secret is masked too, because GitHub matches masks
// line by line.
func (g github) mask(secret string) {
	g.gh.AddMask(secret)
	if strings.ContainsAny(secret, "\r\n") {
		for _, line := range strings.FieldsFunc(secret, func(c rune) bool { return c == '\n' || c == '\r' }) {
			g.gh.AddMask(line)
		}
	}
}

// group prints a log group.
func (g github) group(_ int, _ result.Run, header string, body []string) {
	g.gh.Group(header)
	g.c.lines("  ", body)
	g.gh.EndGroup()
}

// warning prints a warning annotation (whose line the log shows too)
// while GitHub shows them: at most maxAnnotations per step.
func (g github) warning(title, msg string) bool {
	if g.warningsShown >= maxAnnotations {
		return false
	}
	g.warningAnnotation(title, msg)
	return true
}

// errorAnnotation prints one error annotation and counts it.
func (g github) errorAnnotation(title, msg string) {
	g.errorsShown++
	title, msg = g.fit(title, msg)
	g.gh.WithFieldsMap(map[string]string{"title": title}).Errorf("%s", msg)
}

// warningAnnotation prints one warning annotation and counts it.
func (g github) warningAnnotation(title, msg string) {
	g.warningsShown++
	title, msg = g.fit(title, msg)
	g.gh.WithFieldsMap(map[string]string{"title": title}).Warningf("%s", msg)
}

// maxTitle bounds an annotation's title as the runner writes it (escaped):
// GitHub shows a title on one short line, and a run title of any length
// must not push the annotation past bound.Line.
const maxTitle = 256

// fit makes title and msg safe (see safeLine) and cuts them, rune-safe and
// after redaction, so that the annotation's line, as go-githubactions
// escapes it, holds at most bound.Line bytes besides the command's own
// ("::error title=", "::" and the newline): the title to maxTitle, the
// message to what is left. Escaping counts, since a "%" becomes three bytes
// and a ":" or "," in a title too.
func (g github) fit(title, msg string) (string, string) {
	title = cutEscaped(g.c.safe(title), maxTitle, true)
	msg = cutEscaped(g.c.safe(msg), bound.Line-escapedLen(title, true), false)
	return title, msg
}

// escapedLen is len(s) once the runner's command escaping is applied: "%"
// (and, in a property, ":" and ",") take three bytes. Line breaks are gone
// after safeLine.
func escapedLen(s string, property bool) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n += escapedByte(s[i], property)
	}
	return n
}

func escapedByte(b byte, property bool) int {
	if b == '%' || b == '\r' || b == '\n' || (property && (b == ':' || b == ',')) {
		return 3
	}
	return 1
}

// cutNote is room for the "… (N bytes more)" that says what was cut; it
// holds nothing the escaping expands.
const cutNote = 30

// cutEscaped cuts s, on a rune boundary, so that escaped it is at most n
// bytes, ending with how many bytes were left out.
func cutEscaped(s string, n int, property bool) string {
	if escapedLen(s, property) <= n {
		return s
	}
	keep, used := 0, 0
	for keep < len(s) {
		c := escapedByte(s[keep], property)
		if used+c > n-cutNote {
			break
		}
		used += c
		keep++
	}
	for keep > 0 && keep < len(s) && !utf8.RuneStart(s[keep]) {
		keep--
	}
	return fmt.Sprintf("%s… (%d bytes more)", s[:keep], len(s)-keep)
}

// annotateCause adds one annotation naming why runs have no verdict, with
// its advice (raise --timeout, check the key): an error, or a warning when
// a policy lets every run without a verdict pass.
func (g github) annotateCause(c event.Cause, runs []result.Judged) {
	excused, any := true, false
	for _, run := range runs {
		if run.Kind == result.KindNoVerdict {
			any = true
			excused = excused && run.Excused
		}
	}
	if excused && any {
		g.warningAnnotation(program+": no verdict", c.String())
		return
	}
	g.errorAnnotation(program+": no verdict", c.String())
}

// annotateRuns adds an error annotation for each blocking run that failed
// or has no verdict, and a warning for each non-blocking one and each one
// a policy excused, so they show on the workflow run page and in pull
// requests. GitHub keeps at most 10 of each per step; the rest are counted
// in a notice instead of vanishing.
func (g github) annotateRuns(runs []result.Judged) {
	var errs, warnings []result.Judged
	notAwaited := 0
	for _, run := range runs {
		switch run.Kind {
		case result.KindPassed:
		case result.KindNotAwaited:
			// Not an error: fail-fast chose not to wait. One notice
			// says so, below.
			notAwaited++
		case result.KindNonBlocking:
			warnings = append(warnings, run)
		case result.KindNoVerdict:
			if run.Excused {
				warnings = append(warnings, run)
			} else {
				errs = append(errs, run)
			}
		default:
			errs = append(errs, run)
		}
	}
	if notAwaited > 0 {
		g.gh.Noticef("%s not awaited: fail-fast stopped waiting after a failure; they continue on DocketQA",
			plural(notAwaited, "run", "runs"))
	}
	// What was annotated before (configuration warnings, the cause of
	// missing verdicts) counts towards GitHub's limit too.
	errLimit, warnLimit := max(0, maxAnnotations-g.errorsShown), max(0, maxAnnotations-g.warningsShown)
	for i, run := range errs {
		if i == errLimit {
			g.gh.Noticef("%s not annotated (GitHub shows at most %d error annotations per step); see the job summary or JUnit report",
				plural(len(errs)-errLimit, "more failed run", "more failed runs"), maxAnnotations)
			break
		}
		g.errorAnnotation(run.Name(), annotation(run.Run))
	}
	for i, run := range warnings {
		if i == warnLimit {
			g.gh.Noticef("%s not annotated (GitHub shows at most %d warning annotations per step); see the job summary or JUnit report",
				plural(len(warnings)-warnLimit, "more non-blocking failure", "more non-blocking failures"), maxAnnotations)
			break
		}
		label := " (non-blocking)"
		if run.Kind != result.KindNonBlocking {
			label = " (" + run.Kind.String() + ")"
		}
		g.warningAnnotation(run.Name()+label, annotation(run.Run))
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

// debug prints a ::debug:: command, which GitHub shows only with step
// debug logging on.
func (g github) debug(line string) bool {
	g.gh.Debugf("%s", g.c.safe(line))
	return true
}

// setOutputs publishes o as step outputs (see OutputNames), each value
// behind its own random delimiter (see appendGitHubFile). It does nothing
// when the runner provides no GITHUB_OUTPUT file.
func (g github) setOutputs(o Outputs) error {
	path := g.c.getenv("GITHUB_OUTPUT")
	if path == "" {
		return nil
	}
	if err := appendGitHubFile(path, o.outputs(), g.c.random); err != nil {
		return fmt.Errorf("set step outputs in the file named by GITHUB_OUTPUT: %w", err)
	}
	return nil
}

// delimiterPrefix starts every heredoc delimiter, as in GitHub's own
// toolkit; random hex follows.
const delimiterPrefix = "ghadelimiter_"

// appendGitHubFile appends outs to a GitHub file command such as
// $GITHUB_OUTPUT, one "name<<DELIMITER / value / DELIMITER" record each, as
// GitHub's documentation describes for values that may hold anything.
// Each value gets its own random delimiter, drawn again while the value
// contains it, so no value can end its record early and start another
// (go-githubactions uses one fixed delimiter for all, which a report path
// named like it ends). random is crypto/rand.Reader outside tests.
//
// The file is appended to in place, with O_APPEND: the runner owns it and
// reads it after the step. As with the runner's step summary, a link the
// runner (or a self-hosted runner's set-up) made there is followed, since
// replacing it would hide the outputs from the runner; but the file
// reached must be a regular file, and the open never blocks, so a FIFO or
// device planted there neither hangs the gate nor receives anything.
func appendGitHubFile(path string, outs []output, random io.Reader) error {
	var b strings.Builder
	for _, o := range outs {
		v := outputValue(o.value)
		d, err := delimiter(v, random)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.name, d, v, d)
	}
	// The runner's own file, appended in place like its step summary
	// (regular files only, never blocking on the open).
	return atomicfile.AppendShared(path, []byte(b.String()))
}

// delimiter returns a random delimiter that value does not contain.
func delimiter(value string, random io.Reader) (string, error) {
	var buf [16]byte
	for range 8 {
		if _, err := io.ReadFull(random, buf[:]); err != nil {
			return "", fmt.Errorf("draw a random delimiter: %w", err)
		}
		if d := delimiterPrefix + hex.EncodeToString(buf[:]); !strings.Contains(value, d) {
			return d, nil
		}
	}
	// 128 random bits collide only with a value made to match a broken
	// random source.
	return "", errors.New("draw a random delimiter: every one drawn is in the value")
}
