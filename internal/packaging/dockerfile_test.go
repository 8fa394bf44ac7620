package packaging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// The Dockerfile is read with a small parser instead of BuildKit's: that
// module would add protobuf and four more modules to go.mod, which the
// image build's `go mod download` would then fetch on every action run.
// The parser covers the plain syntax the Dockerfile uses and rejects what
// it does not understand, so it cannot silently misread the file.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Cmd  string // upper-cased keyword, e.g. "RUN"
	Args string // everything after the keyword
	Line int    // where it starts, for messages
}

// heredoc matches the start of a BuildKit heredoc (<<EOF, <<-"EOF").
var heredoc = regexp.MustCompile(`<<-?["']?[A-Za-z_]`)

// parseDockerfile splits src into instructions. It follows Docker's rules
// for comments (a line starting with #, even inside a continuation), empty
// lines and backslash continuations, and refuses heredocs and the escape
// directive, which would change those rules.
func parseDockerfile(src string) ([]instruction, error) {
	var (
		out     []instruction
		cur     *instruction
		pending []string
	)
	for i, raw := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(line, "#") {
			if d := strings.ToLower(strings.ReplaceAll(line, " ", "")); strings.HasPrefix(d, "#escape=") && cur == nil && len(out) == 0 {
				return nil, fmt.Errorf("line %d: the escape directive is not supported", i+1)
			}
			continue
		}
		if line == "" {
			continue
		}
		if cur == nil {
			keyword, args := line, ""
			if j := strings.IndexFunc(line, unicode.IsSpace); j >= 0 {
				keyword, args = line[:j], line[j:]
			}
			cur = &instruction{Cmd: strings.ToUpper(keyword), Line: i + 1}
			line = strings.TrimSpace(args)
		}
		body, continued := strings.CutSuffix(line, `\`)
		pending = append(pending, strings.TrimSpace(body))
		if continued {
			continue
		}
		cur.Args = strings.Join(slices.DeleteFunc(pending, func(s string) bool { return s == "" }), " ")
		if heredoc.MatchString(cur.Args) {
			return nil, fmt.Errorf("line %d: heredocs are not supported", cur.Line)
		}
		out = append(out, *cur)
		cur, pending = nil, nil
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: %s ends in a line continuation", cur.Line, cur.Cmd)
	}
	return out, nil
}

// execForm returns the arguments of an exec-form (JSON array) instruction.
// Docker falls back to shell form for anything that is not a valid array.
func execForm(args string) ([]string, bool) {
	var argv []string
	if !strings.HasPrefix(args, "[") || json.Unmarshal([]byte(args), &argv) != nil {
		return nil, false
	}
	return argv, true
}

func TestParseDockerfile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		src     string
		want    []instruction
		wantErr string
	}{
		{
			name: "continuations, comments and blank lines",
			src:  "# comment\nFROM golang:1.26 AS builder\n\nrun go build \\\n  # inner comment\n\n  -o /x .\r\nENTRYPOINT [\"/x\"]",
			want: []instruction{
				{Cmd: "FROM", Args: "golang:1.26 AS builder", Line: 2},
				{Cmd: "RUN", Args: "go build -o /x .", Line: 4},
				{Cmd: "ENTRYPOINT", Args: `["/x"]`, Line: 8},
			},
		},
		{name: "heredoc", src: "FROM alpine\nRUN <<EOF\necho hi\nEOF\n", wantErr: "heredocs"},
		{name: "escape directive", src: "# escape=`\nFROM alpine\n", wantErr: "escape"},
		{name: "dangling continuation", src: "FROM alpine\nRUN true \\\n", wantErr: "continuation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseDockerfile(tc.src)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseDockerfile() error = %v, want one about %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseDockerfile() error = %v", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("parseDockerfile() =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestExecForm(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args   string
		want   []string
		wantOK bool
	}{
		{`["/usr/local/bin/docketqa-gate"]`, []string{"/usr/local/bin/docketqa-gate"}, true},
		{`["/bin/sh", "-c", "x"]`, []string{"/bin/sh", "-c", "x"}, true},
		{`/usr/local/bin/docketqa-gate`, nil, false},
		{`['/single/quotes']`, nil, false},
	}
	for _, tc := range cases {
		got, ok := execForm(tc.args)
		if ok != tc.wantOK || !slices.Equal(got, tc.want) {
			t.Errorf("execForm(%q) = %q, %v; want %q, %v", tc.args, got, ok, tc.want, tc.wantOK)
		}
	}
}

// stage is one FROM and the instructions after it.
type stage struct {
	Base, Name string
	Body       []instruction
}

func stages(t *testing.T, ins []instruction) []stage {
	t.Helper()
	var out []stage
	for _, in := range ins {
		if in.Cmd != "FROM" {
			if len(out) == 0 {
				if in.Cmd != "ARG" {
					t.Fatalf("line %d: %s before the first FROM", in.Line, in.Cmd)
				}
				continue
			}
			out[len(out)-1].Body = append(out[len(out)-1].Body, in)
			continue
		}
		var f []string
		for _, w := range strings.Fields(in.Args) {
			if !strings.HasPrefix(w, "--") { // --platform=...
				f = append(f, w)
			}
		}
		s := stage{Base: f[0]}
		if len(f) == 3 && strings.EqualFold(f[1], "AS") {
			s.Name = f[2]
		} else if len(f) != 1 {
			t.Fatalf("line %d: cannot read FROM %s", in.Line, in.Args)
		}
		out = append(out, s)
	}
	return out
}

func (s stage) find(cmd string) []instruction {
	var out []instruction
	for _, in := range s.Body {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// runtimeBases are final-stage bases that have a shell and cat (GitLab
// runs job scripts with the image's sh; Jenkins' inside() starts cat) and
// can carry CA certificates. The -nonroot distroless variants are left
// out: they switch to a non-root user, which GitHub Docker actions forbid.
var runtimeBases = []struct {
	pattern  *regexp.Regexp
	installs string // the command that must add ca-certificates, if any
}{
	{regexp.MustCompile(`^alpine:3\.\d+(\.\d+)?(@sha256:[0-9a-f]{64})?$`), "apk add"},
	{regexp.MustCompile(`^debian:[a-z0-9.]+(-slim)?(@sha256:[0-9a-f]{64})?$`), "apt-get install"},
	{regexp.MustCompile(`^gcr\.io/distroless/(static|base)-debian\d+:debug(@sha256:[0-9a-f]{64})?$`), ""},
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	ins, err := parseDockerfile(string(readRepoFile(t, "Dockerfile")))
	if err != nil {
		t.Fatalf("parse Dockerfile: %v", err)
	}
	st := stages(t, ins)
	if len(st) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a builder and a runtime stage", len(st))
	}
	builder, final := st[0], st[len(st)-1]

	t.Run("builder", func(t *testing.T) {
		if builder.Name == "" || !strings.HasPrefix(builder.Base, "golang:") {
			t.Errorf("first stage is FROM %s AS %q, want a named golang stage", builder.Base, builder.Name)
		}
		// Module download before the source copy keeps it cached.
		order := []string{"COPY go.mod go.sum", "RUN go mod download", "COPY . .", "ARG VERSION=dev", "RUN CGO_ENABLED=0"}
		next := 0
		var build instruction
		for _, in := range builder.Body {
			if next < len(order) && strings.HasPrefix(in.Cmd+" "+in.Args, order[next]) {
				next++
			}
			if in.Cmd == "RUN" && strings.Contains(in.Args, "go build") {
				build = in
			}
		}
		if next < len(order) {
			t.Errorf("builder lacks %q (in order: %q)", order[next], order)
		}
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-X ` + versionVar + `=${VERSION}`, "-o /out/docketqa-gate"} {
			if !strings.Contains(build.Args, want) {
				t.Errorf("go build (line %d) lacks %q", build.Line, want)
			}
		}
	})

	t.Run("runtime", func(t *testing.T) {
		// GitHub runs Docker actions as root and sets the working
		// directory to the workspace; USER or WORKDIR would break that.
		for _, cmd := range []string{"USER", "WORKDIR"} {
			for _, in := range final.find(cmd) {
				t.Errorf("line %d: the final stage must not set %s", in.Line, cmd)
			}
		}
		eps := final.find("ENTRYPOINT")
		if len(eps) != 1 {
			t.Fatalf("final stage has %d ENTRYPOINTs, want 1", len(eps))
		}
		if argv, ok := execForm(eps[0].Args); !ok || !slices.Equal(argv, []string{"/usr/local/bin/docketqa-gate"}) {
			t.Errorf("ENTRYPOINT %s, want exec form [\"/usr/local/bin/docketqa-gate\"] (shell form would swallow signals)", eps[0].Args)
		}
		copied := false
		for _, in := range final.find("COPY") {
			copied = copied || in.Args == "--from="+builder.Name+" /out/docketqa-gate /usr/local/bin/docketqa-gate"
		}
		if !copied {
			t.Errorf("final stage does not COPY --from=%s the binary to /usr/local/bin/docketqa-gate", builder.Name)
		}

		allowed := false
		for _, b := range runtimeBases {
			if !b.pattern.MatchString(final.Base) {
				continue
			}
			allowed = true
			if b.installs == "" {
				break
			}
			installed := false
			for _, in := range final.find("RUN") {
				installed = installed || strings.Contains(in.Args, b.installs) && strings.Contains(in.Args, "ca-certificates")
			}
			if !installed {
				t.Errorf("final base %s needs ca-certificates installed with %s", final.Base, b.installs)
			}
		}
		if !allowed {
			t.Errorf("final base %s is not a pinned base with a shell and CA certificates (alpine, debian or distroless :debug)", final.Base)
		}

		labels := map[string]string{}
		pair := regexp.MustCompile(`([A-Za-z0-9_.-]+)=("(?:[^"\\]|\\.)*"|\S+)`)
		for _, in := range final.find("LABEL") {
			for _, m := range pair.FindAllStringSubmatch(in.Args, -1) {
				labels[m[1]] = strings.Trim(m[2], `"`)
			}
		}
		for _, key := range []string{"org.opencontainers.image.source", "org.opencontainers.image.description", "org.opencontainers.image.licenses"} {
			if labels[key] == "" {
				t.Errorf("final stage lacks the label %s", key)
			}
		}
	})
}

// TestDockerignoreKeepsBuildInputs checks that .dockerignore keeps every
// file the binary is compiled from, using Docker's own matcher: nothing
// else here can build the image to find out.
func TestDockerignoreKeepsBuildInputs(t *testing.T) {
	t.Parallel()
	patterns, err := ignorefile.ReadAll(bytes.NewReader(readRepoFile(t, ".dockerignore")))
	if err != nil {
		t.Fatalf("read .dockerignore: %v", err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatalf("parse .dockerignore: %v", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}

	needed := []string{"go.mod", "go.sum"}
	for _, arch := range []string{"amd64", "arm64"} {
		needed = append(needed, buildInputs(t, goTool, arch)...)
	}
	// Proof that the matcher works: these must be excluded.
	for _, f := range []string{".git/HEAD", "internal/ci/ci_test.go"} {
		if ignored, err := pm.MatchesOrParentMatches(filepath.FromSlash(f)); err != nil || !ignored {
			t.Errorf("%s is sent to the Docker build (matched %v, err %v); .dockerignore should exclude it", f, ignored, err)
		}
	}
	for _, f := range needed {
		ignored, err := pm.MatchesOrParentMatches(filepath.FromSlash(f))
		if err != nil {
			t.Fatalf("match %s: %v", f, err)
		}
		if ignored {
			t.Errorf(".dockerignore excludes %s, which the image build compiles", f)
		}
	}
}

// buildInputs lists, relative to the root, the source and embedded files
// of this module's packages that the linux/arch binary is built from.
func buildInputs(t *testing.T, goTool, arch string) []string {
	t.Helper()
	cmd := exec.Command(goTool, "list", "-deps", "-json=Dir,ImportPath,GoFiles,SFiles,EmbedFiles,Module", ".")
	cmd.Dir = root
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Dir                         string
			GoFiles, SFiles, EmbedFiles []string
			Module                      *struct{ Main bool }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		rel, err := filepath.Rel(abs, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range slices.Concat(p.GoFiles, p.SFiles, p.EmbedFiles) {
			files = append(files, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	if len(files) == 0 {
		t.Fatal("go list found no source files of this module")
	}
	return files
}
