package docketqa

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// Answers are decoded into the tagged wire structs below by
// github.com/go-json-experiment/json (JSON v2; the standard library's
// encoding/json/v2 still needs GOEXPERIMENT=jsonv2 on Go 1.26), straight off
// the response body. The options in newDecoder spell out what the verdict
// relies on: names match exactly ("Status" or "TEST_RUN" is an unknown name,
// skipped, never a stand-in), and a duplicate name anywhere, also in a
// skipped value, makes the whole answer unreadable, so
// `"status":"failed","status":"passed"` is no verdict, never a pass.
//
// A field's type names its rule, which an unmarshal function of the decoder
// applies. Verdict fields are strict: the envelopes, the ids and a GET
// answer's status must have the documented type, or the answer is a
// DecodeError. Every other field is decorative: a bad value is dropped alone
// and counted in Omitted. Texts become untrusted.Text, cut to their caps, as
// they are decoded.
//
// Arrays (test runs, steps, actions, attempts) are walked element by element
// by hand: the library would decode a whole array before a cap could apply,
// and an answer of "{}," repeated has millions of elements. So what is kept
// follows the Limits, not the answer's size.

// errBadType marks a strict field with the wrong JSON type or value.
var errBadType = errors.New("wrong type")

type (
	runAnswer struct {
		Run *TestRun `json:"test_run"`
	}
	groupAnswer struct {
		Group *GroupRun `json:"test_group_run"`
	}
	wireGroup struct {
		ID     identity   `json:"id"`
		Name   titleText  `json:"name"`
		Status statusWord `json:"status"`
		Runs   runList    `json:"test_runs"`
	}
	wireRun struct {
		ID          identity   `json:"id"`
		Status      statusWord `json:"status"`
		BlueprintID identity   `json:"test_blueprint_id"`
		GroupRunID  groupRunID `json:"test_group_run_id"`
		Metadata    metadata   `json:"blueprint_metadata"`
		Results     stepList   `json:"results"`
		Video       link       `json:"test_video_url"`
		Download    link       `json:"test_video_download_url"`
		Attempts    []Retry    `json:"additional_attempts"`
		CreatedAt   timestamp  `json:"created_at"`
		UpdatedAt   timestamp  `json:"updated_at"`
	}
	wireMetadata struct {
		Title titleText `json:"title"`
		Steps stepCount `json:"steps"`
	}
	wireStep struct {
		Number   stepNumber `json:"step_number"`
		Task     taskText   `json:"task"`
		OK       flag       `json:"is_successful"`
		Result   resultText `json:"result"`
		Duration seconds    `json:"duration"`
		Actions  actions    `json:"actions"`
	}
	wireAction struct {
		After  link `json:"screenshot_url"`
		Before link `json:"screenshot_url_before"`
	}
	wireAttempt struct {
		Results stepList `json:"results"`
		Video   link     `json:"test_video_url"`
	}

	// identity is an id: strict, and in a GET answer positive if present.
	identity   int64
	statusWord untrusted.Text
	groupRunID int64 // 0 when absent or dropped
	stepNumber int64 // 0 when absent or dropped
	flag       bool
	seconds    time.Duration
	timestamp  time.Time
	link       untrusted.URL
	titleText  untrusted.Text
	taskText   untrusted.Text
	resultText untrusted.Text
	metadata   wireMetadata
	stepCount  int
	runList    []TestRun
	stepList   struct {
		steps    []Step
		notShown int
	}
	actions struct{ after, before []untrusted.URL }
)

// decoder holds what the unmarshal functions of one answer share.
type decoder struct {
	r    io.Reader
	opts json.Options
	cl   untrusted.Cleaner
	lim  Limits
	get  bool // a GET answer: the run's status is its verdict
	// The run (or group) being read: where its dropped fields are counted
	// and named from (base, its JSON pointer), where dropped links are
	// counted, and how many bytes it may still keep.
	om     *Omitted
	base   string
	links  *int
	budget int
	buf    []byte // scratch for unquoted strings
}

