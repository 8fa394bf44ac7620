// Package untrusted holds the two types that text from the DocketQA API
// becomes at the trust boundary, and the Cleaner that makes them.
//
// The API is untrusted input: a title, a step result or a status word may
// carry newlines that start a CI workflow command on a line of its own,
// terminal escapes, bidi overrides that make a log line read differently
// from what it is, megabytes of text, or the API key echoed back. Cleaning
// once, where the bytes are decoded, lets everything behind the boundary
// rely on a Text being one bounded, visible, key-free line, and on a URL
// being an absolute http(s) link. What a printer still has to do is escape
// a Text for its medium (XML, Markdown, a workflow command, dotenv):
// characters such as '<', '|', "::" or "##[" are visible text and stay.
package untrusted

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/docketqa-gate/docketqa-gate/internal/text"
)

// Text is one line of text from the API, cleaned by a Cleaner: valid UTF-8,
// no control or invisible format characters, no runs of white space, no
// leading or trailing space, the API key redacted, and at most the
// Cleaner's cap in bytes. Converting a raw string to Text by hand skips all
// of that, so only the Cleaner (and tests) should make one.
type Text string

// String returns t as a plain string.
func (t Text) String() string { return string(t) }

// URL is an absolute http or https link from the API, checked by a Cleaner
// and never shortened: pre-signed screenshot and video links are long and
// stop working when cut, so a link that does not fit is dropped instead.
type URL string

// String returns u as a plain string.
func (u URL) String() string { return string(u) }

// Caps and markers.
const (
	// DefaultCap is the byte cap of a Text when the Cleaner is given none.
	DefaultCap = 4 << 10
	// MinCap is the smallest cap a Cleaner uses, so the cut marker with
	// the original length always fits.
	MinCap = 64
	// MaxURL bounds a URL in bytes. Pre-signed S3 links run to about 2 KiB;
	// a longer one is no link a person clicks.
	MaxURL = 8 << 10
	// Redacted replaces the API key wherever it appears, in any letter case.
	Redacted = text.Redacted
	// Ellipsis starts the marker of a cut text: "… (12345 bytes)".
	Ellipsis = text.Ellipsis
)

// Cleaner turns API strings into Text and URL values. It is a small value,
// made once per client with the key and copied freely; WithCap gives a
// copy with another cap for fields with their own (titles, step results).
// The zero Cleaner redacts nothing and caps at DefaultCap.
type Cleaner struct {
	// keys are the secrets (the API key, then any other, such as the
	// GitHub token) as they could appear in cleaned text: cleaned
	// themselves, since a part that cleaning changes can never match.
	keys []string
	cap  int
}

// NewCleaner returns a Cleaner that redacts key and cuts texts to capBytes
// (DefaultCap when 0, at least MinCap).
func NewCleaner(key string, capBytes int) Cleaner {
	return Cleaner{cap: capBytes}.normal().WithSecret(key)
}

// WithSecret returns a copy of c that also redacts secret (the GitHub
// token beside the API key), with every guarantee the key has: in any
// letter case, and no part of it left where a text is cut.
func (c Cleaner) WithSecret(secret string) Cleaner {
	if secret == "" {
		return c
	}
	c.keys = append(slices.Clip(c.keys), string(Cleaner{cap: max(len(secret), MinCap)}.clean(secret, len(secret), false)))
	return c
}

// longest is the length of the longest secret.
func (c Cleaner) longest() int {
	n := 0
	for _, k := range c.keys {
		n = max(n, len(k))
	}
	return n
}

// holds reports whether s holds a secret in any letter case.
func (c Cleaner) holds(s string) bool {
	for _, k := range c.keys {
		if indexFold(s, k) >= 0 {
			return true
		}
	}
	return false
}

func (c Cleaner) normal() Cleaner {
	if c.cap == 0 {
		c.cap = DefaultCap
	}
	c.cap = max(c.cap, MinCap)
	return c
}

// WithCap returns a copy of c that cuts texts to capBytes (at least MinCap).
func (c Cleaner) WithCap(capBytes int) Cleaner {
	c.cap = capBytes
	return c.normal()
}

// Cap returns the byte cap of the texts c makes.
func (c Cleaner) Cap() int { return c.normal().cap }

// Text cleans s into one line of at most Cap() bytes. A text that had to be
// cut ends in "… (N bytes)", N being the length of s, so a reader sees that
// and how much is missing.
func (c Cleaner) Text(s string) Text { return c.normal().clean(s, len(s), false) }

