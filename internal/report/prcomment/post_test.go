package prcomment

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/github/ghfake"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

const jobToken = "ghs_jobTokenNotARealSecret0000"

// standIn starts the GitHub stand-in and returns it with the runner's
// environment of a pull_request run for pull request 7.
func standIn(t *testing.T, fake *ghfake.Server) map[string]string {
	t.Helper()
	if fake.Token == "" {
		fake.Token = jobToken
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"action": "synchronize", "pull_request": {"number": 7, "title": "x"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event,
		"GITHUB_REPOSITORY": "octo/app", "GITHUB_API_URL": srv.URL, "GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_RUN_ID": "4242", "GITHUB_WORKFLOW": "CI", "GITHUB_JOB": "e2e",
	}
}

func post(t *testing.T, env map[string]string, mode string, in Input, token string) Outcome {
	t.Helper()
	return Post(context.Background(), Options{Mode: mode, Token: token, Getenv: testutil.Getenv(env)}, in)
}

var (
	failing = Input{Failed: true, Headline: "❌ DocketQA: 1 of 2 runs failed", Counts: "counts",
		Runs: []Run{{Kind: Failed, Name: "Checkout (blueprint 2)", Label: "failed", Reason: "step 2 failed"}, {Kind: Passed, Name: "Log in (blueprint 1)", Label: "passed"}}}
	passing = Input{Headline: "✅ DocketQA: 2 runs passed", Counts: "counts",
		Runs: []Run{{Kind: Passed, Name: "Checkout (blueprint 2)", Label: "passed"}, {Kind: Passed, Name: "Log in (blueprint 1)", Label: "passed"}}}
)

func TestPostCreatesThenUpdatesInPlace(t *testing.T) {
	t.Parallel()
	fake := &ghfake.Server{}
	env := standIn(t, fake)
	if o := post(t, env, ModeFailures, failing, jobToken); o.Done != "created on octo/app#7" || o.Warning != "" {
		t.Fatalf("first run: %+v", o)
	}
	if o := post(t, env, ModeFailures, failing, jobToken); o.Done != "updated on octo/app#7" {
		t.Fatalf("second run: %+v", o)
	}
	// The fix: a pass updates the same comment, which turns green.
	if o := post(t, env, ModeFailures, passing, jobToken); o.Done != "updated on octo/app#7" {
		t.Fatalf("fixed run: %+v", o)
	}
	cs := fake.Comments(7)
	if len(cs) != 1 {
		t.Fatalf("%d comments after three runs, want exactly one", len(cs))
	}
	if cs[0].Author != Bot || !strings.HasPrefix(cs[0].Body, Marker("CI", "e2e", "")+"\n") || !strings.Contains(cs[0].Body, "✅ DocketQA: 2 runs passed") ||
		strings.Contains(cs[0].Body, "❌") {
		t.Errorf("comment after the fix:\n%s", cs[0].Body)
	}
	if !strings.Contains(cs[0].Body, "[workflow run](https://github.com/octo/app/actions/runs/4242)") {
		t.Errorf("no link to the workflow run:\n%s", cs[0].Body)
	}
	if fake.Count("POST") != 1 || fake.Count("PATCH") != 2 {
		t.Errorf("requests %q, want one POST and two PATCH", fake.Requests())
	}
	// A workflow token may not read /user: it is never asked.
	if fake.Count("GET /user") != 0 {
		t.Errorf("asked GET /user with a workflow token: %q", fake.Requests())
	}
}

func TestPostModes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, mode string
		in         Input
		want       int // comments after
	}{
		{"failures creates on a failure", ModeFailures, failing, 1},
		{"failures writes nothing on a first pass", ModeFailures, passing, 0},
		{"always creates on a pass", ModeAlways, passing, 1},
		{"off writes nothing", ModeOff, failing, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &ghfake.Server{}
			env := standIn(t, fake)
			if o := post(t, env, tc.mode, tc.in, jobToken); o.Warning != "" {
				t.Fatalf("warning %q", o.Warning)
			}
			if got := len(fake.Comments(7)); got != tc.want {
				t.Errorf("%d comments, want %d", got, tc.want)
			}
		})
	}
}

