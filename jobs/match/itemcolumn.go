package match

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"partnerhub/sparql"
)

// A column with the "item" role holds the item the partner already links
// the row to (Mix'n'match #50). Its value becomes the row's candidate with
// that as evidence, after a check on the wiki: an item that does not exist
// (deleted, or a typo) is said so and not proposed; a redirect (a merged
// item) proposes its target and says so; an item not of the template's type
// is said so. A row whose partner item needed any of these is held for review.

const owlSameAs = "http://www.w3.org/2002/07/owl#sameAs"

// partnerItem is what a row's item column says and what the wiki says of it.
type partnerItem struct {
	Column, Value string
	QID           string // the id read from the cell; "" when it is none
	Target        string // the item to propose: QID, or its redirect's target
	Problem       string // said on the row's candidates; the row is held
}

// itemColumn is the template's Wikidata item column, "" when none.
func (t *Template) itemColumn() string {
	for _, name := range sortedColumns(t) {
		if t.Columns[name].Role == RoleItem {
			return name
		}
	}
	return ""
}

func sortedColumns(t *Template) []string {
	names := make([]string, 0, len(t.Columns))
	for n := range t.Columns {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// readPartnerItem reads an item id from a cell: "Q42", "wd:Q42", or the
// item's entity IRI or page URL on this wiki.
func (e *Engine) readPartnerItem(r Row) *partnerItem {
	col := e.t.itemColumn()
	if col == "" {
		return nil
	}
	v := strings.TrimSpace(r.Values[col])
	if v == "" {
		return nil
	}
	p := &partnerItem{Column: col, Value: v}
	id := v
	for _, prefix := range []string{e.t.Wikibase.EntityPrefix, e.t.Wikibase.SiteURL, strings.Replace(e.t.Wikibase.EntityPrefix, "http://", "https://", 1), "wd:"} {
		if rest, ok := strings.CutPrefix(id, prefix); ok {
			id = rest
			break
		}
	}
	id = strings.ToUpper(strings.TrimPrefix(id, "Item:"))
	if !itemID.MatchString(id) {
		p.Problem = fmt.Sprintf("the partner's %s %q is not an item id like Q42", col, v)
		return p
	}
	p.QID = id
	return p
}

// checkPartnerItems asks the wiki, in one query per chunk, which of the
// partner's items exist and which are redirects, and adds the items to
// propose to the rows' candidates.
func (e *Engine) checkPartnerItems(ctx context.Context, items []*partnerItem, cands []rowCands) error {
	var ids []string
	seen := map[string]bool{}
	for _, p := range items {
		if p != nil && p.QID != "" && !seen[p.QID] {
			seen[p.QID] = true
			ids = append(ids, p.QID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	sortQIDs(ids)
	var queries []string
	for _, chunk := range sparql.Chunk(ids, factChunk) {
		terms, err := e.itemTerms(chunk)
		if err != nil {
			return fmt.Errorf("build the partner item query: %w", err)
		}
		// A redirect has no statements of its own, only owl:sameAs.
		queries = append(queries, e.prefixes()+"PREFIX owl: <http://www.w3.org/2002/07/owl#>\nSELECT ?item ?target ?exists WHERE {\n"+
			sparql.ValuesBlock([]string{"item"}, terms)+
			"\n  OPTIONAL { ?item owl:sameAs ?target }\n  BIND(EXISTS { ?item ?p ?o FILTER(?p != owl:sameAs) } AS ?exists)\n}")
	}
	results, err := e.selectAll(ctx, "check the partner's items", queries)
	if err != nil {
		return err
	}
	exists, target := map[string]bool{}, map[string]string{}
	for _, res := range results {
		for _, row := range res.Rows {
			q, ok := e.qid(row["item"])
			if !ok {
				continue
			}
			if row["exists"].Value == "true" || row["exists"].Value == "1" {
				exists[q] = true
			}
			if t, ok := e.qid(row["target"]); ok && row["target"].Value != "" {
				target[q] = t
			}
		}
	}
	for i, p := range items {
		if p == nil || p.QID == "" {
			continue
		}
		switch {
		case target[p.QID] != "":
			p.Target = target[p.QID]
			p.Problem = fmt.Sprintf("the partner's item %s is a redirect to %s (the items were merged): check and update the partner's data", p.QID, p.Target)
		case exists[p.QID]:
			p.Target = p.QID
		default:
			p.Problem = fmt.Sprintf("the partner's item %s (%s) does not exist on the wiki: deleted, or a typo", p.QID, p.Column)
			continue
		}
		cands[i].add(p.Target, "partner item")
	}
	return nil
}

// partnerEvidence adds what the partner's item says to a scored candidate;
// hold says the row must not be accepted without review; wrongType is said
// when the candidate is the partner's item and not of the template's type.
func (e *Engine) partnerEvidence(p *partnerItem, c *candidate, f *itemFacts) (hold bool, wrongType string) {
	if p == nil {
		return false, ""
	}
	if c.QID == p.Target {
		c.Evidence = append(c.Evidence, fmt.Sprintf("the partner's %s names this item", p.Column))
		c.Score = min(1, c.Score+bonusIdentifier)
		if len(e.t.typeConstraints()) > 0 && (f == nil || !f.TypeOK) {
			wrongType = fmt.Sprintf("the partner's item %s is not of the template's type: review", c.QID)
			c.Evidence = append(c.Evidence, wrongType)
			hold = true
		}
	} else if p.Target != "" {
		// Disagreeing with the partner is for a person to settle.
		c.Evidence = append(c.Evidence, fmt.Sprintf("not the item the partner's %s names (%s): review", p.Column, p.Target))
		hold = true
	}
	if p.Problem != "" {
		c.Evidence = append(c.Evidence, p.Problem)
		hold = true
	}
	return hold, wrongType
}

// partnerNote is the row-level note on what the wiki said of the partner's
// item: it reaches the user even when no candidate is left to carry it.
func partnerNote(p *partnerItem, wrongType string) string {
	if p == nil {
		return ""
	}
	var notes []string
	for _, n := range []string{p.Problem, wrongType} {
		if n != "" {
			notes = append(notes, n)
		}
	}
	return strings.Join(notes, "; ")
}
