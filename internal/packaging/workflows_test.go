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

	"go.yaml.in/yaml/v3"
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
	Needs          yaml.Node         `yaml:"needs"`
	If             string            `yaml:"if"`
	Permissions    map[string]string `yaml:"permissions"`
	TimeoutMinutes int               `yaml:"timeout-minutes"`
	Outputs        map[string]string `yaml:"outputs"`
	Steps          []step            `yaml:"steps"`
}

// needs returns the jobs j waits for.
func (j job) needs() []string { return triggers(j.Needs) }

type step struct {
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
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

// TestCIWorkflow checks that GitHub's CI is .ci/run and nothing else, so
// a green check on GitHub means what a green local run means, and that
// .ci/run holds every check the project relies on.
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
	if len(wf.Jobs) != 1 {
		t.Fatalf("ci.yml has %d jobs, want the one that runs .ci/run", len(wf.Jobs))
	}
	for name, j := range wf.Jobs {
		// .ci/run takes about 8 minutes on a small machine; the job
		// must fit it with room for more fuzz targets and checks.
		if j.TimeoutMinutes < 45 || j.TimeoutMinutes > 120 {
			t.Errorf("job %s: timeout-minutes = %d, want 45 to 120 for the whole of .ci/run", name, j.TimeoutMinutes)
		}
	}
	steps := wf.steps()
	setupGo := slices.IndexFunc(steps, func(s step) bool { return strings.HasPrefix(s.Uses, "actions/setup-go@") })
	if setupGo < 0 || steps[setupGo].With["go-version-file"] != "go.mod" {
		t.Error("ci.yml must set up Go from go.mod's version")
	}
	var runs []string
	for _, s := range steps {
		if s.Run != "" {
			runs = append(runs, strings.TrimSpace(s.Run))
		}
	}
	if !slices.Equal(runs, []string{"bash .ci/run"}) {
		t.Errorf("ci.yml runs %q; want exactly one script, bash .ci/run, so both CIs check the same", runs)
	}

	script := string(readRepoFile(t, ".ci/run"))
	// Each check, in the order .ci/run must run it.
	want := []string{
		"gofmt -l", "go mod tidy -diff", "go vet ./...", "staticcheck ./...",
		"for goos in linux darwin windows", `GOOS="$goos" GOARCH="$goarch" go build -o /dev/null .`,
		"action-validator action.yml", "action-validator setup/action.yml", "actionlint",
		"scripts/pin-action-image", pinSetup,
		"go test -race -shuffle=on -count=1 ./...", "xmllint --noout --schema",
		"-bench", "-fuzz",
	}
	rest := script
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf(".ci/run lacks %q after the checks before it (in order: %q)", w, want)
			break
		}
		rest = rest[i+len(w):]
	}
	// GitHub's runner user is not root.
	if !strings.Contains(script, "command -v sudo") || !strings.Contains(script, `"${as_root[@]}" apt-get`) {
		t.Error(".ci/run must run apt-get through sudo when it is not root")
	}
	if !strings.Contains(script, "FUZZTIME=${FUZZTIME:-") {
		t.Error(".ci/run must take the fuzz time from FUZZTIME")
	}
}

// TestAttestationsLines holds .ci/run's workaround honest: it validates
// the workflows with action-validator after dropping every line that sets
// the attestations permission (its schema predates it), so such lines
// must be exactly the attestations entries of permissions maps.
func TestAttestationsLines(t *testing.T) {
	t.Parallel()
	line := regexp.MustCompile(`(?m)^[ \t]+attestations:[ \t]`)
	for name, f := range loadWorkflows(t) {
		src := readRepoFile(t, filepath.Join(".github", "workflows", name))
		entries := 0
		if f.wf.Permissions["attestations"] != "" {
			entries++
		}
		for _, j := range f.wf.Jobs {
			if j.Permissions["attestations"] != "" {
				entries++
			}
		}
		if got := len(line.FindAll(src, -1)); got != entries {
			t.Errorf("%s: %d lines look like attestations: entries but %d permissions set it; .ci/run would drop the wrong lines", name, got, entries)
		}
	}
}

