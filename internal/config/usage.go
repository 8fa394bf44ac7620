package config

import (
	"io"
	"slices"
	"strings"
)

// usageWidth is where help text wraps, so it reads well in an 80-column
// terminal and in CI logs.
const usageWidth = 78

// defaultColumn lines up the defaults shown after the flags.
const defaultColumn = 34

// commonSettings are the settings most users change, shown first so a
// newcomer finds them without scrolling; the others follow in the settings
// table's order.
var commonSettings = []string{sBlueprintIDs, sAPIKey, sTimeout, sJUnit, sArtifactsDir, sHistory, sDryRun, sDemo}

// Usage writes the full --help text to w. The settings part is generated
// from the settings table, so it cannot drift from what Load reads. Every
// line fits in 80 columns.
func Usage(w io.Writer) {
	var b strings.Builder
	wrap(&b, "", program+" triggers DocketQA test blueprints, waits for every run, "+
		"writes a JUnit report and a job summary, and exits with the verdict.")
	b.WriteString(`
Usage:
  ` + program + ` [flags]

Examples:
  # Try it against a built-in simulated DocketQA (no key needed):
  ` + program + ` --demo
  # Check the settings and show what would run, triggering nothing:
  export DOCKETQA_API_KEY=...   # from your CI's secret store
  ` + program + ` --blueprint-ids 181,182 --dry-run
  # Run them, wait at most 45 minutes, keep failed runs' screenshots/videos:
  ` + program + ` --blueprint-ids 181,182 --timeout 45m \
    --artifacts-dir docketqa-artifacts

`)
	wrap(&b, "", "Every setting is taken from its flag, else its GitHub Action input "+
		"(INPUT_<NAME>), else its environment variable, else the --config file, "+
		"else its default; empty values count as unset. Durations are Go durations "+
		"(30s, 5m, 1h30m) or whole seconds (90). A switch is turned off with "+
		"--name=false.")
	all := specs()
	var common, other []spec
	for _, name := range commonSettings {
		for _, s := range all {
			if s.Name == name {
				common = append(common, s)
			}
		}
	}
	for _, s := range all {
		if !slices.Contains(commonSettings, s.Name) {
			other = append(other, s)
		}
	}
	b.WriteString("\nMost used settings:\n")
	for _, s := range common {
		writeSetting(&b, s)
	}
	b.WriteString("\nOther settings:\n")
	for _, s := range other {
		writeSetting(&b, s)
	}
	b.WriteString("\nExit codes:\n")
	for _, c := range exitCodes {
		hang(&b, "  "+c[0]+"  ", "     ", c[1])
	}
	_, _ = io.WriteString(w, b.String())
}

// exitCodes are the exit codes and their meaning, the contract with CI
// pipelines.
var exitCodes = [][2]string{
	{"0", "every run passed"},
	{"1", "at least one run failed"},
	{"2", "bad usage or configuration; nothing was triggered"},
	{"3", "no verdict: API, auth or network trouble, the deadline passed, or the " +
		"gate was interrupted (and no run failed); also a report that could not " +
		"be written"},
}

// writeSetting writes one setting: its flag and default, then its help and
// where else it can be set, indented.
func writeSetting(b *strings.Builder, s spec) {
	head := "  " + strings.TrimSpace(s.Flag+" "+s.arg)
	if s.Flag == "" {
		head = "  (" + s.Name + ": environment or action input only)"
	}
	// Most switches default to false; saying so is noise.
	if s.Default != "" && (s.arg != "" || s.Default != "false") {
		head += strings.Repeat(" ", max(2, defaultColumn-len(head))) + "default: " + s.Default
	}
	b.WriteString(head + "\n")
	wrap(b, "      ", s.Help)
	var where []string
	if len(s.Env) > 0 {
		where = append(where, "env: "+strings.Join(s.Env, ", else "))
	}
	if s.Input != "" {
		where = append(where, "input: "+s.Input)
	}
	if len(where) > 0 {
		wrap(b, "      ", strings.Join(where, "; "))
	}
}

// wrap writes text word-wrapped at usageWidth, each line starting with
// indent.
func wrap(b *strings.Builder, indent, text string) { hang(b, indent, indent, text) }

// hang writes text word-wrapped at usageWidth, the first line starting
// with first and the others with indent. A word longer than a line (a
// default URL) overflows rather than being cut; TestUsageFits80Columns
// keeps that from happening.
func hang(b *strings.Builder, first, indent, text string) {
	line := first
	start := len(first)
	for _, word := range strings.Fields(text) {
		if len(line) > start && len(line)+1+len(word) > usageWidth {
			b.WriteString(line + "\n")
			line, start = indent, len(indent)
		}
		if len(line) > start {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
}
