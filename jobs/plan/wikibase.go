package plan

import (
	"context"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
	"partnerhub/wikidata/wdqs"
)

// WikibaseNames looks names up through the shared Wikibase reader, under the
// spellings matching uses (match.NameVariants: tidied, case repaired,
// "Korea, South" turned round).
func WikibaseNames(r *wdqs.Reader) ItemNames { return wikibaseNames{r} }

type wikibaseNames struct{ r *wdqs.Reader }

func (n wikibaseNames) ValueTypes(ctx context.Context, property string) ([]string, error) {
	return n.r.ValueTypes(ctx, property)
}

func (n wikibaseNames) Named(ctx context.Context, names, languages, classes []string) (map[string][]jobs.ValueCandidate, error) {
	found, err := n.r.Named(ctx, names, languages, classes, match.NameVariants)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]jobs.ValueCandidate, len(found))
	for name, items := range found {
		for _, it := range items {
			out[name] = append(out[name], jobs.ValueCandidate{QID: it.QID, Label: it.Label, Language: it.Language, Description: it.Description, Typed: it.Typed})
		}
	}
	return out, nil
}
