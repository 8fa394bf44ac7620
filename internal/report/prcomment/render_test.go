package prcomment

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/reporttest"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// outsideCode returns the text of a Markdown line outside its inline code
// spans, following CommonMark: a run of n backticks opens a span that the
// next run of exactly n backticks closes; an unmatched run is literal.
func outsideCode(line string) (outside string, spans []string) {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] != '`' {
			b.WriteByte(line[i])
			i++
			continue
		}
		n := 0
		for i+n < len(line) && line[i+n] == '`' {
			n++
		}
		closeAt := -1
		for j := i + n; j < len(line); {
			if line[j] != '`' {
				j++
				continue
			}
			m := 0
			for j+m < len(line) && line[j+m] == '`' {
				m++
			}
			if m == n {
				closeAt = j
				break
			}
			j += m
		}
		if closeAt < 0 {
			b.WriteString(line[i : i+n])
			i += n
			continue
		}
		content := line[i+n : closeAt]
		if len(content) > 1 && content[0] == ' ' && content[len(content)-1] == ' ' {
			content = content[1 : len(content)-1]
		}
		spans = append(spans, content)
		b.WriteString("\x00")
		i = closeAt + n
	}
	return b.String(), spans
}

// hostile texts that GitHub would act on outside a code span.
var hostile = []string{
	"@octocat please look",
	"cc @my-org/security-team",
	"fixes #123",
	"see octo/app#1 and GH-42",
	"https://evil.example/phish",
	"www.evil.example",
	"![pixel](https://evil.example/track.png)",
	"[click](https://evil.example)",
	"<img src=x onerror=alert(1)>",
	"<details><summary>hidden</summary>",
	"</details>\n\n# Heading injected\n\n- [x] task",
	"``` fence\nblock",
	"a ` b `` c ``` d",
	"`leading and trailing`",
	"<!-- docketqa-gate pr-comment workflow=CI job=e2e tag= -->",
	"| a | b |\n|---|---|",
	":+1: **bold** _em_ ~~strike~~ $x$",
	"\u202eevil\u200b@\u200dhidden",
	"line1\r\nline2\u2028line3",
}

// TestHostileTextPingsNobody: every untrusted text ends up only inside
// code spans, whole, and never outside one, so GitHub shows it and acts
// on none of it.
func TestHostileTextPingsNobody(t *testing.T) {
	t.Parallel()
	var in Input
	in.Failed, in.Headline, in.Counts = true, "❌ DocketQA: failed", "counts"
	for i, h := range hostile {
		in.Runs = append(in.Runs,
			Run{Kind: Failed, Name: h, Label: "failed", Step: h, Reason: h, Evidence: []string{h}},
			Run{Kind: Passed, Name: h + fmt.Sprint(i), Label: "passed"})
	}
	body := Render(in, Marker("CI", "e2e", ""))
	var outside strings.Builder
	spans := map[string]bool{}
	for i, line := range strings.Split(body, "\n") {
		if i == 0 {
			continue // the marker
		}
		o, s := outsideCode(line)
		outside.WriteString(o + "\n")
		for _, c := range s {
			spans[c] = true
		}
	}
	out := outside.String()
	for _, bad := range []string{"@", "#1", "#4", "GH-", "http", "www.", "![", "](", "<img", "<details><summary>hidden", "# Heading", "[x]", ":+1:", "**bold", "| a |", "```", "-->", "\u202e"} {
		if strings.Contains(out, bad) {
			t.Errorf("%q appears outside a code span:\n%s", bad, out)
		}
	}
	// The text is shown: each hostile text, flattened, is one span.
	for _, h := range hostile {
		if !spans[flatten(h)] {
			t.Errorf("%q is not shown as one code span (flattened %q)", h, flatten(h))
		}
	}
	// Structure: one details block, balanced.
	if strings.Count(out, "<details>") != 1 || strings.Count(out, "</details>") != 1 || strings.Count(out, "\n- ") != 2*len(hostile) {
		t.Errorf("the comment's own structure changed:\n%s", body)
	}
}

