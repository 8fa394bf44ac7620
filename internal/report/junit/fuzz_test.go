package junit

import (
	"bytes"
	"encoding/xml"
	"testing"
	"time"

	gojunit "github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

func FuzzWrite(f *testing.F) {
	f.Add("Log in", "no result within 30m; last status running", "Click login", "Button not found", "https://cdn.example/v.mp4")
	f.Add("]]>", "<![CDATA[", "]]]]>", "<b>&amp;</b>", "javascript:alert(1)")
	f.Add("\x00\x01\x1b", "\uFFFE\uFFFF", "\xff\xfe", "\r\n\t", "")
	f.Add("🧪 👩‍💻 \u202E", "a\u2028b", "x (blueprint 2)", "step 1: x", "http://[::1]/")
	f.Fuzz(func(t *testing.T, title, reason, task, stepResult, url string) {
		steps := []result.Step{
			{Number: 1, Task: task, OK: true, Result: stepResult, Screenshots: []string{url}},
			{Number: 2, Task: task, Result: stepResult, Duration: time.Second},
		}
		set := result.Set{
			GroupRunID: 1, GroupRunName: title, GroupRunURL: url,
			Started: time.Unix(0, 0), Elapsed: time.Minute,
			Runs: []result.Run{
				{BlueprintID: 1, RunID: 11, Title: title, Status: reason, Verdict: result.Failed, Reason: reason, Steps: steps, VideoURL: url},
				{BlueprintID: 2, RunID: 12, Title: title, Verdict: result.Error, Reason: reason, Steps: steps},
				{BlueprintID: 3, Title: title, Verdict: result.Failed, NonBlocking: true, Reason: reason},
				{BlueprintID: 4, RunID: 14, Title: title, Verdict: result.Passed, Flaky: true, Attempts: 2, Steps: steps[:1]},
				{BlueprintID: 5, RunID: 15, Title: title, Verdict: result.Verdict(reason), Reason: reason, Duration: -time.Second},
			},
		}

		var buf bytes.Buffer
		if err := Write(&buf, set); err != nil {
			t.Fatalf("Write: %v", err)
		}
		var got gojunit.Testsuites
		if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("output is not well-formed XML: %v\n%q", err, buf.String())
		}
		if len(got.Suites) != 1 {
			t.Fatalf("got %d suites, want 1", len(got.Suites))
		}
		seen := map[string]int{}
		for _, tc := range got.Suites[0].Testcases {
			seen[tc.Name]++
		}
		if len(got.Suites[0].Testcases) != len(set.Runs) {
			t.Errorf("got %d cases for %d runs", len(got.Suites[0].Testcases), len(set.Runs))
		}
		for _, r := range set.Runs {
			if n := seen[caseName(r)]; n != 1 {
				t.Errorf("run %q appears %d times, want once; cases: %v", caseName(r), n, seen)
			}
		}
	})
}
