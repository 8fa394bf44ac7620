package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ReportPath is one file the gate will write, named by its setting.
type ReportPath struct {
	// Setting is the setting's flag (or name, when it has no flag), for
	// messages.
	Setting string
	// Path is the file as configured.
	Path string
}

// CheckWritable reports, in one *UsageError, every report path that the
// gate could not write: --dry-run promises a valid configuration, and a
// report that cannot be written would only show up after a real run. It
// leaves nothing behind: each path's nearest existing directory gets a
// probe file that is removed at once, and existing files are not opened.
// Reports are written as a temporary file renamed over the target, with
// missing parent directories created, so a writable nearest existing
// directory is what it takes.
func CheckWritable(paths []ReportPath) error {
	var problems []string
	for _, p := range paths {
		if err := writable(p.Path); err != nil {
			problems = append(problems, fmt.Sprintf("%s %q cannot be written: %v", p.Setting, p.Path, err))
		}
	}
	if len(problems) > 0 {
		return &UsageError{Problems: problems}
	}
	return nil
}

// CheckDir reports why the gate could not save files in dir, as the
// --artifacts-dir of a real run does: an existing directory must take a
// new file, and a missing one is created later, so its nearest existing
// parent must. It leaves nothing behind.
func CheckDir(dir string) error {
	dir = filepath.Clean(dir)
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return errors.New("it exists and is not a directory")
	case err == nil:
		return probe(dir)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("check %s: %w", dir, err)
	}
	return writable(dir)
}

// writable checks that path can be created or replaced.
func writable(path string) error {
	path = filepath.Clean(path)
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return errors.New("it is a directory")
	} else if err == nil && !fi.Mode().IsRegular() {
		// A FIFO would block the write, and a device would be replaced.
		return errors.New("it is a FIFO, device or socket, not a regular file")
	}
	dir := filepath.Dir(path)
	for {
		fi, err := os.Stat(dir)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s is not a directory", dir)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("check %s: %w", dir, err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return fmt.Errorf("no existing directory above %s", path)
		}
		dir = parent
	}
	return probe(dir)
}

// probe creates and removes a file in dir, the surest test that the gate
// can write there.
func probe(dir string) error {
	f, err := os.CreateTemp(dir, ".docketqa-gate-probe-*")
	if err != nil {
		return fmt.Errorf("directory %s is not writable: %w", dir, err)
	}
	name := f.Name()
	cerr := f.Close()
	if err := errors.Join(cerr, os.Remove(name)); err != nil {
		return fmt.Errorf("probe directory %s: %w", dir, err)
	}
	return nil
}
