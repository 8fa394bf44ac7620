package app

// The hostile-API suite: the whole gate, driven through Run() as CI runs
// it, against a DocketQA stand-in that answers as an attacker would. Every
// case checks the gate's core promises on top of its own expectations:
// the exit code; every requested blueprint present in the JUnit report, the
// JSON results and the summary; the API key nowhere, in any letter case;
// and no line on stdout or stderr that a CI runner would act on unless the
// gate itself meant it.

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/docketqa-gate/docketqa-gate/internal/hostile"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// hostileKey has mixed case so that an echo in another case is told apart
// from an echo of the key as configured.
const hostileKey = "HoStIlE-kEy-5e1f-NotARealSecret"

// hgPlatform is the CI system a gate run impersonates.
type hgPlatform string

const (
	hgPlain  hgPlatform = "plain"
	hgGitHub hgPlatform = "github"
	hgGitLab hgPlatform = "gitlab"
)

// hgFast keeps a scripted run of a few answers to milliseconds. Cases add
// their own --timeout where the deadline matters.
var hgFast = []string{"--poll-interval", "1ms", "--max-poll-interval", "4ms", "--not-found-grace", "20ms", "--timeout", "10s"}

// gateRun is one gate invocation against a hostile API, with every report
// file the gate can write in a temporary directory.
type gateRun struct {
	t    *testing.T
	api  *hostile.Server
	dir  string
	plat hgPlatform
	env  map[string]string
	// stdoutW and stderrW replace the buffers as the gate's writers when set.
	stdoutW, stderrW io.Writer
	stdout, stderr   lockedBuffer
	code             int
}

// lockedBuffer is a bytes.Buffer safe for the gate's concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newGateRun(t *testing.T, plat hgPlatform) *gateRun {
	t.Helper()
	dir := t.TempDir()
	api := hostile.New(t, hostileKey)
	h := &gateRun{t: t, api: api, dir: dir, plat: plat, env: map[string]string{
		"DOCKETQA_API_KEY":      hostileKey,
		"DOCKETQA_BASE_URL":     api.URL,
		"DOCKETQA_JUNIT":        filepath.Join(dir, "junit.xml"),
		"DOCKETQA_SUMMARY":      filepath.Join(dir, "summary.md"),
		"DOCKETQA_RESULTS_JSON": filepath.Join(dir, "results.json"),
		"DOCKETQA_DOTENV":       filepath.Join(dir, "docketqa.env"),
	}}
	switch plat {
	case hgGitHub:
		// On GitHub the summary goes where the runner says, as in a real job.
		delete(h.env, "DOCKETQA_SUMMARY")
		h.env["GITHUB_ACTIONS"] = "true"
		h.env["GITHUB_OUTPUT"] = filepath.Join(dir, "github_output")
		h.env["GITHUB_STEP_SUMMARY"] = filepath.Join(dir, "github_step_summary")
		for _, f := range []string{h.env["GITHUB_OUTPUT"], h.env["GITHUB_STEP_SUMMARY"]} {
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	case hgGitLab:
		h.env["GITLAB_CI"] = "true"
	}
	return h
}

func (h *gateRun) run(args ...string) int {
	h.t.Helper()
	stdout, stderr := h.stdoutW, h.stderrW
	if stdout == nil {
		stdout = &h.stdout
	}
	if stderr == nil {
		stderr = &h.stderr
	}
	h.code = Run(context.Background(), append(slices.Clone(hgFast), args...), testutil.Getenv(h.env), stdout, stderr)
	return h.code
}

func (h *gateRun) logs() string {
	return "stdout:\n" + h.stdout.String() + "\nstderr:\n" + h.stderr.String()
}

// assertCode checks the exit code is one of want.
func (h *gateRun) assertCode(want ...int) {
	h.t.Helper()
	if !slices.Contains(want, h.code) {
		h.t.Errorf("exit code %d, want one of %v\n%s", h.code, want, h.logs())
	}
}

// assertPromises checks what must hold after every gate run that got past
// configuration: every requested blueprint in every report, the key
// nowhere, clean logs and clean file formats.
func (h *gateRun) assertPromises(blueprints ...int64) {
	h.t.Helper()
	h.assertReports(blueprints...)
	h.assertNoKey()
	h.assertCleanLogs()
	h.assertCleanFiles()
}

// assertReports checks every blueprint is named in the JUnit report, the
// JSON results and the Markdown summary.
func (h *gateRun) assertReports(blueprints ...int64) {
	h.t.Helper()
	cases := h.junit()
	res := h.results()
	summary := h.summary()
	for _, id := range blueprints {
		mention := blueprintMention(id)
		found := false
		for _, c := range cases {
			found = found || mention.MatchString(c.Name)
		}
		if !found {
			h.t.Errorf("blueprint %d is missing from the JUnit report: %v", id, caseNames(cases))
		}
		found = false
		for _, r := range res.Runs {
			found = found || r.BlueprintID == id
		}
		if !found {
			h.t.Errorf("blueprint %d is missing from the JSON results", id)
		}
		if !mention.MatchString(summary) {
			h.t.Errorf("blueprint %d is missing from the summary:\n%s", id, summary)
		}
	}
}

func blueprintMention(id int64) *regexp.Regexp {
	return regexp.MustCompile(`\bblueprint ` + strconv.FormatInt(id, 10) + `\b`)
}

// summary returns the Markdown summary: --summary's file, else GitHub's
// step summary.
func (h *gateRun) summary() string {
	h.t.Helper()
	if h.env["DOCKETQA_SUMMARY"] != "" {
		return h.file("DOCKETQA_SUMMARY")
	}
	return h.file("GITHUB_STEP_SUMMARY")
}

func (h *gateRun) file(envName string) string {
	h.t.Helper()
	b, err := os.ReadFile(h.env[envName])
	if err != nil {
		h.t.Errorf("report %s missing: %v", envName, err)
	}
	return string(b)
}

// hgCase is the JUnit testcase the other end-to-end tests read too.
type hgCase = junitCase

