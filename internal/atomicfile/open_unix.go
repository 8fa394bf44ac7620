//go:build unix

package atomicfile

import "syscall"

// oNonBlock makes the open of a FIFO or a device return at once instead of
// waiting for the other end; the file is then refused unless regular.
const oNonBlock = syscall.O_NONBLOCK
