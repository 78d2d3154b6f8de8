package reconapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// Protocol 1.0-draft, served under {root}/v1: its manifest cannot also be
// a valid 0.2 manifest (suggest settings are booleans there, objects in
// 0.2), so each version has its own.

func (s *Service) manifestV1(c *gin.Context) {
	root := rootOf(c)
	wb := root.Template.Wikibase
	m := gin.H{
		"versions":          []string{"1.0-draft"},
		"name":              root.Name,
		"identifierSpace":   wb.EntityPrefix,
		"schemaSpace":       wb.PropertyPrefix,
		"view":              gin.H{"url": wb.SiteURL + "{id}"},
		"defaultTypes":      defaultTypes(root),
		"suggest":           gin.H{"entity": true, "property": true, "type": true},
		"standardizedScore": true,
	}
	if s.cfg.Version != "" {
		m["serviceVersion"] = s.cfg.Version
	}
	if s.cfg.SPARQL != nil {
		m["preview"] = gin.H{"width": previewWidth, "height": previewHeight}
		m["extend"] = gin.H{"proposeProperties": true, "propertySettings": []gin.H{{"type": "number", "id": "limit", "name": "Limit",
			"default": 0, "helpText": "At most this many values per item (0: all)"}}}
	}
	c.JSON(http.StatusOK, m)
}

// body reads a JSON POST body within the size limit; false when it has
// answered with an error.
func (s *Service) body(c *gin.Context) ([]byte, bool) {
	if ct := c.ContentType(); ct != "application/json" {
		s.fail(c, http.StatusUnsupportedMediaType, "send the request as a JSON body (Content-Type: application/json), not %q", ct)
		return nil, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(c, http.StatusRequestEntityTooLarge, "the request is larger than %d bytes: send fewer queries at a time", s.cfg.MaxBodyBytes)
			return nil, false
		}
		s.fail(c, http.StatusBadRequest, "the request could not be read: %v", err)
		return nil, false
	}
	return b, true
}

// matchV1 answers POST {root}/v1/match: {"queries": [...]} → {"results":
// [{"candidates": [...]}, ...]} in the queries' order.
func (s *Service) matchV1(c *gin.Context) {
	b, ok := s.body(c)
	if !ok {
		return
	}
	queries, err := parseQueriesV1(b, s.cfg.MaxQueries)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errTooMany) {
			status = http.StatusRequestEntityTooLarge
		}
		s.fail(c, status, "%v", err)
		return
	}
	batch := make(map[string]query, len(queries))
	for i, q := range queries {
		batch[fmt.Sprintf("q%04d", i)] = q
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.Timeout)
	defer cancel()
	root := rootOf(c)
	out, err := s.reconcile(ctx, root, languages(c, root, ""), batch)
	if err != nil {
		s.failWork(c, ctx, "batch", err)
		return
	}
	type resultV1 struct {
		Candidates []Candidate `json:"candidates"`
	}
	results := make([]resultV1, len(queries))
	for i := range queries {
		results[i] = resultV1{Candidates: out[fmt.Sprintf("q%04d", i)].Result}
	}
	c.JSON(http.StatusOK, gin.H{"results": results})
}

