package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoSavesEvidence runs the failing demo with --artifacts-dir: the
// failed run's screenshots and video are saved under the directory by
// names the gate makes, index.json lists them, and the JUnit report points
// at them with attachment lines (the failing step's screenshot first),
// while the verdict and exit code are those of the run without evidence.
func TestDemoSavesEvidence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	art := filepath.Join(dir, "artifacts")
	junitPath := filepath.Join(dir, "j.xml")
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"--demo", "--demo-scenario", "fail", "--artifacts-dir", art, "--junit", junitPath},
		func(string) string { return "" }, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out.String(), errb.String())
	}
	var saved []string
	if err := filepath.WalkDir(art, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != "index.json" {
			saved = append(saved, filepath.ToSlash(strings.TrimPrefix(p, art+string(filepath.Separator))))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"181-39/181-39-step3-after.png": true, "181-39/181-39-step3-before.png": true, "181-39/181-39-video.webm": true}
	if len(saved) != len(want) {
		t.Fatalf("saved %v, want %v", saved, want)
	}
	for _, s := range saved {
		if !want[s] {
			t.Errorf("unexpected file %s", s)
		}
	}
	var idx struct {
		Files []struct {
			Outcome string `json:"outcome"`
		} `json:"files"`
	}
	b, err := os.ReadFile(filepath.Join(art, "index.json"))
	if err != nil || json.Unmarshal(b, &idx) != nil || len(idx.Files) != 3 {
		t.Fatalf("index.json: %v\n%s", err, b)
	}
	junit, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	first := strings.Index(string(junit), "[[ATTACHMENT|")
	if first < 0 || !strings.HasPrefix(string(junit[first:]), "[[ATTACHMENT|"+filepath.ToSlash(art)+"/181-39/181-39-step3-after.png]]") {
		t.Errorf("the first attachment line is not the failing step's screenshot:\n%s", junit)
	}
	if n := strings.Count(string(junit), "[[ATTACHMENT|"); n != 3 {
		t.Errorf("%d attachment lines, want 3", n)
	}
	if !strings.Contains(out.String(), "saved 3 file(s)") {
		t.Errorf("the log does not say what was saved:\n%s", out.String())
	}
}
