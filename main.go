// Command docketqa-gate triggers DocketQA test blueprints, waits for every
// run, writes a JUnit report and a Markdown summary, and exits non-zero when
// a run failed, so a CI pipeline can gate on browser tests.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal stops polling; the gate then writes its reports
		// and exits 3. A second signal means "now": GitHub sends SIGTERM
		// 7.5 s after SIGINT, and a user may press Ctrl-C twice.
		s := <-sigs
		fmt.Fprintf(os.Stderr, "docketqa-gate: received %v: stopping, writing reports (send again to exit at once)\n", s)
		cancel()
		<-sigs
		os.Exit(exitNoVerdict)
	}()
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}
