package reconapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/sparql"
)

// extensionRequest is a data extension query: entities and the properties
// (or property paths, P17/P297) to read for them.
type extensionRequest struct {
	IDs        []string
	Properties []extensionProperty
}

type extensionProperty struct {
	ID    string   // as asked: P17 or P17/P297
	Path  []string // nil for an id that is no property (path) of this wiki
	Limit int      // values per entity; 0: all
}

// Extension limits: paths of a few steps, a few dozen properties.
const (
	maxPathSteps          = 4
	maxExtendProperties   = 20
	maxValuesPerProperty  = 100
	defaultProposeLimit   = 10
	maxProposeLimit       = 50
	proposeSample         = 200
	extensionRowsPerQuery = 10000
)

var propertyPath = regexp.MustCompile(`^P[1-9][0-9]*(/P[1-9][0-9]*)*$`)

// parseExtension reads a data extension query (both versions have the
// same one) and says what is wrong with it.
func parseExtension(raw []byte, maxIDs int) (extensionRequest, error) {
	var in struct {
		IDs        []string `json:"ids"`
		Properties []struct {
			ID       string                     `json:"id"`
			Settings map[string]json.RawMessage `json:"settings"`
		} `json:"properties"`
	}
	var req extensionRequest
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return req, fmt.Errorf("the extension query is not a JSON object of ids and properties: %v", err)
	}
	if len(in.IDs) == 0 || len(in.Properties) == 0 {
		return req, errors.New("the extension query needs ids and properties")
	}
	if len(in.IDs) > maxIDs {
		return req, fmt.Errorf("%w: %d ids in one extension query, at most %d", errTooMany, len(in.IDs), maxIDs)
	}
	if len(in.Properties) > maxExtendProperties {
		return req, fmt.Errorf("%w: %d properties in one extension query, at most %d", errTooMany, len(in.Properties), maxExtendProperties)
	}
	// Ids and property ids that are not this wiki's (another service's,
	// like the spec's examples) are well-formed requests: they get no
	// values, and never reach a query.
	seen := map[string]bool{}
	for _, id := range in.IDs {
		if !seen[id] {
			seen[id] = true
			req.IDs = append(req.IDs, id)
		}
	}
	for i, p := range in.Properties {
		ep := extensionProperty{ID: p.ID}
		if id := strings.ToUpper(strings.TrimSpace(p.ID)); propertyPath.MatchString(id) {
			ep.ID, ep.Path = id, strings.Split(id, "/")
		}
		if len(ep.Path) > maxPathSteps {
			return req, fmt.Errorf("properties[%d]: the path %s has more than %d steps", i, ep.ID, maxPathSteps)
		}
		for k, v := range p.Settings {
			switch k {
			case "limit":
				var n json.Number
				if err := json.Unmarshal(v, &n); err != nil {
					// OpenRefine sends its number settings as strings.
					var s string
					if json.Unmarshal(v, &s) != nil {
						return req, fmt.Errorf("properties[%d]: the limit setting must be a number", i)
					}
					n = json.Number(strings.TrimSpace(s))
				}
				l, err := strconv.Atoi(n.String())
				if n.String() == "" {
					l, err = 0, nil
				}
				if err != nil || l < 0 {
					return req, fmt.Errorf("properties[%d]: the limit setting must be a whole number, not %s", i, v)
				}
				ep.Limit = l
			default:
				// Settings another service declares (the spec's examples
				// send "content"): nothing this one does differently.
			}
		}
		req.Properties = append(req.Properties, ep)
	}
	return req, nil
}

// value is one property value in an extension answer: exactly one of its
// fields is set (an entity's id and name, a string, a number or a date).
type value struct {
	ID    string   `json:"id,omitempty"`
	Name  string   `json:"name,omitempty"`
	Str   *string  `json:"str,omitempty"`
	Float *float64 `json:"float,omitempty"`
	Int   *int64   `json:"int,omitempty"`
	Date  string   `json:"date,omitempty"`
}

// propertyMeta names a requested property in an extension answer.
type propertyMeta struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// extension is what the query service says of the entities' properties.
type extension struct {
	meta []propertyMeta
	// values by entity id, then requested property id
	values map[string]map[string][]value
	// labels and descriptions of the entities themselves (preview)
	labels, descriptions map[string]string
}

