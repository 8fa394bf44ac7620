package config

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/docketqa-gate/docketqa-gate/internal/safefile"
	"github.com/docketqa-gate/docketqa-gate/internal/text"
)

// System is what Load reads besides the command line, injected so tests
// stay hermetic: the environment, the --config file and the file system's
// view of report paths.
type System struct {
	// Getenv reads an environment variable; nil means an empty environment.
	Getenv func(string) string
	// ReadFile reads the --config file; nil means safefile.Read with
	// ConfigFileKind: no link followed, regular files only, bounded.
	ReadFile func(string) ([]byte, error)
	// Context ends the read of the --config file (a signal); nil means
	// context.Background.
	Context context.Context
	// Lstat describes a path without following a final symbolic link; nil
	// means os.Lstat.
	Lstat func(string) (fs.FileInfo, error)
}

// ConfigFileKind bounds the --config file: a few dozen settings, or a list
// of 10,000 blueprint ids, take far less.
var ConfigFileKind = safefile.Kind{Name: "config file", Setting: "--config / DOCKETQA_CONFIG", Max: 1 << 20}

// Load builds a Config from args (the command line without the program
// name) and the environment, read only through getenv (nil means an empty
// environment), with the real file system for --config and the report
// paths. It prints nothing. See LoadSystem.
func Load(args []string, getenv func(string) string) (Config, []string, error) {
	return LoadSystem(args, System{Getenv: getenv})
}

// LoadSystem builds a Config from args (the command line without the
// program name) and sys. It prints nothing.
//
// Precedence, per setting: flag, then GitHub Action input, then environment
// variable, then the --config file, then default; empty values count as
// unset. Durations are Go durations ("90s", "1h30m") or whole seconds
// ("90"), since CI users often type the latter.
//
// For -h/--help Load returns a Config with only ShowHelp set and a nil
// error; for --version, only ShowVersion. Nothing else is checked then.
//
// Otherwise Load checks everything and returns all problems at once in a
// *UsageError, or the Config plus warnings for things that are odd but
// harmless (such as a blueprint id listed twice). Along with a UsageError
// comes a Config holding only what reporting the error needs (see
// UsageError). Mode rules: --attach and --detach exclude each other;
// --attach takes its runs from the manifest, and when --blueprint-ids is
// also set the manifest must record exactly those blueprints;
// --dry-run triggers nothing, so it goes with neither --attach nor
// --detach; --demo's runs live only in this process, so it goes with
// neither either. Every file the gate reads or writes must be a different
// file, and none may be a symbolic link (see checkLinks).
func LoadSystem(args []string, sys System) (Config, []string, error) {
	l := newLoader(sys)
	l.secret = l.get(sAPIKey).raw
	l.token = l.get(sGitHubToken).raw
	// Checked before package flag sees the arguments, so that the reason is
	// explained and the value can never reach an error message.
	if name := keyFlag(args); name != "" {
		l.problemf("%s is not supported: keys on command lines leak into process lists and CI logs; "+
			"set DOCKETQA_API_KEY (or action input api-key) from your CI's secret store instead", name)
		return l.fail()
	}

	rest, err := l.parseFlags(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return Config{ShowHelp: true}, nil, nil
	case err != nil:
		// Every flag was still parsed, so the report paths the user gave
		// are known; nothing else is checked.
		return l.fail()
	}
	if l.boolean(sVersion) {
		return Config{ShowVersion: true}, nil, nil
	}
	l.missingValues()
	if len(rest) > 0 {
		l.unexpectedArgs(rest)
	}
	l.readFile()

	var c Config
	c.ConfigFile = l.configFile
	c.Demo = l.boolean(sDemo)
	if l.get(sDemoScenario).set() {
		c.Demo = true
	}
	c.DemoScenario = l.choice(sDemoScenario, "pass", "fail")
	c.DryRun = l.boolean(sDryRun)
	c.FailFast = l.boolean(sFailFast)
	c.FailOnNoVerdict = l.boolean(sFailOnNoVerdict)
	c.FailOnMissing = l.boolean(sFailOnMissing)
	c.Debug, c.DebugFromRunner = l.debug()
	c.Detach = l.get(sDetach).raw
	c.Attach = l.get(sAttach).raw
	c.BlueprintIDs = l.ids(sBlueprintIDs, "blueprint id")
	c.NonBlockingIDs = l.ids(sNonBlockingIDs, "non-blocking id")
	c.APIKey = l.apiKey()
	c.BaseURL = l.url(sBaseURL)
	c.DashboardURL = l.url(sDashboardURL)
	c.Timeout = l.duration(sTimeout)
	l.checkBareTimeout()
	c.PollInterval, c.MaxPollInterval = l.pollIntervals()
	c.ProgressInterval = l.progressInterval(c.PollInterval)
	c.RequestTimeout = l.duration(sRequestTimeout)
	c.NotFoundGrace = l.duration(sNotFoundGrace)
	c.MaxParallel = l.intIn(sMaxParallel, 1, 256)
	c.RerunFailed = l.intIn(sRerunFailed, 0, 10)
	c.RerunMaxFailures = l.intIn(sRerunMaxFailures, 1, 100000)
	c.JUnitPath = l.get(sJUnit).raw
	summary := l.get(sSummary)
	c.SummaryPath = summary.raw
	c.SummaryFromRunner = summary.fromRunner()
	c.DotenvPath = l.get(sDotenv).raw
	c.ResultsJSONPath = l.get(sResultsJSON).raw
	c.ArtifactsDir = l.get(sArtifactsDir).raw
	c.ArtifactsMode = l.choice(sArtifacts, "failed", "all")
	c.HistoryPath = l.get(sHistory).raw
	c.PRComment = l.choice(sPRComment, "off", "failures", "always")
	c.PRCommentTag = l.prCommentTag()
	c.GitHubToken = l.githubToken(c.PRComment != "off")
	l.checkModes(c)
	l.checkRequired(c)
	l.checkPaths()
	l.checkNonBlocking(c)
	c.Sources = l.sources()

	if len(l.problems) > 0 {
		return l.fail()
	}
	return c, l.warnings, nil
}

