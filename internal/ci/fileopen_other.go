//go:build !unix

package ci

// openFlags is 0 where the system has no O_NONBLOCK; the check that the
// file opened is a regular file still refuses anything else.
const openFlags = 0
