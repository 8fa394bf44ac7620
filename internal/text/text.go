// Package text is the one place that makes text safe to print: which
// characters a line may hold (Flat), how text is brought onto one bounded
// line (Line), and how secrets are kept out of it in any letter case
// (Redactor). Every printer and every error message use it; each printer
// then only escapes for its own medium (XML, Markdown, a workflow command,
// dotenv).
//
// Text from the API is cleaned once at the boundary (package untrusted,
// which builds on Line and Redactor); the printers apply Flat or Line
// again to every line they write, so a line stays safe even if a value
// slipped past the boundary, and the redactor again, with every secret
// the gate knows.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ellipsis ends a line that Line had to cut.
const Ellipsis = "…"

// Redacted replaces a secret wherever it appears.
const Redacted = "[redacted]"

// Flat makes s printable on one line without changing its layout: invalid
// UTF-8 becomes U+FFFD (one per run of bad bytes), every character that
// breaks or hides a line (IsSpaceLike) becomes a space, and every
// invisible one (IsInvisible) is dropped. Spaces are kept as they are, so
// a printer's own alignment and indentation survive.
func Flat(s string) string {
	if isFlat(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	bad := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == utf8.RuneError && n == 1 {
			if !bad {
				b.WriteRune(utf8.RuneError)
			}
			bad = true
			continue
		}
		bad = false
		switch {
		case IsSpaceLike(r):
			b.WriteByte(' ')
		case IsInvisible(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isFlat reports whether Flat would return s unchanged: the common case of
// printable ASCII is answered without building a copy.
func isFlat(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// Line brings s onto one line of at most maxBytes bytes (no bound when
// maxBytes <= 0): Flat's characters, every run of white space one space,
// no space at either end; a line that had to be cut ends in Ellipsis,
// within the bound, at a rune boundary.
func Line(s string, maxBytes int) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending: written only before more text
	bad := false   // the last rune was invalid UTF-8
	for i := 0; i < len(s); {
		if c := s[i]; c > ' ' && c < 0x7f {
			// Printable ASCII, most of any text, needs no lookup.
			writeSpace(&b, &space)
			b.WriteByte(c)
			bad = false
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
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
		case IsSpaceLike(r):
			space = b.Len() > 0
		case IsInvisible(r):
		default:
			writeSpace(&b, &space)
			b.WriteRune(r)
		}
	}
	out := b.String()
	if maxBytes <= 0 || len(out) <= maxBytes {
		return out
	}
	keep := max(maxBytes-len(Ellipsis), 0)
	return strings.TrimRight(out[:RuneStart(out, keep)], " ") + Ellipsis
}

func writeSpace(b *strings.Builder, space *bool) {
	if *space {
		b.WriteByte(' ')
		*space = false
	}
}

// RuneStart returns the largest rune boundary of s at or below n.
func RuneStart(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// IsSpaceLike reports the characters that become a space: every C0 and C1
// control (newline, carriage return, tab and ESC included), DEL, and
// Unicode white space (no-break space, the line and paragraph separators
// U+2028 and U+2029). A space rather than nothing keeps words apart.
func IsSpaceLike(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || unicode.IsSpace(r)
}

// IsInvisible reports the characters that are dropped: Unicode format
// characters (category Cf: bidi embeddings, overrides and isolates, the
// zero-width space and joiners, the byte-order mark, soft hyphen, tags),
// the Hangul fillers that render as nothing, and noncharacters. Dropping
// the zero-width joiner splits emoji sequences into their parts, which
// still read.
func IsInvisible(r rune) bool {
	switch r {
	case 0x115F, 0x1160, 0x3164, 0xFFA0, 0xFFFE, 0xFFFF:
		return true
	}
	return unicode.Is(unicode.Cf, r) || (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}

// Redactor removes a set of secrets from text, in any letter case under
// Unicode simple case folding: "K", "k" and the Kelvin sign U+212A all
// match a "k" of a secret, whatever their byte lengths. The zero Redactor
// removes nothing. It is a small value, copied freely.
type Redactor struct {
	secrets []string
}

// NewRedactor returns a Redactor for the non-empty secrets.
func NewRedactor(secrets ...string) Redactor {
	var r Redactor
	for _, s := range secrets {
		r = r.With(s)
	}
	return r
}

// With returns a Redactor that also removes secret (nothing changes for an
// empty one). Longer secrets are matched first, so a secret that holds
// another is replaced whole.
func (r Redactor) With(secret string) Redactor {
	if secret == "" {
		return r
	}
	for _, s := range r.secrets {
		if s == secret {
			return r
		}
	}
	out := make([]string, 0, len(r.secrets)+1)
	placed := false
	for _, s := range r.secrets {
		if !placed && len(secret) > len(s) {
			out = append(out, secret)
			placed = true
		}
		out = append(out, s)
	}
	if !placed {
		out = append(out, secret)
	}
	return Redactor{secrets: out}
}

// Secrets returns the secrets r removes, longest first.
func (r Redactor) Secrets() []string { return append([]string(nil), r.secrets...) }

// Contains reports whether s holds any of the secrets, in any case.
func (r Redactor) Contains(s string) bool {
	for _, k := range r.secrets {
		if IndexFold(s, k) >= 0 {
			return true
		}
	}
	return false
}

// Redact replaces every occurrence of every secret in s by Redacted. The
// marker starts with '[' and ends with ']', so a replacement can only form
// a new occurrence with a secret containing one of them; such occurrences
// are then removed until none is left.
func (r Redactor) Redact(s string) string {
	if !r.Contains(s) {
		return s
	}
	for _, k := range r.secrets {
		s = replaceFold(s, k, Redacted)
	}
	for r.Contains(s) {
		for _, k := range r.secrets {
			s = replaceFold(s, k, "")
		}
	}
	return s
}

// replaceFold replaces every occurrence of key in s, in any case, by repl.
func replaceFold(s, key, repl string) string {
	var b strings.Builder
	found := false
	for {
		i := IndexFold(s, key)
		if i < 0 {
			break
		}
		found = true
		b.WriteString(s[:i])
		b.WriteString(repl)
		s = s[i+MatchFold(s[i:], key):]
	}
	if !found {
		return s
	}
	b.WriteString(s)
	return b.String()
}

// IndexFold returns the byte index of the first occurrence of key in s
// under simple Unicode case folding (as strings.EqualFold), or -1.
func IndexFold(s, key string) int {
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
			if (c == lo || c == up || (c >= utf8.RuneSelf && utf8.RuneStart(c))) && MatchFold(s[i:], key) > 0 {
				return i
			}
		}
		return -1
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if equalFoldRune(r, k0) && MatchFold(s[i:], key) > 0 {
			return i
		}
		i += n
	}
	return -1
}

// MatchFold returns how many bytes of s match key under case folding, or 0
// when s does not start with key.
func MatchFold(s, key string) int {
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

// PrefixFold reports whether tail is, under case folding, a prefix of key:
// what is left of a secret that a cut split in two.
func PrefixFold(key, tail string) bool {
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
