package ci

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"

	"github.com/docketqa-gate/docketqa-gate/internal/atomicfile"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
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

// OutputsFrom summarises s by its tally t and names the report files
// written for it.
func OutputsFrom(s result.Set, t result.Tally, junitPath, resultsJSONPath string) Outputs {
	return Outputs{
		Verdict:         string(t.Verdict),
		Total:           t.Total,
		Passed:          t.Passed,
		Failed:          t.Failed,
		Errors:          t.NoVerdict,
		NotAwaited:      t.NotAwaited,
		Flaky:           t.Flaky,
		GroupRunID:      s.GroupRunID,
		GroupRunURL:     s.GroupRunURL,
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
	var b strings.Builder
	for _, out := range o.outputs() {
		fmt.Fprintf(&b, "%s=%s\n", out.dotenvKey, oneLine(out.value))
	}
	if err := atomicfile.Write(path, []byte(b.String())); err != nil {
		return fmt.Errorf("write dotenv report: %w", err)
	}
	return nil
}

// delimiterPrefix starts every heredoc delimiter, as in GitHub's own
// toolkit; random hex follows.
const delimiterPrefix = "ghadelimiter_"

// appendGitHubFile appends outs to a GitHub file command such as
// $GITHUB_OUTPUT, one "name<<DELIMITER / value / DELIMITER" record each, as
// GitHub's documentation describes for values that may hold anything.
// Each value gets its own random delimiter, drawn again while the value
// contains it, so no value can end its record early and start another
// (go-githubactions uses one fixed delimiter for all, which a report path
// named like it ends). random is crypto/rand.Reader outside tests.
//
// The file is appended to in place, with O_APPEND: the runner owns it and
// reads it after the step. As with the runner's step summary, a link the
// runner (or a self-hosted runner's set-up) made there is followed, since
// replacing it would hide the outputs from the runner; but the file
// reached must be a regular file, and the open never blocks, so a FIFO or
// device planted there neither hangs the gate nor receives anything.
func appendGitHubFile(path string, outs []output, random io.Reader) error {
	var b strings.Builder
	for _, o := range outs {
		v := oneLine(o.value)
		d, err := delimiter(v, random)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.name, d, v, d)
	}
	return appendRunnerFile(path, []byte(b.String()))
}

// delimiter returns a random delimiter that value does not contain.
func delimiter(value string, random io.Reader) (string, error) {
	var buf [16]byte
	for range 8 {
		if _, err := io.ReadFull(random, buf[:]); err != nil {
			return "", fmt.Errorf("draw a random delimiter: %w", err)
		}
		if d := delimiterPrefix + hex.EncodeToString(buf[:]); !strings.Contains(value, d) {
			return d, nil
		}
	}
	// 128 random bits collide only with a value made to match a broken
	// random source.
	return "", errors.New("draw a random delimiter: every one drawn is in the value")
}

// errNotRegular refuses a runner file that is a FIFO, device or directory.
var errNotRegular = errors.New("is not a regular file (a FIFO, device or directory); the gate writes only regular files there")

// appendRunnerFile appends data to path, which must be a regular file (or
// a link to one), without blocking on the open. What an earlier step wrote
// stays a line of its own.
func appendRunnerFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE|openFlags, 0o644)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s %w", path, errNotRegular)
	}
	if err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, rerr := f.ReadAt(last, fi.Size()-1); rerr == nil && last[0] != '\n' {
			data = append([]byte{'\n'}, data...)
		}
	}
	if err == nil {
		_, err = f.Write(data)
	}
	return errors.Join(err, f.Close())
}

// oneLine makes s safe for line-based formats: dotenv values, heredoc
// step outputs and log lines. Line breaks and tabs become spaces and other
// control characters (such as terminal escapes from API text) are dropped,
// so a value can neither end its record early nor start a new line that a
// CI runner would interpret as a command.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		default:
			return r
		}
	}, s)
	return strings.TrimSpace(s)
}