// junit parses the JUnit report, failing on a missing or malformed file
// and on two cases with one name (CI test views merge those).
func (h *gateRun) junit() []hgCase {
	h.t.Helper()
	b, err := os.ReadFile(h.env["DOCKETQA_JUNIT"])
	if err != nil {
		h.t.Fatalf("JUnit report missing: %v\n%s", err, h.logs())
	}
	var doc struct {
		Suites []struct {
			Cases []hgCase `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		h.t.Fatalf("JUnit report is not XML: %v", err)
	}
	var out []hgCase
	seen := map[string]bool{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if seen[c.Name] {
				h.t.Errorf("JUnit testcase name %q appears twice: CI test views merge such cases", c.Name)
			}
			seen[c.Name] = true
			out = append(out, c)
		}
	}
	return out
}

func caseNames(cases []hgCase) []string {
	names := make([]string, len(cases))
	for i, c := range cases {
		names[i] = c.Name
	}
	return names
}

// casesFor returns the JUnit cases naming blueprint id.
func casesFor(cases []hgCase, id int64) []hgCase {
	var out []hgCase
	for _, c := range cases {
		if blueprintMention(id).MatchString(c.Name) {
			out = append(out, c)
		}
	}
	return out
}

// hgResults is the part of the --results-json document the suite reads.
type hgResults struct {
	Verdict string `json:"verdict"`
	Runs    []struct {
		BlueprintID     int64  `json:"blueprint_id"`
		RunID           *int64 `json:"run_id"`
		Name            string `json:"name"`
		Status          string `json:"status"`
		Verdict         string `json:"verdict"`
		Reason          string `json:"reason"`
		EarlierAttempts []struct {
			RunID  *int64 `json:"run_id"`
			Reason string `json:"reason"`
		} `json:"earlier_attempts"`
	} `json:"runs"`
}

func (h *gateRun) results() hgResults {
	h.t.Helper()
	var r hgResults
	b, err := os.ReadFile(h.env["DOCKETQA_RESULTS_JSON"])
	if err != nil {
		h.t.Fatalf("JSON results missing: %v\n%s", err, h.logs())
	}
	if err := json.Unmarshal(b, &r); err != nil {
		h.t.Fatalf("JSON results unreadable: %v", err)
	}
	return r
}

// runIDs returns every run id the JSON results mention, final or earlier.
func (r hgResults) runIDs() map[int64]bool {
	ids := map[int64]bool{}
	for _, run := range r.Runs {
		if run.RunID != nil {
			ids[*run.RunID] = true
		}
		for _, a := range run.EarlierAttempts {
			if a.RunID != nil {
				ids[*a.RunID] = true
			}
		}
	}
	return ids
}

// assertNoKey checks the key, in any letter case, is in no output and no
// file. The one exception is GitHub's add-mask command for the key, which
// the runner consumes instead of showing.
func (h *gateRun) assertNoKey() {
	h.t.Helper()
	assertNoSecret(h.t, hostileKey, map[string]string{"stdout": h.stdout.String(), "stderr": h.stderr.String()}, h.dir)
}

// assertNoSecret checks that secret, in any letter case, appears in none of
// texts and in no file under dir, except on an add-mask line for it.
func assertNoSecret(t *testing.T, secret string, texts map[string]string, dir string) {
	t.Helper()
	low := strings.ToLower(secret)
	for name, s := range texts {
		for line := range strings.Lines(s) {
			trimmed := strings.TrimSpace(line)
			if v, ok := strings.CutPrefix(trimmed, "::add-mask::"); ok && strings.EqualFold(v, secret) {
				continue
			}
			if strings.Contains(strings.ToLower(line), low) {
				t.Errorf("%s leaks the secret %q (in some letter case): %q", name, secret, line)
			}
		}
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if b, _ := os.ReadFile(p); bytes.Contains(bytes.ToLower(b), []byte(low)) {
			t.Errorf("%s leaks the secret %q (in some letter case)", filepath.Base(p), secret)
		}
		return nil
	})
}

// ownCommands are the only workflow commands the gate prints: masking the
// key, log groups, and annotations whose text it composed.
var ownCommands = map[string]bool{"add-mask": true, "group": true, "endgroup": true,
	"error": true, "warning": true, "notice": true, "debug": true}

// gitlabSection is the gate's own GitLab section marker at a line's start.
var gitlabSection = regexp.MustCompile(`^\x1b\[0Ksection_(start|end):[0-9]+:([A-Za-z0-9_.-]+)(?:\[collapsed=true\])?\r\x1b\[0K`)

// assertCleanLogs checks both streams line by line, the way CI runners read
// them. GitHub's runner splits on \n and \r, trims leading white space and
// acts on "::command" at the start, and on the legacy "##[command]"
// anywhere in a line; GitLab acts on section markers; terminals act on ESC
// and C1 sequences, and bidi controls reorder what a reader sees.
func (h *gateRun) assertCleanLogs() {
	h.t.Helper()
	for name, s := range map[string]string{"stdout": h.stdout.String(), "stderr": h.stderr.String()} {
		for _, p := range logProblems(s, h.plat) {
			h.t.Errorf("%s: %s", name, p)
		}
	}
}

// logProblems returns one description per line a runner or terminal would
// act on although the gate did not mean it.
func logProblems(log string, plat hgPlatform) []string {
	var problems []string
	for _, line := range strings.FieldsFunc(log, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.Contains(line, "##[") {
			problems = append(problems, fmt.Sprintf("legacy workflow command ##[ in %q", line))
		}
		trimmed := strings.TrimLeftFunc(line, unicode.IsSpace)
		if strings.HasPrefix(trimmed, "FORGED") {
			problems = append(problems, fmt.Sprintf("a line begins with API text: %q", line))
		}
		if !strings.HasPrefix(trimmed, "::") {
			continue
		}
		name, value := commandParts(trimmed)
		switch {
		case !ownCommands[name]:
			problems = append(problems, fmt.Sprintf("workflow command %q is not one of the gate's: %q", name, line))
		case name == "add-mask" && !strings.EqualFold(value, hostileKey):
			problems = append(problems, fmt.Sprintf("add-mask of something other than the key: %q", line))
		case hasForgedCommandStart(trimmed):
			problems = append(problems, fmt.Sprintf("a command line begins with an API-planted command: %q", line))
		}
	}
	var open []string
	for line := range strings.Lines(log) {
		line = strings.TrimSuffix(line, "\n")
		if plat == hgGitLab {
			if m := gitlabSection.FindStringSubmatch(line); m != nil {
				switch m[1] {
				case "start":
					open = append(open, m[2])
				case "end":
					if len(open) == 0 || open[len(open)-1] != m[2] {
						problems = append(problems, fmt.Sprintf("section_end %q closes no open section (open: %v)", m[2], open))
					} else {
						open = open[:len(open)-1]
					}
				}
				line = line[len(m[0]):]
			}
		}
		if rs := controlRunes(line); len(rs) > 0 {
			problems = append(problems, fmt.Sprintf("control or format characters %U in %q", rs, line))
		}
	}
	if len(open) > 0 {
		problems = append(problems, fmt.Sprintf("GitLab sections never closed: %v", open))
	}
	return problems
}

// commandParts splits "::name props::value" into name and value; name is
// "" when the line is no well-formed command.
func commandParts(line string) (name, value string) {
	rest := strings.TrimPrefix(line, "::")
	head, value, ok := strings.Cut(rest, "::")
	if !ok {
		return "", ""
	}
	name, _, _ = strings.Cut(head, " ")
	return name, value
}

// hasForgedCommandStart reports whether line starts with one of the
// commands the suite plants in API text.
func hasForgedCommandStart(line string) bool {
	for _, f := range forged {
		if strings.HasPrefix(f, "::") && strings.HasPrefix(line, f) {
			return true
		}
	}
	return false
}

// controlRunes returns the characters in s that a terminal or viewer acts
// on or hides: C0 controls but tab, DEL, C1 controls, and format and
// separator characters (bidi overrides, zero-width characters, U+2028).
func controlRunes(s string) []rune {
	var out []rune
	for _, r := range s {
		switch {
		case r == '\t':
		case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r):
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// assertCleanFiles checks the files CI systems parse: GitHub step outputs
// only under the names action.yml declares, a dotenv report GitLab
// accepts, and a JUnit report without GitLab attachment markers.
func (h *gateRun) assertCleanFiles() {
	h.t.Helper()
	if p := h.env["GITHUB_OUTPUT"]; p != "" {
		declared := hgDeclaredOutputs(h.t)
		for _, name := range hgFileCommandNames(h.t, p) {
			if !declared[name] {
				h.t.Errorf("GITHUB_OUTPUT sets %q, which action.yml does not declare", name)
			}
		}
	}
	if b, err := os.ReadFile(h.env["DOCKETQA_DOTENV"]); err == nil {
		line := regexp.MustCompile(`^DOCKETQA_[A-Z0-9_]+=[^\x00-\x1f\x7f]*$`)
		for l := range strings.Lines(string(b)) {
			if !line.MatchString(strings.TrimSuffix(l, "\n")) {
				h.t.Errorf("dotenv line GitLab would reject or misread: %q", l)
			}
		}
	}
	if b, err := os.ReadFile(h.env["DOCKETQA_JUNIT"]); err == nil {
		for l := range strings.Lines(string(b)) {
			if strings.Contains(strings.ToUpper(l), "[[ATTACHMENT|") {
				h.t.Errorf("JUnit line carries a GitLab attachment marker: %q", l)
			}
		}
	}
}

func hgDeclaredOutputs(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatalf("read action.yml: %v", err)
	}
	var a struct {
		Outputs map[string]any `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(b, &a); err != nil || len(a.Outputs) == 0 {
		t.Fatalf("action.yml outputs: %v", err)
	}
	out := map[string]bool{}
	for k := range a.Outputs {
		out[k] = true
	}
	return out
}

// hgFileCommandNames reads a GitHub file command as the runner does and
// returns the names it sets.
func hgFileCommandNames(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var names []string
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSuffix(lines[i], "\r")
		if line == "" {
			continue
		}
		eq, heredoc := strings.Index(line, "="), strings.Index(line, "<<")
		switch {
		case eq >= 0 && (heredoc < 0 || eq < heredoc):
			names = append(names, line[:eq])
		case heredoc > 0:
			delim := line[heredoc+2:]
			names = append(names, line[:heredoc])
			for i++; i < len(lines) && strings.TrimSuffix(lines[i], "\r") != delim; i++ {
			}
			if i == len(lines) {
				t.Errorf("%s: heredoc %q never ends", filepath.Base(path), delim)
			}
		default:
			t.Errorf("%s: line %q is neither name=value nor a heredoc", filepath.Base(path), line)
		}
	}
	return names
}

// assertTriggeredOnly checks every trigger request asked only for allowed
// blueprints: reruns may only trigger what the user listed.
func (h *gateRun) assertTriggeredOnly(allowed ...int64) {
	h.t.Helper()
	ids, err := h.api.TriggeredIDs()
	if err != nil {
		h.t.Errorf("a trigger request was malformed: %v", err)
	}
	for _, id := range ids {
		if !slices.Contains(allowed, id) {
			h.t.Errorf("the gate triggered blueprint %d, which nobody asked for (triggers: %v)", id, ids)
		}
	}
}

// Answer builders. run1000 is the one run of blueprint 180 in most cases.

func trun(id, blueprint int64, status string) hostile.Run {
	return hostile.Run{ID: id, BlueprintID: blueprint, GroupRunID: 35, Status: status, Title: fmt.Sprintf("Flow %d", blueprint),
		Created: "2025-07-03T01:38:03.020496+00:00", Updated: "2025-07-03T01:39:03.020496+00:00"}
}

func failedRun(id, blueprint int64) hostile.Run {
	r := trun(id, blueprint, "failed")
	r.Steps = []hostile.Step{{Task: "Open the page", OK: true}, {Task: "Click 'Pay'", Result: "The button was missing"}}
	return r
}

// triggerOne scripts a trigger answer with one running run per pair.
func triggerOne(pairs ...[2]int64) hostile.Answer {
	var runs []hostile.Run
	for _, p := range pairs {
		runs = append(runs, trun(p[0], p[1], "running"))
	}
	return hostile.Triggered(35, runs...)
}

// echoReruns answers the first trigger with first and every later one (a
// rerun) with fresh runs for exactly the blueprints asked for, all of which
// then pass: the best an attacker can hope for from a confused rerun.
func echoReruns(api *hostile.Server, first hostile.Answer) {
	blueprintOf := map[int64]int64{}
	api.HandleTrigger(func(n int, ids []int64) hostile.Answer {
		if n == 0 {
			return first
		}
		var runs []hostile.Run
		for i, id := range ids {
			r := trun(int64(5000+10*n+i), id, "running")
			blueprintOf[r.ID] = id
			runs = append(runs, r)
		}
		return hostile.Triggered(int64(35+n), runs...)
	})
	// Both callbacks run under the server's lock, so blueprintOf needs none.
	api.HandleRuns(func(id int64, _ int) hostile.Answer {
		if bp, ok := blueprintOf[id]; ok {
			return hostile.Get(trun(id, bp, "passed"))
		}
		return hostile.Fail(http.StatusNotFound, `{"detail":"Not found"}`)
	})
}

func raw(body string) hostile.Answer { return hostile.OK(body) }

// hgTableCase is one row of TestHostileAPI.
type hgTableCase struct {
	name       string
	plat       hgPlatform
	args       []string
	blueprints []int64
	script     func(api *hostile.Server)
	want       []int
	check      func(t *testing.T, h *gateRun)
}

func hostileCases() []hgTableCase {
	var cases []hgTableCase
	add := func(c hgTableCase) { cases = append(cases, c) }
	never0 := []int{1, 3}

	// 1. Identity is fixed by the trigger answer.
	for _, claim := range []int64{181, 999} {
		for _, rerun := range []bool{false, true} {
			var args []string
			name := fmt.Sprintf("1 identity: failed run of 180 claims blueprint %d", claim)
			if rerun {
				args, name = []string{"--rerun-failed", "1"}, name+" with --rerun-failed 1"
			}
			add(hgTableCase{name: name, args: args, blueprints: []int64{180}, want: never0,
				script: func(api *hostile.Server) {
					echoReruns(api, triggerOne([2]int64{1000, 180}))
					lie := failedRun(1000, claim)
					api.Run(1000, hostile.Get(trun(1000, 180, "running")), hostile.Get(lie))
				},
				check: func(t *testing.T, h *gateRun) { h.assertTriggeredOnly(180) }})
		}
	}
	for _, rerun := range []bool{false, true} {
		var args []string
		name := "1 identity: failed run of 180 claims to be the passing 181"
		if rerun {
			args, name = []string{"--rerun-failed", "1"}, name+" with --rerun-failed 1"
		}
		add(hgTableCase{name: name, args: args, blueprints: []int64{180, 181}, want: never0,
			script: func(api *hostile.Server) {
				echoReruns(api, triggerOne([2]int64{1000, 180}, [2]int64{1001, 181}))
				api.Run(1000, hostile.Get(failedRun(1000, 181)))
				api.Run(1001, hostile.Get(trun(1001, 181, "passed")))
			},
			check: func(t *testing.T, h *gateRun) {
				h.assertTriggeredOnly(180, 181)
				if got := casesFor(h.junit(), 181); len(got) != 1 {
					t.Errorf("blueprint 181 has %d JUnit cases, want 1 (the run of 180 took its identity?): %v", len(got), caseNames(h.junit()))
				}
			}})
	}
	add(hgTableCase{name: "1 identity: passed answer for run 1000 names blueprint 181", blueprints: []int64{180}, want: never0,
		script: func(api *hostile.Server) {
			api.Trigger(triggerOne([2]int64{1000, 180}))
			api.Run(1000, hostile.Get(trun(1000, 181, "passed")))
		}})

	// An id that disagrees with the run asked for is never counted.
	for _, body := range []string{
		`{"test_run":{"id":1001,"test_blueprint_id":180,"status":"passed"}}`,
		`{"test_run":{"id":0,"test_blueprint_id":180,"status":"passed"}}`,
		`{"test_run":{"id":"1001","test_blueprint_id":180,"status":"passed"}}`,
	} {
		add(hgTableCase{name: "id disagrees: " + body, blueprints: []int64{180}, want: never0,
			script: func(api *hostile.Server) {
				api.Trigger(triggerOne([2]int64{1000, 180}))
				api.Run(1000, raw(body))
			}})
	}
	add(hgTableCase{name: "id disagrees: run 1000 is answered with run 1001's pass", blueprints: []int64{180, 181}, want: never0,
		script: func(api *hostile.Server) {
			api.Trigger(triggerOne([2]int64{1000, 180}, [2]int64{1001, 181}))
			api.Run(1000, hostile.Get(trun(1001, 181, "passed")))
			api.Run(1001, hostile.Get(trun(1001, 181, "passed")))
		}})

	// 2. Loose JSON never stands in for the documented keys.
	for _, body := range []string{
		`{"test_run":{"id":1000,"test_blueprint_id":180,"status":"failed","Status":"passed"}}`,
		`{"TEST_RUN":{"id":1000,"test_blueprint_id":180,"STATUS":"passed"}}`,
		`{"test_run":{"id":1000,"test_blueprint_id":180,"status":"failed"},"TEST_RUN":{"id":1000,"test_blueprint_id":180,"status":"passed"}}`,
		`{"test_run":{"id":1000,"test_blueprint_id":180,"status":"failed","status":"passed"}}`,
		`{"test_run":{"id":1000,"test_blueprint_id":180,"status":"failed"},"test_run":{"id":1000,"test_blueprint_id":180,"status":"passed"}}`,
		`{"test_run":{"id":1000,"test_blueprint_id":180,"status":"failed","st\u0061tus":"passed"}}`,
		`{"test_run":{"id":1000,"test_blueprint_id":180,"status":"passed","results":[{"task":"a","task":"b","is_successful":true}]}}`,
		`{"test_run":{"id":1000,"test_blueprint_id":180,"status":"failed"}} {"test_run":{"id":1000,"status":"passed"}}`,
	} {
		add(hgTableCase{name: "2 loose JSON: " + body, blueprints: []int64{180}, want: never0,
			script: func(api *hostile.Server) {
				api.Trigger(triggerOne([2]int64{1000, 180}))
				api.Run(1000, raw(body))
			}})
	}

	// Only the exact word "passed" is a pass; no status is no pass.
	for _, word := range []string{"PASSED", "Passed", " passed", "passed ", "passed\n", "\u200bpassed", "pass", "passed\u0000", "ｐａｓｓｅｄ"} {
		add(hgTableCase{name: fmt.Sprintf("status word %q", word), blueprints: []int64{180}, want: never0,
			script: func(api *hostile.Server) {
				api.Trigger(triggerOne([2]int64{1000, 180}))
				api.Run(1000, hostile.Get(trun(1000, 180, word)))
			}})
	}
	for _, status := range []string{`missing`, `null`, `true`, `["passed"]`, `{"value":"passed"}`, `1`} {
		body := `{"test_run":{"id":1000,"test_blueprint_id":180,"status":` + status + `}}`
		if status == "missing" {
			body = `{"test_run":{"id":1000,"test_blueprint_id":180,"results":[]}}`
		}
		add(hgTableCase{name: "status " + status, blueprints: []int64{180}, want: never0,
			script: func(api *hostile.Server) {
				api.Trigger(triggerOne([2]int64{1000, 180}))
				api.Run(1000, raw(body))
			}})
	}

	// 3. Several runs for one blueprint are all polled and all reported.
	add(hgTableCase{name: "3 two runs for one blueprint in the trigger answer", blueprints: []int64{180}, want: []int{1},
		script: func(api *hostile.Server) {
			api.Trigger(triggerOne([2]int64{1000, 180}, [2]int64{1001, 180}))
			api.Run(1000, hostile.Get(failedRun(1000, 180)))
			api.Run(1001, hostile.Get(trun(1001, 180, "passed")))
		},
		check: func(t *testing.T, h *gateRun) { assertBothRuns(t, h, 180, 1000, 1001) }})
	add(hgTableCase{name: "3 two passing runs for one blueprint", blueprints: []int64{180}, want: []int{0},
		script: func(api *hostile.Server) {
			api.Trigger(triggerOne([2]int64{1000, 180}, [2]int64{1001, 180}))
			api.Run(1000, hostile.Get(trun(1000, 180, "passed")))
			api.Run(1001, hostile.Get(trun(1001, 180, "passed")))
		},
		check: func(t *testing.T, h *gateRun) { assertBothRuns(t, h, 180, 1000, 1001) }})
	add(hgTableCase{name: "3 two runs for one blueprint in the rerun answer", blueprints: []int64{180}, want: []int{1},
		args: []string{"--rerun-failed", "1"},
		script: func(api *hostile.Server) {
			api.Trigger(triggerOne([2]int64{1000, 180}), triggerOne([2]int64{2000, 180}, [2]int64{2001, 180}))
			api.Run(1000, hostile.Get(failedRun(1000, 180)))
			api.Run(2000, hostile.Get(failedRun(2000, 180)))
			api.Run(2001, hostile.Get(trun(2001, 180, "passed")))
		},
		check: func(t *testing.T, h *gateRun) {
			h.assertTriggeredOnly(180)
			ids := h.results().runIDs()
			junit := h.file("DOCKETQA_JUNIT")
			for _, id := range []int64{1000, 2000, 2001} {
				if !ids[id] {
					t.Errorf("run %d is missing from the JSON results (runs: %v)", id, ids)
				}
				if !strings.Contains(junit, strconv.FormatInt(id, 10)) {
					t.Errorf("run %d is missing from the JUnit report", id)
				}
			}
		}})

	// 5. API text that would be a live marker elsewhere; the key echoed.
	for _, plat := range []hgPlatform{hgPlain, hgGitHub} {
		add(hgTableCase{name: "5 attachment markers and the key echoed on " + string(plat), plat: plat,
			blueprints: []int64{180, 181, 182}, want: []int{1},
			script: func(api *hostile.Server) {
				api.Trigger(triggerOne([2]int64{1000, 180}, [2]int64{1001, 181}, [2]int64{1002, 182}))
				attach := failedRun(1000, 180)
				attach.Steps[1].Task = "Open [[ATTACHMENT|/etc/passwd]]"
				attach.Steps[1].Result = "see\n[[ATTACHMENT|/etc/passwd]] and [[attachment|/root/.ssh/id_rsa]]"
				api.Run(1000, hostile.Get(attach))
				echo := trun(1001, 181, strings.ToLower(hostileKey))
				echo.Title = "Checkout " + strings.ToUpper(hostileKey)
				api.Run(1001, hostile.Get(echo))
				swapped := failedRun(1002, 182)
				swapped.Title = swapCase(hostileKey)
				swapped.Steps[1].Result = "token " + hostileKey + " / " + swapCase(hostileKey) + " rejected"
				swapped.VideoURL = "https://cdn.example/v.webm?key=" + strings.ToUpper(hostileKey)
				api.Run(1002, hostile.Get(swapped))
			}})
	}

	// 9. The last API error is the reason, not "raise --timeout".
	for _, tc := range []struct {
		name   string
		answer hostile.Answer
		// cause are patterns the reason must all match.
		cause []string
	}{
		{"HTTP 500", hostile.Fail(500, `{"detail":"BACKEND-EXPLODED while reading run `+strings.ToLower(hostileKey)+`"}`), []string{`\b500\b`, `BACKEND-EXPLODED`}},
		{"HTTP 429", hostile.Answer{Status: 429, Header: http.Header{"Retry-After": {"0"}}, Body: `{"message":"RATE-LIMITED: slow down"}`}, []string{`\b429\b`, `RATE-LIMITED`}},
		{"HTTP 502 with HTML", hostile.Fail(502, `<html><body>BAD-GATEWAY upstream</body></html>`), []string{`\b502\b`, `BAD-GATEWAY`}},
		{"connection resets", hostile.Answer{Reset: true}, []string{`(?i)reset|\bEOF\b|closed`}},
	} {
		add(hgTableCase{name: "9 every poll fails until the deadline: " + tc.name, blueprints: []int64{180, 181}, want: []int{3},
			args: []string{"--timeout", "300ms"},
			script: func(api *hostile.Server) {
				api.Trigger(triggerOne([2]int64{1000, 180}, [2]int64{1001, 181}))
				api.HandleRuns(func(int64, int) hostile.Answer { return tc.answer })
			},
			check: func(t *testing.T, h *gateRun) {
				res := h.results()
				for _, c := range h.junit() {
					if c.Error == nil {
						t.Errorf("%s has no <error>", c.Name)
						continue
					}
					assertNamesCause(t, "JUnit "+c.Name, c.Error.Message, tc.cause)
				}
				for _, r := range res.Runs {
					assertNamesCause(t, fmt.Sprintf("JSON reason of blueprint %d", r.BlueprintID), r.Reason, tc.cause)
				}
				suggest := regexp.MustCompile(`(?i)(raise|increase|extend|longer)[^\n]{0,40}--timeout`)
				if m := suggest.FindString(h.stdout.String() + h.stderr.String()); m != "" {
					t.Errorf("the log suggests raising --timeout (%q) although no run was ever seen running:\n%s", m, h.logs())
				}
			}})
	}

	// 10. A bad value in a decorative field is dropped alone.
	for _, tc := range []struct{ name, body string }{
		{"step_number 1e300", `{"test_run":{"id":1000,"test_blueprint_id":180,"status":"failed","results":[{"step_number":1e300,"task":"Click 'Pay'","is_successful":false,"result":"The button was missing"}]}}`},
		{"group id zz", `{"test_run":{"id":1000,"test_blueprint_id":180,"test_group_run_id":"zz","status":"failed","results":[{"step_number":1,"task":"Click 'Pay'","is_successful":false,"result":"The button was missing"}]}}`},
		{"duration zz", `{"test_run":{"id":1000,"test_blueprint_id":180,"status":"failed","results":[{"step_number":1,"task":"Click","is_successful":false,"result":"missing","duration":"zz"}]}}`},
		{"metadata steps not a list", `{"test_run":{"id":1000,"test_blueprint_id":180,"status":"failed","blueprint_metadata":{"title":"Flow 180","steps":"zz"}}}`},
		{"created_at a number", `{"test_run":{"id":1000,"test_blueprint_id":180,"status":"failed","created_at":12,"updated_at":{"x":1}}}`},
	} {
		add(hgTableCase{name: "10 malformed decorative field: " + tc.name, blueprints: []int64{180}, want: []int{1},
			script: func(api *hostile.Server) {
				api.Trigger(triggerOne([2]int64{1000, 180}))
				api.Run(1000, raw(tc.body))
			},
			check: func(t *testing.T, h *gateRun) {
				for _, c := range casesFor(h.junit(), 180) {
					if c.Failure == nil {
						t.Errorf("%s is not a <failure>: %+v", c.Name, c)
					}
				}
			}})
	}
	return cases
}

// assertBothRuns checks both runs of one blueprint are in every report,
// each under its own name.
func assertBothRuns(t *testing.T, h *gateRun, blueprint int64, runs ...int64) {
	t.Helper()
	if got := casesFor(h.junit(), blueprint); len(got) != len(runs) {
		t.Errorf("blueprint %d has %d JUnit cases, want one per run (%v): %v", blueprint, len(got), runs, caseNames(h.junit()))
	}
	ids := h.results().runIDs()
	for _, id := range runs {
		if !ids[id] {
			t.Errorf("run %d is missing from the JSON results", id)
		}
	}
	rows := 0
	for line := range strings.Lines(h.summary()) {
		if strings.HasPrefix(line, "|") && blueprintMention(blueprint).MatchString(line) {
			rows++
		}
	}
	if rows != len(runs) {
		t.Errorf("the summary has %d rows for blueprint %d, want %d", rows, blueprint, len(runs))
	}
}

// assertNamesCause checks a reason names the last API error: it must
// match every pattern in cause.
func assertNamesCause(t *testing.T, what, reason string, cause []string) {
	t.Helper()
	for _, c := range cause {
		if !regexp.MustCompile(c).MatchString(reason) {
			t.Errorf("%s does not name the last API error (/%s/): %q", what, c, reason)
		}
	}
}

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, s)
}

func TestHostileAPI(t *testing.T) {
	t.Parallel()
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			plat := tc.plat
			if plat == "" {
				plat = hgPlain
			}
			h := newGateRun(t, plat)
			tc.script(h.api)
			ids := make([]string, len(tc.blueprints))
			for i, id := range tc.blueprints {
				ids[i] = strconv.FormatInt(id, 10)
			}
			h.run(append([]string{"--blueprint-ids", strings.Join(ids, ",")}, tc.args...)...)
			h.assertCode(tc.want...)
			h.assertPromises(tc.blueprints...)
			if tc.check != nil {
				tc.check(t, h)
			}
		})
	}
}

