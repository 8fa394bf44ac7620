package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// fakeInfo is an fs.FileInfo with only a mode, for an injected Lstat.
type fakeInfo struct {
	fs.FileInfo
	mode fs.FileMode
}

func (f fakeInfo) Mode() fs.FileMode { return f.mode }

// fakeSystem is a hermetic System: env, files for --config, and the paths
// Lstat reports as symbolic links (every other path does not exist).
func fakeSystem(env map[string]string, files map[string]string, links ...string) System {
	return System{
		Getenv: testutil.Getenv(env),
		ReadFile: func(name string) ([]byte, error) {
			if b, ok := files[name]; ok {
				return []byte(b), nil
			}
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		},
		Lstat: func(name string) (fs.FileInfo, error) {
			if slices.Contains(links, name) {
				return fakeInfo{mode: fs.ModeSymlink | 0o777}, nil
			}
			return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrNotExist}
		},
	}
}

// loadSys runs LoadSystem and returns the config, the warnings and the
// problems (nil on success), checking that the key never shows.
func loadSys(t *testing.T, args []string, sys System) (Config, []string, []string) {
	t.Helper()
	cfg, warnings, err := LoadSystem(args, sys)
	if err == nil {
		return cfg, warnings, nil
	}
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v is a %T, want *UsageError", err, err)
	}
	if key := sys.Getenv("DOCKETQA_API_KEY"); len(key) > 2 && strings.Contains(err.Error(), key) {
		t.Fatalf("error leaks the key: %v", err)
	}
	if strings.Contains(err.Error(), "--help") {
		t.Errorf("error carries the --help hint, which the caller prints once: %v", err)
	}
	return cfg, warnings, ue.Problems
}

func TestFlagTypos(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want []string // one per problem, in order
	}{
		{"one dash", []string{"-blueprint-id", "181"}, []string{"unknown flag --blueprint-id: did you mean --blueprint-ids?"}},
		{"two dashes", []string{"--blueprint-id=181"}, []string{"unknown flag --blueprint-id: did you mean --blueprint-ids?"}},
		{"swapped letters", []string{"--tiemout", "5m"}, []string{"unknown flag --tiemout: did you mean --timeout?"}},
		{"upper case", []string{"--DRY-RUN"}, []string{"unknown flag --DRY-RUN: did you mean --dry-run?"}},
		{"nothing close", []string{"--zzzzzzzz"}, []string{"unknown flag --zzzzzzzz"}},
		{"every typo at once", []string{"--tiemout", "5m", "--dryrun"},
			[]string{"unknown flag --tiemout: did you mean --timeout?", "unknown flag --dryrun: did you mean --dry-run?"}},
		{"odd characters are quoted", []string{"--a\x1bb"}, []string{`unknown flag "--a\x1bb"`}},
		{"value missing before another flag", []string{"--blueprint-ids", "--dry-run"},
			[]string{"--blueprint-ids has no value: the next argument, --dry-run, is a flag; write --blueprint-ids IDS"}},
		{"value missing at the end", []string{"--timeout"}, []string{"--timeout has no value: write --timeout DURATION"}},
		{"value missing before a flag with a value", []string{"--junit", "--summary=s.md"},
			[]string{"--junit has no value: the next argument, --summary, is a flag; write --junit PATH"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, problems := loadSys(t, tc.args, fakeSystem(validEnv(nil), nil))
			if !slices.Equal(problems, tc.want) {
				t.Errorf("problems:\n got %q\nwant %q", problems, tc.want)
			}
		})
	}
}

func TestFlagsAfterATypoStillCount(t *testing.T) {
	t.Parallel()
	cfg, _, problems := loadSys(t, []string{"--blueprint-id", "181", "--junit", "out/j.xml", "--summary=s.md"},
		fakeSystem(validEnv(nil), nil))
	if len(problems) != 1 {
		t.Fatalf("problems %q, want one", problems)
	}
	if cfg.JUnitPath != "out/j.xml" || cfg.SummaryPath != "s.md" {
		t.Errorf("JUnitPath %q, SummaryPath %q; want the flags given after the typo", cfg.JUnitPath, cfg.SummaryPath)
	}
}

