// Package manifest records a triggered group run so that one gate
// invocation can trigger (--detach) and a later one wait (--attach): for
// example trigger before a long build step and gate after it, or trigger in
// one CI job and gate in another. The file holds ids and titles only, never
// the API key, so it is safe to pass between jobs as an artifact.
package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Version is the manifest format version this build reads and writes.
const Version = 1

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

// Run is one test run of the group run.
type Run struct {
	RunID       int64  `json:"run_id"`
	BlueprintID int64  `json:"blueprint_id"`
	Title       string `json:"title,omitempty"`
	StepCount   int    `json:"step_count,omitempty"`
}

// Marshal encodes m as indented JSON with a trailing newline.
func Marshal(m Manifest) ([]byte, error) {
	m.Version = Version
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// Parse decodes and checks a manifest. Its errors say what is wrong with
// the file, since a hand-edited or truncated manifest is a user mistake.
func Parse(b []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("not a docketqa-gate manifest: %w", err)
	}
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
	seen := make(map[int64]bool, len(m.Runs))
	for i, r := range m.Runs {
		switch {
		case r.RunID <= 0 || r.BlueprintID <= 0:
			errs = append(errs, fmt.Errorf("runs[%d]: run_id and blueprint_id must be positive", i))
		case seen[r.RunID]:
			errs = append(errs, fmt.Errorf("runs[%d]: test run %d listed twice", i, r.RunID))
		}
		seen[r.RunID] = true
	}
	if err := errors.Join(errs...); err != nil {
		return Manifest{}, err
	}
	return m, nil
}
