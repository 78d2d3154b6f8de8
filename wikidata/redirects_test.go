package wikidata_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// wbgetentities answers (formatversion=2) for a redirect, a deleted item and
// an item, as Wikibase 1.39 gives them: a redirect comes back under the id
// asked for, carrying the target's id and "redirects": {from, to}.
var getEntitiesAnswers = map[string]string{
	"Q20000323": `{"entities":{"Q20000323":{"type":"item","id":"Q20000324","pageid":7,"ns":120,"title":"Item:Q20000324","lastrevid":91,"modified":"2026-11-30T10:00:00Z",
		"redirects":{"from":"Q20000323","to":"Q20000324"},"labels":{"en":{"language":"en","value":"Hilma af Klint"}}}},"success":1}`,
	"Q20000296": `{"entities":{"Q20000296":{"id":"Q20000296","missing":true}},"success":1}`,
	"Q20000324": `{"entities":{"Q20000324":{"type":"item","id":"Q20000324","pageid":7,"ns":120,"title":"Item:Q20000324","lastrevid":91,"modified":"2026-11-30T10:00:00Z",
		"labels":{"sv":{"language":"sv","value":"Hilma af Klint"}}}},"success":1}`,
}

func TestResolveItemFollowsRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("action") != "wbgetentities" || q.Get("redirects") != "yes" || q.Get("formatversion") != "2" || q.Get("errorformat") != "plaintext" {
			http.Error(w, "unexpected request "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		answer, ok := getEntitiesAnswers[q.Get("ids")]
		if !ok {
			http.Error(w, "unknown id", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(answer))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/w/api.php", nil, nil)
	ctx := context.Background()

	r, err := c.ResolveItem(ctx, "Q20000323")
	if err != nil || r.Missing || r.ID != "Q20000324" || r.RedirectedFrom != "Q20000323" || r.Label("sv", "en") != "Hilma af Klint" {
		t.Fatalf("redirect: %+v, %v", r, err)
	}
	r, err = c.ResolveItem(ctx, "Q20000296")
	if err != nil || !r.Missing || r.RedirectedFrom != "" {
		t.Fatalf("deleted: %+v, %v", r, err)
	}
	r, err = c.ResolveItem(ctx, "Q20000324")
	if err != nil || r.Missing || r.ID != "Q20000324" || r.RedirectedFrom != "" || r.Label("en", "sv") != "Hilma af Klint" {
		t.Fatalf("item: %+v, %v", r, err)
	}
	if _, err := c.ResolveItem(ctx, "P31"); err == nil {
		t.Fatal("a property id was resolved as an item")
	}
}
