package ci

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// hostile is API text built to break a log: line breaks that start forged
// workflow commands, the legacy ##[ form, a GitLab section marker, ANSI and
// OSC-8 sequences, a \r overwrite, bidi and zero-width characters, and the
// key in another letter case.
const hostile = "FORGED\n::error title=Forged::FORGED\r\x1b[31m##[error]FORGED\u202e\u200b\n" +
	"  ::add-mask::FORGED\n::stop-commands::tok\n\x1b[0Ksection_end:1:docketqa_1\r\x1b[0K\n" +
	"\x1b]8;;https://evil.example\x07link\x1b]8;;\x07 FAKE-DOCKETQA-KEY-0000 \u2028::warning::FORGED"

// hostileEvents returns one event of every type, with hostile text in
// every field that can carry API text.
func hostileEvents() []event.Event {
	err := errors.New(hostile)
	run := result.Run{
		BlueprintID: 7, RunID: 70, Title: hostile, Status: hostile, Verdict: result.Failed, Reason: hostile,
		VideoURL: "https://cdn.example/" + hostile, Attempts: 2, Flaky: true,
		Steps:   []result.Step{{Number: 1, Task: hostile, Result: hostile, Screenshots: []string{hostile}}},
		Earlier: []result.Attempt{{Rerun: true, RunID: 69, Status: hostile, Verdict: result.Failed, Reason: hostile}},
	}
	passedWarn := run
	passedWarn.Verdict = result.Passed
	noVerdict := run
	noVerdict.Verdict, noVerdict.BlueprintID = result.Error, 8
	nonBlocking := run
	nonBlocking.NonBlocking, nonBlocking.BlueprintID = true, 9
	notAwaited := run
	notAwaited.Verdict, notAwaited.NotAwaited, notAwaited.BlueprintID = result.Error, true, 10
	set := result.Set{GroupRunID: 5, GroupRunName: hostile, GroupRunURL: "https://app.example/" + hostile,
		Runs: []result.Run{run, passedWarn, noVerdict, nonBlocking, notAwaited}, Elapsed: time.Minute}
	untriggered := set
	untriggered.GroupRunID = 0
	plan := event.Plan{Version: hostile, BaseURL: hostile, BlueprintIDs: []int64{1}, Manifest: hostile, GroupRunURL: hostile,
		Reports: []event.Report{{Kind: "JUnit report", Path: hostile}}}
	dry := plan
	dry.DryRun = true
	attach := plan
	attach.Mode = event.ModeAttach
	return []event.Event{
		plan, dry, attach,
		event.Demo{URL: hostile, Scenario: hostile},
		event.Triggered{GroupRunID: 5, URL: hostile, Runs: 1},
		event.Triggered{Rerun: 1, GroupRunID: 6, URL: hostile, Runs: 1},
		event.TriggerFailed{Blueprints: 2, Err: err, Unreachable: true, Cause: event.Cause{What: hostile, Advice: hostile}},
		event.TriggerFailed{Rerun: 1, Blueprints: 1, Err: err, Uncertain: true},
		event.MissingRuns{BlueprintIDs: []int64{3}, Requested: 4},
		event.UnrequestedRuns{RunIDs: []int64{9}, BlueprintIDs: []int64{999}},
		event.RunFinished{Run: judged([]result.Run{run})[0]},
		event.RunFinished{Run: judged([]result.Run{passedWarn})[0]},
		event.RunFinished{Run: judged([]result.Run{notAwaited})[0]},
		event.StillWaiting{Waiting: 9, Total: 10, Names: []string{hostile, run.Name()}},
		event.RerunStarted{Attempt: 1, Of: 2, BlueprintIDs: []int64{7}},
		event.RerunSkipped{Failed: 9, Max: 5},
		event.FailFastStopped{URL: hostile},
		event.Interrupted{Signal: hostile},
		event.Detached{Path: hostile, Runs: 1},
		event.Verdict{Verdict: result.Judge(set, result.Policy{}, result.StopFinished)},
		event.Verdict{Verdict: result.Judge(untriggered, result.Policy{}, result.StopTriggerFailed)},
		event.Verdict{Verdict: result.Judge(set, result.Policy{}, result.StopFinished), Cause: event.Cause{What: hostile, Advice: hostile}},
		event.ReportWritten{Kind: "JUnit report", Path: hostile},
		event.ReportWritten{Kind: "JSON results", Path: hostile, Err: err},
		event.Warning{Text: hostile},
		event.Notice{Text: hostile},
		event.Fatal{Err: err},
		event.ConfigError{Problems: []string{hostile, "second"}},
		event.Debug{Text: hostile},
		event.Evidence{Text: hostile},
		event.Evidence{Text: hostile, Problems: true},
		event.Text{Text: "Usage: docketqa-gate [flags]\n  --help  print this"},
	}
}

