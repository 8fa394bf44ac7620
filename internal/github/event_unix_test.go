//go:build unix

package github

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/safefile"
)

// TestPullRequestNumberHostileFiles: the event file is read like every
// untrusted file. A FIFO (whose open would wait for a writer), a device,
// a link (even to a good event file) and a directory are refused without
// blocking, and a context that has ended stops the read before it starts.
func TestPullRequestNumberHostileFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "event.json")
	if err := os.WriteFile(good, []byte(`{"pull_request": {"number": 7}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	for _, c := range []struct {
		name, path string
		ctx        context.Context
		want       error
		text       string
	}{
		{"fifo", fifo, t.Context(), safefile.ErrNotRegular, "named pipe"},
		{"device", os.DevNull, t.Context(), safefile.ErrNotRegular, "character device"},
		{"link", link, t.Context(), safefile.ErrSymlink, "symbolic link"},
		{"directory", dir, t.Context(), safefile.ErrNotRegular, "directory"},
		{"ended context", good, ended, context.Canceled, ""},
	} {
		n, err := PullRequestNumber(c.ctx, c.path)
		if n != 0 || !errors.Is(err, c.want) {
			t.Errorf("%s: %d, %v; want %v", c.name, n, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), "GITHUB_EVENT_PATH") || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: %q does not say which file and what is wrong", c.name, err)
		}
	}
	if n, err := PullRequestNumber(t.Context(), good); n != 7 || err != nil {
		t.Errorf("the good file: %d, %v", n, err)
	}
}