func TestBareTimeoutWarning(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"30 from the flag", []string{"--timeout", "30"}, nil,
			[]string{"--timeout / DOCKETQA_TIMEOUT: 30 is read as 30 seconds; write 30m for minutes"}},
		{"45 from the input", nil, map[string]string{"INPUT_TIMEOUT": "45"},
			[]string{"--timeout / DOCKETQA_TIMEOUT (from action input timeout): 45 is read as 45 seconds; write 45m for minutes"}},
		{"59 from env", nil, map[string]string{"DOCKETQA_TIMEOUT": "59"},
			[]string{"--timeout / DOCKETQA_TIMEOUT: 59 is read as 59 seconds; write 59m for minutes"}},
		{"60 is a minute", []string{"--timeout", "60"}, nil, nil},
		{"30s is explicit", []string{"--timeout", "30s"}, nil, nil},
		{"default", nil, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, warnings, problems := loadSys(t, tc.args, fakeSystem(validEnv(tc.env), nil))
			if problems != nil {
				t.Fatalf("problems %q", problems)
			}
			if !slices.Equal(warnings, tc.want) {
				t.Errorf("warnings:\n got %q\nwant %q", warnings, tc.want)
			}
		})
	}
}

func TestProgressIntervalFloor(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		args    []string
		want    time.Duration
		problem string
	}{
		{"default", nil, 30 * time.Second, ""},
		{"equal to the poll interval", []string{"--progress-interval", "2s"}, 2 * time.Second, ""},
		{"1ns", []string{"--progress-interval", "1ns"}, 0,
			`invalid --progress-interval / DOCKETQA_PROGRESS_INTERVAL "1ns": it is shorter than --poll-interval / DOCKETQA_POLL_INTERVAL 2s`},
		{"below a raised poll interval", []string{"--poll-interval", "10s", "--progress-interval", "5s"}, 0,
			"use at least 10s"},
		{"the default gives way to a longer poll interval", []string{"--poll-interval", "1m"}, time.Minute, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, _, problems := loadSys(t, tc.args, fakeSystem(validEnv(nil), nil))
			if tc.problem != "" {
				if len(problems) != 1 || !strings.Contains(problems[0], tc.problem) {
					t.Errorf("problems %q, want one containing %q", problems, tc.problem)
				}
				return
			}
			if problems != nil || cfg.ProgressInterval != tc.want {
				t.Errorf("ProgressInterval %v, problems %q; want %v", cfg.ProgressInterval, problems, tc.want)
			}
		})
	}
}

