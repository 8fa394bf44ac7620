package app

// Hostile cases from an independent review: two valid manifests of one
// commit swapped between detach steps.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
