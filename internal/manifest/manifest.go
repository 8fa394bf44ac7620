// Package manifest records a triggered group run so that one gate
// invocation can trigger (--detach) and a later one wait (--attach): for
// example trigger before a long build step and gate after it, or trigger in
// one CI job and gate in another. The file holds ids and titles only, never
// the API key, so it is safe to pass between jobs as an artifact.
//
// A manifest read back is untrusted input: it travels as an artifact and a
// pull request's own jobs can put any file in its place. Since it fixes
// which runs are polled and which blueprint each belongs to, deleting one
// entry would take a failing blueprint out of the verdict. So the file is
// authenticated (format version 2): --detach writes an HMAC-SHA256 over
// its canonical encoding, keyed by a key derived from the API key, and
// binds it to the commit the CI names; Open verifies the MAC in constant
// time, and the commit, before anything in the file is used. Only the
// holder of the API key can write a manifest --attach accepts, and only
// for the commit under test. See docs/manifest.md.
//
// Before the MAC can be checked the file is decoded as strictly as a
// verdict (github.com/go-json-experiment/json, as the API client), bounded
// in size: names match exactly, a duplicate name anywhere and any unknown
// field make the file unreadable. After it, ids must be positive, run ids
// unique, and texts are cleaned as API texts are.
package manifest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// Version is the manifest format version this build reads and writes.
// Version 1 had no MAC; it is refused with a request to detach again.
const Version = 2

// keyLabel derives the MAC key from the API key. The label names the
// format version, so a key derived for one format never verifies another,
// and the MAC key is no secret anyone could use against the API: the API
// key itself is never in the file, and HMAC-SHA256 does not give it back.
const keyLabel = "docketqa-gate manifest v2"

// MaxSize bounds a manifest file in bytes: 10,000 runs take about 1 MiB.
const MaxSize = 16 << 20

// titleCap bounds a title read back, as the API client bounds titles.
const titleCap = 512

// Manifest is one triggered group run.
type Manifest struct {
	Version      int    `json:"version"`
	GroupRunID   int64  `json:"group_run_id"`
	GroupRunName string `json:"group_run_name,omitempty"`
	// DashboardURL is for people reading the file. --attach never uses
	// it: its group-run link is rebuilt from --dashboard-url and the id.
	DashboardURL string `json:"dashboard_url"`
	// Commit is the commit the CI named when --detach ran (GITHUB_SHA,
	// CI_COMMIT_SHA or GIT_COMMIT), lower-case hex; empty when it named
	// none. --attach refuses a manifest for another commit than its own.
	Commit      string    `json:"commit,omitempty"`
	TriggeredAt time.Time `json:"triggered_at"`
	Runs        []Run     `json:"runs"`
	// MissingBlueprintIDs were requested but got no run in the trigger
	// answer; attach reports them as errors, as the direct path does.
	MissingBlueprintIDs []int64 `json:"missing_blueprint_ids,omitempty"`
	// MAC authenticates every other field: lower-case hex of HMAC-SHA256
	// over the canonical encoding (see canonical), keyed with
	// HMAC-SHA256(API key, keyLabel).
	MAC string `json:"mac,omitempty"`
}

// Run is one test run of the group run. Several runs may share a blueprint.
type Run struct {
	RunID       int64  `json:"run_id"`
	BlueprintID int64  `json:"blueprint_id"`
	Title       string `json:"title,omitempty"`
	StepCount   int    `json:"step_count,omitzero"`
}

// Want is what --attach knows without the file, and checks it against.
type Want struct {
	// Key is the API key: the MAC must verify with the key derived from it.
	Key string
	// Commit is the commit the CI names for this job (see Commit), or ""
	// when it names none; then any commit in the file is accepted.
	Commit string
	// CommitVar names the variable Commit came from, for the error.
	CommitVar string
	// BlueprintIDs, when not empty, are the blueprints --attach was told
	// to wait for: the manifest's blueprints (those with a run and those
	// the trigger started none for) must be exactly these. The MAC only
	// shows that --detach wrote the file; two --detach steps of one
	// commit write two valid manifests, and copying one over the other
	// would otherwise judge the wrong set of runs.
	BlueprintIDs []int64
}

