package docketqa

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// The answers are decoded by walking jsontext tokens straight off the
// response body, with github.com/go-json-experiment/json's jsontext (the
// JSON v2 syntax layer; the standard library's encoding/json/v2 still needs
// GOEXPERIMENT=jsonv2 on Go 1.26). It gives what encoding/json does not:
//
//   - Duplicate names are refused in every object of the document, also
//     in values that are skipped, so `"status":"failed","status":"passed"`
//     makes the whole answer unreadable (no verdict, never a pass).
//   - Names are matched exactly, by the switch statements below: "Status"
//     or "TEST_RUN" is an unknown name and skipped, never a stand-in.
//   - Nothing holds the whole body: the decoder's buffer stays at a few
//     KiB except for one value at a time, and each text is cleaned and cut
//     from the raw token, so what is kept follows the Limits.
//
// Verdict fields are strict: the envelopes, the run's id and status, the
// blueprint id, the group run id and the test runs' ids must have the
// documented type, or the answer is a DecodeError. Every other field is
// decorative and lenient: a bad value is dropped alone and counted in
// Omitted, and the rest of the answer still counts.

// errBadType marks a strict field with the wrong JSON type or value.
var errBadType = errors.New("wrong type")

// decoder walks one answer.
type decoder struct {
	dec *jsontext.Decoder
	cl  untrusted.Cleaner
	lim Limits
}

func (c *Client) newDecoder(r io.Reader) *decoder {
	return &decoder{
		// Invalid UTF-8 is no reason to lose a verdict: the Cleaner
		// replaces it in texts, and a status word holding it is refused.
		dec: jsontext.NewDecoder(r, jsontext.AllowInvalidUTF8(true)),
		cl:  c.cleaner,
		lim: c.limits,
	}
}

// end checks that the document holds nothing after its one value.
func (d *decoder) end() error {
	if _, err := d.dec.ReadToken(); err != io.EOF {
		if err == nil {
			err = errors.New("more than one JSON value")
		}
		return err
	}
	return nil
}

// object reads a JSON object, calling fn for each name; fn must read or
// skip the value. The caller has checked that an object comes next.
func (d *decoder) object(fn func(name string) error) error {
	if _, err := d.dec.ReadToken(); err != nil {
		return err
	}
	for d.dec.PeekKind() != '}' {
		tok, err := d.dec.ReadToken()
		if err != nil {
			return err
		}
		if err := fn(tok.String()); err != nil {
			return err
		}
	}
	_, err := d.dec.ReadToken()
	return err
}

// array reads a JSON array, calling fn for each element; fn must read or
// skip it. The caller has checked that an array comes next.
func (d *decoder) array(fn func(i int) error) error {
	if _, err := d.dec.ReadToken(); err != nil {
		return err
	}
	for i := 0; d.dec.PeekKind() != ']'; i++ {
		if err := fn(i); err != nil {
			return err
		}
	}
	_, err := d.dec.ReadToken()
	return err
}

// skip drops a decorative value of the wrong kind and counts it.
func (d *decoder) skip(om *Omitted, where string) error {
	om.field(where)
	return d.dec.SkipValue()
}

// strictID reads an id: a JSON integer, or a string of one (ids have been
// seen as strings), in canonical form. null is 0, as an absent id; any other
// value is an error.
func (d *decoder) strictID(where string) (int64, error) {
	v, err := d.dec.ReadValue()
	if err != nil {
		return 0, err
	}
	s := string(v)
	switch v.Kind() {
	case 'n':
		return 0, nil
	case '"':
		s = strings.TrimSpace(unquote(v, 64))
	case '0':
	default:
		return 0, fmt.Errorf("%s: %w: %s, want an integer", where, errBadType, kindName(v.Kind()))
	}
	n, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil || strconv.FormatInt(n, 10) != s {
		return 0, fmt.Errorf("%s: %w: %s, want an integer", where, errBadType, quoteNumberish(s))
	}
	return n, nil
}

// lenientInt reads a decorative integer in [1, most]; ok is false when
// it was absent or dropped.
func (d *decoder) lenientInt(om *Omitted, where string, most int64) (int64, bool, error) {
	f, ok, err := d.lenientNumber(om, where)
	if err != nil || !ok {
		return 0, false, err
	}
	if f != math.Trunc(f) || f < 1 || f > float64(most) {
		om.field(where)
		return 0, false, nil
	}
	return int64(f), true, nil
}

