package suggest

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"partnerhub/wikidata"
)

// maxCached bounds a Cached wiki's memory: past it, the cache starts over.
const maxCached = 5000

// Cached wraps a Wiki so that the same search or lookup within ttl is
// answered from memory: the mapping page asks the same questions on every
// view, and the wiki need not hear them again. Failures are not cached.
func Cached(w Wiki, ttl time.Duration) Wiki {
	return &cachedWiki{w: w, ttl: ttl, now: time.Now, entries: map[string]cacheEntry{}}
}

type cachedWiki struct {
	w   Wiki
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	at    time.Time
	value any
}

func (c *cachedWiki) get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || c.now().Sub(e.at) > c.ttl {
		return nil, false
	}
	return e.value, true
}

func (c *cachedWiki) put(key string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCached {
		c.entries = map[string]cacheEntry{}
	}
	c.entries[key] = cacheEntry{at: c.now(), value: v}
}

func cachedCall[T any](c *cachedWiki, key string, call func() (T, error)) (T, error) {
	if v, ok := c.get(key); ok {
		return v.(T), nil
	}
	v, err := call()
	if err == nil {
		c.put(key, v)
	}
	return v, err
}

func (c *cachedWiki) SearchProperties(ctx context.Context, search, language string, limit int) ([]wikidata.PropertyHit, error) {
	return cachedCall(c, "p\x00"+search+"\x00"+language+"\x00"+strconv.Itoa(limit), func() ([]wikidata.PropertyHit, error) {
		return c.w.SearchProperties(ctx, search, language, limit)
	})
}

func (c *cachedWiki) SearchEntities(ctx context.Context, search, language string, limit int) ([]wikidata.SearchHit, error) {
	return cachedCall(c, "i\x00"+search+"\x00"+language+"\x00"+strconv.Itoa(limit), func() ([]wikidata.SearchHit, error) {
		return c.w.SearchEntities(ctx, search, language, limit)
	})
}

func (c *cachedWiki) GetProperties(ctx context.Context, ids, languages []string) (map[string]*wikidata.Entity, error) {
	return cachedCall(c, "g\x00"+strings.Join(ids, "|")+"\x00"+strings.Join(languages, "|"), func() (map[string]*wikidata.Entity, error) {
		return c.w.GetProperties(ctx, ids, languages)
	})
}
