package docketqa

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/docketqa-gate/docketqa-gate/internal/untrusted"
)

// APIError is a non-2xx answer (or an answer the client refused to read).
// Its texts come from the answer and were cleaned: one line, the key
// redacted, at most 200 bytes each.
type APIError struct {
	Endpoint   string // e.g. "GET /test_run/38"
	StatusCode int
	Message    untrusted.Text // from the JSON body's message/error/detail, if any
	Body       untrusted.Text // excerpt of the body
	RetryAfter time.Duration
	TooLarge   int64 // the body limit, when a 2xx answer exceeded it
	Redirect   bool  // a redirect to another host was refused
}

func (e *APIError) Error() string {
	msg := e.Endpoint + ": "
	if e.StatusCode != 0 {
		msg += fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	switch {
	case e.Message != "":
		msg += ": " + string(e.Message)
	case e.Body != "":
		msg += ": " + string(e.Body)
	}
	if e.Auth() {
		msg += " (" + AuthAdvice + ")"
	}
	return msg
}

// AuthAdvice is what to do when DocketQA refuses the API key.
const AuthAdvice = "check the API key: set DOCKETQA_API_KEY to a key from the DocketQA dashboard's CI/CD page"

// Temporary reports whether the same request may succeed later: network
// trouble shows as TransportError, and here 408, 429 and 5xx.
func (e *APIError) Temporary() bool {
	if e.TooLarge > 0 || e.Redirect {
		return false
	}
	return e.StatusCode == http.StatusRequestTimeout || e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// Auth reports whether DocketQA refused the API key.
func (e *APIError) Auth() bool {
	return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
}

// NotFound reports a 404.
func (e *APIError) NotFound() bool { return e.StatusCode == http.StatusNotFound }

// TransportError is a request that got no HTTP answer: connection refused or
// reset, DNS failure, TLS failure or a timeout.
type TransportError struct {
	Endpoint string
	Err      error
	// NotSent is true when the request certainly never reached the server.
	NotSent bool
	// Certificate is true when the server's TLS certificate was not
	// trusted: a setup problem (SSL_CERT_FILE) that no retry can fix.
	Certificate bool
}

func (e *TransportError) Error() string { return e.Endpoint + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// DecodeError is a 2xx answer whose body is not the documented JSON, or
// that is about another run. Err's text and Excerpt were cleaned.
type DecodeError struct {
	Endpoint string
	Err      error
	Excerpt  untrusted.Text
}

func (e *DecodeError) Error() string {
	msg := e.Endpoint + ": unexpected answer: " + e.Err.Error()
	if e.Excerpt != "" {
		msg += ": " + string(e.Excerpt)
	}
	return msg
}
func (e *DecodeError) Unwrap() error { return e.Err }

// UncertainTriggerError means the trigger may or may not have started runs:
// the request was sent but no usable answer came back. Retrying could start
// a second, paid set of runs, so the gate stops and the user checks.
type UncertainTriggerError struct{ Err error }

func (e *UncertainTriggerError) Error() string {
	return e.Err.Error() + "; the runs may have started anyway: check the DocketQA dashboard before re-running, since another trigger starts a second set of runs"
}
func (e *UncertainTriggerError) Unwrap() error { return e.Err }

// IsTemporary reports whether err is worth retrying on a later poll.
func IsTemporary(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Temporary()
	}
	var te *TransportError
	if errors.As(err, &te) {
		return !te.Certificate
	}
	var de *DecodeError
	return errors.As(err, &de)
}

// IsAuth reports whether err is DocketQA refusing the key (401 or 403).
func IsAuth(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Auth()
}

// RetryAfter returns the server's Retry-After hint carried by err, or 0.
func RetryAfter(err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	return 0
}

// Reason says in one short line why a request failed, for a run's reason
// when polling ends without a verdict: the HTTP status and the answer's
// message for an APIError, the cause of a TransportError, what was wrong
// with a DecodeError. It is built from cleaned text only.
func Reason(err error) string {
	var ae *APIError
	var te *TransportError
	var de *DecodeError
	switch {
	case errors.As(err, &ae):
		msg := ""
		if ae.StatusCode != 0 {
			msg = fmt.Sprintf("HTTP %d %s", ae.StatusCode, http.StatusText(ae.StatusCode))
		}
		detail := ae.Message
		if detail == "" {
			detail = ae.Body
		}
		switch {
		case msg == "":
			return string(detail)
		case detail != "":
			return msg + ": " + string(detail)
		}
		return msg
	case errors.As(err, &te):
		return te.Err.Error()
	case errors.As(err, &de):
		return "unreadable answer: " + de.Err.Error()
	case err != nil:
		return err.Error()
	}
	return ""
}

// CheckBlueprint compares the blueprint a GET answer names with want, the
// blueprint the trigger (or the manifest) fixed for the run. A different
// one is a *DecodeError naming both, so the poller treats it as an
// unreadable answer (retried, then no verdict) and never as a change of
// identity. An absent test_blueprint_id (0) is no disagreement.
func CheckBlueprint(r *TestRun, want int64) error {
	if r == nil || r.BlueprintID == 0 || r.BlueprintID == want {
		return nil
	}
	return &DecodeError{Endpoint: getEndpoint(r.ID),
		Err: fmt.Errorf("answer names blueprint %d, but test run %d was started for blueprint %d", r.BlueprintID, r.ID, want)}
}
