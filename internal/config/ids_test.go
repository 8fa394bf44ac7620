package config

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseIDs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		in       string
		ids      []int64
		dups     []int64
		errToken string // the token the error must quote; "" means no error
	}{
		{name: "empty", in: ""},
		{name: "only separators", in: " ,\t,\n\r\n, "},
		{name: "single", in: "181", ids: []int64{181}},
		{name: "commas", in: "181,182,7", ids: []int64{181, 182, 7}},
		{name: "commas and spaces", in: "181, 182 ,  7", ids: []int64{181, 182, 7}},
		{name: "spaces only", in: "181 182", ids: []int64{181, 182}},
		{name: "tabs", in: "181\t182", ids: []int64{181, 182}},
		{name: "newlines", in: "181\n182", ids: []int64{181, 182}},
		{name: "crlf", in: "181\r\n182\r\n", ids: []int64{181, 182}},
		{name: "yaml literal block", in: "181\n182\n183\n", ids: []int64{181, 182, 183}},
		{name: "yaml block list in literal block", in: "- 181\n- 182\n  -\t183\n", ids: []int64{181, 182, 183}},
		{name: "bare list marker line", in: "-\n181", ids: []int64{181}},
		{name: "empty tokens", in: ",,181,,,182,", ids: []int64{181, 182}},
		{name: "leading zeros", in: "0181", ids: []int64{181}},
		{name: "max int64", in: "9223372036854775807", ids: []int64{9223372036854775807}},
		{name: "duplicate", in: "181,182,181", ids: []int64{181, 182}, dups: []int64{181}},
		{name: "triple keeps first order", in: "5 3 5 3 5", ids: []int64{5, 3}, dups: []int64{5, 3, 5}},
		{name: "same id written twice differently", in: "181,0181", ids: []int64{181}, dups: []int64{181}},
		{name: "plus sign", in: "181,+182", errToken: "+182"},
		{name: "zero", in: "0", errToken: "0"},
		{name: "all zeros", in: "000", errToken: "000"},
		{name: "negative", in: "181,-5", errToken: "-5"},
		{name: "negative at line start", in: "-5\n181", errToken: "-5"},
		{name: "marker then negative", in: "- -5", errToken: "-5"},
		{name: "stray dash between ids", in: "181, - 182", errToken: "-"},
		{name: "letters", in: "181,abc", errToken: "abc"},
		{name: "digits then letters", in: "181x", errToken: "181x"},
		{name: "decimal", in: "1.5", errToken: "1.5"},
		{name: "hex", in: "0x1F", errToken: "0x1F"},
		{name: "semicolon", in: "181;182", errToken: "181;182"},
		{name: "yaml flow list", in: "[181, 182]", errToken: "[181"},
		{name: "unicode digits", in: "١٢", errToken: "١٢"},
		{name: "overflow", in: "9223372036854775808", errToken: "9223372036854775808"},
		{name: "first bad token wins", in: "x,y", errToken: "x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ids, dups, err := ParseIDs(tc.in)
			if tc.errToken != "" {
				if err == nil {
					t.Fatalf("ParseIDs(%q) = %v, want an error", tc.in, ids)
				}
				if want := strconv.Quote(tc.errToken); !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name the token %s", err, want)
				}
				if ids != nil || dups != nil {
					t.Errorf("got ids %v dups %v alongside an error, want none", ids, dups)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseIDs(%q): unexpected error: %v", tc.in, err)
			}
			if !reflect.DeepEqual(ids, tc.ids) {
				t.Errorf("ids = %v, want %v", ids, tc.ids)
			}
			if !reflect.DeepEqual(dups, tc.dups) {
				t.Errorf("dups = %v, want %v", dups, tc.dups)
			}
		})
	}
}

func FuzzParseIDs(f *testing.F) {
	for _, seed := range []string{
		"", "181", "181,182", "181 182\t183\n184\r\n", "- 181\n- 182\n", "181,181,181",
		"+1", "-1", "0", "abc", "9223372036854775807", "9223372036854775808", "[1,2]", "-", "- -",
		"1,\u00a02", "\xff", "0181",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, dups, err := ParseIDs(s)
		if err != nil {
			if ids != nil || dups != nil {
				t.Fatalf("ParseIDs(%q) returned ids %v dups %v with error %v", s, ids, dups, err)
			}
			return
		}
		seen := make(map[int64]bool)
		for _, id := range ids {
			if id <= 0 {
				t.Fatalf("ParseIDs(%q) returned non-positive id %d", s, id)
			}
			if seen[id] {
				t.Fatalf("ParseIDs(%q) returned id %d twice", s, id)
			}
			seen[id] = true
		}
		for _, id := range dups {
			if !seen[id] {
				t.Fatalf("ParseIDs(%q) reported duplicate %d that is not among the ids %v", s, id, ids)
			}
		}
		// Writing the ids back out must give the same list and no duplicates.
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = strconv.FormatInt(id, 10)
		}
		again, againDups, err := ParseIDs(strings.Join(parts, ","))
		if err != nil || len(againDups) != 0 || !reflect.DeepEqual(again, ids) {
			t.Fatalf("round trip of %v gave %v, %v, %v", ids, again, againDups, err)
		}
	})
}
