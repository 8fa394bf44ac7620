package config

import "strings"

// Setting describes one setting and every name it can be given by. The
// table drives --help and lets tests compare action.yml with the code.
type Setting struct {
	// Name is the setting's stable identifier, e.g. "blueprint-ids".
	Name string
	// Flag is the command-line flag as shown in --help ("--timeout",
	// "-h, --help"), empty when the setting has no flag. Go's flag package
	// accepts one dash as well as two.
	Flag string
	// Env lists the environment variables read, most preferred first.
	Env []string
	// Input is the GitHub Action input name, empty when there is none. It is
	// read from INPUT_<NAME> upper-cased, with the hyphen kept (as the runner
	// sets it) or turned into an underscore.
	Input string
	// Default is the value used when the setting is not given; empty when
	// there is none.
	Default string
	// Help is the one-line description shown by --help.
	Help string
	// Secret marks a value that must never be printed.
	Secret bool
}

// The names Load looks settings up by.
const (
	sBlueprintIDs     = "blueprint-ids"
	sAPIKey           = "api-key"
	sBaseURL          = "base-url"
	sDashboardURL     = "dashboard-url"
	sTimeout          = "timeout"
	sPollInterval     = "poll-interval"
	sMaxPollInterval  = "max-poll-interval"
	sMaxParallel      = "max-parallel"
	sProgressInterval = "progress-interval"
	sRequestTimeout   = "request-timeout"
	sNotFoundGrace    = "not-found-grace"
	sJUnit            = "junit"
	sSummary          = "summary"
	sDotenv           = "dotenv"
	sResultsJSON      = "results-json"
	sArtifactsDir     = "artifacts-dir"
	sArtifacts        = "artifacts"
	sHistory          = "history"
	sPRComment        = "pr-comment"
	sPRCommentTag     = "pr-comment-tag"
	sGitHubToken      = "github-token"
	sDemo             = "demo"
	sDemoScenario     = "demo-scenario"
	sDryRun           = "dry-run"
	sDetach           = "detach"
	sAttach           = "attach"
	sFailFast         = "fail-fast"
	sNonBlockingIDs   = "non-blocking-ids"
	sRerunFailed      = "rerun-failed"
	sRerunMaxFailures = "rerun-max-failures"
	sFailOnNoVerdict  = "fail-on-no-verdict"
	sFailOnMissing    = "fail-on-missing"
	sDebug            = "debug"
	sConfig           = "config"
	sVersion          = "version"
	sHelp             = "help"
)

// spec is a Setting plus what only this package needs: the placeholder for
// the flag's value in --help, empty for switches (bool flags).
type spec struct {
	Setting
	arg string
	// runnerDefault is an environment variable that the CI runner sets,
	// read after the configuration file and before the default: it stands
	// in for the default, so a file's value must beat it.
	runnerDefault string
}

// inFile reports whether the setting may be given in a --config file. The
// key and the GitHub token are refused, since a file is committed and a
// secret in it leaks; so are --config itself, the one-shot --help and
// --version, and the settings that let the gate exit without a verdict
// (see withoutVerdict).
func (s spec) inFile() bool {
	switch s.Name {
	case sAPIKey, sGitHubToken, sConfig, sHelp, sVersion:
		return false
	}
	return !s.withoutVerdict() && !s.choosesRuns()
}

// choosesRuns reports whether the setting decides which runs are judged
// without triggering them: --attach judges whatever its manifest records.
// Like the settings that skip judging, it must come from a flag, an
// action input or an environment variable, not from a file the pull
// request under test can change.
func (s spec) choosesRuns() bool { return s.Name == sAttach }

// withoutVerdict reports whether the setting lets the gate exit 0 without
// judging a single run: a demo, a dry run, a detached trigger. Such a
// setting is refused in the config file, which is committed and often
// changed by the very pull request the gate judges; it must come from a
// flag, an action input or an environment variable, which the pipeline
// owner controls.
func (s spec) withoutVerdict() bool {
	switch s.Name {
	case sDemo, sDemoScenario, sDryRun, sDetach:
		return true
	}
	return false
}

