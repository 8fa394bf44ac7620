//go:build unix

package safefile

import (
	"os"
	"syscall"
)

// open opens path for reading without following a final link (the open
// itself fails on one, so a link made after any check is refused too) and
// without blocking: a FIFO with no writer, or a device that waits, would
// otherwise hold the gate before its deadline and signal handling can act.
// Only regular files are read afterwards, where O_NONBLOCK changes nothing.
func open(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}