// lenientNumber reads a decorative number, or a string holding one.
func (d *decoder) lenientNumber(om *Omitted, where string) (float64, bool, error) {
	switch d.dec.PeekKind() {
	case 'n', '"', '0':
	default:
		return 0, false, d.skip(om, where)
	}
	v, err := d.dec.ReadValue()
	if err != nil || v.Kind() == 'n' {
		return 0, false, err
	}
	s := string(v)
	if v.Kind() == '"' {
		s = strings.TrimSpace(unquote(v, 64))
		if s == "" {
			return 0, false, nil
		}
	}
	f, perr := strconv.ParseFloat(s, 64)
	if perr != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		om.field(where)
		return 0, false, nil
	}
	return f, true, nil
}

// lenientBool reads a decorative boolean; a missing or bad one is false.
func (d *decoder) lenientBool(om *Omitted, where string) (bool, error) {
	switch d.dec.PeekKind() {
	case 't', 'f':
		v, err := d.dec.ReadValue()
		return v.Kind() == 't', err
	case 'n':
		return false, d.dec.SkipValue()
	}
	return false, d.skip(om, where)
}

// text reads a decorative text: a string, or the literal of a number or
// boolean; null is empty; an object or array is dropped.
func (d *decoder) text(cl untrusted.Cleaner, om *Omitted, where string) (untrusted.Text, error) {
	switch d.dec.PeekKind() {
	case '"', '0', 't', 'f', 'n':
	default:
		return "", d.skip(om, where)
	}
	v, err := d.dec.ReadValue()
	if err != nil {
		return "", err
	}
	switch v.Kind() {
	case 'n':
		return "", nil
	case '"':
		p, total := unquotePrefix(v, cl.Window())
		return cl.Prefix(p, total), nil
	}
	return cl.Text(string(v)), nil
}

// link reads a decorative URL; an unusable one is dropped and counted.
func (d *decoder) link(om *Omitted, where string) (untrusted.URL, error) {
	if k := d.dec.PeekKind(); k != '"' && k != 'n' {
		om.Links++
		return "", d.dec.SkipValue()
	}
	v, err := d.dec.ReadValue()
	if err != nil || v.Kind() == 'n' {
		return "", err
	}
	// One byte past the cap is enough for URL to see a link too long.
	u, ok := d.cl.URL(unquote(v, untrusted.MaxURL+1))
	if !ok {
		om.Links++
	}
	return u, nil
}

// maxStatus bounds a status word in bytes; the documented words have six.
const maxStatus = 32

// status reads the status word. In a GET answer it decides the verdict, so
// it must be a short string without control or invisible characters:
// cleaning those out could make a "pass\u200bed" read as "passed".
func (d *decoder) status(strict bool, om *Omitted, where string) (untrusted.Text, error) {
	if !strict {
		return d.text(d.cl.WithCap(untrusted.MinCap), om, where)
	}
	v, err := d.dec.ReadValue()
	if err != nil {
		return "", err
	}
	switch v.Kind() {
	case 'n':
		return "", nil
	case '"':
	default:
		return "", fmt.Errorf("%s: %w: %s, want a string", where, errBadType, kindName(v.Kind()))
	}
	// The word is taken exactly as sent, never trimmed: only the exact
	// word "passed" is a pass, and " passed" is not that word.
	word, total := unquotePrefix(v, maxStatus+1)
	if total > maxStatus {
		return "", fmt.Errorf("%s: %w: a string of %d bytes, want a status word", where, errBadType, total)
	}
	if plain := untrusted.NewCleaner("", untrusted.MinCap).Text(word); string(plain) != word {
		return "", fmt.Errorf("%s: %w: white space, control or invisible characters in the status word %q", where, errBadType, plain)
	}
	return d.cl.WithCap(untrusted.MinCap).Text(word), nil
}

// identity reads a run's id or blueprint id. In a GET answer, where
// 0 stands for "absent" and an absent id is no disagreement, a present 0
// must not pass for an absent one: DocketQA's ids start at 1. In a trigger
// answer such a run is dropped later as unpollable.
func (d *decoder) identity(where string, get bool) (int64, error) {
	present := d.dec.PeekKind() != 'n'
	n, err := d.strictID(where)
	if err == nil && get && present && n == 0 {
		return 0, fmt.Errorf("%s: %w: 0, want a positive id", where, errBadType)
	}
	return n, err
}