func TestPolicies(t *testing.T) {
	t.Parallel()
	type policy struct {
		noVerdict, missing bool
		maxFailures        int
	}
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		want    policy
		problem string
	}{
		{"defaults", nil, nil, policy{true, true, 5}, ""},
		{"flags off", []string{"--fail-on-no-verdict=false", "--fail-on-missing=false", "--rerun-max-failures", "2"}, nil,
			policy{false, false, 2}, ""},
		{"bare switch is on", []string{"--fail-on-no-verdict"}, map[string]string{"DOCKETQA_FAIL_ON_NO_VERDICT": "false"},
			policy{true, true, 5}, ""},
		{"env", nil, map[string]string{"DOCKETQA_FAIL_ON_NO_VERDICT": "false", "DOCKETQA_FAIL_ON_MISSING": "0", "DOCKETQA_RERUN_MAX_FAILURES": "9"},
			policy{false, false, 9}, ""},
		{"inputs", nil, map[string]string{"INPUT_FAIL-ON-NO-VERDICT": "false", "INPUT_FAIL-ON-MISSING": "false", "INPUT_RERUN-MAX-FAILURES": "1"},
			policy{false, false, 1}, ""},
		{"input beats env", nil, map[string]string{"INPUT_FAIL-ON-NO-VERDICT": "true", "DOCKETQA_FAIL_ON_NO_VERDICT": "false"},
			policy{true, true, 5}, ""},
		{"garbage", []string{"--fail-on-missing=maybe"}, nil, policy{}, `invalid --fail-on-missing / DOCKETQA_FAIL_ON_MISSING "maybe": use true or false`},
		{"zero failures", []string{"--rerun-max-failures", "0"}, nil, policy{}, "use a whole number from 1 to 100000"},
		{"too many", []string{"--rerun-max-failures", "100001"}, nil, policy{}, "use a whole number from 1 to 100000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, _, problems := loadSys(t, tc.args, fakeSystem(validEnv(tc.env), nil))
			if tc.problem != "" {
				if len(problems) != 1 || !strings.Contains(problems[0], tc.problem) {
					t.Errorf("problems %q, want one containing %q", problems, tc.problem)
				}
				return
			}
			got := policy{cfg.FailOnNoVerdict, cfg.FailOnMissing, cfg.RerunMaxFailures}
			if problems != nil || got != tc.want {
				t.Errorf("got %+v, problems %q; want %+v", got, problems, tc.want)
			}
		})
	}
}

func TestDebug(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name           string
		args           []string
		env            map[string]string
		on, fromRunner bool
	}{
		{"off by default", nil, nil, false, false},
		{"flag", []string{"--debug"}, nil, true, false},
		{"env", nil, map[string]string{"DOCKETQA_DEBUG": "true"}, true, false},
		{"input", nil, map[string]string{"INPUT_DEBUG": "true"}, true, false},
		{"RUNNER_DEBUG", nil, map[string]string{"RUNNER_DEBUG": "1"}, true, true},
		{"RUNNER_DEBUG 0", nil, map[string]string{"RUNNER_DEBUG": "0"}, false, false},
		{"explicit beats RUNNER_DEBUG", []string{"--debug"}, map[string]string{"RUNNER_DEBUG": "1"}, true, false},
		{"explicit off beats RUNNER_DEBUG", nil, map[string]string{"RUNNER_DEBUG": "1", "DOCKETQA_DEBUG": "false"}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, _, problems := loadSys(t, tc.args, fakeSystem(validEnv(tc.env), nil))
			if problems != nil {
				t.Fatalf("problems %q", problems)
			}
			if cfg.Debug != tc.on || cfg.DebugFromRunner != tc.fromRunner {
				t.Errorf("Debug %v, DebugFromRunner %v; want %v, %v", cfg.Debug, cfg.DebugFromRunner, tc.on, tc.fromRunner)
			}
		})
	}
}

func TestSources(t *testing.T) {
	t.Parallel()
	env := validEnv(map[string]string{
		"INPUT_MAX-PARALLEL":  "4",
		"DOCKETQA_DOTENV":     "gate.env",
		"DOCKETQA_CONFIG":     "gate.yml",
		"GITHUB_STEP_SUMMARY": "/runner/summary",
		"RUNNER_DEBUG":        "1",
		"DOCKETQA_BASE_URL":   "https://api.docketqa.com/" + fakeKey, // the key in the wrong place
	})
	files := map[string]string{"gate.yml": "rerun-failed: 2\n"}
	cfg, _, problems := loadSys(t, []string{"--timeout", "45m"}, fakeSystem(env, files))
	if problems != nil {
		t.Fatalf("problems %q", problems)
	}
	got := map[string]Resolved{}
	for _, r := range cfg.Sources {
		got[r.Name] = r
	}
	want := map[string]Resolved{
		"timeout":       {"timeout", "45m", SourceFlag, "--timeout"},
		"max-parallel":  {"max-parallel", "4", SourceInput, "action input max-parallel"},
		"dotenv":        {"dotenv", "gate.env", SourceEnv, "DOCKETQA_DOTENV"},
		"rerun-failed":  {"rerun-failed", "2", SourceFile, "config file gate.yml line 1"},
		"poll-interval": {"poll-interval", "2s", SourceDefault, ""},
		"summary":       {"summary", "/runner/summary", SourceDefault, "GITHUB_STEP_SUMMARY"},
		"debug":         {"debug", "true", SourceEnv, "RUNNER_DEBUG"},
		"api-key":       {"api-key", "[redacted]", SourceEnv, "DOCKETQA_API_KEY"},
		"base-url":      {"base-url", "[redacted]", SourceEnv, "DOCKETQA_BASE_URL"},
		"config":        {"config", "gate.yml", SourceEnv, "DOCKETQA_CONFIG"},
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("source of %s = %+v, want %+v", name, got[name], w)
		}
	}
	if len(cfg.Sources) != len(Settings())-2 { // all but help and version
		t.Errorf("%d sources, want one per setting but help and version", len(cfg.Sources))
	}
	for _, r := range cfg.Sources {
		if strings.Contains(r.Value, fakeKey) {
			t.Errorf("source %s leaks the key", r.Name)
		}
	}
}

