package config

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

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
	for _, line := range []string{
		"\n  0  every run passed\n",
		"\n  1  at least one run failed\n",
		"\n  2  bad usage or configuration; nothing was triggered\n",
		"\n  3  no verdict: API, auth or network trouble, the deadline passed, or the gate was interrupted (and no run failed); also a report that could not be written\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("usage lacks the exit code line %q", strings.TrimSpace(line))
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
