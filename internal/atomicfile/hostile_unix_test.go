//go:build unix

package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// special is a hostile non-regular file planted at a report path.
type special struct {
	name string
	make func(t *testing.T, path string) // skips the test when not permitted
	mode fs.FileMode                     // the type bit it must still have
}

func specials() []special {
	return []special{
		{"fifo", func(t *testing.T, p string) {
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}
		}, fs.ModeNamedPipe},
		{"directory", func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}, fs.ModeDir},
		// Character devices 1,3 (null) and 1,5 (zero): only root may make
		// them; as root, replacing one by a rename is exactly the harm.
		{"null device", mknod(1, 3), fs.ModeCharDevice},
		{"zero device", mknod(1, 5), fs.ModeCharDevice},
	}
}

func mknod(major, minor int) func(t *testing.T, p string) {
	return func(t *testing.T, p string) {
		if os.Geteuid() != 0 {
			t.Skip("making a device node needs root")
		}
		dev := major<<8 | minor
		if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, dev); err != nil {
			t.Skipf("mknod not permitted here: %v", err)
		}
	}
}

// stillThere fails unless path still has the type bit mode.
func stillThere(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatalf("%s is gone: %v", path, err)
	}
	if fi.Mode()&mode == 0 {
		t.Errorf("%s was replaced: mode now %v", path, fi.Mode())
	}
}

// TestReportNeverReplacesASpecialFile: a report path holding a device, a
// FIFO or a directory is refused with an error naming the file, and the
// thing at the path is left as it was.
func TestReportNeverReplacesASpecialFile(t *testing.T) {
	t.Parallel()
	for _, s := range specials() {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "junit.xml")
			s.make(t, path)
			err := Write(path, []byte("<testsuites/>"))
			if !errors.Is(err, ErrNotRegular) {
				t.Fatalf("Write over a %s: %v, want ErrNotRegular", s.name, err)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "point the setting at a regular file") {
				t.Errorf("error %q does not name the file and the fix", err)
			}
			stillThere(t, path, s.mode)
			leftovers(t, filepath.Dir(path))
		})
	}
}

// TestAppendNeverBlocksOrReadsADevice: --summary pointing at a FIFO (whose
// open would wait for a writer forever) or /dev/zero (read until memory
// runs out) is refused at once.
func TestAppendNeverBlocksOrReadsADevice(t *testing.T) {
	t.Parallel()
	for _, s := range specials() {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "summary.md")
			s.make(t, path)
			err := Append(path, []byte("## gate\n"))
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("Append to a %s: %v, want an error naming %s", s.name, err, path)
			}
			if s.mode != fs.ModeDir && !errors.Is(err, ErrNotRegular) {
				t.Errorf("Append to a %s: %v, want ErrNotRegular", s.name, err)
			}
			stillThere(t, path, s.mode)
		})
	}
}

// TestAppendRefusesAnOversizedSummary: a file already past GitHub's 1 MiB
// summary limit plus the margin is an error naming it, not a huge read.
func TestAppendRefusesAnOversizedSummary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		size int64
		ok   bool
	}{{MaxAppend, true}, {MaxAppend + 1, false}, {1 << 30, false}} {
		path := filepath.Join(dir, "summary.md")
		// A sparse file: its size costs no disk.
		if err := os.Truncate(path, 0); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(c.size); err != nil {
			t.Fatal(err)
		}
		f.Close()
		err = Append(path, []byte("x\n"))
		if c.ok && err != nil {
			t.Errorf("Append to %d bytes: %v", c.size, err)
		}
		if !c.ok {
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "larger than") {
				t.Errorf("Append to %d bytes: %v, want an error naming the file and its size", c.size, err)
			}
			if fi, _ := os.Stat(path); fi.Size() != c.size {
				t.Errorf("refused file changed size: %d", fi.Size())
			}
		}
	}
}

// TestReplaceHealsALinkOrFIFOButNotADevice: the history heals what a cache
// restore can leave (a link, a FIFO) but never replaces a device or a
// directory.
func TestReplaceHealsALinkOrFIFOButNotADevice(t *testing.T) {
	t.Parallel()
	for _, s := range specials() {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "history.json")
			s.make(t, path)
			err := Replace(path, []byte("{}"))
			if s.mode == fs.ModeNamedPipe {
				if err != nil {
					t.Fatalf("Replace over a FIFO: %v", err)
				}
				if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
					t.Errorf("FIFO not healed: %v %v", fi, err)
				}
				return
			}
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Replace over a %s: %v, want ErrNotRegular naming the file", s.name, err)
			}
			stillThere(t, path, s.mode)
		})
	}
}

// TestAppendSharedRefusesASpecialFile: the runner's summary file is
// opened without blocking, and only a regular file (or a link to one) is
// written.
func TestAppendSharedRefusesASpecialFile(t *testing.T) {
	t.Parallel()
	for _, s := range specials() {
		if s.mode == fs.ModeDir {
			continue // the open itself fails, as it always did
		}
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "step_summary")
			s.make(t, path)
			err := AppendShared(path, []byte("## gate\n"))
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), path) {
				t.Fatalf("AppendShared to a %s: %v, want ErrNotRegular naming the file", s.name, err)
			}
		})
	}
}

// leftovers fails if a temporary file was left in dir.
func leftovers(t *testing.T, dir string) {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
