// Package reporttest holds the deterministic result sets that the report
// packages' golden, schema and escaping tests share, so every report is
// checked against the same situations, and the golden test that runs them.
// Times are fixed, never time.Now, to keep golden files stable.
package reporttest

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// Case is one named result set; Name doubles as the golden file's base name.
type Case struct {
	Name string
	Set  result.Set
}

// started is the fixed trigger time of every case. It is deliberately not
// UTC so tests notice a report that forgets to convert it.
var started = time.Date(2025, 3, 14, 10, 26, 53, 0, time.FixedZone("CET", 3600))

const (
	groupID  = 35
	groupURL = "https://app.docketqa.example/group-runs/35"
)

func screenshot(runID int64, step int) string {
	return fmt.Sprintf("https://cdn.docketqa.example/runs/%d/step-%d.png", runID, step)
}

func video(runID int64) string {
	return fmt.Sprintf("https://cdn.docketqa.example/runs/%d/video.mp4", runID)
}

func passedRun(blueprint int64, runID int64, title string) result.Run {
	return result.Run{
		BlueprintID: blueprint,
		RunID:       runID,
		Title:       title,
		Status:      "passed",
		Verdict:     result.Passed,
		Duration:    42 * time.Second,
		Attempts:    1,
		VideoURL:    video(runID),
		Steps: []result.Step{
			{Number: 1, Task: "Open the home page", OK: true, Result: "Home page loaded", Duration: 3 * time.Second, Screenshots: []string{screenshot(runID, 1)}},
			{Number: 2, Task: "Log in as demo user", OK: true, Result: "Dashboard visible", Duration: 9 * time.Second},
		},
	}
}

func failedRun(blueprint int64, runID int64, title string) result.Run {
	return result.Run{
		BlueprintID: blueprint,
		RunID:       runID,
		Title:       title,
		Status:      "failed",
		Verdict:     result.Failed,
		Reason:      "step 2 failed",
		Duration:    83 * time.Second,
		Attempts:    1,
		VideoURL:    video(runID),
		Steps: []result.Step{
			{Number: 1, Task: "Open the cart", OK: true, Result: "Cart shows 2 items", Duration: 4 * time.Second, Screenshots: []string{screenshot(runID, 1)}},
			{Number: 2, Task: "Click \"Checkout\"", OK: false, Result: "No button labelled Checkout was found", Duration: 31 * time.Second, Screenshots: []string{screenshot(runID, 2), screenshot(runID, 3)}},
			{Number: 3, Task: "Pay with test card", OK: false, Result: "Not reached"},
		},
	}
}

func noVerdictRun(blueprint int64, runID int64, title string) result.Run {
	return result.Run{
		BlueprintID: blueprint,
		RunID:       runID,
		Title:       title,
		Status:      "running",
		Verdict:     result.Error,
		Reason:      "no result within 30m; last status running",
		Duration:    30 * time.Minute,
		Attempts:    1,
		Steps: []result.Step{
			{Number: 1, Task: "Open the search page", OK: true, Result: "Search page loaded", Duration: 2 * time.Second},
		},
	}
}

// retry is a failed attempt DocketQA made itself inside test run runID;
// n numbers its video so every attempt links to its own recording.
func retry(runID int64, n int, reason string) result.Attempt {
	return result.Attempt{
		Status: "failed", Verdict: result.Failed, Reason: reason,
		VideoURL: fmt.Sprintf("https://cdn.docketqa.example/runs/%d/attempt-%d.mp4", runID, n),
	}
}

// superseded is the final attempt of test run runID after the gate
// re-triggered its blueprint.
func superseded(runID int64, reason string) result.Attempt {
	return result.Attempt{
		Rerun: true, RunID: runID, Status: "failed", Verdict: result.Failed, Reason: reason,
		VideoURL: video(runID),
	}
}

func notAwaited(blueprint int64, runID int64, title, status string) result.Run {
	return result.Run{
		BlueprintID: blueprint, RunID: runID, Title: title, Status: status,
		Verdict: result.Error, Reason: result.NotAwaited, NotAwaited: true, Duration: 95 * time.Second, Attempts: 1,
	}
}

