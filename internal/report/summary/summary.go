// Package summary renders the gate's result set as GitHub-flavoured Markdown
// for people: the job summary on GitHub, or a Markdown artifact elsewhere.
// It is a pure renderer of the Judge's result.Verdict: the kinds, the
// tally and the problems are the Judge's. Every string from the API or a
// blueprint title is untrusted, so it is brought onto one line and escaped
// before it reaches the output, and only http(s) URLs ever become links.
package summary

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/describe"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/text"
)

const (
	// DefaultMaxBytes leaves headroom below GitHub's 1 MiB step summary
	// limit, beyond which the runner drops the whole summary.
	DefaultMaxBytes = 900 << 10
	// MinMaxBytes is the smallest honoured limit: enough for the heading,
	// the table header, a few rows and the "more runs" line.
	MinMaxBytes = 16 << 10

	// maxCellBytes keeps one long API message from dominating the table.
	maxCellBytes = 600
	// maxURLBytes bounds a link so a row's size stays predictable; longer
	// URLs are left out rather than cut, since a cut URL points nowhere.
	maxURLBytes = 2048
)

// Options tunes Render.
type Options struct {
	// MaxBytes caps the size of the output. 0 means DefaultMaxBytes; values
	// below MinMaxBytes are raised to MinMaxBytes.
	MaxBytes int
	// Notes are lines shown under the heading, such as which policies a
	// config file set; each is escaped and cut like any table cell.
	Notes []string
	// Cause names why runs got no verdict, when one reason explains them
	// ("DocketQA refused the API key (HTTP 401)"), and Advice what to do
	// about it. When no run failed, the headline names the cause and the
	// advice follows it; "no verdict for 2 of 2 runs" alone helps nobody.
	Cause, Advice string
}

const tableHeader = "| Status | Test | Duration | Failing step & reason | Video |\n" +
	"| --- | --- | --- | --- | --- |\n"

// Render returns the Markdown summary of v: a verdict heading, the counts,
// the group run link and a table with the runs that need attention first.
// Rows that would push the output past the size cap are replaced by one
// line pointing to the JUnit report.
func Render(v result.Verdict, opt Options) string {
	limit := opt.MaxBytes
	if limit == 0 {
		limit = DefaultMaxBytes
	}
	limit = max(limit, MinMaxBytes)

	var b strings.Builder
	writeHeading(&b, v, opt)
	for _, n := range opt.Notes {
		if t := cell(n); t != "" {
			b.WriteString("\n" + t + "\n")
		}
	}
	if len(v.Runs) == 0 {
		return b.String()
	}

	b.WriteString("\n")
	b.WriteString(tableHeader)
	order := ordered(v.Runs)
	// Room for the "more runs" line is kept free while rows remain, so the
	// cut-off never has to take back a row already written.
	reserve := len(moreRuns(len(order)))
	for i, idx := range order {
		row := tableRow(v.Runs[idx])
		need := len(row)
		if i < len(order)-1 {
			need += reserve
		}
		if b.Len()+need > limit {
			b.WriteString(moreRuns(len(order) - i))
			break
		}
		b.WriteString(row)
	}
	return b.String()
}

