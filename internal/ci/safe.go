package ci

import (
	"strings"

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
