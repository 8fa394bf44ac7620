package safefile

// The blank import registers the shared -update flag, so that the
// documented `go test ./... -update` also runs in a package without golden
// files instead of failing with "flag provided but not defined".
import _ "github.com/docketqa-gate/docketqa-gate/internal/testutil"
