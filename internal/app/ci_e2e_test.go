package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// The tests in this file impersonate each CI system around the real run
// function, with the simulator as the API, and check what that system
// reads back: GitHub's workflow commands and file commands, GitLab's log
// sections and dotenv report, and Jenkins' plain log.

// failReason is the failing step's sentence of every failing blueprint
// here. It has no "%", ":" or "," so it reads the same escaped or not.
const failReason = "Expected the order total to read 12.00 EUR but the page showed 0.00 EUR."

// groupID is the group run id the simulator hands out in these tests.
const groupID = 700

// failing returns a blueprint whose second of three steps fails with
// failReason.
func failing(id int64) sim.Blueprint {
	b := bp(id, "failed", time.Millisecond)
	b.Steps, b.FailStep, b.FailReason = 3, 2, failReason
	return b
}

// runName is how the reports name blueprint id's run (see bp).
func runName(id int64) string { return fmt.Sprintf("Flow %d (blueprint %d)", id, id) }

// actionMetadata is the part of action.yml the runner uses to build a
// step's environment and read back its outputs.
type actionMetadata struct {
	Inputs map[string]struct {
		// Default is nil when the input declares none.
		Default *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct{} `yaml:"outputs"`
}

func readActionMetadata(t *testing.T) actionMetadata {
	t.Helper()
	b, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatalf("read action.yml: %v", err)
	}
	var a actionMetadata
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatalf("parse action.yml: %v", err)
	}
	if len(a.Inputs) == 0 || len(a.Outputs) == 0 {
		t.Fatalf("action.yml declares %d inputs and %d outputs; want both", len(a.Inputs), len(a.Outputs))
	}
	return a
}

// e2eJobToken stands in for the job's GITHUB_TOKEN, which the runner puts
// in the github-token input's default.
const e2eJobToken = "ghs_e2eJobTokenNotARealSecret0000"

// stepEnv returns the environment the Actions runner gives a Docker
// action's container: one INPUT_<NAME> variable per declared input, named
// upper-case with the hyphens kept, holding the step's `with:` value, else
// the input's default, else the empty string. The file-command files live
// in dir, as /github/file_commands does in a real job.
func (a actionMetadata) stepEnv(t *testing.T, dir string, with map[string]string) map[string]string {
	t.Helper()
	for name := range with {
		if _, ok := a.Inputs[name]; !ok {
			t.Fatalf("with: %s is not an input declared in action.yml", name)
		}
	}
	env := map[string]string{
		"CI":                  "true",
		"GITHUB_ACTIONS":      "true",
		"GITHUB_WORKSPACE":    dir,
		"GITHUB_OUTPUT":       filepath.Join(dir, "file_commands", "set_output_1"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "file_commands", "step_summary_1"),
	}
	for name, in := range a.Inputs {
		v := ""
		if in.Default != nil {
			// The runner evaluates expressions in defaults; the job's token
			// is the only one action.yml uses.
			v = strings.ReplaceAll(*in.Default, "${{ github.token }}", e2eJobToken)
		}
		if w, ok := with[name]; ok {
			v = w
		}
		env["INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_"))] = v
	}
	return env
}

// wantOutputs completes the expected counts and verdict with the values
// every run reports the same way.
func wantOutputs(counts map[string]string, triggered bool, junitPath string) map[string]string {
	want := maps.Clone(counts)
	want["group-run-id"], want["group-run-url"] = "", ""
	if triggered {
		want["group-run-id"] = strconv.Itoa(groupID)
		want["group-run-url"] = fmt.Sprintf("https://app.docketqa.com/dashboard/grouprun/%d", groupID)
	}
	if _, ok := want["not-awaited"]; !ok {
		want["not-awaited"] = "0"
	}
	want["junit-path"] = junitPath
	want["results-json-path"] = ""
	return want
}

// runAsAction runs the gate as the runner starts a Docker action: no
// arguments, every setting from the environment.
func (h *harness) runAsAction(ctx context.Context) int {
	h.t.Helper()
	return Run(ctx, nil, testutil.Getenv(h.env), &h.stdout, &h.stderr)
}

// assertMaskFirst checks that the log starts by masking the key, then
// drops that line and checks that the key appears nowhere else: the runner
// consumes the add-mask command, so that line is never shown.
func (h *harness) assertMaskFirst() {
	h.t.Helper()
	first, rest, _ := strings.Cut(h.stdout.String(), "\n")
	if first != "::add-mask::"+testKey {
		h.t.Errorf("first stdout line is %q, want ::add-mask:: with the key", strings.ReplaceAll(first, testKey, "[key]"))
	}
	h.stdout.Reset()
	h.stdout.WriteString(rest)
	h.assertNoKey()
}

