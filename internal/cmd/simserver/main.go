// Command simserver serves the DocketQA simulator on 127.0.0.1, so the real
// docketqa-gate binary can be run against thousands of blueprints: the scale
// run of the polling benchmark.
//
// It scripts blueprints 1..N, prints its base URL as the first line on
// stdout, serves until SIGINT or SIGTERM, then prints the request counters
// (how many GETs the gate made, and the peak in flight) and exits. The API
// key it accepts is read from DOCKETQA_API_KEY, the variable the gate reads,
// so one exported key serves both and never appears on a command line.
//
// With -addr-file it also writes the base URL to that file once it
// listens, whole or not at all (a rename), so a script can wait for the
// file instead of guessing how long the start takes; the file is removed
// on exit.
//
//	export DOCKETQA_API_KEY=fake-scale-key
//	simserver -runs 10000 -scale 10 -addr-file sim.addr > sim.out &
//	while [ ! -s sim.addr ]; do sleep 1; done
//	DOCKETQA_BASE_URL=$(cat sim.addr) DOCKETQA_BLUEPRINT_IDS=$(seq -s, 10000) docketqa-gate ...
//	kill %1; tail -1 sim.out
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main with its dependencies injected; it serves until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 10000, "number of blueprints, with ids 1..N")
	workload := fs.String("workload", "reference",
		"reference: 3..12 steps of a log-normal time (median 25 s, sigma 0.5) each; trivial: 3 steps of 1 s")
	scale := fs.Int("scale", 1, "run every blueprint this many times faster")
	seed := fs.Uint64("seed", 1, "seed of the reference workload")
	failEvery := fs.Int("fail-every", 0, "make every Nth blueprint fail at its last step (0: all pass)")
	addrFile := fs.String("addr-file", "", "also write the base URL to this file once listening (removed on exit)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	key := getenv("DOCKETQA_API_KEY")
	bps, err := blueprints(*workload, *runs, *scale, *failEvery, *seed)
	if err == nil && key == "" {
		err = errors.New("DOCKETQA_API_KEY is empty; export the (fake) key the gate will send")
	}
	if err != nil {
		fmt.Fprintf(stderr, "simserver: %v\n", err)
		return 2
	}
	if err := serve(ctx, sim.New(sim.Options{APIKey: key, Blueprints: bps}), stdout, *addrFile); err != nil {
		fmt.Fprintf(stderr, "simserver: %v\n", err)
		return 1
	}
	return 0
}

// blueprints scripts n blueprints of the named workload.
func blueprints(workload string, n, scale, failEvery int, seed uint64) ([]sim.Blueprint, error) {
	switch {
	case n < 1:
		return nil, fmt.Errorf("-runs %d: want at least 1", n)
	case scale < 1:
		return nil, fmt.Errorf("-scale %d: want at least 1", scale)
	case failEvery < 0:
		return nil, fmt.Errorf("-fail-every %d: want 0 or more", failEvery)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	bps := make([]sim.Blueprint, n)
	for i := range bps {
		var steps []time.Duration
		switch workload {
		case "reference":
			steps = make([]time.Duration, 3+rng.IntN(10))
			for j := range steps {
				steps[j] = time.Duration(float64(25*time.Second) * math.Exp(0.5*rng.NormFloat64()))
			}
		case "trivial":
			steps = []time.Duration{time.Second, time.Second, time.Second}
		default:
			return nil, fmt.Errorf("unknown -workload %q; valid workloads are reference and trivial", workload)
		}
		for j := range steps {
			steps[j] /= time.Duration(scale)
		}
		bps[i] = sim.Blueprint{ID: int64(i + 1), StepDurations: steps}
		if failEvery > 0 && (i+1)%failEvery == 0 {
			bps[i].Outcome = "failed"
		}
	}
	return bps, nil
}

// serve prints the base URL (and writes it to addrFile, if set), serves s
// on loopback until ctx ends, and then prints s's request counters.
func serve(ctx context.Context, s *sim.Server, stdout io.Writer, addrFile string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen on 127.0.0.1: %w", err)
	}
	defer ln.Close()
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	url := fmt.Sprintf("http://%s", ln.Addr())
	// The file first: whoever reads the URL on stdout finds the file too.
	if addrFile != "" {
		if err := writeAddr(addrFile, url); err != nil {
			return err
		}
		defer os.Remove(addrFile)
	}
	fmt.Fprintln(stdout, url)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	_ = srv.Close()
	<-served
	st := s.Stats()
	fmt.Fprintf(stdout, "triggers %d gets %d errors %d unauthorized %d peak-in-flight %d\n",
		st.Triggers, st.Gets, st.Errors, st.Unauthorized, st.PeakInFlight)
	return nil
}

// writeAddr writes url to path through a temporary file and a rename, so
// a reader polling for path sees the whole URL or no file, never a part.
func writeAddr(path, url string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".simserver-addr-*")
	if err != nil {
		return fmt.Errorf("-addr-file: %w", err)
	}
	_, werr := fmt.Fprintln(tmp, url)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("-addr-file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("-addr-file: %w", err)
	}
	return nil
}
