package publish

import (
	"io"

	"github.com/docketqa-gate/docketqa-gate/internal/ci"
	"github.com/docketqa-gate/docketqa-gate/internal/config"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/report/junit"
	"github.com/docketqa-gate/docketqa-gate/internal/report/resultsjson"
	"github.com/docketqa-gate/docketqa-gate/internal/report/summary"
)

// Format is one report file the gate can write: one row of the table that
// publishing, the printed plan, the dry run's path checks and the reports
// of a configuration error all loop over. Adding a format is one file
// with its renderer plus one row in Formats.
type Format struct {
	// Kind names the report in the log and the plan ("JUnit report").
	Kind string
	// Setting names the flag and variable that give its file, for
	// messages; Flag alone is what the dry run's checks report.
	Setting, Flag string
	// Path is the file cfg names for it; "" when it is not written.
	Path func(cfg config.Config) string
	// Write renders in to w.
	Write func(w io.Writer, in Input) error
	// ConfigError renders a configuration error; nil when the format has
	// nothing to say about one.
	ConfigError func(w io.Writer, msg string) error
	// Append means the file is added to rather than replaced (the
	// summary, which the runner and earlier steps share).
	Append bool
	// Outputs marks the reports that carry the verdict for later pipeline
	// steps: they are written after every other, with the verdict a report
	// that could not be written leaves (result.Verdict.Unreported).
	Outputs bool
}

// Formats is the table of every report, in the order they are written.
func Formats() []Format {
	return []Format{
		{
			Kind: "JUnit report", Setting: "--junit / DOCKETQA_JUNIT", Flag: "--junit",
			Path: func(c config.Config) string { return c.JUnitPath },
			Write: func(w io.Writer, in Input) error {
				return junit.Write(w, in.Verdict)
			},
			ConfigError: junit.WriteConfigError,
		},
		{
			Kind: "Markdown summary", Setting: "--summary / DOCKETQA_SUMMARY", Flag: "--summary",
			Path: func(c config.Config) string { return c.SummaryPath },
			Write: func(w io.Writer, in Input) error {
				_, err := io.WriteString(w, summary.Render(in.Verdict, summary.Options{Notes: in.Notes, Cause: in.Cause.What, Advice: in.Cause.Advice}))
				return err
			},
			ConfigError: func(w io.Writer, msg string) error {
				_, err := io.WriteString(w, summary.RenderConfigError(msg))
				return err
			},
			Append: true,
		},
		{
			Kind: "JSON results", Setting: "--results-json / DOCKETQA_RESULTS_JSON", Flag: "--results-json",
			Path: func(c config.Config) string { return c.ResultsJSONPath },
			Write: func(w io.Writer, in Input) error {
				return resultsjson.Write(w, in.Verdict)
			},
		},
		{
			Kind: "dotenv outputs", Setting: "--dotenv / DOCKETQA_DOTENV", Flag: "--dotenv",
			Path: func(c config.Config) string { return c.DotenvPath },
			Write: func(w io.Writer, in Input) error {
				c := in.Config
				_, err := w.Write(ci.Dotenv(ci.OutputsFrom(in.Verdict, c.JUnitPath, c.ResultsJSONPath)))
				return err
			},
			Outputs: true,
		},
	}
}

// Plan lists every report cfg asks for, configured or not, for the printed
// plan.
func Plan(cfg config.Config) []event.Report {
	var out []event.Report
	for _, f := range Formats() {
		out = append(out, event.Report{Kind: f.Kind, Path: f.Path(cfg)})
	}
	return out
}

// Paths lists every file cfg will write, for the dry run's checks: each
// configured report, then the --detach manifest, which is written too but
// is no report of a verdict. The --artifacts-dir directory is no file: an
// existing one is what a real run wants (see config.CheckDir).
func Paths(cfg config.Config) []config.ReportPath {
	var out []config.ReportPath
	add := func(flag, path string) {
		if path != "" {
			out = append(out, config.ReportPath{Setting: flag, Path: path})
		}
	}
	for _, f := range Formats() {
		add(f.Flag, f.Path(cfg))
	}
	add("--detach", cfg.Detach)
	return out
}
