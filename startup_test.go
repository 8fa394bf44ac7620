package main

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
)

// maxInitBytes is what one package of this module may allocate while it is
// initialised. Every start of the gate pays for package initialisation,
// --version included, so work that only some runs need (a regexp, a
// template, a table) is built on first use instead (sync.OnceValue). A
// sync.OnceValue costs 72 bytes; compiling the simplest regexp costs about
// 1 KiB and parsing a template many times that.
const maxInitBytes = 256

// TestStartupInitsAreCheap runs the real program's --version with the
// runtime's init trace and checks that no package of this module does
// real work at start-up. It counts bytes, not time: the count is the same
// on every machine, so the test cannot fail on a slow one. How long
// start-up takes is measured in docs/performance.md.
func TestStartupInitsAreCheap(t *testing.T) {
	t.Parallel()
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation registers every package at init")
	}
	cmd := program([]string{"--version"}, map[string]string{"GODEBUG": "inittrace=1"})
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const module = "github.com/docketqa-gate/docketqa-gate/"
	seen := 0
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		// init PACKAGE @0.1 ms, 0.01 ms clock, 72 bytes, 1 allocs
		f := strings.Fields(sc.Text())
		if len(f) < 9 || f[0] != "init" {
			continue
		}
		seen++
		// testutil registers the tests' -update flag; it is not part of
		// the program.
		if !strings.HasPrefix(f[1], module+"internal/") || f[1] == module+"internal/testutil" {
			continue
		}
		n, err := strconv.Atoi(f[7])
		if err != nil || f[8] != "bytes," {
			t.Fatalf("unexpected init trace line %q", sc.Text())
		}
		if n > maxInitBytes {
			t.Errorf("%s allocates %d bytes at start-up, want at most %d: build what it needs on first use (sync.OnceValue)", strings.TrimPrefix(f[1], module), n, maxInitBytes)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if seen == 0 {
		t.Fatal("no init trace: GODEBUG=inittrace=1 had no effect")
	}
}
