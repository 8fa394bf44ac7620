// Package history keeps what earlier gate invocations saw of each
// blueprint's runs, in the small JSON file named by --history, so the next
// invocation can forecast when its runs will finish and poll them less,
// and the reports can say whether a failure is new, ongoing or flaky
// (RecentOf).
//
// The file is a cache, never a source of truth: a missing, unreadable,
// corrupt, oversized or unknown-version file gives a warning and a cold
// start, never a failure, and it is replaced by the next Save. So is a
// symbolic link, a FIFO, a device or a directory at the path: the file is
// read through safefile, which neither follows nor blocks, and written by
// an atomic rename that replaces a link instead of writing through it. It
// is keyed by API base URL and blueprint id, keeps the latest keepRuns
// finishes per blueprint and at most maxBlueprints blueprints, and records
// only finishes the gate observed: runs cut off by --fail-fast, the
// deadline or an interruption say nothing about how long they take.
//
// A CI cache is writable by whoever can run a job, so the file can be
// poisoned: its timestamps are clamped to the present when it is read, and
// when the file is full the entries of other APIs go first, then the least
// recently seen. Entries claiming a future time can therefore never push
// out the current API's, and the next Save writes the healed file.
package history

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/atomicfile"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/safefile"
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

// fileKind is what safefile reads: the history and its bound.
var fileKind = safefile.Kind{Name: "history file", Setting: "--history / DOCKETQA_HISTORY", Max: maxFileBytes}

// Load reads the history file at path for the API at baseURL, at time now
// (timestamps after it are clamped to it). It never fails and never
// blocks: a missing file is an empty history, and any other problem (a
// link, a FIFO, a directory, an oversized or corrupt file, an ended ctx)
// is returned as a warning along with an empty history.
func Load(ctx context.Context, path, baseURL string, now time.Time) (*File, []string) {
	f := &File{baseURL: normalize(baseURL)}
	if path == "" {
		return f, nil
	}
	data, err := safefile.Read(ctx, path, fileKind)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, []string{fmt.Sprintf("%v; starting without history, and the next save replaces it", err)}
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
		if e == nil || e.BlueprintID <= 0 || e.API == "" {
			continue
		}
		k := key{normalize(e.API), e.BlueprintID}
		if seen[k] {
			continue
		}
		seen[k] = true
		e.API = k.api
		// No run was seen in the future: a larger time is a lie that would
		// keep the entry forever.
		e.Seen = min(e.Seen, now.Unix())
		e.Runs = slices.DeleteFunc(e.Runs, func(r run) bool { return !r.valid() })
		if len(e.Runs) > keepRuns {
			e.Runs = e.Runs[len(e.Runs)-keepRuns:]
		}
		if len(e.Runs) > 0 {
			f.blueprints = append(f.blueprints, e)
		}
	}
	f.trim()
	return f, nil
}

// trim keeps at most maxBlueprints entries: this API's first, then the
// most recently seen. Another API's entries, whatever they claim, never
// push out this one's. The stable sort keeps the file's order among
// equals, and nothing moves while the file is within bounds.
func (f *File) trim() {
	if len(f.blueprints) <= maxBlueprints {
		return
	}
	slices.SortStableFunc(f.blueprints, func(a, b *entry) int {
		if ours, theirs := a.API == f.baseURL, b.API == f.baseURL; ours != theirs {
			if ours {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.Seen, a.Seen)
	})
	clear(f.blueprints[maxBlueprints:])
	f.blueprints = f.blueprints[:maxBlueprints]
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
	f.trim()
}

// Save writes the history to path atomically: a reader (or a CI cache
// upload) sees the old file or the new one, never half of one. A link at
// path is replaced, never written through (see atomicfile.Replace).
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
	if err := atomicfile.Replace(path, append(data, '\n')); err != nil {
		return fmt.Errorf("save history: %w", err)
	}
	return nil
}
