// Package ci adapts the gate's output to the CI system it runs in. Each
// platform is one adapter, in a file named for it: GitHub Actions
// (github.go) gets workflow commands (masking, log groups, annotations)
// and step outputs; GitLab CI (gitlab.go) gets collapsible log sections;
// Jenkins and local terminals (plain.go) get plain text. The one table
// adapters lists them, Detect picks one from it, and the Sink renders every
// event through the chosen adapter without knowing which platform it is.
//
// Run lines, blocks, annotations and outputs render the Judge's
// result.Verdict: the kinds and words are the Judge's, never worked out
// here. The JUnit file, the job summary and GitLab's dotenv report are
// written by the report package: they are files, the same on every
// platform.
//
// Everything here takes its environment through an injected getenv and
// writes to an injected io.Writer, so tests can impersonate any platform.
package ci

import (
	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// Platform is the CI system the gate runs in. Each adapter declares its
// own in its file.
type Platform int

// String returns the platform's display name for logs; an unknown
// platform is printed for plainly, like a local terminal.
func (p Platform) String() string { return adapterFor(p).name() }

// adapter is one CI platform: how to recognise it and how to print what
// only it can show. Everything every platform prints alike (log lines,
// stderr, redaction, bounds) is the Sink's; an adapter adds its own forms
// on top, through the console it was opened on.
//
// The rows of the adapters table are unopened: only platform, name,
// detect and open are called on them. open returns the adapter bound to
// one job's console, with its own state (GitHub's annotation counts).
type adapter interface {
	// platform and name identify it.
	platform() Platform
	name() string
	// detect reports whether the job runs on this platform, from the
	// variables the platform sets on every job.
	detect(getenv func(string) string) bool
	// open binds the adapter to the console of one job. It prints
	// nothing, so that a mask can come first.
	open(c *console) adapter

	// mask has the platform hide secret from the rest of the job's log;
	// the console redacts it from every line anyway.
	mask(secret string)
	// group prints the i-th run's details as one collapsible block where
	// the platform has them: header (already escaped), then body.
	group(i int, run result.Run, header string, body []string)
	// warning shows a warning annotation and reports true; false where
	// the platform has none or shows no more, and the Sink prints a
	// plain stderr line instead.
	warning(title, msg string) bool
	// errorAnnotation shows an error annotation where the platform has
	// them; the Sink has printed the message on stderr already.
	errorAnnotation(title, msg string)
	// annotateCause annotates why runs have no verdict; annotateRuns
	// annotates each run that did not pass.
	annotateCause(c event.Cause, runs []result.Judged)
	annotateRuns(runs []result.Judged)
	// debug prints a debug line in the platform's own form and reports
	// true; false where it has none.
	debug(line string) bool
	// setOutputs publishes the step outputs where the platform reads
	// them from the job; elsewhere it does nothing.
	setOutputs(o Outputs) error
}

// adapters is the one table of CI platforms, in the order Detect tries
// them. GitHub comes first and detects strictly, because its workflow
// commands must never be printed anywhere else (a self-hosted runner may
// well inherit GITLAB_CI or JENKINS_URL from its host); plain comes last
// and takes every job. Adding a platform is one file and one row here.
var adapters = []adapter{github{}, gitlab{}, jenkins{}, plain{}}

// Detect identifies the platform from the variables each CI system sets on
// every job: the first adapter of the table that recognises the job.
func Detect(getenv func(string) string) Platform {
	for _, a := range adapters {
		if a.detect(getenv) {
			return a.platform()
		}
	}
	return plain{}.platform()
}

// adapterFor returns the table's adapter for p, plain text for a platform
// it does not list.
func adapterFor(p Platform) adapter {
	for _, a := range adapters {
		if a.platform() == p {
			return a
		}
	}
	return plain{}
}
