package testutil

import (
	"strings"
	"testing"
)

// FileCommandRecords reads a GitHub file command ($GITHUB_OUTPUT,
// $GITHUB_ENV) as GitHub documents it and returns its name-value records
// in order: each record is either one line "name=value", or
// "name<<DELIMITER", the value's lines, and a line that is exactly
// DELIMITER. A line that is neither, an empty name or delimiter, or a
// heredoc that never ends fails the test. Whether a name may be set twice
// is the caller's rule.
func FileCommandRecords(t testing.TB, s string) [][2]string {
	t.Helper()
	var out [][2]string
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		var name, value string
		eq, hd := strings.Index(line, "="), strings.Index(line, "<<")
		switch {
		case eq > 0 && (hd < 0 || eq < hd):
			name, value = line[:eq], line[eq+1:]
		case hd > 0:
			name = line[:hd]
			delim := line[hd+2:]
			if delim == "" {
				t.Fatalf("record %q has an empty delimiter", line)
			}
			start := i + 1
			for i++; i < len(lines) && lines[i] != delim; i++ {
			}
			if i == len(lines) {
				t.Fatalf("heredoc %q of %q never ends", delim, name)
			}
			value = strings.Join(lines[start:i], "\n")
		default:
			t.Fatalf("line %q is neither name=value nor name<<DELIMITER", line)
		}
		out = append(out, [2]string{name, value})
	}
	return out
}
