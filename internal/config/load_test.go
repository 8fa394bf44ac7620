package config

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// validEnv is the smallest environment that loads: a key and one id.
func validEnv(extra map[string]string) map[string]string {
	m := map[string]string{
		"DOCKETQA_API_KEY":       fakeKey,
		"DOCKETQA_BLUEPRINT_IDS": "181",
	}
	maps.Copy(m, extra)
	return m
}

// mustLoad fails the test unless Load succeeds.
func mustLoad(t *testing.T, args []string, env map[string]string) (Config, []string) {
	t.Helper()
	cfg, warnings, err := Load(args, testutil.Getenv(env))
	if err != nil {
		t.Fatalf("Load(%q): unexpected error: %v", args, err)
	}
	return cfg, warnings
}

// mustFail fails the test unless Load returns a *UsageError, and returns its
// text after checking that the key is not in it.
func mustFail(t *testing.T, args []string, env map[string]string) string {
	t.Helper()
	cfg, _, err := Load(args, testutil.Getenv(env))
	if err == nil {
		t.Fatalf("Load(%q) = %+v, want an error", args, cfg)
	}
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("Load(%q) error %v is a %T, want *UsageError", args, err, err)
	}
	// Only what reporting the error needs may come back with it.
	rest := cfg
	rest.APIKey, rest.JUnitPath, rest.SummaryPath, rest.SummaryFromRunner = "", "", "", false
	rest.Debug, rest.DebugFromRunner = false, false
	if !reflect.DeepEqual(rest, Config{}) {
		t.Errorf("Load returned more than the reporting fields alongside an error: %+v", cfg)
	}
	if strings.Contains(err.Error(), "--help") {
		t.Errorf("error carries the --help hint, which the caller prints once: %v", err)
	}
	for _, key := range []string{fakeKey, env["DOCKETQA_API_KEY"], env["DOCKET_API_KEY"], env["INPUT_API-KEY"]} {
		// A key of a letter or two occurs in any English text; skip it.
		if key = strings.TrimSpace(key); len(key) > 2 && strings.Contains(err.Error(), key) {
			t.Fatalf("error leaks the API key: %v", err)
		}
	}
	return err.Error()
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	cfg, warnings := mustLoad(t, nil, validEnv(nil))
	want := Config{
		BlueprintIDs:     []int64{181},
		APIKey:           Secret(fakeKey),
		BaseURL:          "https://api.docketqa.com",
		DashboardURL:     "https://app.docketqa.com",
		Timeout:          30 * time.Minute,
		PollInterval:     2 * time.Second,
		MaxPollInterval:  30 * time.Second,
		MaxParallel:      8,
		ProgressInterval: 30 * time.Second,
		RequestTimeout:   30 * time.Second,
		NotFoundGrace:    30 * time.Second,
		JUnitPath:        "docketqa-junit.xml",
		ArtifactsMode:    "failed",
		PRComment:        "off",
		DemoScenario:     "pass",
		RerunMaxFailures: 5,
		FailOnNoVerdict:  true,
		FailOnMissing:    true,
	}
	if len(cfg.Sources) == 0 {
		t.Error("no Sources")
	}
	cfg.Sources = nil
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
	if cfg.APIKey.Reveal() != fakeKey {
		t.Errorf("APIKey not loaded from DOCKETQA_API_KEY")
	}
	if len(warnings) != 0 {
		t.Errorf("unexpected warnings: %q", warnings)
	}
}

// TestLoadPrecedence tries every combination of the four places a setting
// can come from; the highest present must win, else the default.
func TestLoadPrecedence(t *testing.T) {
	t.Parallel()
	sources := []struct {
		arg, env, value string
	}{
		{arg: "--poll-interval=11s", value: "11s"},
		{env: "INPUT_POLL-INTERVAL", value: "12s"},
		{env: "INPUT_POLL_INTERVAL", value: "13s"},
		{env: "DOCKETQA_POLL_INTERVAL", value: "14s"},
	}
	for mask := 0; mask < 1<<len(sources); mask++ {
		var args []string
		env := validEnv(nil)
		want := 2 * time.Second
		var names []string
		for i := len(sources) - 1; i >= 0; i-- {
			if mask&(1<<i) == 0 {
				continue
			}
			s := sources[i]
			if s.arg != "" {
				args = append(args, s.arg)
				names = append(names, "flag")
			} else {
				env[s.env] = s.value
				names = append(names, s.env)
			}
			want, _ = time.ParseDuration(s.value)
		}
		t.Run(fmt.Sprintf("%04b_%s", mask, strings.Join(names, "+")), func(t *testing.T) {
			t.Parallel()
			cfg, _ := mustLoad(t, args, env)
			if cfg.PollInterval != want {
				t.Errorf("PollInterval = %v, want %v", cfg.PollInterval, want)
			}
		})
	}
}

