// Package wdqs reads items' data from a Wikibase query service: labels,
// descriptions and property values of many items in one batched SPARQL
// query (for exports to partners), and whether an item exists (for QIDs a
// reviewer types by hand). It uses only standard SPARQL 1.1 and Wikibase's
// RDF vocabulary, so any Wikibase with a query service works.
package wdqs

import (
	"context"
	"fmt"
	"strings"

	"partnerhub/jobs/export"
	"partnerhub/sparql"
)

// Querier runs SELECT queries (a *sparql.Client).
type Querier interface {
	Select(ctx context.Context, q string) (*sparql.Results, error)
}

// Items reads item data from one Wikibase's query service.
type Items struct {
	Q              Querier
	EntityPrefix   string // e.g. http://www.wikidata.org/entity/
	PropertyPrefix string // direct-claim prefix, e.g. http://www.wikidata.org/prop/direct/
}

const (
	rdfsNS   = "http://www.w3.org/2000/01/rdf-schema#"
	schemaNS = "http://schema.org/"
	xsdNS    = "http://www.w3.org/2001/XMLSchema#"
)

// Facts reads labels and descriptions in languages, and the values of
// properties, of up to export.MaxFactsBatch items in one query.
func (it Items) Facts(ctx context.Context, qids, languages, properties []string) (map[string]export.ItemFact, error) {
	out := map[string]export.ItemFact{}
	for _, chunk := range sparql.Chunk(qids, export.MaxFactsBatch) {
		q, err := it.factsQuery(chunk, languages, properties)
		if err != nil {
			return nil, err
		}
		if q == "" {
			continue
		}
		res, err := it.Q.Select(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("read item data: %w", err)
		}
		for _, row := range res.Rows {
			qid, ok := strings.CutPrefix(row["item"].Value, it.EntityPrefix)
			if !ok {
				continue
			}
			f := out[qid]
			if f.Labels == nil {
				f = export.ItemFact{Labels: map[string]string{}, Descriptions: map[string]string{}, Claims: map[string][]string{}}
			}
			v := row["v"]
			switch kind := row["k"].Value; kind {
			case "label":
				f.Labels[v.Lang] = v.Value
			case "description":
				f.Descriptions[v.Lang] = v.Value
			default:
				f.Claims[kind] = append(f.Claims[kind], it.display(v))
			}
			out[qid] = f
		}
	}
	return out, nil
}

func (it Items) factsQuery(qids, languages, properties []string) (string, error) {
	var items []string
	for _, q := range qids {
		term, err := sparql.PrefixedEntity(it.EntityPrefix, q)
		if err != nil {
			return "", err
		}
		items = append(items, term)
	}
	if len(items) == 0 {
		return "", nil
	}
	var langs []string
	for _, l := range languages {
		lit, err := sparql.LangLiteral("x", l) // validates the tag
		if err != nil {
			return "", err
		}
		langs = append(langs, sparql.Literal(strings.TrimPrefix(lit[strings.LastIndexByte(lit, '@'):], "@")))
	}
	var parts []string
	if len(langs) > 0 {
		in := strings.Join(langs, ", ")
		parts = append(parts,
			`{ ?item rdfs:label ?v . BIND("label" AS ?k) FILTER(LANG(?v) IN (`+in+`)) }`,
			`{ ?item schema:description ?v . BIND("description" AS ?k) FILTER(LANG(?v) IN (`+in+`)) }`)
	}
	if len(properties) > 0 {
		var rows [][]string
		for _, p := range properties {
			term, err := sparql.PrefixedEntity(it.PropertyPrefix, p)
			if err != nil {
				return "", err
			}
			rows = append(rows, []string{sparql.Literal(p), term})
		}
		parts = append(parts, `{ `+sparql.ValuesBlock([]string{"k", "prop"}, rows)+` ?item ?prop ?v . }`)
	}
	if len(parts) == 0 {
		return "", nil
	}
	rowsOf := make([][]string, len(items))
	for i, t := range items {
		rowsOf[i] = []string{t}
	}
	return sparql.Prefixes(map[string]string{"rdfs": rdfsNS, "schema": schemaNS}) +
		"SELECT ?item ?k ?v WHERE {\n" + sparql.ValuesBlock([]string{"item"}, rowsOf) + "\n" +
		strings.Join(parts, "\nUNION\n") + "\n}", nil
}

// display renders a value for a spreadsheet cell: items as their id,
// dates as YYYY-MM-DD, anything else as its text.
func (it Items) display(v sparql.Term) string {
	if v.Type == "uri" {
		if id, ok := strings.CutPrefix(v.Value, it.EntityPrefix); ok {
			return id
		}
		return v.Value
	}
	if v.Datatype == xsdNS+"dateTime" && len(v.Value) >= 10 {
		s := strings.TrimPrefix(v.Value, "+")
		if i := strings.IndexByte(s, 'T'); i > 0 {
			return s[:i]
		}
	}
	return v.Value
}

// Exists says whether qid is an item with any statement or label on the
// query service, and returns one of its labels in languages if it has one.
func (it Items) Exists(ctx context.Context, qid string, languages []string) (label string, ok bool, err error) {
	term, err := sparql.PrefixedEntity(it.EntityPrefix, qid)
	if err != nil {
		return "", false, err
	}
	res, err := it.Q.Select(ctx, sparql.Prefixes(map[string]string{"rdfs": rdfsNS})+
		"SELECT ?l WHERE { { "+term+" ?p ?o } OPTIONAL { "+term+" rdfs:label ?l } } LIMIT 50")
	if err != nil {
		return "", false, fmt.Errorf("look up %s: %w", qid, err)
	}
	if len(res.Rows) == 0 {
		return "", false, nil
	}
	for _, want := range append(languages, "mul", "en") {
		for _, r := range res.Rows {
			if l, ok := r["l"]; ok && l.Lang == want {
				return l.Value, true, nil
			}
		}
	}
	for _, r := range res.Rows {
		if l, ok := r["l"]; ok {
			return l.Value, true, nil
		}
	}
	return "", true, nil
}
