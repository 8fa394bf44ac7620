package junit

import (
	"bytes"
	"encoding/xml"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/reporttest"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

func FuzzWrite(f *testing.F) {
	f.Add("Log in", "no result within 30m; last status running", "Click login", "Button not found", "https://cdn.example/v.mp4")
	f.Add("]]>", "<![CDATA[", "]]]]>", "<b>&amp;</b>", "javascript:alert(1)")
	f.Add("\x00\x01\x1b", "\uFFFE\uFFFF", "\xff\xfe", "\r\n\t", "")
	f.Add("🧪 👩‍💻 \u202E", "a\u2028b", "x (blueprint 2)", "step 1: x", "http://[::1]/")
	f.Add("[[ATTACHMENT|/etc/passwd]]", "[[[ATTACHMENT|a]]]", "[\x00[ATTACHMENT|b]]", "[[attachment|c]]", "https://x/[[ATTACHMENT|d]]")
	f.Fuzz(func(t *testing.T, title, reason, task, stepResult, url string) {
		steps := []result.Step{
			{Number: 1, Task: task, OK: true, Result: stepResult, Screenshots: []string{url}},
			{Number: 2, Task: task, Result: stepResult, Duration: time.Second},
		}
		earlier := []result.Attempt{
			{Status: reason, Verdict: result.Failed, Reason: reason, VideoURL: url},
			{Rerun: true, RunID: 20, Status: stepResult, Verdict: result.Error, Reason: task, VideoURL: url},
			{Verdict: result.Outcome(reason)},
		}
		set := result.Set{
			GroupRunID: 1, GroupRunName: title, GroupRunURL: url,
			Started: time.Unix(0, 0), Elapsed: time.Minute,
			Runs: []result.Run{
				{BlueprintID: 1, RunID: 11, Title: title, Status: reason, Verdict: result.Failed, Reason: reason, Steps: steps, VideoURL: url,
					Attempts: 4, Earlier: earlier},
				{BlueprintID: 2, RunID: 12, Title: title, Verdict: result.Error, Reason: reason, Steps: steps},
				{BlueprintID: 3, Title: title, Verdict: result.Failed, NonBlocking: true, Reason: reason, Earlier: earlier[:1]},
				{BlueprintID: 4, RunID: 14, Title: title, Verdict: result.Passed, Flaky: true, Attempts: 2, Steps: steps[:1], Earlier: earlier},
				{BlueprintID: 5, RunID: 15, Title: title, Verdict: result.Outcome(reason), Reason: reason, Duration: -time.Second},
			},
		}

		// The first two cases carry one saved file each: exactly two
		// attachment lines may come out, however the API text is made.
		set.Runs[0].Artifacts = []result.Artifact{{Kind: result.ShotAfter, Step: 2, Path: "artifacts/1-11/1-11-step2-after.png"}}
		set.Runs[1].Artifacts = []result.Artifact{{Kind: result.Video, Path: "artifacts/2-12/2-12-video.webm"}}
		var buf bytes.Buffer
		if err := Write(&buf, reporttest.Judge(set)); err != nil {
			t.Fatalf("Write: %v", err)
		}
		if n := strings.Count(buf.String(), "[[ATTACHMENT|"); n != 2 {
			t.Errorf("%d attachment markers in the report, want the 2 the gate wrote", n)
		}
		var got report
		if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("output is not well-formed XML: %v\n%q", err, buf.String())
		}
		if len(got.Suites) != 1 {
			t.Fatalf("got %d suites, want 1", len(got.Suites))
		}
		seen := map[string]int{}
		attempts := 0
		for _, tc := range got.Suites[0].Testcases {
			seen[tc.Name]++
			attempts += len(tc.FlakyFailures) + len(tc.FlakyErrors) + len(tc.RerunFailures) + len(tc.RerunErrors)
			for _, a := range slices.Concat(tc.FlakyFailures, tc.FlakyErrors, tc.RerunFailures, tc.RerunErrors) {
				if a.Type == "" || !strings.HasPrefix(a.Message, "attempt ") {
					t.Errorf("attempt element without type or label: %+v", a)
				}
			}
		}
		want := 0
		for _, r := range set.Runs {
			want += len(r.Earlier)
		}
		if attempts != want {
			t.Errorf("got %d attempt elements for %d earlier attempts", attempts, want)
		}
		var failures, errors, skipped int
		for _, tc := range got.Suites[0].Testcases {
			failures += btoi(tc.Failure != nil)
			errors += btoi(tc.Error != nil)
			skipped += btoi(tc.Skipped != nil)
		}
		if s := got.Suites[0]; s.Tests != len(set.Runs) || s.Failures != failures || s.Errors != errors || s.Skipped != skipped ||
			failures < 1 || failures+errors+skipped > s.Tests {
			t.Errorf("counts tests/failures/errors/skipped = %d/%d/%d/%d; elements %d/%d/%d",
				s.Tests, s.Failures, s.Errors, s.Skipped, failures, errors, skipped)
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

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
