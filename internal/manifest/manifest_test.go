package manifest

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

const (
	testKey    = "manifest-test-key-0123456789"
	testCommit = "0123456789abcdef0123456789abcdef01234567"
)

var want = Want{Key: testKey, Commit: testCommit, CommitVar: "GITHUB_SHA"}

func sample() Manifest {
	return Manifest{GroupRunID: 35, GroupRunName: "Manual Run", DashboardURL: "https://app.docketqa.com/dashboard/grouprun/35",
		Commit:      testCommit,
		TriggeredAt: time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC),
		Runs: []Run{{RunID: 38, BlueprintID: 180, Title: "Login", StepCount: 3}, {RunID: 39, BlueprintID: 180},
			{RunID: 40, BlueprintID: 182, Title: "Search"}},
		MissingBlueprintIDs: []int64{181}}
}

// seal is Marshal that fails the test on an error.
func seal(t testing.TB, m Manifest, key string) []byte {
	t.Helper()
	b, err := Marshal(m, key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func open(b []byte, w Want) (Manifest, error) { return Open(b, w, untrusted.NewCleaner("", 0)) }

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	m := sample()
	b := seal(t, m, testKey)
	if !strings.HasSuffix(string(b), "}\n") || !strings.Contains(string(b), "\n  \"group_run_id\": 35") || strings.Contains(string(b), `"step_count": 0`) {
		t.Errorf("encoding:\n%s", b)
	}
	if !regexp.MustCompile(`\n  "mac": "[0-9a-f]{64}"\n}`).Match(b) || !strings.Contains(string(b), `"version": 2`) {
		t.Errorf("no version 2 MAC:\n%s", b)
	}
	if strings.Contains(strings.ToLower(string(b)), strings.ToLower(testKey)) {
		t.Errorf("the manifest holds the key:\n%s", b)
	}
	got, err := open(b, want)
	if err != nil {
		t.Fatal(err)
	}
	if got.MAC == "" {
		t.Error("MAC not kept")
	}
	m.Version, m.MAC = Version, got.MAC
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", got, m)
	}
	// Off CI (no commit named) a manifest from CI is accepted: there is
	// nothing to compare it with.
	if _, err := open(b, Want{Key: testKey}); err != nil {
		t.Errorf("without a current commit: %v", err)
	}
	// Written where no commit was named, attached where none is named.
	m.Commit = ""
	if _, err := open(seal(t, m, testKey), Want{Key: testKey}); err != nil {
		t.Errorf("no commit on either side: %v", err)
	}
}