func group(runs ...result.Run) result.Set {
	return result.Set{
		GroupRunID:   groupID,
		GroupRunName: "Nightly smoke",
		GroupRunURL:  groupURL,
		Runs:         runs,
		Started:      started,
		Elapsed:      4*time.Minute + 12*time.Second + 345*time.Millisecond,
	}
}

// Cases returns fresh copies of every shared result set, so a test may
// modify what it gets.
func Cases() []Case {
	flaky := passedRun(103, 9003, "Search finds a docket")
	flaky.Flaky = true
	flaky.Attempts = 3

	noSteps := result.Run{
		BlueprintID: 202, RunID: 9102, Title: "Upload a document",
		Status: "cancelled", Verdict: result.Failed, Reason: "run was cancelled in DocketQA",
		Duration: 5 * time.Second, Attempts: 1,
	}
	missing := result.Run{
		BlueprintID: 303, Title: "Export to PDF", Verdict: result.Error,
		Reason: "the trigger answer held no run for this blueprint",
	}
	queued := result.Run{BlueprintID: 304, RunID: 9304, Status: "queued", Verdict: result.Error, Attempts: 1}

	nbFailed := failedRun(401, 9401, "Experimental dark mode")
	nbFailed.NonBlocking = true
	nbError := noVerdictRun(402, 9402, "Experimental export")
	nbError.NonBlocking = true
	nbFlaky := passedRun(404, 9404, "Experimental but green")
	nbFlaky.NonBlocking, nbFlaky.Flaky, nbFlaky.Attempts = true, true, 2

	mixedFlaky := passedRun(503, 9503, "Flaky but fine")
	mixedFlaky.Flaky, mixedFlaky.Attempts = true, 2
	mixedNB := failedRun(504, 9504, "Optional check")
	mixedNB.NonBlocking = true

	const checkoutMissing = `step 2: Click "Checkout": No button labelled Checkout was found`

	// Flaky through DocketQA's own retries (num_retries on the blueprint).
	retried := passedRun(701, 9701, "Search finds a docket")
	retried.Flaky, retried.Attempts = true, 3
	retried.Earlier = []result.Attempt{
		retry(9701, 1, "step 2: Type \"smith\" into the search box: Search box not found"),
		retry(9701, 2, "status failed (DocketQA reported no failing step)"),
	}
	flaggedOnly := passedRun(703, 9703, "Open a docket")
	flaggedOnly.Flaky, flaggedOnly.Attempts = true, 2 // retries reported without detail

	// Flaky through the gate's reruns: test run 9801 failed once inside
	// DocketQA and once more, then rerun 9811 passed.
	rerunPassed := passedRun(801, 9811, "Checkout")
	rerunPassed.Flaky, rerunPassed.Attempts = true, 3
	rerunPassed.Earlier = []result.Attempt{retry(9801, 1, checkoutMissing), superseded(9801, checkoutMissing)}
	rerunAfterTimeout := passedRun(802, 9812, "Upload a document")
	rerunAfterTimeout.Flaky, rerunAfterTimeout.Attempts = true, 2
	rerunAfterTimeout.Earlier = []result.Attempt{{
		Rerun: true, RunID: 9802, Status: "running", Verdict: result.Error,
		Reason: "no result within 30m; last status running",
	}}

	// Failed on every attempt.
	rerunFailed := failedRun(901, 9921, "Checkout")
	rerunFailed.Attempts = 3
	rerunFailed.Earlier = []result.Attempt{superseded(9901, checkoutMissing), superseded(9911, checkoutMissing)}
	rerunNB := failedRun(902, 9912, "Experimental dark mode")
	rerunNB.NonBlocking, rerunNB.Attempts = true, 2
	stopped := superseded(9902, `status "stopped" is not a pass`)
	stopped.Status = "stopped"
	rerunNB.Earlier = []result.Attempt{stopped}
	rerunLost := noVerdictRun(903, 9913, "Search")
	rerunLost.Attempts = 2
	rerunLost.Earlier = []result.Attempt{superseded(9903, "step 1: Open the search page: HTTP 502")}

	nbNotAwaited := notAwaited(1004, 10004, "Experimental export", "running")
	nbNotAwaited.NonBlocking = true

	return []Case{
		{Name: "passed", Set: group(
			passedRun(101, 9001, "Log in"),
			passedRun(102, 9002, "Log in"), // titles repeat; the blueprint id keeps names unique
			flaky,
		)},
		{Name: "failed", Set: group(
			passedRun(201, 9101, "Log in"),
			failedRun(203, 9103, "Checkout"),
			noSteps,
			noVerdictRun(204, 9104, "Search"),
		)},
		{Name: "no_verdict", Set: group(
			passedRun(301, 9301, "Log in"),
			noVerdictRun(302, 9302, "Search"),
			missing,
			queued,
		)},
		{Name: "non_blocking", Set: group(
			passedRun(400, 9400, "Log in"),
			nbFailed,
			nbError,
			nbFlaky,
		)},
		{Name: "mixed", Set: group(
			passedRun(501, 9501, "Passes first"),
			mixedNB,
			withRecent(mixedFlaky, "PFPPFPPPFP", "flaky: 3 failures in the last 10"),
			withRecent(noVerdictRun(505, 9505, "Times out"), "PPFFFF", "failing for the last 4 runs"),
			withRecent(failedRun(502, 9502, "Fails last"), "PPPPPPPPPF", "new failure: passed the last 9 runs"),
		)},
		{Name: "flaky", Set: group(
			passedRun(702, 9702, "Log in"),
			retried,
			flaggedOnly,
		)},
		{Name: "rerun_passed", Set: group(
			rerunPassed,
			rerunAfterTimeout,
			passedRun(803, 9803, "Log in"),
		)},
		{Name: "rerun_failed", Set: group(
			passedRun(904, 9904, "Log in"),
			rerunFailed,
			rerunNB,
			rerunLost,
		)},
		{Name: "fail_fast", Set: group(
			passedRun(1001, 10001, "Log in"),
			failedRun(1002, 10002, "Checkout"),
			notAwaited(1003, 10003, "Search", "running"),
			nbNotAwaited,
			notAwaited(1005, 10005, "", "queued"),
		)},
		{Name: "empty", Set: result.Set{Started: started, Elapsed: 2 * time.Second}},
		{Name: "hostile", Set: Hostile()},
		{Name: "artifacts", Set: Artifacts()},
	}
}

