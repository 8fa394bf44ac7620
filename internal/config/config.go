// Package config turns the command line and the environment into a validated
// Config. It is the only package that knows flag, environment variable and
// GitHub Action input names, so renaming a setting touches nothing else.
//
// Every setting is read, highest precedence first, from its flag, its GitHub
// Action input (INPUT_<NAME>, hyphen kept or turned into an underscore), its
// environment variables and finally its default. An empty value counts as
// unset at every level: the Actions runner passes declared-but-unused inputs
// as empty variables, and they must not hide a DOCKETQA_* variable.
//
// The package reads nothing itself: Load gets the arguments and a getenv
// function, prints nothing, and reports every problem in one *UsageError.
package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// program is the binary's name as users type it.
const program = "docketqa-gate"

// redacted replaces a secret wherever it would be printed.
const redacted = "[redacted]"

// Secret holds a credential. Every way of printing or encoding it yields
// "[redacted]", so a Config can be logged or dumped without leaking the
// key; call Reveal at the single place that needs the real value.
type Secret string

// Reveal returns the secret's real value.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]", covering %#v.
func (Secret) GoString() string { return redacted }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %x, ...) print the
// redacted text, since String alone does not cover %x or %d.
func (Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = fmt.Fprint(f, strconv.Quote(redacted))
		return
	}
	_, _ = fmt.Fprint(f, redacted)
}

// MarshalText returns "[redacted]", covering encoders such as encoding/xml
// and log/slog's text handler.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalJSON returns the JSON string "[redacted]".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(redacted)), nil }

// Config is the gate's validated configuration. Load fills every field,
// defaults included, so callers never apply defaults of their own.
type Config struct {
	// BlueprintIDs lists the blueprints to run, unique, in the order given.
	// Empty only with Demo (the demo picks its own) or Attach (the manifest
	// holds them).
	BlueprintIDs []int64
	// APIKey is the DocketQA API key; empty only with Demo.
	APIKey Secret
	// BaseURL is the API root, without a trailing slash.
	BaseURL string
	// DashboardURL is the web app root used for links, without a trailing slash.
	DashboardURL string
	// Timeout is the deadline for the whole gate.
	Timeout time.Duration
	// PollInterval is the delay before the first status check of a run.
	PollInterval time.Duration
	// MaxPollInterval caps the backed-off delay between status checks.
	MaxPollInterval time.Duration
	// MaxParallel bounds the API requests in flight at once.
	MaxParallel int
	// ProgressInterval is the period of the "still waiting" log line.
	ProgressInterval time.Duration
	// RequestTimeout bounds each API request.
	RequestTimeout time.Duration
	// NotFoundGrace is how long a 404 for a just-triggered run is retried.
	NotFoundGrace time.Duration
	// JUnitPath is the JUnit XML file; never empty, the report is always written.
	JUnitPath string
	// SummaryPath is the Markdown summary file; empty means no summary.
	SummaryPath string
	// DotenvPath is the GitLab dotenv outputs file; empty means none.
	DotenvPath string
	// ResultsJSONPath is the JSON results file; empty means none.
	ResultsJSONPath string
	// HistoryPath is the file of recent run durations that forecasts
	// polling; empty means none.
	HistoryPath string
	// Demo runs against a built-in fake API instead of DocketQA.
	Demo bool
	// DemoScenario is "pass" or "fail"; it only matters with Demo.
	DemoScenario string
	// DryRun checks the settings and shows what would run, triggering nothing.
	DryRun bool
	// Detach is the manifest file to write after triggering; empty means wait
	// for the runs as usual.
	Detach string
	// Attach is the manifest file to read instead of triggering; empty means
	// trigger as usual.
	Attach string
	// FailFast stops waiting as soon as one run fails.
	FailFast bool
	// NonBlockingIDs lists blueprints whose failures are reported but do not
	// fail the gate.
	NonBlockingIDs []int64
	// RerunFailed is how many times a failed run is re-triggered (0-10).
	RerunFailed int
	// ShowHelp and ShowVersion report -h/--help and --version. When either is
	// true, Load returned early: no other field is set and nothing was
	// validated, so help works even with a broken environment.
	ShowHelp, ShowVersion bool
}

// UsageError reports a bad command line or configuration. Load returns one
// for every problem it finds, and main maps it to exit code 2 (nothing was
// triggered). The text never contains the API key.
type UsageError struct {
	// Problems holds one message per problem, each naming the setting by its
	// flag and environment variable and saying how to fix it.
	Problems []string
}

// Error lists the problems, one per line.
func (e *UsageError) Error() string { return strings.Join(e.Problems, "\n") }