// TestLayoutDoesNotMatter: the MAC covers the decoded values, re-encoded
// canonically, so reordered members and other white space still verify.
func TestLayoutDoesNotMatter(t *testing.T) {
	t.Parallel()
	b := seal(t, sample(), testKey)
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	// Members sorted by name (mac first), no indentation at all.
	sorted, err := json.Marshal(generic, json.Deterministic(true))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(string(sorted), `{"version"`) || !strings.HasPrefix(string(sorted), `{"commit"`) {
		t.Fatalf("not reordered: %s", sorted)
	}
	spaced := []byte(strings.ReplaceAll(string(b), "\n  ", "\n\t\t "))
	for name, doc := range map[string][]byte{"sorted": sorted, "re-indented": spaced} {
		if _, err := open(doc, want); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestOpenRefusesForgeries: every change to what --detach wrote, a
// manifest of another key or commit, and one without a MAC are refused,
// each with the error that says what to do.
func TestOpenRefusesForgeries(t *testing.T) {
	t.Parallel()
	good := seal(t, sample(), testKey)
	var decoded Manifest
	if err := json.Unmarshal(good, &decoded); err != nil {
		t.Fatal(err)
	}
	// edited re-encodes the signed manifest after change, keeping its MAC.
	edited := func(change func(m *Manifest)) []byte {
		m := decoded
		m.Runs = append([]Run(nil), decoded.Runs...)
		m.MissingBlueprintIDs = append([]int64(nil), decoded.MissingBlueprintIDs...)
		change(&m)
		b, err := json.Marshal(m, jsontext.WithIndent("  "))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	noCommit := sample()
	noCommit.Commit = ""
	subset := sample()
	subset.Runs = subset.Runs[:2]
	withIDs := func(ids ...int64) Want { w := want; w.BlueprintIDs = ids; return w }
	v1 := `{"version":1,"group_run_id":1,"dashboard_url":"https://app.example/g/1","triggered_at":"2026-01-02T03:04:05Z","runs":[{"run_id":1,"blueprint_id":1}]}`
	cases := []struct {
		name string
		in   []byte
		want Want
		err  error
		text string
	}{
		{"a failing blueprint's run deleted", edited(func(m *Manifest) { m.Runs = m.Runs[:2] }), want, ErrBadMAC, "changed after --detach"},
		{"every run deleted but one", edited(func(m *Manifest) { m.Runs = m.Runs[:1]; m.MissingBlueprintIDs = nil }), want, ErrBadMAC, ""},
		{"a missing blueprint dropped", edited(func(m *Manifest) { m.MissingBlueprintIDs = nil }), want, ErrBadMAC, ""},
		{"a run moved to another blueprint", edited(func(m *Manifest) { m.Runs[2].BlueprintID = 180 }), want, ErrBadMAC, ""},
		{"a run id swapped for a passing one", edited(func(m *Manifest) { m.Runs[2].RunID = 41 }), want, ErrBadMAC, ""},
		{"the group run changed", edited(func(m *Manifest) { m.GroupRunID = 36 }), want, ErrBadMAC, ""},
		{"a title changed", edited(func(m *Manifest) { m.Runs[0].Title = "Login " }), want, ErrBadMAC, ""},
		{"the link changed", edited(func(m *Manifest) { m.DashboardURL = "https://phish.example/x" }), want, ErrBadMAC, ""},
		{"the time changed", edited(func(m *Manifest) { m.TriggeredAt = m.TriggeredAt.Add(time.Nanosecond) }), want, ErrBadMAC, ""},
		{"the commit rewritten to the current one", edited(func(m *Manifest) { m.Commit = "ffffffffffffffffffffffffffffffffffffffff" }),
			Want{Key: testKey, Commit: "ffffffffffffffffffffffffffffffffffffffff"}, ErrBadMAC, ""},
		{"the MAC in upper case", edited(func(m *Manifest) { m.MAC = strings.ToUpper(m.MAC) }), want, ErrBadMAC, ""},
		{"the MAC cut short", edited(func(m *Manifest) { m.MAC = m.MAC[:62] }), want, ErrBadMAC, ""},
		{"the MAC not hex", edited(func(m *Manifest) { m.MAC = strings.Repeat("zz", 32) }), want, ErrBadMAC, ""},
		{"the MAC of another manifest", edited(func(m *Manifest) {
			other := sample()
			other.GroupRunID = 99
			var o Manifest
			_ = json.Unmarshal(seal(t, other, testKey), &o)
			m.MAC = o.MAC
		}), want, ErrBadMAC, ""},
		{"written with another key", seal(t, sample(), "another-company-key-987654321"), want, ErrBadMAC, "another API key"},
		{"written with the key in another case", seal(t, sample(), strings.ToUpper(testKey)), want, ErrBadMAC, ""},
		{"written for another commit", good, Want{Key: testKey, Commit: "fedcba9876543210fedcba9876543210fedcba98", CommitVar: "CI_COMMIT_SHA"},
			ErrOtherCommit, "written for commit " + testCommit + ", but this job is at commit fedcba9876543210fedcba9876543210fedcba98 (CI_COMMIT_SHA)"},
		{"written where no commit was named", seal(t, noCommit, testKey), want, ErrOtherCommit, "named no commit"},
		{"the MAC removed", edited(func(m *Manifest) { m.MAC = "" }), want, ErrNoMAC, "run docketqa-gate --detach again"},
		{"version 1", []byte(v1), want, ErrNoMAC, "format version 1"},
		// Another --detach step's valid manifest copied over this one:
		// the MAC verifies, the blueprints do not match.
		{"a subset of the blueprints asked for", seal(t, subset, testKey), withIDs(180, 181, 182), ErrOtherBlueprints,
			"it records blueprints 180,181, but --blueprint-ids names 180,181,182"},
		{"more blueprints than asked for", good, withIDs(180, 181), ErrOtherBlueprints, "same --blueprint-ids"},
		{"other blueprints entirely", good, withIDs(7), ErrOtherBlueprints, ""},
		{"the missing blueprint not asked for", good, withIDs(180, 182), ErrOtherBlueprints, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := open(tc.in, tc.want)
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("Open = %+v, %v; want %v saying %q", m, err, tc.err, tc.text)
			}
			if err != nil && strings.Contains(strings.ToLower(err.Error()), strings.ToLower(testKey)) {
				t.Errorf("the error holds the key: %v", err)
			}
		})
	}
	// The same set in another order, with a duplicate, is the same set.
	if _, err := open(good, withIDs(182, 180, 181, 180)); err != nil {
		t.Errorf("the manifest's own blueprints were refused: %v", err)
	}
	if _, err := open(good, Want{}); err == nil || !strings.Contains(err.Error(), "DOCKETQA_API_KEY") {
		t.Errorf("no key to verify with: %v", err)
	}
}

// TestParseErrors: a manifest is untrusted input and read strictly, before
// and after its MAC.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	const ok = `"version":2,"group_run_id":1,"dashboard_url":"https://app.example/g/1"`
	cases := []struct{ name, in, want string }{
		{"empty", "", "not a docketqa-gate manifest"},
		{"truncated", "{", "not a docketqa-gate manifest"},
		{"not an object", "[]", "not a docketqa-gate manifest"},
		{"unknown field", `{"version":2,"junk":1}`, "unknown object member"},
		{"case variant", `{` + ok + `,"Runs":[{"run_id":1,"blueprint_id":1}]}`, "unknown object member"},
		{"case variant of the MAC", `{` + ok + `,"MAC":"00"}`, "unknown object member"},
		{"case variant of a run field", `{` + ok + `,"runs":[{"RUN_ID":1,"blueprint_id":1}]}`, "unknown object member"},
		{"duplicate top-level name", `{` + ok + `,"group_run_id":2,"runs":[{"run_id":1,"blueprint_id":1}]}`, "duplicate"},
		{"duplicate MAC", `{` + ok + `,"mac":"a","mac":"b"}`, "duplicate"},
		{"duplicate run field", `{` + ok + `,"runs":[{"run_id":1,"run_id":2,"blueprint_id":1}]}`, "duplicate"},
		{"string id", `{` + ok + `,"runs":[{"run_id":"1","blueprint_id":1}]}`, "not a docketqa-gate manifest"},
		{"fractional id", `{` + ok + `,"runs":[{"run_id":1.5,"blueprint_id":1}]}`, "not a docketqa-gate manifest"},
		{"two documents", `{` + ok + `,"runs":[{"run_id":1,"blueprint_id":1}]} {}`, "not a docketqa-gate manifest"},
		{"version 3", `{"version":3,"group_run_id":1,"runs":[{"run_id":1,"blueprint_id":1}]}`, "version 3"},
		{"no version", `{"group_run_id":1,"runs":[{"run_id":1,"blueprint_id":1}]}`, "version 0"},
		{"huge", strings.Repeat(" ", MaxSize+1), "more than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if m, err := open([]byte(tc.in), want); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%.80q) = %+v, %v; want an error containing %q", tc.in, m, err, tc.want)
			}
		})
	}
	// Signed by the key holder, still checked: the MAC says who wrote the
	// file, not that it makes sense.
	link := func(m *Manifest) { m.DashboardURL = "https://app.example/g/1" }
	signedCases := []struct {
		name   string
		change func(m *Manifest)
		want   string
	}{
		{"no group run", func(m *Manifest) { m.Runs = []Run{{RunID: 1, BlueprintID: 1}} }, "no group_run_id"},
		{"no runs", func(m *Manifest) { m.GroupRunID = 1 }, "no runs"},
		{"run id zero", func(m *Manifest) { m.GroupRunID, m.Runs = 1, []Run{{BlueprintID: 1}} }, "must be positive"},
		{"negative blueprint id", func(m *Manifest) { m.GroupRunID, m.Runs = 1, []Run{{RunID: 1, BlueprintID: -1}} }, "must be positive"},
		{"run listed twice", func(m *Manifest) {
			m.GroupRunID, m.Runs = 1, []Run{{RunID: 2, BlueprintID: 1}, {RunID: 2, BlueprintID: 3}}
		}, "listed twice"},
		{"negative step count", func(m *Manifest) { m.GroupRunID, m.Runs = 1, []Run{{RunID: 2, BlueprintID: 1, StepCount: -1}} }, "step_count"},
		{"missing id zero", func(m *Manifest) { m.GroupRunID, m.MissingBlueprintIDs = 1, []int64{0} }, "must be positive"},
		{"missing id twice", func(m *Manifest) { m.GroupRunID, m.MissingBlueprintIDs = 1, []int64{4, 4} }, "listed twice"},
		{"missing id with a run", func(m *Manifest) {
			m.GroupRunID, m.Runs, m.MissingBlueprintIDs = 1, []Run{{RunID: 2, BlueprintID: 4}}, []int64{4}
		}, "also has a run"},
		{"script link", func(m *Manifest) {
			m.GroupRunID, m.Runs, m.DashboardURL = 1, []Run{{RunID: 1, BlueprintID: 1}}, "javascript:alert(1)"
		}, "not an http(s) link"},
		{"commit not hex", func(m *Manifest) {
			m.GroupRunID, m.Runs, m.Commit = 1, []Run{{RunID: 1, BlueprintID: 1}}, "main; rm -rf /"
		}, "not a lower-case commit hash"},
	}
	for _, tc := range signedCases {
		t.Run("signed "+tc.name, func(t *testing.T) {
			t.Parallel()
			var m Manifest
			link(&m)
			tc.change(&m)
			if got, err := open(seal(t, m, testKey), Want{Key: testKey}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%+v) = %+v, %v; want an error containing %q", m, got, err, tc.want)
			}
		})
	}
}

