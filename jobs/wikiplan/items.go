package wikiplan

import (
	"context"

	"partnerhub/jobs"
	"partnerhub/wikidata"
)

// ItemResolver reads what an item id names now (a *wikidata.Client).
type ItemResolver interface {
	ResolveItem(ctx context.Context, id string) (*wikidata.ResolvedItem, error)
}

// CheckTypedItem confirms a QID a reviewer typed: an item that exists is
// returned as it is, a redirect (the item was merged) as its target with
// RedirectedFrom set, so that the decision records the item the row really
// is; a missing one is a clear EINVALID error.
func CheckTypedItem(ctx context.Context, r ItemResolver, qid, siteURL string) (*wikidata.ResolvedItem, error) {
	item, err := r.ResolveItem(ctx, qid)
	if err != nil {
		return nil, jobs.Errorf(jobs.EINVALID, "Could not check %s on the wiki (%v); try again.", qid, err)
	}
	if item.Missing {
		return nil, jobs.Errorf(jobs.EINVALID, "%s does not exist on %s (it was deleted, or never created).", qid, siteURL)
	}
	if !jobs.ValidQID(item.ID) {
		return nil, jobs.Errorf(jobs.EINVALID, "%s redirects to %q, which is not an item.", qid, item.ID)
	}
	return item, nil
}
