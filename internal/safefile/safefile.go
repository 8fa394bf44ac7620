// Package safefile is the gate's one way to read a file it did not write
// in this process: the --config file, the --attach manifest and the
// --history cache, and any file read later. Every one of them can come from
// a pull request or a CI cache, so the reader assumes the worst:
//
//   - a final symbolic link is refused, never followed (a committed
//     gate.yml -> /dev/zero or history.json -> /proc/self/environ);
//   - the open never blocks: a FIFO or a device is opened without waiting
//     (O_NONBLOCK) and then refused, as is a directory; only a regular file
//     is read;
//   - at most the kind's size bound is read, plus one byte to tell an
//     oversized file from one of exactly the bound, which is refused;
//   - the read stops when the context ends, so a signal still works.
//
// Links in the parent directories are followed: CI workspaces and macOS
// temporary folders use them.
package safefile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Kind names what a file is for and bounds its size. Its name and setting
// appear in errors, so the user knows which file and which setting.
type Kind struct {
	// Name is what the file is, such as "config file".
	Name string
	// Setting names where the path comes from, such as "--config /
	// DOCKETQA_CONFIG".
	Setting string
	// Max is the largest size read, in bytes; larger files are refused.
	Max int64
}

// The reasons a file is refused. Errors wrap one of them (or the
// operating system's error, such as fs.ErrNotExist), so callers can tell
// them apart with errors.Is.
var (
	ErrSymlink    = errors.New("it is a symbolic link, which the gate never follows")
	ErrNotRegular = errors.New("it is not a regular file")
	ErrTooLarge   = errors.New("it is larger than the gate reads")
)

// Error is a refused or unreadable file. Its message names the file, the
// setting it came from, what is wrong and how to fix it.
type Error struct {
	Kind Kind
	Path string
	// What says what was found, such as "a named pipe (FIFO)".
	What string
	Err  error
}

// Error implements error: the file, its setting, and Reason.
func (e *Error) Error() string {
	return fmt.Sprintf("%s %q (%s): %s", e.Kind.Name, e.Path, e.Kind.Setting, e.Reason())
}

// Reason says what is wrong and how to fix it, without naming the file,
// for callers that name it themselves.
func (e *Error) Reason() string {
	switch {
	case errors.Is(e.Err, ErrSymlink):
		return e.Err.Error() + " (it could point at a device or a secret); replace the link with the file itself"
	case errors.Is(e.Err, ErrNotRegular):
		return "it is " + e.What + ", not a regular file; give the path of a regular file"
	case errors.Is(e.Err, ErrTooLarge):
		return fmt.Sprintf("it is larger than %s, more than a %s ever needs; check that the path names the right file",
			size(e.Kind.Max), e.Kind.Name)
	case errors.Is(e.Err, fs.ErrNotExist):
		return "no such file; check the path (it is relative to the working directory)"
	case errors.Is(e.Err, fs.ErrPermission):
		return "permission denied; make the file readable by the user the gate runs as"
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Read returns the content of the regular file at path, of at most k.Max
// bytes. Every error is an *Error.
func Read(ctx context.Context, path string, k Kind) ([]byte, error) {
	fail := func(what string, err error) ([]byte, error) {
		return nil, &Error{Kind: k, Path: path, What: what, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return fail("", err)
	}
	f, err := open(path)
	if err != nil {
		// Tell why from the path itself: a socket fails to open (ENXIO),
		// and elsewhere than Unix the check before the open refuses.
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return fail("a symbolic link", ErrSymlink)
		} else if lerr == nil && !fi.Mode().IsRegular() {
			return fail(Describe(fi.Mode()), ErrNotRegular)
		}
		return fail("", unwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail("", unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return fail(Describe(fi.Mode()), ErrNotRegular)
	}
	if fi.Size() > k.Max {
		return fail("", ErrTooLarge)
	}
	b, err := readAll(ctx, f, k.Max+1)
	switch {
	case err != nil:
		return fail("", unwrapPath(err))
	case int64(len(b)) > k.Max:
		// The file grew after the stat, or the file system lies about
		// sizes (as /proc does): the bound holds all the same.
		return fail("", ErrTooLarge)
	}
	return b, nil
}

// chunk is how much is read between two checks of the context.
const chunk = 64 << 10

// readAll reads r to its end or n bytes, whichever comes first, checking
// ctx between chunks.
func readAll(ctx context.Context, r io.Reader, n int64) ([]byte, error) {
	var b []byte
	lr := io.LimitReader(r, n)
	buf := make([]byte, chunk)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, err := lr.Read(buf)
		b = append(b, buf[:m]...)
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// unwrapPath drops the *PathError around an operating system error: Error
// names the path and the setting itself.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Describe names a file type in words a user recognises ("a named pipe
// (FIFO)", "a character device"), for errors about a file in the way.
func Describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file"
}

// size prints a byte count the way a user thinks of it.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
