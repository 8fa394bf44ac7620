package manifest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	m := Manifest{GroupRunID: 35, GroupRunName: "Manual Run", DashboardURL: "https://app.docketqa.com/dashboard/grouprun/35",
		TriggeredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Runs: []Run{{RunID: 38, BlueprintID: 180, Title: "Login", StepCount: 3}, {RunID: 39, BlueprintID: 180},
			{RunID: 40, BlueprintID: 182, Title: "Search"}},
		MissingBlueprintIDs: []int64{181}}
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(b), "}\n") || !strings.Contains(string(b), "\n  \"group_run_id\": 35") || strings.Contains(string(b), `"step_count": 0`) {
		t.Errorf("encoding:\n%s", b)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	m.Version = Version
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", got, m)
	}
}

// TestParseErrors: a manifest is untrusted input and read strictly.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	const ok = `"version":1,"group_run_id":1,"dashboard_url":"https://app.example/g/1"`
	cases := []struct{ name, in, want string }{
		{"empty", "", "not a docketqa-gate manifest"},
		{"truncated", "{", "not a docketqa-gate manifest"},
		{"not an object", "[]", "not a docketqa-gate manifest"},
		{"unknown field", `{"version":1,"junk":1}`, "unknown object member"},
		{"case variant", `{` + ok + `,"Runs":[{"run_id":1,"blueprint_id":1}]}`, "unknown object member"},
		{"case variant of a run field", `{` + ok + `,"runs":[{"RUN_ID":1,"blueprint_id":1}]}`, "unknown object member"},
		{"duplicate top-level name", `{` + ok + `,"group_run_id":2,"runs":[{"run_id":1,"blueprint_id":1}]}`, "duplicate"},
		{"duplicate run field", `{` + ok + `,"runs":[{"run_id":1,"run_id":2,"blueprint_id":1}]}`, "duplicate"},
		{"string id", `{` + ok + `,"runs":[{"run_id":"1","blueprint_id":1}]}`, "not a docketqa-gate manifest"},
		{"fractional id", `{` + ok + `,"runs":[{"run_id":1.5,"blueprint_id":1}]}`, "not a docketqa-gate manifest"},
		{"two documents", `{` + ok + `,"runs":[{"run_id":1,"blueprint_id":1}]} {}`, "not a docketqa-gate manifest"},
		{"version 2", `{"version":2,"group_run_id":1,"runs":[{"run_id":1,"blueprint_id":1}]}`, "version 2"},
		{"no version", `{"group_run_id":1,"runs":[{"run_id":1,"blueprint_id":1}]}`, "version 0"},
		{"no group run", `{"version":1,"runs":[{"run_id":1,"blueprint_id":1}]}`, "no group_run_id"},
		{"no runs", `{"version":1,"group_run_id":1}`, "no runs"},
		{"run id zero", `{` + ok + `,"runs":[{"run_id":0,"blueprint_id":1}]}`, "must be positive"},
		{"no blueprint id", `{` + ok + `,"runs":[{"run_id":1}]}`, "must be positive"},
		{"negative blueprint id", `{` + ok + `,"runs":[{"run_id":1,"blueprint_id":-1}]}`, "must be positive"},
		{"run listed twice", `{` + ok + `,"runs":[{"run_id":2,"blueprint_id":1},{"run_id":2,"blueprint_id":3}]}`, "listed twice"},
		{"negative step count", `{` + ok + `,"runs":[{"run_id":2,"blueprint_id":1,"step_count":-1}]}`, "step_count"},
		{"missing id zero", `{` + ok + `,"missing_blueprint_ids":[0]}`, "must be positive"},
		{"missing id twice", `{` + ok + `,"missing_blueprint_ids":[4,4]}`, "listed twice"},
		{"missing id with a run", `{` + ok + `,"runs":[{"run_id":2,"blueprint_id":4}],"missing_blueprint_ids":[4]}`, "also has a run"},
		{"script link", `{"version":1,"group_run_id":1,"dashboard_url":"javascript:alert(1)","runs":[{"run_id":1,"blueprint_id":1}]}`, "not an http(s) link"},
		{"huge", strings.Repeat(" ", MaxSize+1), "more than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if m, err := Parse([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%.80q) = %+v, %v; want an error containing %q", tc.in, m, err, tc.want)
			}
		})
	}
}

// TestParseCleansTexts: texts read back are cleaned like API texts, and a
// link or title holding the key loses it.
func TestParseCleansTexts(t *testing.T) {
	t.Parallel()
	const key = "manifest-test-key-0123456789"
	in := `{"version":1,"group_run_id":1,"group_run_name":"a\n::error::x\u202e","dashboard_url":"https://app.example/g/1?k=` + strings.ToUpper(key) + `",
		"runs":[{"run_id":1,"blueprint_id":1,"title":"\u001b[31m` + key + `\r\n` + strings.Repeat("t", 1000) + `"}]}`
	m, err := ParseClean([]byte(in), untrusted.NewCleaner(key, 0))
	if err != nil {
		t.Fatal(err)
	}
	if m.GroupRunName != "a ::error::x" || m.DashboardURL != "" {
		t.Errorf("name %q, link %q", m.GroupRunName, m.DashboardURL)
	}
	if title := m.Runs[0].Title; !strings.HasPrefix(title, "[31m[redacted] ttt") || len(title) > titleCap || !strings.HasSuffix(title, "bytes)") {
		t.Errorf("title %q", title)
	}
	if m, err := Parse([]byte(in)); err != nil || m.DashboardURL == "" {
		t.Errorf("without a key the link stays: %q, %v", m.DashboardURL, err)
	}
}

// FuzzParse: any file either is refused or gives a manifest that keeps
// every promise of the checks, with clean one-line texts.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":1,"group_run_id":1,"dashboard_url":"https://app.example/g/1","runs":[{"run_id":1,"blueprint_id":1,"title":"a\nb"}]}`))
	f.Add([]byte(`{"version":1,"group_run_id":1,"missing_blueprint_ids":[3],"runs":[]}`))
	f.Add([]byte(`{"version":1,"group_run_id":1,"runs":[{"run_id":1,"blueprint_id":1},{"run_id":1,"blueprint_id":2}]}`))
	const key = "fuzz-manifest-key-0123456789"
	cl := untrusted.NewCleaner(key, 0)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseClean(b, cl)
		if err != nil {
			return
		}
		if m.Version != Version || m.GroupRunID <= 0 || (len(m.Runs) == 0 && len(m.MissingBlueprintIDs) == 0) {
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
			if strings.ContainsAny(s, "\n\r\x1b\u202e") || strings.Contains(strings.ToLower(s), key) || len(s) > 8<<10 {
				t.Fatalf("text not clean: %q", s)
			}
		}
	})
}

func TestMaxSize(t *testing.T) {
	t.Parallel()
	doc := `{"version":1,"group_run_id":1,"dashboard_url":"https://app.example/g/1","runs":[{"run_id":1,"blueprint_id":1}]}`
	padded := doc + strings.Repeat(" ", MaxSize-len(doc))
	if _, err := Parse([]byte(padded)); err != nil {
		t.Errorf("a manifest of exactly MaxSize bytes: %v", err)
	}
	if _, err := Parse([]byte(padded + " ")); err == nil {
		t.Error("a manifest over MaxSize was read")
	}
}
