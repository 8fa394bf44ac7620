package config

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/docketqa-gate/docketqa-gate/internal/safefile"
)

// fileValue is one setting read from the --config file.
type fileValue struct {
	raw  string
	line int
}

// readFile reads the --config file named by the flag, input or environment
// variable, into l.file. The file holds a mapping from setting names (the
// flags without their dashes) to scalars; a list such as blueprint-ids may
// also be a YAML sequence, which becomes the flag's comma-separated form.
// JSON is YAML, so a JSON object works as well. Paths in it are relative to
// the working directory, as on the command line, so the same text means the
// same file wherever it is written.
func (l *loader) readFile() {
	l.fileRead = true
	v := l.get(sConfig)
	if v.raw == "" {
		return
	}
	l.configFile = v.raw
	fail := func(format string, args ...any) {
		l.bad[sConfig] = true
		l.problemf("config file %s%s: %s", l.quote(v.raw), v.from(), fmt.Sprintf(format, args...))
	}
	if invisible(v.raw) {
		l.bad[sConfig] = true
		l.problemf("invalid %s %s%s: %s", v.label(), l.quote(v.raw), v.from(), invisibleFix)
		return
	}
	data, err := l.readF(v.raw)
	var fe *safefile.Error
	switch {
	case errors.As(err, &fe):
		fail("%s", fe.Reason())
		return
	case err != nil:
		fail("%v", err)
		return
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return // an empty file sets nothing
		}
		fail("%s", l.redact(err.Error()))
		return
	}
	if len(doc.Content) == 0 {
		return
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		fail("line %d: the file holds more than one YAML document; keep one", more.Line)
		return
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		fail("line %d: the file must be a mapping of settings, such as \"timeout: 45m\"", root.Line)
		return
	}
	byName := map[string]spec{}
	for _, s := range l.specs {
		if s.inFile() {
			byName[s.Name] = s
		}
	}
	l.file = make(map[string]fileValue)
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, val := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Anchor != "" {
			fail("line %d: setting names are plain words such as timeout", k.Line)
			continue
		}
		key := k.Value
		if line, dup := seen[key]; dup {
			fail("line %d: %s is already set on line %d; set it once", k.Line, l.quote(key), line)
			continue
		}
		seen[key] = k.Line
		s, ok := byName[key]
		switch {
		case key == sAPIKey || strings.EqualFold(key, "DOCKETQA_API_KEY") || strings.EqualFold(key, "DOCKET_API_KEY"):
			fail("line %d: the API key is refused in a file, which is committed and read by anyone with the repository; "+
				"set DOCKETQA_API_KEY (or action input api-key) from your CI's secret store", k.Line)
			continue
		case key == sGitHubToken || strings.EqualFold(key, "GITHUB_TOKEN"):
			fail("line %d: the GitHub token is refused in a file, which is committed and read by anyone with the repository; "+
				"the action passes the job's token (input github-token), elsewhere set GITHUB_TOKEN from your CI's secret store", k.Line)
			continue
		case !ok && l.known(key) && l.spec(key).withoutVerdict():
			fail("line %d: %s cannot be set in a config file: it lets the gate exit without a verdict, and the file is "+
				"committed and often changed by the pull request under test; set it with %s", k.Line, key, l.spec(key).where())
			continue
		case !ok && l.known(key) && l.spec(key).choosesRuns():
			fail("line %d: %s cannot be set in a config file: it decides which runs are judged, and the file is "+
				"committed and often changed by the pull request under test; set it with %s", k.Line, key, l.spec(key).where())
			continue
		case !ok && l.known(key):
			fail("line %d: %s cannot be set in a config file; give it as a flag", k.Line, key)
			continue
		case !ok:
			fail("line %d: unknown setting %s%s", k.Line, l.quote(key), suggestion(key, l.specs))
			continue
		}
		raw, why := scalarText(val, s)
		if why != "" {
			fail("line %d: %s: %s", val.Line, key, why)
			continue
		}
		if raw = strings.TrimSpace(raw); raw != "" {
			l.file[key] = fileValue{raw: raw, line: k.Line}
		}
	}
}

// suggestion names the setting closest to an unknown key, or says that
// there is none; an action input name (junit-path) points at its flag name
// (junit).
func suggestion(key string, specs []spec) string {
	var names []string
	alias := map[string]string{}
	for _, s := range specs {
		if !s.inFile() {
			continue
		}
		names = append(names, s.Name)
		if s.Input != "" && s.Input != s.Name {
			names = append(names, s.Input)
			alias[s.Input] = s.Name
		}
	}
	best := closest(key, names)
	if best == "" {
		return "; the keys are the flag names without their dashes"
	}
	if flagName, ok := alias[best]; ok {
		return fmt.Sprintf("; did you mean %q? (the action input %s is called %s in a file)", flagName, best, flagName)
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// scalarText turns a value node into the text a flag would hold: a
// scalar as written, a sequence of scalars (for id lists) joined by
// commas. It says why when the node fits neither.
func scalarText(n *yaml.Node, s spec) (string, string) {
	// An anchor is refused like the alias it exists for: a value is
	// written where it is used, so each line reads on its own.
	if n.Anchor != "" {
		return "", "YAML anchors are not supported; write the value"
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "", ""
		}
		return n.Value, ""
	case yaml.SequenceNode:
		if s.arg != "IDS" {
			return "", "a list is allowed only for id lists such as blueprint-ids"
		}
		parts := make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode || item.Anchor != "" {
				return "", "list items must be plain ids such as 181"
			}
			parts = append(parts, item.Value)
		}
		return strings.Join(parts, ","), ""
	case yaml.AliasNode:
		return "", "YAML aliases are not supported; write the value"
	}
	return "", "use a plain value, such as timeout: 45m"
}

// redact removes the key, in any letter case, from a message about the
// file, since a parse error can quote a line of it.
func (l *loader) redact(msg string) string {
	return l.secrets().Redact(msg)
}

// known reports whether name is a setting at all.
func (l *loader) known(name string) bool {
	return slices.ContainsFunc(l.specs, func(s spec) bool { return s.Name == name })
}