// writeHeading renders the verdict's word (failed ❌, error ⚠️, passed ✅)
// and its counts; without a verdict, the cause and its advice.
func writeHeading(b *strings.Builder, v result.Verdict, opt Options) {
	s, c := v.Set, v.Tally
	switch {
	case c.Total == 0:
		b.WriteString("## ⚠️ DocketQA: no verdict, no test runs were reported\n")
	case v.Outcome == result.Failed:
		fmt.Fprintf(b, "## ❌ DocketQA: %d of %s failed\n", c.Failed, plural(c.Total, "run", "runs"))
	case v.Outcome != result.Passed && c.NoVerdict+c.NotAwaited > 0:
		fmt.Fprintf(b, "## ⚠️ DocketQA: no verdict for %d of %s", c.NoVerdict+c.NotAwaited, plural(c.Total, "run", "runs"))
		writeCause(b, opt)
	case v.Outcome != result.Passed:
		// Every run has its word, but the gate does not: it was
		// interrupted, its key refused, or a report not written.
		fmt.Fprintf(b, "## ⚠️ DocketQA: no verdict (%s)", plural(c.Total, "run", "runs"))
		writeCause(b, opt)
	case c.NonBlockingFailed > 0:
		fmt.Fprintf(b, "## ✅ DocketQA: passed with %s (%s)\n",
			plural(c.NonBlockingFailed, "non-blocking failure", "non-blocking failures"), plural(c.Total, "run", "runs"))
	case c.Total == 1:
		b.WriteString("## ✅ DocketQA: 1 run passed\n")
	default:
		fmt.Fprintf(b, "## ✅ DocketQA: all %d runs passed\n", c.Total)
	}

	// Runs that fail-fast stopped waiting for get their own count: people
	// read "no verdict" as trouble, and these may well have passed.
	fmt.Fprintf(b, "\n**%d** passed · **%d** failed · **%d** no verdict", c.Passed, c.Failed, c.NoVerdict)
	if c.NotAwaited > 0 {
		fmt.Fprintf(b, " · **%d** not awaited", c.NotAwaited)
	}
	fmt.Fprintf(b, " · **%d** flaky · **%d** non-blocking %s\n",
		c.Flaky, c.NonBlockingFailed, pluralWord(c.NonBlockingFailed, "failure", "failures"))

	b.WriteString("\n")
	if s.GroupRunID != 0 {
		b.WriteString(link(fmt.Sprintf("Group run %d", s.GroupRunID), s.GroupRunURL))
		if name := cell(s.GroupRunName); name != "" {
			b.WriteString(": ")
			b.WriteString(name)
		}
	} else {
		b.WriteString("No group run was triggered")
	}
	fmt.Fprintf(b, " · elapsed %s\n", describe.Duration(s.Elapsed))
}

// Table groups, in the order people should read them.
const (
	rankFailed = iota
	rankNoVerdict
	rankNotAwaited
	rankNonBlocking
	rankFlaky
	rankPassed
	numRanks
)

// rank is the table group of r: its kind, with flaky passes set apart.
func rank(r result.Judged) int {
	switch r.Kind {
	case result.KindPassed:
		if r.Flaky {
			return rankFlaky
		}
		return rankPassed
	case result.KindNonBlocking:
		return rankNonBlocking
	case result.KindFailed:
		return rankFailed
	case result.KindNotAwaited:
		return rankNotAwaited
	default:
		return rankNoVerdict
	}
}

// ordered returns the indexes of runs grouped by rank, keeping input order
// within a group. Bucketing keeps it linear for tens of thousands of runs.
func ordered(runs []result.Judged) []int {
	var buckets [numRanks][]int
	for i, r := range runs {
		k := rank(r)
		buckets[k] = append(buckets[k], i)
	}
	order := make([]int, 0, len(runs))
	for _, bucket := range buckets {
		order = append(order, bucket...)
	}
	return order
}

func tableRow(r result.Judged) string {
	duration := "—"
	if r.Duration > 0 {
		duration = describe.Duration(r.Duration)
	}
	problem := cell(r.Problem)
	// The recent record shares the reason's cell: it answers the reader's
	// next question about that reason (new, ongoing or flaky?).
	if rec := r.Recent.String(); rec != "" {
		if problem != "" {
			problem += " · "
		}
		problem += cell(rec)
	}
	if problem == "" {
		problem = "—"
	}
	video := "—"
	if dest, ok := linkDestination(r.VideoURL); ok {
		video = "[video](" + dest + ")"
	}
	if saved := savedFiles(r.Run); saved != "" {
		if video == "—" {
			video = saved
		} else {
			video += " · " + saved
		}
	}
	return "| " + status(r) + " | " + testName(r.Run) + " | " + duration + " | " + problem + " | " + video + " |\n"
}

// savedFiles names the evidence saved for r (--artifacts-dir) next to the
// links, which expire: "saved: path, path". The paths are plain text, since
// they are files in the job's artifacts, not URLs a reader could open.
func savedFiles(r result.Run) string {
	if len(r.Artifacts) == 0 {
		return ""
	}
	paths := make([]string, len(r.Artifacts))
	for i, a := range r.Artifacts {
		paths[i] = cell(a.Path)
	}
	return "saved: " + strings.Join(paths, ", ")
}

