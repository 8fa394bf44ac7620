package config

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// pathSettings are the settings that name a file the gate reads or writes.
// They must all differ, and none may be a symbolic link. A new report path
// (history, artifacts) belongs here.
var pathSettings = []string{sJUnit, sSummary, sDotenv, sResultsJSON, sDetach, sAttach, sArtifactsDir, sHistory}

// readOnlySettings name files the gate only reads and that no report may
// overwrite. They are not refused as links: nothing is ever written
// through them.
var readOnlySettings = []string{sConfig}

// flagError turns package flag's error into a message that names the flag
// the way users type it (with two dashes), suggests the closest known flag
// for a typo and says when a value is missing. The --help hint is left to
// the caller, which prints it once after all problems.
func (l *loader) flagError(err error) {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		shown := l.flagText(name)
		if best := closest(name, l.flagNames()); best != "" {
			l.problemf("unknown flag %s: did you mean --%s?", shown, best)
		} else {
			l.problemf("unknown flag %s", shown)
		}
		return
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		name = strings.TrimLeft(name, "-")
		for _, s := range l.specs {
			if s.flagName() == name {
				l.bad[s.Name] = true
				l.problemf("%s has no value: write %s %s", s.Flag, s.Flag, s.arg)
				return
			}
		}
	}
	if l.secrets().Contains(msg) {
		msg = "bad flag " + redacted
	}
	l.problemf("%s", msg)
}

// flagText shows a flag name from the command line in a message: with two
// dashes, quoted when it holds anything but letters, digits, "-", "_" and
// ".", and never the key.
func (l *loader) flagText(name string) string {
	if l.secrets().Contains(name) {
		return redacted
	}
	if strings.IndexFunc(name, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) >= 0 {
		return strconv.Quote("--" + name)
	}
	return "--" + name
}

// flagNames lists the names registered with package flag.
func (l *loader) flagNames() []string {
	var names []string
	for _, s := range l.specs {
		if n := s.flagName(); n != "" {
			names = append(names, n)
		}
	}
	return append(names, "help")
}

// missingValues reports a flag whose value is another flag, as in
// "--blueprint-ids --dry-run": package flag takes "--dry-run" as the ids,
// and saying that it is not a positive id would miss the point.
func (l *loader) missingValues() {
	known := l.flagNames()
	for _, s := range l.specs {
		f := l.flags[s.Name]
		if f == nil || f.isBool {
			continue
		}
		v := strings.TrimSpace(f.value)
		if !strings.HasPrefix(v, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(v, "-"), "=")
		for _, k := range known {
			if name == k {
				l.bad[s.Name] = true
				l.problemf("%s has no value: the next argument, --%s, is a flag; write %s %s", s.Flag, k, s.Flag, s.arg)
				break
			}
		}
	}
}

// debugMode resolves debug logging from the debug setting's value: on when
// asked for, and also when GitHub re-runs a job with debug logging
// (RUNNER_DEBUG=1), unless the user turned it off explicitly.
func (l *loader) debugMode(asked bool) (on, fromRunner bool) {
	if l.get(sDebug).set() {
		return asked, false
	}
	if r := strings.TrimSpace(l.getenv("RUNNER_DEBUG")); r == "1" || strings.EqualFold(r, "true") {
		return true, true
	}
	return asked, false
}

func (l *loader) debug() (on, fromRunner bool) {
	return l.debugMode(l.boolean(sDebug))
}

// checkBareTimeout warns about a --timeout of whole seconds below a
// minute: "--timeout 30" almost always means 30 minutes.
func (l *loader) checkBareTimeout() {
	v := l.get(sTimeout)
	if l.bad[sTimeout] || v.raw == "" || strings.Trim(v.raw, "0123456789") != "" {
		return
	}
	if n, err := strconv.Atoi(v.raw); err == nil && n < 60 {
		l.warnings = append(l.warnings, fmt.Sprintf("%s%s: %d is read as %d seconds; write %dm for minutes",
			v.label(), v.from(), n, n, n))
	}
}