// forged are the commands planted in API text, each after a line break of
// some kind. None may reach the start of a line, nor ##[ anywhere.
var forged = []string{
	"::error title=Forged::FORGED-ERROR",
	"::add-mask::FORGED-MASK",
	"::stop-commands::FORGEDTOK",
	"::FORGEDTOK::",
	"::set-output name=verdict::FORGED-OUTPUT",
	"::warning file=x.go,line=1::FORGED-WARNING",
	"::group::FORGED-GROUP",
	"##[error]FORGED-LEGACY",
	"FORGED-PLAIN-LINE",
	"\x1b[0Ksection_end:1:FORGED_SECTION\r\x1b[0K",
	"section_start:1:FORGED_SECTION2[collapsed=true]\r\x1b[0KFORGED-HEADER",
}

// forgedSeparators are the line breaks a runner or terminal honours.
var forgedSeparators = []string{"\n", "\r\n", "\r", "\n  ", "\n\t", "\n\u00a0", "\u2028", "\n\u3000"}

// hostileText is prefix followed by every forged command and terminal trick.
func hostileText(prefix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for i, f := range forged {
		b.WriteString(forgedSeparators[i%len(forgedSeparators)])
		b.WriteString(f)
	}
	b.WriteString(" mid-line ##[warning]FORGED-INLINE")
	b.WriteString(" \x1b]8;;https://evil.example/\x07FORGED-LINK\x1b]8;;\x07")
	b.WriteString(" \x1b[2K\x1b[31mFORGED-COLOUR\x1b[0m")
	b.WriteString(" \u009b2KFORGED-C1 \u202eFORGED-BIDI\u202c \u200bFORGED-ZWSP \x7f")
	b.WriteString("\r::error::FORGED-CR")
	return b.String()
}

