package commonstest

import (
	"net/http"

	"partnerhub/wikidata/internal/fakeserve"
)

// Error answers are shaped as MediaWiki's (and, for Wikibase modules, as
// the captured answers in wikidata/testdata): HTTP 200, with
// errorformat=plaintext a list of {code, text, module, data} entries,
// Retry-After only on maxlag and throttles that say so.

type errEntry = fakeserve.ErrorEntry

const textThrottled = "As an anti-abuse measure, you are limited from performing this action too many times in a short space of time, and you have exceeded this limit. Please try again in a few minutes."

func writeErrors(rw http.ResponseWriter, r *http.Request, retryAfter int, entries ...errEntry) {
	fakeserve.WriteErrors(rw, r, "commonstest", legacyError, retryAfter, entries...)
}

// legacyError is the error object of the legacy format: the first entry's
// code and text, with its data's keys.
func legacyError(entries []errEntry) map[string]any {
	e := map[string]any{"code": entries[0].Code, "info": entries[0].Text}
	for k, v := range entries[0].Data {
		e[k] = v
	}
	return e
}

func apiError(rw http.ResponseWriter, r *http.Request, code, text, module string) {
	writeErrors(rw, r, 0, errEntry{Code: code, Text: text, Module: module})
}

func writeJSON(rw http.ResponseWriter, v any) { fakeserve.WriteJSON(rw, v) }
