package match

import (
	"errors"
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
	linkedChunk     = 200  // (property, item) pairs per linked-items query
	rankChunk       = 1000 // items per ranking query
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

// factQuery fetches what scoring needs of each item, one (item, key,
// value, object) row per fact: labels, aliases and descriptions in the
// languages, P31, the mapped properties, the labels and aliases of mapped
// items' values (object is the value item), and scoped identifiers'
// statements with their qualifier (object is the qualifier's item). The
// type is checked in Go against the classes fetched once (types.go).
func (e *Engine) factQuery(items []string) (string, error) {
	itemTerms, err := e.itemTerms(items)
	if err != nil {
		return "", err
	}
	langs := e.langList()
	props, err := e.mappedProps()
	if err != nil {
		return "", err
	}
	props = append([][]string{
		{"rdfs:label", sparql.Literal("label")},
		{"skos:altLabel", sparql.Literal("alias")},
		{"schema:description", sparql.Literal("description")},
	}, props...)
	var itemProps, scoped [][]string
	seen := map[string]bool{}
	for _, name := range e.t.propertyColumns() {
		c := e.t.Columns[name]
		if c.Scope != nil {
			sp, _ := e.t.statementPrefixes()
			st, err1 := sparql.PrefixedEntity(sp[0], c.Property)
			ps, err2 := sparql.PrefixedEntity(sp[1], c.Property)
			pq, err3 := sparql.PrefixedEntity(sp[2], c.Scope.Property)
			if err := errors.Join(err1, err2, err3); err != nil {
				return "", err
			}
			scoped = append(scoped, []string{st, ps, pq, sparql.Literal(c.Property + "/scoped")})
		}
		if c.Kind != KindItem || seen[c.Property] {
			continue
		}
		seen[c.Property] = true
		p, err := sparql.PrefixedEntity(e.t.Wikibase.PropertyPrefix, c.Property)
		if err != nil {
			return "", err
		}
		itemProps = append(itemProps, []string{p, sparql.Literal(c.Property + "/label")})
	}
	var b strings.Builder
	b.WriteString(e.prefixes())
	b.WriteString("SELECT ?item ?key ?value ?object WHERE {\n")
	b.WriteString(sparql.ValuesBlock([]string{"item"}, itemTerms))
	b.WriteString("\n  {\n    ")
	b.WriteString(sparql.ValuesBlock([]string{"prop", "key"}, props))
	fmt.Fprintf(&b, "\n    ?item ?prop ?value .\n    FILTER(!isLiteral(?value) || lang(?value) = \"\" || lang(?value) IN (%s))\n  }", langs)
	if len(itemProps) > 0 {
		b.WriteString(" UNION {\n    ")
		b.WriteString(sparql.ValuesBlock([]string{"prop", "key"}, itemProps))
		fmt.Fprintf(&b, "\n    ?item ?prop ?object .\n    { ?object rdfs:label ?value } UNION { ?object skos:altLabel ?value }\n    FILTER(lang(?value) IN (%s))\n  }", langs)
	}
	// Items without a label in the languages still need a name on the
	// review page: their labels in any language (only theirs, so the answer
	// stays small), kept for display and never scored. The branch binds the
	// items itself: left open, it reads every label of the graph.
	fmt.Fprintf(&b, " UNION {\n    %s\n    ?item rdfs:label ?value .\n    FILTER NOT EXISTS { ?item rdfs:label ?own . FILTER(lang(?own) IN (%s)) }\n    BIND(%s AS ?key)\n  }",
		sparql.ValuesBlock([]string{"item"}, itemTerms), langs, sparql.Literal(keyOtherLabel))
	if len(scoped) > 0 {
		b.WriteString(" UNION {\n    ")
		b.WriteString(sparql.ValuesBlock([]string{"st", "ps", "pq", "key"}, scoped))
		b.WriteString("\n    ?item ?st ?statement .\n    ?statement ?ps ?value .\n    OPTIONAL { ?statement ?pq ?object }\n  }")
	}
	b.WriteString("\n}")
	return b.String(), nil
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

// rankQuery fetches, for ranking many candidates before the cap, only
// their values of the mapped properties and P31: no labels.
func (e *Engine) rankQuery(items []string) (string, error) {
	itemTerms, err := e.itemTerms(items)
	if err != nil {
		return "", err
	}
	props, err := e.mappedProps()
	if err != nil {
		return "", err
	}
	return e.prefixes() + "SELECT ?item ?key ?value WHERE {\n" + sparql.ValuesBlock([]string{"item"}, itemTerms) + "\n  " +
		sparql.ValuesBlock([]string{"prop", "key"}, props) + "\n  ?item ?prop ?value .\n}", nil
}

// mappedProps are the (property, key) rows of P31, the mapped
// properties and the label columns' life-date properties, each once,
// for a VALUES block.
func (e *Engine) mappedProps() ([][]string, error) {
	props := [][]string{{"wdt:P31", sparql.Literal("P31")}}
	seen := map[string]bool{"P31": true}
	var names []string
	for _, name := range e.t.propertyColumns() {
		names = append(names, e.t.Columns[name].Property)
	}
	for _, col := range e.t.labelColumns() {
		b, d := e.t.lifeDateProperties(col)
		names = append(names, b, d)
	}
	for _, prop := range names {
		if prop == "" || seen[prop] {
			continue
		}
		seen[prop] = true
		p, err := sparql.PrefixedEntity(e.t.Wikibase.PropertyPrefix, prop)
		if err != nil {
			return nil, err
		}
		props = append(props, []string{p, sparql.Literal(prop)})
	}
	return props, nil
}

// classQuery finds the classes whose instances are of the template's
// types: each type and, unless exact, its subclasses (P279*).
func (e *Engine) classQuery(types []TypeConstraint) (string, error) {
	var rows [][]string
	for _, t := range types {
		if t.Exact {
			continue
		}
		c, err := sparql.PrefixedEntity(e.t.Wikibase.EntityPrefix, t.QID)
		if err != nil {
			return "", err
		}
		rows = append(rows, []string{c})
	}
	return e.prefixes() + "SELECT DISTINCT ?class WHERE {\n" + sparql.ValuesBlock([]string{"top"}, rows) +
		"\n  ?class wdt:P279* ?top .\n}", nil
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

// keyOtherLabel marks, in the fact query's answer, a label in a language
// outside the template's, of an item without a label in them.
const keyOtherLabel = "label-other"
