//go:build unix

package safefile

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

var testKind = Kind{Name: "config file", Setting: "--config / DOCKETQA_CONFIG", Max: 1 << 10}

// TestRead covers every kind of path a pull request or a cache restore can
// leave where the gate expects a file. Each refusal must come back quickly
// (the test's context deadline is the bound, no sleeps), name the file and
// the setting, and say how to fix it.
func TestRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok.yml")
	write(t, ok, "timeout: 45m\n")
	exact := filepath.Join(dir, "exact.yml")
	write(t, exact, strings.Repeat("x", int(testKind.Max)))
	over := filepath.Join(dir, "over.yml")
	write(t, over, strings.Repeat("x", int(testKind.Max)+1))
	secret := filepath.Join(dir, "environ")
	write(t, secret, "DOCKETQA_API_KEY=very-secret\n")
	link := filepath.Join(dir, "link.yml")
	symlink(t, secret, link)
	zero := filepath.Join(dir, "zero.yml")
	symlink(t, os.DevNull, zero)
	dangling := filepath.Join(dir, "dangling.yml")
	symlink(t, filepath.Join(dir, "nowhere"), dangling)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	sock := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("listen on a unix socket: %v", err)
	}
	t.Cleanup(func() { l.Close() })

	for _, tc := range []struct {
		name, path string
		want       string // "" for a successful read
		is         error
		hint       string // part of the fix the message must give
	}{
		{"regular file", ok, "timeout: 45m\n", nil, ""},
		{"exactly the bound", exact, strings.Repeat("x", int(testKind.Max)), nil, ""},
		{"one byte over the bound", over, "", ErrTooLarge, "1 KiB"},
		{"symlink to a secret", link, "", ErrSymlink, "replace the link"},
		{"symlink to a device", zero, "", ErrSymlink, "replace the link"},
		{"dangling symlink", dangling, "", ErrSymlink, "replace the link"},
		{"directory", sub, "", ErrNotRegular, "a directory"},
		{"FIFO without a writer", fifo, "", ErrNotRegular, "named pipe"},
		{"character device", os.DevNull, "", ErrNotRegular, "character device"},
		{"unix socket", sock, "", ErrNotRegular, "socket"},
		{"missing", filepath.Join(dir, "missing.yml"), "", fs.ErrNotExist, "check the path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Generous: a refusal takes microseconds, a blocked open forever.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			done := make(chan struct{})
			var b []byte
			var err error
			go func() { b, err = Read(ctx, tc.path, testKind); close(done) }()
			select {
			case <-done:
			case <-ctx.Done():
				t.Fatalf("Read(%s) blocked", tc.path)
			}
			if tc.is == nil {
				if err != nil || string(b) != tc.want {
					t.Fatalf("Read = %q, %v; want %q", b, err, tc.want)
				}
				return
			}
			if !errors.Is(err, tc.is) {
				t.Fatalf("Read error %v, want %v", err, tc.is)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not an *Error", err)
			}
			if b != nil {
				t.Errorf("a refused file returned %d bytes", len(b))
			}
			msg := err.Error()
			for _, want := range []string{tc.path, "--config / DOCKETQA_CONFIG", tc.hint} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not say %q", msg, want)
				}
			}
			if strings.Contains(msg, "very-secret") {
				t.Errorf("message shows the link target's content: %q", msg)
			}
		})
	}
}

// TestReadStopsOnCancel proves an ended context stops a read: the gate's
// first signal must work while a file is being read.
func TestReadStopsOnCancel(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "f")
	write(t, p, "x")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, p, testKind); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read with a cancelled context: %v", err)
	}
}

// TestReadProcBound proves the bound holds for a file whose size the file
// system does not know: /proc files stat as empty and can be long.
func TestReadProcBound(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("no /proc")
	}
	k := Kind{Name: "history file", Setting: "--history", Max: 16}
	_, err := Read(context.Background(), "/proc/self/maps", k)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Read(/proc/self/maps) with a 16-byte bound: %v, want ErrTooLarge", err)
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatalf("symlink: %v", err)
	}
}
