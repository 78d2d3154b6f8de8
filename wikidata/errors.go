package wikidata

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// APIError is an error answer of the Action API (which arrives with HTTP
// 200), or an HTTP 429 turned into code "ratelimited".
//
// With errorformat=plaintext MediaWiki answers a list of errors; Wikibase
// puts the real reason in later entries and in their data.messages (a
// throttled save is "failed-save", "ratelimited", then "failed-save" with
// messages [wikibase-api-failed-save, actionthrottledtext]). Every entry is
// kept, and the Is* functions look at all of them.
type APIError struct {
	Code       string // the first entry's code
	Info       string // every entry's text, joined
	RetryAfter time.Duration
	HTTPStatus int
	Entries    []ErrorEntry
}

// ErrorEntry is one entry of an error answer.
type ErrorEntry struct {
	Code     string
	Text     string
	Module   string
	Messages []Message // data.messages (errorformat=plaintext) or error.messages (legacy format)
	// DisallowedTags is data.disallowedtags of "badtags".
	DisallowedTags []string
	// BlockInfo is data.blockinfo of "blocked" (blockedby, blockreason,
	// blockexpiry...), raw.
	BlockInfo json.RawMessage
	// Data is the entry's whole data object, raw (e.g. the offset of a
	// chunked upload's stashfailed, the details of verification-error).
	Data json.RawMessage
}

// Message is a MediaWiki message behind an error: its key and parameters.
type Message struct {
	Name       string            `json:"name"`
	Parameters []json.RawMessage `json:"parameters"`
}

func (e *APIError) Error() string {
	if e.Info == "" {
		return "the wiki answered " + e.Code
	}
	return "the wiki answered " + e.Code + ": " + e.Info
}

// Has says whether any entry has one of the codes, or any entry's messages
// one of them as a name.
func (e *APIError) Has(names ...string) bool {
	if e.Code != "" && slices.Contains(names, e.Code) {
		return true
	}
	for _, x := range e.Entries {
		if slices.Contains(names, x.Code) {
			return true
		}
		for _, m := range x.Messages {
			if slices.Contains(names, m.Name) {
				return true
			}
		}
	}
	return false
}

// MessageNames lists the codes and message names of every entry, in order
// (for logs and tests).
func (e *APIError) MessageNames() []string {
	var out []string
	for _, x := range e.Entries {
		out = append(out, x.Code)
		for _, m := range x.Messages {
			out = append(out, m.Name)
		}
	}
	return out
}

// Warning is one entry of an answer's "warnings" (errorformat=plaintext),
// such as Wikibase's wikibase-conflict-patched.
type Warning struct {
	Code   string `json:"code"`
	Text   string `json:"text"`
	Module string `json:"module"`
}

// ErrOutcomeUnknown means a write was sent but its answer was lost (a
// time-out, a dropped connection, a server error): it may or may not have
// been applied, and may even be applied later (MediaWiki finishes a save
// whose client has gone), so it must not be sent again before looking.
var ErrOutcomeUnknown = errors.New("the wiki's answer to an edit was lost: it may or may not have been applied")

// ErrNotSent means an edit request never left (no connection could be
// made, or it was cancelled before sending): nothing can have been applied.
var ErrNotSent = errors.New("the edit was not sent")

type rawEntry struct {
	Code     string          `json:"code"`
	Text     string          `json:"text"`
	Info     string          `json:"info"`
	Module   string          `json:"module"`
	Messages []Message       `json:"messages"` // legacy format
	Data     json.RawMessage `json:"data"`
}

func (r rawEntry) entry() ErrorEntry {
	x := ErrorEntry{Code: r.Code, Text: r.Text, Module: r.Module, Messages: r.Messages, Data: r.Data}
	if x.Text == "" {
		x.Text = r.Info
	}
	var data struct {
		Messages       []Message       `json:"messages"`
		DisallowedTags []string        `json:"disallowedtags"`
		BlockInfo      json.RawMessage `json:"blockinfo"`
	}
	if len(r.Data) > 0 && json.Unmarshal(r.Data, &data) == nil {
		x.Messages = append(x.Messages, data.Messages...)
		x.DisallowedTags = data.DisallowedTags
		x.BlockInfo = data.BlockInfo
	}
	return x
}

