package config

import (
	"strings"
	"testing"
)

const fakeToken = "ghs_faketoken0000notarealsecret"

func TestPRCommentSettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		env  map[string]string
		// want is "mode|tag|token"; problem a part of the one problem wanted.
		want, problem string
	}{
		{name: "defaults", want: "off||"},
		{name: "input beats env", env: map[string]string{"INPUT_PR-COMMENT": "always", "DOCKETQA_PR_COMMENT": "failures"}, want: "always||"},
		{name: "flag and tag", args: []string{"--pr-comment", "failures", "--pr-comment-tag", "chrome / eu-1"}, want: "failures|chrome / eu-1|"},
		{name: "token from the action input", env: map[string]string{"INPUT_GITHUB-TOKEN": fakeToken, "GITHUB_TOKEN": "other"}, want: "off||" + fakeToken},
		{name: "token from GITHUB_TOKEN", env: map[string]string{"GITHUB_TOKEN": fakeToken}, want: "off||" + fakeToken},
		{name: "unknown mode", args: []string{"--pr-comment", "yes"}, problem: `--pr-comment / DOCKETQA_PR_COMMENT "yes"`},
		// The tag goes into an HTML comment: nothing may end it.
		{name: "tag ends the marker", args: []string{"--pr-comment-tag", "a -->"}, problem: "--pr-comment-tag"},
		{name: "tag too long", args: []string{"--pr-comment-tag", strings.Repeat("a", 101)}, problem: "up to 100"},
		{name: "token with a line break", args: []string{"--pr-comment", "always"}, env: map[string]string{"GITHUB_TOKEN": fakeToken + "\nx"}, problem: "the token contains"},
		// Without a comment the token is not used, so an odd one in the
		// environment stops nothing.
		{name: "odd token unused", env: map[string]string{"GITHUB_TOKEN": "a b"}, want: "off||a b"},
		{name: "no token flag", args: []string{"--github-token", fakeToken}, problem: "unknown flag --github-token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, _, problems := loadSys(t, tc.args, fakeSystem(validEnv(tc.env), nil))
			if tc.problem != "" {
				if len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), tc.problem) {
					t.Errorf("problems %q, want one containing %q", problems, tc.problem)
				}
				if strings.Contains(strings.Join(problems, "\n"), fakeToken) {
					t.Errorf("problems leak the token: %q", problems)
				}
				return
			}
			if problems != nil {
				t.Fatalf("problems %q", problems)
			}
			if got := cfg.PRComment + "|" + cfg.PRCommentTag + "|" + cfg.GitHubToken.Reveal(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestGitHubTokenIsASecret: the token is refused in a config file without
// being echoed, never shown in the debug sources, and comes back with a
// usage error so that it can be masked.
func TestGitHubTokenIsASecret(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"github-token", "GITHUB_TOKEN"} {
		sys := fakeSystem(validEnv(map[string]string{"DOCKETQA_CONFIG": "gate.yml"}), map[string]string{"gate.yml": key + ": " + fakeToken + "\n"})
		_, _, problems := loadSys(t, nil, sys)
		all := strings.Join(problems, "\n")
		if !strings.Contains(all, "GitHub token is refused in a file") || strings.Contains(all, fakeToken) {
			t.Errorf("%s in a file: problems %q", key, problems)
		}
	}

	cfg, _, problems := loadSys(t, nil, fakeSystem(validEnv(map[string]string{"GITHUB_TOKEN": fakeToken}), nil))
	if problems != nil {
		t.Fatal(problems)
	}
	for _, s := range cfg.Sources {
		if strings.Contains(s.Value, fakeToken) {
			t.Errorf("source %s shows the token", s.Name)
		}
	}

	// The token pasted into another setting is not echoed either.
	_, _, problems = loadSys(t, []string{"--timeout", fakeToken}, fakeSystem(validEnv(map[string]string{"GITHUB_TOKEN": fakeToken}), nil))
	if all := strings.Join(problems, "\n"); !strings.Contains(all, "--timeout") || strings.Contains(all, fakeToken) {
		t.Errorf("problems %q", problems)
	}
	c, _, err := Load([]string{"--timeout", "x"}, fakeSystem(validEnv(map[string]string{"GITHUB_TOKEN": fakeToken}), nil).Getenv)
	if err == nil || c.GitHubToken.Reveal() != fakeToken {
		t.Errorf("a usage error returns token %q, want it back for masking", c.GitHubToken)
	}
}
