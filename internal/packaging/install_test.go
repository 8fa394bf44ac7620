package packaging

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	installScript  = "scripts/install.sh"
	installVersion = "v1.2.3"
)

// release is a fake GitHub release: one file per OS and architecture, named
// as the release workflow names them, and a checksums.txt over all of them.
type release struct {
	files     map[string][]byte
	checksums string
}

func newRelease() release {
	r := release{files: map[string][]byte{}}
	var sums strings.Builder
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, goarch := range []string{"amd64", "arm64"} {
			ext := ""
			if goos == "windows" {
				ext = ".exe"
			}
			name := fmt.Sprintf("docketqa-gate_%s_%s_%s%s", installVersion, goos, goarch, ext)
			r.files[name] = []byte("fake docketqa-gate for " + goos + "/" + goarch + "\n")
			sums.WriteString(sha256Line(r.files[name], name))
		}
	}
	r.checksums = sums.String()
	return r
}

// sha256Line is b's line in a checksums.txt, as sha256sum writes it.
func sha256Line(b []byte, name string) string {
	return fmt.Sprintf("%x  %s\n", sha256.Sum256(b), name)
}

// serve serves r on loopback under /VERSION/ and counts the requests.
func (r release) serve(t *testing.T) (url string, requests func() int) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n.Add(1)
		name, ok := strings.CutPrefix(req.URL.Path, "/"+installVersion+"/")
		if !ok {
			http.NotFound(w, req)
			return
		}
		if name == "checksums.txt" && r.checksums != "" {
			_, _ = w.Write([]byte(r.checksums))
			return
		}
		if b, ok := r.files[name]; ok {
			_, _ = w.Write(b)
			return
		}
		http.NotFound(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() int { return int(n.Load()) }
}

