//go:build unix

package history

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// TestBadPathsGiveAColdStart puts what a cache restore or a pull request
// can leave at the history path: each is a warning and an empty history,
// never a failure and never a hang (the test's deadline is the bound), and
// the next Save replaces a link or a FIFO with a good file without writing
// through it.
func TestBadPathsGiveAColdStart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		make  func(t *testing.T, path string)
		warn  string
		heals bool
	}{
		{"symlink to a good history", func(t *testing.T, p string) {
			good := filepath.Join(filepath.Dir(p), "elsewhere.json")
			if err := os.WriteFile(good, []byte(`{"version":1,"blueprints":[]}`), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(good, p); err != nil {
				t.Fatal(err)
			}
		}, "symbolic link", true},
		{"symlink to /dev/zero", func(t *testing.T, p string) {
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
		}, "symbolic link", true},
		{"FIFO", func(t *testing.T, p string) {
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "named pipe", true},
		{"directory", func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "directory", false},
		{"garbage", func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte("\x00\xff{{{"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "not valid history JSON", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			path := filepath.Join(t.TempDir(), "history.json")
			tc.make(t, path)
			f, warns := Load(ctx, path, api, now)
			if ctx.Err() != nil {
				t.Fatal("Load blocked")
			}
			if len(warns) != 1 || !strings.Contains(warns[0], tc.warn) || !strings.Contains(warns[0], "starting without history") {
				t.Fatalf("warnings %q, want one saying %q and the cold start", warns, tc.warn)
			}
			f.Record(now, []result.Run{passed(1, time.Minute)})
			err := f.Save(path)
			if !tc.heals {
				if err == nil {
					t.Error("Save over a directory succeeded")
				}
				return
			}
			if err != nil {
				t.Fatalf("Save: %v", err)
			}
			if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("after Save the path is not a regular file: %v", err)
			}
			if g, warns := Load(ctx, path, api, now); len(warns) > 0 || g.Forecast(1).Runs != 1 {
				t.Errorf("the healed history: %q %+v", warns, g.Forecast(1))
			}
			if b, _ := os.ReadFile(filepath.Join(filepath.Dir(path), "elsewhere.json")); len(b) > 0 && string(b) != `{"version":1,"blueprints":[]}` {
				t.Errorf("the link's target was written through: %q", b)
			}
		})
	}
}
