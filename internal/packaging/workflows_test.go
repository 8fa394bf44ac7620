package packaging

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// workflow is the part of a workflow file these tests look at.
type workflow struct {
	On          yaml.Node         `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Jobs map[string]job `yaml:"jobs"`
}

type job struct {
	Permissions map[string]string `yaml:"permissions"`
	Strategy    struct {
		Matrix map[string][]string `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []step `yaml:"steps"`
}

type step struct {
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	With  map[string]string `yaml:"with"`
	Env   map[string]string `yaml:"env"`
}

type workflowFile struct {
	name string
	doc  yaml.Node
	wf   workflow
}

func loadWorkflows(t *testing.T) map[string]workflowFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]workflowFile{}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f := workflowFile{name: filepath.Base(p)}
		if err := yaml.Unmarshal(src, &f.doc); err != nil {
			t.Fatalf("parse %s: %v", f.name, err)
		}
		if err := f.doc.Decode(&f.wf); err != nil {
			t.Fatalf("decode %s: %v", f.name, err)
		}
		out[f.name] = f
	}
	for _, want := range []string{"ci.yml", "release.yml"} {
		if _, ok := out[want]; !ok {
			t.Fatalf("missing workflow %s", want)
		}
	}
	return out
}

// steps returns every step of w, in job-name order.
func (w workflow) steps() []step {
	var out []step
	for _, name := range slices.Sorted(maps.Keys(w.Jobs)) {
		out = append(out, w.Jobs[name].Steps...)
	}
	return out
}

// usesNodes returns the value node of every "uses" key in the document,
// which keeps the "# vX" comment the structs lose.
func usesNodes(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "uses" {
				out = append(out, n.Content[i+1])
			}
		}
	}
	for _, c := range n.Content {
		out = append(out, usesNodes(c)...)
	}
	return out
}

// TestWorkflowsArePinnedAndLeastPrivileged holds for every workflow: a
// moved tag of a third-party action must not change what runs with the
// repository's token, and no job gets more access than it declares.
func TestWorkflowsArePinnedAndLeastPrivileged(t *testing.T) {
	t.Parallel()
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	version := regexp.MustCompile(`^# v\d+(\.\d+){0,2}$`)
	for name, f := range loadWorkflows(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if f.wf.Permissions == nil {
				t.Error("no top-level permissions: the token would get the repository's default access")
			}
			if f.wf.Concurrency.Group == "" {
				t.Error("no concurrency group")
			}
			uses := usesNodes(&f.doc)
			if len(uses) == 0 {
				t.Error("uses no actions; is the file parsed right?")
			}
			for _, u := range uses {
				if strings.HasPrefix(u.Value, "./") {
					continue
				}
				if !pinned.MatchString(u.Value) || !version.MatchString(u.LineComment) {
					t.Errorf("line %d: uses %s %s; pin a full commit SHA followed by a # vX.Y.Z comment", u.Line, u.Value, u.LineComment)
				}
			}
			for _, s := range f.wf.steps() {
				// Expressions in scripts are pasted in before the shell
				// parses them, so a crafted value becomes code; values
				// must come in through env instead.
				if strings.Contains(s.Run, "${{") {
					t.Errorf("run script interpolates an expression; pass it via env: %q", firstLine(s.Run))
				}
			}
		})
	}
}

// TestWorkflowScriptsParse runs bash -n over every run script, as GitHub
// runs them with bash on Linux runners.
func TestWorkflowScriptsParse(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	for name, f := range loadWorkflows(t) {
		for _, s := range f.wf.steps() {
			if s.Run == "" || (s.Shell != "" && s.Shell != "bash") {
				continue
			}
			cmd := exec.Command(bash, "-n", "-e", "-o", "pipefail")
			cmd.Stdin = strings.NewReader(s.Run)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Errorf("%s: script %q does not parse: %v\n%s", name, firstLine(s.Run), err, stderr.String())
			}
		}
	}
}