// run reads one test run object. strictStatus is set for GET answers,
// where the status is the verdict; in a trigger answer it is only shown.
func (d *decoder) run(where string, strictStatus bool) (TestRun, error) {
	var r TestRun
	if k := d.dec.PeekKind(); k != '{' {
		return r, fmt.Errorf("%s: %w: %s, want an object", where, errBadType, kindName(k))
	}
	budget := d.lim.RunBytes
	var downloadURL untrusted.URL
	err := d.object(func(name string) error {
		var err error
		at := where + "." + name
		switch name {
		case "id":
			r.ID, err = d.identity(at, strictStatus)
		case "status":
			r.Status, err = d.status(strictStatus, &r.Omitted, at)
		case "test_blueprint_id":
			r.BlueprintID, err = d.identity(at, strictStatus)
		case "test_group_run_id":
			r.GroupRunID, _, err = d.lenientInt(&r.Omitted, name, math.MaxInt64>>10)
		case "blueprint_metadata":
			err = d.metadata(&r)
		case "results":
			r.Steps, r.Omitted.Steps, err = d.steps(&r.Omitted, name, &budget)
		case "test_video_url":
			r.VideoURL, err = d.link(&r.Omitted, name)
		case "test_video_download_url":
			downloadURL, err = d.link(&r.Omitted, name)
		case "additional_attempts":
			err = d.attempts(&r, &budget)
		case "created_at":
			r.CreatedAt, err = d.time(&r.Omitted, name)
		case "updated_at":
			r.UpdatedAt, err = d.time(&r.Omitted, name)
		default:
			err = d.dec.SkipValue()
		}
		return err
	})
	if r.VideoURL == "" {
		r.VideoURL = downloadURL
	}
	return r, err
}

func (d *decoder) metadata(r *TestRun) error {
	const where = "blueprint_metadata"
	if ok, err := d.open('{', &r.Omitted, where); !ok {
		return err
	}
	return d.object(func(name string) error {
		switch name {
		case "title":
			t, err := d.text(d.cl.WithCap(d.lim.TitleBytes), &r.Omitted, where+".title")
			r.Title = t
			return err
		case "steps":
			if d.dec.PeekKind() != '[' {
				return d.skip(&r.Omitted, where+".steps")
			}
			// Only counted: nothing of a step definition is kept.
			return d.array(func(int) error {
				r.StepCount++
				return d.dec.SkipValue()
			})
		}
		return d.dec.SkipValue()
	})
}

func (d *decoder) time(om *Omitted, where string) (t time.Time, err error) {
	s, err := d.text(d.cl.WithCap(untrusted.MinCap), om, where)
	if err != nil || s == "" {
		return t, err
	}
	t, ok := parseTime(string(s))
	if !ok {
		om.field(where)
	}
	return t, nil
}

// steps reads a results array. Steps are kept while the per-attempt cap
// and the run's byte budget allow; the first failing step is kept anyway,
// and the rest are only counted.
func (d *decoder) steps(om *Omitted, where string, budget *int) ([]Step, int, error) {
	if ok, err := d.open('[', om, where); !ok {
		return nil, 0, err
	}
	var out []Step
	notShown := 0
	failKept := false
	full := false
	err := d.array(func(i int) error {
		if full && failKept {
			notShown++
			return d.dec.SkipValue()
		}
		s, cost, links, err := d.step(om, where+"["+strconv.Itoa(i)+"]", i)
		if err != nil {
			return err
		}
		switch {
		case !full && len(out) < d.lim.Steps && cost <= *budget:
		case !s.OK && !failKept:
			// Why the run failed is kept beyond the caps.
		default:
			full = true
			notShown++
			return nil
		}
		*budget -= cost
		failKept = failKept || !s.OK
		// Links dropped from a step not kept are not worth a mention.
		om.Links += links
		out = append(out, s)
		return nil
	})
	return out, notShown, err
}

// stepOverhead is what a kept step costs beyond its texts and links.
const stepOverhead = 128

// step reads one entry of results. It returns the step, what keeping it
// costs of the run's budget, and how many of its links were dropped.
func (d *decoder) step(om *Omitted, where string, i int) (Step, int, int, error) {
	s := Step{Number: i + 1}
	if d.dec.PeekKind() != '{' {
		return s, stepOverhead, 0, d.skip(om, where)
	}
	var links Omitted
	err := d.object(func(name string) error {
		var err error
		at := where + "." + name
		switch name {
		case "step_number":
			var n int64
			var ok bool
			if n, ok, err = d.lenientInt(om, at, math.MaxInt32); ok {
				s.Number = int(n)
			}
		case "task":
			s.Task, err = d.text(d.cl.WithCap(d.lim.TaskBytes), om, at)
		case "is_successful":
			// A step without a readable is_successful is not known to be good.
			s.OK, err = d.lenientBool(om, at)
		case "result":
			s.Result, err = d.text(d.cl.WithCap(d.lim.ResultBytes), om, at)
		case "duration":
			var f float64
			var ok bool
			if f, ok, err = d.lenientNumber(om, at); ok {
				if s.Duration, ok = secondsToDuration(f); !ok {
					om.field(at)
				}
			}
		case "actions":
			err = d.actions(&s, om, &links, at)
		default:
			err = d.dec.SkipValue()
		}
		return err
	})
	cost := stepOverhead + len(s.Task) + len(s.Result)
	for _, u := range slices.Concat(s.Screenshots, s.ScreenshotsBefore) {
		cost += len(u)
	}
	return s, cost, links.Links, err
}

