//go:build unix

package app

// The hostile-inputs cases of the hostile suite: the gate's other inputs,
// the --config file, the --attach manifest and the --history cache, as a
// pull request or a CI cache can leave them. Every case checks the exit
// code, that the verdict output agrees with it, and that the key is
// nowhere; a case that could hang runs under a context deadline and fails
// instead of hanging.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/bound"
	"github.com/docketqa-gate/docketqa-gate/internal/hostile"
)

// runWithin runs the gate and fails the test if it has not returned within
// limit: a gate that blocks on a file must fail the case, not hang the
// suite. The limit is generous; the assertion is that the run returns.
func (h *gateRun) runWithin(limit time.Duration, args ...string) int {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- h.run(args...) }()
	select {
	case code := <-done:
		return code
	case <-ctx.Done():
		h.t.Fatalf("the gate did not return within %s: it blocked\n%s", limit, h.logs())
		return -1
	}
}

// assertRefusedConfig checks a configuration error: exit 2, no request
// sent, no verdict, the key nowhere, and stderr saying every part of want.
func (h *gateRun) assertRefusedConfig(want ...string) {
	h.t.Helper()
	h.assertCode(2)
	h.assertVerdictAgrees(false)
	if reqs := h.api.Requests(); len(reqs) != 0 {
		h.t.Errorf("a refused configuration sent %d request(s), first %s %s", len(reqs), reqs[0].Method, reqs[0].Path)
	}
	for _, w := range want {
		if !strings.Contains(h.stderr.String(), w) {
			h.t.Errorf("stderr does not say %q:\n%s", w, h.logs())
		}
	}
	h.assertNoKey()
	h.assertCleanLogs()
}

// passing scripts one passing run of blueprint 180, and a failing one of
// 181 when withFailure.
func passing(api *hostile.Server, withFailure bool) []string {
	if !withFailure {
		api.Trigger(triggerOne([2]int64{1000, 180}))
		api.Run(1000, hostile.Get(trun(1000, 180, "passed")))
		return []string{"--blueprint-ids", "180"}
	}
	api.Trigger(triggerOne([2]int64{1000, 180}, [2]int64{1001, 181}))
	api.Run(1000, hostile.Get(trun(1000, 180, "passed")))
	api.Run(1001, hostile.Get(failedRun(1001, 181)))
	return []string{"--blueprint-ids", "180,181"}
}

// 12. The history path is a FIFO, a symlink, a directory or garbage: a
// warning and a cold start, never a failure and never a hang, and the next
// history replaces it without writing through a link.
func TestHostileHistoryFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		make func(t *testing.T, path string) (target string)
		warn string
		// heals says the path is a regular history file afterwards.
		heals bool
	}{
		{"FIFO", func(t *testing.T, p string) string {
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skipf("no FIFOs here: %v", err)
			}
			return ""
		}, "named pipe", true},
		{"symlink to the environment", func(t *testing.T, p string) string {
			target := filepath.Join(t.TempDir(), "environ")
			if err := os.WriteFile(target, []byte("DOCKETQA_API_KEY="+hostileKey+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, p); err != nil {
				t.Skipf("no symlinks here: %v", err)
			}
			return target
		}, "symbolic link", true},
		{"symlink to /dev/zero", func(t *testing.T, p string) string {
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Skipf("no symlinks here: %v", err)
			}
			return ""
		}, "symbolic link", true},
		{"directory", func(t *testing.T, p string) string {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			return ""
		}, "directory", false},
		{"garbage", func(t *testing.T, p string) string {
			if err := os.WriteFile(p, []byte("\xff\x00{\"version\":"), 0o644); err != nil {
				t.Fatal(err)
			}
			return ""
		}, "not valid history JSON", true},
	} {
		for _, fail := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, a run fails %v", tc.name, fail), func(t *testing.T) {
				t.Parallel()
				h := newGateRun(t, hgPlain)
				args := passing(h.api, fail)
				hist := filepath.Join(h.dir, "history.json")
				target := tc.make(t, hist)
				var before []byte
				if target != "" {
					before, _ = os.ReadFile(target)
				}
				h.runWithin(60*time.Second, append(args, "--history", hist, "--timeout", "2s")...)
				want := map[bool]int{false: 0, true: 1}[fail]
				h.assertCode(want)
				h.assertVerdictAgrees(false)
				if fail {
					h.assertPromises(180, 181)
				} else {
					h.assertPromises(180)
				}
				if !strings.Contains(h.stderr.String(), "warning: ") || !strings.Contains(h.stderr.String(), tc.warn) ||
					!strings.Contains(h.stderr.String(), "starting without history") {
					t.Errorf("no warning saying %q and the cold start:\n%s", tc.warn, h.logs())
				}
				fi, err := os.Lstat(hist)
				switch {
				case err != nil:
					t.Errorf("history path: %v", err)
				case tc.heals && !fi.Mode().IsRegular():
					t.Errorf("the history path is still %v after the run; the save should have replaced it", fi.Mode())
				case tc.heals:
					if b, _ := os.ReadFile(hist); !strings.Contains(string(b), `"blueprint_id": 180`) {
						t.Errorf("the new history does not record blueprint 180:\n%s", b)
					}
				}
				if target != "" {
					if after, _ := os.ReadFile(target); string(after) != string(before) {
						t.Errorf("the link's target was written through: %q", after)
					}
				}
			})
		}
	}
}

