//go:build unix

package ci

import "syscall"

// openFlags make the open of a runner file never block: a FIFO planted
// there would otherwise hold the gate until its deadline and beyond. What
// was opened is checked to be a regular file before anything is written.
const openFlags = syscall.O_NONBLOCK
