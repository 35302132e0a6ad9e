package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/text"
)

// Error is a Graph error response.
type Error struct {
	StatusCode int
	Code       string
	Message    string
	RequestID  string
	// ClientRequestID is the id this client sent; Microsoft support asks for both.
	ClientRequestID string
	Method          string
	URL             string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: HTTP %d", e.Method, e.URL, e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request-id %s", e.RequestID)
		if e.ClientRequestID != "" {
			fmt.Fprintf(&b, ", client-request-id %s", e.ClientRequestID)
		}
		b.WriteString(")")
	}
	return b.String()
}

// TimeoutError is a call whose context ran out while it was waiting, and
// says for what. It unwraps to the context's error.
type TimeoutError struct {
	Waiting string // e.g. "Graph to stop throttling POST /beta/...: 7 attempts, the last answered HTTP 429"
	// RetryAfter is the wait Graph asked for (Retry-After) in the answer
	// the call was waiting out when its time ran out; 0 when it was not
	// waiting out one. A timeout shorter than the time already spent plus
	// this cannot reach the next attempt.
	RetryAfter time.Duration
	Err        error
}

func (e *TimeoutError) Error() string { return "ran out of time waiting for " + e.Waiting }

func (e *TimeoutError) Unwrap() error { return e.Err }

// IsNotFound reports whether err is a Graph 404.
func IsNotFound(err error) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.StatusCode == http.StatusNotFound
}

// newError decodes a non-success response. Bodies that are not Graph errors
// (a proxy's HTML page, say) still yield an Error with the status.
func newError(resp *http.Response, body []byte) *Error {
	e := &Error{
		StatusCode:      resp.StatusCode,
		RequestID:       resp.Header.Get("request-id"),
		ClientRequestID: resp.Header.Get("client-request-id"),
	}
	if resp.Request != nil {
		e.Method = resp.Request.Method
		u := *resp.Request.URL
		u.RawQuery = "" // skip tokens are noise in an error message
		e.URL = u.String()
	}
	var wire struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				RequestID       string `json:"request-id"`
				ClientRequestID string `json:"client-request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &wire) != nil {
		e.Message = strings.TrimSpace(text.Truncate(string(body), 512))
		return e
	}
	e.Code = wire.Error.Code
	e.Message = intuneMessage(wire.Error.Message)
	if e.RequestID == "" {
		e.RequestID = wire.Error.InnerError.RequestID
	}
	if e.ClientRequestID == "" {
		e.ClientRequestID = wire.Error.InnerError.ClientRequestID
	}
	return e
}

// intuneMessage unwraps the JSON document Intune puts inside error.message
// ({"_version":3,"Message":"...",...}) so users read the sentence, not the envelope.
func intuneMessage(msg string) string {
	var inner struct {
		Message string `json:"Message"`
	}
	if strings.HasPrefix(strings.TrimSpace(msg), "{") && json.Unmarshal([]byte(msg), &inner) == nil && inner.Message != "" {
		return inner.Message
	}
	return msg
}