// command is one "::name key=value,...::message" workflow command.
type command struct {
	name  string
	props map[string]string
	msg   string
}

var (
	unescapeMsg  = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%")
	unescapeProp = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")
)

// commands parses the workflow commands in a log the way the runner
// finds them: lines starting with "::".
func commands(t *testing.T, log string) []command {
	t.Helper()
	var cmds []command
	for line := range strings.Lines(log) {
		rest, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "::")
		if !ok {
			continue
		}
		head, msg, ok := strings.Cut(rest, "::")
		if !ok {
			t.Errorf("malformed workflow command %q", line)
			continue
		}
		name, props, _ := strings.Cut(head, " ")
		c := command{name: name, props: map[string]string{}, msg: unescapeMsg.Replace(msg)}
		for p := range strings.SplitSeq(props, ",") {
			if k, v, ok := strings.Cut(p, "="); ok {
				c.props[k] = unescapeProp.Replace(v)
			}
		}
		cmds = append(cmds, c)
	}
	return cmds
}

// block is one collapsible part of a log.
type block struct{ title, body string }

// blockSyntax recognises one CI system's collapsible-block markers. id
// ties an end marker to its start; GitHub groups have none.
type blockSyntax struct {
	start func(line string) (id, title string, ok bool)
	end   func(line string) (id string, ok bool)
}

var (
	githubGroups = blockSyntax{
		start: func(l string) (string, string, bool) {
			title, ok := strings.CutPrefix(l, "::group::")
			return "", title, ok
		},
		end: func(l string) (string, bool) { return "", l == "::endgroup::" },
	}
	sectionStart = regexp.MustCompile(`^\x1b\[0Ksection_start:\d+:([A-Za-z0-9_.-]+)\[collapsed=true\]\r\x1b\[0K(.*)$`)
	sectionEnd   = regexp.MustCompile(`^\x1b\[0Ksection_end:\d+:([A-Za-z0-9_.-]+)\r\x1b\[0K$`)
	// gitlabSections is GitLab's syntax, from
	// https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections
	gitlabSections = blockSyntax{
		start: func(l string) (string, string, bool) {
			m := sectionStart.FindStringSubmatch(l)
			if m == nil {
				return "", "", false
			}
			return m[1], m[2], true
		},
		end: func(l string) (string, bool) {
			m := sectionEnd.FindStringSubmatch(l)
			if m == nil {
				return "", false
			}
			return m[1], true
		},
	}
)

// blocks returns the log's collapsible blocks, failing on nested,
// unclosed or mismatched ones and on stray markers.
func (s blockSyntax) blocks(t *testing.T, log string) []block {
	t.Helper()
	var out []block
	var cur *block
	var curID string
	for line := range strings.Lines(log) {
		line = strings.TrimSuffix(line, "\n")
		if id, title, ok := s.start(line); ok {
			if cur != nil {
				t.Errorf("block %q opens inside block %q", title, cur.title)
			}
			cur, curID = &block{title: title}, id
			continue
		}
		if id, ok := s.end(line); ok {
			switch {
			case cur == nil:
				t.Errorf("block end %q with no block open", line)
			case id != curID:
				t.Errorf("block %q opened as %q but closed as %q", cur.title, curID, id)
			default:
				out = append(out, *cur)
			}
			cur = nil
			continue
		}
		if strings.Contains(line, "section_start:") || strings.Contains(line, "section_end:") {
			t.Errorf("malformed section marker %q", line)
		}
		if cur != nil {
			cur.body += line + "\n"
		}
	}
	if cur != nil {
		t.Errorf("block %q is never closed", cur.title)
	}
	return out
}

