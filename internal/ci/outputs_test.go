package ci

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

func TestOutputsFrom(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		set  result.Set
		want Outputs
	}{
		{
			name: "mixed runs",
			set: result.Set{
				GroupRunID:  4711,
				GroupRunURL: "https://app.docketqa.com/group-runs/4711",
				Runs: []result.Run{
					{BlueprintID: 1, Verdict: result.Passed},
					{BlueprintID: 2, Verdict: result.Passed, Flaky: true},
					{BlueprintID: 3, Verdict: result.Failed},
					{BlueprintID: 4, Verdict: result.Error},
					{BlueprintID: 5, Verdict: result.Failed, NonBlocking: true},
				},
			},
			want: Outputs{
				Verdict: "failed", Total: 5, Passed: 2, Failed: 1, Errors: 1, Flaky: 1,
				GroupRunID: 4711, GroupRunURL: "https://app.docketqa.com/group-runs/4711",
				JUnitPath: "docketqa-junit.xml", ResultsJSONPath: "results.json",
			},
		},
		{
			name: "all passed",
			set:  result.Set{GroupRunID: 7, Runs: []result.Run{{BlueprintID: 1, RunID: 70, Verdict: result.Passed}}},
			want: Outputs{Verdict: "passed", Total: 1, Passed: 1, GroupRunID: 7, JUnitPath: "docketqa-junit.xml", ResultsJSONPath: "results.json"},
		},
		{
			name: "no runs has no verdict",
			set:  result.Set{},
			want: Outputs{Verdict: "error", JUnitPath: "docketqa-junit.xml", ResultsJSONPath: "results.json"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := OutputsFrom(result.Judge(tc.set, result.Policy{}, result.StopFinished), "docketqa-junit.xml", "results.json"); got != tc.want {
				t.Errorf("OutputsFrom() =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestOutputNames(t *testing.T) {
	t.Parallel()
	want := []string{
		"verdict", "total", "passed", "failed", "errors", "not-awaited", "flaky",
		"group-run-id", "group-run-url", "junit-path", "results-json-path",
	}
	if got := OutputNames(); !slices.Equal(got, want) {
		t.Errorf("OutputNames() = %q, want %q", got, want)
	}
}

// sampleOutputs has a value with a line break and control characters, as
// a user-supplied path could, to prove it cannot escape its record.
func sampleOutputs() Outputs {
	return Outputs{
		Verdict: "failed", Total: 12, Passed: 9, Failed: 2, Errors: 1, Flaky: 3,
		GroupRunID:      4711,
		GroupRunURL:     "https://app.docketqa.com/group-runs/4711",
		JUnitPath:       "reports/junit.xml\nINJECTED=1",
		ResultsJSONPath: "\tresults\x1b[31m.json ",
	}
}

func TestWriteDotenv(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   Outputs
		want string
	}{
		{
			name: "sanitized values",
			in:   sampleOutputs(),
			want: "DOCKETQA_VERDICT=failed\n" +
				"DOCKETQA_TOTAL=12\n" +
				"DOCKETQA_PASSED=9\n" +
				"DOCKETQA_FAILED=2\n" +
				"DOCKETQA_ERRORS=1\n" +
				"DOCKETQA_NOT_AWAITED=0\n" +
				"DOCKETQA_FLAKY=3\n" +
				"DOCKETQA_GROUP_RUN_ID=4711\n" +
				"DOCKETQA_GROUP_RUN_URL=https://app.docketqa.com/group-runs/4711\n" +
				"DOCKETQA_JUNIT_PATH=reports/junit.xml INJECTED=1\n" +
				"DOCKETQA_RESULTS_JSON_PATH=results [31m.json\n",
		},
		{
			name: "nothing triggered",
			in:   Outputs{Verdict: "error"},
			want: "DOCKETQA_VERDICT=error\n" +
				"DOCKETQA_TOTAL=0\n" +
				"DOCKETQA_PASSED=0\n" +
				"DOCKETQA_FAILED=0\n" +
				"DOCKETQA_ERRORS=0\n" +
				"DOCKETQA_NOT_AWAITED=0\n" +
				"DOCKETQA_FLAKY=0\n" +
				"DOCKETQA_GROUP_RUN_ID=\n" +
				"DOCKETQA_GROUP_RUN_URL=\n" +
				"DOCKETQA_JUNIT_PATH=\n" +
				"DOCKETQA_RESULTS_JSON_PATH=\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "docketqa.env")
			// An older report must be replaced, not appended to.
			if err := os.WriteFile(path, []byte("STALE=1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := WriteDotenv(path, tc.in); err != nil {
				t.Fatalf("WriteDotenv() error = %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("dotenv =\n%s\nwant\n%s", got, tc.want)
			}
			assertOnlyFile(t, dir, "docketqa.env")
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if perm := info.Mode().Perm(); perm != 0o644 {
				t.Errorf("dotenv mode = %v, want 0644", perm)
			}
		})
	}
}

func TestWriteDotenvCreatesDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "reports", "docketqa.env")
	if err := WriteDotenv(path, Outputs{Verdict: "passed"}); err != nil {
		t.Fatalf("WriteDotenv() error = %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(string(got), "\n"); first != "DOCKETQA_VERDICT=passed" {
		t.Errorf("first line = %q, want DOCKETQA_VERDICT=passed", first)
	}
}

func TestWriteDotenvErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "isdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		path string
	}{
		{"parent is a file", filepath.Join(dir, "file", "docketqa.env")},
		{"path is a directory", filepath.Join(dir, "isdir")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteDotenv(tc.path, sampleOutputs())
			if err == nil {
				t.Fatal("WriteDotenv() error = nil, want an error")
			}
			if !strings.Contains(err.Error(), "dotenv") {
				t.Errorf("error %q does not say which report failed", err)
			}
		})
	}
	// Neither failure may leave a temporary file behind.
	assertOnlyFile(t, dir, "file", "isdir")
	assertOnlyFile(t, filepath.Join(dir, "isdir"))
}

// assertOnlyFile fails unless dir holds exactly the named files.
func assertOnlyFile(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, names) {
		t.Errorf("files in dir = %q, want %q", got, names)
	}
}

func TestOutputValue(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\nb\r\nc", "a b  c"},
		{"  padded\t", "padded"},
		{"esc\x1b[0Kape\x00", "esc [0Kape"},
		{"two  spaces/in a path.xml", "two  spaces/in a path.xml"},
		{"ünïcödé ✓\u2028\u202e", "ünïcödé ✓"},
	}
	for _, tc := range cases {
		if got := outputValue(tc.in); got != tc.want {
			t.Errorf("outputValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
