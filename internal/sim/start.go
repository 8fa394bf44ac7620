package sim

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// Start serves a simulator configured by opts on a free loopback port until
// stop is called or ctx is done. baseURL has no trailing slash. stop waits for
// the server to close and may be called more than once.
func Start(ctx context.Context, opts Options) (baseURL string, stop func(), err error) {
	s, err := newServer(opts)
	if err != nil {
		return "", nil, err
	}
	var lc net.ListenConfig
	// Loopback only: the simulator is for tests and demos and must never be
	// reachable from the network.
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen on 127.0.0.1 for the DocketQA simulator: %w", err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		// Request contexts end with ctx, so pending Delay faults stop too.
		BaseContext: func(net.Listener) context.Context { return ctx },
		// Resets and aborted clients are intended here; their log lines would
		// only clutter the demo's output.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Serve returns ErrServerClosed after stop; any other failure shows
		// up to the client as refused connections.
		_ = srv.Serve(ln)
	}()
	unwatch := context.AfterFunc(ctx, func() { _ = srv.Close() })
	stop = sync.OnceFunc(func() {
		unwatch()
		_ = srv.Close()
		<-done
	})
	return "http://" + ln.Addr().String(), stop, nil
}