func TestConfigFile(t *testing.T) {
	t.Parallel()
	yamlFile := `# settings for the nightly suite
blueprint-ids:
  - 181
  - 182
timeout: 45m
junit: reports/junit.xml
fail-fast: true
summary: nightly.md
`
	jsonFile := `{"blueprint-ids": "181,182", "timeout": "45m", "junit": "reports/junit.xml", "fail-fast": true, "summary": "nightly.md"}`
	noIDs := map[string]string{"DOCKETQA_API_KEY": fakeKey}
	for _, tc := range []struct{ name, file string }{{"yaml", yamlFile}, {"json", jsonFile}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sys := fakeSystem(noIDs, map[string]string{"gate.conf": tc.file})
			cfg, _, problems := loadSys(t, []string{"--config", "gate.conf"}, sys)
			if problems != nil {
				t.Fatalf("problems %q", problems)
			}
			if !slices.Equal(cfg.BlueprintIDs, []int64{181, 182}) || cfg.Timeout != 45*time.Minute ||
				cfg.JUnitPath != "reports/junit.xml" || !cfg.FailFast || cfg.SummaryPath != "nightly.md" || cfg.ConfigFile != "gate.conf" {
				t.Errorf("config from file: %+v", cfg)
			}
		})
	}

	t.Run("precedence", func(t *testing.T) {
		t.Parallel()
		file := "timeout: 1m\npoll-interval: 3s\nmax-parallel: 3\nrerun-failed: 1\nsummary: file.md\n"
		env := validEnv(map[string]string{
			"DOCKETQA_CONFIG":     "f.yml",
			"DOCKETQA_TIMEOUT":    "2m",     // env beats file
			"INPUT_POLL-INTERVAL": "4s",     // input beats file
			"INPUT_MAX-PARALLEL":  "5",      // flag beats input beats file
			"GITHUB_STEP_SUMMARY": "/gh/ss", // file beats the runner's stand-in
		})
		cfg, _, problems := loadSys(t, []string{"--max-parallel", "6"}, fakeSystem(env, map[string]string{"f.yml": file}))
		if problems != nil {
			t.Fatalf("problems %q", problems)
		}
		if cfg.Timeout != 2*time.Minute || cfg.PollInterval != 4*time.Second || cfg.MaxParallel != 6 ||
			cfg.RerunFailed != 1 || cfg.SummaryPath != "file.md" || cfg.SummaryFromRunner {
			t.Errorf("precedence: %+v", cfg)
		}
	})

	errorCases := []struct {
		name, file, want string
	}{
		{"unknown key", "blueprint-id: 181\n", `config file "c.yml": line 1: unknown setting "blueprint-id"; did you mean "blueprint-ids"?`},
		{"input name", "junit-path: j.xml\n", `did you mean "junit"? (the action input junit-path is called junit in a file)`},
		{"nothing close", "colour: blue\n", `unknown setting "colour"; the keys are the flag names without their dashes`},
		{"api key", "api-key: " + fakeKey + "\n", "line 1: the API key is refused in a file"},
		{"api key env name", "DOCKETQA_API_KEY: " + fakeKey + "\n", "the API key is refused in a file"},
		{"config in config", "config: other.yml\n", "line 1: config cannot be set in a config file"},
		{"duplicate", "timeout: 1m\ntimeout: 2m\n", `line 2: "timeout" is already set on line 1`},
		{"not a mapping", "- 181\n", "the file must be a mapping of settings"},
		{"two documents", "timeout: 1m\n---\ntimeout: 2m\n", "more than one YAML document"},
		{"list for a duration", "timeout: [1m]\n", "line 1: timeout: a list is allowed only for id lists"},
		{"nested list", "blueprint-ids: [[1]]\n", "list items must be plain ids"},
		{"bad value names the file", "timeout: soon\n", `invalid --timeout / DOCKETQA_TIMEOUT "soon" (from config file c.yml line 1)`},
		{"syntax error", "timeout: [\n", `config file "c.yml": yaml:`},
		{"missing file", "", "file does not exist"},
		{"key as a value", "timeout: " + fakeKey + "\n", `invalid --timeout / DOCKETQA_TIMEOUT [redacted] (from config file c.yml line 1)`},
		{"key as a name", fakeKey + ": 1\n", `unknown setting [redacted]`},
		// What YAML adds over a flag's text is refused, so a file reads
		// line by line and means what a flag would.
		{"anchor", "timeout: &t 45m\n", "line 1: timeout: YAML anchors are not supported"},
		{"anchor on a name", "&n timeout: 45m\n", "line 1: setting names are plain words"},
		{"anchor in a list", "blueprint-ids: [1, &x 2]\n", "list items must be plain ids"},
		{"alias", "timeout: 45m\npoll-interval: *t\n", "yaml:"},
		{"alias of an anchor", "timeout: &t 45m\npoll-interval: *t\n", "line 2: poll-interval: YAML aliases are not supported"},
		{"merge key", "<<: {timeout: 1m}\n", `line 1: unknown setting "<<"`},
		{"merge key of an alias", "<<: *b\n", "yaml:"},
		{"yaml 1.1 yes", "fail-fast: yes\n", `invalid --fail-fast / DOCKETQA_FAIL_FAST "yes"`},
		{"yaml 1.1 off", "fail-fast: off\n", `invalid --fail-fast / DOCKETQA_FAIL_FAST "off"`},
		{"yaml 1.1 on", "fail-fast: on\n", `invalid --fail-fast / DOCKETQA_FAIL_FAST "on"`},
		{"hex number", "max-parallel: 0x10\n", `invalid --max-parallel / DOCKETQA_MAX_PARALLEL "0x10"`},
		{"octal number", "max-parallel: 0o10\n", `invalid --max-parallel / DOCKETQA_MAX_PARALLEL "0o10"`},
		{"float number", "max-parallel: 1e3\n", `invalid --max-parallel / DOCKETQA_MAX_PARALLEL "1e3"`},
		{"deep nesting", "blueprint-ids: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n", "yaml: exceeded max depth"},
		{"duplicate in a flow mapping", "{timeout: 1m, timeout: 2m}\n", `"timeout" is already set on line 1`},
		{"case variant name", "Timeout: 1m\n", `unknown setting "Timeout"; did you mean "timeout"?`},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{"c.yml": tc.file}
			if tc.name == "missing file" {
				files = nil
			}
			_, _, problems := loadSys(t, []string{"--config=c.yml"}, fakeSystem(validEnv(nil), files))
			joined := strings.Join(problems, "\n")
			if !strings.Contains(joined, tc.want) {
				t.Errorf("problems %q, want one containing %q", problems, tc.want)
			}
			if strings.Contains(joined, fakeKey) {
				t.Errorf("problems leak the key: %q", problems)
			}
		})
	}

	t.Run("empty file and null values set nothing", func(t *testing.T) {
		t.Parallel()
		for _, file := range []string{"", "# nothing\n", "timeout:\n", "timeout: null\n", "timeout: ''\n"} {
			cfg, _, problems := loadSys(t, []string{"--config", "c.yml"}, fakeSystem(validEnv(nil), map[string]string{"c.yml": file}))
			if problems != nil || cfg.Timeout != 30*time.Minute {
				t.Errorf("file %q: timeout %v, problems %q; want the default", file, cfg.Timeout, problems)
			}
		}
	})
}

func TestSymlinkedReportPathsAreRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		link    string
		problem string // empty: accepted
	}{
		{"junit", []string{"--junit", "j.xml"}, nil, "j.xml", `invalid --junit / DOCKETQA_JUNIT "j.xml": it is a symbolic link`},
		{"summary flag", []string{"--summary", "s.md"}, nil, "s.md", `invalid --summary / DOCKETQA_SUMMARY "s.md": it is a symbolic link`},
		{"summary env", nil, map[string]string{"DOCKETQA_SUMMARY": "s.md"}, "s.md", "--summary / DOCKETQA_SUMMARY"},
		{"results json", []string{"--results-json", "r.json"}, nil, "r.json", "--results-json"},
		{"dotenv", []string{"--dotenv", "d.env"}, nil, "d.env", "--dotenv"},
		{"detach manifest", []string{"--detach", "m.json"}, nil, "m.json", "--detach"},
		{"attach manifest", []string{"--attach", "m.json"}, map[string]string{"DOCKETQA_BLUEPRINT_IDS": ""}, "m.json", "--attach"},
		{"default junit", nil, nil, "docketqa-junit.xml", "--junit"},
		{"trailing slash still checks the link", []string{"--junit", "j.xml/"}, nil, "j.xml", "--junit"},
		{"the runner's job summary is exempt", nil, map[string]string{"GITHUB_STEP_SUMMARY": "/gh/step_summary"}, "/gh/step_summary", ""},
		{"a link elsewhere is fine", []string{"--junit", "j.xml"}, nil, "other.xml", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, _, problems := loadSys(t, tc.args, fakeSystem(validEnv(tc.env), nil, tc.link))
			if tc.problem == "" {
				if problems != nil {
					t.Errorf("problems %q, want none", problems)
				}
				return
			}
			if len(problems) != 1 || !strings.Contains(problems[0], tc.problem) || !strings.Contains(problems[0], "symbolic link") {
				t.Fatalf("problems %q, want one naming %q as a symbolic link", problems, tc.problem)
			}
			if tc.link == cfg.JUnitPath || tc.link == cfg.SummaryPath {
				t.Errorf("the refused link %q is still offered for the error report: %+v", tc.link, cfg)
			}
		})
	}
}

