package ci

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/bound"
	"github.com/docketqa-gate/docketqa-gate/internal/text"
)

// safeLine makes one log line harmless for every CI log reader, whatever
// API text it carries. Text from DocketQA is cleaned when it is decoded;
// this is the printer's own escaping for its medium, applied to every line
// the gate prints, so a line stays safe even if a value slipped past the
// boundary:
//   - text.Flat: control characters (line breaks, ESC, C1) become spaces
//     and invisible format characters (bidi overrides, zero-width) vanish,
//     so a value can neither start a new line nor carry a terminal
//     sequence (ANSI colours, OSC-8 links, \r overwrites, GitLab section
//     markers); the gate's own spacing is kept;
//   - "##[" is broken up: GitHub's runner reads its legacy command form
//     anywhere in a line, on stdout and stderr alike;
//   - every secret is redacted in any letter case (text.Redactor), because
//     GitHub's mask matches exact text only;
//   - the line is cut to bound.Line, so no input can make one log line or
//     annotation longer than a few KiB.
//
// Lines never begin with API text: every printer puts a fixed prefix
// first, so the "::" command form (which the runner looks for at the start
// of a line, after leading spaces) is only ever the gate's own.
func safeLine(s string, secrets text.Redactor) string {
	s = strings.ReplaceAll(text.Flat(s), "##[", "## [")
	// Cut after redacting, so no part of a secret is left at the cut.
	return bound.Text(secrets.Redact(s))
}

// console is the job's log as every adapter writes it: stdout, the
// secrets every line is redacted of, and what adapters read from the job
// (its environment, a clock for GitLab's sections, randomness for
// GitHub's output delimiters). It is not safe for concurrent use; the
// Sink serialises its use.
type console struct {
	out     *logWriter
	secrets text.Redactor
	getenv  func(string) string
	now     func() time.Time
	random  io.Reader
}

// safe escapes one line for the log (see safeLine).
func (c *console) safe(s string) string { return safeLine(s, c.secrets) }

// line prints one line, escaped.
func (c *console) line(s string) { fmt.Fprintln(c.out, c.safe(s)) }

// lines prints each line escaped, behind indent.
func (c *console) lines(indent string, lines []string) {
	for _, l := range lines {
		c.line(indent + l)
	}
}

// logWriter records the first write error and drops later writes instead
// of failing them, which keeps go-githubactions from panicking: log output
// is best effort, and a broken stdout must not stop the gate from writing
// its reports and exiting with the right code. With a limit, it writes at
// most limit bytes in all: the line that would pass it is replaced by one
// that says so, and everything after is dropped.
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