func TestHostileCommandInjection(t *testing.T) {
	t.Parallel()
	for _, plat := range []hgPlatform{hgPlain, hgGitHub, hgGitLab} {
		t.Run(string(plat), func(t *testing.T) {
			t.Parallel()
			h := newGateRun(t, plat)
			pass := trun(1000, 180, "passed")
			pass.Title = hostileText("Login")
			fail := failedRun(1001, 181)
			fail.Title = hostileText("Checkout")
			fail.Steps[0].Task, fail.Steps[0].Result = hostileText("Open"), hostileText("opened")
			fail.Steps[1].Task, fail.Steps[1].Result = hostileText("Pay"), hostileText("declined")
			fail.VideoURL = hostileText("https://cdn.example/v.webm")
			fail.Steps[1].Screenshot = hostileText("https://cdn.example/s.png")
			odd := failedRun(1002, 182)
			odd.Status = hostileText("stopped")
			odd.Steps = nil
			running := trun(1000, 180, "running")
			running.Title = pass.Title
			failing := trun(1001, 181, "running")
			failing.Title = fail.Title
			trigger := hostile.Triggered(35, running, failing, trun(1002, 182, "running"), trun(1003, 183, "running"))
			trigger.Body = strings.Replace(trigger.Body, `"Manual Run 2025-07-03 01:38:03"`, mustJSONString(hostileText("Manual Run")), 1)
			h.api.Trigger(trigger)
			h.api.Run(1000, hostile.Get(running), hostile.Get(running), hostile.Get(running), hostile.Get(running),
				hostile.Get(running), hostile.Get(running), hostile.Get(running), hostile.Get(running), hostile.Get(pass))
			h.api.Run(1001, hostile.Get(fail))
			h.api.Run(1002, hostile.Get(odd))
			detail, _ := json.Marshal(map[string]string{"detail": hostileText("Backend")})
			h.api.Run(1003, hostile.Fail(500, string(detail)))
			h.run("--blueprint-ids", "180,181,182,183", "--timeout", "400ms", "--progress-interval", "4ms")
			h.assertCode(1)
			h.assertPromises(180, 181, 182, 183)
			if !strings.Contains(h.stdout.String(), "still waiting") {
				t.Errorf("no progress line printed, so the titles in it went untested:\n%s", h.logs())
			}
			if plat == hgGitHub && !strings.Contains(h.stdout.String(), "::error") {
				t.Errorf("no annotation printed on GitHub, so the annotation path went untested:\n%s", h.logs())
			}
		})
	}
}