// TestParseCleansTexts: texts read back are cleaned like API texts, and a
// link or title holding the key loses it.
func TestParseCleansTexts(t *testing.T) {
	t.Parallel()
	m := Manifest{GroupRunID: 1, GroupRunName: "a\n::error::x\u202e", DashboardURL: "https://app.example/g/1?k=" + strings.ToUpper(testKey),
		Runs: []Run{{RunID: 1, BlueprintID: 1, Title: "\u001b[31m" + testKey + "\r\n" + strings.Repeat("t", 1000)}}}
	b := seal(t, m, testKey)
	got, err := Open(b, Want{Key: testKey}, untrusted.NewCleaner(testKey, 0))
	if err != nil {
		t.Fatal(err)
	}
	if got.GroupRunName != "a ::error::x" || got.DashboardURL != "" {
		t.Errorf("name %q, link %q", got.GroupRunName, got.DashboardURL)
	}
	if title := got.Runs[0].Title; !strings.HasPrefix(title, "[31m[redacted] ttt") || len(title) > titleCap || !strings.HasSuffix(title, "bytes)") {
		t.Errorf("title %q", title)
	}
	if got, err := open(b, Want{Key: testKey}); err != nil || got.DashboardURL == "" {
		t.Errorf("without a key to redact the link stays: %q, %v", got.DashboardURL, err)
	}
}

