package hostile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Member is one name/value pair of a JSON object, in document order.
type Member struct {
	Name  string
	Value any
}

// Object is a JSON object as ParseStrict returns it: its members in order,
// names exactly as sent (after unescaping), nothing merged or folded.
type Object []Member

// Get returns the value of the member named exactly name, and whether there
// is one. ParseStrict guarantees there is at most one.
func (o Object) Get(name string) (any, bool) {
	for _, m := range o {
		if m.Name == name {
			return m.Value, true
		}
	}
	return nil, false
}

// ParseStrict parses one JSON document with no leniency at all: exactly one
// value (nothing but whitespace after it), and no object anywhere with two
// members of the same name. Objects come back as Object, arrays as []any,
// numbers as json.Number, and strings, booleans and null as string, bool
// and nil.
//
// It is the test suite's own judge of what an answer says, independent of
// the gate's decoder: encoding/json's Unmarshal would fold case and let the
// last duplicate win, which is exactly what a hostile answer exploits.
func ParseStrict(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var obj Object
			seen := make(map[string]bool)
			for dec.More() {
				nt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				name, ok := nt.(string)
				if !ok {
					return nil, fmt.Errorf("object member name %v is not a string", nt)
				}
				if seen[name] {
					return nil, fmt.Errorf("duplicate object member %q", name)
				}
				seen[name] = true
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				obj = append(obj, Member{Name: name, Value: v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			if obj == nil {
				obj = Object{}
			}
			return obj, nil
		case '[':
			list := []any{}
			for dec.More() {
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return list, nil
		default:
			return nil, fmt.Errorf("unexpected %v", t)
		}
	default:
		return t, nil
	}
}

// ServedPass reports whether a served answer says, beyond any doubt, that
// test run runID of blueprint blueprintID passed: a 2xx answer whose body
// ParseStrict accepts, whose top-level object has a member named exactly
// "test_run" holding an object with a member named exactly "status" whose
// value is the string "passed", exactly. An "id" or "test_blueprint_id"
// member, when present and not null, must name the same run and blueprint
// (as a number, or a string holding one). Case variants such as "Status"
// or "TEST_RUN" are other members and decide nothing. The reason says why
// an answer is not a pass.
func ServedPass(a Answer, runID, blueprintID int64) (bool, string) {
	if a.Drop || a.Reset {
		return false, "no answer"
	}
	if a.Status != 0 && (a.Status < 200 || a.Status > 299) {
		return false, fmt.Sprintf("HTTP %d", a.Status)
	}
	doc, err := ParseStrict([]byte(a.Body))
	if err != nil {
		return false, "not strict JSON: " + err.Error()
	}
	top, ok := doc.(Object)
	if !ok {
		return false, "not an object"
	}
	v, ok := top.Get("test_run")
	if !ok {
		return false, `no "test_run"`
	}
	run, ok := v.(Object)
	if !ok {
		return false, `"test_run" is not an object`
	}
	if st, _ := run.Get("status"); st != "passed" {
		return false, fmt.Sprintf("status is %#v", st)
	}
	for _, id := range []struct {
		name string
		want int64
	}{{"id", runID}, {"test_blueprint_id", blueprintID}} {
		v, ok := run.Get(id.name)
		if !ok || v == nil {
			continue
		}
		if got, ok := number(v); !ok || got != id.want {
			return false, fmt.Sprintf("%s is %v, want %d", id.name, v, id.want)
		}
	}
	return true, ""
}

// number reads an id given as a JSON integer or a string holding one.
func number(v any) (int64, bool) {
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = strings.TrimSpace(t)
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// TriggerRuns strictly reads a served trigger answer and returns its test
// runs as (run id, blueprint id) pairs, in order. It is the test suite's
// record of which runs the gate must account for.
func TriggerRuns(a Answer) ([][2]int64, error) {
	if a.Drop || a.Reset || (a.Status != 0 && (a.Status < 200 || a.Status > 299)) {
		return nil, errors.New("no successful trigger answer")
	}
	doc, err := ParseStrict([]byte(a.Body))
	if err != nil {
		return nil, err
	}
	top, _ := doc.(Object)
	g, _ := top.Get("test_group_run")
	group, ok := g.(Object)
	if !ok {
		return nil, errors.New(`no "test_group_run" object`)
	}
	tr, _ := group.Get("test_runs")
	list, ok := tr.([]any)
	if !ok {
		return nil, errors.New(`no "test_runs" list`)
	}
	var out [][2]int64
	for _, item := range list {
		run, ok := item.(Object)
		if !ok {
			return nil, errors.New("a test run is not an object")
		}
		idv, _ := run.Get("id")
		bpv, _ := run.Get("test_blueprint_id")
		id, ok1 := number(idv)
		bp, ok2 := number(bpv)
		if !ok1 || !ok2 {
			return nil, errors.New("a test run lacks an integer id or test_blueprint_id")
		}
		out = append(out, [2]int64{id, bp})
	}
	return out, nil
}
