package packaging

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// root is the repository root, relative to this package's directory, where
// go test runs.
const root = "../.."

// versionVar is the variable every build stamps the version into.
const versionVar = "github.com/docketqa-gate/docketqa-gate/internal/version.version"

// readRepoFile returns the content of a file given relative to the root.
func readRepoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

// TestVersionVariable checks that the variable the builds stamp with -X
// exists: the linker silently ignores -X for a missing one, and every
// release would then report "dev".
func TestVersionVariable(t *testing.T) {
	t.Parallel()
	pkgPath, name, _ := strings.Cut(versionVar[strings.LastIndex(versionVar, "/")+1:], ".")
	dir := filepath.Join(root, "internal", pkgPath)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.VAR {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if id.Name != name {
						continue
					}
					// -X sets only string variables initialised to a
					// constant (or not at all).
					if len(vs.Values) > i {
						if _, ok := vs.Values[i].(*ast.BasicLit); !ok {
							t.Errorf("%s is initialised with an expression; -X cannot set it", versionVar)
						}
					}
					return
				}
			}
		}
	}
	t.Errorf("package internal/%s declares no variable %q for -X %s", pkgPath, name, versionVar)
}

// apacheLicenseSHA256 is the SHA-256 of the Apache License 2.0 text as the
// Apache Software Foundation publishes it (LICENSE-2.0.txt), which Debian
// ships as /usr/share/common-licenses/Apache-2.0.
const apacheLicenseSHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"

// TestLicense checks that LICENSE is the unmodified Apache-2.0 text that
// the image's licenses label and the README name.
func TestLicense(t *testing.T) {
	t.Parallel()
	b := readRepoFile(t, "LICENSE")
	if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != apacheLicenseSHA256 {
		t.Errorf("LICENSE has SHA-256 %s, want %s (the Apache License 2.0 text, unmodified)", got, apacheLicenseSHA256)
	}
}

// pinScript is the release's action.yml rewrite, relative to the root.
const pinScript = "scripts/pin-action-image"

// runPin runs the pin script on file and returns its exit code and
// standard error.
func runPin(t *testing.T, bash, file, image, digest string) (int, string) {
	t.Helper()
	return runScript(t, bash, pinScript, file, image, digest)
}

// runScript runs the bash script at name (relative to the root) with args
// and returns its exit code and standard error; it fails the test when the
// script cannot be started at all.
func runScript(t *testing.T, bash, name string, args ...string) (int, string) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, append([]string{script}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stderr.String()
	}
	t.Fatalf("run %s: %v", name, err)
	return 0, ""
}

