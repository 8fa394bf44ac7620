package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"

	"github.com/docketqa-gate/docketqa-gate/internal/safefile"
)

// maxEventBytes bounds the event file: a pull_request payload carries the
// description (at most 65,536 characters) and a few kilobytes more.
const maxEventBytes = 4 << 20

// Repo is a repository, from GITHUB_REPOSITORY.
type Repo struct{ Owner, Name string }

// String is "owner/name".
func (r Repo) String() string { return r.Owner + "/" + r.Name }

// repoPattern is what GitHub allows in owner and repository names.
var repoPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([A-Za-z0-9-]{1,39})/([A-Za-z0-9._-]{1,100})$`) })

// ParseRepo parses "owner/name".
func ParseRepo(s string) (Repo, error) {
	m := repoPattern().FindStringSubmatch(s)
	if m == nil || m[2] == "." || m[2] == ".." {
		return Repo{}, fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name", s)
	}
	return Repo{Owner: m[1], Name: m[2]}, nil
}

// IsPullRequestEvent reports whether a workflow run's GITHUB_EVENT_NAME is
// one that runs for a pull request.
func IsPullRequestEvent(name string) bool {
	return name == "pull_request" || name == "pull_request_target"
}

// eventKind is how safefile reads the event file, and names it in errors.
var eventKind = safefile.Kind{Name: "event file", Setting: "GITHUB_EVENT_PATH", Max: maxEventBytes}

// PullRequestNumber reads the pull request's number from the event file
// at path (GITHUB_EVENT_PATH). The file is untrusted like every input and
// read the one safe way (safefile): a regular file only, never through a
// final link, an open that cannot block on a FIFO or device, at most
// maxEventBytes, and no longer than ctx allows.
func PullRequestNumber(ctx context.Context, path string) (int, error) {
	if path == "" {
		return 0, errors.New("GITHUB_EVENT_PATH is not set")
	}
	b, err := safefile.Read(ctx, path, eventKind)
	if err != nil {
		return 0, err
	}
	var ev struct {
		PullRequest *struct {
			Number json.Number `json:"number"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		return 0, fmt.Errorf("event file %s is not JSON: %w", path, err)
	}
	if ev.PullRequest == nil {
		return 0, fmt.Errorf("event file %s has no pull_request", path)
	}
	n, err := strconv.Atoi(ev.PullRequest.Number.String())
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("event file %s: pull_request.number %q is not a positive whole number", path, ev.PullRequest.Number)
	}
	return n, nil
}
