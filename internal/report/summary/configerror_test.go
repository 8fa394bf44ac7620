package summary

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

func TestRenderConfigErrorGolden(t *testing.T) {
	t.Parallel()
	out := RenderConfigError("invalid --timeout / DOCKETQA_TIMEOUT \"soon\": use a Go duration such as 30m\nunknown flag --tiemout: did you mean --timeout?")
	testutil.Golden(t, filepath.Join("testdata", "config_error.golden.md"), []byte(out), *update)
}

func TestRenderConfigErrorEscapes(t *testing.T) {
	t.Parallel()
	out := RenderConfigError("a | b <img src=x> [l](http://x)\n\n\x1b[31mc\r\n")
	items := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "- ") {
			items++
		}
	}
	if items != 2 {
		t.Errorf("%d list items, want one per non-empty line:\n%s", items, out)
	}
	for _, bad := range []string{"<img", "a | b", "[l]", "\x1b", "\r"} {
		if strings.Contains(out, bad) {
			t.Errorf("summary carries %q unescaped:\n%s", bad, out)
		}
	}
}
