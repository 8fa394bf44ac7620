package manifest

import (
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	m := Manifest{GroupRunID: 35, GroupRunName: "Manual Run", DashboardURL: "https://app.docketqa.com/dashboard/grouprun/35",
		TriggeredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Runs:        []Run{{RunID: 38, BlueprintID: 180, Title: "Login", StepCount: 3}}, MissingBlueprintIDs: []int64{181}}
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != Version || got.GroupRunID != 35 || len(got.Runs) != 1 || got.Runs[0] != m.Runs[0] || got.MissingBlueprintIDs[0] != 181 || !got.TriggeredAt.Equal(m.TriggeredAt) {
		t.Errorf("round trip: %+v", got)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":                       "not a docketqa-gate manifest",
		"{":                      "not a docketqa-gate manifest",
		`{"version":1,"junk":1}`: "unknown field",
		`{"version":2,"group_run_id":1,"runs":[{"run_id":1,"blueprint_id":1}]}`:                               "version 2",
		`{"version":1,"runs":[{"run_id":1,"blueprint_id":1}]}`:                                                "no group_run_id",
		`{"version":1,"group_run_id":1}`:                                                                      "no runs",
		`{"version":1,"group_run_id":1,"runs":[{"run_id":0,"blueprint_id":1}]}`:                               "must be positive",
		`{"version":1,"group_run_id":1,"runs":[{"run_id":2,"blueprint_id":1},{"run_id":2,"blueprint_id":3}]}`: "listed twice",
	}
	for in, want := range cases {
		if _, err := Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}
