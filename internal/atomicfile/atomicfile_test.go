package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteAndAppend(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "report.xml")
	if err := Write(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := Append(p, []byte("two\n")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := "one\ntwo\n"; string(got) != want {
		t.Errorf("content = %q, want %q", got, want)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", fi.Mode().Perm())
	}
}

func TestWriteUnwritable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A path below a regular file can never be created, even as root.
	if err := Write(filepath.Join(blocker, "report.xml"), []byte("x")); err == nil {
		t.Fatal("want an error for a path below a regular file")
	}
	if err := Append(filepath.Join(blocker, "summary.md"), []byte("x")); err == nil {
		t.Fatal("want an error for a path below a regular file")
	}
}

// TestSymlinkRefused proves a report path that is a link is neither read
// (the summary appends, so it reads first) nor written through, and that
// the link's target keeps its content; a linked parent directory is fine.
func TestSymlinkRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret := filepath.Join(dir, "environ")
	if err := os.WriteFile(secret, []byte("DOCKETQA_API_KEY=very-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "summary.md")
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	for name, write := range map[string]func() error{
		"Append":    func() error { return Append(link, []byte("report\n")) },
		"Write":     func() error { return Write(link, []byte("report\n")) },
		"WriteFunc": func() error { return WriteFunc(link, func(io.Writer) error { return nil }) },
	} {
		err := write()
		if !errors.Is(err, ErrSymlink) {
			t.Errorf("%s through a link: error %v, want ErrSymlink", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "very-secret") {
			t.Errorf("%s error shows the link target's content: %v", name, err)
		}
	}
	if got, _ := os.ReadFile(secret); string(got) != "DOCKETQA_API_KEY=very-secret\n" {
		t.Errorf("link target changed to %q", got)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link itself was replaced: %v %v", fi, err)
	}

	realDir := filepath.Join(dir, "real")
	if err := os.Mkdir(realDir, 0o755); err != nil {
		t.Fatal(err)
	}
	linkedDir := filepath.Join(dir, "workspace")
	if err := os.Symlink(realDir, linkedDir); err != nil {
		t.Fatal(err)
	}
	if err := Append(filepath.Join(linkedDir, "summary.md"), []byte("ok\n")); err != nil {
		t.Errorf("a linked parent directory must work: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(realDir, "summary.md")); string(got) != "ok\n" {
		t.Errorf("content through a linked directory = %q", got)
	}
}

// TestAppendShared: a file another program owns is appended to in place,
// through a link if its owner made one, as a block of its own.
func TestAppendShared(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "step_summary_target")
	if err := os.WriteFile(target, []byte("## Build"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "step_summary")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := AppendShared(link, []byte("## Gate\n")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); string(got) != "## Build\n## Gate\n" {
		t.Errorf("target = %q", got)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the owner's link was replaced")
	}
}

// TestWriteInConfined proves WriteIn writes inside its root and nowhere
// else: a name climbing out, a linked parent leading out, and a name that
// is a link (out of the root or inside it) are all refused, the files
// outside keep their content, and no temporary file is left behind.
func TestWriteInConfined(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "root")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join(dir, "inside")
	if err := os.WriteFile(inside, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"escape":    victim,              // a link out of the root
		"relative":  "../outside/victim", // the same, relative
		"local":     "inside",            // a link to a file inside the root
		"parentdir": outside,             // a linked directory out of the root
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })

	for _, c := range []struct {
		name    string
		symlink bool // refused as ErrSymlink rather than by os.Root
	}{
		{"../outside/victim", false},
		{"../outside/new", false},
		{"parentdir/victim", false},
		{"parentdir/sub/new", false},
		{"escape", true},
		{"relative", true},
		{"local", true},
	} {
		err := WriteIn(root, c.name, []byte("overwritten"))
		if err == nil {
			t.Errorf("WriteIn(%q) succeeded, want it refused", c.name)
			continue
		}
		if c.symlink && !errors.Is(err, ErrSymlink) {
			t.Errorf("WriteIn(%q): %v, want ErrSymlink", c.name, err)
		}
	}
	for _, p := range []string{victim, inside} {
		if got, _ := os.ReadFile(p); string(got) != "keep" {
			t.Errorf("%s changed to %q", p, got)
		}
	}
	if _, err := os.Lstat(filepath.Join(outside, "new")); err == nil {
		t.Error("a file was created outside the root")
	}
	if _, err := os.Lstat(filepath.Join(outside, "sub")); err == nil {
		t.Error("a directory was created outside the root")
	}

	// The ordinary case: a new file in a new subdirectory, world-readable.
	if err := WriteIn(root, filepath.Join("a", "b", "index.json"), []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a", "b", "index.json")); string(got) != "{}\n" {
		t.Errorf("content %q", got)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "a", "b", "index.json")); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(tmp) > 0 {
		t.Errorf("temporary files left behind: %v", tmp)
	}
}

// TestWriteFuncInFailureLeavesNothing: when write fails, the target keeps
// its old content and the temporary file is gone.
func TestWriteFuncInFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	boom := errors.New("boom")
	err = WriteFuncIn(root, "index.json", func(w io.Writer) error {
		if _, err := w.Write([]byte("half")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want the write function's", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "index.json")); string(got) != "old" {
		t.Errorf("target changed to %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestReplaceNeverWritesThroughALink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "environ")
	if err := os.WriteFile(target, []byte("DOCKETQA_API_KEY=very-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "history.json")
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
	if err := Replace(p, []byte("new\n")); err != nil {
		t.Fatalf("Replace over a link: %v", err)
	}
	if got, _ := os.ReadFile(target); string(got) != "DOCKETQA_API_KEY=very-secret\n" {
		t.Errorf("the link's target was written through: %q", got)
	}
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("the path is not a regular file after Replace: %v %v", fi, err)
	}
	if got, _ := os.ReadFile(p); string(got) != "new\n" {
		t.Errorf("content %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	// A directory in the way is an error, never a write into it.
	d := filepath.Join(dir, "d")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Replace(d, []byte("x")); err == nil {
		t.Error("Replace over a directory succeeded")
	}
}
