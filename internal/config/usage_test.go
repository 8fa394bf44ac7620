package config

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

var update = testutil.UpdateFlag()

func TestUsageGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	Usage(&buf)
	testutil.Golden(t, filepath.Join("testdata", "usage.golden"), buf.Bytes(), *update)
}

func TestUsageMentionsEverything(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	Usage(&buf)
	out := buf.String()
	for _, s := range Settings() {
		names := append([]string{s.Flag, s.Input}, s.Env...)
		// Switches are off by default; help does not repeat "false".
		if s.Default != "false" {
			names = append(names, s.Default)
		}
		for _, name := range names {
			if name != "" && !strings.Contains(out, name) {
				t.Errorf("usage does not mention %q of setting %s", name, s.Name)
			}
		}
	}
	// The exit codes wrap; compare them with the spacing collapsed.
	flat := strings.Join(strings.Fields(out), " ")
	for _, line := range []string{
		"Exit codes: 0 every run passed 1 at least one run failed",
		" 2 bad usage or configuration; nothing was triggered 3 no verdict: API, auth or network trouble, the deadline passed, or the gate was interrupted (and no run failed); also a report that could not be written",
	} {
		if !strings.Contains(flat, line) {
			t.Errorf("usage lacks the exit code text %q", line)
		}
	}
}

// TestUsageFits80Columns keeps --help readable in an 80-column terminal
// and in CI logs: a long default or a new setting's head must not widen it.
func TestUsageFits80Columns(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	Usage(&buf)
	for i, line := range strings.Split(buf.String(), "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("--help line %d is %d columns wide, want at most 80: %q", i+1, n, line)
		}
	}
}

// TestUsageCommonFirst checks that the settings most users need come
// before the others and that the examples come before any setting.
func TestUsageCommonFirst(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	Usage(&buf)
	out := buf.String()
	examples := strings.Index(out, "\nExamples:\n")
	common := strings.Index(out, "\nMost used settings:\n")
	other := strings.Index(out, "\nOther settings:\n")
	if examples < 0 || common < 0 || other < 0 || !(examples < common && common < other) {
		t.Fatalf("want Examples, then Most used settings, then Other settings; at %d, %d, %d", examples, common, other)
	}
	for _, s := range Settings() {
		at := strings.Index(out, "\n  "+s.Flag+" ")
		if s.Flag == "" {
			at = strings.Index(out, "\n  ("+s.Name+":")
		}
		if at < 0 {
			at = strings.Index(out, "\n  "+s.Flag+"\n")
		}
		isCommon := slices.Contains(commonSettings, s.Name)
		switch {
		case at < 0:
			t.Errorf("setting %s has no head line", s.Name)
		case isCommon && (at < common || at > other):
			t.Errorf("setting %s is not among the most used settings", s.Name)
		case !isCommon && at < other:
			t.Errorf("setting %s is among the most used settings", s.Name)
		}
	}
}

func TestSettingsTable(t *testing.T) {
	t.Parallel()
	ss := Settings()
	seen := make(map[string]string)
	claim := func(kind, name, owner string) {
		if name == "" {
			return
		}
		if prev, ok := seen[kind+" "+name]; ok {
			t.Errorf("%s %q is used by both %s and %s", kind, name, prev, owner)
		}
		seen[kind+" "+name] = owner
	}
	for _, s := range ss {
		claim("name", s.Name, s.Name)
		claim("flag", s.Flag, s.Name)
		claim("input", s.Input, s.Name)
		for _, e := range s.Env {
			claim("env", e, s.Name)
		}
		if s.Help == "" {
			t.Errorf("setting %s has no help", s.Name)
		}
		if s.Flag == "" && s.Input == "" && len(s.Env) == 0 {
			t.Errorf("setting %s cannot be set at all", s.Name)
		}
	}

	// The key must stay off the command line and marked secret.
	for _, s := range ss {
		if s.Name == sAPIKey && (s.Flag != "" || !s.Secret) {
			t.Errorf("api-key setting = %+v, want no flag and Secret", s)
		}
	}

	// Callers get their own copy.
	ss[0].Name = "changed"
	ss[0].Env[0] = "CHANGED"
	again := Settings()
	if again[0].Name == "changed" || again[0].Env[0] == "CHANGED" {
		t.Error("Settings returned shared state")
	}
}