// parseQueriesV1 reads a 1.0-draft query batch and says which query and
// condition is wrong.
func parseQueriesV1(b []byte, max int) ([]query, error) {
	var in struct {
		Queries []json.RawMessage `json:"queries"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf(`the body is not a JSON object {"queries": [...]}: %v`, err)
	}
	if in.Queries == nil {
		return nil, errors.New(`the body has no "queries" list`)
	}
	if len(in.Queries) > max {
		return nil, fmt.Errorf("%w: %d queries in one request, at most %d: send smaller batches", errTooMany, len(in.Queries), max)
	}
	out := make([]query, 0, len(in.Queries))
	for i, raw := range in.Queries {
		q, err := parseQueryV1(raw)
		if err != nil {
			return nil, fmt.Errorf("queries[%d]: %v", i, err)
		}
		out = append(out, q)
	}
	return out, nil
}

type conditionV1 struct {
	MatchType       string          `json:"matchType"`
	PropertyID      string          `json:"propertyId"`
	PropertyValue   json.RawMessage `json:"propertyValue"`
	Required        *bool           `json:"required"`
	MatchQuantifier string          `json:"matchQuantifier"`
	MatchQualifier  string          `json:"matchQualifier"`
}

func parseQueryV1(raw json.RawMessage) (query, error) {
	var q query
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return q, errors.New("not a JSON object")
	}
	// The schema allows no other fields in a query (conditions may hold
	// more, like their own lang).
	for _, k := range sortedKeys(fields) {
		switch k {
		case "type", "limit", "lang", "dir", "conditions":
		default:
			return q, fmt.Errorf("unknown field %q (a query has type, limit, lang, dir and conditions)", k)
		}
	}
	var in struct {
		Type       *string       `json:"type"`
		Limit      *json.Number  `json:"limit"`
		Lang       string        `json:"lang"`
		Dir        string        `json:"dir"`
		Conditions []conditionV1 `json:"conditions"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return q, fmt.Errorf("not a query (type, limit, lang, dir, conditions): %v", err)
	}
	if in.Type != nil {
		q.Types = []string{strings.ToUpper(strings.TrimSpace(*in.Type))}
	}
	if in.Limit != nil {
		f, err := in.Limit.Float64()
		if err != nil || f < 0 || f != float64(int(f)) {
			return q, fmt.Errorf("limit must be a whole number of candidates, not %s", in.Limit)
		}
		q.Limit = int(f)
	}
	if l := strings.ToLower(strings.TrimSpace(in.Lang)); l != "" {
		if !langTag.MatchString(l) {
			return q, fmt.Errorf("lang %q is not a language code like en", in.Lang)
		}
		q.Lang = l
	}
	if len(in.Conditions) == 0 {
		return q, errors.New("a query needs at least one condition")
	}
	for i, cond := range in.Conditions {
		if cond.MatchQualifier != "" {
			// Well-formed, but not something this service can do: no
			// candidates rather than candidates for another question.
			q.Unmatchable = fmt.Sprintf("conditions[%d]: this service has no match qualifiers (got %q)", i, cond.MatchQualifier)
		}
		switch cond.MatchQuantifier {
		case "", "any", "all", "none":
		default:
			return q, fmt.Errorf(`conditions[%d]: matchQuantifier must be "any", "all" or "none"`, i)
		}
		if len(cond.PropertyValue) == 0 {
			return q, fmt.Errorf("conditions[%d]: no propertyValue", i)
		}
		switch cond.MatchType {
		case "name", "id":
			pv, err := parseProperty(map[string]json.RawMessage{"pid": json.RawMessage(`"name"`), "v": cond.PropertyValue})
			if err != nil || len(pv.Values) == 0 {
				return q, fmt.Errorf("conditions[%d]: the %s must be a string", i, cond.MatchType)
			}
			if cond.MatchType == "name" {
				if q.Query == "" {
					q.Query = pv.Values[0]
				}
			} else {
				id := strings.ToUpper(pv.Values[0])
				if !itemID.MatchString(id) {
					return q, fmt.Errorf("conditions[%d]: %q is not an entity id like Q42", i, pv.Values[0])
				}
				q.ItemID = id
			}
		case "property":
			if strings.TrimSpace(cond.PropertyID) == "" {
				return q, fmt.Errorf(`conditions[%d]: a "property" condition needs a propertyId`, i)
			}
			pv, err := parseProperty(map[string]json.RawMessage{"pid": mustJSON(cond.PropertyID), "v": cond.PropertyValue})
			if err != nil {
				return q, fmt.Errorf("conditions[%d]: %v", i, err)
			}
			if cond.MatchQuantifier != "none" {
				q.Properties = append(q.Properties, pv)
			}
		default:
			return q, fmt.Errorf(`conditions[%d]: matchType must be "name", "id" or "property", not %q`, i, cond.MatchType)
		}
	}
	if len([]rune(q.Query)) > maxQueryRunes {
		return q, fmt.Errorf("the name is longer than %d characters", maxQueryRunes)
	}
	if q.Query == "" && len(q.Properties) == 0 && q.ItemID == "" {
		return q, errors.New("neither a name, an id nor properties to match on")
	}
	return q, nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// extendV1 answers POST {root}/v1/extend: {"meta": [...], "rows": [{"id":
// "Q1", "properties": [{"id": "P17", "values": [...]}]}]}.
func (s *Service) extendV1(c *gin.Context) {
	b, ok := s.body(c)
	if !ok {
		return
	}
	req, ext, ok := s.extension(c, b)
	if !ok {
		return
	}
	type propValues struct {
		ID     string  `json:"id"`
		Values []value `json:"values"`
	}
	type row struct {
		ID         string       `json:"id"`
		Properties []propValues `json:"properties"`
	}
	rows := make([]row, 0, len(req.IDs))
	for _, id := range req.IDs {
		r := row{ID: id}
		for _, p := range req.Properties {
			r.Properties = append(r.Properties, propValues{ID: p.ID, Values: ext.values[id][p.ID]})
		}
		rows = append(rows, r)
	}
	c.JSON(http.StatusOK, gin.H{"meta": ext.meta, "rows": rows})
}