// assertBlocks checks that there is exactly one block per name in names,
// titled with it and holding detail.
func assertBlocks(t *testing.T, got []block, names []string, detail string) {
	t.Helper()
	if len(got) != len(names) {
		t.Errorf("%d collapsible blocks, want one per run that did not pass (%d): %+v", len(got), len(names), got)
	}
	for _, name := range names {
		n := 0
		for _, b := range got {
			if strings.Contains(b.title, name) {
				n++
				if !strings.Contains(b.body, detail) {
					t.Errorf("block %q lacks %q:\n%s", b.title, detail, b.body)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d blocks for %s, want 1", n, name)
		}
	}
}

// parseFileCommand reads a GitHub file-command file such as GITHUB_OUTPUT
// as the runner does (see fileCommandRecords), and fails the test when a
// name is set twice: the runner keeps only the last.
func parseFileCommand(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range fileCommandRecords(t, path) {
		if _, dup := out[r[0]]; dup {
			t.Errorf("output %q is set twice; the runner keeps only the last", r[0])
		}
		out[r[0]] = r[1]
	}
	return out
}

// fileCommandRecords reads the file-command file at path as GitHub
// documents the format (testutil.FileCommandRecords).
func fileCommandRecords(t *testing.T, path string) [][2]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read file command: %v", err)
	}
	return testutil.FileCommandRecords(t, string(b))
}

// parseDotenv reads a dotenv report under GitLab's rules, which reject the
// whole file on a blank line, a comment or a bad key.
func parseDotenv(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read dotenv report: %v", err)
	}
	key := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	out := map[string]string{}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		if !ok || !key.MatchString(k) {
			t.Errorf("dotenv line %q is not KEY=value", line)
			continue
		}
		if _, dup := out[k]; dup {
			t.Errorf("dotenv key %s is set twice", k)
		}
		out[k] = v
	}
	return out
}

// assertMapEqual reports every difference between got and want.
func assertMapEqual(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: %s missing, want %q", what, k, want[k])
		} else if g != want[k] {
			t.Errorf("%s: %s = %q, want %q", what, k, g, want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %s = %q", what, k, got[k])
		}
	}
}

