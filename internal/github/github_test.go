package github

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewRefusesUnsafeRoots(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://api.github.com", true},
		{"https://ghe.example.com/api/v3/", true},
		{"http://127.0.0.1:8080", true},
		{"http://localhost:1", true},
		{"http://api.github.com", false},
		{"https://user:pw@api.github.com", false},
		{"https://api.github.com?x=1", false},
		{"api.github.com", false},
		{"ftp://api.github.com", false},
	} {
		_, err := New(tc.url, "t", "", nil)
		if (err == nil) != tc.ok {
			t.Errorf("New(%q) error %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}

func TestNextPageStaysOnTheRoot(t *testing.T) {
	t.Parallel()
	c, err := New("https://ghe.example.com/api/v3", "t", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		link, want string
		foreign    bool
	}{
		{`<https://ghe.example.com/api/v3/repos/o/r/issues/1/comments?page=2>; rel="next", <https://ghe.example.com/api/v3/x?page=9>; rel="last"`,
			"https://ghe.example.com/api/v3/repos/o/r/issues/1/comments?page=2", false},
		{`<https://ghe.example.com/api/v3/x?page=1>; rel="prev"`, "", false},
		{"", "", false},
		{`<https://evil.example/api/v3/repos?page=2>; rel="next"`, "", true},
		{`<http://ghe.example.com/api/v3/repos?page=2>; rel="next"`, "", true},
		{`<https://ghe.example.com:444/api/v3/repos?page=2>; rel="next"`, "", true},
		{`<https://ghe.example.com/other/repos?page=2>; rel="next"`, "", true},
		{`<https://ghe.example.com/api/v3evil/repos?page=2>; rel="next"`, "", true},
		{`<https://x@ghe.example.com/api/v3/repos?page=2>; rel="next"`, "", true},
	} {
		u, err := c.nextPage(tc.link)
		got := ""
		if u != nil {
			got = u.String()
		}
		if got != tc.want || (err == ErrForeignLink) != tc.foreign {
			t.Errorf("nextPage(%s) = %q, %v", tc.link, got, err)
		}
	}
}

// TestAnswersAreBounded: an endless answer is cut at the bound, and an
// error answer's message is one short line.
func TestAnswersAreBounded(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"message": "no\nway ` + strings.Repeat("x", 1000) + `"}`))
			return
		}
		_, _ = w.Write([]byte("["))
		chunk := []byte(strings.Repeat(`{"id": 1, "body": "xxxxxxxx"},`, 1000))
		for range maxBodyBytes/len(chunk) + 2 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "t", "", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListComments(context.Background(), Repo{"o", "r"}, 1); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("endless answer: %v", err)
	}
	_, err = c.CreateComment(context.Background(), Repo{"o", "r"}, 1, "b")
	if StatusOf(err) != http.StatusForbidden || strings.Contains(err.Error(), "\n") || len(err.Error()) > 260 {
		t.Errorf("error answer: %v", err)
	}
}

func TestPullRequestNumber(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		content string
		want    int
		err     string
	}{
		{`{"pull_request": {"number": 12}}`, 12, ""},
		{`{"number": 12}`, 0, "no pull_request"},
		{`{"pull_request": {"number": -1}}`, 0, "positive"},
		{`{"pull_request": {"number": 1.5}}`, 0, "positive"},
		{`not json`, 0, "not JSON"},
		{`{"pull_request": {"number": 1}, "pad": "` + strings.Repeat("x", maxEventBytes) + `"}`, 0, "larger than"},
	} {
		n, err := PullRequestNumber(t.Context(), write("event.json", tc.content))
		if n != tc.want || (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%.40s: %d, %v; want %d, %q", tc.content, n, err, tc.want, tc.err)
		}
	}
	if _, err := PullRequestNumber(t.Context(), dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: %v", err)
	}
	if _, err := PullRequestNumber(t.Context(), ""); err == nil {
		t.Error("no path: no error")
	}
}
