package poll

import (
	"fmt"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/text"
)

// StillGoing reports whether a status word means the run has not finished
// (see result.StillGoing, where the rule lives).
func StillGoing(status string) bool { return result.StillGoing(status) }

// Convert turns a finished test run into a result; its outcome is
// result.OutcomeOf the status word.
func Convert(t Target, r *docketqa.TestRun) result.Run {
	out := result.Run{
		BlueprintID: t.BlueprintID,
		RunID:       t.RunID,
		Title:       t.Title,
		Status:      string(r.Status),
		VideoURL:    string(r.VideoURL),
		Attempts:    1 + len(r.Retries),
		NonBlocking: t.NonBlocking,
		Omitted:     r.Omitted.String(),

		SharedBlueprint: t.SharedBlueprint,
	}
	// The title is decorative and may be refreshed; the blueprint id is
	// identity and comes from the target alone (see checkIdentity).
	if r.Title != "" {
		out.Title = string(r.Title)
	}
	out.Steps = convertSteps(r.Steps)
	var stepSum time.Duration
	for _, s := range r.Steps {
		stepSum += s.Duration
	}
	for _, a := range r.Retries {
		// DocketQA documents additional_attempts only as the failed
		// attempts before the final one.
		earlier := result.Run{Status: "failed", Steps: convertSteps(a.Steps)}
		out.Earlier = append(out.Earlier, result.Attempt{Status: "failed", Verdict: result.Failed,
			Reason: failureReason(earlier), VideoURL: string(a.VideoURL)})
	}
	out.Duration = serverTook(r)
	if out.Duration == 0 {
		out.Duration = stepSum
	}
	out.Verdict = result.OutcomeOf(string(r.Status))
	if out.Verdict == result.Passed {
		out.Flaky = len(r.Retries) > 0
		return out
	}
	out.Reason = failureReason(out)
	return out
}

func convertSteps(in []docketqa.Step) []result.Step {
	if len(in) == 0 {
		return nil
	}
	out := make([]result.Step, len(in))
	for i, s := range in {
		out[i] = result.Step{Number: s.Number, Task: string(s.Task), OK: s.OK, Result: string(s.Result), Duration: s.Duration}
		for _, u := range s.ScreenshotsBefore {
			out[i].ScreenshotsBefore = append(out[i].ScreenshotsBefore, string(u))
		}
		for _, u := range s.Screenshots {
			out[i].Screenshots = append(out[i].Screenshots, string(u))
		}
	}
	return out
}

// failureReason is the one-line why of a failed run: the first unsuccessful
// step, else the status word.
func failureReason(r result.Run) string {
	if s := r.FailedStep(); s != nil {
		msg := fmt.Sprintf("step %d", s.Number)
		if t := text.Line(s.Task, 0); t != "" {
			msg += ": " + t
		}
		if res := text.Line(s.Result, 0); res != "" {
			msg += ": " + res
		}
		return msg
	}
	if r.Status == "failed" {
		return "status failed (DocketQA reported no failing step)"
	}
	return fmt.Sprintf("status %q is not a pass", r.Status)
}

// serverTook is the run's duration by DocketQA's own timestamps, from
// created_at to updated_at; 0 when they do not tell one.
func serverTook(r *docketqa.TestRun) time.Duration {
	if r.CreatedAt.IsZero() || !r.UpdatedAt.After(r.CreatedAt) {
		return 0
	}
	return r.UpdatedAt.Sub(r.CreatedAt)
}
