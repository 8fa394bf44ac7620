package ci

import (
	"bytes"
	"strings"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/bound"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
)

// TestOutputIsBounded feeds the sink inputs of any size: one line and one
// annotation stay within bound.Line (plus the command's own few bytes),
// an id list within bound.MaxItems, and all of stderr within bound.Stderr,
// which then says once that it stopped.
func TestOutputIsBounded(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	env := map[string]string{"GITHUB_ACTIONS": "true"}
	s := NewSink(GitHub, &stdout, &stderr, func(k string) string { return env[k] })
	huge := strings.Repeat("manifest runs[0]: run_id must be positive ", 100000)
	s.Emit(event.ConfigError{Problems: []string{huge}})
	ids := make([]int64, 25000)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	s.Emit(event.UnrequestedRuns{RunIDs: ids, BlueprintIDs: ids})
	for range 5000 {
		s.Emit(event.Warning{Text: strings.Repeat("w", 1000)})
	}
	for name, out := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String()} {
		for l := range strings.Lines(out) {
			if len(l) > bound.Line+256 {
				t.Errorf("%s line of %d bytes: %.100q", name, len(l), l)
			}
		}
	}
	if !strings.Contains(stdout.String(), "::error title=docketqa-gate configuration::") {
		t.Errorf("no annotation, so its bound went untested:\n%.300s", stdout.String())
	}
	if n := stderr.Len(); n > bound.Stderr {
		t.Errorf("stderr is %d bytes, more than %d", n, bound.Stderr)
	}
	if n := strings.Count(stderr.String(), "output limit reached"); n != 1 {
		t.Errorf("the limit is said %d times, want once", n)
	}
	if !strings.HasSuffix(stderr.String(), limitNotice) {
		t.Errorf("stderr does not end with the notice: %q", stderr.String()[stderr.Len()-200:])
	}
	if !strings.Contains(stdout.String()+stderr.String(), "… and 24980 more") {
		t.Errorf("the id list does not say how many it left out")
	}
}
