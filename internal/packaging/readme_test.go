package packaging

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/config"
)

// readmeRow is one row of a settings table.
type readmeRow struct {
	what, flag, env, input, def string
}

// settingsDoc is the file with the full settings table, under "## Settings".
const settingsDoc = "docs/configuration.md"

// readmeSettings parses the full settings table in settingsDoc.
func readmeSettings(t *testing.T) []readmeRow {
	t.Helper()
	return settingsTable(t, settingsDoc, 10)
}

// settingsTable parses the first table under the "## Settings" heading of
// the Markdown file name, which must have at least min rows.
func settingsTable(t *testing.T, name string, min int) []readmeRow {
	t.Helper()
	doc := string(readRepoFile(t, name))
	_, rest, ok := strings.Cut(doc, "\n## Settings\n")
	if !ok {
		t.Fatalf("%s has no ## Settings section", name)
	}
	var rows []readmeRow
	inTable := false
	for _, line := range strings.Split(rest, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		// An escaped pipe belongs to a cell.
		cells := strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), "|")
		if len(cells) != 7 {
			t.Fatalf("settings row has %d cells, want 5: %q", len(cells)-2, line)
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(strings.ReplaceAll(cells[i], "\x00", "|"))
		}
		if cells[1] == "setting" || strings.HasPrefix(cells[1], "---") {
			continue
		}
		rows = append(rows, readmeRow{cells[1], cells[2], cells[3], cells[4], cells[5]})
	}
	if len(rows) < min {
		t.Fatalf("%s: found %d settings rows; the table parser is broken", name, len(rows))
	}
	return rows
}

// TestReadmeShortSettingsTable checks the README's table of the settings
// most people change against the full table: every row is there, cell for
// cell, except that the README may name fewer environment variables (the
// key's legacy spelling).
func TestReadmeShortSettingsTable(t *testing.T) {
	t.Parallel()
	full := map[string]readmeRow{}
	// flagOf is a row's first flag without its argument (`--history PATH`),
	// or for the secrets, which have no flag, their input.
	flagOf := func(r readmeRow) string {
		if sp := spans(r.flag); len(sp) > 0 {
			return strings.Fields(sp[0])[0]
		}
		return "input:" + r.input
	}
	for _, r := range readmeSettings(t) {
		full[flagOf(r)] = r
	}
	short := settingsTable(t, "README.md", 6)
	if len(short) > 10 {
		t.Errorf("README settings table has %d rows; it is for the few most people change", len(short))
	}
	for _, r := range short {
		f, ok := full[flagOf(r)]
		if !ok {
			t.Errorf("README row %q (%s) is not in %s", r.what, r.flag, settingsDoc)
			continue
		}
		if r.input != f.input || r.def != f.def {
			t.Errorf("README row %q: input %q default %q; %s has %q %q", r.what, r.input, r.def, settingsDoc, f.input, f.def)
		}
		for _, e := range spans(r.env) {
			if !slices.Contains(spans(f.env), e) {
				t.Errorf("README row %q names variable %s, which %s does not", r.what, e, settingsDoc)
			}
		}
		if len(spans(r.env)) == 0 && len(spans(f.env)) > 0 {
			t.Errorf("README row %q names no environment variable", r.what)
		}
	}
}

var codeSpan = regexp.MustCompile("`([^`]*)`")

// spans returns the text of every `code span` in cell.
func spans(cell string) []string {
	var out []string
	for _, m := range codeSpan.FindAllStringSubmatch(cell, -1) {
		out = append(out, m[1])
	}
	return out
}

// helpDefaults maps each flag to the default --help shows on its line.
func helpDefaults(t *testing.T) (flags []string, defaults map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	config.Usage(&buf)
	defaults = map[string]string{}
	head := regexp.MustCompile(`^  (--[a-z-]+)(?: [A-Z]+)?(?:\s+default: (\S+))?$`)
	for _, line := range strings.Split(buf.String(), "\n") {
		if m := head.FindStringSubmatch(line); m != nil {
			flags = append(flags, m[1])
			defaults[m[1]] = m[2]
		}
	}
	return flags, defaults
}

