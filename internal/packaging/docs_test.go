package packaging

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docFiles lists the Markdown files a user reads: the README, the files
// beside it, and docs/.
func docFiles(t *testing.T) []string {
	t.Helper()
	names := []string{"README.md"}
	for _, n := range []string{"CONTRIBUTING.md", "SECURITY.md", "CHANGELOG.md"} {
		if _, err := os.Stat(filepath.Join(root, n)); err == nil {
			names = append(names, n)
		}
	}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		names = append(names, "docs/"+filepath.Base(d))
	}
	return names
}

var (
	mdLink  = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	// slugDrop is what GitHub removes from a heading to make its anchor.
	slugDrop = regexp.MustCompile(`[^\p{L}\p{N}\- _]`)
)

// anchors returns the anchors GitHub makes for the headings of a Markdown
// document: lower case, punctuation dropped, spaces as dashes, and "-1",
// "-2" for repeats.
func anchors(doc string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, m := range heading.FindAllStringSubmatch(withoutFences(doc), -1) {
		s := strings.ToLower(strings.TrimSpace(m[1]))
		s = strings.ReplaceAll(slugDrop.ReplaceAllString(s, ""), " ", "-")
		if n := seen[s]; n > 0 {
			out[s+"-"+strconv.Itoa(n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// withoutFences blanks out fenced code blocks, whose lines are not
// headings or links.
func withoutFences(doc string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.SplitAfter(doc, "\n") {
		if strings.HasPrefix(line, "```") {
			in = !in
			b.WriteString("\n")
			continue
		}
		if in {
			b.WriteString("\n")
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// TestDocLinksResolve checks every relative link between the README and
// docs/: the file exists, and an #anchor names a heading in it.
func TestDocLinksResolve(t *testing.T) {
	t.Parallel()
	for _, name := range docFiles(t) {
		doc := withoutFences(string(readRepoFile(t, name)))
		for _, m := range mdLink.FindAllStringSubmatch(doc, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			rel := name
			if file != "" {
				rel = filepath.ToSlash(filepath.Join(filepath.Dir(name), file))
			}
			info, err := os.Stat(filepath.Join(root, rel))
			if err != nil {
				t.Errorf("%s: link %q: %v", name, target, err)
				continue
			}
			if anchor == "" {
				continue
			}
			if info.IsDir() || !strings.HasSuffix(rel, ".md") {
				t.Errorf("%s: link %q has an anchor but is no Markdown file", name, target)
				continue
			}
			if !anchors(string(readRepoFile(t, rel)))[anchor] {
				t.Errorf("%s: link %q: %s has no heading for #%s", name, target, rel, anchor)
			}
		}
	}
}

// block is a fenced shell block of a document and how its marker says to
// treat it.
type block struct {
	file, code string
	line       int
	run        bool
	exit       int
}

// shellLangs are the fence languages that hold commands to type.
var shellLangs = []string{"sh", "bash", "shell", "console", "powershell", "pwsh"}

// marker is the comment before every command block: "<!-- test: run -->",
// "<!-- test: run, exit 1 -->" or "<!-- test: skip (why) -->".
var marker = regexp.MustCompile(`^<!-- test: (run(?:, exit (\d+))?|skip \(.+\)) -->$`)

// commandBlocks returns every command block of the documents, and an
// error for each one without a valid marker on the line before it.
func commandBlocks(t *testing.T) []block {
	t.Helper()
	var out []block
	for _, name := range docFiles(t) {
		lines := strings.Split(string(readRepoFile(t, name)), "\n")
		for i := 0; i < len(lines); i++ {
			lang, ok := strings.CutPrefix(lines[i], "```")
			if !ok {
				continue
			}
			start := i
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			}
			if lang == "" && start > 0 && marker.MatchString(lines[start-1]) {
				t.Errorf("%s:%d: a marked block needs a language", name, start+1)
			}
			if !slices.Contains(shellLangs, strings.TrimSpace(lang)) {
				continue
			}
			b := block{file: name, line: start + 1, code: strings.Join(lines[start+1:i], "\n")}
			m := (func() []string {
				if start == 0 {
					return nil
				}
				return marker.FindStringSubmatch(lines[start-1])
			})()
			if m == nil {
				t.Errorf("%s:%d: command block without a `<!-- test: run -->` or `<!-- test: skip (why) -->` line before it", name, start+1)
				continue
			}
			b.run = strings.HasPrefix(m[1], "run")
			if m[2] != "" {
				b.exit, _ = strconv.Atoi(m[2])
			}
			out = append(out, b)
		}
	}
	return out
}

// TestDocCommandBlocksMarked checks that every command block says whether
// the tests run it, so no command in the documentation goes unchecked by
// accident; and that the ones a fresh machine can run are marked to be.
func TestDocCommandBlocksMarked(t *testing.T) {
	t.Parallel()
	var runs []string
	for _, b := range commandBlocks(t) {
		if b.run {
			runs = append(runs, b.code)
		}
	}
	for _, want := range []string{"go run . --demo"} {
		if !slices.Contains(runs, want) {
			t.Errorf("no command block that runs %q is marked to run", want)
		}
	}
}

// TestDocCommandBlocksRun runs every block marked to run, as written, with
// sh in a fresh copy of the repository (so the tree stays clean) and a
// temporary GOBIN and HOME, and checks its exit code. The blocks share one
// copy, in document order, as a reader would run them one after another;
// one copy also lets Go's build cache serve every block after the first.
func TestDocCommandBlocksRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the gate; skipped with -short")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	t.Parallel()
	dir := copyTree(t)
	home := t.TempDir()
	for _, b := range commandBlocks(t) {
		if !b.run {
			continue
		}
		t.Run(fmt.Sprintf("%s:%d", b.file, b.line), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "sh", "-ec", b.code)
			cmd.Dir = dir
			cmd.Env = append(cleanEnv(), "GOBIN="+filepath.Join(home, "bin"), "HOME="+home,
				"PATH="+filepath.Join(home, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			code := 0
			if err != nil {
				ee, ok := err.(*exec.ExitError)
				if !ok {
					t.Fatalf("run: %v\n%s", err, out.String())
				}
				code = ee.ExitCode()
			}
			if code != b.exit {
				t.Fatalf("exit %d, want %d; output:\n%s", code, b.exit, out.String())
			}
		})
	}
}

// cleanEnv is the test's environment without the settings the gate reads
// and the CI markers, so a block behaves as on a developer's machine.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "DOCKETQA_"), strings.HasPrefix(k, "DOCKET_"), strings.HasPrefix(k, "INPUT_"),
			strings.HasPrefix(k, "GITHUB_"), strings.HasPrefix(k, "GITLAB_"), k == "CI", k == "RUNNER_DEBUG",
			k == "JENKINS_URL", k == "GOBIN", k == "HOME", k == "PATH":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// copyTree copies the repository's source (no .git, no build output) into
// a temporary directory, as a fresh clone would have it.
func copyTree(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || rel == "bin") {
			return filepath.SkipDir // not in a fresh clone: bin/ is what earlier runs built
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular():
			return nil // links and the like are not part of a clone's sources
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestReadmeIsTheFrontDoor keeps the README short and its first screens
// useful: at most 400 lines; a table of contents of at least five links in
// the first 80; the demo as the first command; and complete GitHub, GitLab
// and Jenkins recipes that end within the first 150 lines.
func TestReadmeIsTheFrontDoor(t *testing.T) {
	t.Parallel()
	lines := strings.Split(string(readRepoFile(t, "README.md")), "\n")
	if n := len(lines); n > 400 {
		t.Errorf("README has %d lines; the reference belongs in docs/", n)
	}
	toc := 0
	for _, l := range lines[:min(80, len(lines))] {
		if regexp.MustCompile(`^- \[[^]]+\]\(#[a-z0-9-]+\)$`).MatchString(l) {
			toc++
		}
	}
	if toc < 5 {
		t.Errorf("%d table-of-contents bullets in the first 80 lines, want at least 5", toc)
	}
	if first := commandBlocks(t); len(first) == 0 || first[0].file != "README.md" || first[0].code != "go run . --demo" {
		t.Errorf("the README's first command is not `go run . --demo`")
	}
	// Each recipe is the first fenced block of its language under its
	// heading, and must close by line 150.
	for _, r := range []struct{ heading, fence, must string }{
		{"## GitHub Actions", "```yaml", "uses: docketqa-gate/docketqa-gate@"},
		{"## GitLab CI", "```yaml", "junit: docketqa-junit.xml"},
		{"## Jenkins", "```groovy", "junit "},
	} {
		start := slices.Index(lines, r.heading)
		if start < 0 {
			t.Errorf("README has no %q section", r.heading)
			continue
		}
		open := start + slices.Index(lines[start:], r.fence)
		end := open + 1 + slices.Index(lines[open+1:], "```")
		if open < start || end <= open {
			t.Errorf("%s: no %s block", r.heading, r.fence)
			continue
		}
		if end+1 > 150 {
			t.Errorf("%s: the recipe ends on line %d, want within the first 150", r.heading, end+1)
		}
		recipe := strings.Join(lines[open:end], "\n")
		for _, want := range []string{r.must, "docketqa-artifacts", "history"} {
			if !strings.Contains(recipe, want) {
				t.Errorf("%s: the recipe does not mention %q (JUnit report, evidence and history belong in every recipe)", r.heading, want)
			}
		}
	}
}