// parseAPIError reads both error shapes: {"error":{code,info}} and, with
// errorformat=plaintext, {"errors":[{code,text,data}...]}, every entry. It
// returns nil when the body holds no error.
func parseAPIError(body []byte, h http.Header, status int) *APIError {
	var r struct {
		Error  *rawEntry  `json:"error"`
		Errors []rawEntry `json:"errors"`
	}
	if json.Unmarshal(body, &r) != nil {
		return nil
	}
	e := &APIError{}
	switch {
	case r.Error != nil && r.Error.Code != "":
		e.Entries = []ErrorEntry{r.Error.entry()}
	case len(r.Errors) > 0:
		for _, x := range r.Errors {
			e.Entries = append(e.Entries, x.entry())
		}
	default:
		return nil
	}
	e.Code = e.Entries[0].Code
	var texts []string
	for _, x := range e.Entries {
		if x.Text != "" && !slices.Contains(texts, x.Text) {
			texts = append(texts, x.Text)
		}
	}
	e.Info = strings.Join(texts, " ")
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

func apiErrorOf(err error) *APIError {
	var e *APIError
	if errors.As(err, &e) {
		return e
	}
	return nil
}

func codeOf(err error) string {
	if e := apiErrorOf(err); e != nil {
		return e.Code
	}
	return ""
}

func has(err error, names ...string) bool {
	e := apiErrorOf(err)
	return e != nil && e.Has(names...)
}

// IsMaxlag says the wiki's databases lag: wait RetryAfter and try again.
func IsMaxlag(err error) bool { return has(err, "maxlag") }

// IsRateLimited says the user made too many edits too fast: "ratelimited",
// HTTP 429, or a "failed-save" whose messages include actionthrottledtext
// (HTTP 200 and no Retry-After: the caller backs off by itself). Nothing
// was applied: wait and send again.
func IsRateLimited(err error) bool {
	e := apiErrorOf(err)
	if e == nil {
		return false
	}
	return e.HTTPStatus == http.StatusTooManyRequests || e.Has("ratelimited", "actionthrottled", "actionthrottledtext")
}

// IsEditConflict says the item changed since the base revision in a way
// Wikibase could not patch.
func IsEditConflict(err error) bool { return has(err, "editconflict", "edit-conflict") }

// IsReadOnly says the wiki takes no edits for now (maintenance).
func IsReadOnly(err error) bool { return has(err, "readonly") }

// IsProtected says this page is protected against the user's edits: the
// item fails, other items may still be edited.
func IsProtected(err error) bool {
	return has(err, "protectedpage", "protectedpagetext", "cascadeprotected", "cascadeprotectedwarning",
		"protectednamespace", "protectednamespace-interface", "protectedinterface", "titleprotected")
}

// IsBlocked says the user (or their IP) is blocked from editing.
func IsBlocked(err error) bool {
	return has(err, "blocked", "autoblocked", "blockedtext", "autoblockedtext", "systemblockedtext", "blockedtext-partial",
		"globalblocking-blockedtext", "globalblocking-blocked", "abusefilter-blocked", "blocked-notice-logextract")
}

// IsAuthLost says the wiki does not take the request as the user's: the
// OAuth grant was revoked or is invalid, or the user is logged out.
func IsAuthLost(err error) bool {
	e := apiErrorOf(err)
	if e == nil {
		return false
	}
	if e.Has("assertuserfailed", "assertnameduserfailed", "assertbotfailed", "notloggedin", "badaccess-groups") {
		return true
	}
	for _, x := range e.Entries {
		if strings.HasPrefix(x.Code, "mwoauth-") {
			return true
		}
	}
	return false
}

// IsBadTags says a change tag the edit carries may not be applied (not
// registered, inactive, or not for manual use): a configuration error that
// affects every edit.
func IsBadTags(err error) bool {
	return has(err, "badtags", "tags-apply-not-allowed-one", "tags-apply-not-allowed-multi", "tags-apply-no-permission")
}

// DisallowedTags lists the tags a badtags answer names.
func DisallowedTags(err error) []string {
	e := apiErrorOf(err)
	if e == nil {
		return nil
	}
	var out []string
	for _, x := range e.Entries {
		out = append(out, x.DisallowedTags...)
	}
	return out
}

// IsMissingEntity says the entity does not exist (deleted, or never was).
func IsMissingEntity(err error) bool { return has(err, "no-such-entity", "missingtitle") }

// IsRedirect says the entity is a redirect (merged into another item).
func IsRedirect(err error) bool {
	return has(err, "unresolved-redirect", "wikibase-api-unresolved-redirect")
}

// IsPermissionDenied says the user lacks a right for the action, with no
// more specific reason (protection, block) given.
func IsPermissionDenied(err error) bool {
	return has(err, "permissiondenied", "writeapidenied", "noedit", "cantcreate", "nocreate") && !IsProtected(err) && !IsBlocked(err)
}

// IsFatalForUser says the wiki refuses this user's edits altogether (a
// block, a revoked or invalid grant, a lost login, no right to edit): stop
// the user's write-back and tell them, rather than retry. A protected page
// is not fatal: it refuses one item.
func IsFatalForUser(err error) bool {
	return IsBlocked(err) || IsAuthLost(err) || IsPermissionDenied(err)
}