// open says whether a decorative container of the given kind ('{' or '[')
// is next. A null is skipped, and any other value is dropped and noted, so
// the caller only reads the container itself.
func (d *decoder) open(kind jsontext.Kind, om *Omitted, where string) (bool, error) {
	switch d.dec.PeekKind() {
	case kind:
		return true, nil
	case 'n':
		return false, d.dec.SkipValue()
	default:
		return false, d.skip(om, where)
	}
}

// actions reads a step's actions for their screenshot links; links counts
// the links dropped.
func (d *decoder) actions(s *Step, om, links *Omitted, where string) error {
	if ok, err := d.open('[', om, where); !ok {
		return err
	}
	return d.array(func(i int) error {
		if d.dec.PeekKind() != '{' {
			return d.skip(om, where+"["+strconv.Itoa(i)+"]")
		}
		return d.object(func(name string) error {
			// screenshot_url is the page after the action, and
			// screenshot_url_before (newer API pages) the page before it.
			var into *[]untrusted.URL
			switch name {
			case "screenshot_url":
				into = &s.Screenshots
			case "screenshot_url_before":
				into = &s.ScreenshotsBefore
			default:
				return d.dec.SkipValue()
			}
			u, err := d.link(links, name)
			if u == "" || err != nil {
				return err
			}
			if len(*into) >= d.lim.Links {
				links.Links++
				return nil
			}
			*into = append(*into, u)
			return nil
		})
	})
}

func (d *decoder) attempts(r *TestRun, budget *int) error {
	const where = "additional_attempts"
	if ok, err := d.open('[', &r.Omitted, where); !ok {
		return err
	}
	return d.array(func(i int) error {
		at := where + "[" + strconv.Itoa(i) + "]"
		if len(r.Retries) >= d.lim.Attempts {
			r.Omitted.Attempts++
			return d.dec.SkipValue()
		}
		if d.dec.PeekKind() != '{' {
			return d.skip(&r.Omitted, at)
		}
		var a Retry
		err := d.object(func(name string) error {
			var err error
			switch name {
			case "results":
				a.Steps, a.StepsNotShown, err = d.steps(&r.Omitted, at+".results", budget)
			case "test_video_url":
				a.VideoURL, err = d.link(&r.Omitted, at+".test_video_url")
			default:
				err = d.dec.SkipValue()
			}
			return err
		})
		r.Retries = append(r.Retries, a)
		return err
	})
}

// getAnswer reads a GET /test_run/{id} answer: {"test_run": {...}}.
func (d *decoder) getAnswer() (*TestRun, error) {
	if k := d.dec.PeekKind(); k != '{' {
		return nil, fmt.Errorf("%w: %s, want an object", errBadType, kindName(k))
	}
	var run *TestRun
	err := d.object(func(name string) error {
		if name != "test_run" {
			return d.dec.SkipValue()
		}
		if d.dec.PeekKind() == 'n' {
			return d.dec.SkipValue()
		}
		r, err := d.run("test_run", true)
		run = &r
		return err
	})
	if err == nil {
		err = d.end()
	}
	if err != nil {
		return nil, err
	}
	if run == nil {
		return nil, errors.New(`no "test_run" object`)
	}
	return run, nil
}

// triggerAnswer reads the trigger answer: {"test_group_run": {...}}.
func (d *decoder) triggerAnswer() (*GroupRun, error) {
	if k := d.dec.PeekKind(); k != '{' {
		return nil, fmt.Errorf("%w: %s, want an object", errBadType, kindName(k))
	}
	var g *GroupRun
	err := d.object(func(name string) error {
		if name != "test_group_run" {
			return d.dec.SkipValue()
		}
		switch k := d.dec.PeekKind(); k {
		case 'n':
			return d.dec.SkipValue()
		case '{':
		default:
			return fmt.Errorf("test_group_run: %w: %s, want an object", errBadType, kindName(k))
		}
		g = &GroupRun{}
		return d.groupRun(g)
	})
	if err == nil {
		err = d.end()
	}
	if err != nil {
		return nil, err
	}
	if g == nil || g.ID <= 0 {
		return nil, errors.New(`no "test_group_run" with an id in the answer`)
	}
	return g, nil
}

