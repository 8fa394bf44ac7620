package sim

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

const outcomePassed = "passed"

// Blueprint scripts how the simulated API runs one test blueprint. Only ID is
// required; the zero values of the other fields give a three-step blueprint
// that passes at once.
type Blueprint struct {
	ID int64
	// Title defaults to "Blueprint <id>".
	Title string
	// StartingURL defaults to https://app.example.com/.
	StartingURL string
	// Steps is the number of steps; it defaults to len(StepActions), else
	// len(StepDurations), else 3.
	Steps int
	// StepActions are the steps' natural-language actions (len == Steps);
	// by default generic browser-test actions are used.
	StepActions []string
	// StepDurations are the per-step durations reported in the results
	// (len == Steps); by default Duration is split evenly.
	StepDurations []time.Duration
	// Duration is the wall time from the trigger until the run reports its
	// final status. It defaults to the sum of StepDurations.
	Duration time.Duration
	// Outcome is the final status word: "" or "passed" for a pass, any other
	// word ("failed", "stopped", even "exploded") for a run that did not
	// pass.
	Outcome string
	// FailStep is the 1-based step that fails when Outcome is not passed,
	// and in every earlier attempt when Retries > 0. Default: the last step.
	FailStep int
	// FailReason is the failing step's result sentence; a default fitting
	// Outcome is used when empty.
	FailReason string
	// Retries is how many failed earlier attempts additional_attempts lists.
	Retries int
	// Omit leaves the blueprint out of the trigger response, modelling a
	// partial success.
	Omit bool
	// NullStatus makes the finished run report "status": null.
	NullStatus bool
	// PassFromTrigger, when positive, makes the blueprint flaky across
	// triggers: its runs end with Outcome until the PassFromTrigger-th time
	// it is triggered, and pass from then on. It models a test that passes
	// when rerun.
	PassFromTrigger int
}

// script is a validated Blueprint with its defaults filled in and its
// unchanging JSON parts prepared once.
type script struct {
	Blueprint
	// triggered counts the runs created for this blueprint; guarded by
	// Server.mu.
	triggered int
	specs     []specJSON
	meta      json.RawMessage // blueprint_metadata
}

func newScript(b Blueprint) (*script, error) {
	if b.ID <= 0 {
		return nil, fmt.Errorf("sim: blueprint ID %d must be positive", b.ID)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("sim: blueprint %d: "+format, append([]any{b.ID}, args...)...)
	}
	if b.Steps == 0 {
		switch {
		case len(b.StepActions) > 0:
			b.Steps = len(b.StepActions)
		case len(b.StepDurations) > 0:
			b.Steps = len(b.StepDurations)
		default:
			b.Steps = 3
		}
	}
	switch {
	case b.Steps < 1:
		return nil, fail("Steps %d must be at least 1", b.Steps)
	case b.StepActions != nil && len(b.StepActions) != b.Steps:
		return nil, fail("%d StepActions for %d steps; give one per step", len(b.StepActions), b.Steps)
	case b.StepDurations != nil && len(b.StepDurations) != b.Steps:
		return nil, fail("%d StepDurations for %d steps; give one per step", len(b.StepDurations), b.Steps)
	case b.Duration < 0:
		return nil, fail("Duration %v is negative", b.Duration)
	case b.Retries < 0:
		return nil, fail("Retries %d is negative", b.Retries)
	case b.FailStep < 0 || b.FailStep > b.Steps:
		return nil, fail("FailStep %d is outside steps 1..%d", b.FailStep, b.Steps)
	}

	if b.Title == "" {
		b.Title = fmt.Sprintf("Blueprint %d", b.ID)
	}
	if b.StartingURL == "" {
		b.StartingURL = "https://app.example.com/"
	}
	if b.Outcome == "" {
		b.Outcome = outcomePassed
	}
	if b.FailStep == 0 {
		b.FailStep = b.Steps
	}
	if b.FailReason == "" {
		b.FailReason = defaultFailReason(b.Outcome)
	}
	if b.StepActions == nil {
		b.StepActions = make([]string, b.Steps)
		for i := range b.StepActions {
			b.StepActions[i] = genericActions[i%len(genericActions)]
		}
	} else {
		b.StepActions = append([]string(nil), b.StepActions...)
	}
	if b.StepDurations == nil {
		b.StepDurations = make([]time.Duration, b.Steps)
		for i := range b.StepDurations {
			b.StepDurations[i] = b.Duration / time.Duration(b.Steps)
		}
	} else {
		b.StepDurations = append([]time.Duration(nil), b.StepDurations...)
		if b.Duration == 0 {
			for _, d := range b.StepDurations {
				b.Duration += d
			}
		}
	}

	sc := &script{Blueprint: b, specs: make([]specJSON, b.Steps)}
	for i, action := range b.StepActions {
		sc.specs[i] = specJSON{StepNumber: i + 1, Type: "act", Action: action}
	}
	return sc, nil
}

// genericActions are the steps of blueprints scripted without StepActions:
// ordinary browser-test language, so reports look like real ones.
var genericActions = [...]string{
	"Open the starting page and wait for it to load",
	"Click the 'Sign in' button in the header",
	"Enter 'qa.bot@example.com' in the email field",
	"Scroll down to the footer",
	"Verify the page heading is visible",
}

func defaultFailReason(outcome string) string {
	switch outcome {
	case outcomePassed:
		// Only earlier attempts of a run that passed on retry fail.
		return "Timed out after 30 seconds waiting for the page to finish loading."
	case "failed":
		return "Expected the page to show the described content, but it was not found on the page."
	case "stopped":
		return "The run was stopped before this step completed."
	}
	return fmt.Sprintf("The run ended with status %q while this step was executing.", outcome)
}

// successSentence is the result text of a step that succeeded.
func successSentence(action string) string {
	return "The step succeeded: " + strings.TrimSuffix(action, ".") + "."
}

// actionType guesses the browser action type from the step's wording, using
// the type names the docs list.
func actionType(action string) string {
	verb, _, _ := strings.Cut(strings.ToLower(action), " ")
	switch verb {
	case "enter", "type", "fill":
		return "input_text"
	case "scroll":
		return "scroll_down"
	case "verify", "check", "assert", "wait":
		return "extract_content"
	case "open", "go", "navigate":
		return "go_to_url"
	}
	return "click_element"
}

// wholeSeconds is a step duration as the API reports it: whole seconds, and
// at least 1 for a step that took any time at all.
func wholeSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	s := int(d.Round(time.Second) / time.Second)
	if s == 0 {
		s = 1
	}
	return s
}
