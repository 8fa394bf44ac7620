package prcomment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/docketqa-gate/docketqa-gate/internal/github"
)

// The modes of --pr-comment.
const (
	ModeOff      = "off"
	ModeFailures = "failures"
	ModeAlways   = "always"
)

// Bot is the identity of a workflow's GITHUB_TOKEN, which may not read
// GET /user: the comments it writes are authored by this login.
const Bot = "github-actions[bot]"

// Options is what Post needs besides the results.
type Options struct {
	// Mode is ModeFailures or ModeAlways (ModeOff posts nothing).
	Mode string
	// Tag tells apart gates that share a workflow and job.
	Tag string
	// Token is the GitHub token; never printed.
	Token string
	// Getenv reads the runner's variables (GITHUB_*).
	Getenv func(string) string
	// HTTPClient sends the requests; nil means a default client.
	HTTPClient *http.Client
	// UserAgent names the gate in requests.
	UserAgent string
}

// Outcome is what Post did, as at most one line for each purpose.
type Outcome struct {
	// Done says where the comment is ("created", "updated" plus its
	// pull request), for the log; empty when nothing was written.
	Done string
	// Warning says why no comment was written and how to fix it; empty
	// when there is nothing to fix.
	Warning string
	// Debug says why nothing was attempted, when that is expected (not a
	// pull request, nothing to create on a pass).
	Debug string
}

// Post writes the comment for in on the pull request the workflow run is
// for, or updates the gate's earlier one in place. It never fails: every
// problem becomes Outcome.Warning. ctx bounds the whole exchange.
func Post(ctx context.Context, o Options, in Input) Outcome {
	if o.Mode != ModeFailures && o.Mode != ModeAlways {
		return Outcome{}
	}
	getenv := o.Getenv
	if getenv("GITHUB_ACTIONS") != "true" {
		return Outcome{Warning: "--pr-comment works on GitHub Actions only; no comment written. Remove DOCKETQA_PR_COMMENT on other CIs."}
	}
	if ev := getenv("GITHUB_EVENT_NAME"); !github.IsPullRequestEvent(ev) {
		return Outcome{Debug: fmt.Sprintf("pull-request comment: not a pull request (event %q)", ev)}
	}
	if o.Token == "" {
		return Outcome{Warning: "pull-request comment not written: no GitHub token. The action passes the job's token by default " +
			"(input github-token); elsewhere set GITHUB_TOKEN. The job needs permissions: pull-requests: write."}
	}
	repo, err := github.ParseRepo(getenv("GITHUB_REPOSITORY"))
	if err != nil {
		return Outcome{Warning: "pull-request comment not written: " + err.Error()}
	}
	number, err := github.PullRequestNumber(ctx, getenv("GITHUB_EVENT_PATH"))
	if err != nil {
		return Outcome{Warning: "pull-request comment not written: " + err.Error()}
	}
	apiURL := getenv("GITHUB_API_URL")
	if apiURL == "" {
		apiURL = github.DefaultAPIURL
	}
	client, err := github.New(apiURL, o.Token, o.UserAgent, o.HTTPClient)
	if err != nil {
		return Outcome{Warning: "pull-request comment not written: " + err.Error()}
	}
	if in.RunURL == "" {
		in.RunURL = RunURL(getenv)
	}
	marker := Marker(getenv("GITHUB_WORKFLOW"), getenv("GITHUB_JOB"), o.Tag)
	where := fmt.Sprintf("%s#%d", repo, number)
	action, err := upsert(ctx, client, repo, number, identity(ctx, client, o.Token), marker, Render(in, marker), o.Mode == ModeAlways || in.Failed)
	if err != nil {
		return Outcome{Warning: explain(err, where)}
	}
	switch action {
	case "":
		return Outcome{Debug: "pull-request comment: the gate passed and there is no earlier comment to update (--pr-comment failures)"}
	default:
		return Outcome{Done: action + " on " + where}
	}
}

// identity is the login whose comments count as the gate's. A workflow's
// token (and a GitHub App's installation token, ghs_) may not read /user,
// and writes as github-actions[bot]; any other token is asked, falling
// back to the bot when it may not say.
func identity(ctx context.Context, c *github.Client, token string) string {
	if strings.HasPrefix(token, "ghs_") {
		return Bot
	}
	login, err := c.Login(ctx)
	if err != nil || login == "" {
		return Bot
	}
	return login
}

// upsert updates the newest comment of author that starts with marker, or
// creates one when create is set. It returns "updated", "created" or ""
// (nothing to do).
func upsert(ctx context.Context, c *github.Client, repo github.Repo, number int, author, marker, body string, create bool) (string, error) {
	comments, err := c.ListComments(ctx, repo, number)
	if err != nil {
		return "", err
	}
	for i := len(comments) - 1; i >= 0; i-- {
		cm := comments[i]
		// A user who copies the marker into a comment of their own never
		// gets the gate's results written there.
		// GitHub may hand a body back with CRLF line ends.
		if cm.User.Login != author || !(strings.HasPrefix(cm.Body, marker+"\n") || strings.HasPrefix(cm.Body, marker+"\r\n")) {
			continue
		}
		if _, err := c.UpdateComment(ctx, repo, cm.ID, body); err != nil {
			return "", err
		}
		return "updated", nil
	}
	if !create {
		return "", nil
	}
	if _, err := c.CreateComment(ctx, repo, number, body); err != nil {
		return "", err
	}
	return "created", nil
}

// explain turns a failed exchange into the one warning: why, and how to fix.
func explain(err error, where string) string {
	prefix := "pull-request comment on " + where + " not written: "
	switch status := github.StatusOf(err); {
	case github.IsRateLimited(err):
		return prefix + "GitHub's API rate limit is used up; the next run of the job updates the comment."
	case status == http.StatusUnauthorized:
		return prefix + err.Error() + ". The token was refused: pass a valid one in github-token (the default is the job's own token)."
	case status == http.StatusForbidden:
		return prefix + err.Error() + ". The token may not write pull-request comments: give the job permissions: pull-requests: write. " +
			"Pull requests from forks only ever get a read-only token; skip the comment for them (see docs/pr-comment.md)."
	case status == http.StatusNotFound:
		return prefix + err.Error() + ". The repository or pull request is not visible to this token: check github-token and permissions: pull-requests: write."
	case status == http.StatusUnprocessableEntity:
		return prefix + err.Error() + ". GitHub refused the comment's content; please report this with the job's log."
	case errors.Is(err, github.ErrForeignLink):
		return prefix + err.Error() + "."
	case errors.Is(err, context.DeadlineExceeded):
		return prefix + "no answer from the GitHub API within the comment's 30 s budget; the next run of the job updates the comment."
	default:
		return prefix + err.Error() + "."
	}
}

var digits = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{1,20}$`) })

// RunURL is the workflow run's page, from GITHUB_SERVER_URL,
// GITHUB_REPOSITORY and GITHUB_RUN_ID; empty when any is missing or odd.
func RunURL(getenv func(string) string) string {
	server := strings.TrimRight(getenv("GITHUB_SERVER_URL"), "/")
	if server == "" {
		server = "https://github.com"
	}
	repo, err := github.ParseRepo(getenv("GITHUB_REPOSITORY"))
	id := getenv("GITHUB_RUN_ID")
	if _, ok := safeURL(server); !ok || err != nil || !digits().MatchString(id) {
		return ""
	}
	return server + "/" + repo.String() + "/actions/runs/" + id
}