// isoDate is the date pattern of the specs' schemas.
var isoDate = regexp.MustCompile(`^(-?(?:[1-9][0-9]*)?[0-9]{4})-(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9])T(2[0-3]|[01][0-9]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?(Z|[+-](?:2[0-3]|[01][0-9]):[0-5][0-9])?$`)

const (
	xsd        = "http://www.w3.org/2001/XMLSchema#"
	rdfsLabel  = "http://www.w3.org/2000/01/rdf-schema#label"
	schemaDesc = "http://schema.org/description"
)

// fetch reads the properties of the entities from the root's query
// service in one query per 50 entities: one UNION branch per property
// (a path is a SPARQL property path), with the values' labels.
func (s *Service) fetch(ctx context.Context, root *Root, langs []string, req extensionRequest, withTerms bool) (*extension, error) {
	if s.cfg.SPARQL == nil {
		return nil, jobs.Errorf(jobs.EINVALID, "this service has no query service for data extension")
	}
	wb := root.Template.Wikibase
	q, err := s.cfg.SPARQL(wb.SPARQLEndpoint)
	if err != nil {
		return nil, err
	}
	ext := &extension{values: map[string]map[string][]value{}, labels: map[string]string{}, descriptions: map[string]string{}}
	var pids []string
	for _, p := range req.Properties {
		pids = append(pids, p.Path...)
	}
	names := map[string]string{}
	if len(pids) > 0 {
		wiki, err := s.wiki(root)
		if err != nil {
			return nil, err
		}
		props, err := wiki.GetProperties(ctx, sortedUnique(pids), langs)
		if err != nil {
			return nil, fmt.Errorf("read the properties' names: %w", err)
		}
		for id, p := range props {
			if p != nil {
				names[id] = p.Label(langs[0])
				for _, l := range langs {
					if v := p.Label(l); v != "" {
						names[id] = v
						break
					}
				}
			}
		}
	}
	for _, p := range req.Properties {
		var parts []string
		for _, step := range p.Path {
			parts = append(parts, nameOr(names[step], step))
		}
		ext.meta = append(ext.meta, propertyMeta{ID: p.ID, Name: nameOr(strings.Join(parts, " / "), p.ID)})
	}
	langList := make([]string, len(langs))
	for i, l := range langs {
		langList[i] = sparql.Literal(l)
	}
	inLangs := strings.Join(langList, ", ")
	// label[entity][lang], for values and the entities themselves
	type termRows map[string]map[string]string
	valueLabels, entityLabels, entityDescs := termRows{}, termRows{}, termRows{}
	put := func(t termRows, id, lang, v string) {
		if t[id] == nil {
			t[id] = map[string]string{}
		}
		t[id][lang] = v
	}
	got := map[string]map[string][]sparql.Term{}
	var entities []string
	for _, id := range req.IDs {
		if sparql.ValidEntityID(id) {
			entities = append(entities, id)
		}
	}
	for _, chunk := range sparql.Chunk(entities, 50) {
		var items []string
		for _, id := range chunk {
			iri, err := sparql.PrefixedEntity(wb.EntityPrefix, id)
			if err != nil {
				return nil, err
			}
			items = append(items, iri)
		}
		var branches []string
		for i, p := range req.Properties {
			if p.Path == nil {
				continue
			}
			var steps []string
			for _, step := range p.Path {
				iri, err := sparql.IRI(wb.PropertyPrefix + step)
				if err != nil {
					return nil, err
				}
				steps = append(steps, iri)
			}
			branches = append(branches, fmt.Sprintf("{ ?item %s ?v . BIND(%d AS ?prop) }", strings.Join(steps, "/"), i))
		}
		if withTerms {
			branches = append(branches,
				fmt.Sprintf("{ ?item <%s> ?v . FILTER(LANG(?v) IN (%s)) BIND(-1 AS ?prop) }", rdfsLabel, inLangs),
				fmt.Sprintf("{ ?item <%s> ?v . FILTER(LANG(?v) IN (%s)) BIND(-2 AS ?prop) }", schemaDesc, inLangs))
		}
		if len(branches) == 0 {
			break
		}
		query := fmt.Sprintf("SELECT ?item ?prop ?v ?vl WHERE {\n  VALUES ?item { %s }\n  %s\n  OPTIONAL { ?v <%s> ?vl . FILTER(LANG(?vl) IN (%s)) }\n} LIMIT %d",
			strings.Join(items, " "), strings.Join(branches, "\n  UNION "), rdfsLabel, inLangs, extensionRowsPerQuery)
		res, err := q.Select(ctx, query)
		if err != nil {
			return nil, err
		}
		for _, r := range res.Rows {
			id := strings.TrimPrefix(r["item"].Value, wb.EntityPrefix)
			n, err := strconv.Atoi(r["prop"].Value)
			v, ok := r["v"]
			if err != nil || !ok {
				continue
			}
			switch {
			case n == -1:
				put(entityLabels, id, v.Lang, v.Value)
				continue
			case n == -2:
				put(entityDescs, id, v.Lang, v.Value)
				continue
			case n < 0 || n >= len(req.Properties):
				continue
			}
			if vl, ok := r["vl"]; ok && v.Type == "uri" {
				put(valueLabels, v.Value, vl.Lang, vl.Value)
			}
			pid := req.Properties[n].ID
			if got[id] == nil {
				got[id] = map[string][]sparql.Term{}
			}
			if !containsTerm(got[id][pid], v) {
				got[id][pid] = append(got[id][pid], v)
			}
		}
	}
	pick := func(byLang map[string]string) string {
		for _, l := range langs {
			if v, ok := byLang[l]; ok {
				return v
			}
		}
		return ""
	}
	for _, id := range req.IDs {
		row := map[string][]value{}
		for _, p := range req.Properties {
			terms := got[id][p.ID]
			sortTerms(terms)
			vals := []value{}
			for _, t := range terms {
				if (p.Limit > 0 && len(vals) == p.Limit) || len(vals) == maxValuesPerProperty {
					break
				}
				vals = append(vals, toValue(t, wb.EntityPrefix, pick(valueLabels[t.Value])))
			}
			row[p.ID] = vals
		}
		ext.values[id] = row
		ext.labels[id] = pick(entityLabels[id])
		ext.descriptions[id] = pick(entityDescs[id])
	}
	return ext, nil
}

