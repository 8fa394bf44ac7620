package prcomment

import (
	"fmt"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/describe"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// FromVerdict is the one adapter from the Judge's verdict to Input: the
// comment renders the kinds, problems and counts the Judge decided and
// derives none. runURL is the workflow run's page.
func FromVerdict(v result.Verdict, runURL string) Input {
	s, t := v.Set, v.Tally
	in := Input{
		Failed:      v.Exit != result.ExitPassed,
		Headline:    headline(v),
		Counts:      counts(t),
		RunURL:      runURL,
		GroupRunURL: s.GroupRunURL,
		GroupRunID:  s.GroupRunID,
	}
	for _, j := range v.Runs {
		r := j.Run
		run := Run{Name: r.Name(), Record: r.Recent.String()}
		switch j.Kind {
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
			if j.Flaky {
				run.Kind, run.Label = Flaky, fmt.Sprintf("passed (flaky, %d attempts)", describe.Attempts(r))
			}
		}
		if run.Kind < Flaky {
			if st := r.FailedStep(); st != nil {
				run.Step = describe.Step(*st)
			}
			run.Reason = r.Reason
			if run.Reason == "" {
				run.Reason = j.Problem
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

func headline(v result.Verdict) string {
	t := v.Tally
	switch {
	case t.Total == 0:
		return "⚠️ DocketQA: no verdict, no test runs were reported"
	case v.Outcome == result.Failed:
		return fmt.Sprintf("❌ DocketQA: %d of %s failed", t.Failed, plural(t.Total, "run"))
	case v.Outcome != result.Passed && t.NoVerdict+t.NotAwaited > 0:
		return fmt.Sprintf("⚠️ DocketQA: no verdict for %d of %s", t.NoVerdict+t.NotAwaited, plural(t.Total, "run"))
	case v.Outcome != result.Passed:
		return fmt.Sprintf("⚠️ DocketQA: no verdict (%s)", plural(t.Total, "run"))
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