// fail returns the usage error with the part of the Config that reporting
// it needs: the key to mask, and the JUnit and summary paths when they are
// valid themselves, so that main can write a report that carries the error.
func (l *loader) fail() (Config, []string, error) {
	// The file may name the report paths; an early failure comes before
	// it is read.
	if !l.fileRead {
		l.readFile()
	}
	var c Config
	c.APIKey = Secret(l.get(sAPIKey).raw)
	c.GitHubToken = Secret(l.get(sGitHubToken).raw)
	if !l.bad[sJUnit] {
		c.JUnitPath = l.get(sJUnit).raw
	}
	if !l.bad[sSummary] {
		v := l.get(sSummary)
		c.SummaryPath, c.SummaryFromRunner = v.raw, v.fromRunner()
	}
	if b, err := strconv.ParseBool(l.get(sDebug).raw); err == nil {
		c.Debug, c.DebugFromRunner = l.debugMode(b)
	}
	// A path is only known valid once checked: an early failure (an
	// unknown flag) comes before the checks.
	if !l.pathsChecked {
		l.checkPaths()
		if l.bad[sJUnit] {
			c.JUnitPath = ""
		}
		if l.bad[sSummary] {
			c.SummaryPath, c.SummaryFromRunner = "", false
		}
	}
	return c, l.warnings, l.usageError()
}

// parseFlags parses args into l.flags and returns the arguments after the
// flags. An unknown flag is reported (with the closest known one) and
// dropped, with the value that probably follows it, and parsing goes on:
// every typo is reported at once, and the flags after a typo, such as the
// JUnit path a configuration error is reported in, still count. The error
// is flag.ErrHelp for -h/--help, errUnknownFlags after a typo, or nil.
func (l *loader) parseFlags(args []string) ([]string, error) {
	args = slices.Clone(args)
	unknown := false
	for range len(args) + 1 {
		fset := flag.NewFlagSet(program, flag.ContinueOnError)
		fset.SetOutput(io.Discard)
		fset.Usage = func() {}
		for _, s := range l.specs {
			if name := s.flagName(); name != "" {
				f := &rawFlag{isBool: s.arg == ""}
				l.flags[s.Name] = f
				fset.Var(f, name, s.Help)
			}
		}
		err := fset.Parse(args)
		if err == nil || errors.Is(err, flag.ErrHelp) {
			if err == nil && unknown {
				err = errUnknownFlags
			}
			return fset.Args(), err
		}
		l.flagError(err)
		name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
		if !ok {
			return nil, err
		}
		unknown = true
		i := slices.IndexFunc(args, func(a string) bool {
			n, _, _ := strings.Cut(a, "=")
			return n == name || n == "-"+name
		})
		if i < 0 {
			return nil, err
		}
		drop := 1
		if !strings.Contains(args[i], "=") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			drop = 2 // "--blueprint-id 181": 181 is its value, not an argument
		}
		args = slices.Delete(args, i, i+drop)
	}
	return nil, errUnknownFlags
}

