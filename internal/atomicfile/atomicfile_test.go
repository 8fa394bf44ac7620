package atomicfile

import (
	"os"
	"path/filepath"
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
