package packaging

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	setupAction   = "setup/action.yml"
	pinSetup      = "scripts/pin-setup-version"
	setupInstalls = `sh "$GITHUB_ACTION_PATH/../scripts/install.sh" -b "$bindir" "$VERSION"`
)

// setupFile is the part of the composite action syntax setup/action.yml
// uses; decoding rejects any other key.
type setupFile struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string  `yaml:"description"`
		Required    bool    `yaml:"required"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []step `yaml:"steps"`
	} `yaml:"runs"`
}

func decodeSetup(t *testing.T, src []byte) setupFile {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	var s setupFile
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("parse %s: %v", setupAction, err)
	}
	return s
}

// TestSetupAction checks the composite action macOS and Windows jobs use:
// one bash step (bash is on every GitHub-hosted runner, Git Bash on
// Windows) that runs scripts/install.sh, and a version input whose default
// is empty on a branch, for the release workflow to pin.
func TestSetupAction(t *testing.T) {
	t.Parallel()
	a := decodeSetup(t, readRepoFile(t, setupAction))
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using = %q, want composite: a Docker action cannot run on macOS or Windows", a.Runs.Using)
	}
	if len(a.Inputs) != 1 || a.Inputs["version"].Default == nil || a.Inputs["version"].Required {
		t.Fatalf("inputs = %+v, want only version, optional, with a default for the release to pin", a.Inputs)
	}
	if d := *a.Inputs["version"].Default; d != "" {
		t.Errorf("version default = %q on a branch; only a release commit pins it", d)
	}
	if len(a.Runs.Steps) != 1 {
		t.Fatalf("%d steps, want the one that installs", len(a.Runs.Steps))
	}
	s := a.Runs.Steps[0]
	if s.Shell != "bash" || s.Env["VERSION"] != "${{ inputs.version }}" || !strings.Contains(s.Run, setupInstalls) {
		t.Errorf("step = %+v, want shell bash running %s with VERSION from the input", s, setupInstalls)
	}
	for name, o := range a.Outputs {
		if o.Value != "${{ steps."+s.ID+".outputs."+name+" }}" {
			t.Errorf("output %s = %q, want the step's output of that name", name, o.Value)
		}
	}
}

// runSetupStep runs the setup action's step script as the runner would:
// bash, with the action's directory and the runner's files in the
// environment, against a release served on loopback.
func runSetupStep(t *testing.T, version string) (code int, stdout, ghPath, ghOutput, bindir string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	rel := newRelease()
	// The fake binary must answer --version, as the step runs it.
	name := "docketqa-gate_" + installVersion + "_linux_amd64"
	rel.files[name] = []byte("#!/bin/sh\necho \"docketqa-gate " + installVersion + " ($*)\"\n")
	var sums strings.Builder
	for _, l := range strings.SplitAfter(rel.checksums, "\n") {
		if !strings.HasSuffix(l, name+"\n") {
			sums.WriteString(l)
		}
	}
	sums.WriteString(sha256Line(rel.files[name], name))
	rel.checksums = sums.String()
	url, _ := rel.serve(t)

	a := decodeSetup(t, readRepoFile(t, setupAction))
	actionPath, err := filepath.Abs(filepath.Join(root, "setup"))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	runnerTemp := filepath.Join(work, "runner-temp")
	if err := os.Mkdir(runnerTemp, 0o700); err != nil {
		t.Fatal(err)
	}
	pathFile, outFile := filepath.Join(work, "github_path"), filepath.Join(work, "github_output")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", a.Runs.Steps[0].Run)
	cmd.Dir = work
	cmd.Env = []string{
		"PATH=" + toolDir(t, "Linux", "x86_64"),
		"TMPDIR=" + runnerTemp,
		"VERSION=" + version,
		"GITHUB_ACTION_PATH=" + actionPath,
		"RUNNER_TEMP=" + runnerTemp,
		"RUNNER_OS=Linux",
		"GITHUB_PATH=" + pathFile,
		"GITHUB_OUTPUT=" + outFile,
		"DOCKETQA_GATE_DOWNLOAD_URL=" + url,
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	p, _ := os.ReadFile(pathFile)
	o, _ := os.ReadFile(outFile)
	return code, out.String(), string(p), string(o), filepath.Join(runnerTemp, "docketqa-gate-bin")
}

// TestSetupActionInstalls runs the setup step: it installs the verified
// binary, puts its directory on PATH for later steps and names it in the
// outputs; without a version (a branch copy of the action) it fails with
// an annotation that says what to pass.
func TestSetupActionInstalls(t *testing.T) {
	t.Parallel()
	t.Run("version", func(t *testing.T) {
		t.Parallel()
		code, stdout, ghPath, ghOutput, bindir := runSetupStep(t, installVersion)
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, stdout)
		}
		if ghPath != bindir+"\n" {
			t.Errorf("GITHUB_PATH = %q, want %q", ghPath, bindir+"\n")
		}
		if want := "path=" + filepath.Join(bindir, "docketqa-gate") + "\nversion=" + installVersion + "\n"; ghOutput != want {
			t.Errorf("GITHUB_OUTPUT = %q, want %q", ghOutput, want)
		}
		if !strings.Contains(stdout, "docketqa-gate "+installVersion+" (--version)") {
			t.Errorf("the step did not run the installed binary's --version:\n%s", stdout)
		}
	})
	t.Run("no version", func(t *testing.T) {
		t.Parallel()
		code, stdout, ghPath, _, bindir := runSetupStep(t, "")
		if code != 1 || !strings.Contains(stdout, "::error title=docketqa-gate setup::") || !strings.Contains(stdout, "pass version:") {
			t.Errorf("exit %d, want 1 with an error annotation:\n%s", code, stdout)
		}
		if ghPath != "" {
			t.Errorf("GITHUB_PATH = %q after a failure", ghPath)
		}
		if _, err := os.Stat(bindir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed setup created %s", bindir)
		}
	})
}

// runPinSetup runs the setup pin script on file.
func runPinSetup(t *testing.T, bash, file, version string) (int, string) {
	t.Helper()
	return runScript(t, bash, pinSetup, file, version)
}

// TestPinSetupVersion runs the rewrite the release applies to the setup
// action before tagging, on copies: a good version changes exactly the
// default line, and the result still decodes with that default; anything
// else is refused and leaves the file as it was.
func TestPinSetupVersion(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	original := readRepoFile(t, setupAction)
	defaultLine := regexp.MustCompile(`(?m)^[ \t]+default:.*$`)

	for _, version := range []string{"v1.2.3", "v10.0.0-rc.1"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "action.yml")
			if err := os.WriteFile(file, original, 0o644); err != nil {
				t.Fatal(err)
			}
			if code, stderr := runPinSetup(t, bash, file, version); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			got, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			oldLines, newLines := strings.Split(string(original), "\n"), strings.Split(string(got), "\n")
			if len(oldLines) != len(newLines) {
				t.Fatalf("pinning changed the number of lines from %d to %d", len(oldLines), len(newLines))
			}
			changed := 0
			for i := range oldLines {
				if oldLines[i] != newLines[i] {
					changed++
					if !defaultLine.MatchString(oldLines[i]) {
						t.Errorf("line %d: %q changed; only the default line may", i+1, oldLines[i])
					}
				}
			}
			if changed != 1 {
				t.Errorf("%d lines changed, want exactly the default line", changed)
			}
			a := decodeSetup(t, got)
			if d := a.Inputs["version"].Default; d == nil || *d != version {
				t.Errorf("pinned default = %v, want %q", d, version)
			}
			if av, err := exec.LookPath("action-validator"); err == nil {
				if out, err := exec.Command(av, file).CombinedOutput(); err != nil {
					t.Errorf("action-validator rejects the pinned setup action: %v\n%s", err, out)
				}
			}
		})
	}

	for _, bad := range []string{"1.2.3", "v1.2", "v1.2.3'", "v1.2.3\nx", "v1.2.3 ", "latest", "", "v1.2.3-rc/1"} {
		t.Run("refuses "+bad, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "action.yml")
			if err := os.WriteFile(file, original, 0o644); err != nil {
				t.Fatal(err)
			}
			if code, _ := runPinSetup(t, bash, file, bad); code != 1 {
				t.Errorf("exit %d for version %q, want 1", code, bad)
			}
			if got, _ := os.ReadFile(file); !bytes.Equal(got, original) {
				t.Error("a refused rewrite changed the file")
			}
		})
	}

	for name, src := range map[string]string{
		"two defaults":      "inputs:\n  a:\n    default: ''\n  b:\n    default: ''\nruns:\n  using: 'composite'\n",
		"no default":        "inputs:\n  a:\n    required: false\nruns:\n  using: 'composite'\n",
		"docker action":     "inputs:\n  a:\n    default: ''\nruns:\n  using: 'docker'\n  image: 'Dockerfile'\n",
		"top-level default": "default: ''\nruns:\n  using: 'composite'\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "action.yml")
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			if code, _ := runPinSetup(t, bash, file, "v1.2.3"); code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if got, _ := os.ReadFile(file); string(got) != src {
				t.Error("a refused rewrite changed the file")
			}
		})
	}
}