// errUnknownFlags marks a command line with an unknown flag; the problems
// are already recorded.
var errUnknownFlags = errors.New("unknown flags")

// keyFlag returns the API key flag as typed (name only, never the value)
// when args contain one, else "".
func keyFlag(args []string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(a, "=")
		switch strings.ToLower(strings.TrimLeft(name, "-")) {
		case "api-key", "api_key", "apikey":
			return name
		}
	}
	return ""
}

// rawFlag records a flag's text as given, so flags, inputs and environment
// variables all go through the same parsing and error messages. Its Set
// never fails, which also keeps values out of package flag's errors.
type rawFlag struct {
	value  string
	isBool bool
}

func (f *rawFlag) String() string     { return f.value }
func (f *rawFlag) Set(s string) error { f.value = s; return nil }
func (f *rawFlag) IsBoolFlag() bool   { return f.isBool }

// loader resolves and parses settings, collecting problems and warnings
// instead of stopping at the first, so a user fixes everything in one go.
type loader struct {
	getenv   func(string) string
	readF    func(string) ([]byte, error)
	lstat    func(string) (fs.FileInfo, error)
	specs    []spec
	flags    map[string]*rawFlag
	file     map[string]fileValue // settings from the --config file
	bad      map[string]bool      // settings that already have a problem
	problems []string
	warnings []string
	secret   string // the API key as given, never echoed
	token    string // the GitHub token as given, never echoed either
	// configFile is the --config file as given, empty when none.
	configFile   string
	fileRead     bool // readFile ran
	pathsChecked bool // checkPaths ran
}

func newLoader(sys System) *loader {
	l := &loader{
		getenv: sys.Getenv,
		readF:  sys.ReadFile,
		lstat:  sys.Lstat,
		specs:  specs(),
		flags:  make(map[string]*rawFlag),
		bad:    make(map[string]bool),
	}
	if l.getenv == nil {
		l.getenv = func(string) string { return "" }
	}
	if l.readF == nil {
		ctx := sys.Context
		if ctx == nil {
			ctx = context.Background()
		}
		l.readF = func(path string) ([]byte, error) { return safefile.Read(ctx, path, ConfigFileKind) }
	}
	if l.lstat == nil {
		l.lstat = os.Lstat
	}
	return l
}

// value is a setting's resolved text and where it came from.
type value struct {
	spec
	raw  string
	kind Source
	// source names where raw came from ("--timeout", "action input timeout",
	// "DOCKETQA_TIMEOUT", "config file gate.yml", "GITHUB_STEP_SUMMARY");
	// empty when raw is the plain default.
	source string
}

// set reports whether the user gave the setting rather than its default.
func (v value) set() bool { return v.kind != SourceDefault }

// fromRunner reports whether the value is the runner's variable that
// stands in for the default, such as $GITHUB_STEP_SUMMARY.
func (v value) fromRunner() bool {
	return v.kind == SourceDefault && v.source != "" && v.source == v.runnerDefault
}

// label names the setting by its flag and main environment variable, the
// two names a user will search their configuration for.
func (v value) label() string {
	names := make([]string, 0, 2)
	if v.Flag != "" {
		names = append(names, v.Flag)
	}
	if len(v.Env) > 0 {
		names = append(names, v.Env[0])
	}
	return strings.Join(names, " / ")
}

// from adds the source to a message when the label does not already show it.
func (v value) from() string {
	if v.source == "" || v.source == v.Flag || (len(v.Env) > 0 && v.source == v.Env[0]) {
		return ""
	}
	return " (from " + v.source + ")"
}

