// Package version reports the build's version: the value stamped in with
// -ldflags "-X github.com/docketqa-gate/docketqa-gate/internal/version.version=v1.2.3",
// else the module version Go recorded, else "dev".
package version

import "runtime/debug"

// version is set by the linker; a var, not a const, so -X can reach it.
var version = ""

// String returns the version of this build.
func String() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