func TestGitHubActionRun(t *testing.T) {
	t.Parallel()
	meta := readActionMetadata(t)
	ms := time.Millisecond
	var twelve []sim.Blueprint
	var twelveIDs, twelveNames []string
	for id := int64(101); id <= 112; id++ {
		twelve = append(twelve, failing(id))
		twelveIDs = append(twelveIDs, strconv.FormatInt(id, 10))
		twelveNames = append(twelveNames, runName(id))
	}
	// The previous content of the job summary, without a final newline.
	const earlier = "## Build\n\nCompiled in 42s."
	cases := []struct {
		name string
		bps  []sim.Blueprint
		// simKey is the key the simulator accepts; testKey when empty.
		simKey string
		// with holds the step's inputs besides the key, URL and intervals.
		with map[string]string
		// jobEnv is set on the job as well; inputs must win over it.
		jobEnv    map[string]string
		want      int
		counts    map[string]string
		triggered bool
		// errors and warnings name the runs that get an annotation of that
		// kind; only the first 10 errors are annotated.
		errors, warnings []string
		// noBlocks: nothing was triggered, so no run gets a log block of
		// its own; the one trigger error says it all.
		noBlocks bool
		// notice is part of the one notice expected, or "" for none.
		notice string
		// resultsJSON sets the results-json input.
		resultsJSON bool
		// detail is in each annotation and each run's log group.
		detail string
		// cause is the message of the one "docketqa-gate: no verdict"
		// error annotation, printed before the runs' own; "" for none.
		cause string
	}{
		{
			name: "all pass, one flaky", want: 0, triggered: true,
			bps:    []sim.Blueprint{bp(1, "", 5*ms), {ID: 2, Title: "Flow 2", Retries: 1, Duration: 5 * ms}},
			with:   map[string]string{"blueprint-ids": "1\n2\n"},
			counts: map[string]string{"verdict": "passed", "total": "2", "passed": "2", "failed": "0", "errors": "0", "flaky": "1"},
		},
		{
			name: "one failure, JSON results", want: 1, triggered: true, resultsJSON: true,
			bps:    []sim.Blueprint{bp(1, "", 5*ms), failing(2)},
			with:   map[string]string{"blueprint-ids": "1\n2\n"},
			counts: map[string]string{"verdict": "failed", "total": "2", "passed": "1", "failed": "1", "errors": "0", "flaky": "0"},
			errors: []string{runName(2)}, detail: failReason,
		},
		{
			name: "twelve failures", want: 1, triggered: true,
			bps:    twelve,
			with:   map[string]string{"blueprint-ids": strings.Join(twelveIDs, "\n") + "\n"},
			counts: map[string]string{"verdict": "failed", "total": "12", "passed": "0", "failed": "12", "errors": "0", "flaky": "0"},
			errors: twelveNames, notice: "2 more failed runs", detail: failReason,
		},
		{
			name: "non-blocking failure", want: 0, triggered: true,
			bps:      []sim.Blueprint{bp(1, "", 5*ms), failing(2)},
			with:     map[string]string{"blueprint-ids": "1, 2", "non-blocking-ids": "2"},
			counts:   map[string]string{"verdict": "passed", "total": "2", "passed": "1", "failed": "0", "errors": "0", "flaky": "0"},
			warnings: []string{runName(2)}, detail: failReason,
		},
		{
			name: "rejected key", want: 3,
			bps:    []sim.Blueprint{bp(1, "", 5*ms), bp(2, "", 5*ms)},
			simKey: "some-other-key-entirely",
			with:   map[string]string{"blueprint-ids": "1,2"},
			counts: map[string]string{"verdict": "error", "total": "2", "passed": "0", "failed": "0", "errors": "2", "flaky": "0"},
			// The cause once, not once per blueprint.
			errors: []string{"docketqa-gate: DocketQA refused the API key (HTTP 401)"}, detail: "HTTP 401 Unauthorized", noBlocks: true,
		},
		{
			// Inputs the step sets beat the job's DOCKETQA_* variables: a
			// 1ms deadline, a dead URL or blueprint 999 would show here.
			name: "inputs beat DOCKETQA variables", want: 0, triggered: true,
			bps:    []sim.Blueprint{bp(1, "", 5*ms)},
			with:   map[string]string{"blueprint-ids": "1", "timeout": "1m"},
			jobEnv: map[string]string{"DOCKETQA_BASE_URL": "http://127.0.0.1:1", "DOCKETQA_TIMEOUT": "1ms", "DOCKETQA_BLUEPRINT_IDS": "999"},
			counts: map[string]string{"verdict": "passed", "total": "1", "passed": "1", "failed": "0", "errors": "0", "flaky": "0"},
		},
		{
			// action.yml declares no input defaults, so an input the step
			// leaves unset does not hide the job's DOCKETQA_* variable: the
			// 2s deadline (long enough for the trigger on a loaded machine)
			// applies to a run that takes an hour.
			name: "DOCKETQA variables apply where no input is set", want: 3, triggered: true,
			bps:    []sim.Blueprint{bp(1, "", time.Hour)},
			with:   map[string]string{"blueprint-ids": "1"},
			jobEnv: map[string]string{"DOCKETQA_TIMEOUT": "2s"},
			counts: map[string]string{"verdict": "error", "total": "1", "passed": "0", "failed": "0", "errors": "1", "flaky": "0"},
			errors: []string{runName(1)}, detail: "no result within 2s",
			cause: "the deadline of 2s passed before every run finished; raise --timeout / DOCKETQA_TIMEOUT if runs need longer",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sim.Options{APIKey: tc.simKey, Blueprints: tc.bps, FirstGroupID: groupID})
			junitPath := filepath.Join(h.dir, "workspace", "docketqa-junit.xml")
			with := map[string]string{
				"api-key":           testKey,
				"base-url":          h.srv.URL,
				"poll-interval":     "2ms",
				"max-poll-interval": "10ms",
				// The default is relative to the workspace, which is the
				// working directory in a real job but not in a test.
				"junit-path": junitPath,
			}
			maps.Copy(with, tc.with)
			resultsJSON := ""
			if tc.resultsJSON {
				resultsJSON = filepath.Join(h.dir, "workspace", "docketqa-results.json")
				with["results-json"] = resultsJSON
			}
			h.env = meta.stepEnv(t, h.dir, with)
			maps.Copy(h.env, tc.jobEnv)
			for _, dir := range []string{"workspace", "file_commands"} {
				if err := os.Mkdir(filepath.Join(h.dir, dir), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			// The runner creates the output file empty; the summary may
			// already hold what an earlier command of the step wrote.
			if err := os.WriteFile(h.env["GITHUB_OUTPUT"], nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(h.env["GITHUB_STEP_SUMMARY"], []byte(earlier), 0o644); err != nil {
				t.Fatal(err)
			}

			code := h.runAsAction(context.Background())
			h.assertMaskFirst()
			stdout, stderr := h.stdout.String(), h.stderr.String()
			if code != tc.want {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, stdout, stderr)
			}

			outs := parseFileCommand(t, h.env["GITHUB_OUTPUT"])
			if got, want := slices.Sorted(maps.Keys(outs)), slices.Sorted(maps.Keys(meta.Outputs)); !slices.Equal(got, want) {
				t.Errorf("outputs set: %q\naction.yml declares: %q", got, want)
			}
			want := wantOutputs(tc.counts, tc.triggered, junitPath)
			want["results-json-path"] = resultsJSON
			assertMapEqual(t, "outputs", outs, want)
			if resultsJSON != "" {
				if b, err := os.ReadFile(resultsJSON); err != nil || !json.Valid(b) {
					t.Errorf("the results-json-path output names %s, which is no JSON file: %v", resultsJSON, err)
				}
			}

			// cases() reads the report named in the harness environment;
			// point it at the one the junit-path output names.
			h.env["DOCKETQA_JUNIT"] = outs["junit-path"]
			if got, want := strconv.Itoa(len(h.cases())), tc.counts["total"]; got != want {
				t.Errorf("JUnit report has %s testcases, want %s", got, want)
			}

			sum, err := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
			if err != nil {
				t.Fatalf("job summary: %v", err)
			}
			ours, ok := strings.CutPrefix(string(sum), earlier+"\n")
			if !ok {
				t.Errorf("the job summary lost what was there before:\n%s", sum)
			}
			if heading, _, _ := strings.Cut(ours, "\n"); !strings.HasPrefix(heading, "## ") || !strings.Contains(heading, "DocketQA") {
				t.Errorf("appended summary starts with %q, want the DocketQA heading", heading)
			}

			byName := map[string][]command{}
			var causes []command
			for i, c := range commands(t, stdout) {
				if c.name == "error" && c.props["title"] == "docketqa-gate: no verdict" {
					causes = append(causes, c)
					if i > 0 && len(byName["error"]) > 0 {
						t.Error("the cause must be annotated before the runs")
					}
					continue
				}
				byName[c.name] = append(byName[c.name], c)
				switch c.name {
				case "add-mask", "group", "endgroup", "error", "warning", "notice":
				default:
					t.Errorf("unexpected workflow command ::%s", c.name)
				}
			}
			switch {
			case tc.cause == "" && len(causes) > 0:
				t.Errorf("unexpected cause annotations: %+v", causes)
			case tc.cause != "" && (len(causes) != 1 || causes[0].msg != tc.cause):
				t.Errorf("cause annotations %+v, want one saying %q", causes, tc.cause)
			}
			for _, kind := range []struct {
				name  string
				runs  []string
				limit int
			}{{"error", tc.errors, 10 - len(causes)}, {"warning", tc.warnings, 10}} {
				got := byName[kind.name]
				if want := min(len(kind.runs), kind.limit); len(got) != want {
					t.Errorf("%d ::%s annotations, want %d", len(got), kind.name, want)
				}
				seen := map[string]bool{}
				for _, c := range got {
					title := strings.TrimSuffix(c.props["title"], " (non-blocking)")
					if !slices.Contains(kind.runs, title) || seen[title] {
						t.Errorf("::%s titled %q: want one per run of %q", kind.name, c.props["title"], kind.runs)
					}
					seen[title] = true
					if !strings.Contains(c.msg, tc.detail) {
						t.Errorf("::%s for %s says %q, want %q in it", kind.name, title, c.msg, tc.detail)
					}
				}
			}
			switch notices := byName["notice"]; {
			case tc.notice == "" && len(notices) > 0:
				t.Errorf("unexpected notices: %+v", notices)
			case tc.notice != "" && (len(notices) != 1 || !strings.Contains(notices[0].msg, tc.notice)):
				t.Errorf("notices %+v, want one saying %q", notices, tc.notice)
			}
			wantBlocks := append(slices.Clone(tc.errors), tc.warnings...)
			if tc.noBlocks {
				wantBlocks = nil
			}
			assertBlocks(t, githubGroups.blocks(t, stdout), wantBlocks, tc.detail)
			if strings.Contains(stderr, "::") {
				t.Errorf("workflow commands belong on stdout only:\n%s", stderr)
			}
		})
	}
}