func (l *loader) spec(name string) spec {
	for _, s := range l.specs {
		if s.Name == name {
			return s
		}
	}
	panic("config: unknown setting " + name) // a typo in this package, caught by any test
}

// get resolves a setting by precedence: flag, action input, environment,
// configuration file, the runner's stand-in variable, default.
func (l *loader) get(name string) value {
	s := l.spec(name)
	if f := l.flags[name]; f != nil {
		if v := strings.TrimSpace(f.value); v != "" {
			return value{s, v, SourceFlag, s.Flag}
		}
	}
	if s.Input != "" {
		// The runner keeps the hyphen (INPUT_BLUEPRINT-IDS); a shell cannot
		// set such a name, so the underscore form is accepted too.
		hyphen := "INPUT_" + strings.ToUpper(strings.ReplaceAll(s.Input, " ", "_"))
		for _, env := range []string{hyphen, strings.ReplaceAll(hyphen, "-", "_")} {
			if v := strings.TrimSpace(l.getenv(env)); v != "" {
				return value{s, v, SourceInput, "action input " + s.Input}
			}
		}
	}
	for _, env := range s.Env {
		if v := strings.TrimSpace(l.getenv(env)); v != "" {
			return value{s, v, SourceEnv, env}
		}
	}
	if fv, ok := l.file[name]; ok {
		return value{s, fv.raw, SourceFile, fmt.Sprintf("config file %s line %d", l.configFile, fv.line)}
	}
	if s.runnerDefault != "" {
		if v := strings.TrimSpace(l.getenv(s.runnerDefault)); v != "" {
			return value{s, v, SourceDefault, s.runnerDefault}
		}
	}
	return value{spec: s, raw: s.Default, kind: SourceDefault}
}

func (l *loader) problemf(format string, args ...any) {
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

// invalid reports a bad value, showing it.
func (l *loader) invalid(v value, fix string) {
	l.bad[v.Name] = true
	l.problemf("invalid %s %s%s: %s", v.label(), l.quote(v.raw), v.from(), fix)
}

// invalidHidden reports a bad value without showing it, for values that may
// hold credentials.
func (l *loader) invalidHidden(v value, fix string) {
	l.bad[v.Name] = true
	l.problemf("invalid %s%s: %s", v.label(), v.from(), fix)
}

func (l *loader) usageError() error {
	return &UsageError{Problems: l.problems}
}

// quote returns s quoted for a message, or "[redacted]" when s holds the
// API key in any letter case: messages echo bad values, and a key pasted into the wrong
// setting or onto the command line must still not be printed.
func (l *loader) quote(s string) string {
	if l.secrets().Contains(s) {
		return redacted
	}
	return strconv.Quote(s)
}

// secrets is the redactor of the API key and the GitHub token: it matches
// them in any letter case, the Kelvin sign for a "k" included.
func (l *loader) secrets() text.Redactor { return text.NewRedactor(l.secret, l.token) }

func (l *loader) unexpectedArgs(args []string) {
	quoted := make([]string, len(args))
	hint := ""
	for i, a := range args {
		quoted[i] = l.quote(a)
		if _, err := strconv.ParseBool(a); err == nil {
			hint = " (a switch is turned off with --dry-run=false, not --dry-run false)"
		}
	}
	l.problemf("unexpected argument %s: every setting is a flag such as --blueprint-ids 181 or an environment variable%s",
		strings.Join(quoted, " "), hint)
}

func (l *loader) boolean(name string) bool {
	v := l.get(name)
	b, err := strconv.ParseBool(v.raw)
	if err != nil {
		l.invalid(v, "use true or false")
	}
	return b
}

func (l *loader) choice(name string, choices ...string) string {
	if l.bad[name] {
		return ""
	}
	v := l.get(name)
	c := strings.ToLower(v.raw)
	if !slices.Contains(choices, c) {
		l.invalid(v, "use "+strings.Join(choices, " or "))
		return ""
	}
	return c
}

func (l *loader) intIn(name string, lo, hi int) int {
	if l.bad[name] {
		return 0
	}
	v := l.get(name)
	n, err := strconv.Atoi(v.raw)
	if err != nil || n < lo || n > hi {
		l.invalid(v, fmt.Sprintf("use a whole number from %d to %d", lo, hi))
		return 0
	}
	return n
}

func (l *loader) duration(name string) time.Duration {
	if l.bad[name] {
		return 0
	}
	v := l.get(name)
	d, fix := parseDuration(v.raw)
	if fix != "" {
		l.invalid(v, fix)
	}
	return d
}

// parseDuration parses a positive Go duration or whole seconds. It returns
// how to fix the value when it is bad.
func parseDuration(s string) (time.Duration, string) {
	const usage = "use a Go duration such as 30m or 1h30m, or whole seconds such as 90"
	if s != "" && strings.Trim(s, "0123456789") == "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > math.MaxInt64/int64(time.Second) {
			return 0, "that is too long; " + usage
		}
		s += "s"
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, usage
	case d <= 0:
		return 0, "it must be longer than zero; " + usage
	}
	return d, ""
}

