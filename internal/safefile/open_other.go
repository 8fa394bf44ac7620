//go:build !unix

package safefile

import (
	"fmt"
	"io/fs"
	"os"
)

// open opens path for reading after checking, without following links,
// that it is a regular file: where the system has no O_NOFOLLOW or
// O_NONBLOCK, the Lstat check refuses links, pipes and devices before the
// open could follow or block on them.
func open(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("open %s: %w", path, ErrSymlink)
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w: it is %s", ErrNotRegular, Describe(fi.Mode()))}
	}
	return os.Open(path)
}
