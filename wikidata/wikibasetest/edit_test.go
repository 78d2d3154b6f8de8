package wikibasetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"

	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

func TestEditValidation(t *testing.T) {
	s := wikibasetest.New(t, wikibasetest.Options{
		ConsumerKey: "ck", ConsumerSecret: "cs",
		Accounts:      []wikibasetest.Account{{Name: "Alice", Token: "t", Secret: "s"}},
		Entities:      []*wikidata.Entity{{ID: "Q42", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "Douglas Adams"}}}},
		PropertyTypes: map[string]string{"P31": "wikibase-item", "P569": "time", "P214": "external-id", "P854": "url", "P1476": "monolingualtext", "P2048": "quantity", "P18": "commonsMedia"},
		AllowedTags:   []string{"partnerhub"},
		CommonsFile:   func(name string) bool { return name == "Douglas adams portrait cropped.jpg" },
	})
	c, err := wikidata.NewClient(wikidata.Config{APIURL: s.URL(), UserAgent: "test/1.0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Tag: "partnerhub"},
		&wikidata.Credentials{ConsumerKey: "ck", ConsumerSecret: "cs", Token: "t", TokenSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	day, _ := wikidata.ParseTime("1952-03-11")
	cases := []struct {
		name string
		st   wikidata.Statement
		code string // "" = accepted
	}{
		{"item", wikidata.NewItemStatement("P31", "Q5"), ""},
		{"time", wikidata.NewTimeStatement("P569", day), ""},
		{"external id", wikidata.NewStringStatement("P214", "external-id", "113230702"), ""},
		{"quantity", wikidata.NewQuantityStatement("P2048", "1.96", "http://www.wikidata.org/entity/Q11573"), ""},
		{"monolingual", wikidata.NewMonolingualStatement("P1476", "Hitchhiker", "en"), ""},
		{"unknown property", wikidata.NewItemStatement("P999", "Q5"), "modification-failed"},
		{"string for an item property", wikidata.NewStringStatement("P31", "string", "Q5"), "modification-failed"},
		{"empty string", wikidata.NewStringStatement("P214", "external-id", " "), "modification-failed"},
		{"url without scheme", wikidata.NewStringStatement("P854", "url", "example.org"), "modification-failed"},
		{"day precision without a day", wikidata.NewTimeStatement("P569", wikidata.Time{Time: "+1952-00-00T00:00:00Z", Precision: 11}), "modification-failed"},
		{"amount not a decimal", wikidata.NewQuantityStatement("P2048", "tall", ""), "modification-failed"},
		{"bad language", wikidata.NewMonolingualStatement("P1476", "x", "English"), "modification-failed"},
		{"file on Commons", wikidata.NewStringStatement("P18", "commonsMedia", "Douglas adams portrait cropped.jpg"), ""},
		{"file not on Commons", wikidata.NewStringStatement("P18", "commonsMedia", "Nowhere.jpg"), "modification-failed"},
		{"file name with its namespace", wikidata.NewStringStatement("P18", "commonsMedia", "File:Douglas adams portrait cropped.jpg"), "modification-failed"},
	}
	for _, tc := range cases {
		cur := s.Entity("Q42")
		data, err := json.Marshal(map[string]any{"claims": []wikidata.Statement{tc.st}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.EditEntity(context.Background(), wikidata.EditRequest{ID: "Q42", Data: data, BaseRevID: cur.LastRevID})
		var ae *wikidata.APIError
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.code == "" && res.LastRevID != cur.LastRevID+1:
			t.Errorf("%s: revision %d after %d", tc.name, res.LastRevID, cur.LastRevID)
		case tc.code != "" && (!errors.As(err, &ae) || ae.Code != tc.code):
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		case tc.code != "" && s.Entity("Q42").LastRevID != cur.LastRevID:
			t.Errorf("%s: refused edit changed the item", tc.name)
		}
	}
	// Tags outside the allowed list are refused.
	_, err = c.EditEntity(context.Background(), wikidata.EditRequest{ID: "Q42", Data: json.RawMessage(`{"labels":{"de":{"language":"de","value":"D. A."}}}`), Tags: []string{"other"}})
	var ae *wikidata.APIError
	if !errors.As(err, &ae) || ae.Code != "badtags" || !wikidata.IsBadTags(err) || wikidata.DisallowedTags(err)[0] != "other" {
		t.Fatalf("unknown tag: %v", err)
	}
	// An edit that changes nothing makes no revision.
	cur := s.Entity("Q42")
	res, err := c.EditEntity(context.Background(), wikidata.EditRequest{ID: "Q42", Data: json.RawMessage(`{"labels":{"en":{"language":"en","value":"Douglas Adams"}}}`)})
	if err != nil || !res.NoChange || s.Entity("Q42").LastRevID != cur.LastRevID {
		t.Fatalf("no-op edit: %+v %v", res, err)
	}
}

// TestRemovalsAndRevisionContents: statements are removed by GUID and
// labels with "remove", as wbeditentity does; a GUID the item no longer has
// fails the whole edit as Wikibase's ChangeOpRemoveStatement does
// (modification-failed), and prop=revisions by revids gives each
// revision's stored entity and parent.
func TestRemovalsAndRevisionContents(t *testing.T) {
	s := wikibasetest.New(t, wikibasetest.Options{
		ConsumerKey: "ck", ConsumerSecret: "cs",
		Accounts: []wikibasetest.Account{{Name: "Alice", Token: "t", Secret: "s"}},
		Entities: []*wikidata.Entity{{ID: "Q42", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "Douglas Adams"}}}},
	})
	c, err := wikidata.NewClient(wikidata.Config{APIURL: s.URL(), UserAgent: "test/1.0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		&wikidata.Credentials{ConsumerKey: "ck", ConsumerSecret: "cs", Token: "t", TokenSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first := s.Entity("Q42").LastRevID
	data, _ := json.Marshal(map[string]any{"claims": []wikidata.Statement{wikidata.NewStringStatement("P214", "external-id", "113230702")}})
	res, err := c.EditEntity(ctx, wikidata.EditRequest{ID: "Q42", Data: data, BaseRevID: first})
	if err != nil {
		t.Fatal(err)
	}
	guid := res.Entity.Claims["P214"][0].ID
	revs, err := c.RevisionContents(ctx, []int64{res.LastRevID, first, 999999})
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 2 || revs[res.LastRevID].ParentID != first || revs[first].ParentID != 0 ||
		revs[res.LastRevID].Entity.Claims["P214"][0].ID != guid || len(revs[first].Entity.Claims) != 0 || revs[first].Entity.Labels["en"].Value != "Douglas Adams" {
		t.Fatalf("revisions %+v", revs)
	}
	remove := json.RawMessage(`{"claims":[{"id":"` + guid + `","remove":""}],"labels":{"en":{"language":"en","remove":""}}}`)
	if _, err := c.EditEntity(ctx, wikidata.EditRequest{ID: "Q42", Data: remove, BaseRevID: res.LastRevID}); err != nil {
		t.Fatal(err)
	}
	if e := s.Entity("Q42"); len(e.Claims) != 0 || len(e.Labels) != 0 {
		t.Fatalf("after the removal: %+v", e)
	}
	// The same removal again: the statement is gone.
	cur := s.Entity("Q42").LastRevID
	_, err = c.EditEntity(ctx, wikidata.EditRequest{ID: "Q42", Data: json.RawMessage(`{"claims":[{"id":"` + guid + `","remove":""}]}`)})
	var ae *wikidata.APIError
	if !errors.As(err, &ae) || ae.Code != "modification-failed" || ae.Info != "Entity does not have statement with GUID "+guid || s.Entity("Q42").LastRevID != cur {
		t.Fatalf("removing a statement that is gone: %v", err)
	}
	_, err = c.EditEntity(ctx, wikidata.EditRequest{ID: "Q42", Data: json.RawMessage(`{"claims":[{"remove":""}]}`)})
	if !errors.As(err, &ae) || ae.Code != "invalid-claim" {
		t.Fatalf("removing without a GUID: %v", err)
	}
}