// pollIntervals returns the first and the longest poll delay. When only one
// of them is given and it conflicts with the other's default, the default
// gives way, so "--poll-interval 1m" alone just works.
func (l *loader) pollIntervals() (first, longest time.Duration) {
	first = l.duration(sPollInterval)
	longest = l.duration(sMaxPollInterval)
	if l.bad[sPollInterval] || l.bad[sMaxPollInterval] || first <= longest {
		return first, longest
	}
	fv, lv := l.get(sPollInterval), l.get(sMaxPollInterval)
	switch {
	case fv.set() && lv.set():
		l.problemf("%s %s is longer than %s %s: lower the first delay or raise the longest one",
			fv.label(), l.quote(fv.raw), lv.label(), l.quote(lv.raw))
	case fv.set():
		longest = first
	default:
		first = longest
	}
	return first, longest
}

func (l *loader) ids(name, what string) []int64 {
	if l.bad[name] {
		return nil
	}
	v := l.get(name)
	ids, dups, err := ParseIDs(v.raw)
	if err != nil {
		const fix = "list ids separated by commas, spaces or newlines, such as 181,182"
		if l.quote(v.raw) == redacted {
			l.invalidHidden(v, "it holds the API key; "+fix)
		} else {
			l.bad[name] = true
			l.problemf("invalid %s%s: %v; %s", v.label(), v.from(), err, fix)
		}
		return nil
	}
	counts := make(map[int64]int)
	for _, id := range dups {
		counts[id]++
	}
	for _, id := range ids {
		switch n := counts[id] + 1; n {
		case 1:
		case 2:
			l.warnings = append(l.warnings, fmt.Sprintf("%s %d listed twice; running it once", what, id))
		default:
			l.warnings = append(l.warnings, fmt.Sprintf("%s %d listed %d times; running it once", what, id, n))
		}
	}
	return ids
}

func (l *loader) apiKey() Secret {
	v := l.get(sAPIKey)
	bad := func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError }
	if strings.IndexFunc(v.raw, bad) >= 0 {
		l.invalidHidden(v, "the key contains spaces, line breaks or other invisible characters; copy it again as a single line")
		return ""
	}
	if n := utf8.RuneCountInString(v.raw); n > 0 && n < MinKeyLength {
		// A key this short is a placeholder or a truncated paste; and the
		// log masks every occurrence of the key, so a one-letter key would
		// turn "docketqa-gate" into "doc[redacted]etqa-gate" everywhere.
		l.invalidHidden(v, fmt.Sprintf("the key is %d characters long, too short to be a DocketQA key (or to mask in the log without hiding parts of ordinary words); copy the whole key, at least %d characters", n, MinKeyLength))
		return ""
	}
	return Secret(v.raw)
}

// MinKeyLength is the shortest API key the gate accepts.
const MinKeyLength = 8

// githubToken checks the token that writes the pull-request comment the
// way apiKey checks the key: a pasted line break would break the header.
// Only a token that will be used is checked: a GITHUB_TOKEN the
// environment holds for other tools must not stop a gate that comments
// nowhere (it is still masked).
func (l *loader) githubToken(used bool) Secret {
	v := l.get(sGitHubToken)
	bad := func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError || r > unicode.MaxASCII
	}
	if used && strings.IndexFunc(v.raw, bad) >= 0 {
		l.invalidHidden(v, "the token contains spaces, line breaks or other characters no GitHub token has; copy it again as a single line")
		return ""
	}
	return Secret(v.raw)
}

