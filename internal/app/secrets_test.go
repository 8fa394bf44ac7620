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

// TestAPIEchoingTheGitHubTokenLeaksNothing: an API that learned the GitHub
// token and puts it in a run's title and failure text gets it into no
// report, no log line and no pull-request comment: API texts are redacted
// of every secret the gate holds, not only of the API key.
func TestAPIEchoingTheGitHubTokenLeaksNothing(t *testing.T) {
	t.Parallel()
	fake := &ghfake.Server{Token: ghToken}
	gh := httptest.NewServer(fake)
	t.Cleanup(gh.Close)
	echo := "Checkout " + strings.ToUpper(ghToken) + " " + ghToken
	h := newHarness(t, sim.Options{Blueprints: []sim.Blueprint{
		{ID: 1, Title: echo, Outcome: "failed", FailReason: "token " + ghToken, Duration: 5 * time.Millisecond},
	}})
	event := filepath.Join(h.dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request": {"number": 7}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event,
		"GITHUB_REPOSITORY": "octo/app", "GITHUB_API_URL": gh.URL, "GITHUB_RUN_ID": "99",
		"GITHUB_WORKFLOW": "CI", "GITHUB_JOB": "e2e", "GITHUB_TOKEN": ghToken, "DOCKETQA_PR_COMMENT": "always",
		"DOCKETQA_RESULTS_JSON": filepath.Join(h.dir, "results.json"), "DOCKETQA_DOTENV": filepath.Join(h.dir, "d.env"),
	} {
		h.env[k] = v
	}
	if code := h.run(context.Background(), "--blueprint-ids", "1"); code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, h.stdout.String(), h.stderr.String())
	}
	h.assertNoToken() // the log and every file the gate wrote
	comments := fake.Comments(7)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1", len(comments))
	}
	if body := strings.ToLower(comments[0].Body); strings.Contains(body, strings.ToLower(ghToken)) || !strings.Contains(body, "[redacted]") {
		t.Errorf("the comment shows the token, or no redaction:\n%s", comments[0].Body)
	}
}

// TestConfigErrorReportsRedactSecrets: a manifest or config file that
// quotes a secret back (as a member name a parser names in its error)
// leaves it in no JUnit report or summary, which configuration errors write
// too; the log was already redacted by the sink.
func TestConfigErrorReportsRedactSecrets(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{testKey, ghToken} {
		h := newHarness(t, sim.Options{})
		m := filepath.Join(t.TempDir(), "runs.json") // outside the files the harness scans for the key
		if err := os.WriteFile(m, []byte(`{"version":2,"`+secret+`":1}`), 0o644); err != nil {
			t.Fatal(err)
		}
		h.env["GITHUB_TOKEN"], h.env["DOCKETQA_PR_COMMENT"] = ghToken, "failures"
		if code := h.run(context.Background(), "--attach", m); code != 2 {
			t.Fatalf("exit %d, want 2\n%s", code, h.stderr.String())
		}
		for _, f := range []string{"junit.xml", "summary.md"} {
			b, err := os.ReadFile(filepath.Join(h.dir, f))
			if err != nil {
				t.Fatalf("%s not written: %v", f, err)
			}
			if strings.Contains(string(b), secret) {
				t.Errorf("%s holds the secret:\n%s", f, b)
			}
		}
	}
}
