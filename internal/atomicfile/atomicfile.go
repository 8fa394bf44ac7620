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
//
// WriteIn and WriteFuncIn do the same inside an os.Root, for a directory
// the gate fills with names of its own (the artifacts directory): nothing
// they do can reach outside it. Write and WriteFunc are the same code on a
// root opened at the file's directory, so there is one atomic writer.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
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
//
// The work is done inside an os.Root on path's directory, the same code
// as WriteFuncIn: the temporary file and the rename stay in the directory
// that was opened, even if a parent is swapped for a link meanwhile.
func WriteFunc(path string, write func(io.Writer) error) error {
	return writeAt(path, write, true)
}

// Replace is Write for a file only the gate writes and nobody else reads
// as a report, such as the polling history: a symbolic link at path is
// replaced by the new file instead of being refused. The rename replaces
// the link itself and never writes through it, so its target is left as
// it was, and a link that a cache restore left behind heals with the next
// write instead of failing every run.
func Replace(path string, data []byte) error {
	return writeAt(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}, false)
}

// writeAt runs writeIn inside an os.Root on path's directory, creating it
// first; refuse is as for writeIn.
func writeAt(path string, write func(io.Writer) error, refuse bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory for %s: %w", path, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer root.Close()
	return writeIn(root, filepath.Base(path), path, write, refuse)
}

// WriteIn replaces name, a path inside root, with data; see WriteFuncIn.
func WriteIn(root *os.Root, name string, data []byte) error {
	return WriteFuncIn(root, name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFuncIn replaces name, a path inside root, with what write produces,
// creating missing parent directories inside root. Every file operation
// goes through root, so nothing is created, written or renamed outside it:
// a name with "..", or a link in its parents that leads out of root, is
// refused by os.Root. A name that is itself a link is refused with
// ErrSymlink, as for WriteFunc. Errors name the file as name.
func WriteFuncIn(root *os.Root, name string, write func(io.Writer) error) error {
	if dir := filepath.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create directory for %s: %w", name, err)
		}
	}
	return writeIn(root, name, name, write, true)
}

// writeIn is the one atomic writer: a temporary file next to name, filled
// by write, made world-readable, and renamed over name, all inside root.
// shown is how errors name the file. refuse says whether a link at name
// is refused (reports) or replaced (Replace).
func writeIn(root *os.Root, name, shown string, write func(io.Writer) error, refuse bool) error {
	if refuse {
		if err := refuseLinkIn(root, name, shown); err != nil {
			return err
		}
	}
	f, tmp, err := createTemp(root, name)
	if err != nil {
		return fmt.Errorf("write %s: %w", shown, err)
	}
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
		_ = root.Remove(tmp)
		return fmt.Errorf("write %s: %w", shown, err)
	}
	// Checked again right before the rename: the link may have been made
	// while the file was written. The rename replaces a link rather than
	// writing through it, so this check is about saying so, not safety.
	if refuse {
		if err := refuseLinkIn(root, name, shown); err != nil {
			_ = root.Remove(tmp)
			return err
		}
	}
	if err := root.Rename(tmp, name); err != nil {
		_ = root.Remove(tmp)
		return fmt.Errorf("write %s: %w", shown, err)
	}
	return nil
}

// createTemp creates a new file next to name inside root, named
// ".NAME.RANDOM.tmp" like os.CreateTemp would (os.Root has no CreateTemp).
// O_EXCL makes the open fail rather than follow a link or reuse a file
// someone placed under the chosen name.
func createTemp(root *os.Root, name string) (*os.File, string, error) {
	dir, base := filepath.Dir(name), filepath.Base(name)
	for range 100 {
		tmp := filepath.Join(dir, "."+base+"."+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
		f, err := root.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, tmp, err
	}
	return nil, "", errors.New("no unused temporary file name found")
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

// refuseLinkIn fails if name inside root is itself a symbolic link.
func refuseLinkIn(root *os.Root, name, shown string) error {
	fi, err := root.Lstat(name)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("write %s: %w", shown, ErrSymlink)
	}
	return nil
}

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
