package wikidata

import (
	"encoding/json"
	"errors"

	"net/http"
	"strconv"
	"strings"
	"time"
)

// APIError is an error answer of the Action API (which arrives with HTTP 200).
type APIError struct {
	Code       string
	Info       string
	RetryAfter time.Duration
	HTTPStatus int
}

func (e *APIError) Error() string {
	if e.Info == "" {
		return e.Code
	}
	return e.Code + ": " + e.Info
}

// ErrOutcomeUnknown means a write was sent but its answer was lost (a
// timeout, a dropped connection, a server error): it may or may not have
// been applied, so it must not be sent again before looking.
var ErrOutcomeUnknown = errors.New("the wiki's answer to an edit was lost: it may or may not have been applied")

// parseAPIError reads both error shapes: {"error":{code,info}} and, with
// errorformat=plaintext, {"errors":[{code,text}]}. It returns nil when the
// body holds no error.
func parseAPIError(body []byte, h http.Header, status int) *APIError {
	var r struct {
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
	if json.Unmarshal(body, &r) != nil {
		return nil
	}
	var e *APIError
	switch {
	case r.Error != nil:
		e = &APIError{Code: r.Error.Code, Info: r.Error.Info}
	case len(r.Errors) > 0:
		var texts []string
		for _, x := range r.Errors {
			texts = append(texts, x.Text)
		}
		e = &APIError{Code: r.Errors[0].Code, Info: strings.Join(texts, " ")}
	default:
		return nil
	}
	e.HTTPStatus = status
	e.RetryAfter = retryAfter(h)
	return e
}

func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

func codeOf(err error) string {
	var e *APIError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// IsMaxlag says the wiki's databases lag: wait RetryAfter and try again.
func IsMaxlag(err error) bool { return codeOf(err) == "maxlag" }

// IsRateLimited says the user made too many edits too fast: "ratelimited",
// or a "failed-save" whose message is the throttle's (actionthrottledtext).
func IsRateLimited(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	if e.Code == "ratelimited" || e.Code == "actionthrottled" || e.HTTPStatus == http.StatusTooManyRequests {
		return true
	}
	info := strings.ToLower(e.Info)
	return e.Code == "failed-save" && (strings.Contains(info, "actionthrottled") || strings.Contains(info, "throttle") ||
		strings.Contains(info, "rate limit") || strings.Contains(info, "too many times"))
}

// IsEditConflict says the item changed since the base revision.
func IsEditConflict(err error) bool { return codeOf(err) == "editconflict" }

// IsFatalForUser says the wiki refuses this user's edits (or all edits) for
// now: pause and tell the user rather than retry.
func IsFatalForUser(err error) bool {
	switch c := codeOf(err); {
	case c == "readonly", c == "blocked", c == "autoblocked", c == "permissiondenied", c == "assertuserfailed",
		c == "assertbotfailed", c == "protectedpage", c == "globalblocking-blockedtext", c == "abusefilter-disallowed":
		return true
	case strings.HasPrefix(c, "mwoauth-"):
		return true
	}
	return false
}
