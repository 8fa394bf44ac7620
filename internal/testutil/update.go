package testutil

import "flag"

// update is the -update flag of every test binary that imports testutil.
// It lives here, registered once when the package is initialised, so that
// the documented `go test ./... -update` works in every package, including
// those without golden files: package flag rejects an undefined flag, and
// a package that declared its own would panic on the duplicate name.
//
// A flag is process-wide by nature; this is the one such variable, and only
// test binaries link this package.
var update = flag.Bool("update", false, "rewrite golden files with the current output")

// UpdateFlag returns the -update flag. Dereference it inside a test, after
// testing has parsed the command line; a package keeps it as
// `var update = testutil.UpdateFlag()` and passes *update to Golden.
func UpdateFlag() *bool { return update }
