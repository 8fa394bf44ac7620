package summary

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/reporttest"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

var update = testutil.UpdateFlag()

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	reporttest.Golden(t, ".golden.md", *update, func(t *testing.T, set result.Set) []byte {
		got := Render(set, Options{})
		checkTable(t, got)
		return []byte(got)
	})
}

func TestRenderHeading(t *testing.T) {
	t.Parallel()
	pass := result.Run{BlueprintID: 1, Verdict: result.Passed}
	fail := result.Run{BlueprintID: 2, Verdict: result.Failed}
	lost := result.Run{BlueprintID: 3, Verdict: result.Error}
	nbFail := result.Run{BlueprintID: 4, Verdict: result.Failed, NonBlocking: true}
	cases := []struct {
		name string
		runs []result.Run
		want string
	}{
		{"none", nil, "## ⚠️ DocketQA: no verdict, no test runs were reported\n"},
		{"one pass", []result.Run{pass}, "## ✅ DocketQA: 1 run passed\n"},
		{"all pass", []result.Run{pass, pass}, "## ✅ DocketQA: all 2 runs passed\n"},
		{"non-blocking", []result.Run{pass, nbFail}, "## ✅ DocketQA: passed with 1 non-blocking failure (2 runs)\n"},
		{"failure wins", []result.Run{pass, lost, fail, nbFail}, "## ❌ DocketQA: 1 of 4 runs failed\n"},
		{"one of one", []result.Run{fail}, "## ❌ DocketQA: 1 of 1 run failed\n"},
		{"no verdict", []result.Run{pass, lost, lost, nbFail}, "## ⚠️ DocketQA: no verdict for 2 of 4 runs\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Render(result.Set{GroupRunID: 9, Runs: tc.runs}, Options{})
			if heading, _, _ := strings.Cut(got, "\n"); heading+"\n" != tc.want {
				t.Errorf("heading = %q, want %q", heading, tc.want)
			}
		})
	}
}

// TestRenderCause checks that the cause of missing verdicts and its
// advice head the summary when no run failed, escaped like any other
// text, and are left out when a failure is the news or no cause is known.
func TestRenderCause(t *testing.T) {
	t.Parallel()
	pass := result.Run{BlueprintID: 1, Verdict: result.Passed}
	fail := result.Run{BlueprintID: 2, Verdict: result.Failed}
	lost := result.Run{BlueprintID: 3, Verdict: result.Error}
	const key = "DocketQA refused the API key (HTTP 401)"
	cases := []struct {
		name            string
		runs            []result.Run
		cause, advice   string
		heading, advise string // advise: the line after the heading, "" for none
	}{
		{"refused key", []result.Run{lost, lost}, key, "check DOCKETQA_API_KEY",
			"## ⚠️ DocketQA: no verdict for 2 of 2 runs: " + key, `**What to do:** check DOCKETQA\_API\_KEY`},
		{"deadline with a pass", []result.Run{pass, lost}, "the deadline of 2s passed", "raise --timeout",
			"## ⚠️ DocketQA: no verdict for 1 of 2 runs: the deadline of 2s passed", "**What to do:** raise --timeout"},
		{"cause without advice", []result.Run{lost}, "the gate was interrupted", "",
			"## ⚠️ DocketQA: no verdict for 1 of 1 run: the gate was interrupted", ""},
		{"advice without a cause is not shown", []result.Run{lost}, "", "raise --timeout",
			"## ⚠️ DocketQA: no verdict for 1 of 1 run", ""},
		{"a failure is the headline", []result.Run{fail, lost}, key, "check the key",
			"## ❌ DocketQA: 1 of 2 runs failed", ""},
		{"all passed", []result.Run{pass}, key, "check the key", "## ✅ DocketQA: 1 run passed", ""},
		{"hostile cause", []result.Run{lost}, "could not reach <b>x</b>\n## forged | row", "**bold**\n\n# forged",
			// One line: "##" mid-line starts no heading, "|" no cell.
			`## ⚠️ DocketQA: no verdict for 1 of 1 run: could not reach &lt;b&gt;x&lt;/b&gt; ## forged \| row`,
			`**What to do:** \*\*bold\*\* # forged`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Render(result.Set{GroupRunID: 9, Runs: tc.runs}, Options{Cause: tc.cause, Advice: tc.advice})
			heading, rest, _ := strings.Cut(got, "\n")
			if heading != tc.heading {
				t.Errorf("heading = %q, want %q", heading, tc.heading)
			}
			next, _, _ := strings.Cut(strings.TrimPrefix(rest, "\n"), "\n")
			switch {
			case tc.advise == "" && strings.HasPrefix(next, "**What to do:**"):
				t.Errorf("unexpected advice line %q", next)
			case tc.advise != "" && next != tc.advise:
				t.Errorf("line after the heading = %q, want %q", next, tc.advise)
			}
		})
	}
}