func containsTerm(ts []sparql.Term, t sparql.Term) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// sortTerms orders values stably (the query service answers in any order).
func sortTerms(ts []sparql.Term) {
	sort.SliceStable(ts, func(i, j int) bool {
		if ts[i].Value != ts[j].Value {
			return ts[i].Value < ts[j].Value
		}
		return ts[i].Lang < ts[j].Lang
	})
}

// toValue is an RDF term as the protocol writes values: an entity by id
// and name, numbers as numbers, dates in ISO format, anything else a string.
func toValue(t sparql.Term, entityPrefix, label string) value {
	str := func(s string) value { return value{Str: &s} }
	if t.Type == "uri" {
		if id, ok := strings.CutPrefix(t.Value, entityPrefix); ok && sparql.ValidEntityID(id) {
			return value{ID: id, Name: nameOr(label, id)}
		}
		return str(t.Value)
	}
	switch strings.TrimPrefix(t.Datatype, xsd) {
	case "integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger":
		if n, err := strconv.ParseInt(t.Value, 10, 64); err == nil {
			return value{Int: &n}
		}
	case "decimal", "double", "float":
		if f, err := strconv.ParseFloat(t.Value, 64); err == nil {
			// A whole amount (a quantity of 3) reads better as an int.
			if n, err := strconv.ParseInt(strings.TrimPrefix(t.Value, "+"), 10, 64); err == nil {
				return value{Int: &n}
			}
			return value{Float: &f}
		}
	case "dateTime":
		if isoDate.MatchString(t.Value) {
			return value{Date: t.Value}
		}
	}
	return str(t.Value)
}

// extend02 answers a 0.2 data extension (the extend parameter):
// {"meta": [...], "rows": {"Q1": {"P17": [...]}}}.
func (s *Service) extend02(c *gin.Context, raw string) {
	_, ext, ok := s.extension(c, []byte(raw))
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"meta": ext.meta, "rows": ext.values})
}

// extension reads the values a data extension request (raw) asks for, in
// both protocol versions; false: it answered the error.
func (s *Service) extension(c *gin.Context, raw []byte) (extensionRequest, *extension, bool) {
	req, err := parseExtension(raw, s.cfg.MaxQueries)
	if err != nil {
		s.failExtension(c, err)
		return req, nil, false
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.Timeout)
	defer cancel()
	root := rootOf(c)
	ext, err := s.fetch(ctx, root, languages(c, root, ""), req, false)
	if err != nil {
		s.failWork(c, ctx, "extension", err)
		return req, nil, false
	}
	return req, ext, true
}