func mustJSONString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestHostileLogCheckerCatchesForgery proves the log checks can fail: a log
// holding the forged commands raw must be flagged line by line.
func TestHostileLogCheckerCatchesForgery(t *testing.T) {
	t.Parallel()
	if p := logProblems("::add-mask::"+hostileKey+"\n::group::✗ Login (blueprint 1)\n  ✓ step 1\n::endgroup::\n::error title=Login (blueprint 1)::step 1 failed\n", hgGitHub); len(p) != 0 {
		t.Errorf("the gate's own commands were flagged: %v", p)
	}
	log := "✓ passed " + hostileText("Login") + "\n"
	problems := logProblems(log, hgGitHub)
	for _, want := range []string{"stop-commands", "FORGEDTOK", "set-output", "##[", "add-mask", "begins with API text", "planted", "U+001B", "U+009B", "U+202E"} {
		found := false
		for _, p := range problems {
			found = found || strings.Contains(p, want)
		}
		if !found {
			t.Errorf("the checker missed %q in a forged log; it reported:\n%s", want, strings.Join(problems, "\n"))
		}
	}
	if p := logProblems("\x1b[0Ksection_start:1:docketqa_1[collapsed=true]\r\x1b[0K✗ x\n  body\n\x1b[0Ksection_end:1:docketqa_1\r\x1b[0K\n", hgGitLab); len(p) != 0 {
		t.Errorf("the gate's own GitLab sections were flagged: %v", p)
	}
	if p := logProblems("\x1b[0Ksection_end:1:docketqa_1\r\x1b[0K\n", hgGitLab); len(p) == 0 {
		t.Error("a section_end closing nothing was not flagged")
	}
}