// TestSymlinksOnDisk checks the real os.Lstat: a link as the last
// component is refused, a link among the parent directories is fine.
func TestSymlinksOnDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	linkDir := filepath.Join(dir, "linkdir")
	if err := os.Symlink(real, linkDir); err != nil {
		t.Skipf("cannot create symbolic links here: %v", err)
	}
	environ := filepath.Join(dir, "environ")
	if err := os.WriteFile(environ, []byte("SECRET=1"), 0o600); err != nil {
		t.Fatal(err)
	}
	linkFile := filepath.Join(real, "summary.md")
	if err := os.Symlink(environ, linkFile); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load([]string{"--summary", filepath.Join(linkDir, "summary.md")}, testutil.Getenv(validEnv(nil)))
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a summary path that is a link through a linked directory: %v, want refused", err)
	}
	if _, _, err := Load([]string{"--summary", filepath.Join(linkDir, "new.md"), "--junit", filepath.Join(linkDir, "j.xml")},
		testutil.Getenv(validEnv(nil))); err != nil {
		t.Errorf("paths in a linked directory: %v, want accepted", err)
	}
}

// TestUsageErrorCarriesWhatReportingNeeds drives Load into a usage error
// and checks what comes back with it: the key to mask, and the JUnit and
// summary paths only when they are valid themselves.
func TestUsageErrorCarriesWhatReportingNeeds(t *testing.T) {
	t.Parallel()
	type reporting struct {
		key, junit, summary    string
		fromRunner, debug, gha bool
	}
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		links []string
		want  reporting
	}{
		{"bad timeout", []string{"--timeout", "soon"}, nil, nil,
			reporting{key: fakeKey, junit: "docketqa-junit.xml"}},
		{"junit and summary from inputs", nil,
			map[string]string{"INPUT_TIMEOUT": "soon", "INPUT_JUNIT-PATH": "out/j.xml", "INPUT_SUMMARY-PATH": "s.md", "INPUT_DEBUG": "true"}, nil,
			reporting{key: fakeKey, junit: "out/j.xml", summary: "s.md", debug: true}},
		{"job summary", []string{"--max-parallel", "0"}, map[string]string{"GITHUB_STEP_SUMMARY": "/gh/ss", "RUNNER_DEBUG": "1"}, nil,
			reporting{key: fakeKey, junit: "docketqa-junit.xml", summary: "/gh/ss", fromRunner: true, debug: true, gha: true}},
		{"junit is a link", []string{"--junit", "j.xml", "--summary", "s.md"}, nil, []string{"j.xml"},
			reporting{key: fakeKey, summary: "s.md"}},
		{"junit and summary collide", []string{"--junit", "x", "--summary", "x"}, nil, nil,
			reporting{key: fakeKey}},
		{"junit would overwrite the config file", []string{"--config", "c.yml", "--junit", "./c.yml"}, nil, nil,
			reporting{key: fakeKey}},
		{"key flag", []string{"--api-key=" + fakeKey}, map[string]string{"DOCKETQA_JUNIT": "e.xml"}, nil,
			reporting{key: fakeKey, junit: "e.xml"}},
		{"typo", []string{"--tiemout", "5m", "--junit", "t.xml"}, nil, nil,
			reporting{key: fakeKey, junit: "t.xml"}},
		{"typo and colliding paths", []string{"--tiemout", "5m", "--junit", "x", "--summary", "x"}, nil, nil,
			reporting{key: fakeKey}},
		{"typo and a linked junit", []string{"--tiemout", "5m", "--junit", "l.xml"}, nil, []string{"l.xml"},
			reporting{key: fakeKey}},
		{"junit from the config file", []string{"--config", "c.yml", "--timeout", "soon"}, nil, nil,
			reporting{key: fakeKey, junit: "file.xml"}},
		{"junit from the config file after a typo", []string{"--tiemout", "5m", "--config", "c.yml"}, nil, nil,
			reporting{key: fakeKey, junit: "file.xml"}},
		{"malformed key is still offered for masking", nil, map[string]string{"DOCKETQA_API_KEY": "dqa FAKE\nsplit"}, nil,
			reporting{key: "dqa FAKE\nsplit", junit: "docketqa-junit.xml"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sys := fakeSystem(validEnv(tc.env), map[string]string{"c.yml": "junit: file.xml\n"}, tc.links...)
			cfg, _, problems := loadSys(t, tc.args, sys)
			if problems == nil {
				t.Fatal("no usage error")
			}
			got := reporting{cfg.APIKey.Reveal(), cfg.JUnitPath, cfg.SummaryPath, cfg.SummaryFromRunner, cfg.Debug, cfg.DebugFromRunner}
			if got != tc.want {
				t.Errorf("reporting fields %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMaskValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   Secret
		want []string
	}{
		{"", nil},
		{"  ", nil},
		{"dqa_FAKE", []string{"dqa_FAKE"}},
		{" dqa_FAKE\n", []string{"dqa_FAKE"}},
		{"dqa FAKE\nsplit\x00x", []string{"dqa", "FAKE", "split", "x"}},
	}
	for _, tc := range cases {
		if got := tc.in.MaskValues(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("MaskValues(%q) = %q, want %q", tc.in.Reveal(), got, tc.want)
		}
	}
}

func TestCheckWritable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "old.xml")
	if err := os.WriteFile(existing, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, problem string
	}{
		{"new file", filepath.Join(dir, "j.xml"), ""},
		{"existing file", existing, ""},
		{"missing directories are created later", filepath.Join(dir, "a", "b", "j.xml"), ""},
		{"a directory", dir, "it is a directory"},
		{"under a file", filepath.Join(file, "j.xml"), "is not a directory"},
		{"deep under a file", filepath.Join(file, "x", "j.xml"), "not a directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckWritable([]ReportPath{{Setting: "--junit", Path: tc.path}})
			if tc.problem == "" {
				if err != nil {
					t.Errorf("CheckWritable: %v", err)
				}
				return
			}
			var ue *UsageError
			if !errors.As(err, &ue) || len(ue.Problems) != 1 || !strings.Contains(ue.Problems[0], tc.problem) ||
				!strings.HasPrefix(ue.Problems[0], "--junit ") {
				t.Errorf("CheckWritable: %v, want one problem naming --junit and %q", err, tc.problem)
			}
		})
	}
	// Run after the subtests: nothing may be left behind, and an existing
	// report keeps its content.
	t.Cleanup(func() {
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if !slices.Equal(names, []string{"file", "old.xml"}) {
			t.Errorf("left behind: %q", names)
		}
		if b, _ := os.ReadFile(existing); string(b) != "keep" {
			t.Errorf("existing report changed to %q", b)
		}
	})
}