// FuzzOpen: any file either is refused or gives a manifest that keeps
// every promise of the checks, with clean one-line texts.
func FuzzOpen(f *testing.F) {
	for _, m := range []Manifest{
		{GroupRunID: 1, DashboardURL: "https://app.example/g/1", Runs: []Run{{RunID: 1, BlueprintID: 1, Title: "a\nb"}}},
		{GroupRunID: 1, MissingBlueprintIDs: []int64{3}, DashboardURL: "https://app.example/g/1"},
		sample(),
	} {
		f.Add(seal(f, m, testKey))
	}
	cl := untrusted.NewCleaner(testKey, 0)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Open(b, Want{Key: testKey}, cl)
		if err != nil {
			return
		}
		if m.Version != Version || m.GroupRunID <= 0 || (len(m.Runs) == 0 && len(m.MissingBlueprintIDs) == 0) || len(m.MAC) != 64 {
			t.Fatalf("accepted %+v", m)
		}
		seen := map[int64]bool{}
		texts := []string{m.GroupRunName, m.DashboardURL}
		for _, r := range m.Runs {
			if r.RunID <= 0 || r.BlueprintID <= 0 || seen[r.RunID] || r.StepCount < 0 {
				t.Fatalf("accepted run %+v", r)
			}
			seen[r.RunID] = true
			texts = append(texts, r.Title)
		}
		for _, s := range texts {
			if strings.ContainsAny(s, "\n\r\x1b\u202e") || strings.Contains(strings.ToLower(s), testKey) || len(s) > 8<<10 {
				t.Fatalf("text not clean: %q", s)
			}
		}
	})
}