// jobRuns joins the run scripts of a job's steps.
func jobRuns(j job) string {
	var b strings.Builder
	for _, s := range j.Steps {
		b.WriteString(s.Run)
		b.WriteString("\n")
	}
	return b.String()
}

// findStep returns the first step of j whose uses starts with prefix.
func findStep(j job, prefix string) (step, bool) {
	for _, s := range j.Steps {
		if strings.HasPrefix(s.Uses, prefix) {
			return s, true
		}
	}
	return step{}, false
}

// dependsOn reports whether job name waits, directly or not, for dep.
func dependsOn(jobs map[string]job, name, dep string) bool {
	seen := map[string]bool{}
	var walk func(string) bool
	walk = func(n string) bool {
		for _, d := range jobs[n].needs() {
			if d == dep || (!seen[d] && func() bool { seen[d] = true; return walk(d) }()) {
				return true
			}
		}
		return false
	}
	return walk(name)
}

// TestReleaseWorkflow checks the release's order and guarantees: the
// version tag is created by the workflow on a commit whose action.yml
// pins the pushed image by digest and is never forced; binaries and image
// get provenance attestations and the image an SBOM; the major tags move
// last and only for full releases.
func TestReleaseWorkflow(t *testing.T) {
	t.Parallel()
	f := loadWorkflows(t)["release.yml"]
	wf := f.wf
	if got := triggers(wf.On); !slices.Equal(got, []string{"workflow_dispatch"}) {
		t.Errorf("release.yml runs on %q, want workflow_dispatch only: a pushed tag would point at the unpinned commit", got)
	}
	var on struct {
		WorkflowDispatch struct {
			Inputs map[string]struct {
				Required bool   `yaml:"required"`
				Type     string `yaml:"type"`
			} `yaml:"inputs"`
		} `yaml:"workflow_dispatch"`
	}
	if err := wf.On.Decode(&on); err != nil {
		t.Fatal(err)
	}
	if in, ok := on.WorkflowDispatch.Inputs["version"]; !ok || !in.Required || in.Type != "string" {
		t.Errorf("workflow_dispatch inputs = %+v, want a required string input version", on.WorkflowDispatch.Inputs)
	}
	if len(wf.Permissions) != 1 || wf.Permissions["contents"] != "read" {
		t.Errorf("release.yml top-level permissions = %v, want contents: read; grant writes per job", wf.Permissions)
	}
	if wf.Concurrency.CancelInProgress {
		t.Error("a release must not be cancelled half-way by another")
	}

	jobs := wf.Jobs
	for _, name := range []string{"prepare", "image", "tag", "binaries", "major-tag"} {
		if _, ok := jobs[name]; !ok {
			t.Fatalf("release.yml has no job %s (jobs: %q)", name, slices.Sorted(maps.Keys(jobs)))
		}
	}
	// What each job needs and nothing more.
	wantPermissions := map[string]map[string]string{
		"prepare":   {"contents": "read"},
		"image":     {"contents": "read", "packages": "write", "id-token": "write", "attestations": "write"},
		"tag":       {"contents": "write"},
		"binaries":  {"contents": "write", "id-token": "write", "attestations": "write"},
		"major-tag": {"contents": "write", "packages": "write"},
	}
	for name, j := range jobs {
		if want, ok := wantPermissions[name]; !ok || !maps.Equal(j.Permissions, want) {
			t.Errorf("job %s permissions = %v, want %v", name, j.Permissions, want)
		}
		if j.TimeoutMinutes <= 0 {
			t.Errorf("job %s has no timeout-minutes", name)
		}
		// Only jobs that attest may mint OIDC tokens and store attestations.
		_, attests := findStep(j, "actions/attest-build-provenance@")
		if got := j.Permissions["id-token"] == "write" && j.Permissions["attestations"] == "write"; got != attests {
			t.Errorf("job %s: attests %v but id-token/attestations write %v", name, attests, got)
		}
		if !attests && (j.Permissions["id-token"] != "" || j.Permissions["attestations"] != "") {
			t.Errorf("job %s does not attest but asks for id-token or attestations", name)
		}
		if strings.Contains(jobRuns(j), "--force") && name != "major-tag" {
			t.Errorf("job %s forces a push; only the major tag may move", name)
		}
	}
	for _, order := range [][2]string{
		{"image", "prepare"}, {"tag", "image"}, {"binaries", "tag"},
		{"major-tag", "binaries"}, {"major-tag", "image"},
	} {
		if !dependsOn(jobs, order[0], order[1]) {
			t.Errorf("job %s does not wait for %s", order[0], order[1])
		}
	}

	t.Run("prepare", func(t *testing.T) {
		j := jobs["prepare"]
		if !maps.Equal(j.Permissions, map[string]string{"contents": "read"}) {
			t.Errorf("permissions = %v, want contents: read", j.Permissions)
		}
		runs := jobRuns(j)
		for _, want := range []string{"refs/tags/$VERSION", "git ls-remote --exit-code", "already exists"} {
			if !strings.Contains(runs, want) {
				t.Errorf("prepare lacks %q: it must refuse a version whose tag exists", want)
			}
		}
	})

	t.Run("image", func(t *testing.T) {
		j := jobs["image"]
		if j.Permissions["packages"] != "write" || j.Permissions["contents"] != "read" {
			t.Errorf("permissions = %v, want contents: read and packages: write", j.Permissions)
		}
		build, ok := findStep(j, "docker/build-push-action@")
		if !ok {
			t.Fatal("the image job does not use docker/build-push-action")
		}
		if build.With["platforms"] != "linux/amd64,linux/arm64" {
			t.Errorf("image platforms = %q", build.With["platforms"])
		}
		if build.With["push"] != "true" || build.With["sbom"] != "true" {
			t.Errorf("build-push-action push = %q, sbom = %q; want both true", build.With["push"], build.With["sbom"])
		}
		args := strings.Split(strings.TrimSpace(build.With["build-args"]), "\n")
		if len(args) != 2 || !strings.HasPrefix(args[0], "VERSION=") || !strings.HasPrefix(args[1], "REVISION=") {
			t.Errorf("build-args = %q, want VERSION= and REVISION= for the image labels", build.With["build-args"])
		}
		if tags := strings.TrimSpace(build.With["tags"]); strings.ContainsAny(tags, ",\n") || !strings.HasSuffix(tags, ":${{ needs.prepare.outputs.version }}") {
			t.Errorf("tags = %q, want only the version tag; the major tag moves last", build.With["tags"])
		}
		if build.ID == "" || j.Outputs["digest"] != "${{ steps."+build.ID+".outputs.digest }}" {
			t.Errorf("job outputs = %v, want digest from the build step's digest", j.Outputs)
		}
		attest, ok := findStep(j, "actions/attest-build-provenance@")
		if !ok {
			t.Fatal("the image gets no provenance attestation")
		}
		if attest.With["subject-digest"] != "${{ steps."+build.ID+".outputs.digest }}" || attest.With["push-to-registry"] != "true" || attest.With["subject-name"] == "" {
			t.Errorf("image attestation with = %v, want the pushed digest, a subject-name and push-to-registry", attest.With)
		}
		runs := jobRuns(j)
		for _, want := range []string{"ghcr.io/token", "public", "imagetools inspect --raw", ".layers[].size", "GITHUB_STEP_SUMMARY"} {
			if !strings.Contains(runs, want) {
				t.Errorf("image job lacks %q: it must check anonymous pulls and print the pushed size", want)
			}
		}
	})

	t.Run("tag", func(t *testing.T) {
		j := jobs["tag"]
		if !maps.Equal(j.Permissions, map[string]string{"contents": "write"}) {
			t.Errorf("permissions = %v, want only contents: write", j.Permissions)
		}
		var pin step
		for _, s := range j.Steps {
			if strings.Contains(s.Run, pinScript) {
				pin = s
			}
		}
		if !strings.Contains(pin.Run, pinScript+` action.yml "$IMAGE" "$DIGEST"`) || pin.Env["DIGEST"] != "${{ needs.image.outputs.digest }}" {
			t.Errorf("tag job must run %s on action.yml with the image job's digest; got %q with env %v", pinScript, pin.Run, pin.Env)
		}
		runs := jobRuns(j)
		commit, tag, push := strings.Index(runs, "git commit"), strings.Index(runs, `git tag --annotate "$VERSION"`), strings.Index(runs, "git push --atomic")
		if strings.Index(runs, pinScript) > commit || commit < 0 || tag < commit || push < tag {
			t.Error("tag job must pin, commit, tag that commit and push, in that order")
		}
		var pinVersion step
		for _, s := range j.Steps {
			if strings.Contains(s.Run, pinSetup) {
				pinVersion = s
			}
		}
		if !strings.Contains(pinVersion.Run, pinSetup+` `+setupAction+` "$VERSION"`) || pinVersion.Env["VERSION"] != "${{ needs.prepare.outputs.version }}" {
			t.Errorf("tag job must run %s on %s with the release's version; got %q with env %v", pinSetup, setupAction, pinVersion.Run, pinVersion.Env)
		}
		if at := strings.Index(runs, pinSetup); at < 0 || at > commit {
			t.Error("tag job must pin the setup action before it commits")
		}
		if j.Outputs["sha"] == "" {
			t.Error("tag job must output the tagged commit for the later jobs")
		}
	})

	t.Run("binaries", func(t *testing.T) {
		j := jobs["binaries"]
		checkout, _ := findStep(j, "actions/checkout@")
		if checkout.With["ref"] != "${{ needs.tag.outputs.sha }}" {
			t.Errorf("binaries check out %q, want the tagged commit", checkout.With["ref"])
		}
		var build step
		for _, s := range j.Steps {
			if strings.Contains(s.Run, "go build") {
				build = s
			}
		}
		for _, want := range []string{"-trimpath", "-X " + versionVar + "=", "for goos in linux darwin windows", "for goarch in amd64 arm64"} {
			if !strings.Contains(build.Run, want) {
				t.Errorf("go build lacks %q", want)
			}
		}
		if build.Env["CGO_ENABLED"] != "0" {
			t.Error("go build without CGO_ENABLED=0 is not static")
		}
		if attest, ok := findStep(j, "actions/attest-build-provenance@"); !ok || attest.With["subject-path"] == "" {
			t.Error("the binaries get no provenance attestation")
		}
		runs := jobRuns(j)
		// scripts/install.sh reads checksums.txt: every binary, one line
		// each, made before the .sha256 files so it lists only binaries.
		if sums, each := strings.Index(runs, "sha256sum docketqa-gate_* > checksums.txt"), strings.Index(runs, `sha256sum "$f" > "$f.sha256"`); sums < 0 || each < sums {
			t.Error("binaries job must write checksums.txt over the binaries, before the .sha256 files")
		}
		for _, want := range []string{`sha256sum "$f" > "$f.sha256"`, "gh release create", "--verify-tag"} {
			if !strings.Contains(runs, want) {
				t.Errorf("binaries job lacks %q", want)
			}
		}
	})

	t.Run("major-tag", func(t *testing.T) {
		j := jobs["major-tag"]
		if !strings.Contains(j.If, "prerelease != 'true'") {
			t.Errorf("major-tag if = %q; prereleases must not move the major tag", j.If)
		}
		checkout, _ := findStep(j, "actions/checkout@")
		if checkout.With["ref"] != "${{ needs.tag.outputs.sha }}" {
			t.Errorf("major-tag checks out %q, want the tagged commit", checkout.With["ref"])
		}
		runs := jobRuns(j)
		for _, want := range []string{`refs/tags/$MAJOR`, `imagetools create --tag "$IMAGE:$MAJOR" "$IMAGE@$DIGEST"`, "sort -V"} {
			if !strings.Contains(runs, want) {
				t.Errorf("major-tag lacks %q", want)
			}
		}
	})
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

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