func TestCIWorkflow(t *testing.T) {
	t.Parallel()
	wf := loadWorkflows(t)["ci.yml"].wf
	if got := triggers(wf.On); !slices.Contains(got, "push") || !slices.Contains(got, "pull_request") {
		t.Errorf("ci.yml runs on %q, want push and pull_request", got)
	}
	if len(wf.Permissions) != 1 || wf.Permissions["contents"] != "read" {
		t.Errorf("ci.yml permissions = %v, want only contents: read", wf.Permissions)
	}
	if !wf.Concurrency.CancelInProgress {
		t.Error("ci.yml should cancel superseded runs")
	}
	steps := wf.steps()
	setupGo := slices.IndexFunc(steps, func(s step) bool { return strings.HasPrefix(s.Uses, "actions/setup-go@") })
	if setupGo < 0 || steps[setupGo].With["go-version-file"] != "go.mod" {
		t.Error("ci.yml must set up Go from go.mod's version")
	}
	// Each check, in the order it must run; xmllint is needed by the tests.
	want := []string{"gofmt -l", "go vet ./...", "honnef.co/go/tools/cmd/staticcheck@", "libxml2-utils", "go test -race -shuffle=on -count=1"}
	next := 0
	for _, s := range steps {
		if next < len(want) && strings.Contains(s.Run, want[next]) {
			next++
		}
	}
	if next < len(want) {
		t.Errorf("ci.yml lacks a step running %q (in order: %q)", want[next], want)
	}
}

func TestReleaseWorkflow(t *testing.T) {
	t.Parallel()
	wf := loadWorkflows(t)["release.yml"].wf
	if got := triggers(wf.On); !slices.Equal(got, []string{"push"}) || !strings.Contains(nodeString(wf.On), "v*") {
		t.Errorf("release.yml runs on %q, want pushes of v* tags only", got)
	}
	if len(wf.Permissions) != 1 || wf.Permissions["contents"] != "read" {
		t.Errorf("release.yml top-level permissions = %v, want contents: read; grant writes per job", wf.Permissions)
	}

	var sawBuild, sawImage bool
	for name, j := range wf.Jobs {
		for _, s := range j.Steps {
			if strings.Contains(s.Run, "go build") {
				sawBuild = true
				for _, want := range []string{"-trimpath", "-X " + versionVar + "="} {
					if !strings.Contains(s.Run, want) {
						t.Errorf("job %s: go build lacks %q", name, want)
					}
				}
				if s.Env["CGO_ENABLED"] != "0" {
					t.Errorf("job %s: go build without CGO_ENABLED=0 is not static", name)
				}
				m := j.Strategy.Matrix
				if !sameSet(m["goos"], []string{"linux", "darwin", "windows"}) || !sameSet(m["goarch"], []string{"amd64", "arm64"}) {
					t.Errorf("job %s: matrix = %v, want linux/darwin/windows × amd64/arm64", name, m)
				}
			}
			if strings.HasPrefix(s.Uses, "docker/build-push-action@") {
				sawImage = true
				if s.With["platforms"] != "linux/amd64,linux/arm64" {
					t.Errorf("job %s: image platforms = %q", name, s.With["platforms"])
				}
				if !strings.HasPrefix(s.With["build-args"], "VERSION=") {
					t.Errorf("job %s: image build does not pass VERSION", name)
				}
				if j.Permissions["packages"] != "write" {
					t.Errorf("job %s pushes to ghcr.io without packages: write", name)
				}
			}
		}
	}
	if !sawBuild || !sawImage {
		t.Errorf("release.yml builds binaries: %v, builds the image: %v; want both", sawBuild, sawImage)
	}
}

// triggers returns the event names of a workflow's "on".
func triggers(on yaml.Node) []string {
	switch on.Kind {
	case yaml.ScalarNode:
		return []string{on.Value}
	case yaml.SequenceNode:
		var out []string
		for _, c := range on.Content {
			out = append(out, c.Value)
		}
		return out
	case yaml.MappingNode:
		var out []string
		for i := 0; i < len(on.Content); i += 2 {
			out = append(out, on.Content[i].Value)
		}
		return out
	}
	return nil
}

func nodeString(n yaml.Node) string {
	b, _ := yaml.Marshal(&n)
	return string(b)
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
