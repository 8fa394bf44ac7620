//go:build unix

package ci

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestRunnerFileFIFO: a FIFO planted as GITHUB_OUTPUT (or a link to one),
// with no reader, is refused at once: a blocking open would never return.
func TestRunnerFileFIFO(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, filepath.Join(filepath.Dir(fifo), "link")} {
		if path != fifo {
			if err := os.Symlink(fifo, path); err != nil {
				t.Fatal(err)
			}
		}
		if err := appendGitHubFile(path, sampleOutputs().outputs(), rand.Reader); err == nil {
			t.Errorf("%s: written to", filepath.Base(path))
		}
	}
}
