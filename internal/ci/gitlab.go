package ci

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// GitLab is detected by the GITLAB_CI it sets on every job.
const GitLab Platform = 2

// gitlab prints plain text, with each run's details in one of GitLab's
// collapsible sections. GitLab masks through its own CI/CD variable
// settings and has no annotations; its dotenv report is a file, written
// with the other reports (see Dotenv).
type gitlab struct{ plain }

func (gitlab) platform() Platform { return GitLab }
func (gitlab) name() string       { return "GitLab CI" }
func (gitlab) detect(getenv func(string) string) bool {
	return getenv("GITLAB_CI") != ""
}
func (gitlab) open(c *console) adapter { return gitlab{plain{c}} }

// group prints GitLab's custom collapsible section, documented at
// https://docs.gitlab.com/ci/jobs/job_logs/, collapsed, stamped with the
// console's clock.
func (g gitlab) group(i int, run result.Run, header string, body []string) {
	id := sectionID(i, run)
	fmt.Fprintf(g.c.out, "\x1b[0Ksection_start:%d:%s[collapsed=true]\r\x1b[0K%s\n", g.c.now().Unix(), id, header)
	g.c.lines("  ", body)
	fmt.Fprintf(g.c.out, "\x1b[0Ksection_end:%d:%s\r\x1b[0K\n", g.c.now().Unix(), id)
}

// sectionChars matches what GitLab does not allow in a section name. It is
// compiled on first use: only GitLab runs need it, and a package-level
// MustCompile would cost every start of the gate, --version included.
var sectionChars = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^a-zA-Z0-9_.-]+`) })

// maxSectionTitle keeps raw section names readable; the index and
// blueprint id already make them unique.
const maxSectionTitle = 40

// sectionID returns a unique GitLab section name for the i-th run. GitLab
// only accepts letters, digits, '_', '.' and '-' there; anything else
// breaks the section, so the title is reduced to those characters.
func sectionID(i int, run result.Run) string {
	title := strings.Trim(sectionChars().ReplaceAllString(run.Title, "_"), "_")
	if len(title) > maxSectionTitle {
		title = title[:maxSectionTitle]
	}
	id := fmt.Sprintf("docketqa_%d_blueprint_%d", i+1, run.BlueprintID)
	if title != "" {
		id += "_" + title
	}
	return id
}
