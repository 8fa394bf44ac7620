package prcomment

import (
	"fmt"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/describe"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// FromSet is the one adapter from the gate's results to Input: every kind,
// label and count the comment shows is taken here, so pointing the
// comment at another results type changes only this function. failed is
// whether the gate exits non-zero; runURL the workflow run's page.
func FromSet(s result.Set, t result.Tally, failed bool, runURL string) Input {
	in := Input{
		Failed:      failed,
		Headline:    headline(t),
		Counts:      counts(t),
		RunURL:      runURL,
		GroupRunURL: s.GroupRunURL,
		GroupRunID:  s.GroupRunID,
	}
	for _, r := range s.Runs {
		run := Run{Name: r.Name(), Record: r.Recent.String()}
		switch result.KindOf(r) {
		case result.KindFailed:
			run.Kind, run.Label = Failed, "failed"+afterAttempts(r)
		case result.KindNoVerdict:
			run.Kind, run.Label = NoVerdict, "no verdict"+afterAttempts(r)
		case result.KindNotAwaited:
			run.Kind, run.Label = NotAwaited, "not awaited (fail-fast stopped waiting)"
		case result.KindNonBlocking:
			run.Kind, run.Label = NonBlocking, "did not pass (non-blocking)"
		default:
			run.Kind, run.Label = Passed, "passed"
			if result.IsFlaky(r) {
				run.Kind, run.Label = Flaky, fmt.Sprintf("passed (flaky, %d attempts)", describe.Attempts(r))
			}
		}
		if run.Kind < Flaky {
			if st := r.FailedStep(); st != nil {
				run.Step = describe.Step(*st)
			}
			run.Reason = r.Reason
			if run.Reason == "" {
				run.Reason = describe.Problem(r)
			}
			for _, a := range r.Artifacts {
				run.Evidence = append(run.Evidence, a.Path)
			}
		}
		in.Runs = append(in.Runs, run)
	}
	return in
}

func afterAttempts(r result.Run) string {
	if n := describe.Attempts(r); n > 1 {
		return fmt.Sprintf(" after %d attempts", n)
	}
	return ""
}

func headline(t result.Tally) string {
	switch {
	case t.Total == 0:
		return "⚠️ DocketQA: no verdict, no test runs were reported"
	case t.Failed > 0:
		return fmt.Sprintf("❌ DocketQA: %d of %s failed", t.Failed, plural(t.Total, "run"))
	case t.NoVerdict+t.NotAwaited > 0:
		return fmt.Sprintf("⚠️ DocketQA: no verdict for %d of %s", t.NoVerdict+t.NotAwaited, plural(t.Total, "run"))
	case t.NonBlockingFailed > 0:
		return fmt.Sprintf("✅ DocketQA: passed with %s (%s)", plural(t.NonBlockingFailed, "non-blocking failure"), plural(t.Total, "run"))
	default:
		return fmt.Sprintf("✅ DocketQA: %s passed", plural(t.Total, "run"))
	}
}

func counts(t result.Tally) string {
	line := fmt.Sprintf("**%d** passed · **%d** failed · **%d** no verdict", t.Passed, t.Failed, t.NoVerdict)
	if t.NotAwaited > 0 {
		line += fmt.Sprintf(" · **%d** not awaited", t.NotAwaited)
	}
	return line + fmt.Sprintf(" · **%d** flaky · **%d** non-blocking failed", t.Flaky, t.NonBlockingFailed)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
