package match

import (
	"fmt"
	"strings"

	"partnerhub/sparql"
)

// Chunk sizes keep each query a sane size (tens of kilobytes) while a batch
// of 200 rows still costs a handful of requests.
const (
	identifierChunk = 500  // (property, value) pairs per identifier query
	labelChunk      = 1500 // language-tagged literals per label query
	factChunk       = 250  // items per fact query
)

const (
	rdfsNS   = "http://www.w3.org/2000/01/rdf-schema#"
	skosNS   = "http://www.w3.org/2004/02/skos/core#"
	schemaNS = "http://schema.org/"
)

func (e *Engine) prefixes() string {
	return sparql.Prefixes(map[string]string{
		"wd": e.t.Wikibase.EntityPrefix, "wdt": e.t.Wikibase.PropertyPrefix,
		"rdfs": rdfsNS, "skos": skosNS, "schema": schemaNS,
	})
}

// identifierQuery finds the items holding any of the (property, value)
// pairs. Wikibase stores external identifiers as plain strings.
func (e *Engine) identifierQuery(pairs []idPair) (string, error) {
	rows := make([][]string, 0, len(pairs))
	for _, p := range pairs {
		prop, err := sparql.PrefixedEntity(e.t.Wikibase.PropertyPrefix, p.Property)
		if err != nil {
			return "", err
		}
		rows = append(rows, []string{prop, sparql.Literal(p.Value)})
	}
	return e.prefixes() + "SELECT ?prop ?value ?item WHERE {\n" +
		sparql.ValuesBlock([]string{"prop", "value"}, rows) + "\n  ?item ?prop ?value .\n}", nil
}

// labelQuery finds the items whose label or alias is exactly one of the
// language-tagged literals.
func (e *Engine) labelQuery(lits []langText) (string, error) {
	rows := make([][]string, 0, len(lits))
	for _, l := range lits {
		lit, err := sparql.LangLiteral(l.Text, l.Lang)
		if err != nil {
			return "", err
		}
		rows = append(rows, []string{lit})
	}
	return e.prefixes() + "SELECT ?text ?item WHERE {\n" +
		sparql.ValuesBlock([]string{"text"}, rows) +
		// Two plain patterns, not "?item ?p ?text" with ?p from VALUES: engines
		// (Oxigraph measurably, by a factor of 400) plan the latter as a scan.
		"\n  { ?item rdfs:label ?text } UNION { ?item skos:altLabel ?text }\n}", nil
}

// factQuery fetches what scoring needs of each item, one (item, key, value)
// row per fact: labels, aliases and descriptions in the languages, P31,
// the mapped properties, the labels of mapped items' values, and whether
// the item is of the template's type (through subclasses unless exact).
func (e *Engine) factQuery(items []string) (string, error) {
	itemTerms := make([][]string, 0, len(items))
	for _, id := range items {
		iri, err := sparql.PrefixedEntity(e.t.Wikibase.EntityPrefix, id)
		if err != nil {
			return "", err
		}
		itemTerms = append(itemTerms, []string{iri})
	}
	langs := e.t.searchLanguages()
	langLits := make([]string, len(langs))
	for i, l := range langs {
		langLits[i] = sparql.Literal(l)
	}
	props := [][]string{
		{"rdfs:label", sparql.Literal("label")},
		{"skos:altLabel", sparql.Literal("alias")},
		{"schema:description", sparql.Literal("description")},
		{"wdt:P31", sparql.Literal("P31")},
	}
	var itemProps [][]string
	seen := map[string]bool{"P31": true}
	for _, name := range e.t.propertyColumns() {
		c := e.t.Columns[name]
		if seen[c.Property] {
			continue
		}
		seen[c.Property] = true
		p, err := sparql.PrefixedEntity(e.t.Wikibase.PropertyPrefix, c.Property)
		if err != nil {
			return "", err
		}
		props = append(props, []string{p, sparql.Literal(c.Property)})
		if c.Kind == KindItem {
			itemProps = append(itemProps, []string{p, sparql.Literal(c.Property + "/label")})
		}
	}
	var b strings.Builder
	b.WriteString(e.prefixes())
	b.WriteString("SELECT ?item ?key ?value WHERE {\n")
	b.WriteString(sparql.ValuesBlock([]string{"item"}, itemTerms))
	b.WriteString("\n  {\n    ")
	b.WriteString(sparql.ValuesBlock([]string{"prop", "key"}, props))
	fmt.Fprintf(&b, "\n    ?item ?prop ?value .\n    FILTER(!isLiteral(?value) || lang(?value) = \"\" || lang(?value) IN (%s))\n  }", strings.Join(langLits, ", "))
	if len(itemProps) > 0 {
		b.WriteString(" UNION {\n    ")
		b.WriteString(sparql.ValuesBlock([]string{"prop", "key"}, itemProps))
		fmt.Fprintf(&b, "\n    ?item ?prop ?object .\n    ?object rdfs:label|skos:altLabel ?value .\n    FILTER(lang(?value) IN (%s))\n  }", strings.Join(langLits, ", "))
	}
	if e.t.Type != nil && !e.t.Type.Exact {
		class, err := sparql.PrefixedEntity(e.t.Wikibase.EntityPrefix, e.t.Type.QID)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, " UNION {\n    ?item wdt:P31/wdt:P279* %s .\n    BIND(%s AS ?key)\n  }", class, sparql.Literal(keyTypeOK))
	}
	b.WriteString("\n}")
	return b.String(), nil
}

// keyTypeOK marks, in the fact query's answer, an item of the template's type.
const keyTypeOK = "type-ok"
