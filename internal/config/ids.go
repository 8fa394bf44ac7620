package config

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseIDs parses a list of blueprint ids: positive decimal integers
// separated by commas and/or any whitespace (spaces, tabs, newlines, CRLF),
// so a one-line "181,182" and a YAML literal block ("181\n182\n") both work.
// Empty tokens are ignored. A line may start with a YAML list marker ("- "),
// because users paste block lists into literal blocks; a sign anywhere else
// is an error.
//
// ids holds each id once, in first-occurrence order. dups holds every
// repeated occurrence (an id listed three times appears twice), so the
// caller can warn. err names the first bad token and why it is bad.
func ParseIDs(s string) (ids, dups []int64, err error) {
	seen := make(map[int64]bool)
	for _, line := range strings.Split(s, "\n") {
		for _, tok := range strings.FieldsFunc(trimListMarker(line), isIDSeparator) {
			id, tokErr := parseID(tok)
			if tokErr != nil {
				return nil, nil, tokErr
			}
			if seen[id] {
				dups = append(dups, id)
				continue
			}
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, dups, nil
}

// trimListMarker drops a leading YAML list marker: "-" followed by
// whitespace or the end of the line. "-5" keeps its sign and is rejected.
func trimListMarker(line string) string {
	line = strings.TrimLeftFunc(line, unicode.IsSpace)
	rest, ok := strings.CutPrefix(line, "-")
	if !ok {
		return line
	}
	if r, _ := utf8.DecodeRuneInString(rest); rest == "" || unicode.IsSpace(r) {
		return rest
	}
	return line
}

func isIDSeparator(r rune) bool { return r == ',' || unicode.IsSpace(r) }

// parseID accepts only plain ASCII digits: strconv would also take a "+"
// sign, and a sign or a zero in an id list is a typo worth reporting.
func parseID(tok string) (int64, error) {
	bad := func(why string) (int64, error) {
		return 0, fmt.Errorf("%q is not a blueprint id: %s", tok, why)
	}
	switch {
	case tok[0] == '+':
		return bad(`write it without the "+"`)
	case tok[0] == '-':
		return bad("ids are positive")
	case strings.IndexFunc(tok, func(r rune) bool { return r < '0' || r > '9' }) >= 0:
		return bad("ids are whole numbers such as 181")
	}
	id, err := strconv.ParseInt(tok, 10, 64)
	if err != nil {
		// Only a range error is left once the token is all digits.
		return bad("it is too large")
	}
	if id == 0 {
		return bad("ids start at 1")
	}
	return id, nil
}