// The refusals of Open that mean "not a manifest this gate may trust". Each
// error Open returns for them wraps one, and its text says what to do.
var (
	// ErrNoMAC: a version 1 manifest, or one whose MAC was removed.
	ErrNoMAC = errors.New("no MAC")
	// ErrBadMAC: the file was changed after --detach, or written with
	// another API key; the two cannot be told apart, by design.
	ErrBadMAC = errors.New("the MAC does not verify")
	// ErrOtherCommit: a manifest --detach wrote for another commit, such
	// as an old green pipeline's, replayed.
	ErrOtherCommit = errors.New("for another commit")
	// ErrOtherBlueprints: a valid manifest for other blueprints than the
	// --blueprint-ids given to --attach, such as another --detach step's
	// manifest copied over this one.
	ErrOtherBlueprints = errors.New("for other blueprints")
)

// Marshal encodes m, with its MAC under key, as indented JSON with a
// trailing newline. It sets Version; m.MAC is replaced.
func Marshal(m Manifest, key string) ([]byte, error) {
	if key == "" {
		return nil, errors.New("encode manifest: no API key to sign it with")
	}
	m.Version = Version
	mac, err := sign(m, key)
	if err != nil {
		return nil, err
	}
	m.MAC = hex.EncodeToString(mac)
	b, err := json.Marshal(m, jsontext.WithIndent("  "))
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// canonical is the byte string the MAC covers: m without its MAC,
// re-encoded from the decoded struct in one fixed form (fields in
// declaration order, no white space, Deterministic for good measure).
//
// Why re-encode the decoded struct rather than MAC the file's own bytes:
// the MAC then covers exactly the values the gate goes on to use, so no
// difference between two readings of the file (the bytes verified and the
// struct decoded from them) can exist for an attacker to exploit, and
// nothing has to cut the mac member out of raw JSON text. What the decoder
// accepts is what gets verified: it refuses duplicate names, unknown
// members and case variants, so no text can hide beside the values. A file
// whose keys are reordered or re-indented decodes to the same struct and
// still verifies, which is harmless for the same reason. The price is that
// detach and attach must use one encoder: one release, as the version
// field already demands.
func canonical(m Manifest) ([]byte, error) {
	m.MAC = ""
	b, err := json.Marshal(m, json.Deterministic(true))
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return b, nil
}

// macKey derives the MAC key from the API key and the fixed label.
func macKey(apiKey string) []byte {
	h := hmac.New(sha256.New, []byte(apiKey))
	h.Write([]byte(keyLabel))
	return h.Sum(nil)
}

// sign returns the MAC of m under the API key.
func sign(m Manifest, apiKey string) ([]byte, error) {
	b, err := canonical(m)
	if err != nil {
		return nil, err
	}
	h := hmac.New(sha256.New, macKey(apiKey))
	h.Write(b)
	return h.Sum(nil), nil
}

// Open decodes a manifest, verifies its MAC and commit against want, checks
// it and cleans its texts with cl (the API client's Cleaner, so a key
// planted in a title is redacted as in an API answer). Nothing of the file
// is used before the MAC has verified. Its errors say what is wrong with
// the file and what to do, since a stale or edited manifest is a user's to
// fix.
func Open(b []byte, want Want, cl untrusted.Cleaner) (Manifest, error) {
	if len(b) > MaxSize {
		return Manifest{}, fmt.Errorf("not a docketqa-gate manifest: %d bytes, more than the %d a manifest takes", len(b), MaxSize)
	}
	var m Manifest
	// Duplicate names are refused by default; names match exactly.
	if err := json.Unmarshal(b, &m, json.RejectUnknownMembers(true)); err != nil {
		return Manifest{}, fmt.Errorf("not a docketqa-gate manifest: %s", untrusted.NewCleaner("", 300).Text(err.Error()))
	}
	if err := verify(m, want); err != nil {
		return Manifest{}, err
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

// redetach is the remedy every refusal ends with.
const redetach = "run docketqa-gate --detach again in this pipeline, with this release and the same DOCKETQA_API_KEY, and --attach the manifest it writes"

// hexMAC is what a MAC looks like in the file.
var hexMAC = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) })

