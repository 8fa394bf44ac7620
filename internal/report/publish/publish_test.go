package publish

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/ci"
	"github.com/docketqa-gate/docketqa-gate/internal/config"
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	_ "github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

// outputs records the step outputs it is given.
type outputs struct {
	got []ci.Outputs
	err error
}

func (o *outputs) SetOutputs(v ci.Outputs) error {
	o.got = append(o.got, v)
	return o.err
}

func passedVerdict() result.Verdict {
	return result.Judge(result.Set{GroupRunID: 7, Runs: []result.Run{{BlueprintID: 1, RunID: 10, Title: "Login", Verdict: result.Passed}}},
		result.Policy{}, result.StopFinished)
}

func allPaths(dir string) config.Config {
	return config.Config{
		JUnitPath: filepath.Join(dir, "j.xml"), SummaryPath: filepath.Join(dir, "s.md"),
		ResultsJSONPath: filepath.Join(dir, "r.json"), DotenvPath: filepath.Join(dir, "d.env"),
		Detach: filepath.Join(dir, "m.json"), ArtifactsDir: filepath.Join(dir, "artifacts"),
	}
}

func kinds[T any](xs []T, kind func(T) string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, kind(x))
	}
	return out
}

// TestEveryPartIteratesTheTable: publishing, the printed plan, the dry
// run's path checks and the reports of a configuration error all list
// exactly the formats of the one table, in its order, each with its own
// path.
func TestEveryPartIteratesTheTable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := allPaths(dir)
	formats := Formats()
	if len(formats) < 4 {
		t.Fatalf("table has %d formats", len(formats))
	}
	names := kinds(formats, func(f Format) string { return f.Kind })

	plan := Plan(cfg)
	if got := kinds(plan, func(r event.Report) string { return r.Kind }); !slices.Equal(got, names) {
		t.Errorf("plan lists %q, want the table's %q", got, names)
	}
	for i, r := range plan {
		if r.Path != formats[i].Path(cfg) || r.Path == "" {
			t.Errorf("plan: %s at %q, want %q", r.Kind, r.Path, formats[i].Path(cfg))
		}
	}

	paths := Paths(cfg)
	var wantPaths []config.ReportPath
	for _, f := range formats {
		wantPaths = append(wantPaths, config.ReportPath{Setting: f.Flag, Path: f.Path(cfg)})
	}
	// The artifacts directory is no file to check: an existing one is
	// what a real run wants (config.CheckDir).
	wantPaths = append(wantPaths, config.ReportPath{Setting: "--detach", Path: cfg.Detach})
	if !slices.Equal(paths, wantPaths) {
		t.Errorf("dry-run paths %+v, want %+v", paths, wantPaths)
	}
	if got := Paths(config.Config{JUnitPath: "j.xml"}); len(got) != 1 || got[0].Setting != "--junit" {
		t.Errorf("paths of a minimal config = %+v, want only the JUnit report", got)
	}

	v := passedVerdict()
	outs := &outputs{}
	written := Reports(Input{Verdict: v, Config: cfg}, outs)
	if got := kinds(written, func(w Written) string { return w.Kind }); !slices.Equal(got, names) {
		t.Errorf("published %q, want the table's %q", got, names)
	}
	for _, f := range formats {
		b, err := os.ReadFile(f.Path(cfg))
		var want bytes.Buffer
		if werr := f.Write(&want, Input{Verdict: v, Config: cfg}); err != nil || werr != nil || !bytes.Equal(b, want.Bytes()) || len(b) == 0 {
			t.Errorf("%s: file %q (%v), want its row's rendering %q (%v)", f.Kind, b, err, want.String(), werr)
		}
	}
	if len(outs.got) != 1 || outs.got[0].Verdict != "passed" || outs.got[0].JUnitPath != cfg.JUnitPath {
		t.Errorf("step outputs = %+v", outs.got)
	}

	cdir := t.TempDir()
	ccfg := allPaths(cdir)
	var withConfigError []string
	for _, f := range formats {
		if f.ConfigError != nil {
			withConfigError = append(withConfigError, f.Kind)
		}
	}
	written = ConfigError(ccfg, "bad --timeout")
	if got := kinds(written, func(w Written) string { return w.Kind }); !slices.Equal(got, withConfigError) || len(got) == 0 {
		t.Errorf("configuration error wrote %q, want %q", got, withConfigError)
	}
	for _, w := range written {
		if b, err := os.ReadFile(w.Path); err != nil || !strings.Contains(string(b), "bad --timeout") {
			t.Errorf("%s: %q (%v)", w.Kind, b, err)
		}
	}
}

// TestReportsSkipUnconfigured: a format without a path is not written.
func TestReportsSkipUnconfigured(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Config{JUnitPath: filepath.Join(dir, "j.xml")}
	written := Reports(Input{Verdict: passedVerdict(), Config: cfg}, &outputs{})
	if len(written) != 1 || written[0].Kind != "JUnit report" || written[0].Err != nil {
		t.Errorf("written = %+v", written)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files: %v", entries)
	}
}

// TestOutputsSayErrorWhenAReportFailed: when a report file cannot be
// written, the outputs written after it (dotenv, step outputs) carry the
// verdict the exit code will have, error, not passed; every other report
// is still written.
func TestOutputsSayErrorWhenAReportFailed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := allPaths(dir)
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.JUnitPath = filepath.Join(blocker, "j.xml")
	outs := &outputs{err: errors.New("no GITHUB_OUTPUT")}
	written := Reports(Input{Verdict: passedVerdict(), Config: cfg}, outs)
	if !Failed(written) || written[0].Err == nil || !strings.Contains(written[0].Err.Error(), "--junit / DOCKETQA_JUNIT") {
		t.Fatalf("written = %+v, want the JUnit report failed, naming its setting", written)
	}
	b, err := os.ReadFile(cfg.DotenvPath)
	if err != nil || !strings.Contains(string(b), "DOCKETQA_VERDICT=error\n") {
		t.Errorf("dotenv %q (%v), want the verdict error", b, err)
	}
	if len(outs.got) != 1 || outs.got[0].Verdict != "error" {
		t.Errorf("step outputs = %+v", outs.got)
	}
	if last := written[len(written)-1]; last.Kind != "GitHub step outputs" || last.Err == nil {
		t.Errorf("the step outputs' failure is not reported: %+v", last)
	}
	for _, p := range []string{cfg.SummaryPath, cfg.ResultsJSONPath} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s not written: %v", p, err)
		}
	}
	if len(written) != 5 {
		t.Errorf("%d written, want 4 reports and the step outputs", len(written))
	}
}
