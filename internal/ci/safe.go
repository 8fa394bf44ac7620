package ci

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/docketqa-gate/docketqa-gate/internal/bound"
)

// safeLine makes one log line harmless for every CI log reader, whatever
// API text it carries. Text from DocketQA is cleaned when it is decoded;
// this is the printer's own escaping for its medium, applied to every line
// the gate prints, so a line stays safe even if a value slipped past the
// boundary:
//   - control characters (line breaks, ESC, C1) become spaces or vanish, so
//     a value can neither start a new line nor carry a terminal sequence
//     (ANSI colours, OSC-8 links, \r overwrites, GitLab section markers);
//   - invisible format characters (bidi overrides, zero-width) vanish;
//   - "##[" is broken up: GitHub's runner reads its legacy command form
//     anywhere in a line, on stdout and stderr alike;
//   - the API key is redacted in any letter case, because GitHub's mask
//     matches exact text only;
//   - the line is cut to bound.Line, so no input can make one log line or
//     annotation longer than a few KiB.
//
// Lines never begin with API text: every printer puts a fixed prefix
// first, so the "::" command form (which the runner looks for at the start
// of a line, after leading spaces) is only ever the gate's own.
func safeLine(s, key string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029':
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return -1
		default:
			return r
		}
	}, s)
	s = strings.ReplaceAll(s, "##[", "## [")
	// Cut after redacting, so no part of the key is left at the cut.
	return bound.Text(redactFold(s, key))
}

// redactFold replaces every occurrence of key in s, ignoring letter case.
func redactFold(s, key string) string {
	if key == "" || len(s) < len(key) {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i+len(key) <= len(s); {
		if strings.EqualFold(s[i:i+len(key)], key) {
			b.WriteString(s[last:i])
			b.WriteString("[redacted]")
			i += len(key)
			last = i
			continue
		}
		i++
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
