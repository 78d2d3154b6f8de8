package reconapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// query is one reconciliation query of a batch, as read.
type query struct {
	Query      string
	Types      []string
	TypeStrict string
	Limit      int
	Properties []propertyValue
	// ItemID is an entity id the client already has (1.0-draft's
	// matchType "id"), checked on the wiki like a partner's own QID.
	ItemID string
	// Lang is the query's own language (1.0-draft), before the request's.
	Lang string
	// Unmatchable says why a well-formed query asks what the service
	// cannot do; it gets no candidates.
	Unmatchable string
}

// propertyValue is a property's values in a query, as text (an item
// value's id).
type propertyValue struct {
	PID    string
	Values []string
}

var errTooMany = errors.New("too many queries")

// maxQueryRunes bounds one query's text.
const maxQueryRunes = 500

// parseBatch reads a batch of queries (the `queries` parameter) and says
// exactly which query is wrong and how; at most max queries.
func parseBatch(raw string, max int) (map[string]query, error) {
	var batch map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&batch); err != nil {
		return nil, fmt.Errorf("queries is not a JSON object of queries: %v", err)
	}
	if dec.More() {
		return nil, errors.New("queries holds more than one JSON value")
	}
	if batch == nil {
		return nil, errors.New("queries is not a JSON object of queries (got null)")
	}
	if len(batch) > max {
		return nil, fmt.Errorf("%w: %d queries in one request, at most %d: send smaller batches (OpenRefine: lower the batch size)", errTooMany, len(batch), max)
	}
	ids := make([]string, 0, len(batch))
	for id := range batch {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make(map[string]query, len(batch))
	for _, id := range ids {
		q, err := parseQuery(batch[id])
		if err != nil {
			return nil, fmt.Errorf("query %q: %v", id, err)
		}
		out[id] = q
	}
	return out, nil
}

func parseQuery(raw json.RawMessage) (query, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return query{}, errors.New("not a JSON object")
	}
	var q query
	for _, k := range sortedKeys(fields) {
		v := fields[k]
		switch k {
		case "query":
			if err := json.Unmarshal(v, &q.Query); err != nil {
				return q, errors.New("query must be a string")
			}
			q.Query = strings.TrimSpace(q.Query)
			if len([]rune(q.Query)) > maxQueryRunes {
				return q, fmt.Errorf("query is longer than %d characters", maxQueryRunes)
			}
		case "type":
			var one string
			if err := json.Unmarshal(v, &one); err == nil {
				q.Types = []string{one}
			} else if err := json.Unmarshal(v, &q.Types); err != nil {
				return q, errors.New("type must be a type id or a list of type ids")
			}
			for i := range q.Types {
				q.Types[i] = strings.ToUpper(strings.TrimSpace(q.Types[i]))
			}
		case "type_strict":
			if err := json.Unmarshal(v, &q.TypeStrict); err != nil || (q.TypeStrict != "any" && q.TypeStrict != "should" && q.TypeStrict != "all") {
				return q, errors.New(`type_strict must be "any", "should" or "all"`)
			}
		case "limit":
			var n json.Number
			if err := json.Unmarshal(v, &n); err != nil {
				return q, errors.New("limit must be a number")
			}
			f, err := n.Float64()
			if err != nil || f < 0 || f != float64(int(f)) {
				return q, fmt.Errorf("limit must be a whole number of candidates, not %s", n)
			}
			q.Limit = int(f)
		case "properties":
			var props []map[string]json.RawMessage
			if err := json.Unmarshal(v, &props); err != nil {
				return q, errors.New("properties must be a list of {pid, v} objects")
			}
			for i, p := range props {
				pv, err := parseProperty(p)
				if err != nil {
					return q, fmt.Errorf("properties[%d]: %v", i, err)
				}
				q.Properties = append(q.Properties, pv)
			}
		default:
			return q, fmt.Errorf("unknown field %q (a query has query, type, type_strict, limit and properties)", k)
		}
	}
	if q.Query == "" && len(q.Properties) == 0 && q.ItemID == "" {
		return q, errors.New("neither a query text nor properties to match on")
	}
	return q, nil
}

func parseProperty(p map[string]json.RawMessage) (propertyValue, error) {
	var pv propertyValue
	for _, k := range sortedKeys(p) {
		if k != "pid" && k != "v" {
			return pv, fmt.Errorf("unknown field %q (want pid and v)", k)
		}
	}
	rawPID, ok := p["pid"]
	if !ok || json.Unmarshal(rawPID, &pv.PID) != nil || strings.TrimSpace(pv.PID) == "" {
		return pv, errors.New("pid must be a property id like P214")
	}
	pv.PID = strings.ToUpper(strings.TrimSpace(pv.PID))
	rawV, ok := p["v"]
	if !ok {
		return pv, fmt.Errorf("%s has no value v", pv.PID)
	}
	var list []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(rawV), []byte("[")) {
		if err := json.Unmarshal(rawV, &list); err != nil {
			return pv, fmt.Errorf("%s: v is not a value or a list of values", pv.PID)
		}
	} else {
		list = []json.RawMessage{rawV}
	}
	for _, one := range list {
		s, err := valueText(one)
		if err != nil {
			return pv, fmt.Errorf("%s: %v", pv.PID, err)
		}
		if s != "" {
			pv.Values = append(pv.Values, s)
		}
	}
	return pv, nil
}

// valueText is a property value as the engine compares it: strings and
// numbers as written, an entity by its id.
func valueText(raw json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", errors.New("v is not JSON")
	}
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case map[string]any:
		id, ok := x["id"].(string)
		if !ok || strings.TrimSpace(id) == "" {
			return "", errors.New("an entity value needs an id")
		}
		return strings.ToUpper(strings.TrimSpace(id)), nil
	}
	return "", fmt.Errorf("v must be a string, number, boolean or {id}, not %s", raw)
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
