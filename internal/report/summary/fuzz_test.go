package summary

import (
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/reporttest"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

func FuzzRender(f *testing.F) {
	f.Add("Log in", "no result within 30m", "Click login", "Button not found", "https://cdn.example/v.mp4")
	f.Add("a|b\\|c\\", "<script>alert(1)</script>", "`x`", "[l](javascript:1)", "https://x/)|(<>")
	f.Add("\x00\x01\r\n|---|", "\u202E\u2028", "\xff\xfe", "&lt;", "javascript:alert(1)")
	f.Add("🧪 👩‍💻", "$x$ *b* _i_", "\\", "|", "HTTP://[::1]/a b")
	f.Fuzz(func(t *testing.T, title, reason, task, stepResult, url string) {
		steps := []result.Step{
			{Number: 1, Task: task, OK: true, Result: stepResult},
			{Number: 2, Task: task, Result: stepResult},
		}
		set := result.Set{
			GroupRunID: 1, GroupRunName: title, GroupRunURL: url, Elapsed: time.Second,
			Runs: []result.Run{
				{BlueprintID: 1, Title: title, Verdict: result.Failed, Reason: reason, Steps: steps, VideoURL: url},
				{BlueprintID: 2, Title: title, Status: reason, Verdict: result.Error, Reason: reason, VideoURL: url},
				{BlueprintID: 3, Title: title, Verdict: result.Failed, NonBlocking: true, Status: reason},
				{BlueprintID: 4, Title: title, Verdict: result.Passed, Flaky: true, Attempts: 2,
					Earlier: []result.Attempt{{Status: reason, Reason: reason, VideoURL: url}}},
				{BlueprintID: 5, Title: title, Verdict: result.Outcome(reason), Reason: reason, Duration: -time.Second},
				{BlueprintID: 6, Title: title, Verdict: result.Failed, Attempts: 3, NonBlocking: reason == "",
					Earlier: []result.Attempt{{Rerun: true, RunID: 7, Reason: task}, {Reason: stepResult}}},
				{BlueprintID: 7, Title: title, Verdict: result.Error, Reason: "not awaited (fail-fast)", NotAwaited: true},
			},
		}
		out := Render(reporttest.Judge(set), Options{})
		checkTable(t, out)
		if got := len(tableRows(out)); got != len(set.Runs) {
			t.Errorf("got %d rows for %d runs:\n%s", got, len(set.Runs), out)
		}
		if !strings.Contains(out, "failed after 3 attempts") || !strings.Contains(out, "⏭️ not awaited") {
			t.Errorf("attempts or not-awaited marker missing:\n%s", out)
		}
		if strings.Count(out, "\n## ") != 0 || !strings.HasPrefix(out, "## ") {
			t.Errorf("input created or removed a heading:\n%s", out)
		}
	})
}
