// Package publish writes everything a finished gate leaves behind, from one
// result set and its one tally: the JUnit report, the Markdown summary, the
// JSON results, the GitLab dotenv file and the GitHub step outputs. It
// prints nothing: what it wrote, and what it could not write, comes back as
// a list for the caller to report.
package publish

import (
	"fmt"
	"io"

	"github.com/docketqa-gate/docketqa-gate/internal/atomicfile"
	"github.com/docketqa-gate/docketqa-gate/internal/ci"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/manifest"
	"github.com/docketqa-gate/docketqa-gate/internal/report/junit"
	"github.com/docketqa-gate/docketqa-gate/internal/report/resultsjson"
	"github.com/docketqa-gate/docketqa-gate/internal/report/summary"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// Paths are the configured report files; an empty path is not written
// (the JUnit path is never empty).
type Paths struct {
	JUnit, Summary, ResultsJSON, Dotenv string
	// SummaryFromRunner says Summary is the runner's $GITHUB_STEP_SUMMARY:
	// appended to in place, since the runner owns (and reads) that file.
	SummaryFromRunner bool
	// SummaryNotes are lines the summary shows under its heading (see
	// summary.Options.Notes).
	SummaryNotes []string
	// Cause is why runs got no verdict, when one reason explains them:
	// the summary's headline names it, with its advice.
	Cause event.Cause
}

// appendSummary adds text to the summary file.
func (p Paths) appendSummary(text string) error {
	if p.SummaryFromRunner {
		return atomicfile.AppendShared(p.Summary, []byte(text))
	}
	return atomicfile.Append(p.Summary, []byte(text))
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

// Reports writes every configured report for set, whose tally is t. It
// writes each one whatever happened to the others, and returns them all.
func Reports(set result.Set, t result.Tally, p Paths, outs OutputSetter) []Written {
	var w []Written
	// Reports stream to their files: with 10,000 runs a buffered copy of
	// each would double the gate's peak memory.
	w = append(w, file("JUnit report", p.JUnit, "--junit / DOCKETQA_JUNIT", func() error {
		return atomicfile.WriteFunc(p.JUnit, func(out io.Writer) error { return junit.Write(out, set) })
	}))
	if p.Summary != "" {
		w = append(w, file("Markdown summary", p.Summary, "--summary / DOCKETQA_SUMMARY", func() error {
			return p.appendSummary(summary.Render(set, summary.Options{Notes: p.SummaryNotes, Cause: p.Cause.What, Advice: p.Cause.Advice}))
		}))
	}
	if p.ResultsJSON != "" {
		w = append(w, file("JSON results", p.ResultsJSON, "--results-json / DOCKETQA_RESULTS_JSON", func() error {
			return atomicfile.WriteFunc(p.ResultsJSON, func(out io.Writer) error { return resultsjson.Write(out, set) })
		}))
	}
	return append(w, WriteOutputs(ci.OutputsFrom(set, t, p.JUnit, p.ResultsJSON), p.Dotenv, outs)...)
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

// Manifest writes the --detach manifest, authenticated with a MAC under
// the API key (see package manifest).
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
// tab) shows the error instead of "no test report found": a JUnit report
// with one <error> case, and the summary when one is configured. An empty
// path (not configured, or itself the problem) is skipped.
func ConfigError(p Paths, msg string) []Written {
	var w []Written
	if p.JUnit != "" {
		w = append(w, file("JUnit report", p.JUnit, "--junit / DOCKETQA_JUNIT", func() error {
			return atomicfile.WriteFunc(p.JUnit, func(out io.Writer) error { return junit.WriteConfigError(out, msg) })
		}))
	}
	if p.Summary != "" {
		w = append(w, file("Markdown summary", p.Summary, "--summary / DOCKETQA_SUMMARY", func() error {
			return p.appendSummary(summary.RenderConfigError(msg))
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
