// Package prcomment renders the gate's results as the body of one
// pull-request comment, and keeps that one comment up to date through the
// GitHub API: found by a hidden marker among the comments of the token's
// own identity, created or updated in place, never duplicated.
//
// The renderer reads only Input, a small struct built from the results in
// one adapter (FromSet), so it depends on no other report's logic.
//
// Every text that came from the API (titles, reasons, steps) or from a
// file is untrusted: in a pull request it could mention people or teams,
// reference issues, show images, add links, or break the comment's
// structure. Such text is only ever shown inside an inline code span,
// where GitHub renders the characters and acts on none of them (no
// mention, reference, autolink, emoji, HTML or Markdown), after it is
// flattened to one bounded line; the span's backtick fence is longer than
// any backtick run in the text, so the text cannot close it.
package prcomment

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxBody is GitHub's limit on a comment's body, in characters. The body
// is kept within it counting bytes, which are never fewer.
const MaxBody = 65536

// maxText bounds one untrusted text in runes.
const maxText = 300

// Kind is how a run is shown.
type Kind int

// The kinds, in the order the comment lists them.
const (
	Failed Kind = iota
	NoVerdict
	NotAwaited
	NonBlocking
	Flaky
	Passed
)

// Run is one run as the comment shows it.
type Run struct {
	Kind Kind
	// Name is the run's display name (title and blueprint id); untrusted.
	Name string
	// Label is the gate's word for the outcome ("failed after 2
	// attempts"); trusted.
	Label string
	// Step is the failing step ("step 2: Click: not found"); untrusted,
	// empty when none.
	Step string
	// Reason says why the run did not pass; untrusted, empty when none.
	Reason string
	// Evidence are the paths of the run's saved screenshots and video;
	// untrusted (they are built from a setting).
	Evidence []string
	// Record is the run's recent record ("new failure: passed the last 9
	// runs (✓✓✗, latest last)"); trusted, empty when none.
	Record string
}

// Input is everything the comment shows.
type Input struct {
	// Failed is true when the gate did not pass (it exits non-zero).
	Failed bool
	// Headline is the gate's one-line verdict; trusted.
	Headline string
	// Counts is the line of counts; trusted.
	Counts string
	// Runs are the runs, in any order; Render puts failures first.
	Runs []Run
	// RunURL is the workflow run's page; GroupRunURL the DocketQA group
	// run's. Either may be empty; a URL that is not plain http(s) is left
	// out.
	RunURL, GroupRunURL string
	// GroupRunID numbers the group run's link.
	GroupRunID int64
}

// Marker is the hidden first line that identifies the comment of one gate:
// its workflow, job and tag, each percent-encoded so that no value can end
// the HTML comment or the line.
func Marker(workflow, job, tag string) string {
	return "<!-- docketqa-gate pr-comment workflow=" + enc(workflow) + " job=" + enc(job) + " tag=" + enc(tag) + " -->"
}

func enc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._-:/+", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Render returns the comment body: the marker, the headline and counts,
// the links, every run that did not pass with its failing step, reason,
// recent record and evidence, and the passing runs collapsed. It stays
// within MaxBody bytes; the runs that do not fit are counted in a
// "… and N more" line.
func Render(in Input, marker string) string {
	var b strings.Builder
	b.WriteString(marker + "\n")
	fmt.Fprintf(&b, "### %s\n\n%s\n", in.Headline, in.Counts)
	var links []string
	if u, ok := safeURL(in.RunURL); ok {
		links = append(links, "[workflow run]("+u+")")
	}
	if u, ok := safeURL(in.GroupRunURL); ok {
		links = append(links, fmt.Sprintf("[DocketQA group run %d](%s)", in.GroupRunID, u))
	}
	if len(links) > 0 {
		b.WriteString("\n" + strings.Join(links, " · ") + "\n")
	}

	var attention, passing []Run
	for k := Failed; k <= Passed; k++ {
		for _, r := range in.Runs {
			switch {
			case r.Kind != k:
			case k == Flaky || k == Passed:
				passing = append(passing, r)
			default:
				attention = append(attention, r)
			}
		}
	}
	footer := "\n<sub>Written by docketqa-gate; updated in place on every run of this job.</sub>\n"
	budget := MaxBody - len(footer)
	left := len(attention) + len(passing)
	more := func(n int) string { return fmt.Sprintf("\n… and %d more (see the workflow run's job summary)\n", n) }

	if len(attention) > 0 {
		b.WriteString("\n")
	}
	for _, r := range attention {
		block := attentionBlock(r)
		if b.Len()+len(block)+len(more(left)) > budget {
			b.WriteString(more(left))
			b.WriteString(footer)
			return b.String()
		}
		b.WriteString(block)
		left--
	}
	if len(passing) > 0 {
		head := fmt.Sprintf("\n<details><summary>%d passed</summary>\n\n", len(passing))
		tail := "\n</details>\n"
		if b.Len()+len(head)+len(tail)+len(more(left)) > budget {
			b.WriteString(more(left))
			b.WriteString(footer)
			return b.String()
		}
		b.WriteString(head)
		for _, r := range passing {
			line := passingLine(r)
			if b.Len()+len(line)+len(tail)+len(more(left)) > budget {
				b.WriteString(more(left))
				break
			}
			b.WriteString(line)
			left--
		}
		b.WriteString(tail)
	}
	b.WriteString(footer)
	return b.String()
}

