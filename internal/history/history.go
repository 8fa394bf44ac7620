// Package history keeps what earlier gate invocations saw of each
// blueprint's runs, in the small JSON file named by --history, so the next
// invocation can forecast when its runs will finish and poll them less,
// and the reports can say whether a failure is new, ongoing or flaky
// (RecentOf).
//
// The file is a cache, never a source of truth: a missing, unreadable,
// corrupt, oversized or unknown-version file gives a warning and a cold
// start, never a failure, and it is replaced by the next Save. It is keyed
// by API base URL and blueprint id, keeps the latest keepRuns finishes per
// blueprint and at most maxBlueprints blueprints (the least recently seen
// go first), and records only finishes the gate observed: runs cut off by
// --fail-fast, the deadline or an interruption say nothing about how long
// they take.
package history

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/atomicfile"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/stats"
)

// Version is the file format's version; a file of another version is
// ignored (and replaced on Save).
const Version = 1

// Bounds of the file. A run is about 60 bytes of JSON, so the file stays
// under about 2 MiB, and reading never takes more than maxFileBytes.
const (
	// keepRuns is also the window of a run's recent record: "passed 9 of
	// the last 10" needs the nine before the run itself, and the file
	// keeps ten so a run without a verdict still sees ten.
	keepRuns      = 10
	maxBlueprints = 2000
	maxFileBytes  = 4 << 20
	// maxDuration rejects nonsense: no DocketQA run takes a week.
	maxDuration = 7 * 24 * time.Hour
)

// File is the history of one --history file, as loaded for one API.
// The zero value and nil are empty histories.
type File struct {
	baseURL string
	// blueprints holds every entry of the file, those of other APIs
	// included, so that Save keeps them.
	blueprints []*entry
}

// Forecast is what the history says of a blueprint's run duration. It has
// the same fields as poll.Forecast, which it converts to.
type Forecast struct {
	// Median is the median duration of the recorded runs; 0 if none.
	Median time.Duration
	// Spread is the robust spread of log(duration) around Median (1.4826
	// times the median absolute deviation), 0 for a single run.
	Spread float64
	// Runs is how many recorded durations the forecast rests on.
	Runs int
}

// The JSON shapes.
type fileJSON struct {
	Version    int      `json:"version"`
	Blueprints []*entry `json:"blueprints"`
}

type entry struct {
	// API is the API base URL the blueprint belongs to.
	API         string `json:"api"`
	BlueprintID int64  `json:"blueprint_id"`
	// Seen is when a run of the blueprint was last recorded (Unix
	// seconds); the least recently seen blueprints are dropped first.
	Seen int64 `json:"seen"`
	// Runs are the latest finishes, oldest first.
	Runs []run `json:"runs"`
}

type run struct {
	// Seconds is the run's duration, from DocketQA's timestamps when the
	// answer had them, else as the gate observed it.
	Seconds float64 `json:"seconds"`
	// Steps is the number of steps the run reported.
	Steps int `json:"steps,omitempty"`
	// Outcome is "passed" or "failed".
	Outcome string `json:"outcome"`
}

// Load reads the history file at path for the API at baseURL. It never
// fails: a missing file is an empty history, and any other problem is
// returned as a warning along with an empty history.
func Load(path, baseURL string) (*File, []string) {
	f := &File{baseURL: normalize(baseURL)}
	if path == "" {
		return f, nil
	}
	fh, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, []string{fmt.Sprintf("history file %s: %v; starting without history", path, err)}
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFileBytes+1))
	if err != nil {
		return f, []string{fmt.Sprintf("history file %s: %v; starting without history", path, err)}
	}
	if len(data) > maxFileBytes {
		return f, []string{fmt.Sprintf("history file %s is larger than %d MiB; starting without history, and it will be replaced", path, maxFileBytes>>20)}
	}
	var fj fileJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&fj); err != nil {
		return f, []string{fmt.Sprintf("history file %s is not valid history JSON (%v); starting without history, and it will be replaced", path, err)}
	}
	if fj.Version != Version {
		return f, []string{fmt.Sprintf("history file %s has format version %d, this gate reads %d; starting without history, and it will be replaced", path, fj.Version, Version)}
	}
	seen := make(map[key]bool, len(fj.Blueprints))
	for _, e := range fj.Blueprints {
		if e == nil || e.BlueprintID <= 0 || e.API == "" || len(f.blueprints) >= maxBlueprints {
			continue
		}
		k := key{normalize(e.API), e.BlueprintID}
		if seen[k] {
			continue
		}
		seen[k] = true
		e.API = k.api
		e.Runs = slices.DeleteFunc(e.Runs, func(r run) bool { return !r.valid() })
		if len(e.Runs) > keepRuns {
			e.Runs = e.Runs[len(e.Runs)-keepRuns:]
		}
		if len(e.Runs) > 0 {
			f.blueprints = append(f.blueprints, e)
		}
	}
	return f, nil
}

