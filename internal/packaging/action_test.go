package packaging

import (
	"bytes"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/docketqa-gate/docketqa-gate/internal/ci"
	"github.com/docketqa-gate/docketqa-gate/internal/config"
)

// actionFile is the part of the action metadata syntax the gate uses.
// Decoding rejects any other key, which catches typos such as "defualt"
// that GitHub would silently ignore.
type actionFile struct {
	Name        string `yaml:"name"`
	Author      string `yaml:"author"`
	Description string `yaml:"description"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		// Default is nil when the input declares none.
		Default            *string `yaml:"default"`
		DeprecationMessage string  `yaml:"deprecationMessage"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using      string            `yaml:"using"`
		Image      string            `yaml:"image"`
		Args       []string          `yaml:"args"`
		Env        map[string]string `yaml:"env"`
		Entrypoint string            `yaml:"entrypoint"`
	} `yaml:"runs"`
}

func loadAction(t *testing.T) actionFile {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readRepoFile(t, "action.yml")))
	dec.KnownFields(true)
	var a actionFile
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("parse action.yml: %v", err)
	}
	return a
}

func TestActionRunsTheDockerfile(t *testing.T) {
	t.Parallel()
	a := loadAction(t)
	if a.Runs.Using != "docker" || a.Runs.Image != "Dockerfile" {
		t.Errorf("runs = %q with image %q, want docker with image Dockerfile", a.Runs.Using, a.Runs.Image)
	}
	// Inputs arrive as INPUT_* variables. Args or env would duplicate them
	// (and could leak the key into the process list); an entrypoint would
	// bypass the image's.
	if len(a.Runs.Args) != 0 || len(a.Runs.Env) != 0 || a.Runs.Entrypoint != "" {
		t.Errorf("runs sets args %q, env %v or entrypoint %q; the image must get its inputs only as INPUT_* variables",
			a.Runs.Args, a.Runs.Env, a.Runs.Entrypoint)
	}
	if a.Name == "" || a.Description == "" {
		t.Error("action.yml needs a name and a description")
	}
	_, codes, ok := strings.Cut(a.Description, "Exit codes:")
	for _, code := range []string{"0", "1", "2", "3"} {
		if !ok || !regexp.MustCompile(`\b`+code+`\b`).MatchString(codes) {
			t.Errorf("description does not explain exit code %s after \"Exit codes:\"", code)
		}
	}
	if a.Branding.Icon == "" || a.Branding.Color == "" {
		t.Error("action.yml needs branding (icon and color) to be listed on the Marketplace")
	}
}

func TestActionInputsMatchSettings(t *testing.T) {
	t.Parallel()
	a := loadAction(t)
	settings := map[string]config.Setting{}
	for _, s := range config.Settings() {
		if s.Input != "" {
			settings[s.Input] = s
		}
	}
	if got, want := slices.Sorted(maps.Keys(a.Inputs)), slices.Sorted(maps.Keys(settings)); !slices.Equal(got, want) {
		t.Fatalf("action.yml inputs = %q,\nconfig.Settings() inputs = %q", got, want)
	}

	// The runner passes an input as INPUT_<NAME upper-cased>, hyphens kept.
	valid := regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	for name, in := range a.Inputs {
		s := settings[name]
		if !valid.MatchString(name) {
			t.Errorf("input %q: use lower-case words joined by hyphens", name)
		}
		if strings.TrimSpace(in.Description) == "" {
			t.Errorf("input %q has no description", name)
		}
		// A declared default is passed as an input on every run, and an
		// input beats DOCKETQA_* variables and the --config file, so a
		// default in action.yml would silently override both. The gate
		// applies the defaults itself; the description states them.
		// The one exception is the token: a Docker action sees the job's
		// token only through an input, and no DOCKETQA_* variable or file
		// setting exists for it to override.
		if name == "github-token" {
			if in.Default == nil || *in.Default != "${{ github.token }}" {
				t.Errorf("input github-token must default to ${{ github.token }}, got %v", in.Default)
			}
		} else if in.Default != nil {
			t.Errorf("input %q declares a default (%q); remove it and state the default in the description", name, *in.Default)
		}
		if s.Secret {
			if !strings.Contains(strings.ToLower(in.Description), "secret") {
				t.Errorf("input %q is secret but its description does not say so", name)
			}
			continue
		}
		if in.Required {
			t.Errorf("input %q is required; only the key is, the gate checks the rest itself", name)
		}
		want := "Default: " + s.Default + "."
		switch {
		case name == "summary-path":
			// Resolved from GITHUB_STEP_SUMMARY at run time.
			want = "Default: the job summary ($GITHUB_STEP_SUMMARY)."
		case name == "blueprint-ids":
			want = "Required unless"
		case s.Default == "":
			want = "Default: none."
		}
		if !strings.Contains(in.Description, want) {
			t.Errorf("input %q: description %q does not state %q, the code's default", name, in.Description, want)
		}
	}
}

func TestActionOutputsMatchCode(t *testing.T) {
	t.Parallel()
	a := loadAction(t)
	if got, want := slices.Sorted(maps.Keys(a.Outputs)), slices.Sorted(slices.Values(ci.OutputNames())); !slices.Equal(got, want) {
		t.Fatalf("action.yml outputs = %q,\nci.OutputNames() = %q", got, want)
	}
	for name, out := range a.Outputs {
		if strings.TrimSpace(out.Description) == "" {
			t.Errorf("output %q has no description", name)
		}
	}
}