func TestCode(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"plain", "`plain`"},
		{"a`b", "``a`b``"},
		{"a``b`c", "```a``b`c```"},
		{"`x`", "`` `x` ``"},
		{"", "—"},
		{"  \n\t ", "—"},
	}
	for _, tc := range cases {
		if got := code(tc.in); got != tc.want {
			t.Errorf("code(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMarkerCannotBeEnded(t *testing.T) {
	t.Parallel()
	m := Marker("CI --> <b>", "e2e\n", "a b")
	if strings.Count(m, "-->") != 1 || !strings.HasSuffix(m, " -->") || strings.ContainsAny(m, "\n<b") && strings.Contains(m, "<b>") {
		t.Errorf("marker %q", m)
	}
	if Marker("CI", "e2e", "a") == Marker("CI", "e2e", "a b") || Marker("CI", "e2e", "") == Marker("CI", "e2e2", "") {
		t.Error("distinct gates share a marker")
	}
}

// TestRenderStaysWithinGitHubsLimit: thousands of failures with long
// texts still give a body within 65,536 characters that ends with the
// "… and N more" line and counts every run it left out.
func TestRenderStaysWithinGitHubsLimit(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 50, 400, 5000} {
		var in Input
		in.Failed, in.Headline, in.Counts = true, "h", "c"
		long := strings.Repeat("x@y ", 200)
		for i := range n {
			in.Runs = append(in.Runs, Run{Kind: Failed, Name: fmt.Sprint("run ", i), Label: "failed", Step: long, Reason: long, Record: "recent: passed 9 of the last 10"})
			in.Runs = append(in.Runs, Run{Kind: Passed, Name: fmt.Sprint("ok ", i), Label: "passed"})
		}
		body := Render(in, Marker("CI", "e2e", ""))
		if len(body) > MaxBody || utf8.RuneCountInString(body) > MaxBody {
			t.Errorf("%d runs: %d bytes", n, len(body))
		}
		shown := strings.Count(body, "\n- ")
		var more int
		if i := strings.Index(body, "… and "); i >= 0 {
			fmt.Sscanf(body[i:], "… and %d more", &more)
		}
		if shown+more != 2*n {
			t.Errorf("%d runs: %d shown + %d more ≠ %d", n, shown, more, 2*n)
		}
	}
}

// TestFromSet: failures first with their failing step, reason, record and
// evidence; passes collapsed; the links.
func TestFromSet(t *testing.T) {
	t.Parallel()
	set := reporttest.Named(t, "mixed")
	set.Runs[4].Artifacts = []result.Artifact{{Kind: result.ShotAfter, Step: 2, Path: "docketqa-artifacts/502/step-2.png"}}
	in := FromSet(set, set.Tally(), true, "https://github.com/octo/app/actions/runs/1")
	body := Render(in, Marker("CI", "e2e", ""))
	for _, want := range []string{
		"### ❌ DocketQA: 1 of 5 runs failed\n",
		"**2** passed · **1** failed · **1** no verdict · **1** flaky · **1** non-blocking failed",
		"[workflow run](https://github.com/octo/app/actions/runs/1) · [DocketQA group run 35](https://app.docketqa.example/group-runs/35)",
		"- ❌ `Fails last (blueprint 502)` failed\n  - failing step: `✗ step 2 (31s): Click \"Checkout\" — No button labelled Checkout was found`\n" +
			"  - reason: `step 2 failed` · new failure: passed the last 9 runs (✓✓✓✓✓✓✓✓✓✗, latest last)\n" +
			"  - evidence in the workflow run's artifacts: `docketqa-artifacts/502/step-2.png`\n",
		"- ⚠️ `Times out (blueprint 505)` no verdict\n",
		"<details><summary>2 passed</summary>",
		"- 🔁 `Flaky but fine (blueprint 503)` passed (flaky, 2 attempts) · flaky: 3 failures in the last 10",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Index(body, "Fails last") > strings.Index(body, "Optional check") || strings.Index(body, "Optional check") > strings.Index(body, "<details>") {
		t.Errorf("failures are not first:\n%s", body)
	}
}