// TestPostFindsItsCommentOnALaterPage: the gate's comment is on page 2
// behind 40 others; it is updated, not duplicated.
func TestPostFindsItsCommentOnALaterPage(t *testing.T) {
	t.Parallel()
	fake := &ghfake.Server{PerPage: 25}
	env := standIn(t, fake)
	for range 30 {
		fake.Add(7, "reviewer", "LGTM")
	}
	id := fake.Add(7, Bot, Marker("CI", "e2e", "")+"\r\nold results")
	for range 10 {
		fake.Add(7, "reviewer", "nit")
	}
	if o := post(t, env, ModeFailures, passing, jobToken); o.Done != "updated on octo/app#7" {
		t.Fatalf("%+v", o)
	}
	for _, c := range fake.Comments(7) {
		if c.ID == id && !strings.Contains(c.Body, "2 runs passed") {
			t.Errorf("the gate's comment on page 2 was not updated: %q", c.Body)
		}
	}
	if fake.Count("POST") != 0 || len(fake.Comments(7)) != 41 {
		t.Errorf("requests %q", fake.Requests())
	}
}

// TestPostIgnoresOthersAndOtherGates: a user who copies the marker, and a
// gate with another tag or job, never get these results.
func TestPostIgnoresOthersAndOtherGates(t *testing.T) {
	t.Parallel()
	fake := &ghfake.Server{}
	env := standIn(t, fake)
	marker := Marker("CI", "e2e", "chrome")
	fake.Add(7, "mallory", marker+"\ncopied")
	fake.Add(7, Bot, Marker("CI", "e2e", "firefox")+"\nthe other leg")
	fake.Add(7, Bot, Marker("CI", "e2e2", "chrome")+"\nanother job")
	o := Post(context.Background(), Options{Mode: ModeFailures, Tag: "chrome", Token: jobToken, Getenv: testutil.Getenv(env)}, failing)
	if o.Done != "created on octo/app#7" {
		t.Fatalf("%+v", o)
	}
	cs := fake.Comments(7)
	if len(cs) != 4 || cs[0].Body != marker+"\ncopied" || !strings.HasSuffix(cs[1].Body, "the other leg") || !strings.HasSuffix(cs[2].Body, "another job") {
		t.Errorf("someone else's comment was written to: %+v", cs)
	}
}

// TestPostIdentityOfOtherTokens: a personal token's comments are found by
// its login from GET /user; when /user is refused the bot is assumed.
func TestPostIdentityOfOtherTokens(t *testing.T) {
	t.Parallel()
	const pat = "github_pat_NotARealOne"
	fake := &ghfake.Server{Token: pat, Login: "ci-robot"}
	env := standIn(t, fake)
	fake.Add(7, Bot, Marker("CI", "e2e", "")+"\nnot this token's")
	id := fake.Add(7, "ci-robot", Marker("CI", "e2e", "")+"\nold")
	if o := post(t, env, ModeFailures, failing, pat); o.Done != "updated on octo/app#7" {
		t.Fatalf("%+v", o)
	}
	for _, c := range fake.Comments(7) {
		if updated := strings.Contains(c.Body, "1 of 2 runs failed"); updated != (c.ID == id) {
			t.Errorf("comment %d by %s updated=%v", c.ID, c.Author, updated)
		}
	}

	fake2 := &ghfake.Server{Token: pat, Login: Bot, Fail: map[string]int{"GET user": 403}}
	env2 := standIn(t, fake2)
	id2 := fake2.Add(7, Bot, Marker("CI", "e2e", "")+"\nold")
	if o := post(t, env2, ModeFailures, failing, pat); o.Done != "updated on octo/app#7" || !strings.Contains(fake2.Comments(7)[0].Body, "failed") || fake2.Comments(7)[0].ID != id2 {
		t.Errorf("fallback to %s: %+v", Bot, o)
	}
}

