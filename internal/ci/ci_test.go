package ci

import (
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

func TestDetect(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		want Platform
	}{
		{"nothing set", nil, Local},
		{"github", map[string]string{"GITHUB_ACTIONS": "true"}, GitHub},
		{"github must be exactly true", map[string]string{"GITHUB_ACTIONS": "1"}, Local},
		{"gitlab", map[string]string{"GITLAB_CI": "true"}, GitLab},
		{"jenkins", map[string]string{"JENKINS_URL": "https://jenkins.example.com/"}, Jenkins},
		{"github wins over inherited gitlab and jenkins", map[string]string{
			"GITHUB_ACTIONS": "true", "GITLAB_CI": "true", "JENKINS_URL": "https://jenkins.example.com/",
		}, GitHub},
		{"gitlab wins over jenkins", map[string]string{"GITLAB_CI": "true", "JENKINS_URL": "https://jenkins.example.com/"}, GitLab},
		{"empty values do not count", map[string]string{"GITHUB_ACTIONS": "", "GITLAB_CI": "", "JENKINS_URL": ""}, Local},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Detect(testutil.Getenv(tc.env)); got != tc.want {
				t.Errorf("Detect() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPlatformString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		p    Platform
		want string
	}{
		{Local, "local"},
		{GitHub, "GitHub Actions"},
		{GitLab, "GitLab CI"},
		{Jenkins, "Jenkins"},
		{Platform(99), "local"},
	}
	for _, tc := range cases {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("Platform(%d).String() = %q, want %q", int(tc.p), got, tc.want)
		}
	}
}
