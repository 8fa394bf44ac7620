package text

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "Log in", 0, "Log in"},
		{"line breaks and runs", "a\r\n\r\nb\tc\u2028d  e\u0085f\u00a0g", 0, "a b c d e f g"},
		{"trimmed", "  \n padded \t ", 0, "padded"},
		{"controls become spaces", "a\x00b\x1b[31mc\x7fd\u0090e", 0, "a b [31mc d e"},
		{"invisible dropped", "abc\u202efed\u2066x\u2069\u200b\ufeff\u00ad\u3164y", 0, "abcfedxy"},
		{"noncharacters dropped", "a\ufffeb\uffffc\ufdd0d\U0010ffffe", 0, "abcde"},
		{"invalid UTF-8, one mark per run", "a\xff\xfeb \xffc", 0, "a\ufffdb \ufffdc"},
		{"invalid UTF-8 after a space", "a \xff", 0, "a \ufffd"},
		{"fits exactly", "abcdef", 6, "abcdef"},
		{"cut within the bound", "abcdefgh", 6, "abc…"},
		{"cut at a rune boundary", "ééééé", 8, "éé…"},
		{"cut drops the space before the mark", "ab cdefgh", 6, "ab…"},
		{"a bound below the mark", "abcdef", 2, "…"},
		{"empty", "", 5, ""},
	} {
		if got := Line(tc.in, tc.max); got != tc.want {
			t.Errorf("%s: Line(%q, %d) = %q, want %q", tc.name, tc.in, tc.max, got, tc.want)
		}
	}
}

