package ci

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

func TestDetailsGitLabSections(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := NewSink(GitLab, &buf, io.Discard, testutil.Getenv(nil), WithNow(fixedNow))
	r.details(judged(sampleRuns()))

	start := regexp.MustCompile(`^\x1b\[0Ksection_start:(\d+):([^\[\r]*)\[collapsed=true\]\r\x1b\[0K[✗!-] `)
	end := regexp.MustCompile(`^\x1b\[0Ksection_end:(\d+):([^\r]*)\r\x1b\[0K$`)
	valid := regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	var open string
	var ids []string
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if m := start.FindStringSubmatch(line); m != nil {
			if open != "" {
				t.Fatalf("section %q starts inside section %q", m[2], open)
			}
			if m[1] != fmt.Sprint(fixedNow().Unix()) {
				t.Errorf("section_start time = %s, want the injected clock", m[1])
			}
			if !valid.MatchString(m[2]) {
				t.Errorf("section id %q has characters GitLab rejects", m[2])
			}
			open = m[2]
			ids = append(ids, m[2])
			continue
		}
		if m := end.FindStringSubmatch(line); m != nil {
			if m[2] != open {
				t.Errorf("section_end %q closes %q", m[2], open)
			}
			open = ""
			continue
		}
		if open == "" {
			t.Errorf("line outside any section: %q", line)
		}
	}
	if open != "" {
		t.Errorf("section %q never ends", open)
	}
	if len(ids) != 3 || len(slices.Compact(slices.Clone(ids))) != 3 {
		t.Errorf("section ids = %q, want 3 unique ones (one per run that did not pass)", ids)
	}
}

func TestSectionID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		i    int
		run  result.Run
		want string
	}{
		{"no title", 0, result.Run{BlueprintID: 7}, "docketqa_1_blueprint_7"},
		{"simple", 2, result.Run{BlueprintID: 7, Title: "login-flow.v2"}, "docketqa_3_blueprint_7_login-flow.v2"},
		{"unsafe characters", 0, result.Run{BlueprintID: 7, Title: " Checkout: pay, 100%\n[now] ✓ "}, "docketqa_1_blueprint_7_Checkout_pay_100_now"},
		{"only unsafe characters", 0, result.Run{BlueprintID: 7, Title: "✓✓"}, "docketqa_1_blueprint_7"},
		{"long title", 0, result.Run{BlueprintID: 7, Title: strings.Repeat("a", 60)}, "docketqa_1_blueprint_7_" + strings.Repeat("a", 40)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := sectionID(tc.i, tc.run); got != tc.want {
				t.Errorf("sectionID() = %q, want %q", got, tc.want)
			}
		})
	}
}
