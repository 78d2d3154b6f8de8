package match

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// classTTL is how long a type's subclass closure is kept: classes change
// rarely, and one query per hour per type is nothing to the query service.
const classTTL = time.Hour

// classCache keeps the classes whose instances count as the template's
// types (each type and, unless exact, its subclasses), fetched once per
// endpoint and set of types, so the fact query does not walk P279* for
// every candidate. A Matcher shares one cache between all its engines.
type classCache struct {
	mu      sync.Mutex
	entries map[string]*classEntry
	now     func() time.Time
}

type classEntry struct {
	once    sync.Once
	classes map[string]bool
	err     error
	at      time.Time
}

func newClassCache() *classCache {
	return &classCache{entries: map[string]*classEntry{}, now: time.Now}
}

// get returns the classes for the engine's template; nil when the
// template has no type.
func (c *classCache) get(ctx context.Context, e *Engine) (map[string]bool, error) {
	types := e.t.typeConstraints()
	if len(types) == 0 {
		return nil, nil
	}
	var key strings.Builder
	key.WriteString(e.t.Wikibase.SPARQLEndpoint + "|" + e.t.Wikibase.EntityPrefix)
	for _, t := range types {
		fmt.Fprintf(&key, "|%s:%v", t.QID, t.Exact)
	}
	k := key.String()
	c.mu.Lock()
	ent, ok := c.entries[k]
	if !ok || c.now().Sub(ent.at) > classTTL {
		ent = &classEntry{at: c.now()}
		c.entries[k] = ent
	}
	c.mu.Unlock()
	ent.once.Do(func() { ent.classes, ent.err = e.fetchClasses(ctx, types) })
	if ent.err != nil {
		// A failed fetch is retried by the next batch rather than kept.
		c.mu.Lock()
		if c.entries[k] == ent {
			delete(c.entries, k)
		}
		c.mu.Unlock()
	}
	return ent.classes, ent.err
}

func (e *Engine) fetchClasses(ctx context.Context, types []TypeConstraint) (map[string]bool, error) {
	classes := map[string]bool{}
	wide := false
	for _, t := range types {
		classes[t.QID] = true
		wide = wide || !t.Exact
	}
	if !wide {
		return classes, nil
	}
	q, err := e.classQuery(types)
	if err != nil {
		return nil, fmt.Errorf("build the type query: %w", err)
	}
	res, err := e.selectAll(ctx, "fetch the subclasses of the template's types", []string{q})
	if err != nil {
		return nil, err
	}
	for _, row := range res[0].Rows {
		if id, ok := e.qid(row["class"]); ok {
			classes[id] = true
		}
	}
	return classes, nil
}
