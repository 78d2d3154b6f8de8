package match

import (
	"strings"

	"partnerhub/sparql"
)

// Chunk sizes keep each query a sane size (tens of kilobytes) while a batch
// of 200 rows still costs a handful of requests.
const (
	identifierChunk = 500  // (property, value) pairs per identifier query
	labelChunk      = 1500 // language-tagged literals per label query
	factChunk       = 250  // items per fact query (and partner item check)
	linkedChunk     = 200  // (property, item) pairs per linked-items query
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

// labelQuery finds the items whose label (?item) or alias (?alias) is
// exactly one of the language-tagged literals.
func (e *Engine) labelQuery(lits []langText) (string, error) {
	rows := make([][]string, 0, len(lits))
	for _, l := range lits {
		lit, err := sparql.LangLiteral(l.Text, l.Lang)
		if err != nil {
			return "", err
		}
		rows = append(rows, []string{lit})
	}
	return e.prefixes() + "SELECT ?text ?item ?alias WHERE {\n" +
		sparql.ValuesBlock([]string{"text"}, rows) +
		// Two plain patterns, not "?item ?p ?text" with ?p from VALUES: engines
		// (Oxigraph measurably, by a factor of 400) plan the latter as a scan.
		// An alias binds ?alias instead of ?item, which says which it was
		// for nothing (a BIND would be evaluated for every row).
		"\n  { ?item rdfs:label ?text } UNION { ?alias skos:altLabel ?text }\n}", nil
}

// linkedQuery finds the items holding any of the (property, item) pairs
// (a creator's works) with their labels in the languages.
func (e *Engine) linkedQuery(pairs []idPair) (string, error) {
	rows := make([][]string, 0, len(pairs))
	for _, p := range pairs {
		prop, err := sparql.PrefixedEntity(e.t.Wikibase.PropertyPrefix, p.Property)
		if err != nil {
			return "", err
		}
		obj, err := sparql.PrefixedEntity(e.t.Wikibase.EntityPrefix, p.Value)
		if err != nil {
			return "", err
		}
		rows = append(rows, []string{prop, obj})
	}
	return e.prefixes() + "SELECT ?prop ?obj ?item ?text WHERE {\n" +
		sparql.ValuesBlock([]string{"prop", "obj"}, rows) +
		"\n  ?item ?prop ?obj .\n  ?item rdfs:label ?text .\n  FILTER(lang(?text) IN (" + e.langList() + "))\n}", nil
}

func (e *Engine) itemTerms(items []string) ([][]string, error) {
	out := make([][]string, 0, len(items))
	for _, id := range items {
		iri, err := sparql.PrefixedEntity(e.t.Wikibase.EntityPrefix, id)
		if err != nil {
			return nil, err
		}
		out = append(out, []string{iri})
	}
	return out, nil
}

// langList is the languages (and mul) as a SPARQL list of literals.
func (e *Engine) langList() string {
	langs := e.t.searchLanguages()
	lits := make([]string, len(langs))
	for i, l := range langs {
		lits[i] = sparql.Literal(l)
	}
	return strings.Join(lits, ", ")
}