// progressInterval returns the period of the "still waiting" line, no
// shorter than the poll interval: nothing new can be known more often,
// and a tiny value would flood the log. A default gives way to a longer
// poll interval; a value the user gave is an error.
func (l *loader) progressInterval(poll time.Duration) time.Duration {
	d := l.duration(sProgressInterval)
	if l.bad[sProgressInterval] || poll <= 0 || d >= poll {
		return d
	}
	v := l.get(sProgressInterval)
	if !v.set() {
		return poll
	}
	pv := l.get(sPollInterval)
	l.bad[sProgressInterval] = true
	l.problemf("invalid %s %s%s: it is shorter than %s %s, and nothing new is known between two checks; use at least %s",
		v.label(), l.quote(v.raw), v.from(), pv.label(), poll, poll)
	return 0
}

// checkPaths runs the checks of every file the gate reads or writes.
func (l *loader) checkPaths() {
	l.pathsChecked = true
	for _, name := range pathSettings {
		if v := l.get(name); !l.bad[name] && invisible(v.raw) {
			l.bad[name] = true
			l.problemf("invalid %s %s%s: %s", v.label(), l.quote(v.raw), v.from(), invisibleFix)
		}
	}
	l.checkFiles()
	l.checkLinks()
}

// invisible reports whether a path holds a control character (a line
// break, a tab, an escape), an invisible format character (a zero-width
// space, a direction override), a line or paragraph separator, or bytes
// that are not UTF-8. The file would get a name unlike the one the
// outputs, the log and the summary show ("j\nDOCKETQA_VERDICT=passed.xml"
// shows as two lines), and a later step would look for another file.
func invisible(path string) bool {
	return !utf8.ValidString(path) || strings.IndexFunc(path, func(r rune) bool {
		return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
	}) >= 0
}

// invisibleFix says what a path may hold instead.
const invisibleFix = "it holds a line break, a tab, another control character, an invisible format character " +
	"(such as a zero-width space or a direction mark) or bytes that are not UTF-8; " +
	"give a path of visible characters only"

// checkLinks refuses a report or manifest path whose last component is a
// symbolic link, before anything is triggered: a link committed to the
// repository (summary.md -> /proc/self/environ) would otherwise make the
// gate read or write through it, leaking the environment into a report or
// overwriting a file elsewhere. Symlinked parent directories are fine
// (Jenkins workspaces and macOS temporary folders use them), and the
// runner's own $GITHUB_STEP_SUMMARY is exempt.
//
// The polling history is exempt: it is a cache, and a link a cache restore
// left there gives a warning and a cold start, never a failure; the next
// save replaces the link without writing through it.
func (l *loader) checkLinks() {
	for _, name := range pathSettings {
		v := l.get(name)
		if v.raw == "" || v.fromRunner() || l.bad[name] || name == sHistory {
			continue
		}
		// Clean drops a trailing slash, which would make Lstat follow the
		// link to its target.
		// A missing file is the usual case; any other error (an unreadable
		// parent) surfaces when the file is written.
		fi, err := l.lstat(filepath.Clean(v.raw))
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			l.bad[name] = true
			l.problemf("invalid %s %s%s: it is a symbolic link, and the gate never reads or writes a report through one "+
				"(it could point at a secret); remove the link or give the path of a regular file",
				v.label(), l.quote(v.raw), v.from())
		}
	}
}

// sources lists every setting's resolved value and origin, for the debug
// log, without the key.
func (l *loader) sources() []Resolved {
	var out []Resolved
	for _, s := range l.specs {
		if s.Name == sHelp || s.Name == sVersion {
			continue
		}
		v := l.get(s.Name)
		r := Resolved{Name: s.Name, Value: v.raw, Source: v.kind, From: v.source}
		if v.kind == SourceFlag {
			r.From = s.Flag
		}
		if s.Secret || l.secrets().Contains(v.raw) {
			if r.Value != "" {
				r.Value = redacted
			}
		}
		if s.Name == sDebug && !v.set() {
			if on, runner := l.debugMode(false); on && runner {
				r.Value, r.Source, r.From = "true", SourceEnv, "RUNNER_DEBUG"
			}
		}
		out = append(out, r)
	}
	return out
}

// closest returns the candidate nearest to name by edit distance, or ""
// when none is near enough to be a plausible typo: at most two edits, or a
// third of the name's length for long names.
func closest(name string, candidates []string) string {
	best, bestD := "", -1
	lname := strings.ToLower(name)
	for _, c := range candidates {
		d := editDistance(lname, c)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > max(2, len(name)/3) || bestD >= len(name) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, over bytes:
// setting names are ASCII.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
