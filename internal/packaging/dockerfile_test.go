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
	// Platform is the FROM's --platform value as written, unexpanded;
	// empty when there is none.
	Platform string
	Body     []instruction
}

// stages splits ins into stages. It also returns the global ARGs, the
// ones before the first FROM.
func stages(t *testing.T, ins []instruction) ([]stage, []instruction) {
	t.Helper()
	var (
		out    []stage
		global []instruction
	)
	for _, in := range ins {
		if in.Cmd != "FROM" {
			if len(out) == 0 {
				if in.Cmd != "ARG" {
					t.Fatalf("line %d: %s before the first FROM", in.Line, in.Cmd)
				}
				global = append(global, in)
				continue
			}
			out[len(out)-1].Body = append(out[len(out)-1].Body, in)
			continue
		}
		var (
			f        []string
			platform string
		)
		for _, w := range strings.Fields(in.Args) {
			if v, ok := strings.CutPrefix(w, "--platform="); ok {
				platform = v
				continue
			}
			if strings.HasPrefix(w, "--") {
				t.Fatalf("line %d: FROM flag %s is not understood", in.Line, w)
			}
			f = append(f, w)
		}
		s := stage{Base: f[0], Platform: platform}
		if len(f) == 3 && strings.EqualFold(f[1], "AS") {
			s.Name = f[2]
		} else if len(f) != 1 {
			t.Fatalf("line %d: cannot read FROM %s", in.Line, in.Args)
		}
		out = append(out, s)
	}
	return out, global
}

// expandWord expands a Dockerfile word as both builders do for the forms
// this Dockerfile may use: $NAME, ${NAME} and ${NAME:-fallback}, where an
// unset or empty NAME gives the literal fallback. Other modifiers are
// refused, so the test cannot silently misread them.
func expandWord(word string, vars map[string]string) (string, error) {
	ref := regexp.MustCompile(`\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-)([^${}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))`)
	rest := ref.ReplaceAllString(word, "")
	if strings.Contains(rest, "$") {
		return "", fmt.Errorf("%q uses a variable form other than $NAME, ${NAME} or ${NAME:-fallback}", word)
	}
	return ref.ReplaceAllStringFunc(word, func(m string) string {
		g := ref.FindStringSubmatch(m)
		if g[4] != "" {
			return vars[g[4]]
		}
		if v := vars[g[1]]; v != "" || g[2] == "" {
			return v
		}
		return g[3]
	}), nil
}

func TestExpandWord(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"A": "x", "EMPTY": ""}
	cases := []struct {
		word, want string
		wantErr    bool
	}{
		{word: "$A/${A}", want: "x/x"},
		{word: "${A:-y}", want: "x"},
		{word: "${EMPTY:-y}", want: "y"},
		{word: "${UNSET:-linux}", want: "linux"},
		{word: "$UNSET", want: ""},
		{word: "${A:+y}", wantErr: true},
		{word: "${A-y}", wantErr: true},
	}
	for _, tc := range cases {
		got, err := expandWord(tc.word, vars)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("expandWord(%q) = %q, %v; want %q, error %v", tc.word, got, err, tc.want, tc.wantErr)
		}
	}
}

// buildkitVars are the automatic platform ARGs BuildKit sets when an amd64
// machine builds for arm64; the legacy builder sets none of them.
var buildkitVars = map[string]string{
	"BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux", "BUILDARCH": "amd64",
	"TARGETPLATFORM": "linux/arm64", "TARGETOS": "linux", "TARGETARCH": "arm64",
}

// automaticArgs are the platform ARGs BuildKit sets by itself.
var automaticArgs = map[string]bool{
	"BUILDPLATFORM": true, "BUILDOS": true, "BUILDARCH": true, "BUILDVARIANT": true,
	"TARGETPLATFORM": true, "TARGETOS": true, "TARGETARCH": true, "TARGETVARIANT": true,
}