func TestLoadSources(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		env  map[string]string
		get  func(Config) any
		want any
	}{
		{"empty input falls through to env", nil,
			validEnv(map[string]string{"INPUT_TIMEOUT": "", "DOCKETQA_TIMEOUT": "2m"}),
			func(c Config) any { return c.Timeout }, 2 * time.Minute},
		{"blank input falls through to env", nil,
			validEnv(map[string]string{"INPUT_TIMEOUT": "  \n", "DOCKETQA_TIMEOUT": "2m"}),
			func(c Config) any { return c.Timeout }, 2 * time.Minute},
		{"empty flag falls through to env", []string{"--timeout="},
			validEnv(map[string]string{"DOCKETQA_TIMEOUT": "2m"}),
			func(c Config) any { return c.Timeout }, 2 * time.Minute},
		{"values are trimmed", nil,
			validEnv(map[string]string{"DOCKETQA_TIMEOUT": " 2m\n"}),
			func(c Config) any { return c.Timeout }, 2 * time.Minute},
		{"hyphenated input", nil,
			validEnv(map[string]string{"INPUT_BLUEPRINT-IDS": "7,8"}),
			func(c Config) any { return c.BlueprintIDs }, []int64{7, 8}},
		{"underscore input", nil,
			validEnv(map[string]string{"INPUT_BLUEPRINT_IDS": "7,8"}),
			func(c Config) any { return c.BlueprintIDs }, []int64{7, 8}},
		{"hyphenated input beats underscore input", nil,
			validEnv(map[string]string{"INPUT_BLUEPRINT-IDS": "7", "INPUT_BLUEPRINT_IDS": "8"}),
			func(c Config) any { return c.BlueprintIDs }, []int64{7}},
		{"flag beats input and env", []string{"--blueprint-ids", "9"},
			validEnv(map[string]string{"INPUT_BLUEPRINT-IDS": "7"}),
			func(c Config) any { return c.BlueprintIDs }, []int64{9}},
		{"single-dash flag", []string{"-blueprint-ids=9"}, validEnv(nil),
			func(c Config) any { return c.BlueprintIDs }, []int64{9}},
		{"key from input beats env", nil,
			validEnv(map[string]string{"INPUT_API-KEY": "dqa_FAKE_input"}),
			func(c Config) any { return c.APIKey.Reveal() }, "dqa_FAKE_input"},
		{"key from underscore input", nil,
			validEnv(map[string]string{"INPUT_API_KEY": "dqa_FAKE_input"}),
			func(c Config) any { return c.APIKey.Reveal() }, "dqa_FAKE_input"},
		{"key DOCKETQA_ beats DOCKET_", nil,
			validEnv(map[string]string{"DOCKET_API_KEY": "dqa_FAKE_old"}),
			func(c Config) any { return c.APIKey.Reveal() }, fakeKey},
		{"key falls back to DOCKET_API_KEY", nil,
			map[string]string{"DOCKET_API_KEY": "dqa_FAKE_old", "DOCKETQA_BLUEPRINT_IDS": "1"},
			func(c Config) any { return c.APIKey.Reveal() }, "dqa_FAKE_old"},
		{"key is trimmed", nil,
			map[string]string{"DOCKETQA_API_KEY": " dqa_FAKE_k\n", "DOCKETQA_BLUEPRINT_IDS": "1"},
			func(c Config) any { return c.APIKey.Reveal() }, "dqa_FAKE_k"},
		{"summary defaults to none", nil, validEnv(nil),
			func(c Config) any { return c.SummaryPath }, ""},
		{"summary defaults to GITHUB_STEP_SUMMARY", nil,
			validEnv(map[string]string{"GITHUB_STEP_SUMMARY": "/gh/summary"}),
			func(c Config) any { return c.SummaryPath }, "/gh/summary"},
		{"DOCKETQA_SUMMARY beats GITHUB_STEP_SUMMARY", nil,
			validEnv(map[string]string{"GITHUB_STEP_SUMMARY": "/gh/summary", "DOCKETQA_SUMMARY": "mine.md"}),
			func(c Config) any { return c.SummaryPath }, "mine.md"},
		{"summary input beats env", nil,
			validEnv(map[string]string{"GITHUB_STEP_SUMMARY": "/gh/summary", "INPUT_SUMMARY-PATH": "in.md"}),
			func(c Config) any { return c.SummaryPath }, "in.md"},
		{"summary flag beats all", []string{"--summary", "flag.md"},
			validEnv(map[string]string{"GITHUB_STEP_SUMMARY": "/gh/summary", "INPUT_SUMMARY-PATH": "in.md"}),
			func(c Config) any { return c.SummaryPath }, "flag.md"},
		{"junit input", nil, validEnv(map[string]string{"INPUT_JUNIT-PATH": "out/j.xml"}),
			func(c Config) any { return c.JUnitPath }, "out/j.xml"},
		{"junit empty means default", []string{"--junit="}, validEnv(nil),
			func(c Config) any { return c.JUnitPath }, "docketqa-junit.xml"},
		{"dotenv env", nil, validEnv(map[string]string{"DOCKETQA_DOTENV": "gate.env"}),
			func(c Config) any { return c.DotenvPath }, "gate.env"},
		{"results json input", nil, validEnv(map[string]string{"INPUT_RESULTS-JSON": "r.json"}),
			func(c Config) any { return c.ResultsJSONPath }, "r.json"},
		{"dashboard env", nil, validEnv(map[string]string{"DOCKETQA_DASHBOARD_URL": "https://dash.example/"}),
			func(c Config) any { return c.DashboardURL }, "https://dash.example"},
		{"integer seconds", []string{"--timeout", "90"}, validEnv(nil),
			func(c Config) any { return c.Timeout }, 90 * time.Second},
		{"go duration", nil, validEnv(map[string]string{"INPUT_TIMEOUT": "1h30m"}),
			func(c Config) any { return c.Timeout }, 90 * time.Minute},
		{"progress interval", []string{"--progress-interval=1m"}, validEnv(nil),
			func(c Config) any { return c.ProgressInterval }, time.Minute},
		{"max parallel bounds", []string{"--max-parallel=256"}, validEnv(nil),
			func(c Config) any { return c.MaxParallel }, 256},
		{"max parallel low bound", nil, validEnv(map[string]string{"DOCKETQA_MAX_PARALLEL": "1"}),
			func(c Config) any { return c.MaxParallel }, 1},
		{"rerun failed", nil, validEnv(map[string]string{"INPUT_RERUN-FAILED": "10"}),
			func(c Config) any { return c.RerunFailed }, 10},
		{"dry run switch", []string{"--dry-run"}, validEnv(nil),
			func(c Config) any { return c.DryRun }, true},
		{"dry run env", nil, validEnv(map[string]string{"DOCKETQA_DRY_RUN": "TRUE"}),
			func(c Config) any { return c.DryRun }, true},
		{"flag false beats env true", []string{"--fail-fast=false"},
			validEnv(map[string]string{"DOCKETQA_FAIL_FAST": "true"}),
			func(c Config) any { return c.FailFast }, false},
		{"fail fast input", nil, validEnv(map[string]string{"INPUT_FAIL-FAST": "1"}),
			func(c Config) any { return c.FailFast }, true},
		{"non-blocking ids", nil,
			validEnv(map[string]string{"DOCKETQA_BLUEPRINT_IDS": "1,2,3", "INPUT_NON-BLOCKING-IDS": "3\n2\n"}),
			func(c Config) any { return c.NonBlockingIDs }, []int64{3, 2}},
		{"detach", []string{"--detach", "m.json"}, validEnv(nil),
			func(c Config) any { return c.Detach }, "m.json"},
		{"attach without ids", nil,
			map[string]string{"DOCKETQA_API_KEY": fakeKey, "INPUT_ATTACH": "m.json"},
			func(c Config) any { return c.Attach }, "m.json"},
		{"demo needs no key or ids", []string{"--demo"}, nil,
			func(c Config) any { return [2]any{c.Demo, c.DemoScenario} }, [2]any{true, "pass"}},
		{"demo scenario implies demo", []string{"--demo-scenario", "FAIL"}, nil,
			func(c Config) any { return [2]any{c.Demo, c.DemoScenario} }, [2]any{true, "fail"}},
		{"demo scenario pass implies demo", []string{"--demo-scenario=pass"}, nil,
			func(c Config) any { return c.Demo }, true},
		{"demo with dry run", []string{"--demo", "--dry-run"}, nil,
			func(c Config) any { return c.DryRun }, true},
		{"only first poll delay given raises the longest", []string{"--poll-interval=1m"}, validEnv(nil),
			func(c Config) any { return [2]time.Duration{c.PollInterval, c.MaxPollInterval} },
			[2]time.Duration{time.Minute, time.Minute}},
		{"only longest poll delay given lowers the first", nil,
			validEnv(map[string]string{"DOCKETQA_MAX_POLL_INTERVAL": "2s"}),
			func(c Config) any { return [2]time.Duration{c.PollInterval, c.MaxPollInterval} },
			[2]time.Duration{2 * time.Second, 2 * time.Second}},
		{"equal poll delays", []string{"--poll-interval=10s", "--max-poll-interval=10s"}, validEnv(nil),
			func(c Config) any { return [2]time.Duration{c.PollInterval, c.MaxPollInterval} },
			[2]time.Duration{10 * time.Second, 10 * time.Second}},
		{"arguments after -- are none", []string{"--dry-run", "--"}, validEnv(nil),
			func(c Config) any { return c.DryRun }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, _ := mustLoad(t, tc.args, tc.env)
			if got := tc.get(cfg); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLoadURLs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want string // want "" means refused
	}{
		{"https://api.docketqa.com", "https://api.docketqa.com"},
		{"https://api.docketqa.com/", "https://api.docketqa.com"},
		{"https://proxy.example/docketqa/api//", "https://proxy.example/docketqa/api"},
		{"HTTPS://api.example:8443", "https://api.example:8443"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"http://LocalHost/prefix/", "http://LocalHost/prefix"},
		{"http://127.0.0.1:9", "http://127.0.0.1:9"},
		{"http://127.8.9.10", "http://127.8.9.10"},
		{"http://[::1]:8080/", "http://[::1]:8080"},
		{"http://api.docketqa.com", ""},
		{"http://10.0.0.1", ""},
		{"http://128.0.0.1", ""},
		{"http://[::2]", ""},
		{"http://localhost.evil.example", ""},
		{"http://evil.example#@localhost", ""},
		{"ftp://api.docketqa.com", ""},
		{"api.docketqa.com", ""},
		{"//api.docketqa.com", ""},
		{"https://", ""},
		{"https:api.docketqa.com", ""},
		{"https://:443", ""},
		{"https://api.docketqa.com?x=1", ""},
		{"https://api.docketqa.com/?", ""},
		{"https://api.docketqa.com#frag", ""},
		{"https://api.docketqa.com:port", ""},
		{"https://user:hunter2@api.docketqa.com", ""},
		{"https://user@api.docketqa.com", ""},
	}
	for _, tc := range cases {
		for _, s := range []struct{ flag, env string }{
			{"--base-url", "DOCKETQA_BASE_URL"},
			{"--dashboard-url", "DOCKETQA_DASHBOARD_URL"},
		} {
			t.Run(s.flag+"="+tc.in, func(t *testing.T) {
				t.Parallel()
				args := []string{s.flag + "=" + tc.in}
				if tc.want == "" {
					msg := mustFail(t, args, validEnv(nil))
					for _, name := range []string{s.flag, s.env} {
						if !strings.Contains(msg, name) {
							t.Errorf("error %q does not name %s", msg, name)
						}
					}
					if strings.Contains(msg, "hunter2") {
						t.Errorf("error leaks URL credentials: %q", msg)
					}
					return
				}
				cfg, _ := mustLoad(t, args, validEnv(nil))
				got := cfg.BaseURL
				if s.flag == "--dashboard-url" {
					got = cfg.DashboardURL
				}
				if got != tc.want {
					t.Errorf("got %q, want %q", got, tc.want)
				}
			})
		}
	}
}