// prCommentTag checks --pr-comment-tag, which goes into the comment's
// hidden marker: it must not be able to end the HTML comment or the line.
func (l *loader) prCommentTag() string {
	v := l.get(sPRCommentTag)
	ok := func(r rune) bool {
		return r == ' ' || r == '.' || r == '_' || r == '-' || r == ':' || r == '/' || r == '=' || r == '+' ||
			'0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	if len(v.raw) > 100 || strings.IndexFunc(v.raw, func(r rune) bool { return !ok(r) }) >= 0 {
		l.invalid(v, "use up to 100 letters, digits, spaces and ._-:/=+, such as the matrix leg's name")
		return ""
	}
	return v.raw
}

// url checks an API or dashboard root. The key travels to BaseURL, so it
// must be https, except on loopback where local fakes and tunnels run.
// Both roots end up in links the gate prints and hands to later steps as
// outputs, and net/url keeps characters such as $ ( ) ' ` that a shell
// acts on: so the host may hold only letters, digits, dots and hyphens,
// and the path only letters, digits and -._~/ (no escapes).
//
// From the config file, which a pull request can change, either root must
// be https on docketqa.com or a host under it: loopback too is refused
// there, because earlier steps of the same job run the pull request's own
// code and self-hosted agents are shared, so any local listener would get
// the key (base-url) or become the link every reviewer clicks
// (dashboard-url). The simulator and tests set loopback with a flag, an
// input or a variable.
func (l *loader) url(name string) string {
	if l.bad[name] {
		return ""
	}
	v := l.get(name)
	fail := func(fix string) string {
		// A URL with an "@" may hold credentials: do not echo it.
		if strings.Contains(v.raw, "@") {
			l.invalidHidden(v, fix)
		} else {
			l.invalid(v, fix)
		}
		return ""
	}
	example := "use an absolute URL such as " + v.Default
	u, err := url.Parse(v.raw)
	switch {
	case err != nil || u.Opaque != "":
		return fail(example)
	case u.User != nil:
		return fail("remove the user:password@ part, credentials in URLs end up in logs; the key goes in DOCKETQA_API_KEY")
	case u.Scheme != "https" && u.Scheme != "http":
		return fail(example)
	case u.Hostname() == "":
		return fail(example)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fail("use https; plain http is allowed only for localhost, 127.0.0.1 or ::1")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return fail("remove the ?query and #fragment; a path prefix such as /api is fine")
	case !onlyRunes(u.Hostname(), "-.:") || u.RawPath != "" || !onlyRunes(u.Path, "-._~/"):
		return fail("the host may hold only letters, digits, dots and hyphens, and the path only letters, digits and " +
			"the characters - . _ ~ / (no %-escapes); the URL becomes a link later steps may paste into a script")
	case v.kind == SourceFile && !docketqaHost(u):
		// The key goes to base-url, and dashboard-url is the link in
		// every output: a file a pull request can change must not
		// point either elsewhere, loopback included.
		why := "because the API key is sent there"
		if name == sDashboardURL {
			why = "because it becomes the link in every output and report"
		}
		return fail("a config file may name only an https host that is docketqa.com or under it, " + why +
			"; set any other host, loopback included, with " + v.where())
	}
	return strings.TrimRight(u.String(), "/")
}

// docketqaHost reports whether a config file may name u as the API or
// dashboard root: https on docketqa.com or a host under it.
func docketqaHost(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	return u.Scheme == "https" && (host == "docketqa.com" || strings.HasSuffix(host, ".docketqa.com"))
}