func (c *Client) newDecoder(r io.Reader, get bool) *decoder {
	d := &decoder{r: r, cl: c.cleaner, lim: c.limits, get: get}
	d.opts = json.JoinOptions(
		jsontext.AllowDuplicateNames(false),
		json.MatchCaseInsensitiveNames(false),
		// Invalid UTF-8 is no reason to lose a verdict: texts get U+FFFD,
		// and a status word holding it is refused.
		jsontext.AllowInvalidUTF8(true),
		json.WithUnmarshalers(json.JoinUnmarshalers(
			json.UnmarshalFromFunc(d.group),
			json.UnmarshalFromFunc(d.runs),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, r *TestRun) error {
				return d.run(dec, r, string(dec.StackPointer()))
			}),
			json.UnmarshalFromFunc(d.identity),
			json.UnmarshalFromFunc(d.status),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, n *groupRunID) (err error) {
				*(*int64)(n), err = d.integer(dec, math.MaxInt64>>10)
				return err
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, n *stepNumber) (err error) {
				*(*int64)(n), err = d.integer(dec, math.MaxInt32)
				return err
			}),
			json.UnmarshalFromFunc(d.flag),
			json.UnmarshalFromFunc(d.seconds),
			json.UnmarshalFromFunc(d.time),
			json.UnmarshalFromFunc(d.link),
			textOf[titleText](d, c.limits.TitleBytes),
			textOf[taskText](d, c.limits.TaskBytes),
			textOf[resultText](d, c.limits.ResultBytes),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, m *metadata) error {
				if ok, err := d.open(dec, '{'); !ok {
					return err
				}
				return json.UnmarshalDecode(dec, (*wireMetadata)(m), d.opts)
			}),
			json.UnmarshalFromFunc(d.stepCount),
			json.UnmarshalFromFunc(d.steps),
			json.UnmarshalFromFunc(d.actions),
			json.UnmarshalFromFunc(d.attempts),
		)),
	)
	return d
}

// decode reads the answer, one JSON value and nothing after it, into v.
func (d *decoder) decode(v any) error {
	dec := jsontext.NewDecoder(d.r, d.opts)
	err := json.UnmarshalDecode(dec, v, d.opts)
	if err == nil {
		if _, err = dec.ReadToken(); err == io.EOF {
			return nil
		} else if err == nil {
			err = errors.New("more than one JSON value")
		}
	}
	var se *json.SemanticError
	if !errors.As(err, &se) {
		return err // a syntax or read error says itself where it was
	}
	// Err is empty only for a value of the wrong kind where a wire struct
	// was expected: an object.
	msg := se.Err
	if msg == nil {
		msg = fmt.Errorf("%w: %s, want an object", errBadType, kindName(se.JSONKind))
	}
	if where := fieldName(se.JSONPointer); where != "" {
		return fmt.Errorf("%s: %w", where, msg)
	}
	return msg
}