// TestReadmeSettingsMatchCode compares the README's settings table with
// the settings table in the code, with --help and with action.yml: every
// setting has a row, and each row's flag, variables, input and default are
// the ones the gate really reads.
func TestReadmeSettingsMatchCode(t *testing.T) {
	t.Parallel()
	rows := readmeSettings(t)
	helpFlags, helpDefault := helpDefaults(t)
	inputs := loadAction(t).Inputs

	byFlag := map[string]readmeRow{}
	var rowInputs []string
	for _, r := range rows {
		for _, f := range spans(r.flag) {
			byFlag[strings.Fields(f)[0]] = r
		}
		if r.flag == "none: command lines leak" {
			// The secrets, which have no flag, by their input.
			for _, in := range spans(r.input) {
				byFlag["input:"+in] = r
			}
		}
		if r.input != "" {
			in := spans(r.input)
			if len(in) != 1 {
				t.Errorf("row %q: input cell %q, want one `name`", r.what, r.input)
				continue
			}
			rowInputs = append(rowInputs, in[0])
			if _, ok := inputs[in[0]]; !ok {
				t.Errorf("row %q names input %q, which action.yml does not declare", r.what, in[0])
			}
		}
	}
	var actionInputs []string
	for name := range inputs {
		actionInputs = append(actionInputs, name)
	}
	slices.Sort(rowInputs)
	slices.Sort(actionInputs)
	if !slices.Equal(rowInputs, actionInputs) {
		t.Errorf("README inputs %q,\naction.yml inputs %q", rowInputs, actionInputs)
	}

	var codeFlags []string
	for _, s := range config.Settings() {
		switch s.Name {
		case "help", "version":
			continue
		}
		if s.Flag != "" {
			codeFlags = append(codeFlags, s.Flag)
		}
		key := s.Flag
		if key == "" {
			key = "input:" + s.Input
		}
		r, ok := byFlag[key]
		if !ok {
			t.Errorf("setting %s (%s) has no row in the settings table of %s", s.Name, s.Flag, settingsDoc)
			continue
		}
		if s.Name == "demo-scenario" {
			continue // shares the demo row
		}
		if got := spans(r.env); !slices.Equal(got, s.Env) {
			t.Errorf("row %q: environment %q, the code reads %q", r.what, got, s.Env)
		}
		if got := spans(r.input); !slices.Equal(got, nonEmpty(s.Input)) {
			t.Errorf("row %q: input %q, the code reads %q", r.what, got, s.Input)
		}
		checkDefault(t, r, s, helpDefault)
	}
	// No stale rows, and --help lists the same flags.
	for f := range byFlag {
		if !strings.HasPrefix(f, "input:") && !slices.Contains(codeFlags, f) {
			t.Errorf("%s has a row for %s, which is not a setting", settingsDoc, f)
		}
	}
	for _, f := range codeFlags {
		if !slices.Contains(helpFlags, f) {
			t.Errorf("--help does not list %s", f)
		}
	}
}

// checkDefault compares a row's default with the code's and --help's.
func checkDefault(t *testing.T, r readmeRow, s config.Setting, help map[string]string) {
	t.Helper()
	switch {
	case s.Name == "demo":
		if r.def != "off" {
			t.Errorf("row %q: default %q, want off", r.what, r.def)
		}
	case s.Name == "summary":
		if !strings.HasPrefix(r.def, "`$GITHUB_STEP_SUMMARY` when set") {
			t.Errorf("row %q: default %q, want the job summary", r.what, r.def)
		}
	case s.Default == "":
		if r.def != "none" && r.def != "required" {
			t.Errorf("row %q: default %q, but the code has none", r.what, r.def)
		}
	default:
		if got := spans(r.def); len(got) == 0 || got[0] != s.Default {
			t.Errorf("row %q: default %q, the code's is %q", r.what, r.def, s.Default)
		}
		// --help shows defaults except the false of a switch.
		if want := s.Default; s.Flag != "" && want != "false" && help[s.Flag] != want {
			t.Errorf("--help shows %s default %q, the code's is %q", s.Flag, help[s.Flag], want)
		}
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
