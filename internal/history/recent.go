package history

import (
	"fmt"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// RecentOf returns r's recent record: the outcomes the file holds for r's
// blueprint on this API, as loaded (before this invocation's Record),
// followed by r's own outcome when it finished with a verdict, keeping the
// last keepRuns. It is empty when the file holds nothing for the
// blueprint: a record of the run alone tells a reader nothing.
func (f *File) RecentOf(r result.Run) result.Recent {
	e := f.find(r.BlueprintID)
	if e == nil || len(e.Runs) == 0 {
		return result.Recent{}
	}
	outcomes := make([]result.Verdict, 0, len(e.Runs)+1)
	for _, rr := range e.Runs {
		outcomes = append(outcomes, verdictOf(rr.Outcome))
	}
	own := r.Verdict == result.Passed || r.Verdict == result.Failed
	if own {
		outcomes = append(outcomes, r.Verdict)
	}
	if len(outcomes) > keepRuns {
		outcomes = outcomes[len(outcomes)-keepRuns:]
	}
	return result.Recent{Outcomes: outcomes, Reading: Read(outcomes, own && r.Verdict == result.Failed)}
}

func verdictOf(outcome string) result.Verdict {
	if outcome == outcomePassed {
		return result.Passed
	}
	return result.Failed
}

// Read gives the plain-words reading of outcomes (most recent last);
// failedNow says the last outcome is the run being reported, and it
// failed. The first rule that applies wins:
//
//  1. failedNow and every earlier outcome passed:
//     "new failure: passed the last N runs" (N earlier outcomes).
//  2. the last S ≥ 2 outcomes failed and none before them did:
//     "failing for the last S runs".
//  3. the outcomes switch between passed and failed at least twice:
//     "flaky: F failures in the last N".
//  4. otherwise "recent: passed P of the last N".
//
// Empty outcomes read as "".
func Read(outcomes []result.Verdict, failedNow bool) string {
	n := len(outcomes)
	if n == 0 {
		return ""
	}
	passes, changes, streak := 0, 0, 0
	for i, o := range outcomes {
		if o == result.Passed {
			passes++
			streak = 0
		} else {
			streak++
		}
		if i > 0 && (o == result.Passed) != (outcomes[i-1] == result.Passed) {
			changes++
		}
	}
	failures := n - passes
	switch {
	case failedNow && n > 1 && passes == n-1:
		return "new failure: passed the last " + runs(n-1)
	case streak >= 2 && streak == failures:
		return fmt.Sprintf("failing for the last %d runs", streak)
	case changes >= 2:
		word := "failures"
		if failures == 1 {
			word = "failure"
		}
		return fmt.Sprintf("flaky: %d %s in the last %d", failures, word, n)
	default:
		return fmt.Sprintf("recent: passed %d of the last %d", passes, n)
	}
}

func runs(n int) string {
	if n == 1 {
		return "run"
	}
	return fmt.Sprintf("%d runs", n)
}