// toolDir returns a directory holding a fake uname that reports os and
// arch, and links to the real tools the script may use, except those in
// without. Running the script with only this directory on PATH proves it
// needs nothing else.
func toolDir(t *testing.T, uname, arch string, without ...string) string {
	t.Helper()
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\ncase $1 in -s) echo %q ;; -m) echo %q ;; *) exit 1 ;; esac\n", uname, arch)
	if err := os.WriteFile(filepath.Join(dir, "uname"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	tools := []string{"sh", "grep", "mktemp", "rm", "awk", "cut", "mkdir", "cp", "chmod", "mv", "wc", "cat",
		"curl", "wget", "sha256sum", "shasum"}
	for _, tool := range tools {
		if slices.Contains(without, tool) {
			continue
		}
		p, err := exec.LookPath(tool)
		if err != nil {
			continue
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type installRun struct {
	code   int
	stderr string
	bindir string
	tmpdir string
}

// runInstall runs `sh scripts/install.sh -b BINDIR args...` with PATH set
// to tools and a TMPDIR of its own, within a bounded time.
func runInstall(t *testing.T, tools, downloadURL string, args ...string) installRun {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("sh is not installed")
	}
	script, err := filepath.Abs(filepath.Join(root, installScript))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	r := installRun{bindir: filepath.Join(work, "new", "bin"), tmpdir: filepath.Join(work, "tmp")}
	if err := os.Mkdir(r.tmpdir, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sh, append([]string{script, "-b", r.bindir}, args...)...)
	cmd.Dir = work
	cmd.Env = []string{"PATH=" + tools, "TMPDIR=" + r.tmpdir, "HOME=" + work}
	if downloadURL != "" {
		cmd.Env = append(cmd.Env, "DOCKETQA_GATE_DOWNLOAD_URL="+downloadURL)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	r.stderr = stderr.String()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("run %s: %v", installScript, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within a minute: %s", installScript, r.stderr)
	}
	return r
}

// TestInstallScript runs scripts/install.sh, as users run it (sh
// install.sh), against a release served on loopback: it must install the
// binary of the OS and architecture uname reports, verified against
// checksums.txt, and refuse every download it cannot verify, leaving
// neither BINDIR nor a temporary file behind.
func TestInstallScript(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		if _, err := exec.LookPath("wget"); err != nil {
			t.Skip("neither curl nor wget is installed")
		}
	}
	tampered := func(r *release) {
		r.files["docketqa-gate_"+installVersion+"_linux_amd64"] = []byte("#!/bin/sh\necho evil\n")
	}
	dropLine := func(r *release) {
		var keep []string
		for _, l := range strings.SplitAfter(r.checksums, "\n") {
			if !strings.HasSuffix(l, "_linux_amd64\n") {
				keep = append(keep, l)
			}
		}
		r.checksums = strings.Join(keep, "")
	}
	tests := []struct {
		name         string
		uname, arch  string
		change       func(*release)
		root         func(url string) string // the download root, from the server's
		args         []string
		without      []string
		wantCode     int
		wantFile     string // installed name, for a success
		wantAsset    string // the release file it must be a copy of
		wantStderr   string
		wantRequests bool // whether the refusal may come after a download
	}{
		{name: "linux amd64", uname: "Linux", arch: "x86_64", wantFile: "docketqa-gate", wantAsset: "linux_amd64"},
		{name: "linux arm64", uname: "Linux", arch: "aarch64", wantFile: "docketqa-gate", wantAsset: "linux_arm64"},
		{name: "macOS arm64", uname: "Darwin", arch: "arm64", wantFile: "docketqa-gate", wantAsset: "darwin_arm64"},
		{name: "macOS amd64 with shasum", uname: "Darwin", arch: "x86_64", without: []string{"sha256sum"},
			wantFile: "docketqa-gate", wantAsset: "darwin_amd64"},
		{name: "Git Bash", uname: "MINGW64_NT-10.0-20348", arch: "x86_64", wantFile: "docketqa-gate.exe", wantAsset: "windows_amd64.exe"},
		{name: "MSYS2 arm64", uname: "MSYS_NT-10.0-22631", arch: "aarch64", wantFile: "docketqa-gate.exe", wantAsset: "windows_arm64.exe"},
		{name: "Cygwin", uname: "CYGWIN_NT-10.0", arch: "x86_64", wantFile: "docketqa-gate.exe", wantAsset: "windows_amd64.exe"},
		{name: "wget instead of curl", uname: "Linux", arch: "x86_64", without: []string{"curl"},
			wantFile: "docketqa-gate", wantAsset: "linux_amd64"},
		{name: "localhost", uname: "Linux", arch: "x86_64",
			root:     func(u string) string { return strings.Replace(u, "127.0.0.1", "localhost", 1) + "/" },
			wantFile: "docketqa-gate", wantAsset: "linux_amd64"},

		{name: "tampered binary", uname: "Linux", arch: "x86_64", change: tampered,
			wantCode: 1, wantStderr: "SHA-256 mismatch for docketqa-gate_v1.2.3_linux_amd64", wantRequests: true},
		{name: "checksum missing", uname: "Linux", arch: "x86_64", change: dropLine,
			wantCode: 1, wantStderr: "lists no checksum for docketqa-gate_v1.2.3_linux_amd64", wantRequests: true},
		{name: "no checksums.txt", uname: "Linux", arch: "x86_64", change: func(r *release) { r.checksums = "" },
			wantCode: 1, wantStderr: "could not download", wantRequests: true},
		{name: "checksum repeated", uname: "Linux", arch: "x86_64",
			change:   func(r *release) { r.checksums += r.checksums },
			wantCode: 1, wantStderr: "malformed or repeated entry", wantRequests: true},
		{name: "checksum short", uname: "Linux", arch: "x86_64",
			change: func(r *release) {
				r.checksums = fmt.Sprintf("%x  docketqa-gate_%s_linux_amd64\n", sha256.Sum256([]byte("x")), installVersion)[4:]
			},
			wantCode: 1, wantStderr: "malformed entry", wantRequests: true},
		{name: "binary missing", uname: "Linux", arch: "x86_64",
			change:   func(r *release) { delete(r.files, "docketqa-gate_"+installVersion+"_linux_amd64") },
			wantCode: 1, wantStderr: "could not download", wantRequests: true},
		{name: "unknown OS", uname: "SunOS", arch: "x86_64", wantCode: 1, wantStderr: "no release binary for this OS (SunOS)"},
		{name: "unknown architecture", uname: "Linux", arch: "riscv64", wantCode: 1, wantStderr: "no release binary for this architecture (riscv64)"},
		{name: "http to another host", uname: "Linux", arch: "x86_64",
			root:     func(string) string { return "http://example.com/releases/download" },
			wantCode: 1, wantStderr: "plain http is allowed only for localhost, 127.0.0.0/8 and [::1], not example.com"},
		{name: "http with user information", uname: "Linux", arch: "x86_64",
			root:     func(u string) string { return "http://127.0.0.1@example.com/" },
			wantCode: 1, wantStderr: "must not contain user information"},
		{name: "http to a look-alike host", uname: "Linux", arch: "x86_64",
			root:     func(u string) string { return "http://127.0.0.1.example.com/" },
			wantCode: 1, wantStderr: "not 127.0.0.1.example.com"},
		{name: "http to an address that is no address", uname: "Linux", arch: "x86_64",
			root:     func(u string) string { return "http://127.0.0.256/" },
			wantCode: 1, wantStderr: "plain http is allowed only"},
		{name: "http to [::1] with junk", uname: "Linux", arch: "x86_64",
			root:     func(u string) string { return "http://[::1].example.com/" },
			wantCode: 1, wantStderr: "malformed host"},
		{name: "ftp", uname: "Linux", arch: "x86_64",
			root:     func(u string) string { return "ftp://127.0.0.1/" },
			wantCode: 1, wantStderr: "must be an https URL"},
		{name: "line break in the root", uname: "Linux", arch: "x86_64",
			root:     func(u string) string { return u + "\nhttp://example.com" },
			wantCode: 1, wantStderr: "blanks or line breaks"},
		{name: "version without v", uname: "Linux", arch: "x86_64", args: []string{"1.2.3"}, wantCode: 2, wantStderr: "usage:"},
		{name: "version with a path", uname: "Linux", arch: "x86_64", args: []string{"v1.2.3/../x"}, wantCode: 2, wantStderr: "usage:"},
		{name: "no version", uname: "Linux", arch: "x86_64", args: []string{}, wantCode: 2, wantStderr: "usage:"},
		{name: "two versions", uname: "Linux", arch: "x86_64", args: []string{installVersion, installVersion}, wantCode: 2, wantStderr: "usage:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rel := newRelease()
			want := rel.files["docketqa-gate_"+installVersion+"_"+tc.wantAsset]
			if tc.change != nil {
				tc.change(&rel)
			}
			url, requests := rel.serve(t)
			if tc.root != nil {
				url = tc.root(url)
			}
			tools := toolDir(t, tc.uname, tc.arch, tc.without...)
			if _, err := os.Lstat(filepath.Join(tools, "wget")); err != nil && slices.Contains(tc.without, "curl") {
				t.Skip("wget is not installed")
			}
			args := tc.args
			if args == nil {
				args = []string{installVersion}
			}
			r := runInstall(t, tools, url, args...)
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, tc.wantCode, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantStderr, r.stderr)
			}
			if left, _ := os.ReadDir(r.tmpdir); len(left) != 0 {
				t.Errorf("left %d temporary file(s) behind in TMPDIR", len(left))
			}
			if tc.wantCode != 0 {
				if _, err := os.Stat(filepath.Dir(r.bindir)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a refused install created %s (err %v)", r.bindir, err)
				}
				if !tc.wantRequests && requests() != 0 {
					t.Errorf("refused only after %d download(s); the check needs no network", requests())
				}
				return
			}
			entries, err := os.ReadDir(r.bindir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != tc.wantFile {
				t.Fatalf("bin dir holds %v, want only %s", entries, tc.wantFile)
			}
			got, err := os.ReadFile(filepath.Join(r.bindir, tc.wantFile))
			if err != nil {
				t.Fatal(err)
			}
			if want == nil || string(got) != string(want) {
				t.Errorf("installed %q, want the release's %s: %q", got, tc.wantAsset, want)
			}
			if info, err := os.Stat(filepath.Join(r.bindir, tc.wantFile)); err != nil || info.Mode().Perm() != 0o755 {
				t.Errorf("installed file mode %v (err %v), want 0755", info.Mode(), err)
			}
		})
	}
}

// TestInstallScriptReplaces checks that installing again over an existing
// binary replaces it, and that a refused install leaves the installed one
// as it was.
func TestInstallScriptReplaces(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	rel := newRelease()
	url, _ := rel.serve(t)
	tools := toolDir(t, "Linux", "x86_64")
	first := runInstall(t, tools, url, installVersion)
	if first.code != 0 {
		t.Fatalf("exit %d: %s", first.code, first.stderr)
	}
	// A second install into the same directory, through a fresh run.
	sh, _ := exec.LookPath("sh")
	script, _ := filepath.Abs(filepath.Join(root, installScript))
	target := filepath.Join(first.bindir, "docketqa-gate")
	if err := os.WriteFile(target, []byte("old"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(rel release) (int, string) {
		url, _ := rel.serve(t)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, sh, script, "-b", first.bindir, installVersion)
		cmd.Env = []string{"PATH=" + tools, "TMPDIR=" + first.tmpdir, "DOCKETQA_GATE_DOWNLOAD_URL=" + url}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	bad := newRelease()
	bad.files["docketqa-gate_"+installVersion+"_linux_amd64"] = []byte("evil")
	if code, out := run(bad); code != 1 {
		t.Fatalf("tampered: exit %d, want 1: %s", code, out)
	}
	if got, _ := os.ReadFile(target); string(got) != "old" {
		t.Errorf("a refused install changed the installed binary to %q", got)
	}
	if code, out := run(newRelease()); code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	if got, _ := os.ReadFile(target); string(got) != string(rel.files["docketqa-gate_"+installVersion+"_linux_amd64"]) {
		t.Errorf("the second install left %q", got)
	}
	if entries, _ := os.ReadDir(first.bindir); len(entries) != 1 {
		t.Errorf("bin dir holds %d files, want only the binary (no staging file left)", len(entries))
	}
}

// TestInstallScriptMatchesRelease keeps the names scripts/install.sh asks
// for equal to those the release workflow publishes, and its default root
// on this repository's releases.
func TestInstallScriptMatchesRelease(t *testing.T) {
	t.Parallel()
	script := string(readRepoFile(t, installScript))
	release := string(readRepoFile(t, ".github/workflows/release.yml"))
	for _, pair := range [][2]string{
		{`asset="docketqa-gate_${version}_${os}_${arch}${ext}"`, `-o "dist/docketqa-gate_${VERSION}_${goos}_${goarch}${ext}"`},
		{`download "$root/$version/checksums.txt"`, `sha256sum docketqa-gate_* > checksums.txt`},
		{`[ "$os" = windows ] && ext=.exe`, `if [ "$goos" = windows ]; then ext='.exe'; fi`},
	} {
		if !strings.Contains(script, pair[0]) || !strings.Contains(release, pair[1]) {
			t.Errorf("install.sh must have %q where the release has %q", pair[0], pair[1])
		}
	}
	if want := "default_root=https://github.com/docketqa-gate/docketqa-gate/releases/download\n"; !strings.Contains(script, want) {
		t.Errorf("install.sh lacks %q", want)
	}
	if !strings.HasPrefix(script, "#!/bin/sh\n") {
		t.Error("install.sh must be a POSIX sh script: users run it as sh install.sh")
	}
}