// TestPinActionImage runs the rewrite the release applies before tagging
// on copies of action.yml: a good digest changes exactly the image line
// into a digest-pinned docker:// reference that still decodes as an action;
// anything malformed is refused and leaves the file as it was.
func TestPinActionImage(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	const image = "ghcr.io/docketqa-gate/docketqa-gate"
	digest := fmt.Sprintf("sha256:%x", sha256.Sum256([]byte("image")))
	original := readRepoFile(t, "action.yml")
	imageLine := regexp.MustCompile(`(?m)^[ \t]+image:.*$`)
	if n := len(imageLine.FindAll(original, -1)); n != 1 {
		t.Fatalf("action.yml has %d image: lines, want 1", n)
	}

	t.Run("pins", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "action.yml")
		if err := os.WriteFile(file, original, 0o644); err != nil {
			t.Fatal(err)
		}
		if code, stderr := runPin(t, bash, file, image, digest); code != 0 {
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
		orig := string(imageLine.Find(original))
		wantLine := orig[:strings.Index(orig, "image:")] + "image: 'docker://" + image + "@" + digest + "'"
		changed := 0
		for i := range oldLines {
			if oldLines[i] == newLines[i] {
				continue
			}
			changed++
			if !imageLine.MatchString(oldLines[i]) || newLines[i] != wantLine {
				t.Errorf("line %d: %q became %q; only the image line may change, to %q", i+1, oldLines[i], newLines[i], wantLine)
			}
		}
		if changed != 1 {
			t.Errorf("%d lines changed, want exactly the image line", changed)
		}

		var a actionFile
		dec := yaml.NewDecoder(bytes.NewReader(got))
		dec.KnownFields(true)
		if err := dec.Decode(&a); err != nil {
			t.Fatalf("pinned action.yml does not decode: %v", err)
		}
		if want := "docker://" + image + "@" + digest; a.Runs.Using != "docker" || a.Runs.Image != want {
			t.Errorf("pinned runs = %q with image %q, want docker with %q", a.Runs.Using, a.Runs.Image, want)
		}
		// .ci/run puts action-validator on PATH; run it when it is there.
		if av, err := exec.LookPath("action-validator"); err == nil {
			if out, err := exec.Command(av, file).CombinedOutput(); err != nil {
				t.Errorf("action-validator rejects the pinned action.yml: %v\n%s", err, out)
			}
		} else {
			t.Log("action-validator is not on PATH; .ci/run validates the pinned file")
		}
	})

	hex := digest[len("sha256:"):]
	refused := []struct {
		name, image, digest string
	}{
		{"upper-case digest", image, "sha256:" + strings.ToUpper(hex)},
		{"no algorithm", image, hex},
		{"other algorithm", image, "sha512:" + hex},
		{"short digest", image, digest[:len(digest)-1]},
		{"long digest", image, digest + "0"},
		{"digest with space", image, digest + " "},
		{"digest with newline", image, digest + "\n"},
		{"digest with quote", image, digest[:len(digest)-1] + "'"},
		{"empty digest", image, ""},
		{"upper-case image", "ghcr.io/DocketQA-Gate/docketqa-gate", digest},
		{"image with tag", image + ":v1", digest},
		{"image with digest", image + "@" + digest, digest},
		{"image with scheme", "docker://" + image, digest},
		{"registry only", "ghcr.io", digest},
		{"no registry", "docketqa-gate/docketqa-gate", digest},
		{"image with quote", image + "'", digest},
		{"image with newline", image + "\nx", digest},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "action.yml")
			if err := os.WriteFile(file, original, 0o644); err != nil {
				t.Fatal(err)
			}
			if code, _ := runPin(t, bash, file, tc.image, tc.digest); code != 1 {
				t.Errorf("exit %d for image %q digest %q, want 1 (refused)", code, tc.image, tc.digest)
			}
			if got, _ := os.ReadFile(file); !bytes.Equal(got, original) {
				t.Error("a refused rewrite changed the file")
			}
		})
	}

	files := []struct {
		name, src string
		wantCode  int
		want      string
	}{
		{"no image line", "name: x\nruns:\n  using: 'docker'\n", 1, ""},
		{"two image lines", "runs:\n  using: 'docker'\n  image: 'Dockerfile'\n  image: 'Dockerfile'\n", 1, ""},
		{"not a docker action", "runs:\n  using: 'node20'\n  image: 'Dockerfile'\n", 1, ""},
		{"no final newline kept", "runs:\n  using: docker\n  image: Dockerfile # built on every run", 0,
			"runs:\n  using: docker\n  image: 'docker://" + image + "@" + digest + "'"},
		{"indentation kept", "runs:\n    using: \"docker\"\n    image: \"Dockerfile\"\n", 0,
			"runs:\n    using: \"docker\"\n    image: 'docker://" + image + "@" + digest + "'\n"},
	}
	for _, tc := range files {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "action.yml")
			if err := os.WriteFile(file, []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stderr := runPin(t, bash, file, image, digest)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, stderr)
			}
			want := tc.want
			if code != 0 {
				want = tc.src
			}
			if got, _ := os.ReadFile(file); string(got) != want {
				t.Errorf("file =\n%q\nwant\n%q", got, want)
			}
		})
	}

	if code, _ := runPin(t, bash, filepath.Join(t.TempDir(), "missing.yml"), image, digest); code != 1 {
		t.Errorf("exit %d for a missing file, want 1", code)
	}
}