// icon is the mark of a run kind in the comment (a switch, not a map, so
// nothing is built at start-up).
func icon(k Kind) string {
	switch k {
	case Failed:
		return "❌"
	case NoVerdict:
		return "⚠️"
	case NotAwaited:
		return "⏭️"
	case NonBlocking:
		return "🟡"
	case Flaky:
		return "🔁"
	case Passed:
		return "✅"
	}
	return ""
}

// attentionBlock is one run that did not pass: its name and outcome, then
// its failing step, its reason with its recent record, and its evidence.
func attentionBlock(r Run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- %s %s %s\n", icon(r.Kind), code(r.Name), r.Label)
	if r.Step != "" {
		b.WriteString("  - failing step: " + code(r.Step) + "\n")
	}
	reason := code(r.Reason)
	if r.Reason == "" {
		reason = "—"
	}
	if r.Record != "" {
		reason += " · " + r.Record
	}
	b.WriteString("  - reason: " + reason + "\n")
	if len(r.Evidence) > 0 {
		paths := make([]string, len(r.Evidence))
		for i, p := range r.Evidence {
			paths[i] = code(p)
		}
		b.WriteString("  - evidence in the workflow run's artifacts: " + strings.Join(paths, ", ") + "\n")
	}
	return b.String()
}

func passingLine(r Run) string {
	line := fmt.Sprintf("- %s %s %s", icon(r.Kind), code(r.Name), r.Label)
	if r.Record != "" {
		line += " · " + r.Record
	}
	return line + "\n"
}

// code shows untrusted text as an inline code span, the one Markdown
// construct in which GitHub acts on nothing: no mention, issue reference,
// autolink, image, emoji, HTML or emphasis. The text is flattened to one
// line of at most maxText runes first. The fence is one backtick longer
// than the longest run of backticks in the text, and a space pads a text
// that starts or ends with a backtick (CommonMark strips one space on each
// side), so the text can neither close the span nor merge with the fence.
func code(s string) string {
	s = flatten(s)
	if s == "" {
		return "—"
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// flatten makes s one line of at most maxText runes: whitespace runs
// become one space; control, format (zero-width, bidi) and noncharacter
// code points are dropped; invalid UTF-8 becomes U+FFFD.
func flatten(s string) string {
	var b strings.Builder
	n, space := 0, false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r&0xFFFE == 0xFFFE, r >= 0xFDD0 && r <= 0xFDEF:
			continue
		}
		if n == maxText {
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

// safeURL accepts an absolute http(s) URL without credentials and
// percent-encodes every byte that could end a Markdown link destination
// or start a construct: the link is the gate's, and only its address comes
// from elsewhere.
func safeURL(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "http" && u.Scheme != "https") || !utf8.ValidString(raw) {
		return "", false
	}
	s := u.String()
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~:/?#=%+,;", c) >= 0 {
			b.WriteByte(c)
		} else if c == '&' {
			// A query separator; escaped so Markdown decodes no entity.
			b.WriteString(`\&`)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	if b.Len() > 2048 {
		return "", false
	}
	return b.String(), true
}