func TestFlat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain  spaced   layout", "plain  spaced   layout"},
		{"  indented", "  indented"},
		{"a\nb\r\nc\td", "a b  c d"},
		{"esc\x1b[0Kape\x00", "esc [0Kape "},
		{"bidi\u202e\u200bgone", "bidigone"},
		{"bad\xff\xfe bytes\xff", "bad\ufffd bytes\ufffd"},
		{"ünïcödé ✓", "ünïcödé ✓"},
		{"\u2028\u2029", "  "},
	} {
		if got := Flat(tc.in); got != tc.want {
			t.Errorf("Flat(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestLineProperty: whatever the input, the line is valid UTF-8, within
// its bound, holds no character Flat removes or replaces, no run of
// spaces and no space at its ends.
func TestLineProperty(t *testing.T) {
	t.Parallel()
	parts := []string{"a", "é", " ", "\n", "\r\n", "\x1b", "\x00", "\u202e", "\u200d", "\xff", "\u2028", "\ufffe", "🧪", "\t", "\u0085", "\u3000"}
	for seed := range 2000 {
		var b strings.Builder
		for n := seed; n > 0; n /= len(parts) {
			b.WriteString(parts[n%len(parts)])
		}
		in := b.String()
		for _, limit := range []int{0, 1, 4, 7} {
			got := Line(in, limit)
			if !utf8.ValidString(got) || limit > 0 && len(got) > max(limit, len(Ellipsis)) {
				t.Fatalf("Line(%q, %d) = %q: invalid or too long", in, limit, got)
			}
			if strings.Contains(got, "  ") || strings.TrimSpace(got) != got {
				t.Fatalf("Line(%q, %d) = %q: spaces", in, limit, got)
			}
			for _, r := range got {
				if r != ' ' && (IsSpaceLike(r) || IsInvisible(r)) || unicode.IsControl(r) {
					t.Fatalf("Line(%q, %d) = %q holds %U", in, limit, got, r)
				}
			}
			if limit == 0 && Flat(got) != got {
				t.Fatalf("Line(%q) = %q is not flat", in, got)
			}
		}
	}
}

func TestRedactor(t *testing.T) {
	t.Parallel()
	const key = "dqa_Secret_key-1"
	kelvin := strings.Replace(key, "k", "\u212a", 1)
	for _, tc := range []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"exact", []string{key}, "a " + key + " b", "a [redacted] b"},
		{"any case", []string{key}, strings.ToUpper(key) + strings.ToLower(key), "[redacted][redacted]"},
		{"Kelvin sign for k", []string{key}, "x" + kelvin + "y", "x[redacted]y"},
		{"Kelvin sign in the secret", []string{kelvin}, "x" + key + "y", "x[redacted]y"},
		{"long s for s", []string{key}, strings.Replace(key, "S", "\u017f", 1), "[redacted]"},
		{"overlap", []string{key}, "dqa_" + key, "dqa_[redacted]"},
		{"nothing", []string{key}, "nothing to see", "nothing to see"},
		{"no secret", nil, key, key},
		{"empty secret", []string{""}, "anything", "anything"},
		{"several", []string{"alpha-1", "beta-2"}, "ALPHA-1 beta-2 gamma", "[redacted] [redacted] gamma"},
		{"longest first", []string{"key", "key-and-more"}, "KEY-AND-MORE", "[redacted]"},
		{"a secret inside the marker", []string{"d]"}, "xd]y", "x[redactey"},
		{"a replacement next to the marker", []string{"d]x"}, "[redacte" + "d]x", "[redacte[redacted]"},
		{"in a multi-byte text", []string{"geheim"}, "ünïcödé GEHEIM ✓", "ünïcödé [redacted] ✓"},
	} {
		r := NewRedactor(tc.secrets...)
		got := r.Redact(tc.in)
		if got != tc.want {
			t.Errorf("%s: Redact(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
		for _, s := range tc.secrets {
			if s != "" && IndexFold(got, s) >= 0 {
				t.Errorf("%s: %q still holds %q", tc.name, got, s)
			}
		}
		if r.Contains(tc.in) != (got != tc.in) {
			t.Errorf("%s: Contains(%q) = %v", tc.name, tc.in, r.Contains(tc.in))
		}
	}
	r := NewRedactor("b", "ccc", "b", "", "dd")
	if got := r.Secrets(); strings.Join(got, ",") != "ccc,dd,b" {
		t.Errorf("Secrets() = %q, want longest first, once each", got)
	}
	if got := (Redactor{}).With("x").With("x").Secrets(); len(got) != 1 {
		t.Errorf("With twice = %q", got)
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s, key string
		want   int
	}{
		{"abcKEY", "key", 3},
		{"ab\u212aey", "key", 2},
		{"key", "\u212aey", 0},
		{"x\u212aEY", "\u212aey", 1},
		{"kex", "key", -1},
		{"ke", "key", -1},
		{"anything", "", -1},
		{"ééÉ", "éÉ", 0},
		{"aÉé", "éé", 1},
	} {
		if got := IndexFold(tc.s, tc.key); got != tc.want {
			t.Errorf("IndexFold(%q, %q) = %d, want %d", tc.s, tc.key, got, tc.want)
		}
	}
	if n := MatchFold("\u212aEY rest", "key"); n != len("\u212aEY") {
		t.Errorf("MatchFold = %d", n)
	}
	if n := MatchFold("ke", "key"); n != 0 {
		t.Errorf("MatchFold of a short text = %d", n)
	}
	for _, tc := range []struct {
		key, tail string
		want      bool
	}{
		{"secret", "SEC", true},
		{"secret", "", true},
		{"secret", "secretx", false},
		{"key", "\u212a", true},
		{"key", "kx", false},
	} {
		if got := PrefixFold(tc.key, tc.tail); got != tc.want {
			t.Errorf("PrefixFold(%q, %q) = %v", tc.key, tc.tail, got)
		}
	}
	for _, tc := range []struct {
		s    string
		n    int
		want int
	}{
		{"abc", 2, 2}, {"abc", 9, 3}, {"é", 1, 0}, {"aé", 2, 1}, {"", 0, 0},
	} {
		if got := RuneStart(tc.s, tc.n); got != tc.want {
			t.Errorf("RuneStart(%q, %d) = %d, want %d", tc.s, tc.n, got, tc.want)
		}
	}
}
