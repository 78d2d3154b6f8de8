package wdqs

import (
	"log/slog"
	"sync"

	"partnerhub/sparql"
)

// Readers keeps a process's query-service clients and Readers: one SPARQL
// client per endpoint and one Reader per endpoint and Wikibase (its entity
// and property prefixes), every client paced by the one limiter. Matching,
// edit plans, exports and the web side all take theirs from the one that
// cmd/partnerhub builds, so there is one cache per query service in a
// process (an item or a subclass closure one of them has read costs the
// others nothing) and one account of the service's time. Safe for
// concurrent use.
type Readers struct {
	cfg     ReadersConfig
	mu      sync.Mutex
	clients map[string]*sparql.Client
	readers map[readerKey]*Reader
}

// ReadersConfig says how to reach the query services.
type ReadersConfig struct {
	UserAgent string // sent to every endpoint (Wikimedia's User-Agent policy)
	// Limiter paces every client (requests in flight per endpoint, endpoint
	// time per minute, Retry-After); nil builds one for these Readers.
	Limiter *sparql.Limiter
	Logger  *slog.Logger
	// Reader tunes each Reader (cache, chunking); the prefixes are set per
	// Wikibase.
	Reader Config
}

type readerKey struct{ endpoint, entityPrefix, propertyPrefix string }

// NewReaders builds an empty set; clients and Readers are made on first use.
func NewReaders(cfg ReadersConfig) *Readers {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Limiter == nil {
		cfg.Limiter = sparql.NewLimiter(sparql.LimiterConfig{Logger: cfg.Logger})
	}
	return &Readers{cfg: cfg, clients: map[string]*sparql.Client{}, readers: map[readerKey]*Reader{}}
}

// Limiter is the limiter pacing every client of the set.
func (rs *Readers) Limiter() *sparql.Limiter { return rs.cfg.Limiter }

// Client is the endpoint's client. Callers check first that the endpoint
// is one they may query.
func (rs *Readers) Client(endpoint string) (*sparql.Client, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.client(endpoint)
}

func (rs *Readers) client(endpoint string) (*sparql.Client, error) {
	if c, ok := rs.clients[endpoint]; ok {
		return c, nil
	}
	c, err := sparql.NewClient(sparql.Config{Endpoint: endpoint, UserAgent: rs.cfg.UserAgent, Limiter: rs.cfg.Limiter, Logger: rs.cfg.Logger})
	if err != nil {
		return nil, err
	}
	rs.clients[endpoint] = c
	return c, nil
}

// Reader is the Reader of the Wikibase with those prefixes behind the
// endpoint, through the endpoint's client.
func (rs *Readers) Reader(endpoint, entityPrefix, propertyPrefix string) (*Reader, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	key := readerKey{endpoint, entityPrefix, propertyPrefix}
	if r, ok := rs.readers[key]; ok {
		return r, nil
	}
	c, err := rs.client(endpoint)
	if err != nil {
		return nil, err
	}
	cfg := rs.cfg.Reader
	cfg.EntityPrefix, cfg.PropertyPrefix = entityPrefix, propertyPrefix
	r := NewReader(c, cfg)
	rs.readers[key] = r
	return r, nil
}