// 6. A report path that is a symlink is refused before anything happens.
func TestHostileReportSymlink(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"DOCKETQA_SUMMARY", "DOCKETQA_JUNIT", "DOCKETQA_RESULTS_JSON", "DOCKETQA_DOTENV"} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			h := newGateRun(t, hgPlain)
			h.api.Trigger(triggerOne([2]int64{1000, 180}))
			h.api.Run(1000, hostile.Get(trun(1000, 180, "passed")))
			const fakeSecret = "FAKE_ENV_SECRET=s3cr3t-from-the-environment"
			target := filepath.Join(t.TempDir(), "environ")
			content := "DOCKETQA_API_KEY=" + hostileKey + "\x00" + fakeSecret + "\x00"
			if err := os.WriteFile(target, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(h.dir, "link-"+strings.ToLower(env))
			if err := os.Symlink(target, link); err != nil {
				t.Skipf("no symlinks here: %v", err)
			}
			h.env[env] = link
			h.run("--blueprint-ids", "180")
			h.assertCode(2)
			if reqs := h.api.Requests(); len(reqs) != 0 {
				t.Errorf("the gate sent %d request(s) (first %s %s); a refused configuration must trigger nothing", len(reqs), reqs[0].Method, reqs[0].Path)
			}
			if b, err := os.ReadFile(target); err != nil || string(b) != content {
				t.Errorf("the symlink's target was changed: %q, %v", b, err)
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the symlink was replaced: %v", err)
			}
			assertNoSecret(t, "s3cr3t-from-the-environment", map[string]string{"stdout": h.stdout.String(), "stderr": h.stderr.String()}, h.dir)
			h.assertNoKey()
			h.assertCleanLogs()
		})
	}
}