type key struct {
	api string
	id  int64
}

func normalize(baseURL string) string { return strings.TrimRight(strings.TrimSpace(baseURL), "/") }

func (r run) valid() bool {
	d := r.Seconds * float64(time.Second)
	return !math.IsNaN(d) && d > 0 && d <= float64(maxDuration) && r.Steps >= 0 &&
		(r.Outcome == outcomePassed || r.Outcome == outcomeFailed)
}

const (
	outcomePassed = "passed"
	outcomeFailed = "failed"
)

func (f *File) find(id int64) *entry {
	if f == nil {
		return nil
	}
	for _, e := range f.blueprints {
		if e.BlueprintID == id && e.API == f.baseURL {
			return e
		}
	}
	return nil
}

// Forecast returns what the history says of the blueprint's runs on this
// API; the zero Forecast if nothing.
func (f *File) Forecast(blueprintID int64) Forecast {
	e := f.find(blueprintID)
	if e == nil || len(e.Runs) == 0 {
		return Forecast{}
	}
	ds := make([]float64, len(e.Runs))
	for i, r := range e.Runs {
		ds[i] = r.Seconds
	}
	m := stats.Median(ds)
	return Forecast{
		Median: time.Duration(m * float64(time.Second)),
		Spread: stats.LogSpread(ds, m),
		Runs:   len(e.Runs),
	}
}

// Record adds the runs that finished with a verdict of their own (passed
// or failed), at time now. Runs without one (no result within the
// deadline, not awaited after --fail-fast, interrupted, API errors) are
// left out: they tell nothing about how long the blueprint takes.
func (f *File) Record(now time.Time, runs []result.Run) {
	if f == nil {
		return
	}
	for _, r := range runs {
		var outcome string
		switch r.Verdict {
		case result.Passed:
			outcome = outcomePassed
		case result.Failed:
			outcome = outcomeFailed
		default:
			continue
		}
		rr := run{Seconds: r.Duration.Seconds(), Steps: len(r.Steps), Outcome: outcome}
		if r.BlueprintID <= 0 || !rr.valid() {
			continue
		}
		e := f.find(r.BlueprintID)
		if e == nil {
			e = &entry{API: f.baseURL, BlueprintID: r.BlueprintID}
			f.blueprints = append(f.blueprints, e)
		}
		e.Seen = now.Unix()
		e.Runs = append(e.Runs, rr)
		if len(e.Runs) > keepRuns {
			e.Runs = slices.Delete(e.Runs, 0, len(e.Runs)-keepRuns)
		}
	}
	if len(f.blueprints) > maxBlueprints {
		// Most recently seen first; the stable sort keeps the file's order
		// among equals.
		slices.SortStableFunc(f.blueprints, func(a, b *entry) int { return cmp.Compare(b.Seen, a.Seen) })
		f.blueprints = f.blueprints[:maxBlueprints]
	}
}

// Save writes the history to path atomically: a reader (or a CI cache
// upload) sees the old file or the new one, never half of one.
func (f *File) Save(path string) error {
	if path == "" {
		return nil
	}
	fj := fileJSON{Version: Version, Blueprints: []*entry{}}
	if f != nil {
		fj.Blueprints = f.blueprints
	}
	data, err := json.MarshalIndent(fj, "", " ")
	if err != nil {
		return fmt.Errorf("encode history: %w", err)
	}
	if err := atomicfile.Write(path, append(data, '\n')); err != nil {
		return fmt.Errorf("save history: %w", err)
	}
	return nil
}
