// Package summary renders the gate's result set as GitHub-flavoured Markdown
// for people: the job summary on GitHub, or a Markdown artifact elsewhere.
// It is a pure function of result.Set. Every string from the API or a
// blueprint title is untrusted, so it is flattened to one line and escaped
// before it reaches the output, and only http(s) URLs ever become links.
package summary

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/describe"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

const (
	// DefaultMaxBytes leaves headroom below GitHub's 1 MiB step summary
	// limit, beyond which the runner drops the whole summary.
	DefaultMaxBytes = 900 << 10
	// MinMaxBytes is the smallest honoured limit: enough for the heading,
	// the table header, a few rows and the "more runs" line.
	MinMaxBytes = 16 << 10

	// maxCellRunes keeps one long API message from dominating the table.
	maxCellRunes = 300
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

// Render returns the Markdown summary of s: a verdict heading, the counts,
// the group run link and a table with the runs that need attention first.
// Rows that would push the output past the size cap are replaced by one
// line pointing to the JUnit report.
func Render(s result.Set, opt Options) string {
	limit := opt.MaxBytes
	if limit == 0 {
		limit = DefaultMaxBytes
	}
	limit = max(limit, MinMaxBytes)

	var b strings.Builder
	c := s.Tally()
	writeHeading(&b, s, c, opt)
	for _, n := range opt.Notes {
		if t := text(n); t != "" {
			b.WriteString("\n" + t + "\n")
		}
	}
	if len(s.Runs) == 0 {
		return b.String()
	}

	b.WriteString("\n")
	b.WriteString(tableHeader)
	order := ordered(s.Runs)
	// Room for the "more runs" line is kept free while rows remain, so the
	// cut-off never has to take back a row already written.
	reserve := len(moreRuns(len(order)))
	for i, idx := range order {
		row := tableRow(s.Runs[idx])
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

func writeHeading(b *strings.Builder, s result.Set, c result.Tally, opt Options) {
	switch {
	case c.Total == 0:
		b.WriteString("## ⚠️ DocketQA: no verdict, no test runs were reported\n")
	case c.Failed > 0:
		fmt.Fprintf(b, "## ❌ DocketQA: %d of %s failed\n", c.Failed, plural(c.Total, "run", "runs"))
	case c.NoVerdict+c.NotAwaited > 0:
		fmt.Fprintf(b, "## ⚠️ DocketQA: no verdict for %d of %s", c.NoVerdict+c.NotAwaited, plural(c.Total, "run", "runs"))
		if cause := text(opt.Cause); cause != "" {
			b.WriteString(": " + cause)
		}
		b.WriteString("\n")
		if advice := text(opt.Advice); advice != "" && text(opt.Cause) != "" {
			b.WriteString("\n**What to do:** " + advice + "\n")
		}
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
		if name := text(s.GroupRunName); name != "" {
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

func rank(r result.Run) int {
	switch {
	case describe.Flaky(r):
		return rankFlaky
	case r.Verdict == result.Passed:
		return rankPassed
	case r.NonBlocking:
		return rankNonBlocking
	case r.Verdict == result.Failed:
		return rankFailed
	case describe.NotAwaited(r):
		return rankNotAwaited
	default:
		return rankNoVerdict
	}
}

// ordered returns the indexes of runs grouped by rank, keeping input order
// within a group. Bucketing keeps it linear for tens of thousands of runs.
func ordered(runs []result.Run) []int {
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

func tableRow(r result.Run) string {
	duration := "—"
	if r.Duration > 0 {
		duration = describe.Duration(r.Duration)
	}
	problem := text(describe.Problem(r))
	// The recent record shares the reason's cell: it answers the reader's
	// next question about that reason (new, ongoing or flaky?).
	if rec := r.Recent.String(); rec != "" {
		if problem != "" {
			problem += " · "
		}
		problem += text(rec)
	}
	if problem == "" {
		problem = "—"
	}
	video := "—"
	if dest, ok := linkDestination(r.VideoURL); ok {
		video = "[video](" + dest + ")"
	}
	if saved := savedFiles(r); saved != "" {
		if video == "—" {
			video = saved
		} else {
			video += " · " + saved
		}
	}
	return "| " + status(r) + " | " + testName(r) + " | " + duration + " | " + problem + " | " + video + " |\n"
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
		paths[i] = text(a.Path)
	}
	return "saved: " + strings.Join(paths, ", ")
}

func status(r result.Run) string {
	switch rank(r) {
	case rankFailed:
		return "❌ failed" + afterAttempts(r)
	case rankNoVerdict:
		return "⚠️ no verdict" + afterAttempts(r)
	case rankNotAwaited:
		return "⏭️ not awaited"
	case rankNonBlocking:
		// Yellow, not the ⚠️ of "no verdict": these runs are known and
		// accepted trouble, and must not read as a reason to look twice.
		switch {
		case r.Verdict == result.Failed:
			return "🟡 failed" + afterAttempts(r) + " (non-blocking)"
		case describe.NotAwaited(r):
			return "⏭️ not awaited (non-blocking)"
		default:
			return "🟡 no verdict" + afterAttempts(r) + " (non-blocking)"
		}
	case rankFlaky:
		return fmt.Sprintf("🔁 passed (flaky, %s)", plural(describe.Attempts(r), "attempt", "attempts"))
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
	r.Title = flatten(r.Title, maxCellRunes)
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

// text turns untrusted text into safe inline Markdown for one table cell.
func text(s string) string {
	return escape(flatten(s, maxCellRunes))
}

// flatten makes s a single line of at most limit runes (plus "…" when cut):
// any whitespace run, including newlines that would end a table row,
// becomes one space; control and bidi-override characters, which could hide
// or reorder text, are dropped, as are noncharacters; invalid UTF-8 becomes
// U+FFFD.
func flatten(s string, limit int) string {
	var b strings.Builder
	n := 0
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || isNoncharacter(r):
			continue
		}
		if n == limit {
			b.WriteString("…")
			break
		}
		if space && n > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// isNoncharacter reports the code points Unicode reserves for internal use;
// they render as boxes at best.
func isNoncharacter(r rune) bool {
	return r&0xFFFE == 0xFFFE || (r >= 0xFDD0 && r <= 0xFDEF)
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
