package wikibase

import (
	"encoding/json"
	"os"
	"testing"
)

// TestParseAPIErrorFixtures reads the real error shapes (legacy `error` and plaintext `errors`).
func TestParseAPIErrorFixtures(t *testing.T) {
	b, err := os.ReadFile("testdata/api-errors.json")
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, code                 string
		maxlag, rate, fatal, confl bool
	}{
		{name: "maxlag_live", code: "maxlag", maxlag: true},
		{name: "maxlag_plaintext", code: "maxlag", maxlag: true},
		{name: "badtoken", code: "badtoken"},
		{name: "badtoken_plaintext", code: "badtoken"},
		{name: "assertuserfailed", code: "assertuserfailed", fatal: true},
		{name: "ratelimited", code: "ratelimited", rate: true},
		{name: "editconflict", code: "editconflict", confl: true},
		{name: "readonly", code: "readonly", fatal: true},
		{name: "blocked", code: "blocked", fatal: true},
		{name: "permissiondenied", code: "permissiondenied", fatal: true},
		{name: "invalid_oauth", code: "mwoauth-invalid-authorization", fatal: true},
		{name: "no_such_entity", code: "no-such-entity"},
		{name: "modification_failed", code: "modification-failed"},
	}
	for _, tc := range tests {
		var ans struct {
			Body json.RawMessage `json:"body"`
		}
		if err := json.Unmarshal(all[tc.name], &ans); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ae := parseAPIError(ans.Body)
		if ae == nil || ae.Code != tc.code || ae.Info == "" {
			t.Errorf("%s: parsed %+v", tc.name, ae)
			continue
		}
		if IsMaxlag(ae) != tc.maxlag || IsRateLimited(ae) != tc.rate || IsFatalForUser(ae) != tc.fatal || IsEditConflict(ae) != tc.confl {
			t.Errorf("%s: misclassified", tc.name)
		}
	}
	for _, ok := range []string{"wbgetentities_missing", "csrf_token"} {
		var ans struct {
			Body json.RawMessage `json:"body"`
		}
		_ = json.Unmarshal(all[ok], &ans)
		if ae := parseAPIError(ans.Body); ae != nil {
			t.Errorf("%s: success answer parsed as error %v", ok, ae)
		}
	}
	if IsRateLimited(&APIError{Code: "failed-save", Info: "The save has failed: bad data"}) {
		t.Error("failed-save without throttling counted as rate limit")
	}
}