// TestLoadErrors checks that every bad value is a *UsageError naming the
// setting by flag and environment variable, showing the bad value and
// never the key.
func TestLoadErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string // substrings the message must contain
	}{
		{"unknown flag", []string{"--bogus"}, validEnv(nil), []string{"unknown flag --bogus"}},
		{"flag without value", []string{"--timeout"}, validEnv(nil), []string{"-timeout"}},
		{"positional", []string{"181"}, validEnv(nil), []string{`unexpected argument "181"`, "--blueprint-ids"}},
		{"positional after --", []string{"--", "x"}, validEnv(nil), []string{`"x"`}},
		{"switch given a separate value", []string{"--dry-run", "false"}, validEnv(nil), []string{`"false"`, "--dry-run=false"}},
		{"bad ids", []string{"--blueprint-ids", "181,abc"}, validEnv(nil),
			[]string{"--blueprint-ids", "DOCKETQA_BLUEPRINT_IDS", `"abc"`}},
		{"bad ids from input", nil, validEnv(map[string]string{"INPUT_BLUEPRINT-IDS": "+5"}),
			[]string{"--blueprint-ids", "DOCKETQA_BLUEPRINT_IDS", `"+5"`, "action input blueprint-ids"}},
		{"zero id", nil, validEnv(map[string]string{"DOCKETQA_BLUEPRINT_IDS": "0"}), []string{`"0"`, "start at 1"}},
		{"negative id", nil, validEnv(map[string]string{"DOCKETQA_BLUEPRINT_IDS": "-3"}), []string{`"-3"`}},
		{"overflowing id", nil, validEnv(map[string]string{"DOCKETQA_BLUEPRINT_IDS": "99999999999999999999"}),
			[]string{`"99999999999999999999"`}},
		{"short key does not garble messages", nil, map[string]string{"DOCKETQA_API_KEY": "a", "DOCKETQA_BLUEPRINT_IDS": "x"},
			[]string{`"x" is not a blueprint id: ids are whole numbers`, "DOCKETQA_API_KEY", "1 characters long"}},
		{"toy key refused", nil, map[string]string{"DOCKETQA_API_KEY": "k", "DOCKETQA_BLUEPRINT_IDS": "181"},
			[]string{"invalid DOCKETQA_API_KEY", "too short", "at least 8 characters"}},
		{"seven-character key refused", nil, map[string]string{"DOCKETQA_API_KEY": "abcdefg", "DOCKETQA_BLUEPRINT_IDS": "181"},
			[]string{"invalid DOCKETQA_API_KEY", "7 characters long"}},
		{"bad artifacts mode", []string{"--artifacts-dir", "evidence", "--artifacts", "some"}, validEnv(nil),
			[]string{"--artifacts", "DOCKETQA_ARTIFACTS", `"some"`, "failed or all"}},
		{"report as artifacts index", []string{"--artifacts-dir", "evidence", "--junit", "evidence/index.json"}, validEnv(nil),
			[]string{"--artifacts-dir", "--junit", "index.json"}},
		{"report as artifacts dir", []string{"--results-json", "./evidence"}, validEnv(map[string]string{"DOCKETQA_ARTIFACTS_DIR": "evidence/"}),
			[]string{"DOCKETQA_ARTIFACTS_DIR", "--results-json"}},
		{"bad non-blocking ids", []string{"--non-blocking-ids=x"}, validEnv(nil),
			[]string{"--non-blocking-ids", "DOCKETQA_NON_BLOCKING_IDS", `"x"`}},
		{"missing ids", nil, map[string]string{"DOCKETQA_API_KEY": fakeKey},
			[]string{"--blueprint-ids", "DOCKETQA_BLUEPRINT_IDS", "blueprint-ids", "--demo"}},
		{"ids only separators", nil, validEnv(map[string]string{"DOCKETQA_BLUEPRINT_IDS": " , \n"}),
			[]string{"DOCKETQA_BLUEPRINT_IDS", "no ids"}},
		{"missing key", nil, map[string]string{"DOCKETQA_BLUEPRINT_IDS": "1"},
			[]string{"DOCKETQA_API_KEY", "api-key"}},
		{"api key flag", []string{"--api-key=" + fakeKey}, validEnv(nil), []string{"--api-key", "DOCKETQA_API_KEY"}},
		{"api key flag separate value", []string{"-api-key", fakeKey}, validEnv(nil), []string{"-api-key", "DOCKETQA_API_KEY"}},
		{"api_key flag", []string{"--api_key", fakeKey}, validEnv(nil), []string{"--api_key", "DOCKETQA_API_KEY"}},
		{"timeout garbage", []string{"--timeout=10x"}, validEnv(nil),
			[]string{`invalid --timeout / DOCKETQA_TIMEOUT "10x": use a Go duration such as 30m or 1h30m`}},
		{"timeout zero", nil, validEnv(map[string]string{"DOCKETQA_TIMEOUT": "0"}), []string{"--timeout", `"0"`, "longer than zero"}},
		{"timeout zero duration", nil, validEnv(map[string]string{"DOCKETQA_TIMEOUT": "0s"}), []string{"--timeout", `"0s"`}},
		{"timeout negative", nil, validEnv(map[string]string{"INPUT_TIMEOUT": "-5m"}),
			[]string{"--timeout", "DOCKETQA_TIMEOUT", `"-5m"`, "action input timeout"}},
		{"timeout too long", []string{"--timeout=9223372037"}, validEnv(nil), []string{"--timeout", "too long"}},
		{"timeout digits overflow", []string{"--timeout=99999999999999999999999"}, validEnv(nil), []string{"--timeout", "too long"}},
		{"poll interval", []string{"--poll-interval=soon"}, validEnv(nil),
			[]string{"--poll-interval", "DOCKETQA_POLL_INTERVAL", `"soon"`}},
		{"max poll interval", nil, validEnv(map[string]string{"DOCKETQA_MAX_POLL_INTERVAL": "1.5"}),
			[]string{"--max-poll-interval", "DOCKETQA_MAX_POLL_INTERVAL", `"1.5"`}},
		{"poll longer than max", []string{"--poll-interval=1m", "--max-poll-interval=30s"}, validEnv(nil),
			[]string{"--poll-interval", "DOCKETQA_POLL_INTERVAL", "--max-poll-interval", "DOCKETQA_MAX_POLL_INTERVAL", `"1m"`, `"30s"`}},
		{"progress interval", nil, validEnv(map[string]string{"DOCKETQA_PROGRESS_INTERVAL": "-1s"}),
			[]string{"--progress-interval", "DOCKETQA_PROGRESS_INTERVAL", `"-1s"`}},
		{"max parallel zero", []string{"--max-parallel=0"}, validEnv(nil),
			[]string{"--max-parallel", "DOCKETQA_MAX_PARALLEL", `"0"`, "1 to 256"}},
		{"max parallel too many", nil, validEnv(map[string]string{"INPUT_MAX-PARALLEL": "257"}), []string{"--max-parallel", `"257"`}},
		{"max parallel words", nil, validEnv(map[string]string{"DOCKETQA_MAX_PARALLEL": "eight"}), []string{"--max-parallel", `"eight"`}},
		{"rerun failed negative", []string{"--rerun-failed=-1"}, validEnv(nil),
			[]string{"--rerun-failed", "DOCKETQA_RERUN_FAILED", `"-1"`, "0 to 10"}},
		{"rerun failed too many", nil, validEnv(map[string]string{"DOCKETQA_RERUN_FAILED": "11"}), []string{"--rerun-failed", `"11"`}},
		{"bool garbage flag", []string{"--dry-run=maybe"}, validEnv(nil), []string{"--dry-run", "DOCKETQA_DRY_RUN", `"maybe"`, "true or false"}},
		{"bool garbage env", nil, validEnv(map[string]string{"DOCKETQA_FAIL_FAST": "yes"}), []string{"--fail-fast", "DOCKETQA_FAIL_FAST", `"yes"`}},
		{"bool garbage input", nil, validEnv(map[string]string{"INPUT_DRY_RUN": "on"}), []string{"--dry-run", `"on"`, "action input dry-run"}},
		{"demo garbage", []string{"--demo=please"}, validEnv(nil), []string{"--demo", `"please"`}},
		{"version garbage", []string{"--version=please"}, validEnv(nil), []string{"--version", `"please"`}},
		{"demo scenario", []string{"--demo-scenario=explode"}, nil, []string{"--demo-scenario", `"explode"`, "pass or fail"}},
		{"base url", []string{"--base-url=http://api.docketqa.com"}, validEnv(nil),
			[]string{"--base-url", "DOCKETQA_BASE_URL", `"http://api.docketqa.com"`, "https"}},
		{"attach and detach", []string{"--attach=a.json", "--detach=b.json"}, validEnv(nil),
			[]string{"--attach", "DOCKETQA_ATTACH", "--detach", "DOCKETQA_DETACH"}},
		{"dry run with detach", []string{"--dry-run", "--detach=m.json"}, validEnv(nil), []string{"--dry-run", "--detach"}},
		{"dry run with attach", nil, map[string]string{"DOCKETQA_API_KEY": fakeKey, "DOCKETQA_DRY_RUN": "true", "DOCKETQA_ATTACH": "m.json"},
			[]string{"--dry-run", "--attach"}},
		{"demo with detach", []string{"--demo", "--detach=m.json"}, nil, []string{"--demo", "--detach"}},
		{"demo scenario with attach", []string{"--demo-scenario=fail", "--attach=m.json"}, nil, []string{"--demo", "--attach"}},
		{"same file twice", []string{"--junit=out/r.xml", "--results-json=out/../out/r.xml"}, validEnv(nil),
			[]string{"--junit", "--results-json", `"out/../out/r.xml"`}},
		{"report overwrites manifest", nil, map[string]string{"DOCKETQA_API_KEY": fakeKey, "DOCKETQA_ATTACH": "m.json", "DOCKETQA_SUMMARY": "m.json"},
			[]string{"--summary", "--attach"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			msg := mustFail(t, tc.args, tc.env)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not contain %q:\n%s", w, msg)
				}
			}
		})
	}
}

