package wikidata

import (
	"encoding/json"
	"errors"

	"net/http"
	"strconv"
	"strings"
	"time"
)

// APIError is an error answer of the Action API (which arrives with HTTP
// 200), or an HTTP 429 turned into code "ratelimited".
type APIError struct {
	Code       string
	Info       string
	RetryAfter time.Duration // from the Retry-After header; 0 if none
	HTTPStatus int
	// Messages are the names of the messages behind the error: the codes
	// of all errors in errorformat=plaintext, or error.messages[].name in
	// the legacy format (Wikibase's failed-save carries the real reason,
	// such as actionthrottledtext, there).
	Messages []string
}

func (e *APIError) Error() string {
	if e.Info == "" {
		return "the wiki answered " + e.Code
	}
	return "the wiki answered " + e.Code + ": " + e.Info
}

// ErrOutcomeUnknown means a write was sent but its answer was lost (a
// time-out, a dropped connection, a server error): it may or may not have
// been applied, so it must not be sent again before looking.
var ErrOutcomeUnknown = errors.New("the wiki's answer to an edit was lost: it may or may not have been applied")

// parseAPIError reads both error shapes: {"error":{code,info}} and, with
// errorformat=plaintext, {"errors":[{code,text}]}. It returns nil when the
// body holds no error.
func parseAPIError(body []byte, h http.Header, status int) *APIError {
	var r struct {
		Error *struct {
			Code     string `json:"code"`
			Info     string `json:"info"`
			Messages []struct {
				Name string `json:"name"`
			} `json:"messages"`
		} `json:"error"`
		Errors []struct {
			Code string `json:"code"`
			Text string `json:"text"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &r) != nil {
		return nil
	}
	var e *APIError
	switch {
	case r.Error != nil && r.Error.Code != "":
		e = &APIError{Code: r.Error.Code, Info: r.Error.Info}
		for _, m := range r.Error.Messages {
			e.Messages = append(e.Messages, m.Name)
		}
	case len(r.Errors) > 0:
		var texts []string
		e = &APIError{Code: r.Errors[0].Code}
		for _, x := range r.Errors {
			texts = append(texts, x.Text)
			e.Messages = append(e.Messages, x.Code)
		}
		e.Info = strings.Join(texts, " ")
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
// HTTP 429, or a "failed-save" whose messages include actionthrottledtext.
// Wait (RetryAfter, or the pacer's own pause) and send again: nothing was
// applied.
func IsRateLimited(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	if e.Code == "ratelimited" || e.Code == "actionthrottled" || e.HTTPStatus == http.StatusTooManyRequests {
		return true
	}
	if e.Code != "failed-save" {
		return false
	}
	for _, m := range e.Messages {
		if m == "actionthrottledtext" || m == "actionthrottled" {
			return true
		}
	}
	// Some answers carry the message name only in the text.
	return strings.Contains(e.Info, "actionthrottledtext")
}

// IsEditConflict says the item changed since the base revision.
func IsEditConflict(err error) bool { return codeOf(err) == "editconflict" }

// fatalCodes are refusals that waiting will not cure soon: the wiki is
// read-only, or the user cannot edit (blocked, no right, token revoked or
// invalid, logged out). Refusals of one item (protectedpage, an abuse
// filter's disallowed) are not here: other items may still be edited.
var fatalCodes = map[string]bool{
	"readonly": true, "blocked": true, "autoblocked": true, "globalblocking-blockedtext": true,
	"permissiondenied": true, "writeapidenied": true,
	"assertuserfailed": true, "assertbotfailed": true, "assertnameduserfailed": true, "notloggedin": true,
	"abusefilter-blocked": true,
}

// IsFatalForUser says the wiki refuses this user's edits (or all edits) for
// now: stop the user's write-back and tell them, rather than retry.
func IsFatalForUser(err error) bool {
	c := codeOf(err)
	return fatalCodes[c] || strings.HasPrefix(c, "mwoauth-")
}
