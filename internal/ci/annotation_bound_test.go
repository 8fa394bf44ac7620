package ci

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docketqa-gate/docketqa-gate/internal/bound"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// TestAnnotationTitleIsBounded: a hostile run title (hundreds of bytes,
// or characters the runner's escaping triples) next to a long failure text
// never makes an annotation line longer than bound.Line plus the command's
// own bytes; the title is cut to maxTitle, rune-safe and after redaction.
func TestAnnotationTitleIsBounded(t *testing.T) {
	t.Parallel()
	const key = "dq_live_0123456789abcdef0123456789abcdef"
	long := strings.Repeat("Checkout flow with a very long name ", 20) // 720 bytes
	failure := strings.Repeat("element not found; ", 230)              // 4,370 bytes
	titles := map[string]string{
		"long":       long,
		"colons":     strings.Repeat(":,", 600),
		"percent":    strings.Repeat("%", 1500),
		"multibyte":  strings.Repeat("é😀", 400),
		"key at cut": strings.Repeat("x", 200) + key + long,
	}
	texts := map[string]string{
		"long":    failure,
		"percent": strings.Repeat("100% ", 2000),
	}
	// The command's own bytes: "::warning title=", "::" and the newline.
	const command = len("::warning title=") + len("::") + 1
	for tname, title := range titles {
		for mname, text := range texts {
			t.Run(tname+"/"+mname, func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				s := NewSink(GitHub, &buf, io.Discard, testutil.Getenv(map[string]string{"GITHUB_ACTIONS": "true"}))
				s.Mask(key)
				s.annotateRuns(judged([]result.Run{
					{BlueprintID: 5, Title: title, Verdict: result.Failed, Reason: text},
					{BlueprintID: 6, Title: title, Verdict: result.Failed, NonBlocking: true, Reason: text},
				}))
				s.Emit(event.Warning{Title: title, Text: text})
				var errors, warnings int
				for l := range strings.Lines(buf.String()) {
					switch {
					case strings.HasPrefix(l, "::error title="):
						errors++
					case strings.HasPrefix(l, "::warning title="):
						warnings++
					default:
						continue
					}
					if len(l) > bound.Line+command {
						t.Errorf("annotation of %d bytes, more than %d: %.120q", len(l), bound.Line+command, l)
					}
					_, rest, _ := strings.Cut(l, "title=")
					ti, _, ok := strings.Cut(rest, "::")
					if !ok || len(ti) > maxTitle {
						t.Errorf("title of %d bytes, more than %d: %.120q", len(ti), maxTitle, ti)
					}
					if !utf8.ValidString(l) {
						t.Errorf("cut in the middle of a character: %.120q", l)
					}
					if strings.Contains(l, key[:12]) {
						t.Errorf("the key, or part of it, is in %.120q", l)
					}
				}
				if errors != 1 || warnings != 2 {
					t.Errorf("%d error and %d warning annotations, want 1 and 2:\n%.500s", errors, warnings, buf.String())
				}
			})
		}
	}
}
