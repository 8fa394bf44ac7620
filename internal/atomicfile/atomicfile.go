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
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/docketqa-gate/docketqa-gate/internal/safefile"
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
	if err := checkTarget(root, name, shown, refuse); err != nil {
		return err
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
	// Checked again right before the rename: the link or device may have
	// been made while the file was written. The rename replaces a link
	// rather than writing through it, but it would replace a device node
	// (as root, /dev/null itself) just as readily.
	if err := checkTarget(root, name, shown, refuse); err != nil {
		_ = root.Remove(tmp)
		return err
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

// MaxAppend bounds the existing content Append reads: GitHub refuses a job
// summary over 1 MiB, so a file already past that plus a margin is not a
// summary worth keeping but the wrong file (or a planted one), and reading
// it would only cost memory.
const MaxAppend = 1<<20 + 256<<10

// appendKind is how safefile names the file Append reads in its errors.
var appendKind = safefile.Kind{Name: "report to append to", Setting: "a report path such as --summary", Max: MaxAppend}

// Append adds data to the end of path, atomically: the old content plus the
// new is written to a temporary file that replaces path. GitHub expects the
// step summary to be appended to, since other steps write to it too.
//
// The old content is read the way every untrusted file is (safefile): a
// final link is refused, a FIFO or device is refused without the open
// waiting on it, and at most MaxAppend bytes are read; a larger file is an
// error naming it. A FIFO would otherwise hold the gate after its verdict
// past every deadline, and /dev/zero would be read until memory runs out.
func Append(path string, data []byte) error {
	old, err := readExisting(path)
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

// ErrNotRegular is returned for a report path that holds something other
// than a regular file: a device, a FIFO, a socket or a directory.
var ErrNotRegular = errors.New("is not a regular file; refusing to replace it (point the setting at a regular file or a path that does not exist yet)")

// checkTarget fails unless what is at name inside root may be replaced.
// For a report (refuse) that is nothing or a regular file: a link is
// ErrSymlink, anything else ErrNotRegular, since renaming over a device
// node would replace the device (as root, /dev/null itself). Otherwise
// (Replace) a link or a FIFO a cache left is replaced too, but never a
// device or a directory.
func checkTarget(root *os.Root, name, shown string, refuse bool) error {
	fi, err := root.Lstat(name)
	if err != nil {
		return nil // absent, or the write itself will say why not
	}
	m := fi.Mode()
	switch {
	case m.IsRegular():
		return nil
	case m&fs.ModeSymlink != 0:
		if refuse {
			return fmt.Errorf("write %s: %w", shown, ErrSymlink)
		}
		return nil
	case !refuse && m&(fs.ModeNamedPipe|fs.ModeSocket) != 0:
		return nil
	}
	return fmt.Errorf("write %s: it is %s, which %w", shown, safefile.Describe(m), ErrNotRegular)
}

// readExisting reads the regular file at path through safefile. A final
// link is reported as ErrSymlink and anything else not regular as
// ErrNotRegular, like the write that follows would.
func readExisting(path string) ([]byte, error) {
	b, err := safefile.Read(context.Background(), path, appendKind)
	var se *safefile.Error
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fs.ErrNotExist
	case errors.Is(err, safefile.ErrSymlink):
		return nil, ErrSymlink
	case errors.Is(err, safefile.ErrNotRegular) && errors.As(err, &se):
		return nil, fmt.Errorf("it is %s, which %w", se.What, ErrNotRegular)
	case errors.As(err, &se):
		return nil, errors.New(se.Reason())
	}
	return nil, err
}

// AppendShared appends data to a file another program owns and reads, such
// as the runner's $GITHUB_STEP_SUMMARY: in place, with O_APPEND, following
// a link if the owner made one, because replacing the file (or the link)
// would hide the content from its owner. Only for paths the user did not
// choose; a report path the user gave goes through Append.
//
// The open never blocks (O_NONBLOCK) and only a regular file is written:
// a FIFO or device at the path, whoever put it there, is refused.
func AppendShared(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE|oNonBlock, 0o644)
	if err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("it is %s, which %w", safefile.Describe(fi.Mode()), ErrNotRegular)
	}
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("append to %s: %w", path, err)
	}
	// Like Append: what other steps wrote stays a block of its own.
	if fi.Size() > 0 {
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