// 13. A history poisoned with entries of another API that claim the end
// of time keeps this API's entries, and the file heals.
func TestHostilePoisonedHistory(t *testing.T) {
	t.Parallel()
	h := newGateRun(t, hgPlain)
	args := passing(h.api, false)
	type e = map[string]any
	var entries []e
	for i := range 2000 {
		entries = append(entries, e{"api": "https://poison.example", "blueprint_id": i + 1, "seen": int64(math.MaxInt64),
			"runs": []e{{"seconds": 1, "outcome": "passed"}}})
	}
	entries = append(entries, e{"api": h.api.URL, "blueprint_id": 180, "seen": time.Now().Add(-time.Hour).Unix(),
		"runs": []e{{"seconds": 42, "outcome": "passed"}}})
	b, _ := json.Marshal(e{"version": 1, "blueprints": entries})
	hist := filepath.Join(h.dir, "history.json")
	if err := os.WriteFile(hist, b, 0o644); err != nil {
		t.Fatal(err)
	}
	h.runWithin(60*time.Second, append(args, "--history", hist)...)
	h.assertCode(0)
	h.assertVerdictAgrees(false)
	h.assertPromises(180)
	var got struct {
		Blueprints []struct {
			API         string `json:"api"`
			BlueprintID int64  `json:"blueprint_id"`
			Seen        int64  `json:"seen"`
			Runs        []e    `json:"runs"`
		} `json:"blueprints"`
	}
	data, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	ours := 0
	for _, x := range got.Blueprints {
		if x.Seen > time.Now().Unix() {
			t.Fatalf("the saved history still claims a future time: %+v", x)
		}
		if x.API == h.api.URL && x.BlueprintID == 180 {
			ours = len(x.Runs)
		}
	}
	if ours != 2 {
		t.Errorf("blueprint 180 has %d recorded runs, want the old one and this run's", ours)
	}
	if len(got.Blueprints) > 2000 {
		t.Errorf("the history holds %d entries", len(got.Blueprints))
	}
}

// 14. The config file cannot switch the gate off or send the key away,
// however it says so, and a flag beside it is never silently ignored.
func TestHostileConfigFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		args       []string
		want       []string
	}{
		{"demo", "demo: true\n", nil, []string{"demo cannot be set in a config file", "--demo"}},
		{"demo beside a --base-url flag", "demo: yes\n", []string{"--base-url", "FLAG"}, []string{"demo cannot be set in a config file"}},
		{"demo-scenario", "demo-scenario: pass\n", nil, []string{"demo-scenario cannot be set in a config file"}},
		{"dry-run", "dry-run: true\n", nil, []string{"dry-run cannot be set", "DOCKETQA_DRY_RUN"}},
		{"dry-run as JSON", `{"dry-run": "true", "timeout": "5m"}`, nil, []string{"dry-run cannot be set"}},
		{"detach", "detach: DIR/m.json\n", nil, []string{"detach cannot be set", "DOCKETQA_DETACH"}},
		{"base-url elsewhere", "base-url: https://any.host\n", nil, []string{"base-url", "https://any.host", "config file", "DOCKETQA_BASE_URL"}},
		{"base-url look-alike", "base-url: https://docketqa.com.evil.example\n", nil, []string{"base-url", "DOCKETQA_BASE_URL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newGateRun(t, hgGitHub)
			args := passing(h.api, true)
			cfg := filepath.Join(h.dir, "gate.yml")
			if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(tc.file, "DIR", h.dir)), 0o644); err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(tc.file, "base-url") {
				// The file's URL would lose to the variable otherwise.
				delete(h.env, "DOCKETQA_BASE_URL")
			}
			for i, a := range tc.args {
				if a == "FLAG" {
					tc.args[i] = h.api.URL
				}
			}
			h.runWithin(60*time.Second, append(append(args, "--config", cfg), tc.args...)...)
			h.assertRefusedConfig(tc.want...)
			if strings.Contains(h.stdout.String(), "dry run") || strings.Contains(h.stdout.String(), "demo:") {
				t.Errorf("the refused setting took effect:\n%s", h.logs())
			}
			if !strings.Contains(h.stdout.String(), "::error title=docketqa-gate configuration::") {
				t.Errorf("no annotation names the problem:\n%s", h.stdout.String())
			}
		})
	}
}

