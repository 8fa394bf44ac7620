package config

import (
	"io"
	"strings"
)

// usageWidth is where help text wraps, so it reads well in an 80-column
// terminal and in CI logs.
const usageWidth = 78

// defaultColumn lines up the defaults shown after the flags.
const defaultColumn = 34

// Usage writes the full --help text to w. The settings part is generated
// from the settings table, so it cannot drift from what Load reads.
func Usage(w io.Writer) {
	var b strings.Builder
	wrap(&b, "", program+" triggers DocketQA test blueprints, waits for every run, "+
		"writes a JUnit report and a job summary, and exits with the verdict.")
	b.WriteString("\n")
	b.WriteString("Usage:\n  " + program + " [flags]\n\n")
	wrap(&b, "", "Every setting is taken from its flag, else its GitHub Action input "+
		"(INPUT_<NAME>), else its environment variable, else the --config file, "+
		"else its default; empty values count as unset. Durations are Go durations "+
		"(30s, 5m, 1h30m) or whole seconds (90). A switch is turned off with "+
		"--name=false.")
	b.WriteString("\nSettings:\n")
	for _, s := range specs() {
		head := "  " + strings.TrimSpace(s.Flag+" "+s.arg)
		if s.Flag == "" {
			head = "  (" + s.Name + ": environment or action input only)"
		}
		// Most switches default to false; saying so is noise.
		if s.Default != "" && (s.arg != "" || s.Default != "false") {
			head += strings.Repeat(" ", max(2, defaultColumn-len(head))) + "default: " + s.Default
		}
		b.WriteString(head + "\n")
		wrap(&b, "      ", s.Help)
		var where []string
		if len(s.Env) > 0 {
			where = append(where, "env: "+strings.Join(s.Env, ", else "))
		}
		if s.Input != "" {
			where = append(where, "input: "+s.Input)
		}
		if len(where) > 0 {
			wrap(&b, "      ", strings.Join(where, "; "))
		}
	}
	b.WriteString(`
Exit codes:
  0  every run passed
  1  at least one run failed
  2  bad usage or configuration; nothing was triggered
  3  no verdict: API, auth or network trouble, the deadline passed, or the gate was interrupted (and no run failed); also a report that could not be written

Example:
  export DOCKETQA_API_KEY=...   # from your CI's secret store
  ` + program + ` --blueprint-ids 181,182 --timeout 45m
`)
	_, _ = io.WriteString(w, b.String())
}

// wrap writes text word-wrapped at usageWidth, each line starting with
// indent.
func wrap(b *strings.Builder, indent, text string) {
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > usageWidth {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
}