func TestMaxSize(t *testing.T) {
	t.Parallel()
	doc := seal(t, sample(), testKey)
	padded := string(doc) + strings.Repeat(" ", MaxSize-len(doc))
	if _, err := open([]byte(padded), want); err != nil {
		t.Errorf("a manifest of exactly MaxSize bytes: %v", err)
	}
	if _, err := open([]byte(padded+" "), want); err == nil {
		t.Error("a manifest over MaxSize was read")
	}
}

func TestMarshalNeedsAKey(t *testing.T) {
	t.Parallel()
	if b, err := Marshal(sample(), ""); err == nil {
		t.Errorf("an unsigned manifest was written:\n%s", b)
	}
}

func TestCommit(t *testing.T) {
	t.Parallel()
	sha := "0123456789ABCDEF0123456789abcdef01234567"
	cases := []struct {
		env          map[string]string
		commit, from string
		err          bool
	}{
		{nil, "", "", false},
		{map[string]string{"GITHUB_SHA": sha}, strings.ToLower(sha), "GITHUB_SHA", false},
		{map[string]string{"CI_COMMIT_SHA": " abcdef1 "}, "abcdef1", "CI_COMMIT_SHA", false},
		{map[string]string{"GIT_COMMIT": sha, "CI_COMMIT_SHA": "abcdef1"}, "abcdef1", "CI_COMMIT_SHA", false},
		{map[string]string{"GITHUB_SHA": "main"}, "", "GITHUB_SHA", true},
		{map[string]string{"GIT_COMMIT": "abc"}, "", "GIT_COMMIT", true},
		{map[string]string{"GIT_COMMIT": strings.Repeat("a", 65)}, "", "GIT_COMMIT", true},
	}
	for _, tc := range cases {
		commit, from, err := Commit(func(k string) string { return tc.env[k] })
		if commit != tc.commit || from != tc.from || (err != nil) != tc.err {
			t.Errorf("Commit(%v) = %q, %q, %v", tc.env, commit, from, err)
		}
	}
}
