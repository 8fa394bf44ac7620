// Package publish writes everything a finished gate leaves behind, each a
// rendering of the Judge's one result.Verdict, from one table of report
// formats (Formats): the JUnit report, the Markdown summary, the
// JSON results, the GitLab dotenv file and the GitHub step outputs. It
// prints nothing: what it wrote, and what it could not write, comes back as
// a list for the caller to report.
package publish

import (
	"bytes"
	"fmt"
	"io"

	"github.com/docketqa-gate/docketqa-gate/internal/atomicfile"
	"github.com/docketqa-gate/docketqa-gate/internal/ci"
	"github.com/docketqa-gate/docketqa-gate/internal/config"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/manifest"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// appendTo adds text to the file at path: in place when the runner owns
// it (its $GITHUB_STEP_SUMMARY, which it reads), else by an atomic replace.
func appendTo(path string, fromRunner bool, text []byte) error {
	if fromRunner {
		return atomicfile.AppendShared(path, text)
	}
	return atomicfile.Append(path, text)
}

// OutputSetter is where step outputs go: the GitHub sink, which does nothing
// off GitHub.
type OutputSetter interface {
	SetOutputs(ci.Outputs) error
}

// Written is one report: where it went, or why it could not be written.
// Err names the setting, so the user knows what to fix.
type Written struct {
	Kind, Path string
	Err        error
}

// Input is what every format renders: the Judge's verdict, the
// configuration (the formats that point at each other's files read their
// paths there), and what explains the verdict.
type Input struct {
	Verdict result.Verdict
	Config  config.Config
	// Cause is why runs got no verdict, when one reason explains them:
	// the summary's headline names it, with its advice.
	Cause event.Cause
	// Notes are lines the summary shows under its heading, such as which
	// config file set the policies.
	Notes []string
}

// Reports writes every configured report of the table (Formats) for in,
// then the GitHub step outputs. It writes each one whatever happened to the
// others, and returns them all. The outputs come last: when a report file
// could not be written they carry the verdict the exit code will have
// (result.Verdict.Unreported), so they never say passed while the gate
// exits 3.
func Reports(in Input, outs OutputSetter) []Written {
	var w []Written
	cfg := in.Config
	// The reports first, then those that carry the verdict onwards.
	for _, outputs := range []bool{false, true} {
		if outputs && Failed(w) {
			in.Verdict = in.Verdict.Unreported()
		}
		for _, f := range Formats() {
			path := f.Path(cfg)
			if path == "" || f.Outputs != outputs {
				continue
			}
			w = append(w, file(f.Kind, path, f.Setting, func() error {
				return write(f, path, cfg.SummaryFromRunner, func(out io.Writer) error { return f.Write(out, in) })
			}))
		}
	}
	if Failed(w) {
		in.Verdict = in.Verdict.Unreported()
	}
	if err := outs.SetOutputs(ci.OutputsFrom(in.Verdict, cfg.JUnitPath, cfg.ResultsJSONPath)); err != nil {
		w = append(w, Written{Kind: "GitHub step outputs", Path: "$GITHUB_OUTPUT", Err: fmt.Errorf("GitHub outputs: %w", err)})
	}
	return w
}

// write renders one report to its file: streamed through an atomic
// replace (with 10,000 runs a buffered copy would double the gate's peak
// memory), or rendered and appended for a format that appends.
func write(f Format, path string, fromRunner bool, render func(io.Writer) error) error {
	if !f.Append {
		return atomicfile.WriteFunc(path, render)
	}
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return err
	}
	return appendTo(path, fromRunner, b.Bytes())
}

// WriteOutputs writes o as the GitLab dotenv file (when configured) and as
// GitHub step outputs (when running there).
func WriteOutputs(o ci.Outputs, dotenv string, outs OutputSetter) []Written {
	var w []Written
	if dotenv != "" {
		w = append(w, file("dotenv outputs", dotenv, "--dotenv / DOCKETQA_DOTENV", func() error {
			return ci.WriteDotenv(dotenv, o)
		}))
	}
	if err := outs.SetOutputs(o); err != nil {
		w = append(w, Written{Kind: "GitHub step outputs", Path: "$GITHUB_OUTPUT", Err: fmt.Errorf("GitHub outputs: %w", err)})
	}
	return w
}

// Manifest writes the --detach manifest, authenticated with key (see
// manifest.Marshal).
func Manifest(path string, m manifest.Manifest, key string) Written {
	return file("manifest", path, "--detach / DOCKETQA_DETACH", func() error {
		b, err := manifest.Marshal(m, key)
		if err != nil {
			return err
		}
		return atomicfile.Write(path, b)
	})
}

// ConfigError writes the reports of a configuration error, so a CI that
// reads the JUnit file (Jenkins' junit step in post/always, GitLab's test
// tab) shows the error instead of "no test report found": every format of
// the table that has a rendering for it (a JUnit report with one <error>
// case, the summary). An empty path (not configured, or itself the
// problem) is skipped.
func ConfigError(cfg config.Config, msg string) []Written {
	var w []Written
	for _, f := range Formats() {
		path := f.Path(cfg)
		if path == "" || f.ConfigError == nil {
			continue
		}
		w = append(w, file(f.Kind, path, f.Setting, func() error {
			return write(f, path, cfg.SummaryFromRunner, func(out io.Writer) error { return f.ConfigError(out, msg) })
		}))
	}
	return w
}

// Failed reports whether any report could not be written.
func Failed(w []Written) bool {
	for _, r := range w {
		if r.Err != nil {
			return true
		}
	}
	return false
}

func file(kind, path, setting string, write func() error) Written {
	if err := write(); err != nil {
		return Written{Kind: kind, Path: path, Err: fmt.Errorf("%s (%s): %w", kind, setting, err)}
	}
	return Written{Kind: kind, Path: path}
}