// withRecent gives r a recent record: outcomes as "PPF" (passed, passed,
// failed), most recent last, and the reading history.Read gives them.
func withRecent(r result.Run, outcomes, reading string) result.Run {
	r.Recent.Reading = reading
	for _, c := range outcomes {
		v := result.Failed
		if c == 'P' {
			v = result.Passed
		}
		r.Recent.Outcomes = append(r.Recent.Outcomes, v)
	}
	return r
}

// Artifacts is a set whose runs have saved evidence (--artifacts-dir), and
// whose API text tries to forge the attachment lines CI systems read.
func Artifacts() result.Set {
	const forged = "[[ATTACHMENT|/etc/passwd]] [[[ATTACHMENT|../../secret.png]]] [\x00[ATTACHMENT|x.png]]"
	saved := func(bp, run int64, step int, withVideo bool) []result.Artifact {
		sub := fmt.Sprintf("artifacts/%d-%d/%d-%d", bp, run, bp, run)
		var out []result.Artifact
		if step > 0 {
			out = append(out,
				result.Artifact{Kind: result.ShotAfter, Step: step, Path: fmt.Sprintf("%s-step%d-after.png", sub, step), URL: screenshot(run, step)},
				result.Artifact{Kind: result.ShotBefore, Step: step, Path: fmt.Sprintf("%s-step%d-before.png", sub, step), URL: screenshot(run, step)})
		}
		if withVideo {
			out = append(out, result.Artifact{Kind: result.Video, Path: sub + "-video.webm", URL: video(run)})
		}
		return out
	}
	failed := failedRun(1101, 11001, "Checkout "+forged)
	failed.Reason = "step 2: " + forged
	failed.Steps[1].Result = "No button " + forged
	failed.Artifacts = saved(1101, 11001, 2, true)
	noVerdict := noVerdictRun(1102, 11002, "Search")
	noVerdict.Artifacts = saved(1102, 11002, 0, true)
	passed := passedRun(1103, 11003, "Log in") // --artifacts all
	passed.Artifacts = saved(1103, 11003, 3, false)
	nb := failedRun(1104, 11004, "Experimental dark mode")
	nb.NonBlocking = true
	nb.Artifacts = saved(1104, 11004, 2, false)
	return group(passed, failed, noVerdict, nb)
}