// Symlinks the gate must keep working with: a symlinked parent directory
// (Jenkins workspaces, macOS temporary folders) and the runner's own
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, which may be links.
func TestHostileSymlinkedParentsStillWork(t *testing.T) {
	t.Parallel()
	h := newGateRun(t, hgGitHub)
	h.api.Trigger(triggerOne([2]int64{1000, 180}))
	h.api.Run(1000, hostile.Get(trun(1000, 180, "passed")))
	realDir := t.TempDir()
	parent := filepath.Join(h.dir, "workspace")
	if err := os.Symlink(realDir, parent); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	for _, env := range []string{"DOCKETQA_JUNIT", "DOCKETQA_RESULTS_JSON", "DOCKETQA_DOTENV"} {
		h.env[env] = filepath.Join(parent, filepath.Base(h.env[env]))
	}
	for _, env := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		target := filepath.Join(realDir, "runner-"+strings.ToLower(env))
		if err := os.WriteFile(target, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(h.env[env]); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, h.env[env]); err != nil {
			t.Fatal(err)
		}
	}
	h.run("--blueprint-ids", "180")
	h.assertCode(0)
	h.assertPromises(180)
	if names := hgFileCommandNames(t, h.env["GITHUB_OUTPUT"]); !slices.Contains(names, "verdict") {
		t.Errorf("no verdict output written through the runner's link: %v", names)
	}
}

// 7. Huge answers: the reports stay proportional to the runs.
func TestHostileHugeAnswers(t *testing.T) {
	t.Parallel()
	const runs = 3
	const perRun = 256 << 10
	h := newGateRun(t, hgPlain)
	h.api.Trigger(triggerOne([2]int64{1000, 180}, [2]int64{1001, 181}, [2]int64{1002, 182}))
	word := "lorem ipsum dolor sit amet "
	huge := strings.Repeat(word, (2<<20)/len(word))
	longResult := failedRun(1000, 180)
	longResult.Steps[1].Result = huge
	manySteps := trun(1001, 181, "failed")
	for i := range 2000 {
		manySteps.Steps = append(manySteps.Steps, hostile.Step{Task: strings.Repeat("step text ", 100), OK: i < 1999,
			Result: "ok", Screenshot: fmt.Sprintf("https://cdn.example/shot/%d.png", i)})
	}
	longTitle := failedRun(1002, 182)
	longTitle.Title = huge
	for _, r := range []hostile.Run{longResult, manySteps, longTitle} {
		a := hostile.Get(r)
		if len(a.Body) < 2<<20 {
			t.Fatalf("answer for run %d is only %d bytes", r.ID, len(a.Body))
		}
		h.api.Run(r.ID, hostile.Get(trun(r.ID, r.BlueprintID, "running")), a)
	}
	h.run("--blueprint-ids", "180,181,182")
	h.assertCode(1)
	junitSize, jsonSize := len(h.file("DOCKETQA_JUNIT")), len(h.file("DOCKETQA_RESULTS_JSON"))
	logSize := len(h.stdout.String()) + len(h.stderr.String())
	ok := true
	for _, f := range []struct {
		what        string
		size, limit int
	}{
		{"JUnit report", junitSize, runs * perRun},
		{"stdout and stderr", logSize, runs * perRun},
		{"JSON results", jsonSize, runs * 2 * perRun},
	} {
		if f.size > f.limit {
			ok = false
			t.Errorf("%s is %d bytes for %d runs; want at most %d KiB per run whatever the answers' size", f.what, f.size, runs, f.limit/runs>>10)
		}
	}
	// Scanning megabytes line by line under -race takes seconds; the test
	// has failed already when the sizes are off.
	if ok {
		h.assertPromises(180, 181, 182)
	}
	// Whatever is cut, the failing step stays.
	for _, c := range casesFor(h.junit(), 181) {
		if c.Failure == nil || !strings.Contains(c.Failure.Message, "step 2000") {
			t.Errorf("the failing step 2000 of blueprint 181 is not the failure: %.300v", c.Failure)
		}
	}
}