func (s *Service) failExtension(c *gin.Context, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, errTooMany) {
		status = http.StatusRequestEntityTooLarge
	}
	s.fail(c, status, "%v", err)
}

// proposal is one property proposed for extension.
type proposal struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// propose proposes properties to fetch for a type (0.2 propose_properties,
// 1.0-draft extend/propose): the properties the root's template maps, then
// the ones most used on a sample of the type's items.
func (s *Service) propose(c *gin.Context) {
	root := rootOf(c)
	typ := strings.ToUpper(strings.TrimSpace(c.Query("type")))
	if typ == "" && root.Template.Type != nil {
		typ = root.Template.Type.QID
	}
	if typ != "" && (!itemID.MatchString(typ) || typ[0] != 'Q') {
		s.fail(c, http.StatusBadRequest, "type %q is not an item id like Q5", typ)
		return
	}
	limit := defaultProposeLimit
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			s.fail(c, http.StatusBadRequest, "limit must be a whole number of properties, not %q", v)
			return
		}
		limit = min(n, maxProposeLimit)
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.Timeout)
	defer cancel()
	langs := languages(c, root, "")
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] && len(ids) < limit {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, name := range sortedColumnNames(root.Template.Columns) {
		if p := root.Template.Columns[name].Property; propertyID.MatchString(p) {
			add(p)
		}
	}
	if typ != "" && len(ids) < limit {
		used, err := s.usedProperties(ctx, root, typ, limit)
		if err != nil {
			s.failWork(c, ctx, "property proposal", err)
			return
		}
		for _, p := range used {
			add(p)
		}
	}
	out := struct {
		Type       string     `json:"type,omitempty"`
		Limit      int        `json:"limit"`
		Properties []proposal `json:"properties"`
	}{Type: typ, Limit: limit, Properties: []proposal{}}
	if len(ids) > 0 {
		wiki, err := s.wiki(root)
		if err != nil {
			s.failWork(c, ctx, "property proposal", err)
			return
		}
		props, err := wiki.GetProperties(ctx, ids, langs)
		if err != nil {
			s.failWork(c, ctx, "property proposal", err)
			return
		}
		for _, id := range ids {
			p := props[id]
			if p == nil {
				continue
			}
			pr := proposal{ID: id, Name: id}
			for _, l := range langs {
				if v := p.Label(l); v != "" {
					pr.Name = v
					break
				}
			}
			for _, l := range langs {
				if v := p.Descriptions[l].Value; v != "" {
					pr.Description = v
					break
				}
			}
			out.Properties = append(out.Properties, pr)
		}
	}
	c.JSON(http.StatusOK, out)
}

// usedProperties are the properties most used on a sample of the type's
// items, most used first: one cheap query (a sample, never the whole class).
func (s *Service) usedProperties(ctx context.Context, root *Root, typ string, limit int) ([]string, error) {
	if s.cfg.SPARQL == nil {
		return nil, nil
	}
	wb := root.Template.Wikibase
	q, err := s.cfg.SPARQL(wb.SPARQLEndpoint)
	if err != nil {
		return nil, err
	}
	class, err := sparql.PrefixedEntity(wb.EntityPrefix, typ)
	if err != nil {
		return nil, err
	}
	p31, err := sparql.IRI(wb.PropertyPrefix + "P31")
	if err != nil {
		return nil, err
	}
	query := fmt.Sprintf(`SELECT ?p (COUNT(DISTINCT ?item) AS ?n) WHERE {
  { SELECT ?item WHERE { ?item %s %s } LIMIT %d }
  ?item ?p ?v .
  FILTER(STRSTARTS(STR(?p), %s))
} GROUP BY ?p ORDER BY DESC(?n) ?p LIMIT %d`, p31, class, proposeSample, sparql.Literal(wb.PropertyPrefix), limit+1)
	res, err := q.Select(ctx, query)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range res.Rows {
		id := strings.TrimPrefix(r["p"].Value, wb.PropertyPrefix)
		if propertyID.MatchString(id) && id != "P31" {
			out = append(out, id)
		}
	}
	return out, nil
}

func formatInt(n int64) string     { return strconv.FormatInt(n, 10) }
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
