package resultsjson

import (
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

func FuzzWrite(f *testing.F) {
	f.Add("Log in", "no result within 30m", "Click login", "https://cdn.example/v.mp4")
	f.Add("\x00\xff\xfe", "\"},{\"x\":1", "\u2028\u2029", "</script><!--")
	f.Add("🧪 👩‍💻", "\\u0000", "\xed\xa0\x80", "")
	f.Fuzz(func(t *testing.T, title, reason, task, url string) {
		steps := []result.Step{{Number: 1, Task: task, Result: reason, Screenshots: []string{url}}}
		earlier := []result.Attempt{{Rerun: true, RunID: 9, Status: reason, Verdict: result.Outcome(reason), Reason: reason, VideoURL: url}}
		set := result.Set{
			GroupRunID: 1, GroupRunName: title, GroupRunURL: url, Started: time.Unix(0, 0), Elapsed: -time.Second,
			Runs: []result.Run{
				{BlueprintID: 1, RunID: 11, Title: title, Status: reason, Verdict: result.Failed, Reason: reason, Steps: steps,
					VideoURL: url, Attempts: 2, Earlier: earlier},
				{BlueprintID: 2, Title: title, Verdict: result.Outcome(reason), Reason: reason, NonBlocking: true},
				{BlueprintID: 3, Title: title, Verdict: result.Passed, Flaky: true, Earlier: earlier},
			},
		}
		doc := roundTrip(t, set)
		checkRuns(t, set, doc)
		if got, want := doc.Runs[0].Title, strings.ToValidUTF8(title, "\uFFFD"); got != want {
			t.Errorf("title read back as %q, want %q", got, want)
		}
		if got, want := doc.Runs[0].EarlierAttempts[0].VideoURL, strings.ToValidUTF8(url, "\uFFFD"); got != want {
			t.Errorf("attempt video read back as %q, want %q", got, want)
		}
		if doc.ElapsedSeconds != 0 || !doc.Runs[2].Flaky || doc.Runs[1].Blocking {
			t.Errorf("elapsed %v, flaky %v, blocking %v", doc.ElapsedSeconds, doc.Runs[2].Flaky, doc.Runs[1].Blocking)
		}
	})
}