// 11. A progress interval below the poll interval is a configuration error.
func TestHostileProgressIntervalFloor(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--progress-interval", "1ns"},
		{"--progress-interval", "500us", "--poll-interval", "1ms"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			h := newGateRun(t, hgPlain)
			h.api.Trigger(triggerOne([2]int64{1000, 180}))
			h.api.Run(1000, hostile.Get(trun(1000, 180, "passed")))
			h.run(append([]string{"--blueprint-ids", "180"}, args...)...)
			h.assertCode(2)
			if n := len(h.api.Requests()); n != 0 {
				t.Errorf("the gate sent %d request(s) with an invalid configuration", n)
			}
			if !strings.Contains(h.stderr.String(), "progress") {
				t.Errorf("the error does not name the progress interval:\n%s", h.logs())
			}
		})
	}
}

// failingWriter fails every write after the first ok bytes, as a closed
// pipe does once `head -n 2` has exited.
type failingWriter struct {
	mu  sync.Mutex
	ok  int
	err error
	// fails counts failed writes, to prove the writer was exercised.
	fails atomic.Int64
}

func (w *failingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ok >= len(p) {
		w.ok -= len(p)
		return len(p), nil
	}
	w.fails.Add(1)
	n := w.ok
	w.ok = 0
	return n, w.err
}

func epipe(name string) error { return &os.PathError{Op: "write", Path: name, Err: syscall.EPIPE} }

// scriptBrokenWriters is the API for the broken-writer comparison: one
// pass, one failure with steps, one run without a verdict.
func scriptBrokenWriters(api *hostile.Server) {
	api.Trigger(triggerOne([2]int64{1000, 180}, [2]int64{1001, 181}, [2]int64{1002, 182}))
	api.Run(1000, hostile.Get(trun(1000, 180, "running")), hostile.Get(trun(1000, 180, "passed")))
	api.Run(1001, hostile.Get(failedRun(1001, 181)))
	api.Run(1002, hostile.Fail(404, `{"detail":"Not found"}`))
}

// 8. Broken stdout or stderr changes nothing but the log.
func TestHostileBrokenWriters(t *testing.T) {
	t.Parallel()
	healthy := newGateRun(t, hgGitHub)
	scriptBrokenWriters(healthy.api)
	healthy.run("--blueprint-ids", "180,181,182")
	want := snapshot(t, healthy)
	for _, tc := range []struct {
		name           string
		stdout, stderr func() *failingWriter
	}{
		{"stdout EPIPE", func() *failingWriter { return &failingWriter{err: epipe("/dev/stdout")} }, nil},
		{"stderr EPIPE", nil, func() *failingWriter { return &failingWriter{err: epipe("/dev/stderr")} }},
		{"both EPIPE", func() *failingWriter { return &failingWriter{err: epipe("/dev/stdout")} }, func() *failingWriter { return &failingWriter{err: epipe("/dev/stderr")} }},
		{"both closed", func() *failingWriter { return &failingWriter{err: os.ErrClosed} }, func() *failingWriter { return &failingWriter{err: os.ErrClosed} }},
		{"stdout breaks after 100 bytes", func() *failingWriter { return &failingWriter{ok: 100, err: epipe("/dev/stdout")} }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newGateRun(t, hgGitHub)
			scriptBrokenWriters(h.api)
			if tc.stdout != nil {
				h.stdoutW = tc.stdout()
			}
			if tc.stderr != nil {
				h.stderrW = tc.stderr()
			}
			h.run("--blueprint-ids", "180,181,182")
			got := snapshot(t, h)
			if got.code != want.code {
				t.Errorf("exit code %d with a broken writer, %d with healthy ones", got.code, want.code)
			}
			for _, k := range []string{"junit", "results", "summary", "dotenv", "github_output", "step_summary"} {
				if got.files[k] != want.files[k] {
					t.Errorf("%s differs from a healthy run's:\nbroken:  %q\nhealthy: %q", k, got.files[k], want.files[k])
				}
			}
			if w, ok := h.stdoutW.(*failingWriter); ok && w.fails.Load() == 0 {
				t.Error("the broken stdout was never written to, so nothing was tested")
			}
			h.assertNoKey()
		})
	}
}

// hgSnapshot is what a gate run left behind, with wall-clock figures and
// the temporary directory taken out so two runs compare equal.
type hgSnapshot struct {
	code  int
	files map[string]string
}

// wallClock matches the figures that differ between two identical runs:
// XML time attributes, JSON times and Go durations in text.
var wallClock = regexp.MustCompile(`\b(?:time|timestamp)="[^"]*"|"(?:started|elapsed_seconds|duration_seconds)": [^,\n]*|\b(?:[0-9]+(?:\.[0-9]+)?(?:ms|µs|ns|h|m|s))+\b`)

func snapshot(t *testing.T, h *gateRun) hgSnapshot {
	t.Helper()
	s := hgSnapshot{code: h.code, files: map[string]string{}}
	for k, env := range map[string]string{"junit": "DOCKETQA_JUNIT", "results": "DOCKETQA_RESULTS_JSON", "summary": "DOCKETQA_SUMMARY",
		"dotenv": "DOCKETQA_DOTENV", "github_output": "GITHUB_OUTPUT", "step_summary": "GITHUB_STEP_SUMMARY"} {
		b, err := os.ReadFile(h.env[env])
		if err != nil {
			s.files[k] = "missing"
			continue
		}
		text := strings.ReplaceAll(string(b), h.dir, "DIR")
		text = strings.ReplaceAll(text, h.api.URL, "URL")
		text = regexp.MustCompile(`ghadelimiter_[0-9a-f-]+`).ReplaceAllString(text, "DELIM")
		s.files[k] = wallClock.ReplaceAllString(text, "T")
	}
	return s
}
