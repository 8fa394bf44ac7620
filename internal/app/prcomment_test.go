package app

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/github/ghfake"
	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

const ghToken = "ghs_gateE2eTokenNotARealSecret00"

// prHarness is a harness on a GitHub pull_request run whose API is fake.
func prHarness(t *testing.T, fake *ghfake.Server, outcome string) *harness {
	t.Helper()
	fake.Token = ghToken
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{bp(1, "", 5*time.Millisecond), bp(2, outcome, 5*time.Millisecond)}})
	event := filepath.Join(h.dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request": {"number": 7}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event,
		"GITHUB_REPOSITORY": "octo/app", "GITHUB_API_URL": srv.URL, "GITHUB_RUN_ID": "99",
		"GITHUB_WORKFLOW": "CI", "GITHUB_JOB": "e2e", "GITHUB_TOKEN": ghToken, "DOCKETQA_PR_COMMENT": "failures",
	} {
		h.env[k] = v
	}
	return h
}

// assertNoToken scans the output and every file for the GitHub token; the
// mask command is the one place it may stand.
func (h *harness) assertNoToken() {
	h.t.Helper()
	stdout := strings.Replace(h.stdout.String(), "::add-mask::"+ghToken+"\n", "", 1)
	if strings.Contains(stdout+h.stderr.String(), ghToken) {
		h.t.Errorf("the log shows the GitHub token:\n%s\n%s", stdout, h.stderr.String())
	}
	if !strings.Contains(h.stdout.String(), "::add-mask::"+ghToken+"\n") {
		h.t.Error("the GitHub token is not masked")
	}
	_ = filepath.WalkDir(h.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), ghToken) {
				h.t.Errorf("%s holds the GitHub token", p)
			}
		}
		return nil
	})
}

// TestPRCommentFailThenFix: a failing pull request gets exactly one
// comment, a second failing run updates it, and the fix turns that same
// comment green; the exit codes are the verdict's.
func TestPRCommentFailThenFix(t *testing.T) {
	t.Parallel()
	fake := &ghfake.Server{}
	for round, tc := range []struct {
		outcome string
		exit    int
		log     string
	}{
		{"failed", 1, "pull-request comment: created on octo/app#7"},
		{"failed", 1, "pull-request comment: updated on octo/app#7"},
		{"", 0, "pull-request comment: updated on octo/app#7"},
	} {
		h := prHarness(t, fake, tc.outcome)
		code := h.run(context.Background(), "--blueprint-ids", "1,2")
		h.assertNoToken()
		if code != tc.exit || !strings.Contains(h.stdout.String(), tc.log) {
			t.Fatalf("round %d: exit %d (want %d), log lacks %q:\n%s\n%s", round+1, code, tc.exit, tc.log, h.stdout.String(), h.stderr.String())
		}
		if strings.Contains(h.stdout.String(), "::warning") {
			t.Errorf("round %d: a warning:\n%s", round+1, h.stdout.String())
		}
		cs := fake.Comments(7)
		if len(cs) != 1 {
			t.Fatalf("round %d: %d comments, want exactly one", round+1, len(cs))
		}
		red := strings.Contains(cs[0].Body, "### ❌ DocketQA: 1 of 2 runs failed")
		if red != (tc.exit == 1) || strings.Contains(cs[0].Body, ghToken) {
			t.Errorf("round %d: comment:\n%s", round+1, cs[0].Body)
		}
	}
}

// TestPRCommentForkOnlyWarns: a read-only token (a fork's pull request)
// gives one warning annotation saying how to fix it, and the exit code
// stays the verdict's.
func TestPRCommentForkOnlyWarns(t *testing.T) {
	t.Parallel()
	for _, outcome := range []string{"failed", ""} {
		fake := &ghfake.Server{Fail: map[string]int{"POST create": 403}}
		h := prHarness(t, fake, outcome)
		h.env["DOCKETQA_PR_COMMENT"] = "always"
		want := map[string]int{"failed": 1, "": 0}[outcome]
		if code := h.run(context.Background(), "--blueprint-ids", "1,2"); code != want {
			t.Errorf("outcome %q: exit %d, want %d", outcome, code, want)
		}
		h.assertNoToken()
		var warnings []string
		for _, l := range strings.Split(h.stdout.String(), "\n") {
			if strings.HasPrefix(l, "::warning") {
				warnings = append(warnings, l)
			}
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], "pull-requests: write") || !strings.Contains(warnings[0], "HTTP 403") {
			t.Errorf("outcome %q: warnings %q, want one on the permission", outcome, warnings)
		}
		if len(fake.Comments(7)) != 0 {
			t.Errorf("a comment was written")
		}
	}
}

// TestPRCommentHostileTitlePingsNobody: a blueprint title that mentions a
// team and references an issue reaches the comment only inside a code span.
func TestPRCommentHostileTitlePingsNobody(t *testing.T) {
	t.Parallel()
	fake := &ghfake.Server{}
	h := prHarness(t, fake, "failed")
	h.sim = nil
	title := "Checkout @octo/security #1 ![x](https://evil.example/x.png)"
	s := sim.New(sim.Options{APIKey: testKey, Blueprints: []sim.Blueprint{{ID: 2, Title: title, Outcome: "failed", Duration: 5 * time.Millisecond}}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	h.env["DOCKETQA_BASE_URL"] = srv.URL
	if code := h.run(context.Background(), "--blueprint-ids", "2"); code != 1 {
		t.Fatalf("exit %d\n%s", code, h.stderr.String())
	}
	cs := fake.Comments(7)
	if len(cs) != 1 || !strings.Contains(cs[0].Body, "`"+title+" (blueprint 2)`") {
		t.Fatalf("comments %+v", cs)
	}
	if outside := strings.ReplaceAll(cs[0].Body, "`"+title+" (blueprint 2)`", ""); strings.Contains(outside, "@octo") || strings.Contains(outside, "#1 ") {
		t.Errorf("the title shows outside its code span:\n%s", cs[0].Body)
	}
}