func TestLoadReportsAllProblems(t *testing.T) {
	t.Parallel()
	_, _, err := Load([]string{"--timeout=x", "--max-parallel=0"}, testutil.Getenv(map[string]string{"DOCKETQA_RERUN_FAILED": "99"}))
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v, want a *UsageError", err)
	}
	// timeout, max-parallel, rerun-failed, missing ids, missing key
	if got, want := len(ue.Problems), 5; got != want {
		t.Errorf("got %d problems, want %d:\n%s", got, want, err)
	}
}

// TestLoadNeverLeaksKey feeds the key through every path that could echo it.
func TestLoadNeverLeaksKey(t *testing.T) {
	t.Parallel()
	keys := []string{
		fakeKey,
		"dqa FAKE key with spaces",
		"dqa_FAKE\nsecond_line",
		"dqa_FAKE\x00nul",
		"dqa_FAKE\xffbad",
	}
	for _, key := range keys {
		cases := []struct {
			name string
			args []string
			env  map[string]string
		}{
			{"bad key in env", nil, map[string]string{"DOCKETQA_API_KEY": key, "DOCKETQA_BLUEPRINT_IDS": "1", "DOCKETQA_TIMEOUT": "x"}},
			{"bad key in fallback env", nil, map[string]string{"DOCKET_API_KEY": key}},
			{"bad key in input", nil, map[string]string{"INPUT_API-KEY": key, "DOCKETQA_MAX_PARALLEL": "0"}},
			{"key flag", []string{"--api-key=" + key}, nil},
			{"key flag separate", []string{"--api-key", key}, nil},
			{"key as positional", []string{key}, map[string]string{"DOCKETQA_API_KEY": key}},
			{"key as another value", []string{"--timeout=" + key, "--blueprint-ids=" + key, "--demo-scenario=" + key},
				map[string]string{"DOCKETQA_API_KEY": key}},
			{"key as url password", []string{"--base-url=https://u:" + key + "@api.docketqa.com"}, map[string]string{"DOCKETQA_API_KEY": key}},
			{"key in bad url", []string{"--dashboard-url=ht tp://" + key}, map[string]string{"DOCKETQA_API_KEY": key}},
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/%q", tc.name, key), func(t *testing.T) {
				t.Parallel()
				_, warnings, err := Load(tc.args, testutil.Getenv(tc.env))
				if err == nil {
					t.Fatal("want an error")
				}
				var ue *UsageError
				if !errors.As(err, &ue) {
					t.Fatalf("error %v is a %T, want *UsageError", err, err)
				}
				out := err.Error() + strings.Join(warnings, "\n") + fmt.Sprintf("%+v %#v", err, err)
				quoted := strconv.Quote(key)
				for _, k := range []string{key, strings.TrimSpace(key), quoted[1 : len(quoted)-1]} {
					if strings.Contains(out, k) {
						t.Fatalf("output leaks the key:\n%s", out)
					}
				}
			})
		}
	}
}