// 15. A config file that is a link (to /dev/zero, to anything), a FIFO, a
// device or a huge file: exit 2 at once, reading nothing unbounded. Not
// parallel, so the allocation figure is this test's own.
func TestHostileConfigFileBounded(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.yml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	huge := filepath.Join(dir, "huge.yml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: a gigabyte on paper, nothing on disk.
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct{ path, want string }{
		{zero, "symbolic link"},
		{"/dev/zero", "character device"},
		{fifo, "named pipe"},
		{huge, "larger than 1 MiB"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			h := newGateRun(t, hgPlain)
			args := passing(h.api, true)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			h.runWithin(60*time.Second, append(args, "--config", tc.path)...)
			runtime.ReadMemStats(&after)
			h.assertRefusedConfig("config file", tc.path, tc.want)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
				t.Errorf("the refused config file cost %d MiB of allocations", grew>>20)
			}
		})
	}
}

// 16. A huge malformed manifest: every error output stays bounded.
func TestHostileHugeManifest(t *testing.T) {
	t.Parallel()
	h := newGateRun(t, hgGitHub)
	h.env["DOCKETQA_SUMMARY"] = filepath.Join(h.dir, "summary.md")
	var b strings.Builder
	b.WriteString(`{"version":1,"group_run_id":35,"dashboard_url":"https://app.docketqa.com/x","runs":[`)
	for i := range 60000 {
		if i > 0 {
			b.WriteString(",")
		}
		// Every run is wrong twice over: no id, and listed again.
		fmt.Fprintf(&b, `{"run_id":0,"blueprint_id":%d,"title":"%s"}`, i+1, strings.Repeat("T", 8))
	}
	b.WriteString(`]}`)
	m := filepath.Join(h.dir, "m.json")
	if err := os.WriteFile(m, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if b.Len() < 1<<20 {
		t.Fatalf("the manifest is only %d bytes", b.Len())
	}
	h.runWithin(60*time.Second, "--attach", m)
	h.assertRefusedConfig("manifest")
	for name, out := range map[string]string{"stdout": h.stdout.String(), "stderr": h.stderr.String()} {
		for l := range strings.Lines(out) {
			if len(l) > bound.Line+512 {
				t.Errorf("%s line of %d bytes: %.120q", name, len(l), l)
			}
		}
	}
	if n := h.stderr.String(); len(n) > bound.Stderr {
		t.Errorf("stderr is %d bytes", len(n))
	}
	if strings.Contains(h.stderr.String(), "runs[") && !regexp.MustCompile(`… and [0-9]+ more`).MatchString(h.stderr.String()) {
		t.Errorf("the list of problems does not say how many it left out:\n%.2000s", h.stderr.String())
	}
	for _, env := range []string{"DOCKETQA_SUMMARY", "DOCKETQA_JUNIT"} {
		if s := h.file(env); len(s) > 256<<10 {
			t.Errorf("%s is %d bytes for one configuration error", env, len(s))
		}
	}
	for _, c := range h.junit() {
		if c.Error == nil || len(c.Error.Message) > bound.Line {
			t.Errorf("JUnit case %s: message of %d bytes, want an <error> of at most %d", c.Name, msgLen(c), bound.Line)
		}
	}
}

func msgLen(c hgCase) int {
	if c.Error == nil {
		return 0
	}
	return len(c.Error.Message)
}

// 17. A trigger answer listing 25,000 runs nobody asked for: the gate
// polls and reports what it asked for, and the log stays bounded.
func TestHostileUnrequestedFlood(t *testing.T) {
	t.Parallel()
	h := newGateRun(t, hgPlain)
	var ids []string
	var b strings.Builder
	b.WriteString(`{"message":"ok","test_group_run":{"id":35,"name":"Manual Run","status":"running","test_runs":[`)
	for i := range int64(10) {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":%d,"status":"running","test_blueprint_id":%d,"test_group_run_id":35}`, 1000+i, 180+i)
		ids = append(ids, fmt.Sprint(180+i))
		h.api.Run(1000+i, hostile.Get(trun(1000+i, 180+i, "passed")))
	}
	for i := range 25000 {
		fmt.Fprintf(&b, `,{"id":%d,"status":"running","test_blueprint_id":%d}`, 500000+i, 900000+i)
	}
	b.WriteString(`]}}`)
	h.api.Trigger(raw(b.String()))
	// Decoding 25,000 runs takes seconds under -race on a busy machine:
	// the deadline is not what this case is about.
	h.runWithin(5*time.Minute, "--blueprint-ids", strings.Join(ids, ","), "--timeout", "4m", "--request-timeout", "4m")
	h.assertCode(0)
	h.assertVerdictAgrees(false)
	h.assertPromises(180, 189)
	if !strings.Contains(h.stderr.String(), "25000 run(s) for blueprints that were not requested") {
		t.Fatalf("the unrequested runs were not reported, so the bound went untested:\n%.3000s", h.logs())
	}
	for l := range strings.Lines(h.stderr.String() + h.stdout.String()) {
		if len(l) > bound.Line+512 {
			t.Errorf("log line of %d bytes: %.120q", len(l), l)
		}
	}
	if !strings.Contains(h.stderr.String(), "… and 24980 more") {
		t.Errorf("the id list does not say how many it left out:\n%s", h.stderr.String())
	}
}

// 18. --dry-run accepts what a real run accepts: an existing artifacts
// directory, which a real run saves into.
func TestHostileDryRunArtifactsDir(t *testing.T) {
	t.Parallel()
	for _, dry := range []bool{true, false} {
		t.Run(fmt.Sprintf("dry run %v", dry), func(t *testing.T) {
			t.Parallel()
			h := newGateRun(t, hgPlain)
			args := passing(h.api, false)
			evidence := filepath.Join(h.dir, "evidence")
			if err := os.Mkdir(evidence, 0o755); err != nil {
				t.Fatal(err)
			}
			args = append(args, "--artifacts-dir", evidence)
			if dry {
				args = append(args, "--dry-run")
			}
			h.runWithin(60*time.Second, args...)
			h.assertCode(0)
			h.assertNoKey()
			h.assertCleanLogs()
			if strings.Contains(h.stderr.String(), "artifacts") {
				t.Errorf("the existing artifacts directory drew a complaint:\n%s", h.logs())
			}
			if dry {
				if n := len(h.api.Requests()); n != 0 {
					t.Errorf("a dry run sent %d request(s)", n)
				}
				return
			}
			h.assertVerdictAgrees(false)
			h.assertPromises(180)
		})
	}
}

// 19. Policies may come from the file, but the summary says so: a reader
// of a green summary sees that a file, which the pull request may have
// changed, excused a failure.
func TestHostileConfigPoliciesNamed(t *testing.T) {
	t.Parallel()
	h := newGateRun(t, hgPlain)
	args := passing(h.api, true)
	cfg := filepath.Join(h.dir, "gate.yml")
	if err := os.WriteFile(cfg, []byte("non-blocking-ids: [181]\nfail-on-missing: false\ntimeout: 1m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.runWithin(60*time.Second, append(args, "--config", cfg)...)
	h.assertCode(0)
	h.assertVerdictAgrees(false)
	h.assertPromises(180, 181)
	want := "Policies from " + cfg + ": non-blocking-ids=181, fail-on-missing=false"
	if !strings.Contains(h.summary(), want) {
		t.Errorf("the summary does not say %q:\n%s", want, h.summary())
	}
}