func TestReportPaths(t *testing.T) {
	t.Parallel()
	c := Config{JUnitPath: "j.xml", SummaryPath: "s.md", ResultsJSONPath: "r.json", DotenvPath: "d.env", Detach: "m.json"}
	want := []ReportPath{{"--junit", "j.xml"}, {"--summary", "s.md"}, {"--dotenv", "d.env"}, {"--results-json", "r.json"}, {"--detach", "m.json"}}
	if got := c.ReportPaths(); !reflect.DeepEqual(got, want) {
		t.Errorf("ReportPaths = %+v, want %+v", got, want)
	}
	if got := (Config{JUnitPath: "j.xml"}).ReportPaths(); len(got) != 1 {
		t.Errorf("empty paths listed: %+v", got)
	}
}

func TestEditDistanceAndClosest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"blueprint-id", "blueprint-ids", 1}, {"tiemout", "timeout", 2}} {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
	names := []string{"timeout", "junit", "dry-run"}
	for in, want := range map[string]string{"timeout": "timeout", "tmeout": "timeout", "x": "", "jnuit": "junit", "completely-else": ""} {
		if got := closest(in, names); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUsageErrorOneLine(t *testing.T) {
	t.Parallel()
	e := &UsageError{Problems: []string{"a", "b"}}
	if got := e.OneLine(); got != "a; b" {
		t.Errorf("OneLine = %q, want %q", got, "a; b")
	}
	if got := e.Error(); got != "a\nb" {
		t.Errorf("Error = %q, want %q", got, "a\nb")
	}
}

// TestCheckDir checks the artifacts directory as a real run uses it: an
// existing directory is fine (the real run saves into it), so is a
// missing one under a writable parent; a file in its place is not.
func TestCheckDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, problem string }{
		{dir, ""},
		{dir + "/", ""},
		{filepath.Join(dir, "new", "evidence"), ""},
		{file, "not a directory"},
		{filepath.Join(file, "evidence"), "not a directory"},
	} {
		err := CheckDir(tc.path)
		if (err == nil) != (tc.problem == "") || (err != nil && !strings.Contains(err.Error(), tc.problem)) {
			t.Errorf("CheckDir(%s) = %v, want %q", tc.path, err, tc.problem)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}
