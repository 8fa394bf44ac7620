// Command docketqa-gate triggers DocketQA test blueprints, waits for every
// run, writes a JUnit report and a Markdown summary, and exits non-zero when
// a run failed, so a CI pipeline can gate on browser tests. It only wires:
// the signal-aware context here, the program in internal/app.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/docketqa-gate/docketqa-gate/internal/app"
)

func main() {
	// A closed stdout or stderr (`docketqa-gate … | head`) must not kill the
	// gate before it writes its reports: with SIGPIPE ignored a write fails
	// with EPIPE instead, which the sink records and survives.
	signal.Ignore(syscall.SIGPIPE)
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal stops polling; the gate then writes its reports
		// and exits 3. A second signal means "now": GitHub sends SIGTERM
		// 7.5 s after SIGINT, and a user may press Ctrl-C twice.
		cancel(app.SignalCause(<-sigs))
		<-sigs
		os.Exit(app.ExitNoVerdict)
	}()
	code := app.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	cancel(nil)
	os.Exit(code)
}
