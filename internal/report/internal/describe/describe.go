// Package describe turns a run's attempts and steps into the short
// plain-text phrases that both reports show, so the JUnit message and the
// Markdown summary of a run never disagree. It decides nothing: a run's
// kind and problem are the Judge's (result.Judge). The text is raw: each
// report escapes it for its own format.
package describe

import (
	"fmt"
	"strings"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// Attempts is the number of attempts at r's blueprint, counting the final
// one. It is never less than the attempts listed, so "attempt 3 of 2"
// cannot appear in a report.
func Attempts(r result.Run) int {
	if len(r.Earlier) > 0 {
		return max(r.Attempts, len(r.Earlier)+1)
	}
	return r.Attempts
}

// AttemptLabel names the n-th of total attempts and where it ran:
// "attempt 2 of 3 (DocketQA retry)". DocketQA's own retries share the test
// run of the final attempt, so only the gate's reruns have a run id.
func AttemptLabel(a result.Attempt, n, total int) string {
	var origin string
	switch {
	case a.RunID != 0:
		origin = fmt.Sprintf("test run %d", a.RunID)
	case a.Rerun:
		origin = "earlier test run"
	default:
		origin = "DocketQA retry"
	}
	return fmt.Sprintf("attempt %d of %d (%s)", n, total, origin)
}

// AttemptStatus is the status word of an earlier attempt, falling back to
// its verdict and then to "failed", since an earlier attempt by definition
// did not pass.
func AttemptStatus(a result.Attempt) string {
	switch {
	case a.Status != "":
		return a.Status
	case a.Verdict != "":
		return string(a.Verdict)
	default:
		return "failed"
	}
}

// AttemptProblem says in one line why an earlier attempt did not pass.
func AttemptProblem(a result.Attempt) string {
	if a.Reason != "" {
		return a.Reason
	}
	return "status " + AttemptStatus(a)
}

// AttemptErrored reports whether an earlier attempt ended without a
// verdict rather than failing, using the Judge's rule: anything but a pass
// or a failure is "no verdict". An unset verdict counts as a
// failure, because an earlier attempt is one that did not pass.
func AttemptErrored(a result.Attempt) bool {
	switch a.Verdict {
	case result.Passed, result.Failed, "":
		return false
	default:
		return true
	}
}

// Step renders one step as "✓ step 2 (12s): task — result", leaving out
// the parts DocketQA did not report.
func Step(st result.Step) string {
	var b strings.Builder
	if st.OK {
		b.WriteString("✓")
	} else {
		b.WriteString("✗")
	}
	fmt.Fprintf(&b, " step %d", st.Number)
	if st.Duration > 0 {
		fmt.Fprintf(&b, " (%s)", Duration(st.Duration))
	}
	if st.Task != "" {
		b.WriteString(": ")
		b.WriteString(st.Task)
	}
	if st.Result != "" {
		b.WriteString(" — ")
		b.WriteString(st.Result)
	}
	return b.String()
}

// Duration formats d for people: whole seconds ("12s", "1m3s") because
// browser tests take seconds to minutes, milliseconds below one second so a
// short step does not read as "0s".
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}