func TestLoadWarnings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		ids  []int64
		want []string
	}{
		{"none", validEnv(map[string]string{"DOCKETQA_BLUEPRINT_IDS": "1,2"}), []int64{1, 2}, nil},
		{"twice", validEnv(map[string]string{"DOCKETQA_BLUEPRINT_IDS": "181,182,181"}), []int64{181, 182},
			[]string{"blueprint id 181 listed twice; running it once"}},
		{"three times and twice", validEnv(map[string]string{"DOCKETQA_BLUEPRINT_IDS": "5\n3\n5\n3\n5\n"}), []int64{5, 3},
			[]string{"blueprint id 5 listed 3 times; running it once", "blueprint id 3 listed twice; running it once"}},
		{"non-blocking duplicate and unknown", validEnv(map[string]string{"DOCKETQA_BLUEPRINT_IDS": "1", "DOCKETQA_NON_BLOCKING_IDS": "1,9,1"}),
			[]int64{1}, []string{"non-blocking id 1 listed twice; running it once", "non-blocking id 9 is not among the blueprint ids; it has no effect"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, warnings := mustLoad(t, nil, tc.env)
			if !reflect.DeepEqual(cfg.BlueprintIDs, tc.ids) {
				t.Errorf("BlueprintIDs = %v, want %v", cfg.BlueprintIDs, tc.ids)
			}
			if !reflect.DeepEqual(warnings, tc.want) {
				t.Errorf("warnings = %q, want %q", warnings, tc.want)
			}
		})
	}
}

