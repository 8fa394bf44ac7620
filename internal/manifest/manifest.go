// Package manifest records a triggered group run so that one gate
// invocation can trigger (--detach) and a later one wait (--attach): for
// example trigger before a long build step and gate after it, or trigger in
// one CI job and gate in another. The file holds ids and titles only, never
// the API key, so it is safe to pass between jobs as an artifact.
//
// A manifest read back is untrusted input: it travels as an artifact and a
// pull request can put any file in its place. Since it fixes which runs are
// polled and which blueprint each belongs to, it is decoded as strictly as
// a verdict (github.com/go-json-experiment/json, as the API client): names
// match exactly, a duplicate name anywhere and any unknown field make the
// file unreadable (a manifest is only ever written by docketqa-gate, so an
// unknown field means another release or an edit), ids must be positive,
// run ids unique, and texts are cleaned as API texts are.
package manifest

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// Version is the manifest format version this build reads and writes.
const Version = 1

// MaxSize bounds a manifest file in bytes: 10,000 runs take about 1 MiB.
const MaxSize = 16 << 20

// titleCap bounds a title read back, as the API client bounds titles.
const titleCap = 512

// Manifest is one triggered group run.
type Manifest struct {
	Version      int       `json:"version"`
	GroupRunID   int64     `json:"group_run_id"`
	GroupRunName string    `json:"group_run_name,omitempty"`
	DashboardURL string    `json:"dashboard_url"`
	TriggeredAt  time.Time `json:"triggered_at"`
	Runs         []Run     `json:"runs"`
	// MissingBlueprintIDs were requested but got no run in the trigger
	// answer; attach reports them as errors, as the direct path does.
	MissingBlueprintIDs []int64 `json:"missing_blueprint_ids,omitempty"`
}

// Run is one test run of the group run. Several runs may share a blueprint.
type Run struct {
	RunID       int64  `json:"run_id"`
	BlueprintID int64  `json:"blueprint_id"`
	Title       string `json:"title,omitempty"`
	StepCount   int    `json:"step_count,omitzero"`
}

// Marshal encodes m as indented JSON with a trailing newline.
func Marshal(m Manifest) ([]byte, error) {
	m.Version = Version
	b, err := json.Marshal(m, jsontext.WithIndent("  "))
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// Parse decodes and checks a manifest, cleaning its texts with a Cleaner
// that knows no key. Its errors say what is wrong with the file, since a
// hand-edited or truncated manifest is a user mistake.
func Parse(b []byte) (Manifest, error) {
	return ParseClean(b, untrusted.NewCleaner("", titleCap))
}

// ParseClean is Parse with the Cleaner for the texts: the API client's,
// so a key planted in a title is redacted as in an API answer.
func ParseClean(b []byte, cl untrusted.Cleaner) (Manifest, error) {
	if len(b) > MaxSize {
		return Manifest{}, fmt.Errorf("not a docketqa-gate manifest: %d bytes, more than the %d a manifest takes", len(b), MaxSize)
	}
	var m Manifest
	// Duplicate names are refused by default; names match exactly.
	if err := json.Unmarshal(b, &m, json.RejectUnknownMembers(true)); err != nil {
		return Manifest{}, fmt.Errorf("not a docketqa-gate manifest: %s", untrusted.NewCleaner("", 300).Text(err.Error()))
	}
	if err := m.check(); err != nil {
		return Manifest{}, err
	}
	cl = cl.WithCap(titleCap)
	m.GroupRunName = string(cl.Text(m.GroupRunName))
	for i := range m.Runs {
		m.Runs[i].Title = string(cl.Text(m.Runs[i].Title))
	}
	// check saw an http(s) link; one holding the key is dropped.
	u, _ := cl.URL(m.DashboardURL)
	m.DashboardURL = string(u)
	return m, nil
}

func (m Manifest) check() error {
	var errs []error
	if m.Version != Version {
		errs = append(errs, fmt.Errorf("version %d, but this docketqa-gate reads version %d: detach and attach with the same release", m.Version, Version))
	}
	if m.GroupRunID <= 0 {
		errs = append(errs, errors.New("no group_run_id"))
	}
	if len(m.Runs) == 0 && len(m.MissingBlueprintIDs) == 0 {
		errs = append(errs, errors.New("no runs"))
	}
	if _, ok := untrusted.NewCleaner("", 0).URL(m.DashboardURL); !ok {
		errs = append(errs, errors.New("dashboard_url is not an http(s) link"))
	}
	seen := make(map[int64]bool, len(m.Runs))
	withRun := make(map[int64]bool, len(m.Runs))
	for i, r := range m.Runs {
		switch {
		case r.RunID <= 0 || r.BlueprintID <= 0:
			errs = append(errs, fmt.Errorf("runs[%d]: run_id and blueprint_id must be positive", i))
		case seen[r.RunID]:
			errs = append(errs, fmt.Errorf("runs[%d]: test run %d listed twice", i, r.RunID))
		case r.StepCount < 0:
			errs = append(errs, fmt.Errorf("runs[%d]: step_count must not be negative", i))
		}
		seen[r.RunID] = true
		withRun[r.BlueprintID] = true
	}
	missing := make(map[int64]bool, len(m.MissingBlueprintIDs))
	for i, id := range m.MissingBlueprintIDs {
		switch {
		case id <= 0:
			errs = append(errs, fmt.Errorf("missing_blueprint_ids[%d]: must be positive", i))
		case missing[id]:
			errs = append(errs, fmt.Errorf("missing_blueprint_ids[%d]: blueprint %d listed twice", i, id))
		case withRun[id]:
			errs = append(errs, fmt.Errorf("missing_blueprint_ids[%d]: blueprint %d also has a run", i, id))
		}
		missing[id] = true
	}
	return errors.Join(errs...)
}
