package wikibase

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrOutcomeUnknown wraps write failures where the edit may or may not have been saved
// (timeout after sending, 5xx, connection reset). Callers must look at the item (or
// Revisions) before trying again instead of resending blindly.
var ErrOutcomeUnknown = errors.New("edit outcome unknown")

// APIError is an error answer of the Action API (which comes with HTTP 200), or an HTTP
// status the API answered instead.
type APIError struct {
	Code       string
	Info       string
	RetryAfter time.Duration
	HTTPStatus int
}

func (e *APIError) Error() string {
	if e.Info == "" {
		return "wikibase API: " + e.Code
	}
	return fmt.Sprintf("wikibase API: %s: %s", e.Code, e.Info)
}

// apiErrorBody reads both the legacy `error` shape and the `errors` list of errorformat=plaintext.
type apiErrorBody struct {
	Error *struct {
		Code string `json:"code"`
		Info string `json:"info"`
	} `json:"error"`
	Errors []struct {
		Code string `json:"code"`
		Text string `json:"text"`
		HTML string `json:"html"`
	} `json:"errors"`
}

func parseAPIError(body []byte) *APIError {
	var b apiErrorBody
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	if b.Error != nil && b.Error.Code != "" {
		return &APIError{Code: b.Error.Code, Info: b.Error.Info}
	}
	if len(b.Errors) > 0 {
		texts := make([]string, 0, len(b.Errors))
		for _, e := range b.Errors {
			t := e.Text
			if t == "" {
				t = e.HTML
			}
			texts = append(texts, t)
		}
		return &APIError{Code: b.Errors[0].Code, Info: strings.Join(texts, " ")}
	}
	return nil
}

func asAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

// IsMaxlag reports a maxlag refusal: the servers are lagging, wait RetryAfter.
func IsMaxlag(err error) bool {
	ae := asAPIError(err)
	return ae != nil && ae.Code == "maxlag"
}

// IsRateLimited reports that the user or tool edits too fast (ratelimited, a throttled
// failed-save, or HTTP 429). The edit was not saved; slow down and retry later.
func IsRateLimited(err error) bool {
	ae := asAPIError(err)
	if ae == nil {
		return false
	}
	switch {
	case ae.Code == "ratelimited", ae.HTTPStatus == 429:
		return true
	case ae.Code == "failed-save":
		info := strings.ToLower(ae.Info)
		return strings.Contains(info, "actionthrottledtext") || strings.Contains(info, "throttled")
	}
	return false
}

// IsEditConflict reports that the item changed since the base revision.
func IsEditConflict(err error) bool {
	ae := asAPIError(err)
	return ae != nil && ae.Code == "editconflict"
}

// IsFatalForUser reports errors that no retry will fix for this user: the wiki is read-only,
// the user is blocked or lacks rights, or the OAuth grant is no longer valid.
func IsFatalForUser(err error) bool {
	ae := asAPIError(err)
	if ae == nil {
		return false
	}
	switch ae.Code {
	case "readonly", "blocked", "autoblocked", "permissiondenied", "assertuserfailed", "assertnameduserfailed":
		return true
	}
	return strings.HasPrefix(ae.Code, "mwoauth-")
}