// where lists every place the setting may be given besides the file, for
// messages: "--dry-run, action input dry-run or DOCKETQA_DRY_RUN".
func (s spec) where() string {
	var places []string
	if s.Flag != "" {
		places = append(places, s.Flag)
	}
	if s.Input != "" {
		places = append(places, "action input "+s.Input)
	}
	places = append(places, s.Env...)
	switch len(places) {
	case 0:
		return ""
	case 1:
		return places[0]
	}
	return strings.Join(places[:len(places)-1], ", ") + " or " + places[len(places)-1]
}

// policies are the settings that decide which runs may fail or go without
// a verdict while the gate passes. The file may hold them, and the summary
// then names the file they came from (see Config.FilePolicies).
var policies = []string{sNonBlockingIDs, sFailOnNoVerdict, sFailOnMissing, sRerunFailed}

// flagName is the name registered with package flag, or "" when the
// setting has no flag of its own (the API key, and help, which package flag
// handles itself).
func (s spec) flagName() string {
	if s.Name == sHelp {
		return ""
	}
	return strings.TrimPrefix(s.Flag, "--")
}

// specs returns the settings table, freshly built so no caller can change
// another's copy.
func specs() []spec {
	return []spec{
		{Setting{Name: sBlueprintIDs, Flag: "--blueprint-ids", Env: []string{"DOCKETQA_BLUEPRINT_IDS"}, Input: "blueprint-ids",
			Help: "Blueprints to run: positive ids separated by commas, spaces or newlines. Required unless --demo or --attach."}, "IDS", ""},
		{Setting{Name: sAPIKey, Env: []string{"DOCKETQA_API_KEY", "DOCKET_API_KEY"}, Input: "api-key", Secret: true,
			Help: "DocketQA API key. Required unless --demo. There is no flag on purpose: command lines leak into process lists and logs."}, "", ""},
		{Setting{Name: sBaseURL, Flag: "--base-url", Env: []string{"DOCKETQA_BASE_URL"}, Input: "base-url", Default: "https://api.docketqa.com",
			Help: "DocketQA API root. Must be https; http only for localhost, 127.0.0.1 or ::1."}, "URL", ""},
		{Setting{Name: sDashboardURL, Flag: "--dashboard-url", Env: []string{"DOCKETQA_DASHBOARD_URL"}, Default: "https://app.docketqa.com",
			Help: "DocketQA web app root, used for links in the reports. Must be https; http only for localhost, 127.0.0.1 or ::1."}, "URL", ""},
		{Setting{Name: sTimeout, Flag: "--timeout", Env: []string{"DOCKETQA_TIMEOUT"}, Input: "timeout", Default: "30m",
			Help: "Deadline for the whole gate; runs without a verdict by then count as errors."}, "DURATION", ""},
		{Setting{Name: sPollInterval, Flag: "--poll-interval", Env: []string{"DOCKETQA_POLL_INTERVAL"}, Input: "poll-interval", Default: "2s",
			Help: "Shortest wait between two status checks of a run, and the first check; the gate waits longer while a run is far from its predicted end."}, "DURATION", ""},
		{Setting{Name: sMaxPollInterval, Flag: "--max-poll-interval", Env: []string{"DOCKETQA_MAX_POLL_INTERVAL"}, Input: "max-poll-interval", Default: "30s",
			Help: "Longest delay between two status checks of a run."}, "DURATION", ""},
		{Setting{Name: sMaxParallel, Flag: "--max-parallel", Env: []string{"DOCKETQA_MAX_PARALLEL"}, Input: "max-parallel", Default: "8",
			Help: "Most API requests in flight at once, from 1 to 256."}, "N", ""},
		{Setting{Name: sProgressInterval, Flag: "--progress-interval", Env: []string{"DOCKETQA_PROGRESS_INTERVAL"}, Default: "30s",
			Help: `How often to log a "still waiting" line.`}, "DURATION", ""},
		{Setting{Name: sRequestTimeout, Flag: "--request-timeout", Env: []string{"DOCKETQA_REQUEST_TIMEOUT"}, Default: "30s",
			Help: "Longest wait for one API answer; a poll that takes longer is retried, a trigger that takes longer stops the gate (it may have started runs)."}, "DURATION", ""},
		{Setting{Name: sNotFoundGrace, Flag: "--not-found-grace", Env: []string{"DOCKETQA_NOT_FOUND_GRACE"}, Default: "30s",
			Help: "How long a 404 for a just-triggered run is retried before the run counts as an error; results can lag the trigger."}, "DURATION", ""},
		{Setting{Name: sJUnit, Flag: "--junit", Env: []string{"DOCKETQA_JUNIT"}, Input: "junit-path", Default: "docketqa-junit.xml",
			Help: "JUnit XML report file; always written, even when the gate fails."}, "PATH", ""},
		{Setting{Name: sSummary, Flag: "--summary", Env: []string{"DOCKETQA_SUMMARY"}, Input: "summary-path",
			Help: "Markdown summary file to append to. On GitHub Actions it defaults to the job summary ($GITHUB_STEP_SUMMARY); elsewhere none is written."}, "PATH", "GITHUB_STEP_SUMMARY"},
		{Setting{Name: sDotenv, Flag: "--dotenv", Env: []string{"DOCKETQA_DOTENV"},
			Help: "File to write the outcome to as KEY=value lines, for GitLab's artifacts:reports:dotenv."}, "PATH", ""},
		{Setting{Name: sResultsJSON, Flag: "--results-json", Env: []string{"DOCKETQA_RESULTS_JSON"}, Input: "results-json",
			Help: "File to write every run's result to as JSON."}, "PATH", ""},
		{Setting{Name: sArtifactsDir, Flag: "--artifacts-dir", Env: []string{"DOCKETQA_ARTIFACTS_DIR"}, Input: "artifacts-dir",
			Help: "Directory to save failed runs' screenshots and videos in, for CI artifacts; the reports point at the files. None by default."}, "DIR", ""},
		{Setting{Name: sArtifacts, Flag: "--artifacts", Env: []string{"DOCKETQA_ARTIFACTS"}, Input: "artifacts", Default: "failed",
			Help: "Whose evidence --artifacts-dir saves: failed (runs that failed or have no verdict) or all."}, "WHICH", ""},
		{Setting{Name: sHistory, Flag: "--history", Env: []string{"DOCKETQA_HISTORY"}, Input: "history-path",
			Help: "File of recent run durations and outcomes per blueprint, read to forecast when runs finish and to show each failure's recent record, and updated after the verdict; keep it between CI runs (cache)."}, "PATH", ""},
		{Setting{Name: sPRComment, Flag: "--pr-comment", Env: []string{"DOCKETQA_PR_COMMENT"}, Input: "pr-comment", Default: "off",
			Help: "On a GitHub pull request, keep one comment with the results up to date: off, failures (create it when the gate fails, update it on every later run) or always."}, "WHEN", ""},
		{Setting{Name: sPRCommentTag, Flag: "--pr-comment-tag", Env: []string{"DOCKETQA_PR_COMMENT_TAG"}, Input: "pr-comment-tag",
			Help: "Tells apart the comments of two gates in one job or of matrix legs, which share the workflow and job names: letters, digits, spaces and ._-:/=+, up to 100."}, "TAG", ""},
		{Setting{Name: sGitHubToken, Env: []string{"GITHUB_TOKEN"}, Input: "github-token", Secret: true,
			Help: "GitHub token that writes the pull-request comment; it needs pull-requests: write. The action passes the job's token. There is no flag on purpose, as for the API key."}, "", ""},
		{Setting{Name: sDemo, Flag: "--demo", Default: "false",
			Help: "Run against a built-in fake DocketQA instead of the real API; needs no key and no ids."}, "", ""},
		{Setting{Name: sDemoScenario, Flag: "--demo-scenario", Default: "pass",
			Help: "Outcome of the demo: pass or fail. Setting it turns on --demo."}, "NAME", ""},
		{Setting{Name: sDryRun, Flag: "--dry-run", Env: []string{"DOCKETQA_DRY_RUN"}, Input: "dry-run", Default: "false",
			Help: "Check the settings and show what would run, without triggering anything."}, "", ""},
		{Setting{Name: sDetach, Flag: "--detach", Env: []string{"DOCKETQA_DETACH"}, Input: "detach",
			Help: "Trigger the runs, record them in this manifest file and exit without waiting; finish later with --attach."}, "PATH", ""},
		{Setting{Name: sAttach, Flag: "--attach", Env: []string{"DOCKETQA_ATTACH"}, Input: "attach",
			Help: "Wait for the runs recorded in this manifest file by --detach instead of triggering new ones."}, "PATH", ""},
		{Setting{Name: sFailFast, Flag: "--fail-fast", Env: []string{"DOCKETQA_FAIL_FAST"}, Input: "fail-fast", Default: "false",
			Help: "Stop waiting as soon as one run fails."}, "", ""},
		{Setting{Name: sNonBlockingIDs, Flag: "--non-blocking-ids", Env: []string{"DOCKETQA_NON_BLOCKING_IDS"}, Input: "non-blocking-ids",
			Help: "Blueprints whose failures are reported but do not fail the gate; same format as --blueprint-ids."}, "IDS", ""},
		{Setting{Name: sRerunFailed, Flag: "--rerun-failed", Env: []string{"DOCKETQA_RERUN_FAILED"}, Input: "rerun-failed", Default: "0",
			Help: "Re-trigger a failed run up to N times, from 0 to 10, before judging it."}, "N", ""},
		{Setting{Name: sRerunMaxFailures, Flag: "--rerun-max-failures", Env: []string{"DOCKETQA_RERUN_MAX_FAILURES"}, Input: "rerun-max-failures", Default: "5",
			Help: "Skip the reruns when more than N runs failed, from 1 to 100000: so many failures rarely mean flakiness, and every rerun is a paid run."}, "N", ""},
		{Setting{Name: sFailOnNoVerdict, Flag: "--fail-on-no-verdict", Env: []string{"DOCKETQA_FAIL_ON_NO_VERDICT"}, Input: "fail-on-no-verdict", Default: "true",
			Help: "Fail the gate (exit 3) when a triggered run gets no verdict because of API trouble or the deadline. With false such a run gives a warning and exit 0; a refused key, a failed trigger, an interruption and bad configuration still fail, and a failed run always does."}, "", ""},
		{Setting{Name: sFailOnMissing, Flag: "--fail-on-missing", Env: []string{"DOCKETQA_FAIL_ON_MISSING"}, Input: "fail-on-missing", Default: "true",
			Help: "Fail the gate (exit 3) when DocketQA started no run for a listed blueprint. With false such a blueprint gives a warning."}, "", ""},
		{Setting{Name: sDebug, Flag: "--debug", Env: []string{"DOCKETQA_DEBUG"}, Input: "debug", Default: "false",
			Help: "Log each request, retry and poll delay and the resolved settings with their sources, never the key. Also on when GitHub re-runs a job with debug logging (RUNNER_DEBUG=1)."}, "", ""},
		{Setting{Name: sConfig, Flag: "--config", Env: []string{"DOCKETQA_CONFIG"}, Input: "config",
			Help: "YAML or JSON file of settings, keyed by flag name without the dashes (timeout: 45m); flags, inputs and environment variables win over it. The API key is refused in it."}, "PATH", ""},
		{Setting{Name: sVersion, Flag: "--version", Default: "false",
			Help: "Print the version and exit."}, "", ""},
		{Setting{Name: sHelp, Flag: "-h, --help",
			Help: "Print this help and exit."}, "", ""},
	}
}

// Settings returns the table of every setting, in --help order. Each call
// returns a fresh copy.
func Settings() []Setting {
	ss := specs()
	out := make([]Setting, len(ss))
	for i, s := range ss {
		out[i] = s.Setting
	}
	return out
}