func TestRenderOrder(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		want []string
	}{
		{"mixed", []string{"Fails last", "Times out", "Optional check", "Flaky but fine", "Passes first"}},
		{"fail_fast", []string{"Checkout", "Search", "blueprint 1005", "Experimental export", "Log in"}},
	}
	for _, tc := range cases {
		var got []string
		for _, line := range tableRows(Render(reporttest.Named(t, tc.name), Options{})) {
			cells := strings.Split(line, " | ")
			got = append(got, strings.SplitN(cells[1], " (blueprint", 2)[0])
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: row order = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	failedTwice := []result.Attempt{{Verdict: result.Failed}, {Verdict: result.Failed}}
	notAwaited := "not awaited (fail-fast)"
	cases := []struct {
		name string
		run  result.Run
		want string
	}{
		{"passed", result.Run{Verdict: result.Passed, Attempts: 1}, "✅ passed"},
		{"flaky by flag", result.Run{Verdict: result.Passed, Flaky: true, Attempts: 2}, "🔁 passed (flaky, 2 attempts)"},
		{"flaky by attempts", result.Run{Verdict: result.Passed, Attempts: 1, Earlier: failedTwice}, "🔁 passed (flaky, 3 attempts)"},
		{"failed once", result.Run{Verdict: result.Failed, Attempts: 1}, "❌ failed"},
		{"failed after reruns", result.Run{Verdict: result.Failed, Attempts: 3, Earlier: failedTwice}, "❌ failed after 3 attempts"},
		{"failed after unlisted attempts", result.Run{Verdict: result.Failed, Attempts: 2}, "❌ failed after 2 attempts"},
		{"no verdict", result.Run{Verdict: result.Error}, "⚠️ no verdict"},
		{"no verdict after a failure", result.Run{Verdict: result.Error, Attempts: 2, Earlier: failedTwice[:1]}, "⚠️ no verdict after 2 attempts"},
		{"not awaited", result.Run{Verdict: result.Error, Reason: notAwaited, NotAwaited: true, Attempts: 1}, "⏭️ not awaited"},
		{"non-blocking failure", result.Run{Verdict: result.Failed, NonBlocking: true}, "🟡 failed (non-blocking)"},
		{"non-blocking after reruns", result.Run{Verdict: result.Failed, NonBlocking: true, Attempts: 3, Earlier: failedTwice}, "🟡 failed after 3 attempts (non-blocking)"},
		{"non-blocking no verdict", result.Run{Verdict: result.Error, NonBlocking: true}, "🟡 no verdict (non-blocking)"},
		{"non-blocking not awaited", result.Run{Verdict: result.Error, NonBlocking: true, Reason: notAwaited, NotAwaited: true}, "⏭️ not awaited (non-blocking)"},
		{"non-blocking flaky", result.Run{Verdict: result.Passed, NonBlocking: true, Attempts: 2, Flaky: true}, "🔁 passed (flaky, 2 attempts)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := status(tc.run); got != tc.want {
				t.Errorf("status() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRenderCountsNotAwaited(t *testing.T) {
	t.Parallel()
	notAwaited := "not awaited (fail-fast)"
	set := result.Set{Runs: []result.Run{
		{BlueprintID: 1, Verdict: result.Failed},
		{BlueprintID: 2, Verdict: result.Error, Reason: notAwaited, NotAwaited: true},
		{BlueprintID: 3, Verdict: result.Error, Reason: notAwaited, NotAwaited: true, NonBlocking: true},
		{BlueprintID: 4, Verdict: result.Error, Reason: "no result within 30m"},
	}}
	want := "\n**0** passed · **1** failed · **1** no verdict · **1** not awaited · **0** flaky · **1** non-blocking failure\n"
	if got := Render(set, Options{}); !strings.Contains(got, want) {
		t.Errorf("counts line missing %q:\n%s", want, got)
	}
	set.Runs = set.Runs[:1]
	if got := Render(set, Options{}); strings.Contains(got, "not awaited") {
		t.Errorf("a run without not-awaited runs mentions them:\n%s", got)
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", maxCellRunes+5)
	cases := []struct{ name, in, want string }{
		{"plain", "Log in", "Log in"},
		{"pipe and backslash", `a|b\|c\`, `a\|b\\\|c\\`},
		{"html", `<img src=x onerror=alert(1)> & &lt;`, `&lt;img src=x onerror=alert(1)&gt; &amp; &amp;lt;`},
		{"markdown", "`code` [l](javascript:x) *b* _i_ ~s~ $m$", "\\`code\\` \\[l\\](javascript:x) \\*b\\* \\_i\\_ \\~s\\~ \\$m\\$"},
		{"newlines collapse", "a\r\n\r\nb\tc\u2028d  e\u0085f", "a b c d e f"},
		{"trim", "  \n padded \t ", "padded"},
		{"controls", "a\x00b\x1bc\x7fd\u0090e", "abcde"},
		{"bidi", "abc\u202Efed\u2066x\u2069", "abcfedx"},
		{"noncharacters", "a\uFFFEb\uFFFFc\uFDD0d\U0010FFFFe", "abcde"},
		{"invalid utf8", "a\xff\xfeb", "a\uFFFDb"},
		{"emoji kept", "🧪 👩‍💻", "🧪 👩‍💻"},
		{"block syntax stays inline", "\n# h\n> q\n- i\n|---|", `# h &gt; q - i \|---\|`},
		{"truncated", long, strings.Repeat("é", maxCellRunes) + "…"},
		{"exact length not truncated", long[:2*maxCellRunes], long[:2*maxCellRunes]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := text(tc.in); got != tc.want {
				t.Errorf("text(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLinkDestination(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"https://cdn.example/v.mp4", "https://cdn.example/v.mp4", true},
		{" HTTP://cdn.example/v.mp4 ", "HTTP://cdn.example/v.mp4", true},
		{"https://cdn.example/a (1).mp4", "https://cdn.example/a%20%281%29.mp4", true},
		{"https://cdn.example/x)](javascript:alert(1))", "https://cdn.example/x%29]%28javascript:alert%281%29%29", true},
		{"https://cdn.example/a|b?q=<s>&copy=\"1\"", `https://cdn.example/a%7Cb?q=%3Cs%3E\&copy=%221%22`, true},
		{"https://cdn.example/ü\\`", "https://cdn.example/%C3%BC%5C%60", true},
		{"https://cdn.example/%20ok", "https://cdn.example/%20ok", true},
		{"http://[::1]:8080/x", "http://[::1]:8080/x", true},
		{"javascript:alert(1)", "", false},
		{"data:text/html,<b>", "", false},
		{"ftp://cdn.example/v.mp4", "", false},
		{"//cdn.example/v.mp4", "", false},
		{"/relative/v.mp4", "", false},
		{"http://", "", false},
		{"", "", false},
		{"https://cdn.example/\x00", "", false},
		{"https://cdn.example/" + strings.Repeat("a", maxURLBytes), "", false},
	}
	for _, tc := range cases {
		got, ok := linkDestination(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("linkDestination(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRenderLinks(t *testing.T) {
	t.Parallel()
	set := result.Set{
		GroupRunID: 35, GroupRunURL: "javascript:alert(1)",
		Runs: []result.Run{
			{BlueprintID: 1, Verdict: result.Failed, VideoURL: "https://cdn.example/v.mp4"},
			{BlueprintID: 2, Verdict: result.Failed, VideoURL: "javascript:alert(1)"},
		},
	}
	got := Render(set, Options{})
	if strings.Contains(got, "javascript") {
		t.Errorf("non-http URL leaked into the summary:\n%s", got)
	}
	if !strings.Contains(got, "\nGroup run 35 · elapsed 0s\n") {
		t.Errorf("group run without a usable URL should be plain text:\n%s", got)
	}
	rows := tableRows(got)
	if len(rows) != 2 || !strings.HasSuffix(rows[0], " | [video](https://cdn.example/v.mp4) |") || !strings.HasSuffix(rows[1], " | — |") {
		t.Errorf("video cells wrong:\n%s", strings.Join(rows, "\n"))
	}
}

func TestRenderSizeCap(t *testing.T) {
	t.Parallel()
	const n = 20000
	runs := make([]result.Run, n)
	for i := range runs {
		runs[i] = result.Run{
			BlueprintID: int64(i + 1), RunID: int64(100000 + i), Title: fmt.Sprintf("Regression check number %d for the docket search", i),
			Verdict: result.Passed, Duration: time.Duration(i) * time.Millisecond,
			VideoURL: fmt.Sprintf("https://cdn.docketqa.example/runs/%d/video.mp4", 100000+i),
		}
	}
	runs[n-1].Verdict = result.Failed // sorts first although it comes last
	set := result.Set{GroupRunID: 1, Runs: runs}

	cases := []struct {
		name  string
		opt   Options
		limit int
	}{
		{"default", Options{}, DefaultMaxBytes},
		{"custom", Options{MaxBytes: 64 << 10}, 64 << 10},
		{"raised to minimum", Options{MaxBytes: 10}, MinMaxBytes},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Render(set, tc.opt)
			if len(got) > tc.limit {
				t.Fatalf("output is %d bytes, limit %d", len(got), tc.limit)
			}
			if len(got) < tc.limit*9/10 {
				t.Errorf("output is %d bytes, wasting most of the %d byte limit", len(got), tc.limit)
			}
			rows := tableRows(got)
			if len(rows) == 0 || !strings.Contains(rows[0], "blueprint 20000") {
				t.Fatalf("the failed run must come first; rows: %d", len(rows))
			}
			want := fmt.Sprintf("\n\n… and %d more runs (see the JUnit report)\n", n-len(rows))
			if !strings.HasSuffix(got, want) {
				t.Errorf("output does not end with %q:\n…%s", want, got[len(got)-200:])
			}
			checkTable(t, got)
		})
	}
}

func TestRenderFitsExactly(t *testing.T) {
	t.Parallel()
	runs := make([]result.Run, 200)
	for i := range runs {
		runs[i] = result.Run{BlueprintID: int64(i), Title: strings.Repeat("x", 100), Verdict: result.Passed}
	}
	set := result.Set{Runs: runs}
	full := Render(set, Options{})
	if strings.Contains(full, "more run") {
		t.Fatalf("unexpected cut-off:\n%s", full)
	}
	// With exactly enough room, the last row needs no reserve for the
	// "more runs" line and must still be written.
	if got := Render(set, Options{MaxBytes: len(full)}); got != full {
		t.Errorf("limit equal to the full size cut the output to %d of %d bytes", len(got), len(full))
	}
	got := Render(set, Options{MaxBytes: len(full) - 1})
	if len(got) >= len(full) || !strings.HasSuffix(got, "\n\n… and 1 more run (see the JUnit report)\n") {
		t.Errorf("one byte less must cut rows; got %d bytes:\n…%s", len(got), got[len(got)-120:])
	}
}

// tableRows returns the data rows of the table in out: the lines after the
// header and delimiter rows, up to the first line that is not a row.
func tableRows(out string) []string {
	_, table, found := strings.Cut(out, tableHeader)
	if !found {
		return nil
	}
	var rows []string
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		rows = append(rows, line)
	}
	return rows
}

// checkTable asserts the structural invariants every summary must keep.
func checkTable(t *testing.T, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("output is not valid UTF-8")
	}
	if strings.Contains(out, "<") {
		t.Errorf("output contains a raw '<'")
	}
	for i, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		if got := unescapedPipes(line); got != 6 {
			t.Errorf("line %d has %d cell separators, want 6: %q", i+1, got, line)
		}
	}
}

// unescapedPipes counts the pipes that GFM treats as cell separators: those
// not preceded by an odd number of backslashes.
func unescapedPipes(line string) int {
	n, backslashes := 0, 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			backslashes++
			continue
		case '|':
			if backslashes%2 == 0 {
				n++
			}
		}
		backslashes = 0
	}
	return n
}
