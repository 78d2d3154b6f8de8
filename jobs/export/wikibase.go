package export

import (
	"context"

	"partnerhub/wikidata/wdqs"
)

// WikibaseFacts reads export columns through the shared Wikibase reader
// (and its cache), the one matching uses too.
func WikibaseFacts(r *wdqs.Reader) ItemFacts { return wikibaseFacts{r} }

type wikibaseFacts struct{ r *wdqs.Reader }

func (f wikibaseFacts) Facts(ctx context.Context, qids, languages, properties []string) (map[string]ItemFact, error) {
	items, err := f.r.Items(ctx, qids, wdqs.Want{Languages: languages, Descriptions: true, Properties: properties})
	if err != nil {
		return nil, err
	}
	out := make(map[string]ItemFact, len(items))
	for id, it := range items {
		fact := ItemFact{Labels: map[string]string{}, Descriptions: map[string]string{}, Claims: map[string][]string{}}
		for _, l := range it.Labels {
			fact.Labels[l.Lang] = l.Value
		}
		for _, d := range it.Descriptions {
			fact.Descriptions[d.Lang] = d.Value
		}
		for _, p := range properties {
			for _, v := range it.Claims[p] {
				fact.Claims[p] = append(fact.Claims[p], v.Display())
			}
		}
		known := len(fact.Labels) > 0 || len(fact.Descriptions) > 0 || len(it.Claims) > 0
		if known {
			out[id] = fact
		}
	}
	return out, nil
}