// TestPostWarnsAndNeverFails: every reason a comment cannot be written is
// one warning that says why and how to fix it.
func TestPostWarnsAndNeverFails(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fake  *ghfake.Server
		env   map[string]string
		token string
		want  string
	}{
		{name: "fork: read-only token", fake: &ghfake.Server{Fail: map[string]int{"POST create": 403}}, want: "pull-requests: write"},
		{name: "not found", fake: &ghfake.Server{Fail: map[string]int{"GET list": 404}}, want: "not visible to this token"},
		{name: "refused content", fake: &ghfake.Server{Fail: map[string]int{"POST create": 422}}, want: "HTTP 422"},
		{name: "rate limit", fake: &ghfake.Server{Fail: map[string]int{"GET list": 403}, RateLimited: true}, want: "rate limit is used up"},
		{name: "bad token", fake: &ghfake.Server{Token: "ghs_other"}, want: "token was refused"},
		{name: "no token", fake: &ghfake.Server{}, token: "-", want: "no GitHub token"},
		{name: "not GitHub", fake: &ghfake.Server{}, env: map[string]string{"GITHUB_ACTIONS": ""}, want: "GitHub Actions only"},
		{name: "API over plain http elsewhere", fake: &ghfake.Server{}, env: map[string]string{"GITHUB_API_URL": "http://example.com"}, want: "must be https"},
		{name: "bad repository", fake: &ghfake.Server{}, env: map[string]string{"GITHUB_REPOSITORY": "a/b/c"}, want: "not owner/name"},
		{name: "no event file", fake: &ghfake.Server{}, env: map[string]string{"GITHUB_EVENT_PATH": "/nonexistent/event.json"}, want: "event file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := standIn(t, tc.fake)
			for k, v := range tc.env {
				env[k] = v
			}
			token := jobToken
			if tc.token == "-" {
				token = ""
			}
			o := post(t, env, ModeFailures, failing, token)
			if o.Done != "" || !strings.Contains(o.Warning, tc.want) {
				t.Errorf("outcome %+v, want a warning containing %q", o, tc.want)
			}
			if strings.Contains(o.Warning, jobToken) {
				t.Errorf("the warning shows the token: %q", o.Warning)
			}
		})
	}
}

func TestPostOnlyOnPullRequests(t *testing.T) {
	t.Parallel()
	for _, ev := range []string{"push", "workflow_dispatch", "schedule", ""} {
		fake := &ghfake.Server{}
		env := standIn(t, fake)
		env["GITHUB_EVENT_NAME"] = ev
		if o := post(t, env, ModeAlways, failing, jobToken); o.Done != "" || o.Warning != "" || o.Debug == "" {
			t.Errorf("event %q: %+v", ev, o)
		}
		if n := len(fake.Requests()); n != 0 {
			t.Errorf("event %q: %d requests", ev, n)
		}
	}
	fake := &ghfake.Server{}
	env := standIn(t, fake)
	env["GITHUB_EVENT_NAME"] = "pull_request_target"
	if o := post(t, env, ModeFailures, failing, jobToken); o.Done == "" {
		t.Errorf("pull_request_target: %+v", o)
	}
}

// TestPostSendsTheTokenNowhereElse: a Link header or a redirect to another
// host is not followed, so the token never travels there.
func TestPostSendsTheTokenNowhereElse(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("[]"))
	}))
	t.Cleanup(other.Close)
	// 127.0.0.1 and localhost are different hosts to the client.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	for _, tc := range []struct {
		name string
		fake *ghfake.Server
	}{
		{"link to another host", &ghfake.Server{PerPage: 1, NextLink: other.URL + "/repos/octo/app/issues/7/comments?page=2"}},
		{"link to another port", &ghfake.Server{PerPage: 1, NextLink: otherURL + "/repos/octo/app/issues/7/comments?page=2"}},
		{"redirect", &ghfake.Server{Redirect: other.URL + "/repos/octo/app/issues/7/comments"}},
	} {
		env := standIn(t, tc.fake)
		tc.fake.Add(7, "a", "one")
		tc.fake.Add(7, "b", "two")
		o := post(t, env, ModeFailures, failing, jobToken)
		if o.Warning == "" || o.Done != "" {
			t.Errorf("%s: outcome %+v, want a warning", tc.name, o)
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("%d requests reached another host", n)
	}
}

func TestEventFileIsRefusedAsALink(t *testing.T) {
	t.Parallel()
	fake := &ghfake.Server{}
	env := standIn(t, fake)
	link := filepath.Join(t.TempDir(), "event-link.json")
	if err := os.Symlink(env["GITHUB_EVENT_PATH"], link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	env["GITHUB_EVENT_PATH"] = link
	if o := post(t, env, ModeFailures, failing, jobToken); !strings.Contains(o.Warning, "symbolic link") || o.Done != "" {
		t.Errorf("%+v", o)
	}
}
