// Package atomicfile writes report files so that no reader ever sees half of
// one: the content goes to a temporary file in the same directory, which is
// then renamed over the target. A CI step that uploads the report while the
// gate is being killed gets the old file or the new one, never a torn one.
//
// A report path whose last component is a symbolic link is refused, never
// followed: a pull request can commit a link named like a report (to
// /proc/self/environ, say), and reading it to append, or writing through
// it, would put the gate's environment in the report or overwrite a file
// elsewhere. Links in the parent directories are fine (CI workspaces and
// macOS temp folders use them). The configuration refuses such paths up
// front; the check here catches a link that appears later.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with data, creating missing parent directories.
func Write(path string, data []byte) error {
	return WriteFunc(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFunc replaces path with what write produces. The content streams to
// the temporary file, so a large report never sits in memory as a whole.
func WriteFunc(path string, write func(io.Writer) error) error {
	return writeFunc(path, write, true)
}

// Replace is Write for a file only the gate writes and nobody else reads
// as a report, such as the polling history: a symbolic link at path is
// replaced by the new file instead of being refused. The rename replaces
// the link itself and never writes through it, so its target is left as
// it was, and a link that a cache restore left behind heals with the next
// write instead of failing every run.
func Replace(path string, data []byte) error {
	return writeFunc(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}, false)
}

// writeFunc is WriteFunc; refuse says whether a link at path is refused
// (reports) or replaced (Replace).
func writeFunc(path string, write func(io.Writer) error, refuse bool) error {
	if refuse {
		if err := refuseLink(path); err != nil {
			return err
		}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory for %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	bw := bufio.NewWriterSize(f, 64<<10)
	werr := write(bw)
	if werr == nil {
		werr = bw.Flush()
	}
	if werr == nil {
		// Reports are read by other processes: make them world-readable
		// like a normally created file, not 0600 like a temp file.
		werr = f.Chmod(0o644)
	}
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Checked again right before the rename: the link may have been made
	// while the report was written.
	if refuse {
		if err := refuseLink(path); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Append adds data to the end of path, atomically: the old content plus the
// new is written to a temporary file that replaces path. GitHub expects the
// step summary to be appended to, since other steps write to it too.
func Append(path string, data []byte) error {
	old, err := readNoFollow(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s before appending: %w", path, err)
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	return Write(path, append(old, data...))
}

// ErrSymlink is returned for a report path that is a symbolic link.
var ErrSymlink = errors.New("is a symbolic link; refusing to read or write through it (remove the link or choose another path)")

// refuseLink fails if path itself is a symbolic link.
func refuseLink(path string) error {
	fi, err := os.Lstat(path)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("write %s: %w", path, ErrSymlink)
	}
	return nil
}

// readNoFollow reads path without following a link in its last component:
// the open itself refuses the link where the system can (O_NOFOLLOW), so a
// link made between a check and the read is refused too.
func readNoFollow(path string) ([]byte, error) {
	if err := refuseLink(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
	if err != nil {
		if isLinkErr(path, err) {
			return nil, fmt.Errorf("read %s: %w", path, ErrSymlink)
		}
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// isLinkErr reports whether the failed no-follow open of path met a link.
func isLinkErr(path string, err error) bool {
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	fi, lerr := os.Lstat(path)
	return lerr == nil && fi.Mode()&fs.ModeSymlink != 0
}

// AppendShared appends data to a file another program owns and reads, such
// as the runner's $GITHUB_STEP_SUMMARY: in place, with O_APPEND, following
// a link if the owner made one, because replacing the file (or the link)
// would hide the content from its owner. Only for paths the user did not
// choose; a report path the user gave goes through Append.
func AppendShared(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	// Like Append: what other steps wrote stays a block of its own.
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
			data = append([]byte{'\n'}, data...)
		}
	}
	_, werr := f.Write(data)
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	return nil
}