// Prefix cleans p, the first bytes of a longer string of total bytes, as
// Text would clean the whole string: it is marked as cut, and an API key
// that the end of p cuts in two leaves no part behind. A total below
// len(p) means the length is unknown, and the marker is a bare "…". Prefix
// lets a decoder clean a huge field without holding all of it.
func (c Cleaner) Prefix(p string, total int) Text {
	c = c.normal()
	switch {
	case total < 0:
		return c.clean(p, -1, true)
	case total <= len(p):
		return c.clean(p, len(p), false)
	}
	return c.clean(p, total, true)
}

// Window is how many leading bytes of a string Prefix needs to give the
// same Text as the whole string would (apart from the cut marker): the cap
// plus room for a key cut in two.
func (c Cleaner) Window() int {
	c = c.normal()
	return 2*c.cap + 4*c.longest() + 16
}

// clean does the work. origLen is the length of the original string (-1:
// unknown); cut says p is only its first bytes.
func (c Cleaner) clean(p string, origLen int, cut bool) Text {
	if !cut && len(p) > c.Window() {
		// Cleaning only shrinks text and the key cannot span the window's
		// end unseen, so a window of the text gives the same answer.
		cut, origLen = true, len(p)
		p = p[:text.RuneStart(p, c.Window())]
	}
	// The one way text becomes one line (package text); the cap and its
	// marker are this boundary's own.
	s := text.Line(p, 0)
	if cut {
		s = strings.TrimRight(c.trimKeyPrefix(s), " ")
	}
	s = c.redact(s)
	if !cut && len(s) <= c.cap {
		return Text(s)
	}
	marker := Ellipsis
	if origLen >= 0 {
		marker = Ellipsis + " (" + strconv.Itoa(origLen) + " bytes)"
	}
	keep := c.cap - len(marker)
	if len(s) > keep {
		s = s[:text.RuneStart(s, keep)]
	}
	out := strings.TrimRight(s, " ") + marker
	if c.holds(out) {
		// Only a key made of the marker's own characters gets here: the
		// text is cut without a marker rather than show it.
		out = strings.TrimRight(s, " ")
	}
	return Text(out)
}

// redact replaces every occurrence of a secret, in any letter case (see
// text.Redactor).
func (c Cleaner) redact(s string) string {
	return text.NewRedactor(c.keys...).Redact(s)
}

// trimKeyPrefix drops a tail of s that could be the start of the key cut
// off by the window, so no part of a key survives a cut. Tails shorter than
// three runes are kept: they give nothing away and would otherwise eat a
// letter off many cut texts.
func (c Cleaner) trimKeyPrefix(s string) string {
	for _, key := range c.keys {
		for i := max(0, len(s)-4*len(key)); i < len(s); i++ {
			if !utf8.RuneStart(s[i]) || utf8.RuneCountInString(s[i:]) < 3 {
				continue
			}
			if text.PrefixFold(key, s[i:]) {
				s = s[:i]
				break
			}
		}
	}
	return s
}

// URL checks s as a link. ok is false when s was non-empty and had to be
// dropped, so the caller can note the drop; an empty s gives ("", true).
// A link is kept only whole: at most MaxURL bytes, printable ASCII without
// spaces (surrounding white space is trimmed), parsable, absolute http or
// https with a host and no user name or password (user@host is how a link
// pretends to go somewhere else), and free of the API key in any case,
// also once percent-decoded. What is kept is the link as net/url
// re-serialises it, never the text as received (a lower-case scheme, and
// the characters RFC 3986 does not allow unescaped, such as { } | " < > `
// ^ \, percent-encoded in the path and the query alike). That makes the
// link well-formed, not harmless: $( ) stay, as URLs allow them, so no
// output of the gate carries an API link (see gate.GroupRunURL).
func (c Cleaner) URL(s string) (URL, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	if len(s) > MaxURL {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return "", false
		}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	orig := s
	// The query is kept byte for byte by net/url (a pre-signed link's
	// signature covers it), so only what RFC 3986 forbids there is escaped:
	// the decoded value, which the signature is checked on, is unchanged.
	u.RawQuery = escapeQuery(u.RawQuery)
	if s = u.String(); len(s) > MaxURL {
		return "", false
	}
	if len(c.keys) > 0 {
		dec, err := url.QueryUnescape(s)
		if c.holds(orig) || c.holds(s) || err != nil || c.holds(dec) {
			return "", false
		}
	}
	return URL(s), true
}

// escapeQuery percent-encodes the bytes of a raw query that RFC 3986 does
// not allow there, leaving every allowed byte, "%" escapes included, as is.
func escapeQuery(q string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		switch c := q[i]; c {
		case '"', '<', '>', '\\', '^', '`', '{', '|', '}':
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// indexFold is text.IndexFold, the one case-folding search.
func indexFold(s, key string) int { return text.IndexFold(s, key) }