func status(r result.Judged) string {
	switch rank(r) {
	case rankFailed:
		return "❌ failed" + afterAttempts(r.Run)
	case rankNoVerdict:
		return "⚠️ no verdict" + afterAttempts(r.Run)
	case rankNotAwaited:
		return "⏭️ not awaited"
	case rankNonBlocking:
		// Yellow, not the ⚠️ of "no verdict": these runs are known and
		// accepted trouble, and must not read as a reason to look twice.
		switch {
		case r.Verdict == result.Failed:
			return "🟡 failed" + afterAttempts(r.Run) + " (non-blocking)"
		case r.NotAwaited:
			return "⏭️ not awaited (non-blocking)"
		default:
			return "🟡 no verdict" + afterAttempts(r.Run) + " (non-blocking)"
		}
	case rankFlaky:
		return fmt.Sprintf("🔁 passed (flaky, %s)", plural(describe.Attempts(r.Run), "attempt", "attempts"))
	default:
		return "✅ passed"
	}
}

// afterAttempts tells a reader that a run which did not pass was tried
// more than once, by DocketQA's retries or the gate's reruns, so the
// failure is not a one-off.
func afterAttempts(r result.Run) string {
	if n := describe.Attempts(r); n > 1 {
		return fmt.Sprintf(" after %d attempts", n)
	}
	return ""
}

// testName is r.Name() built from the flattened, shortened title, so the
// blueprint id that makes the name unique survives any truncation.
func testName(r result.Run) string {
	r.Title = text.Line(r.Title, maxCellBytes)
	return escape(r.Name())
}

func moreRuns(n int) string {
	return fmt.Sprintf("\n… and %d more %s (see the JUnit report)\n", n, pluralWord(n, "run", "runs"))
}

func plural(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, pluralWord(n, one, many))
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// cell turns untrusted text into safe inline Markdown for one table cell:
// one bounded line (text.Line), escaped for Markdown.
func cell(s string) string {
	return escape(text.Line(s, maxCellBytes))
}

// escape neutralises the Markdown and HTML syntax a single-line text could
// carry: pipes that would split the cell, backslashes that would escape our
// escapes, HTML tags and entities, code spans, links, emphasis,
// strikethrough and GitHub's $math$.
func escape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '|', '`', '[', ']', '*', '_', '~', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// link returns a Markdown link to rawURL labelled label, or the plain label
// when rawURL is not a usable http(s) URL. The label is trusted (ours).
func link(label, rawURL string) string {
	dest, ok := linkDestination(rawURL)
	if !ok {
		return label
	}
	return "[" + label + "](" + dest + ")"
}

// linkDestination accepts only absolute http(s) URLs and encodes every byte
// that could end the destination, the link or the table cell early:
// parentheses, spaces, pipes, angle brackets, quotes, backslashes and
// non-ASCII bytes are percent-encoded; "&" is backslash-escaped because
// Markdown would otherwise decode entities such as "&copy" in the query.
func linkDestination(rawURL string) (string, bool) {
	rawURL = strings.TrimSpace(rawURL)
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(rawURL); i++ {
		c := rawURL[i]
		switch {
		case c == '&':
			b.WriteString(`\&`)
		case isURLSafe(c):
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	if b.Len() > maxURLBytes {
		return "", false
	}
	return b.String(), true
}

func isURLSafe(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	default:
		return strings.IndexByte("-._~:/?#[]@!$'*+,;=%", c) >= 0
	}
}

// writeCause ends the headline with the cause, when one reason explains
// the missing verdicts, and adds its advice below: "no verdict for 2 of 2
// runs" alone helps nobody.
func writeCause(b *strings.Builder, opt Options) {
	cause := cell(opt.Cause)
	if cause != "" {
		b.WriteString(": " + cause)
	}
	b.WriteString("\n")
	if advice := cell(opt.Advice); advice != "" && cause != "" {
		b.WriteString("\n**What to do:** " + advice + "\n")
	}
}
