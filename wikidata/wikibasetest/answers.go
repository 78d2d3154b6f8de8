package wikibasetest

import (
	"fmt"
	"net/http"
	"strings"

	"partnerhub/wikidata/internal/fakeserve"
)

// The error answers below are shaped like those captured from a real
// MediaWiki 1.39 + Wikibase + Extension:OAuth
// (shared/fixtures/api-answers-wikibase-1.39.json): with
// errorformat=plaintext a list of entries, the later ones carrying the real
// reason in data.messages; HTTP 200, no Retry-After except on maxlag.

// errEntry is one entry of an error answer.
type errEntry = fakeserve.ErrorEntry

// msg is one of data.messages.
func msg(name, html string, params ...any) map[string]any {
	if params == nil {
		params = []any{}
	}
	return map[string]any{"name": name, "parameters": params, "html": html}
}

func messages(ms ...map[string]any) map[string]any {
	list := make([]any, len(ms))
	for i, m := range ms {
		list[i] = m
	}
	return map[string]any{"messages": list}
}

const (
	textFailedSave   = "The save has failed."
	textThrottled    = "As an anti-abuse measure, you are limited from performing this action too many times in a short space of time, and you have exceeded this limit. Please try again in a few minutes."
	textPermission   = "You do not have the permissions needed to carry out this action."
	textProtected    = "This page has been protected to prevent editing or other actions."
	textBlockedShort = "You have been blocked from editing."
)

// writeErrors answers an error in the shape of the request's errorformat
// (nothing to a nil rw: an edit applied without answering).
func writeErrors(rw http.ResponseWriter, r *http.Request, retryAfter int, entries ...errEntry) {
	if rw == nil {
		return
	}
	fakeserve.WriteErrors(rw, r, "wikibasetest", legacyError, retryAfter, entries...)
}

// legacyError is the error object of the legacy format: it names the first
// error and lists the messages of the others.
func legacyError(entries []errEntry) map[string]any {
	e := map[string]any{"code": entries[0].Code, "info": entries[0].Text}
	var ms []any
	for _, x := range entries {
		if m, ok := x.Data["messages"].([]any); ok {
			ms = append(ms, m...)
		}
	}
	if len(ms) > 0 {
		e["messages"] = ms
	}
	return e
}

// apiError answers a one-entry error.
func apiError(rw http.ResponseWriter, r *http.Request, code, text string, retryAfter int) {
	writeErrors(rw, r, retryAfter, errEntry{Code: code, Text: text, Module: "main"})
}

func throttledAnswer(rw http.ResponseWriter, r *http.Request) {
	writeErrors(rw, r, 0,
		errEntry{Code: "failed-save", Text: textFailedSave, Module: "wbeditentity"},
		errEntry{Code: "ratelimited", Text: textThrottled, Module: "wbeditentity"},
		errEntry{Code: "failed-save", Text: textFailedSave, Module: "wbeditentity", Data: messages(
			msg("wikibase-api-failed-save", textFailedSave),
			msg("actionthrottledtext", textThrottled))})
}

func protectedAnswer(rw http.ResponseWriter, r *http.Request) {
	writeErrors(rw, r, 0,
		errEntry{Code: "permissiondenied", Text: textPermission, Module: "wbeditentity"},
		errEntry{Code: "protectedpage", Text: textProtected, Module: "wbeditentity"},
		errEntry{Code: "permissiondenied", Text: textPermission, Module: "wbeditentity", Data: messages(
			msg("wikibase-api-permissiondenied", textPermission),
			msg("protectedpagetext", textProtected, "editprotected", "edit"))})
}

func blockedAnswer(rw http.ResponseWriter, r *http.Request, user string) {
	long := fmt.Sprintf("Your username or IP address has been blocked. The block was made by [[User:Admin|Admin]]. The reason given is test block. Intended blockee: %s.", user)
	writeErrors(rw, r, 0,
		errEntry{Code: "permissiondenied", Text: textPermission, Module: "wbeditentity"},
		errEntry{Code: "blocked", Text: long, Module: "wbeditentity"},
		errEntry{Code: "permissiondenied", Text: textPermission, Module: "wbeditentity", Data: messages(
			msg("wikibase-api-permissiondenied", textPermission),
			msg("blockedtext", long, "[[User:Admin|Admin]]", "test block", "127.0.0.1", "Admin", 4242, "infinite", user, "00:00, 1 December 2026"))},
		errEntry{Code: "blocked", Text: textBlockedShort, Module: "wbeditentity", Data: map[string]any{"blockinfo": map[string]any{
			"blockid": 4242, "blockedby": "Admin", "blockedbyid": 1, "blockreason": "test block", "blockedtimestamp": "2026-12-01T00:00:00Z",
			"blockexpiry": "infinite", "blockpartial": false, "blocknocreate": false, "blockanononly": false}}})
}

func badTagsAnswer(rw http.ResponseWriter, r *http.Request, tags []string) {
	text := fmt.Sprintf("The tag %q is not allowed to be manually applied.", tags[0])
	if len(tags) > 1 {
		text = "The following tags are not allowed to be manually applied: " + strings.Join(tags, ", ")
	}
	writeErrors(rw, r, 0, errEntry{Code: "badtags", Text: text, Module: "wbeditentity", Data: map[string]any{"disallowedtags": tags}})
}

func noSuchEntityAnswer(rw http.ResponseWriter, r *http.Request, id string) {
	text := fmt.Sprintf("Could not find an entity with the ID %q.", id)
	writeErrors(rw, r, 0, errEntry{Code: "no-such-entity", Text: text, Module: "main", Data: messages(msg("no-such-entity", text, id))})
}

func redirectAnswer(rw http.ResponseWriter, r *http.Request) {
	text := "The given entity ID refers to a redirect, which is not supported in this context."
	writeErrors(rw, r, 0, errEntry{Code: "unresolved-redirect", Text: text, Module: "main", Data: messages(msg("wikibase-api-unresolved-redirect", text))})
}

func revokedGrantAnswer(rw http.ResponseWriter, r *http.Request) {
	writeErrors(rw, r, 0, errEntry{Code: "mwoauth-invalid-authorization",
		Text: "The authorization headers in your request are not valid: No approved grant was found for that authorization token."})
}

func maxlagAnswer(rw http.ResponseWriter, r *http.Request, retryAfter int) {
	rw.Header().Set("X-Database-Lag", "6")
	writeErrors(rw, r, max(retryAfter, 1), errEntry{Code: "maxlag", Text: "Waiting for 10.64.48.35: 6.2 seconds lagged.", Module: "main",
		Data: map[string]any{"host": "10.64.48.35", "lag": 6.2, "type": "db"}})
}

func labelConflictAnswer(rw http.ResponseWriter, r *http.Request, label, lang, other string) {
	link := fmt.Sprintf("[[%s|%s]]", other, other)
	text := fmt.Sprintf("Item %s already has label %q associated with language code %s, using the same description text.", link, label, lang)
	writeErrors(rw, r, 0, errEntry{Code: "modification-failed", Text: text, Module: "main",
		Data: messages(msg("wikibase-validator-label-with-description-conflict", text, label, lang, link))})
}

func editConflictAnswer(rw http.ResponseWriter, r *http.Request) {
	text := "Edit conflict: the entity was modified since the base revision and the changes could not be merged."
	writeErrors(rw, r, 0, errEntry{Code: "editconflict", Text: text, Module: "wbeditentity", Data: messages(msg("edit-conflict", text))})
}