func TestLoadHelpAndVersion(t *testing.T) {
	t.Parallel()
	// A broken environment must not stop help or version from working.
	broken := map[string]string{"DOCKETQA_TIMEOUT": "x", "DOCKETQA_API_KEY": "has space"}
	cases := []struct {
		args []string
		want Config
	}{
		{[]string{"-h"}, Config{ShowHelp: true}},
		{[]string{"--help"}, Config{ShowHelp: true}},
		{[]string{"-help"}, Config{ShowHelp: true}},
		{[]string{"--dry-run", "--help"}, Config{ShowHelp: true}},
		{[]string{"--version"}, Config{ShowVersion: true}},
		{[]string{"-version=true"}, Config{ShowVersion: true}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			cfg, warnings := mustLoad(t, tc.args, broken)
			if !reflect.DeepEqual(cfg, tc.want) {
				t.Errorf("got %+v, want %+v", cfg, tc.want)
			}
			if len(warnings) != 0 {
				t.Errorf("unexpected warnings %q", warnings)
			}
		})
	}
}

func TestLoadNilGetenv(t *testing.T) {
	t.Parallel()
	cfg, _, err := Load([]string{"--demo"}, nil)
	if err != nil || !cfg.Demo {
		t.Fatalf("Load with nil getenv = %+v, %v; want a demo config", cfg, err)
	}
}