// Hostile is a set whose every text field tries to break a report: XML and
// Markdown syntax, control characters, invalid UTF-8, non-characters,
// bidi overrides, emoji and links that are not http(s).
func Hostile() result.Set {
	nasty := "A\x00B\x01C\x1bD\x7f\u0085E\uFFFE\uFFFF\xff\xfeF\tG\r\nH\u202EI\u2028J ]]> <script>alert(1)</script> & | \\| ` [x](javascript:alert(1)) *b* _i_ ~s~ $m$ 🧪👩‍💻"
	runs := []result.Run{
		{
			BlueprintID: 601, RunID: 9601, Title: "Title " + nasty, Status: "failed\x00<b>", Verdict: result.Failed,
			Reason: "reason " + nasty, Duration: 7 * time.Second, Attempts: 2,
			Earlier: []result.Attempt{{Rerun: true, RunID: 9600, Status: "<x>" + nasty, Verdict: result.Failed,
				Reason: "earlier " + nasty, VideoURL: "javascript:alert(2)]]>"}},
			VideoURL: "https://cdn.docketqa.example/v (1)|x.mp4?a=<b>&c=\"d\"",
			Steps: []result.Step{
				{Number: 1, Task: "task " + nasty, OK: false, Result: "result " + nasty, Duration: time.Second,
					Screenshots: []string{"https://cdn.docketqa.example/s.png?q=]]>", "javascript:alert(1)"}},
			},
		},
		{
			BlueprintID: 602, RunID: 9602, Title: "]]>", Verdict: result.Error, Reason: "<![CDATA[" + nasty,
			VideoURL: "javascript:alert(document.cookie)",
		},
		{
			BlueprintID: 603, RunID: 9603, Title: "\x00\x01", Verdict: result.Passed, Flaky: true, Attempts: 2,
			Earlier:  []result.Attempt{{Verdict: result.Error, Reason: nasty}},
			VideoURL: "HTTPS://cdn.docketqa.example/ok.mp4",
		},
		{
			BlueprintID: 604, Title: "| a | b |\n|---|---|", Verdict: result.Failed, NonBlocking: true,
			Reason: "\n# heading\n> quote\n- item", VideoURL: "http://",
		},
	}
	return result.Set{
		GroupRunID:   36,
		GroupRunName: "Group " + nasty,
		GroupRunURL:  "https://app.docketqa.example/group-runs/36?x=a)b(c",
		Runs:         runs,
		Started:      started,
		Elapsed:      -time.Second, // a skewed clock must not produce a negative time attribute
	}
}

// Named returns the set of the shared case called name and fails the test
// when there is none, so a renamed case cannot turn a test into a check of
// the empty set.
func Named(t testing.TB, name string) result.Set {
	t.Helper()
	for _, c := range Cases() {
		if c.Name == name {
			return c.Set
		}
	}
	t.Fatalf("no shared case %q", name)
	return result.Set{}
}

// Golden renders every shared case with render and compares the output
// with testdata/<case name><ext> in the calling package, rewriting the file
// under update. render gets the case's subtest, to fail it or check more.
func Golden(t *testing.T, ext string, update bool, render func(t *testing.T, set result.Set) []byte) {
	t.Helper()
	for _, tc := range Cases() {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			testutil.Golden(t, filepath.Join("testdata", tc.Name+ext), render(t, tc.Set), update)
		})
	}
}

// GoldenWrite is Golden for a report that write streams out, the shape
// every report package's Write has.
func GoldenWrite(t *testing.T, ext string, update bool, write func(io.Writer, result.Set) error) {
	t.Helper()
	Golden(t, ext, update, func(t *testing.T, set result.Set) []byte {
		var buf bytes.Buffer
		if err := write(&buf, set); err != nil {
			t.Fatalf("Write: %v", err)
		}
		return buf.Bytes()
	})
}
