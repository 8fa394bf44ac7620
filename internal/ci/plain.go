package ci

import (
	"fmt"

	"github.com/docketqa-gate/docketqa-gate/internal/event"
	"github.com/docketqa-gate/docketqa-gate/internal/result"
)

// Local covers developer machines and any CI system the table does not
// list; it gets plain text.
const Local Platform = 0

// plain prints plain text: no masking commands (other systems mask
// through their own secret settings), no annotations, no sections and no
// step outputs. It is the last row of the table and takes every job.
type plain struct{ c *console }

func (plain) platform() Platform              { return Local }
func (plain) name() string                    { return "local" }
func (plain) detect(func(string) string) bool { return true }
func (plain) open(c *console) adapter         { return plain{c} }

func (plain) mask(string) {}

// group prints the header and the body indented below it.
func (p plain) group(_ int, _ result.Run, header string, body []string) {
	fmt.Fprintln(p.c.out, header)
	p.c.lines("    ", body)
}

func (plain) warning(string, string) bool                { return false }
func (plain) errorAnnotation(string, string)             {}
func (plain) annotateCause(event.Cause, []result.Judged) {}
func (plain) annotateRuns([]result.Judged)               {}
func (plain) debug(string) bool                          { return false }
func (plain) setOutputs(Outputs) error                   { return nil }

// Jenkins is detected by the JENKINS_URL it sets on every build. Its
// console shows plain text, so the adapter is plain under its own name.
const Jenkins Platform = 3

// jenkins is plain text on Jenkins.
type jenkins struct{ plain }

func (jenkins) platform() Platform { return Jenkins }
func (jenkins) name() string       { return "Jenkins" }
func (jenkins) detect(getenv func(string) string) bool {
	return getenv("JENKINS_URL") != ""
}
func (jenkins) open(c *console) adapter { return jenkins{plain{c}} }