// TestGitHubActionWithoutFileCommands runs the action where the runner
// gives no usable GITHUB_OUTPUT or GITHUB_STEP_SUMMARY. go-githubactions
// panics there; the gate must not, and must still exit with a code that
// tells the truth.
func TestGitHubActionWithoutFileCommands(t *testing.T) {
	t.Parallel()
	meta := readActionMetadata(t)
	cases := []struct {
		name   string
		bps    []sim.Blueprint
		unset  []string
		broken string // set to a path that cannot be written
		want   int
		stderr string
	}{
		{name: "unset, passing", bps: []sim.Blueprint{bp(1, "", time.Millisecond)}, unset: []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"}, want: 0},
		{name: "unset, failing", bps: []sim.Blueprint{failing(1)}, unset: []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"}, want: 1},
		// Passing runs, but a report that should exist does not: no verdict.
		{name: "GITHUB_OUTPUT unwritable", bps: []sim.Blueprint{bp(1, "", time.Millisecond)}, broken: "GITHUB_OUTPUT", want: 3, stderr: "GITHUB_OUTPUT"},
		{name: "GITHUB_STEP_SUMMARY unwritable", bps: []sim.Blueprint{bp(1, "", time.Millisecond)}, broken: "GITHUB_STEP_SUMMARY", want: 3, stderr: "summary"},
		// A failure still reads as a failure when a report cannot be written.
		{name: "GITHUB_OUTPUT unwritable, failing", bps: []sim.Blueprint{failing(1)}, broken: "GITHUB_OUTPUT", want: 1, stderr: "GITHUB_OUTPUT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sim.Options{Blueprints: tc.bps})
			junitPath := filepath.Join(h.dir, "docketqa-junit.xml")
			h.env = meta.stepEnv(t, h.dir, map[string]string{
				"api-key": testKey, "base-url": h.srv.URL, "blueprint-ids": "1",
				"poll-interval": "2ms", "max-poll-interval": "10ms", "junit-path": junitPath,
			})
			if err := os.Mkdir(filepath.Join(h.dir, "file_commands"), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, k := range tc.unset {
				delete(h.env, k)
			}
			if tc.broken != "" {
				// A path below a regular file can be neither created nor
				// written.
				blocker := filepath.Join(h.dir, "blocker")
				if err := os.WriteFile(blocker, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				h.env[tc.broken] = filepath.Join(blocker, "file")
			}

			code := h.runAsAction(context.Background())
			h.assertMaskFirst()
			if code != tc.want {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, h.stdout.String(), h.stderr.String())
			}
			if !strings.Contains(h.stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, h.stderr.String())
			}
			if _, err := os.Stat(junitPath); err != nil {
				t.Errorf("the JUnit report must be written regardless: %v", err)
			}
			annotated := slices.ContainsFunc(commands(t, h.stdout.String()), func(c command) bool {
				return c.name == "error" && c.props["title"] == runName(1)
			})
			if failed := tc.want == 1; annotated != failed {
				t.Errorf("error annotation printed: %v, want %v\n%s", annotated, failed, h.stdout.String())
			}
		})
	}
}

// TestGitLabAndJenkinsRuns checks the log and reports off GitHub: no
// workflow command may reach these logs, GitLab gets collapsible sections
// and the dotenv report, Jenkins plain text.
func TestGitLabAndJenkinsRuns(t *testing.T) {
	t.Parallel()
	meta := readActionMetadata(t)
	ms := time.Millisecond
	gitlab := map[string]string{"CI": "true", "GITLAB_CI": "true", "CI_JOB_ID": "4321"}
	jenkins := map[string]string{"JENKINS_URL": "https://jenkins.example.com/", "BUILD_NUMBER": "17"}
	cases := []struct {
		name   string
		env    map[string]string
		bps    []sim.Blueprint
		ids    string
		simKey string
		// dotenv is "flag" for --dotenv, "env" for DOCKETQA_DOTENV, or ""
		// for no dotenv report.
		dotenv    string
		want      int
		counts    map[string]string
		triggered bool
		// stderr must appear in the log's stderr.
		stderr string
		// failed names the runs whose details must be shown; detail is in
		// each of them.
		failed []string
		detail string
	}{
		{
			name: "GitLab pass with --dotenv", env: gitlab, dotenv: "flag", want: 0, triggered: true,
			bps: []sim.Blueprint{bp(1, "", 5*ms), bp(2, "", 5*ms)}, ids: "1,2",
			counts: map[string]string{"verdict": "passed", "total": "2", "passed": "2", "failed": "0", "errors": "0", "flaky": "0"},
		},
		{
			name: "GitLab failures with DOCKETQA_DOTENV", env: gitlab, dotenv: "env", want: 1, triggered: true,
			bps: []sim.Blueprint{bp(1, "", 5*ms), failing(2), failing(3)}, ids: "1,2,3",
			counts: map[string]string{"verdict": "failed", "total": "3", "passed": "1", "failed": "2", "errors": "0", "flaky": "0"},
			failed: []string{runName(2), runName(3)}, detail: failReason,
		},
		{
			name: "GitLab rejected key", env: gitlab, dotenv: "flag", want: 3,
			bps: []sim.Blueprint{bp(1, "", 5*ms)}, ids: "1", simKey: "some-other-key-entirely",
			// Nothing was triggered: the one trigger error on stderr says
			// why, and no run gets a section of its own.
			counts: map[string]string{"verdict": "error", "total": "1", "passed": "0", "failed": "0", "errors": "1", "flaky": "0"},
			stderr: "trigger failed for 1 blueprint: POST /test_group_run/trigger_run: HTTP 401",
		},
		{
			name: "Jenkins pass", env: jenkins, want: 0,
			bps: []sim.Blueprint{bp(1, "", 5*ms)}, ids: "1",
		},
		{
			name: "Jenkins failure", env: jenkins, want: 1,
			bps: []sim.Blueprint{bp(1, "", 5*ms), failing(2)}, ids: "1,2",
			failed: []string{runName(2)}, detail: failReason,
		},
		{
			// Only GITHUB_ACTIONS=true means GitHub; any other value of
			// it, say from a copied environment, must not switch on
			// workflow commands.
			name: "Jenkins with stray GitHub variables", want: 1,
			env: map[string]string{"JENKINS_URL": "https://jenkins.example.com/", "GITHUB_ACTIONS": "false"},
			bps: []sim.Blueprint{failing(2)}, ids: "2",
			failed: []string{runName(2)}, detail: failReason,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sim.Options{APIKey: tc.simKey, Blueprints: tc.bps, FirstGroupID: groupID})
			delete(h.env, "DOCKETQA_SUMMARY") // neither system has a job summary
			maps.Copy(h.env, tc.env)
			args := []string{"--blueprint-ids", tc.ids}
			dotenv := filepath.Join(h.dir, "docketqa.env")
			switch tc.dotenv {
			case "flag":
				args = append(args, "--dotenv", dotenv)
			case "env":
				h.env["DOCKETQA_DOTENV"] = dotenv
			}

			code := h.run(context.Background(), args...)
			stdout, stderr := h.stdout.String(), h.stderr.String()
			if code != tc.want {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, stdout, stderr)
			}
			for name, s := range map[string]string{"stdout": stdout, "stderr": stderr} {
				if strings.Contains(s, "::") {
					t.Errorf("%s holds a workflow command marker \"::\":\n%s", name, s)
				}
			}
			if _, err := os.Stat(h.env["DOCKETQA_JUNIT"]); err != nil {
				t.Errorf("the JUnit report is the interface here and must exist: %v", err)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr)
			}

			if tc.env["GITLAB_CI"] != "" {
				assertBlocks(t, gitlabSections.blocks(t, stdout), tc.failed, tc.detail)
			} else {
				if strings.Contains(stdout, "section_start") || strings.Contains(stdout, "section_end") || strings.Contains(stdout, "\x1b") {
					t.Errorf("GitLab section markers or terminal escapes in a Jenkins log:\n%q", stdout)
				}
				for _, name := range tc.failed {
					if !strings.Contains(stdout, name+": failed\n") || !strings.Contains(stdout, tc.detail) {
						t.Errorf("the log does not explain why %s failed:\n%s", name, stdout)
					}
				}
			}

			if tc.dotenv == "" {
				if _, err := os.Stat(dotenv); err == nil {
					t.Error("a dotenv report was written without --dotenv or DOCKETQA_DOTENV")
				}
				return
			}
			// The dotenv report holds the action's outputs under DOCKETQA_
			// names: verdict as DOCKETQA_VERDICT, group-run-id as
			// DOCKETQA_GROUP_RUN_ID.
			values := wantOutputs(tc.counts, tc.triggered, h.env["DOCKETQA_JUNIT"])
			want := map[string]string{}
			for name := range meta.Outputs {
				v, ok := values[name]
				if !ok {
					t.Fatalf("no expected value for action.yml output %s", name)
				}
				want["DOCKETQA_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))] = v
			}
			assertMapEqual(t, "dotenv", parseDotenv(t, dotenv), want)
		})
	}
}