// TestSinkCoversEveryEventType keeps hostileEvents complete: a new event
// type must be added there, so the escaping test below covers it.
func TestSinkCoversEveryEventType(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "../event/event.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "isEvent" || fn.Recv == nil {
			continue
		}
		if id, ok := fn.Recv.List[0].Type.(*ast.Ident); ok {
			declared = append(declared, id.Name)
		}
	}
	covered := map[string]bool{}
	for _, e := range hostileEvents() {
		covered[reflect.TypeOf(e).Name()] = true
	}
	sort.Strings(declared)
	for _, name := range declared {
		if !covered[name] {
			t.Errorf("event.%s is not in hostileEvents", name)
		}
	}
	if len(declared) < 15 {
		t.Fatalf("found only %d event types in event.go: %v", len(declared), declared)
	}
}

// ownCommand matches the workflow commands the gate itself prints.
var ownCommand = regexp.MustCompile(`^::(add-mask|group|endgroup|error|warning|notice|debug)( [^:]*)?::`)

// ownSection matches the GitLab section markers the gate itself prints.
var ownSection = regexp.MustCompile(`^\x1b\[0Ksection_(start|end):\d+:docketqa_\d+_blueprint_\d+[A-Za-z0-9_.-]*(\[collapsed=true\])?\r\x1b\[0K`)

// TestSinkEscapesAPIText emits every event type with hostile text on every
// platform, debug modes included, and proves for each line of stdout and
// stderr: no control or invisible format character (except the gate's own
// section markers), no "##[", the only "::" commands are the gate's own at
// the start of a line, no line starts with API text, and the key appears
// in no letter case.
func TestSinkEscapesAPIText(t *testing.T) {
	t.Parallel()
	const key = "fake-docketqa-key-0000"
	for _, tc := range []struct {
		name     string
		platform Platform
		debug    Debug
	}{
		{"GitHub", GitHub, DebugRunner},
		{"GitHub plain debug", GitHub, DebugPlain},
		{"GitLab", GitLab, DebugPlain},
		{"Jenkins", Jenkins, DebugPlain},
		{"local", Local, DebugOff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			s := NewSink(tc.platform, &stdout, &stderr, func(string) string { return "" }, WithNow(fixedNow), WithDebug(tc.debug))
			s.Mask(key)
			for _, e := range hostileEvents() {
				s.Emit(e)
			}
			checkLines(t, tc.platform, "stdout", stdout.String(), key)
			checkLines(t, tc.platform, "stderr", stderr.String(), key)
			if stdout.Len() == 0 || stderr.Len() == 0 {
				t.Fatalf("expected output on both streams")
			}
		})
	}
}

