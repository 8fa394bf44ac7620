// Package config turns the command line and the environment into a validated
// Config. It is the only package that knows flag, environment variable and
// GitHub Action input names, so renaming a setting touches nothing else.
//
// Every setting is read, highest precedence first, from its flag, its GitHub
// Action input (INPUT_<NAME>, hyphen kept or turned into an underscore), its
// environment variables, the --config file and finally its default. An
// empty value counts as unset at every level: the Actions runner passes
// declared-but-unused inputs as empty variables, and they must not hide a
// DOCKETQA_* variable.
//
// The package prints nothing: LoadSystem gets the arguments, the
// environment and the file system as functions, and reports every problem
// in one *UsageError; Load is LoadSystem with the real file system.
package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/docketqa-gate/docketqa-gate/internal/text"
)

// program is the binary's name as users type it.
const program = "docketqa-gate"

// redacted replaces a secret wherever it would be printed.
const redacted = text.Redacted

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
	// ArtifactsDir is where screenshots and videos are saved; empty means
	// nothing is downloaded.
	ArtifactsDir string
	// ArtifactsMode is "failed" or "all": whose evidence is saved.
	ArtifactsMode string
	// HistoryPath is the file of recent run durations that forecasts
	// polling; empty means none.
	HistoryPath string
	// PRComment is "off", "failures" or "always": when the gate keeps a
	// comment with its results on the GitHub pull request it runs for.
	PRComment string
	// PRCommentTag tells apart the comments of gates that share a workflow
	// and job name; empty when none was given.
	PRCommentTag string
	// GitHubToken writes the pull-request comment; empty when none was
	// given, which only matters when PRComment is not "off".
	GitHubToken Secret
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
	// RerunMaxFailures caps reruns: when more than this many runs failed,
	// the gate skips the reruns and says so, because so many failures are
	// rarely flakiness and every rerun is a paid run. At least 1.
	RerunMaxFailures int
	// FailOnNoVerdict, when false, lets a triggered run that got no verdict
	// because of API trouble or the deadline pass the gate with a warning.
	// It never covers a refused key, a failed or uncertain trigger, an
	// interruption or a configuration error. Default true.
	FailOnNoVerdict bool
	// FailOnMissing, when false, lets a listed blueprint that DocketQA
	// started no run for pass the gate with a warning. Default true.
	FailOnMissing bool
	// SummaryFromRunner is true when SummaryPath is the runner's
	// $GITHUB_STEP_SUMMARY rather than a path the user gave. That file
	// belongs to the runner, so it is exempt from the symlink refusal.
	SummaryFromRunner bool
	// ConfigFile is the --config file the settings were read from; empty
	// when there was none.
	ConfigFile string
	// Debug turns on debug logging: requests, retries, poll delays and the
	// resolved settings (Sources).
	Debug bool
	// DebugFromRunner is true when Debug was switched on only by GitHub's
	// RUNNER_DEBUG=1 (a re-run with debug logging). Debug lines are then
	// printed as ::debug:: commands, which GitHub shows only with step
	// debug logging on; when the user asked for debug explicitly they are
	// plain lines prefixed "debug:", which every CI shows.
	DebugFromRunner bool
	// Sources lists every setting's resolved value and where it came from,
	// in --help order, for the debug log. The key's value is never in it.
	Sources []Resolved
	// ShowHelp and ShowVersion report -h/--help and --version. When either is
	// true, Load returned early: no other field is set and nothing was
	// validated, so help works even with a broken environment.
	ShowHelp, ShowVersion bool
}

// FilePolicies returns the policies (non-blocking-ids, fail-on-no-verdict,
// fail-on-missing, rerun-failed) that the --config file set, as
// "name=value" in --help order; nil when it set none. The file may hold
// them, but a reader of the summary must see that a file, which a pull
// request can change, decided them. The timeout is listed too when the
// file set both it and fail-on-no-verdict: together they decide how long
// a run may go without a verdict before it no longer counts.
func (c Config) FilePolicies() []string {
	fromFile := func(name string) bool {
		return slices.ContainsFunc(c.Sources, func(s Resolved) bool { return s.Name == name && s.Source == SourceFile })
	}
	withTimeout := fromFile(sFailOnNoVerdict)
	var out []string
	for _, s := range c.Sources {
		if s.Source == SourceFile && (slices.Contains(policies, s.Name) || withTimeout && s.Name == sTimeout) {
			out = append(out, s.Name+"="+s.Value)
		}
	}
	return out
}

// Source says where a setting's value came from.
type Source string

// The places a setting's value can come from, highest precedence first.
const (
	SourceFlag    Source = "flag"
	SourceInput   Source = "input"
	SourceEnv     Source = "env"
	SourceFile    Source = "file"
	SourceDefault Source = "default"
)

// Resolved is one setting as Load resolved it, for the debug log.
type Resolved struct {
	// Name is the setting's name, as in Setting.Name.
	Name string
	// Value is the text as given (or the default), before parsing. It is
	// "[redacted]" for the key, or for any value that contains the key, and
	// empty when the setting is unset. It is the user's own text, so a
	// printer still forces it onto one line.
	Value string
	// Source is where Value came from.
	Source Source
	// From names the exact origin: "--timeout", "INPUT_TIMEOUT",
	// "DOCKETQA_TIMEOUT", "config file gate.yml", "GITHUB_STEP_SUMMARY",
	// "RUNNER_DEBUG"; empty for a plain default.
	From string
}

// MaskValues returns what must be masked in a CI log so that the secret
// never shows: the whole value, and when it spans several lines or holds
// spaces (a badly pasted key), each part as well, because a runner masks
// line by line and a mask command cannot hold a line break. Empty for an
// empty secret.
func (s Secret) MaskValues() []string {
	v := strings.TrimSpace(string(s))
	if v == "" {
		return nil
	}
	return strings.FieldsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}

// UsageError reports a bad command line or configuration. Load returns one
// for every problem it finds, and main maps it to exit code 2 (nothing was
// triggered). The text never contains the API key.
//
// Along with a UsageError, Load returns a Config that holds only what is
// needed to report the error where the user looks: APIKey when one was
// found (possibly malformed; mask its MaskValues before printing), JUnitPath
// and SummaryPath (with SummaryFromRunner) when those paths are valid
// themselves, and Debug with DebugFromRunner. Every other field is zero.
type UsageError struct {
	// Problems holds one message per problem, each naming the setting by its
	// flag and environment variable and saying how to fix it.
	Problems []string
}

// Error lists the problems, one per line.
func (e *UsageError) Error() string { return strings.Join(e.Problems, "\n") }

// OneLine lists the problems on one line, separated by "; ", for places
// that take a single line: a workflow command such as ::error, or a JUnit
// message attribute.
func (e *UsageError) OneLine() string { return strings.Join(e.Problems, "; ") }