// onlyRunes reports whether s holds only ASCII letters, digits and the
// runes of extra.
func onlyRunes(s, extra string) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune(extra, r)) {
			return false
		}
	}
	return true
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkModes enforces the rules between --attach, --detach, --dry-run and
// --demo described on Load.
func (l *loader) checkModes(c Config) {
	conflict := func(a, b, why string) {
		av, bv := l.get(a), l.get(b)
		l.problemf("%s%s cannot be combined with %s%s: %s", av.label(), av.from(), bv.label(), bv.from(), why)
	}
	if c.Attach != "" && c.Detach != "" {
		conflict(sAttach, sDetach, "use --detach in the step that triggers and --attach in the step that waits")
	}
	// --attach with --blueprint-ids is allowed: the manifest must then
	// record exactly those blueprints (checked once it is read). The ids
	// count wherever they come from, the config file included: the file
	// already decides what a normal run triggers, so letting it name the
	// set a manifest must match gives it no power it does not have; and a
	// file that drops a blueprint from the set cannot keep a valid manifest
	// of all of them from being refused, which fails closed.
	if c.DryRun && c.Detach != "" {
		conflict(sDryRun, sDetach, "a dry run triggers nothing, so there is nothing to record")
	}
	if c.DryRun && c.Attach != "" {
		conflict(sDryRun, sAttach, "attaching triggers nothing, so there is nothing to preview")
	}
	if c.Demo && c.Detach != "" {
		conflict(sDemo, sDetach, "demo runs exist only inside this process and cannot be attached to later")
	}
	if c.Demo && c.Attach != "" {
		conflict(sDemo, sAttach, "demo runs exist only inside this process and cannot be attached to later")
	}
	if c.Demo && l.get(sBaseURL).set() {
		// The demo serves its own API; the URL would be ignored, and a
		// gate meant to judge that API would go green on simulated runs.
		conflict(sDemo, sBaseURL, "the demo runs against its own built-in API and would ignore the base URL; "+
			"remove --demo to test against that API, or unset the base URL to see the demo")
	}
}

// checkRequired reports missing ids and key, unless the setting already
// had a problem of its own.
func (l *loader) checkRequired(c Config) {
	if !c.Demo && c.Attach == "" && len(c.BlueprintIDs) == 0 && !l.bad[sBlueprintIDs] {
		if v := l.get(sBlueprintIDs); v.set() {
			l.problemf("%s%s lists no ids: give at least one, such as 181,182", v.label(), v.from())
		} else {
			l.problemf("no blueprints to run: set --blueprint-ids or DOCKETQA_BLUEPRINT_IDS " +
				"(action input blueprint-ids), such as --blueprint-ids 181,182; or try --demo")
		}
	}
	if !c.Demo && c.APIKey == "" && !l.bad[sAPIKey] {
		l.problemf("no API key: set DOCKETQA_API_KEY (or action input api-key) from your CI's secret store; or try --demo")
	}
}

// checkFiles refuses one file used for two purposes, which would silently
// overwrite a report or the manifest. Both settings count as bad, so that
// no report of a configuration error lands on either.
func (l *loader) checkFiles() {
	seen := make(map[string]value)
	for _, name := range append(slices.Clone(readOnlySettings), pathSettings...) {
		v := l.get(name)
		if v.raw == "" {
			continue
		}
		key := filepath.Clean(v.raw)
		if prev, ok := seen[key]; ok {
			l.bad[prev.Name], l.bad[v.Name] = true, true
			l.problemf("%s%s and %s%s both name %s: give each its own file",
				prev.label(), prev.from(), v.label(), v.from(), l.quote(v.raw))
			continue
		}
		seen[key] = v
	}
	// The artifacts directory must not be one of those files, and none of
	// them may be the index.json the gate writes into it.
	if d := l.get(sArtifactsDir); d.raw != "" {
		dir := filepath.Clean(d.raw)
		for _, name := range pathSettings {
			if name == sArtifactsDir {
				continue
			}
			v := l.get(name)
			if key := filepath.Clean(v.raw); v.raw != "" && (key == dir || key == filepath.Join(dir, "index.json")) {
				l.problemf("%s%s and %s%s both name %s: keep report files apart from the artifacts directory and its index.json",
					d.label(), d.from(), v.label(), v.from(), l.quote(v.raw))
			}
		}
	}
}

// checkNonBlocking warns about non-blocking ids that are not being run,
// usually a typo. With --attach or --demo the ids are not known yet.
func (l *loader) checkNonBlocking(c Config) {
	if len(c.BlueprintIDs) == 0 {
		return
	}
	for _, id := range c.NonBlockingIDs {
		if !slices.Contains(c.BlueprintIDs, id) {
			l.warnings = append(l.warnings, fmt.Sprintf(
				"non-blocking id %d is not among the blueprint ids; it has no effect", id))
		}
	}
}
