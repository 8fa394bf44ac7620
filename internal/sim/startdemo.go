package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// DemoRun is a running demo simulator: where it listens, the throwaway key
// it accepts and the blueprints it knows.
type DemoRun struct {
	URL          string
	Key          string
	BlueprintIDs []int64
}

// StartDemo serves the named demo scenario on loopback with a fresh random
// key, so docketqa-gate --demo needs no key and no network. The simulator
// stops with ctx or when stop is called.
//
// With serveMedia the simulator also serves the runs' screenshots and
// videos, for --artifacts-dir.
func StartDemo(ctx context.Context, scenario string, serveMedia bool) (DemoRun, func(), error) {
	bps, err := Demo(scenario)
	if err != nil {
		return DemoRun{}, nil, fmt.Errorf("invalid --demo-scenario: %w", err)
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	d := DemoRun{Key: "demo-" + hex.EncodeToString(b[:])}
	for _, bp := range bps {
		d.BlueprintIDs = append(d.BlueprintIDs, bp.ID)
	}
	url, stop, err := Start(ctx, Options{APIKey: d.Key, Blueprints: bps, ServeMedia: serveMedia})
	if err != nil {
		return DemoRun{}, nil, fmt.Errorf("start the demo simulator: %w", err)
	}
	d.URL = url
	return d, stop, nil
}