// knownOS are operating systems a platform specifier may name alone; the
// builders then take the architecture from the machine that builds.
var knownOS = map[string]bool{"linux": true, "windows": true, "darwin": true, "freebsd": true}

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
	st, global := stages(t, ins)
	if len(st) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a builder and a runtime stage", len(st))
	}
	builder, final := st[0], st[len(st)-1]

	// The builder must run natively on the building machine with both
	// builders: under BuildKit on BUILDPLATFORM (cross-compiling, no QEMU
	// for a multi-platform build), under the legacy builder, which sets no
	// platform ARGs, on the daemon's own platform. An empty --platform
	// fails the legacy build ("failed to parse platform"); a fallback that
	// names an architecture would force emulation on other hosts.
	t.Run("builder platform", func(t *testing.T) {
		if !strings.Contains(builder.Platform, "BUILDPLATFORM") {
			t.Fatalf("builder FROM --platform=%q, want it to follow $BUILDPLATFORM", builder.Platform)
		}
		underBuildKit, err := expandWord(builder.Platform, buildkitVars)
		if err != nil {
			t.Fatal(err)
		}
		if underBuildKit != buildkitVars["BUILDPLATFORM"] {
			t.Errorf("under BuildKit, --platform=%s gives %q, want the build platform %q", builder.Platform, underBuildKit, buildkitVars["BUILDPLATFORM"])
		}
		legacy, err := expandWord(builder.Platform, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !knownOS[legacy] {
			t.Errorf("under the legacy builder, --platform=%s gives %q, want an operating system alone (the daemon's architecture is then used)", builder.Platform, legacy)
		}
		// BuildKit lets a global ARG's default replace its automatic
		// value, which would pin the builder to that platform.
		for _, in := range global {
			if name, value, hasDefault := strings.Cut(in.Args, "="); hasDefault && automaticArgs[name] {
				t.Errorf("line %d: ARG %s=%s overrides BuildKit's automatic platform argument", in.Line, name, value)
			}
		}
		for _, s := range st[1:] {
			if s.Platform != "" {
				t.Errorf("stage FROM %s sets --platform=%s; later stages must follow the target platform", s.Base, s.Platform)
			}
		}
	})

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

		// GOOS and GOARCH come from the target platform under BuildKit.
		// Under the legacy builder they may be empty, which Go treats as
		// unset: it then builds for the builder's own platform, the same
		// one the legacy builder pulls the runtime base for.
		for _, name := range []string{"TARGETOS", "TARGETARCH"} {
			declared := false
			for _, in := range builder.find("ARG") {
				if strings.HasPrefix(in.Args, name+"=") {
					t.Errorf("line %d: ARG %s has a default; it would hide BuildKit's value", in.Line, in.Args)
				}
				declared = declared || in.Args == name
			}
			if !declared {
				t.Errorf("builder does not declare ARG %s, so the build cannot see it", name)
			}
		}
		goEnv := func(vars map[string]string) map[string]string {
			env := map[string]string{}
			for _, w := range strings.Fields(build.Args) {
				k, v, ok := strings.Cut(w, "=")
				if !ok || (k != "GOOS" && k != "GOARCH") {
					continue
				}
				x, err := expandWord(v, vars)
				if err != nil {
					t.Fatal(err)
				}
				env[k] = x
			}
			return env
		}
		if env := goEnv(buildkitVars); env["GOOS"] != "linux" || env["GOARCH"] != "arm64" {
			t.Errorf("under BuildKit for linux/arm64, go build gets GOOS=%q GOARCH=%q", env["GOOS"], env["GOARCH"])
		}
		if env := goEnv(nil); (env["GOOS"] != "linux" && env["GOOS"] != "") || env["GOARCH"] != "" {
			t.Errorf("under the legacy builder, go build gets GOOS=%q GOARCH=%q; want linux (or empty) and empty, the builder's own", env["GOOS"], env["GOARCH"])
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
		if got := labels["org.opencontainers.image.licenses"]; got != "Apache-2.0" {
			t.Errorf("licenses label = %q, want Apache-2.0 like LICENSE", got)
		}
		// The release passes VERSION and REVISION as build arguments; the
		// final stage must declare them to see them.
		for key, arg := range map[string]string{"org.opencontainers.image.version": "VERSION", "org.opencontainers.image.revision": "REVISION"} {
			if got := labels[key]; got != "${"+arg+"}" && got != "$"+arg {
				t.Errorf("label %s = %q, want it set from the build argument %s", key, got, arg)
			}
			declared := false
			for _, in := range final.find("ARG") {
				name, _, _ := strings.Cut(in.Args, "=")
				declared = declared || name == arg
			}
			if !declared {
				t.Errorf("final stage does not declare ARG %s, so label %s would be empty", arg, key)
			}
		}

		licensed := false
		for _, in := range final.find("COPY") {
			f := strings.Fields(in.Args)
			licensed = licensed || len(f) == 2 && f[0] == "LICENSE" && strings.HasPrefix(f[1], "/usr/share/")
		}
		if !licensed {
			t.Error("final stage does not COPY LICENSE into /usr/share/")
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

	needed := []string{"go.mod", "go.sum", "LICENSE"}
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