func checkLines(t *testing.T, p Platform, stream, out, key string) {
	t.Helper()
	for i, line := range strings.Split(out, "\n") {
		// GitHub's runner trims leading white space before looking for
		// "::"; so does this check.
		trimmed := strings.TrimLeft(line, " \t")
		rest := trimmed
		if p == GitLab {
			rest = ownSection.ReplaceAllString(trimmed, "")
		}
		if strings.IndexFunc(rest, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0 {
			t.Errorf("%s line %d has a control or format character: %q", stream, i+1, line)
		}
		if strings.Contains(line, "##[") {
			t.Errorf("%s line %d carries the legacy command form: %q", stream, i+1, line)
		}
		if strings.HasPrefix(trimmed, "::") {
			if p != GitHub || stream != "stdout" || !ownCommand.MatchString(trimmed) {
				t.Errorf("%s line %d is a workflow command the gate does not print: %q", stream, i+1, line)
			}
			if strings.HasPrefix(trimmed, "::add-mask::") && trimmed != "::add-mask::"+key {
				t.Errorf("%s line %d masks something other than the key: %q", stream, i+1, line)
			}
		}
		for _, start := range []string{"FORGED", "::FORGED", "::stop-commands", "Forged"} {
			if strings.HasPrefix(trimmed, start) {
				t.Errorf("%s line %d starts with API text: %q", stream, i+1, line)
			}
		}
		if strings.Contains(strings.ToLower(line), strings.ToLower(key)) && !strings.HasPrefix(trimmed, "::add-mask::") {
			t.Errorf("%s line %d shows the key: %q", stream, i+1, line)
		}
	}
}

// TestSinkSurvivesBrokenStreams: a closed stdout or stderr never panics
// and never stops later events; the first write error is kept.
func TestSinkSurvivesBrokenStreams(t *testing.T) {
	t.Parallel()
	for _, p := range []Platform{GitHub, GitLab, Local} {
		s := NewSink(p, failingWriter{}, failingWriter{}, func(string) string { return "" }, WithDebug(DebugRunner))
		s.Mask("k")
		for _, e := range hostileEvents() {
			s.Emit(e)
		}
		if s.Err() == nil {
			t.Errorf("%v: the write error was not recorded", p)
		}
	}
}

// TestMaskRedactsEverySecret: every value given to Mask is redacted, in
// any letter case, the Kelvin sign for a "k" included (seen: byte windows
// compared with EqualFold missed it, the sign being three bytes).
func TestMaskRedactsEverySecret(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s := NewSink(Local, &out, &out, testutil.Getenv(nil))
	s.Mask("first-key-1")
	s.Mask("second-key-2")
	s.Emit(event.Warning{Text: "FIRST-KEY-1 and second-\u212aey-2 and first-\u212aEY-1"})
	if got := out.String(); strings.Contains(strings.ToLower(got), "key-") || strings.Contains(got, "\u212a") || strings.Count(got, "[redacted]") != 3 {
		t.Errorf("printed %q", got)
	}
}

// TestNotAwaitedIsNeverNoVerdict: a run fail-fast stopped waiting for is
// "not awaited" in every line the log prints for it (seen: its block
// header said "no verdict" while JUnit and the summary said not awaited).
func TestNotAwaitedIsNeverNoVerdict(t *testing.T) {
	t.Parallel()
	for _, p := range []Platform{GitHub, GitLab, Local} {
		var out, errOut bytes.Buffer
		s := NewSink(p, &out, &errOut, testutil.Getenv(nil))
		set := result.Set{GroupRunID: 1, Runs: []result.Run{
			{BlueprintID: 180, RunID: 1, Verdict: result.Failed, Reason: "step 1"},
			{BlueprintID: 181, RunID: 2, Title: "Slow one", Verdict: result.Error, NotAwaited: true, Reason: result.NotAwaited},
		}}
		s.Emit(event.Verdict{Verdict: result.Judge(set, result.Policy{}, result.StopFailFast)})
		for _, line := range strings.Split(out.String()+errOut.String(), "\n") {
			if strings.Contains(line, "Slow one") && strings.Contains(line, "no verdict") {
				t.Errorf("%v: %q", p, line)
			}
		}
		if !strings.Contains(out.String(), "Slow one (blueprint 181): not awaited") {
			t.Errorf("%v: no not-awaited header:\n%s", p, out.String())
		}
	}
}
