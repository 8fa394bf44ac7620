package bound

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCut(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "short", strings.Repeat("a", Line), strings.Repeat("a", Line+1),
		strings.Repeat("é", Line), strings.Repeat("😀", 3*Line), strings.Repeat("x", 10<<20)} {
		got := Text(s)
		if len(got) > Line {
			t.Errorf("Text of %d bytes gave %d bytes", len(s), len(got))
		}
		if !utf8.ValidString(got) {
			t.Errorf("Text of %d bytes cut a rune", len(s))
		}
		if len(s) <= Line && got != s {
			t.Errorf("Text changed a string of %d bytes", len(s))
		}
		if len(s) > Line && !strings.HasSuffix(got, fmt.Sprintf("(%d bytes more)", len(s)-strings.Index(got, "… ("))) {
			t.Errorf("Text of %d bytes does not say what it cut: %q", len(s), got[len(got)-40:])
		}
	}
	if got := Cut(strings.Repeat("x", 100), 1); len(got) > 64 {
		t.Errorf("Cut below its floor: %d bytes", len(got))
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, MaxItems, MaxItems + 1, 25000} {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprint(i)
		}
		got := List(items)
		switch {
		case n <= MaxItems && len(got) != n:
			t.Errorf("List of %d gave %d", n, len(got))
		case n > MaxItems && (len(got) != MaxItems+1 || got[MaxItems] != fmt.Sprintf("… and %d more", n-MaxItems)):
			t.Errorf("List of %d gave %d items ending %q", n, len(got), got[len(got)-1])
		}
		if n > MaxItems && items[MaxItems] != fmt.Sprint(MaxItems) {
			t.Error("List changed its input")
		}
	}
}
