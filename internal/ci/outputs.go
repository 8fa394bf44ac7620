package ci

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/docketqa-gate/docketqa-gate/internal/atomicfile"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/text"
)

// Outputs are the machine-readable results later pipeline steps can use:
// GitHub step outputs or GitLab dotenv variables. They stay small and
// single-line on purpose; the full results live in the files they point to.
type Outputs struct {
	// Verdict is "passed", "failed" or "error" (no verdict).
	Verdict string
	// Failed and Errors count blocking runs only, like the exit code does.
	// Errors are blocking runs without a verdict; NotAwaited those that
	// fail-fast stopped waiting for, which are not errors.
	Total, Passed, Failed, Errors, NotAwaited, Flaky int
	// GroupRunID is 0 when no group run was triggered (dry run, usage error).
	GroupRunID      int64
	GroupRunURL     string
	JUnitPath       string
	ResultsJSONPath string
}

// OutputsFrom renders the verdict v and names the report files written
// for it. Its names are the established ones pipelines read: a kind's
// "no verdict" is the output "errors".
func OutputsFrom(v result.Verdict, junitPath, resultsJSONPath string) Outputs {
	t := v.Tally
	return Outputs{
		Verdict:         string(v.Outcome),
		Total:           t.Total,
		Passed:          t.Passed,
		Failed:          t.Failed,
		Errors:          t.NoVerdict,
		NotAwaited:      t.NotAwaited,
		Flaky:           t.Flaky,
		GroupRunID:      v.Set.GroupRunID,
		GroupRunURL:     v.Set.GroupRunURL,
		JUnitPath:       junitPath,
		ResultsJSONPath: resultsJSONPath,
	}
}

// output is one value under both of its names.
type output struct {
	name      string // GitHub step output, as declared in action.yml
	dotenvKey string // GitLab dotenv variable
	value     string
}

// outputs lists o's values in a fixed order. It is the single table behind
// OutputNames, SetOutputs and WriteDotenv, so the names cannot drift apart.
func (o Outputs) outputs() []output {
	groupRunID := ""
	if o.GroupRunID != 0 {
		groupRunID = strconv.FormatInt(o.GroupRunID, 10)
	}
	return []output{
		{"verdict", "DOCKETQA_VERDICT", o.Verdict},
		{"total", "DOCKETQA_TOTAL", strconv.Itoa(o.Total)},
		{"passed", "DOCKETQA_PASSED", strconv.Itoa(o.Passed)},
		{"failed", "DOCKETQA_FAILED", strconv.Itoa(o.Failed)},
		{"errors", "DOCKETQA_ERRORS", strconv.Itoa(o.Errors)},
		{"not-awaited", "DOCKETQA_NOT_AWAITED", strconv.Itoa(o.NotAwaited)},
		{"flaky", "DOCKETQA_FLAKY", strconv.Itoa(o.Flaky)},
		{"group-run-id", "DOCKETQA_GROUP_RUN_ID", groupRunID},
		{"group-run-url", "DOCKETQA_GROUP_RUN_URL", o.GroupRunURL},
		{"junit-path", "DOCKETQA_JUNIT_PATH", o.JUnitPath},
		{"results-json-path", "DOCKETQA_RESULTS_JSON_PATH", o.ResultsJSONPath},
	}
}

// OutputNames returns the GitHub step output names in the order they are
// written. action.yml must declare exactly these.
func OutputNames() []string {
	outs := Outputs{}.outputs()
	names := make([]string, len(outs))
	for i, o := range outs {
		names[i] = o.name
	}
	return names
}

// WriteDotenv writes o to path in the format of GitLab's
// artifacts:reports:dotenv, so later jobs see DOCKETQA_* variables. GitLab
// rejects the whole report on a multi-line value, a blank line or a comment,
// so every value is forced onto one line. The file is replaced atomically:
// a job killed mid-write never leaves a torn report for the uploader.
func WriteDotenv(path string, o Outputs) error {
	if err := atomicfile.Write(path, Dotenv(o)); err != nil {
		return fmt.Errorf("write dotenv report: %w", err)
	}
	return nil
}

// Dotenv is o in the format of GitLab's artifacts:reports:dotenv (see
// WriteDotenv).
func Dotenv(o Outputs) []byte {
	var b strings.Builder
	for _, out := range o.outputs() {
		fmt.Fprintf(&b, "%s=%s\n", out.dotenvKey, outputValue(out.value))
	}
	return []byte(b.String())
}

// outputValue makes s safe for line-based formats: dotenv values and
// heredoc step outputs. Every character that could end the record early or
// start a new line a CI runner would read as a command becomes a space
// (text.Flat); the value's own spacing, a path's included, is kept.
func outputValue(s string) string {
	return strings.TrimSpace(text.Flat(s))
}