// fieldName turns a JSON pointer such as /results/0/task into the
// results[0].task that users read.
func fieldName(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// dropped notes the decorative value just read as unreadable.
func (d *decoder) dropped(dec *jsontext.Decoder) {
	d.om.field(fieldName(jsontext.Pointer(strings.TrimPrefix(string(dec.StackPointer()), d.base))))
}

// drop skips a decorative value of the wrong kind and notes it.
func (d *decoder) drop(dec *jsontext.Decoder) error {
	err := dec.SkipValue()
	d.dropped(dec)
	return err
}

// open says whether a decorative container of the given kind ('{' or '[')
// is next. A null is skipped, and any other value is dropped and noted, so
// the caller only reads the container itself.
func (d *decoder) open(dec *jsontext.Decoder, kind jsontext.Kind) (bool, error) {
	switch dec.PeekKind() {
	case kind:
		return true, nil
	case 'n':
		return false, dec.SkipValue()
	}
	return false, d.drop(dec)
}

// each walks an array the caller has checked is next, calling fn for each
// element; fn must read or skip it.
func each(dec *jsontext.Decoder, fn func(i int) error) error {
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for i := 0; dec.PeekKind() != ']'; i++ {
		if err := fn(i); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// unquote decodes a JSON string token into the decoder's scratch buffer,
// valid until the next call; invalid UTF-8 becomes U+FFFD and ok false.
func (d *decoder) unquote(v jsontext.Value) (b []byte, ok bool) {
	var err error
	d.buf, err = jsontext.AppendUnquote(d.buf[:0], v)
	return d.buf, err == nil
}

// cleanText cleans an unquoted string with cl, copying no more of a huge
// one than cl looks at.
func cleanText(cl untrusted.Cleaner, b []byte) untrusted.Text {
	n := min(len(b), cl.Window())
	// b is valid UTF-8 (unquote replaced what was not), so this stops.
	for n < len(b) && !utf8.RuneStart(b[n]) {
		n--
	}
	return cl.Prefix(string(b[:n]), len(b))
}

// textOf unmarshals the text type T, cut to capBytes.
func textOf[T ~string](d *decoder, capBytes int) *json.Unmarshalers {
	return json.UnmarshalFromFunc(func(dec *jsontext.Decoder, t *T) error {
		s, err := d.text(dec, capBytes)
		*t = T(s)
		return err
	})
}

// text reads a decorative text cut to capBytes: a string, or the literal of
// a number or boolean; null is empty; an object or array is dropped.
func (d *decoder) text(dec *jsontext.Decoder, capBytes int) (untrusted.Text, error) {
	if k := dec.PeekKind(); k == '{' || k == '[' {
		return "", d.drop(dec)
	}
	v, err := dec.ReadValue()
	cl := d.cl.WithCap(capBytes)
	if err != nil || v.Kind() == 'n' {
		return "", err
	}
	if v.Kind() == '"' {
		b, _ := d.unquote(v)
		return cleanText(cl, b), nil
	}
	return cl.Text(string(v)), nil
}

// identity reads an id: a JSON integer, or a string of one (ids have been
// seen as strings), in canonical form; null is 0, as an absent id. In a GET
// answer, where an absent id is no disagreement, a present 0 must not pass
// for an absent one: DocketQA's ids start at 1. In a trigger answer such a
// run is dropped later as unpollable.
func (d *decoder) identity(dec *jsontext.Decoder, n *identity) error {
	v, err := dec.ReadValue()
	if err != nil || v.Kind() == 'n' {
		return err
	}
	s := string(v)
	switch v.Kind() {
	case '"':
		b, _ := d.unquote(v)
		s = strings.TrimSpace(string(b))
	case '0':
	default:
		return fmt.Errorf("%w: %s, want an integer", errBadType, kindName(v.Kind()))
	}
	id, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil || strconv.FormatInt(id, 10) != s {
		return fmt.Errorf("%w: %s, want an integer", errBadType, quoteNumberish(s))
	}
	if d.get && id == 0 {
		return fmt.Errorf("%w: 0, want a positive id", errBadType)
	}
	*n = identity(id)
	return nil
}

// maxStatus bounds a status word in bytes; the documented words have six.
const maxStatus = 32

// status reads a status word. In a GET answer it decides the verdict, so
// it must be a short string without control or invisible characters:
// cleaning those out could make a "pass\u200bed" read as "passed". In a
// trigger answer, the group's and the runs', it is only shown.
func (d *decoder) status(dec *jsontext.Decoder, w *statusWord) (err error) {
	if !d.get {
		*(*untrusted.Text)(w), err = d.text(dec, untrusted.MinCap)
		return err
	}
	v, err := dec.ReadValue()
	if err != nil || v.Kind() == 'n' {
		return err
	}
	if v.Kind() != '"' {
		return fmt.Errorf("%w: %s, want a string", errBadType, kindName(v.Kind()))
	}
	// The word is taken exactly as sent, never trimmed: only the exact
	// word "passed" is a pass, and " passed" is not that word.
	b, valid := d.unquote(v)
	if len(b) > maxStatus {
		return fmt.Errorf("%w: a string of %d bytes, want a status word", errBadType, len(b))
	}
	word := string(b)
	if plain := untrusted.NewCleaner("", untrusted.MinCap).Text(word); !valid || string(plain) != word {
		return fmt.Errorf("%w: white space, control or invisible characters in the status word %q", errBadType, plain)
	}
	*w = statusWord(d.cl.WithCap(untrusted.MinCap).Text(word))
	return nil
}

// number reads a decorative number, or a string holding one; ok is false
// when it was absent, empty or dropped.
func (d *decoder) number(dec *jsontext.Decoder) (f float64, ok bool, err error) {
	switch dec.PeekKind() {
	case 'n', '"', '0':
	default:
		return 0, false, d.drop(dec)
	}
	v, err := dec.ReadValue()
	if err != nil || v.Kind() == 'n' {
		return 0, false, err
	}
	s := string(v)
	if v.Kind() == '"' {
		b, _ := d.unquote(v)
		if s = strings.TrimSpace(string(b)); s == "" {
			return 0, false, nil
		}
	}
	f, perr := strconv.ParseFloat(s, 64)
	if perr != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		d.dropped(dec)
		return 0, false, nil
	}
	return f, true, nil
}

// integer reads a decorative integer in [1, most]; 0 when it was absent or
// dropped.
func (d *decoder) integer(dec *jsontext.Decoder, most int64) (int64, error) {
	f, ok, err := d.number(dec)
	if err != nil || !ok {
		return 0, err
	}
	if f != math.Trunc(f) || f < 1 || f > float64(most) {
		d.dropped(dec)
		return 0, nil
	}
	return int64(f), nil
}

// seconds reads the undocumented-unit "duration" (see secondsToDuration).
func (d *decoder) seconds(dec *jsontext.Decoder, s *seconds) error {
	f, ok, err := d.number(dec)
	if ok {
		v, in := secondsToDuration(f)
		if !in {
			d.dropped(dec)
		}
		*s = seconds(v)
	}
	return err
}

// flag reads a decorative boolean; a missing or bad one is false.
func (d *decoder) flag(dec *jsontext.Decoder, b *flag) error {
	switch dec.PeekKind() {
	case 't', 'f':
		v, err := dec.ReadValue()
		*b = v.Kind() == 't'
		return err
	case 'n':
		return dec.SkipValue()
	}
	return d.drop(dec)
}

func (d *decoder) time(dec *jsontext.Decoder, t *timestamp) error {
	s, err := d.text(dec, untrusted.MinCap)
	if err != nil || s == "" {
		return err
	}
	v, ok := parseTime(string(s))
	if !ok {
		d.dropped(dec)
	}
	*t = timestamp(v)
	return nil
}

// link reads a decorative URL; an unusable one is dropped and counted.
func (d *decoder) link(dec *jsontext.Decoder, u *link) error {
	if k := dec.PeekKind(); k != '"' && k != 'n' {
		*d.links++
		return dec.SkipValue()
	}
	v, err := dec.ReadValue()
	if err != nil || v.Kind() == 'n' {
		return err
	}
	b, _ := d.unquote(v)
	// One byte past the cap is enough for URL to see a link too long.
	s, ok := d.cl.URL(string(b[:min(len(b), untrusted.MaxURL+1)]))
	if !ok {
		*d.links++
	}
	*u = link(s)
	return nil
}

// group reads the trigger's test_group_run.
func (d *decoder) group(dec *jsontext.Decoder, g *GroupRun) error {
	d.om, d.base = &g.Omitted, ""
	var w wireGroup
	err := json.UnmarshalDecode(dec, &w, d.opts)
	g.ID, g.Name, g.Status, g.Runs = int64(w.ID), untrusted.Text(w.Name), untrusted.Text(w.Status), w.Runs
	return err
}

// runs reads the trigger's test_runs. A run without an id cannot be polled:
// its blueprint then counts as missing. One listed twice is kept once.
func (d *decoder) runs(dec *jsontext.Decoder, l *runList) error {
	switch k := dec.PeekKind(); k {
	case 'n':
		return dec.SkipValue()
	case '[':
	default:
		return fmt.Errorf("%w: %s, want an array", errBadType, kindName(k))
	}
	om, outer := d.om, d.base
	base := string(dec.StackPointer())
	seen := make(map[int64]bool)
	err := each(dec, func(i int) error {
		var r TestRun
		err := d.run(dec, &r, base+"/"+strconv.Itoa(i))
		if err == nil && r.ID > 0 && !seen[r.ID] {
			seen[r.ID] = true
			*l = append(*l, r)
		}
		return err
	})
	d.om, d.base = om, outer
	return err
}

// run reads one test run object; its dropped fields are named from base,
// the run's JSON pointer.
func (d *decoder) run(dec *jsontext.Decoder, r *TestRun, base string) error {
	d.om, d.base, d.links, d.budget = &r.Omitted, base, &r.Omitted.Links, d.lim.RunBytes
	var w wireRun
	err := json.UnmarshalDecode(dec, &w, d.opts)
	r.ID, r.Status, r.BlueprintID, r.GroupRunID = int64(w.ID), untrusted.Text(w.Status), int64(w.BlueprintID), int64(w.GroupRunID)
	r.Title, r.StepCount = untrusted.Text(w.Metadata.Title), int(w.Metadata.Steps)
	r.Steps, r.Omitted.Steps, r.Retries = w.Results.steps, w.Results.notShown, w.Attempts
	r.VideoURL = untrusted.URL(cmp.Or(w.Video, w.Download))
	r.CreatedAt, r.UpdatedAt = time.Time(w.CreatedAt), time.Time(w.UpdatedAt)
	return err
}

// stepCount counts the blueprint's steps; nothing of them is kept.
func (d *decoder) stepCount(dec *jsontext.Decoder, n *stepCount) error {
	if ok, err := d.open(dec, '['); !ok {
		return err
	}
	return each(dec, func(int) error {
		*n++
		return dec.SkipValue()
	})
}

// stepOverhead is what a kept step costs beyond its texts and links.
const stepOverhead = 128

// steps reads a results array. Steps are kept while the per-attempt cap
// and the run's byte budget allow; the first failing step is kept anyway,
// and the rest are only counted.
func (d *decoder) steps(dec *jsontext.Decoder, l *stepList) error {
	if ok, err := d.open(dec, '['); !ok {
		return err
	}
	failKept, full := false, false
	return each(dec, func(i int) error {
		if full && failKept {
			l.notShown++
			return dec.SkipValue()
		}
		s := Step{Number: i + 1}
		var w wireStep
		links, outer := 0, d.links
		d.links = &links
		var err error
		if dec.PeekKind() == '{' {
			err = json.UnmarshalDecode(dec, &w, d.opts)
		} else {
			err = d.drop(dec)
		}
		d.links = outer
		if err != nil {
			return err
		}
		if w.Number > 0 {
			s.Number = int(w.Number)
		}
		// A step without a readable is_successful is not known to be good.
		s.Task, s.OK, s.Result, s.Duration = untrusted.Text(w.Task), bool(w.OK), untrusted.Text(w.Result), time.Duration(w.Duration)
		s.Screenshots, s.ScreenshotsBefore = w.Actions.after, w.Actions.before
		cost := stepOverhead + len(s.Task) + len(s.Result)
		for _, u := range slices.Concat(s.Screenshots, s.ScreenshotsBefore) {
			cost += len(u)
		}
		// Past the caps, only why the run failed is kept.
		if fits := !full && len(l.steps) < d.lim.Steps && cost <= d.budget; !fits && (s.OK || failKept) {
			full = true
			l.notShown++
			return nil
		}
		d.budget -= cost
		failKept = failKept || !s.OK
		// Links dropped from a step not kept are not worth a mention.
		*d.links += links
		l.steps = append(l.steps, s)
		return nil
	})
}

// actions reads a step's actions for their screenshot links:
// screenshot_url is the page after the action, and screenshot_url_before
// (newer API pages) the page before it.
func (d *decoder) actions(dec *jsontext.Decoder, l *actions) error {
	if ok, err := d.open(dec, '['); !ok {
		return err
	}
	keep := func(into *[]untrusted.URL, u link) {
		if u != "" && len(*into) >= d.lim.Links {
			*d.links++
		} else if u != "" {
			*into = append(*into, untrusted.URL(u))
		}
	}
	return each(dec, func(int) error {
		if dec.PeekKind() != '{' {
			return d.drop(dec)
		}
		var a wireAction
		err := json.UnmarshalDecode(dec, &a, d.opts)
		keep(&l.after, a.After)
		keep(&l.before, a.Before)
		return err
	})
}

// attempts reads additional_attempts, DocketQA's own earlier attempts.
func (d *decoder) attempts(dec *jsontext.Decoder, l *[]Retry) error {
	if ok, err := d.open(dec, '['); !ok {
		return err
	}
	return each(dec, func(int) error {
		if len(*l) >= d.lim.Attempts {
			d.om.Attempts++
			return dec.SkipValue()
		}
		if dec.PeekKind() != '{' {
			return d.drop(dec)
		}
		var a wireAttempt
		err := json.UnmarshalDecode(dec, &a, d.opts)
		*l = append(*l, Retry{Steps: a.Results.steps, StepsNotShown: a.Results.notShown, VideoURL: untrusted.URL(a.Video)})
		return err
	})
}

// getAnswer reads a GET /test_run/{id} answer: {"test_run": {...}}.
func (d *decoder) getAnswer() (*TestRun, error) {
	var a runAnswer
	if err := d.decode(&a); err != nil {
		return nil, err
	}
	if a.Run == nil {
		return nil, errors.New(`no "test_run" object`)
	}
	return a.Run, nil
}

// triggerAnswer reads the trigger answer: {"test_group_run": {...}}.
func (d *decoder) triggerAnswer() (*GroupRun, error) {
	var a groupAnswer
	if err := d.decode(&a); err != nil {
		return nil, err
	}
	if a.Group == nil || a.Group.ID <= 0 {
		return nil, errors.New(`no "test_group_run" with an id in the answer`)
	}
	return a.Group, nil
}

func kindName(k jsontext.Kind) string {
	if s, ok := map[jsontext.Kind]string{'n': "null", 't': "a boolean", 'f': "a boolean", '"': "a string",
		'0': "a number", '{': "an object", '[': "an array"}[k]; ok {
		return s
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