// verify checks the version, the MAC in constant time and then the commit.
// The version and the presence of a MAC are read first only to word the
// refusal; nothing else is looked at before the MAC has verified.
func verify(m Manifest, want Want) error {
	switch {
	case m.Version == 1:
		return fmt.Errorf("%w: it is format version 1, written by an older docketqa-gate, which did not authenticate manifests; %s", ErrNoMAC, redetach)
	case m.Version != Version:
		return fmt.Errorf("version %d, but this docketqa-gate reads version %d: detach and attach with the same release", m.Version, Version)
	case m.MAC == "":
		return fmt.Errorf("%w (\"mac\"), so nothing shows it is the file --detach wrote; %s", ErrNoMAC, redetach)
	case want.Key == "":
		return errors.New("no API key to verify the manifest with: set DOCKETQA_API_KEY, the key the --detach step used")
	}
	got := make([]byte, sha256.Size)
	if !hexMAC().MatchString(m.MAC) {
		// Compared anyway, so a malformed MAC takes the same path.
		got = nil
	} else {
		_, _ = hex.Decode(got, []byte(m.MAC))
	}
	exp, err := sign(m, want.Key)
	if err != nil {
		return err
	}
	if !hmac.Equal(got, exp) {
		return fmt.Errorf("%w: the file was changed after --detach wrote it, or written with another API key; %s", ErrBadMAC, redetach)
	}
	switch {
	case m.Commit != "" && !commitHash().MatchString(m.Commit):
		return fmt.Errorf("commit is not a lower-case commit hash; %s", redetach)
	case want.Commit == "":
	case m.Commit == "":
		return fmt.Errorf("%w: it was written where the CI named no commit, but this job is at commit %s (%s), so it may be another pipeline's; %s",
			ErrOtherCommit, want.Commit, want.CommitVar, redetach)
	case m.Commit != want.Commit:
		return fmt.Errorf("%w: it was written for commit %s, but this job is at commit %s (%s): an earlier pipeline's manifest cannot gate this one; %s",
			ErrOtherCommit, m.Commit, want.Commit, want.CommitVar, redetach)
	}
	if len(want.BlueprintIDs) > 0 {
		got := m.blueprints()
		exp := slices.Clone(want.BlueprintIDs)
		slices.Sort(exp)
		exp = slices.Compact(exp)
		if !slices.Equal(got, exp) {
			return fmt.Errorf("%w: it records blueprints %s, but --blueprint-ids names %s; "+
				"give --attach the manifest of the --detach step that ran these blueprints, "+
				"and pass --attach the same --blueprint-ids as that --detach step",
				ErrOtherBlueprints, idList(got), idList(exp))
		}
	}
	return nil
}

// blueprints returns the sorted, distinct blueprints the manifest records:
// those with a run and those the trigger started none for.
func (m Manifest) blueprints() []int64 {
	ids := slices.Clone(m.MissingBlueprintIDs)
	for _, r := range m.Runs {
		ids = append(ids, r.BlueprintID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// idList writes ids as "181,182", bounded: a manifest may list thousands.
func idList(ids []int64) string {
	const most = 20
	var b strings.Builder
	for i, id := range ids {
		if i == most {
			fmt.Fprintf(&b, " … and %d more", len(ids)-most)
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	if len(ids) == 0 {
		return "(none)"
	}
	return b.String()
}

// commitHash is what a commit id from the CI looks like: SHA-1 or SHA-256
// hex, full or abbreviated.
var commitHash = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{7,64}$`) })

// commitVars are the variables that name the commit under test, in order:
// GitHub Actions, GitLab CI, Jenkins (Git plugin).
var commitVars = []string{"GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT"}

// Commit returns the commit the CI names for this job, lower-case, and the
// variable it came from; "" when none is set. A value that is no commit
// hash is an error naming the variable: the commit is part of what a
// manifest authenticates, so it is not guessed at.
func Commit(getenv func(string) string) (commit, from string, err error) {
	for _, name := range commitVars {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			continue
		}
		v = strings.ToLower(v)
		if !commitHash().MatchString(v) {
			return "", name, fmt.Errorf("%s is not a commit hash (7 to 64 hex digits); unset it or set it to the commit under test", name)
		}
		return v, name, nil
	}
	return "", "", nil
}

func (m Manifest) check() error {
	var errs []error
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
