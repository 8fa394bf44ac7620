// Package bound defines, once, how much the gate prints whatever its
// inputs hold, and the two helpers that keep to it. A manifest with a
// million errors, an API answer listing 25,000 runs nobody asked for or a
// title of megabytes must not turn into a log line, an annotation or a
// report that a CI system truncates, refuses or chokes on:
//
//   - one log line, one annotation and one JUnit message: Line bytes;
//   - all of stderr: Stderr bytes, after which the sink says so once;
//   - a list of problems or ids: MaxItems, then "… and N more".
//
// The step summary has its own cap below GitHub's 1 MiB (see
// summary.DefaultMaxBytes), since it drops table rows, not bytes.
package bound

import (
	"fmt"

	"github.com/docketqa-gate/docketqa-gate/internal/text"
)

const (
	// Line bounds one log line, one annotation and one JUnit message.
	Line = 4 << 10
	// Stderr bounds everything the gate writes to stderr.
	Stderr = 64 << 10
	// MaxItems bounds a list of problems or ids shown at once.
	MaxItems = 20
)

// Text returns s cut to at most Line bytes, on a rune boundary, with a
// note of how much was left out.
func Text(s string) string { return Cut(s, Line) }

// Cut returns s cut to at most n bytes (n of at least 64), on a rune
// boundary, ending with "… (N bytes more)" when anything was cut.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n = max(n, 64)
	// The note is at most 30 bytes: "… (" and ")" plus 20 digits.
	keep := text.RuneStart(s, n-30)
	return fmt.Sprintf("%s… (%d bytes more)", s[:keep], len(s)-keep)
}

// List returns at most MaxItems of items, followed by "… and N more" when
// there were more.
func List(items []string) []string {
	if len(items) <= MaxItems {
		return items
	}
	out := append(items[:MaxItems:MaxItems], fmt.Sprintf("… and %d more", len(items)-MaxItems))
	return out
}
