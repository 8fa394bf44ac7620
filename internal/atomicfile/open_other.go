//go:build !unix

package atomicfile

// oNonBlock is 0 where the system has no such flag; the type check after
// the open still refuses what is not a regular file.
const oNonBlock = 0