// TestEveryFlagIsRegistered guards the table against a flag that Load does
// not actually accept.
func TestEveryFlagIsRegistered(t *testing.T) {
	t.Parallel()
	for _, s := range specs() {
		name := s.flagName()
		if name == "" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, _, err := Load([]string{"--" + name + "="}, testutil.Getenv(validEnv(nil)))
			if err != nil && strings.Contains(err.Error(), "not defined") {
				t.Errorf("flag --%s is in the table but not accepted: %v", name, err)
			}
		})
	}
}

func TestLoadArtifacts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		args      []string
		env       map[string]string
		dir, mode string
	}{
		{"off by default", nil, nil, "", "failed"},
		{"flags", []string{"--artifacts-dir", "evidence", "--artifacts", "ALL"}, nil, "evidence", "all"},
		{"environment", nil, map[string]string{"DOCKETQA_ARTIFACTS_DIR": "out/evidence", "DOCKETQA_ARTIFACTS": "failed"}, "out/evidence", "failed"},
		{"action inputs", nil, map[string]string{"INPUT_ARTIFACTS-DIR": "evidence", "INPUT_ARTIFACTS": "all", "DOCKETQA_ARTIFACTS_DIR": "other"}, "evidence", "all"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, _ := mustLoad(t, c.args, validEnv(c.env))
			if cfg.ArtifactsDir != c.dir || cfg.ArtifactsMode != c.mode {
				t.Errorf("dir %q mode %q, want %q %q", cfg.ArtifactsDir, cfg.ArtifactsMode, c.dir, c.mode)
			}
		})
	}
}

// TestLoadShortestKey pins the boundary of the key-length rule: a key of
// MinKeyLength characters (counted as characters, not bytes) is accepted.
func TestLoadShortestKey(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"abcdefgh", "ключ-abc"} {
		cfg, _ := mustLoad(t, nil, validEnv(map[string]string{"DOCKETQA_API_KEY": key}))
		if cfg.APIKey.Reveal() != key {
			t.Errorf("key %q: loaded %q", key, cfg.APIKey.Reveal())
		}
	}
}
