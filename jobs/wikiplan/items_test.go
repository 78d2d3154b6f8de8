package wikiplan_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/wikiplan"
	"partnerhub/wikidata"
)

type resolver map[string]*wikidata.ResolvedItem

func (r resolver) ResolveItem(_ context.Context, id string) (*wikidata.ResolvedItem, error) {
	if it, ok := r[id]; ok {
		return it, nil
	}
	return nil, errors.New("connection refused")
}

func TestCheckTypedItem(t *testing.T) {
	r := resolver{
		"Q20000323": {ID: "Q20000324", RedirectedFrom: "Q20000323"},
		"Q20000324": {ID: "Q20000324"},
		"Q20000296": {ID: "Q20000296", Missing: true},
		"Q7":        {ID: "L7", RedirectedFrom: "Q7"},
	}
	ctx := context.Background()
	if it, err := wikiplan.CheckTypedItem(ctx, r, "Q20000323", "https://w.example/wiki/"); err != nil || it.ID != "Q20000324" || it.RedirectedFrom != "Q20000323" {
		t.Fatalf("redirect: %+v %v", it, err)
	}
	if it, err := wikiplan.CheckTypedItem(ctx, r, "Q20000324", "https://w.example/wiki/"); err != nil || it.RedirectedFrom != "" {
		t.Fatalf("item: %+v %v", it, err)
	}
	for qid, want := range map[string]string{"Q20000296": "does not exist on https://w.example/wiki/", "Q1": "Could not check Q1", "Q7": "not an item"} {
		_, err := wikiplan.CheckTypedItem(ctx, r, qid, "https://w.example/wiki/")
		if jobs.ErrorCode(err) != jobs.EINVALID || !strings.Contains(jobs.ErrorMessage(err), want) {
			t.Errorf("%s: %v, want %q", qid, err, want)
		}
	}
}
