package artifacts

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/docketqa"
	"github.com/docketqa-gate/docketqa-gate/internal/poll"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

// BenchmarkTenFailedRuns measures what saving evidence adds to a gate with
// 10 failed runs: each run's failing-step screenshots (before and after)
// and its video from the simulator's media on loopback, 30 files, with the
// default concurrency of 2. One op is Add for all 10 runs plus Finish,
// which is the time Finish can add after the verdict when every run fails
// at the same moment; runs that fail earlier overlap with polling.
func BenchmarkTenFailedRuns(b *testing.B) {
	bps := make([]sim.Blueprint, 10)
	ids := make([]int64, 10)
	for i := range bps {
		ids[i] = int64(500 + i)
		bps[i] = sim.Blueprint{ID: ids[i], Title: "Checkout " + strconv.Itoa(i), Outcome: "failed", FailStep: 3,
			StepActions: []string{"Open the cart", "Pick the saved card", "Place the order", "See the confirmation"}}
	}
	srv := sim.New(sim.Options{APIKey: testKey, Blueprints: bps, ServeMedia: true})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ctx := context.Background()
	client, err := docketqa.New(ts.URL, testKey)
	if err != nil {
		b.Fatal(err)
	}
	g, err := client.Trigger(ctx, ids)
	if err != nil {
		b.Fatal(err)
	}
	var runs []result.Run
	for _, tr := range g.Runs {
		got, err := client.GetRun(ctx, tr.ID)
		if err != nil {
			b.Fatal(err)
		}
		runs = append(runs, poll.Convert(poll.Target{RunID: tr.ID, BlueprintID: tr.BlueprintID}, got))
	}
	base := b.TempDir()
	var files, bytes int64
	b.ResetTimer()
	for i := range b.N {
		d, err := New(Options{Dir: filepath.Join(base, strconv.Itoa(i)), BaseURL: ts.URL, Proxy: noProxy})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range runs {
			d.Add(ctx, r)
		}
		idx := d.Finish(ctx, time.Minute)
		if p := idx.Problems(); len(p) != 0 {
			b.Fatalf("not saved: %+v", p)
		}
		files, bytes = 0, 0
		for _, e := range idx.Entries {
			files++
			bytes += e.Bytes
		}
	}
	b.StopTimer()
	if files != 30 {
		b.Fatalf("saved %d files, want 30", files)
	}
	b.ReportMetric(float64(files), "files/op")
	b.ReportMetric(float64(bytes), "bytes/op")
}
