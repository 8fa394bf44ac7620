//go:build !unix

package atomicfile

// oNoFollow is 0 where the system has no such flag; the Lstat check before
// the open still refuses a link.
const oNoFollow = 0
