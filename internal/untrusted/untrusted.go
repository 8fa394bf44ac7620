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
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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
	Redacted = "[redacted]"
	// Ellipsis starts the marker of a cut text: "… (12345 bytes)".
	Ellipsis = "…"
)

// Cleaner turns API strings into Text and URL values. It is a small value,
// made once per client with the key and copied freely; WithCap gives a
// copy with another cap for fields with their own (titles, step results).
// The zero Cleaner redacts nothing and caps at DefaultCap.
type Cleaner struct {
	// key is the API key as it could appear in cleaned text: cleaned
	// itself, since a key part that cleaning changes can never match.
	key string
	cap int
}

// NewCleaner returns a Cleaner that redacts key and cuts texts to capBytes
// (DefaultCap when 0, at least MinCap).
func NewCleaner(key string, capBytes int) Cleaner {
	c := Cleaner{cap: capBytes}.normal()
	if key != "" {
		c.key = string(Cleaner{cap: max(len(key), MinCap)}.clean(key, len(key), false))
	}
	return c
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
	return 2*c.cap + 4*len(c.key) + 16
}

// clean does the work. origLen is the length of the original string (-1:
// unknown); cut says p is only its first bytes.
func (c Cleaner) clean(p string, origLen int, cut bool) Text {
	if !cut && len(p) > c.Window() {
		// Cleaning only shrinks text and the key cannot span the window's
		// end unseen, so a window of the text gives the same answer.
		cut, origLen = true, len(p)
		p = p[:runeStart(p, c.Window())]
	}
	var b strings.Builder
	b.Grow(min(len(p), c.Window()))
	space := false // a space is pending: written only before more text
	bad := false   // the last rune was invalid UTF-8
	for i := 0; i < len(p); {
		if c := p[i]; c > ' ' && c < 0x7f {
			// Printable ASCII, most of any text, needs no lookup.
			writeSpace(&b, &space)
			b.WriteByte(c)
			bad = false
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(p[i:])
		i += n
		if r == utf8.RuneError && n == 1 {
			if !bad {
				writeSpace(&b, &space)
				b.WriteRune(utf8.RuneError)
			}
			bad = true
			continue
		}
		bad = false
		switch {
		case isSpace(r):
			space = b.Len() > 0
		case invisible(r):
			// dropped
		default:
			writeSpace(&b, &space)
			b.WriteRune(r)
		}
	}
	s := b.String()
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
		s = s[:runeStart(s, keep)]
	}
	out := strings.TrimRight(s, " ") + marker
	if c.key != "" && indexFold(out, c.key) >= 0 {
		// Only a key made of the marker's own characters gets here: the
		// text is cut without a marker rather than show it.
		out = strings.TrimRight(s, " ")
	}
	return Text(out)
}

func writeSpace(b *strings.Builder, space *bool) {
	if *space {
		b.WriteByte(' ')
		*space = false
	}
}

// runeStart returns the largest rune boundary of s at or below n.
func runeStart(s string, n int) int {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// isSpace reports the characters that become a single space: every C0 and
// C1 control (newline, carriage return, tab and ESC included), DEL, and
// Unicode white space (no-break space, the line and paragraph separators
// U+2028 and U+2029). Turning them into a space rather than nothing keeps
// words apart.
func isSpace(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || unicode.IsSpace(r)
}

// invisible reports the characters that are dropped: Unicode format
// characters (category Cf: bidi embeddings, overrides and isolates, the
// zero-width space and joiners, the byte-order mark, soft hyphen, tags),
// the Hangul fillers that render as nothing, and noncharacters. Dropping
// the zero-width joiner splits emoji sequences into their parts, which
// still read.
func invisible(r rune) bool {
	switch r {
	case 0x115F, 0x1160, 0x3164, 0xFFA0, 0xFFFE, 0xFFFF:
		return true
	}
	return unicode.Is(unicode.Cf, r) || (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}

// redact replaces every occurrence of the key, in any letter case. The
// marker starts with '[' and ends with ']', so a replacement can only form
// a new occurrence with a key containing one of them; such a key is
// removed until none is left instead.
func (c Cleaner) redact(s string) string {
	if c.key == "" {
		return s
	}
	var b strings.Builder
	for {
		i := indexFold(s, c.key)
		if i < 0 {
			break
		}
		n := matchFold(s[i:], c.key)
		b.WriteString(s[:i])
		b.WriteString(Redacted)
		s = s[i+n:]
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(s)
	out := b.String()
	for indexFold(out, c.key) >= 0 {
		i := indexFold(out, c.key)
		out = out[:i] + out[i+matchFold(out[i:], c.key):]
	}
	return out
}

// trimKeyPrefix drops a tail of s that could be the start of the key cut
// off by the window, so no part of a key survives a cut. Tails shorter than
// three runes are kept: they give nothing away and would otherwise eat a
// letter off many cut texts.
func (c Cleaner) trimKeyPrefix(s string) string {
	if c.key == "" {
		return s
	}
	for i := max(0, len(s)-4*len(c.key)); i < len(s); i++ {
		if !utf8.RuneStart(s[i]) || utf8.RuneCountInString(s[i:]) < 3 {
			continue
		}
		if prefixFold(c.key, s[i:]) {
			return s[:i]
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
	if c.key != "" {
		dec, err := url.QueryUnescape(s)
		if indexFold(orig, c.key) >= 0 || indexFold(s, c.key) >= 0 || err != nil || indexFold(dec, c.key) >= 0 {
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

// indexFold returns the byte index of the first occurrence of key in s
// under simple Unicode case folding (as strings.EqualFold), or -1.
func indexFold(s, key string) int {
	if key == "" {
		return -1
	}
	k0, _ := utf8.DecodeRuneInString(key)
	if k0 < utf8.RuneSelf {
		// An ASCII first rune: candidates are its two cases and any
		// non-ASCII rune (the Kelvin sign folds to k, the long s to s).
		lo, up := byte(unicode.ToLower(k0)), byte(unicode.ToUpper(k0))
		for i := 0; i < len(s); i++ {
			c := s[i]
			if (c == lo || c == up || (c >= utf8.RuneSelf && utf8.RuneStart(c))) && matchFold(s[i:], key) > 0 {
				return i
			}
		}
		return -1
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if equalFoldRune(r, k0) && matchFold(s[i:], key) > 0 {
			return i
		}
		i += n
	}
	return -1
}

// matchFold returns how many bytes of s match key under case folding, or 0
// when s does not start with key.
func matchFold(s, key string) int {
	i := 0
	for _, kr := range key {
		if i >= len(s) {
			return 0
		}
		if c := s[i]; c < utf8.RuneSelf && kr < utf8.RuneSelf {
			if c != byte(kr) && unicode.ToLower(rune(c)) != unicode.ToLower(kr) {
				return 0
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !equalFoldRune(r, kr) {
			return 0
		}
		i += n
	}
	return i
}

// prefixFold reports whether tail is, under case folding, a prefix of key.
func prefixFold(key, tail string) bool {
	j := 0
	for _, r := range tail {
		if j >= len(key) {
			return false
		}
		kr, n := utf8.DecodeRuneInString(key[j:])
		if !equalFoldRune(r, kr) {
			return false
		}
		j += n
	}
	return true
}

// equalFoldRune reports whether a and b are equal under simple folding.
func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for f := unicode.SimpleFold(a); f != a; f = unicode.SimpleFold(f) {
		if f == b {
			return true
		}
	}
	return false
}
