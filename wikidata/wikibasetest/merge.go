package wikibasetest

import (
	"encoding/json"
	"fmt"

	"partnerhub/wikidata"
)

// Merge merges item from into item to as wbmergeitems (Special:MergeItems)
// does, as user: every statement of from moves to to with a new GUID of to's,
// unless to has an equivalent statement (same main snak and qualifiers), which
// then gets the references it lacks; labels, descriptions and aliases fill
// what to lacks; from is emptied and becomes a redirect to to. Both get a new
// revision.
func (w *Wiki) Merge(user, from, to string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	src, ok := w.entities[from]
	dst, ok2 := w.entities[to]
	if !ok || !ok2 || from == to {
		return fmt.Errorf("wikibasetest: cannot merge %s into %s", from, to)
	}
	next := clone(dst)
	if next.Claims == nil {
		next.Claims = map[string][]wikidata.Statement{}
	}
	for p, sts := range src.Claims {
		for _, st := range sts {
			moved := st
			idx := -1
			for i, have := range next.Claims[p] {
				if sameMainAndQualifiers(have, st) {
					idx = i
					break
				}
			}
			if idx < 0 {
				moved.ID = newGUID(to)
				next.Claims[p] = append(next.Claims[p], moved)
				continue
			}
			have := &next.Claims[p][idx]
			for _, r := range st.References {
				dup := false
				for _, hr := range have.References {
					if hashOf(hr.Snaks) == hashOf(r.Snaks) {
						dup = true
					}
				}
				if !dup {
					have.References = append(have.References, r)
				}
			}
		}
	}
	fill := func(dst *map[string]wikidata.Term, src map[string]wikidata.Term) {
		for l, t := range src {
			if *dst == nil {
				*dst = map[string]wikidata.Term{}
			}
			if _, has := (*dst)[l]; !has {
				(*dst)[l] = t
			}
		}
	}
	fill(&next.Labels, src.Labels)
	fill(&next.Descriptions, src.Descriptions)
	for l, as := range src.Aliases {
		if next.Aliases == nil {
			next.Aliases = map[string][]wikidata.Term{}
		}
		next.Aliases[l] = append(next.Aliases[l], as...)
	}
	summary := fmt.Sprintf("/* wbmergeitems-from:0||%s */", from)
	w.save(next, dst, user, summary, nil, false, false)
	// The source is emptied (a revision) and then turned into a redirect.
	emptied := &wikidata.Entity{ID: from, Type: src.Type, Title: src.Title, PageID: src.PageID, NS: src.NS}
	w.save(emptied, src, user, fmt.Sprintf("/* wbmergeitems-to:0||%s */", to), nil, false, false)
	delete(w.entities, from)
	w.redirects[from] = to
	return nil
}

func sameMainAndQualifiers(a, b wikidata.Statement) bool {
	ma, _ := json.Marshal(struct {
		S wikidata.Snak
		Q map[string][]wikidata.Snak
	}{stripHash(a.MainSnak), stripQualifierHashes(a.Qualifiers)})
	mb, _ := json.Marshal(struct {
		S wikidata.Snak
		Q map[string][]wikidata.Snak
	}{stripHash(b.MainSnak), stripQualifierHashes(b.Qualifiers)})
	return string(ma) == string(mb)
}

func stripHash(s wikidata.Snak) wikidata.Snak { s.Hash = ""; return s }

func stripQualifierHashes(q map[string][]wikidata.Snak) map[string][]wikidata.Snak {
	out := map[string][]wikidata.Snak{}
	for p, ss := range q {
		for _, s := range ss {
			out[p] = append(out[p], stripHash(s))
		}
	}
	return out
}
