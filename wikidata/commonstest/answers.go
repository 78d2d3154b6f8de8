package commonstest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Error answers are shaped as MediaWiki's (and, for Wikibase modules, as
// the captured answers in wikidata/testdata): HTTP 200, with
// errorformat=plaintext a list of {code, text, module, data} entries,
// Retry-After only on maxlag and throttles that say so.

type errEntry struct {
	Code, Text, Module string
	Data               map[string]any
}

const textThrottled = "As an anti-abuse measure, you are limited from performing this action too many times in a short space of time, and you have exceeded this limit. Please try again in a few minutes."

func writeErrors(rw http.ResponseWriter, r *http.Request, retryAfter int, entries ...errEntry) {
	if retryAfter > 0 {
		rw.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	rw.Header().Set("MediaWiki-API-Error", entries[0].Code)
	var body map[string]any
	if r.FormValue("errorformat") == "plaintext" {
		var errs []any
		for _, e := range entries {
			x := map[string]any{"code": e.Code, "text": e.Text}
			if e.Data != nil {
				x["data"] = e.Data
			}
			if e.Module != "" {
				x["module"] = e.Module
			}
			errs = append(errs, x)
		}
		body = map[string]any{"errors": errs}
	} else {
		e := map[string]any{"code": entries[0].Code, "info": entries[0].Text}
		for k, v := range entries[0].Data {
			e[k] = v
		}
		body = map[string]any{"error": e}
	}
	body["docref"] = "See " + APIPath + " for API usage. Subscribe to the mediawiki-api-announce mailing list for notice of API deprecations and breaking changes."
	body["servedby"] = "commonstest"
	writeJSON(rw, body)
}

func apiError(rw http.ResponseWriter, r *http.Request, code, text, module string) {
	writeErrors(rw, r, 0, errEntry{Code: code, Text: text, Module: module})
}

func writeJSON(rw http.ResponseWriter, v any) {
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(rw).Encode(v)
}