func (d *decoder) groupRun(g *GroupRun) error {
	seen := make(map[int64]bool)
	return d.object(func(name string) error {
		var err error
		switch name {
		case "id":
			g.ID, err = d.strictID("test_group_run.id")
		case "name":
			g.Name, err = d.text(d.cl.WithCap(d.lim.TitleBytes), &g.Omitted, "test_group_run.name")
		case "status":
			g.Status, err = d.text(d.cl.WithCap(untrusted.MinCap), &g.Omitted, "test_group_run.status")
		case "test_runs":
			switch k := d.dec.PeekKind(); k {
			case 'n':
				return d.dec.SkipValue()
			case '[':
			default:
				return fmt.Errorf("test_group_run.test_runs: %w: %s, want an array", errBadType, kindName(k))
			}
			err = d.array(func(i int) error {
				r, err := d.run("test_runs["+strconv.Itoa(i)+"]", false)
				// A run without an id cannot be polled: its blueprint
				// then counts as missing. One listed twice is kept once.
				if err == nil && r.ID > 0 && !seen[r.ID] {
					seen[r.ID] = true
					g.Runs = append(g.Runs, r)
				}
				return err
			})
		default:
			err = d.dec.SkipValue()
		}
		return err
	})
}

// unquote returns the text of a JSON string token, up to about max bytes.
func unquote(v jsontext.Value, max int) string {
	s, _ := unquotePrefix(v, max)
	return s
}

// unquotePrefix decodes the first window bytes of the JSON string token v
// and returns them with the length of the whole decoded string, so a huge
// field is never copied whole. v was checked by jsontext; invalid UTF-8 is
// passed through for the Cleaner, lone surrogates become U+FFFD.
func unquotePrefix(v jsontext.Value, window int) (string, int) {
	raw := v[1 : len(v)-1]
	var b []byte
	total := 0
	full := false
	emit := func(p []byte) {
		total += len(p)
		if full {
			return
		}
		room := window - len(b)
		if room >= len(p) {
			b = append(b, p...)
			return
		}
		// Cut before the first character that does not fit whole, and
		// keep nothing after it, so b stays a prefix.
		full = true
		for room > 0 && !utf8.RuneStart(p[room]) {
			room--
		}
		b = append(b, p[:room]...)
	}
	var rb [utf8.UTFMax]byte
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			j := i + 1
			for j < len(raw) && raw[j] != '\\' {
				j++
			}
			emit(raw[i:j])
			i = j
			continue
		}
		// jsontext checked the token: a backslash always starts a whole
		// escape sequence.
		i += 2
		switch raw[i-1] {
		case '"', '\\', '/':
			emit(raw[i-1 : i])
		case 'b':
			emit([]byte{'\b'})
		case 'f':
			emit([]byte{'\f'})
		case 'n':
			emit([]byte{'\n'})
		case 'r':
			emit([]byte{'\r'})
		case 't':
			emit([]byte{'\t'})
		case 'u':
			r, n := hexRune(raw[i:])
			i += n
			if r >= 0xD800 && r < 0xDC00 && i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
				if r2, n2 := hexRune(raw[i+2:]); r2 >= 0xDC00 && r2 < 0xE000 {
					r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
					i += 2 + n2
				}
			}
			if r >= 0xD800 && r < 0xE000 {
				r = utf8.RuneError
			}
			emit(rb[:utf8.EncodeRune(rb[:], r)])
		}
	}
	return string(b), total
}

// hexRune reads the four hex digits of a \u escape.
func hexRune(b []byte) (rune, int) {
	if len(b) < 4 {
		return utf8.RuneError, len(b)
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 32)
	if err != nil {
		return utf8.RuneError, 4
	}
	return rune(n), 4
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "no value"
}

// quoteNumberish quotes a bad numeric value for an error message, but only
// when it looks like a number gone wrong: an answer may echo anything into
// a field, the API key included, and error texts end up in CI logs.
func quoteNumberish(s string) string {
	if len(s) <= 24 && strings.Trim(s, "0123456789+-.eE") == "" {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("text of %d bytes", len(s))
}
