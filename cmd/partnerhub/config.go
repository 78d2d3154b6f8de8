package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"partnerhub/wikidata"
)

// config is everything read from the environment, once, in main.
type config struct {
	Addr            string
	DataDir         string
	DBDSN           string
	RedisAddr       string
	RedisDB         int
	Queue           string
	MaxUploadBytes  int64
	MaxRows         int64
	SecretKey       string
	LogFormat       string
	LogLevel        string
	SecureCookies   bool
	TrustedProxies  []string
	Concurrency     int
	ShutdownTimeout time.Duration
	LocalUser       string
	OAuthKey        string
	OAuthSecret     string
	OAuthWiki       string
	OAuthIndexURL   string
	OAuthIssuer     string
	OwnerToken      string
	OwnerSecret     string
	UserAgent       string
	EditsPerMinute  float64
	EditTag         string
	EditGroupsTool  string
	EditTimeout     time.Duration
	EditLateSave    time.Duration
	ReplicaLag      time.Duration
	CommonsAPI      string
	CommonsTag      string
	UploadsPerMin   float64
	UploadTimeout   time.Duration

	// Files larger than ChunkedAbove go to Commons' upload stash in chunks
	// of ChunkBytes, then are committed.
	ChunkedAbove, ChunkBytes int64

	SPARQLEndpoints []string
	WikiAPIs        []string
	// DefaultSPARQL and DefaultWikiAPI are the Wikibase the /reconcile
	// service matches against.
	DefaultSPARQL, DefaultWikiAPI string
	SPARQLInFlight                int
	SPARQLBudget                  time.Duration
	// Media uploads: the hosts files may be fetched from (empty: any
	// public host), whether private addresses may be reached, the largest
	// file and the largest uploaded archive.
	MediaHosts        []string
	MediaAllowPrivate bool
	MediaMaxBytes     int64
	MediaArchiveBytes int64
	// MediaArchiveRetention is how long an uploaded archive of an idle
	// media plan (or one no plan names) is kept before it is deleted.
	MediaArchiveRetention time.Duration
}

// env lists every variable with its default, for --help and the README.
var env = []struct{ name, def, help string }{
	{"PORT", "", "port to listen on (all interfaces); Toolforge sets it"},
	{"PARTNERHUB_ADDR", "127.0.0.1:8000", "address to listen on when PORT is unset"},
	{"PARTNERHUB_DATA_DIR", "./data", "SQLite database, uploads and the generated secret key"},
	{"PARTNERHUB_DB_DSN", "", "MariaDB/MySQL DSN (user:pass@tcp(host:3306)/db); empty: SQLite in the data directory"},
	{"PARTNERHUB_REDIS_ADDR", "", "Redis host:port; empty: an in-process Redis"},
	{"PARTNERHUB_REDIS_DB", "0", "Redis database number"},
	{"PARTNERHUB_QUEUE", "partnerhub", "asynq queue name (make it unique on a shared Redis)"},
	{"PARTNERHUB_MAX_UPLOAD_MB", "100", "largest dataset upload, in MB"},
	{"PARTNERHUB_MAX_ROWS", "2000000", "most rows one dataset may hold"},
	{"PARTNERHUB_SECRET_KEY", "", "32-byte key (base64 or hex) for CSRF and token encryption; empty: generated once into the data directory"},
	{"PARTNERHUB_LOG_FORMAT", "text", "text or json"},
	{"PARTNERHUB_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"PARTNERHUB_SECURE_COOKIES", "false", "mark cookies Secure (set true behind HTTPS)"},
	{"PARTNERHUB_TRUSTED_PROXIES", "", "comma-separated IPs/CIDRs whose X-Forwarded-* headers are trusted"},
	{"PARTNERHUB_WORKER_CONCURRENCY", "4", "tasks a worker runs at once"},
	{"PARTNERHUB_SHUTDOWN_TIMEOUT", "25s", "how long running tasks and requests may take to finish on shutdown"},
	{"PARTNERHUB_LOCAL_USER", "local", "name of the single user when no OAuth consumer is configured"},
	{"PARTNERHUB_OAUTH_CONSUMER_KEY", "", "OAuth 1.0a consumer key registered on the wiki; unset: local mode"},
	{"PARTNERHUB_OAUTH_CONSUMER_SECRET", "", "OAuth 1.0a consumer secret"},
	{"PARTNERHUB_OAUTH_WIKI", "https://meta.wikimedia.org", "wiki whose Special:OAuth users log in with"},
	{"PARTNERHUB_OAUTH_INDEX_URL", "", "that wiki's index.php; default PARTNERHUB_OAUTH_WIKI/w/index.php"},
	{"PARTNERHUB_OAUTH_ACCESS_TOKEN", "", "owner-only consumer: the access token MediaWiki gave its owner (single-user mode, loopback only)"},
	{"PARTNERHUB_OAUTH_ACCESS_SECRET", "", "owner-only consumer: the access secret"},
	{"PARTNERHUB_OAUTH_ISSUER", "", "expected issuer of identify JWTs; default the wiki's scheme and host"},
	{"PARTNERHUB_EDITS_PER_MINUTE", "90", "most edits a write-back makes per minute (a normal account's limit is 90)"},
	{"PARTNERHUB_EDIT_TAG", "", "change tag added to every edit; must be registered on the wiki"},
	{"PARTNERHUB_EDITGROUPS_TOOL", "CB", "tool code in the EditGroups link of edit summaries"},
	{"PARTNERHUB_EDIT_TIMEOUT", "90s", "longest an edit request may take, from its recorded intent to the wiki's answer"},
	{"PARTNERHUB_EDIT_LATE_SAVE", "5m", "how long the wiki may still save an edit after Partnerhub gave up on its answer (MediaWiki finishes saves whose client has gone)"},
	{"PARTNERHUB_REPLICA_LAG", "2m", "how long a saved edit may take to show in the wiki's revision lists; an edit whose answer was lost is looked up only after timeout + late save + replica lag"},
	{"PARTNERHUB_COMMONS_API", "https://commons.wikimedia.org/w/api.php", "the Action API media uploads go to (Wikimedia Commons)"},
	{"PARTNERHUB_COMMONS_TAG", "", "change tag added to every upload and structured-data edit on Commons; must be registered there (Special:Tags)"},
	{"PARTNERHUB_UPLOADS_PER_MINUTE", "8", "most uploads and structured-data edits a media upload makes per minute"},
	{"PARTNERHUB_UPLOAD_TIMEOUT", "10m", "longest one upload request (a file, a chunk, the commit) may take; an upload whose answer was lost is looked up after this + late save + replica lag"},
	{"PARTNERHUB_UPLOAD_CHUNKED_ABOVE_KB", "20480", "files larger than this (KiB) are sent to Commons' upload stash in chunks and then committed; smaller ones in one request"},
	{"PARTNERHUB_UPLOAD_CHUNK_KB", "5120", "size of each chunk (KiB); Commons refuses non-final chunks below its minimum chunk size ($wgMinUploadChunkSize)"},
	{"PARTNERHUB_SPARQL_ENDPOINTS", "", "comma-separated SPARQL endpoints job templates may use; empty: any (set it on a public installation, so templates cannot point the workers at internal hosts)"},
	{"PARTNERHUB_SPARQL_IN_FLIGHT", "3", "queries in flight per SPARQL endpoint in each process (WDQS allows a few per client)"},
	{"PARTNERHUB_SPARQL_BUDGET", "40s", "endpoint time per minute all processes sharing the database may spend on one SPARQL endpoint (WDQS allows 60 s; past three quarters of this, one query at a time)"},
	{"PARTNERHUB_DEFAULT_SPARQL_ENDPOINT", "https://query.wikidata.org/sparql", "the query service of the installation's default Wikibase: what the /reconcile service matches against"},
	{"PARTNERHUB_DEFAULT_WIKI_API", "https://www.wikidata.org/w/api.php", "the Action API of the installation's default Wikibase (searches and property datatypes of /reconcile)"},
	{"PARTNERHUB_WIKI_APIS", "", "comma-separated Action API URLs job templates may use; empty: any (set it on a public installation)"},
	{"PARTNERHUB_MEDIA_HOSTS", "", "comma-separated hosts media files may be fetched from (example.org, or .example.org with its subdomains), redirects included; empty: any public host"},
	{"PARTNERHUB_MEDIA_ALLOW_PRIVATE", "false", "let the worker fetch media files from loopback and private addresses (tests and closed installations only)"},
	{"PARTNERHUB_MEDIA_MAX_MB", "100", "largest media file a plan takes, in MB"},
	{"PARTNERHUB_MEDIA_ARCHIVE_MB", "2048", "largest ZIP archive of media files one upload may be, in MB"},
	{"PARTNERHUB_MEDIA_ARCHIVE_DAYS", "14", "days an uploaded ZIP archive of an idle media plan (not finished, not uploading) is kept before it is deleted, 1 to 365; finished, cancelled and replaced plans' archives go at once"},
	{"PARTNERHUB_USER_AGENT", "Partnerhub/0.1 (https://partnerhub.toolforge.org/)", "User-Agent for requests to the wikis and query services (Wikimedia User-Agent policy: name/version and a contact URL)"},
}

func getenv(name string) string {
	for _, e := range env {
		if e.name == name {
			if v, ok := os.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v)
			}
			return e.def
		}
	}
	panic("undeclared environment variable " + name)
}

func loadConfig() (config, error) {
	var (
		c    config
		errs []string
	)
	intVar := func(name string) int64 {
		v, err := strconv.ParseInt(getenv(name), 10, 64)
		if err != nil || v < 0 {
			errs = append(errs, fmt.Sprintf("%s must be a non-negative whole number, not %q", name, getenv(name)))
		}
		return v
	}
	boolVar := func(name string) bool {
		v, err := strconv.ParseBool(getenv(name))
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s must be true or false, not %q", name, getenv(name)))
		}
		return v
	}
	c.Addr = getenv("PARTNERHUB_ADDR")
	if p := getenv("PORT"); p != "" {
		c.Addr = ":" + p
	}
	c.DataDir = getenv("PARTNERHUB_DATA_DIR")
	c.DBDSN = getenv("PARTNERHUB_DB_DSN")
	c.RedisAddr = getenv("PARTNERHUB_REDIS_ADDR")
	c.RedisDB = int(intVar("PARTNERHUB_REDIS_DB"))
	c.Queue = getenv("PARTNERHUB_QUEUE")
	c.MaxUploadBytes = intVar("PARTNERHUB_MAX_UPLOAD_MB") << 20
	c.MaxRows = intVar("PARTNERHUB_MAX_ROWS")
	c.SecretKey = getenv("PARTNERHUB_SECRET_KEY")
	c.LogFormat = getenv("PARTNERHUB_LOG_FORMAT")
	c.LogLevel = getenv("PARTNERHUB_LOG_LEVEL")
	c.SecureCookies = boolVar("PARTNERHUB_SECURE_COOKIES")
	c.TrustedProxies = list(getenv("PARTNERHUB_TRUSTED_PROXIES"))
	c.Concurrency = int(intVar("PARTNERHUB_WORKER_CONCURRENCY"))
	d, err := time.ParseDuration(getenv("PARTNERHUB_SHUTDOWN_TIMEOUT"))
	if err != nil {
		errs = append(errs, fmt.Sprintf("PARTNERHUB_SHUTDOWN_TIMEOUT must be a duration like 25s, not %q", getenv("PARTNERHUB_SHUTDOWN_TIMEOUT")))
	}
	c.ShutdownTimeout = d
	c.LocalUser = getenv("PARTNERHUB_LOCAL_USER")
	c.OAuthKey, c.OAuthSecret = getenv("PARTNERHUB_OAUTH_CONSUMER_KEY"), getenv("PARTNERHUB_OAUTH_CONSUMER_SECRET")
	c.OAuthWiki, c.OAuthIndexURL, c.OAuthIssuer = getenv("PARTNERHUB_OAUTH_WIKI"), getenv("PARTNERHUB_OAUTH_INDEX_URL"), getenv("PARTNERHUB_OAUTH_ISSUER")
	c.UserAgent = getenv("PARTNERHUB_USER_AGENT")
	if err := wikidata.CheckUserAgent(c.UserAgent); err != nil {
		errs = append(errs, fmt.Sprintf("PARTNERHUB_USER_AGENT %q does not follow Wikimedia's User-Agent policy: %v", c.UserAgent, err))
	}
	if v, err := strconv.ParseFloat(getenv("PARTNERHUB_EDITS_PER_MINUTE"), 64); err != nil || v <= 0 {
		errs = append(errs, fmt.Sprintf("PARTNERHUB_EDITS_PER_MINUTE must be a positive number, not %q", getenv("PARTNERHUB_EDITS_PER_MINUTE")))
	} else {
		c.EditsPerMinute = v
	}
	c.EditTag, c.EditGroupsTool = getenv("PARTNERHUB_EDIT_TAG"), getenv("PARTNERHUB_EDITGROUPS_TOOL")
	for _, v := range []struct {
		name string
		dst  *time.Duration
	}{{"PARTNERHUB_EDIT_TIMEOUT", &c.EditTimeout}, {"PARTNERHUB_EDIT_LATE_SAVE", &c.EditLateSave}, {"PARTNERHUB_REPLICA_LAG", &c.ReplicaLag}, {"PARTNERHUB_UPLOAD_TIMEOUT", &c.UploadTimeout}} {
		d, err := time.ParseDuration(getenv(v.name))
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Sprintf("%s must be a positive duration like 90s or 5m, not %q", v.name, getenv(v.name)))
		}
		*v.dst = d
	}
	c.CommonsAPI, c.CommonsTag = getenv("PARTNERHUB_COMMONS_API"), getenv("PARTNERHUB_COMMONS_TAG")
	if v, err := strconv.ParseFloat(getenv("PARTNERHUB_UPLOADS_PER_MINUTE"), 64); err != nil || v <= 0 {
		errs = append(errs, fmt.Sprintf("PARTNERHUB_UPLOADS_PER_MINUTE must be a positive number, not %q", getenv("PARTNERHUB_UPLOADS_PER_MINUTE")))
	} else {
		c.UploadsPerMin = v
	}
	c.ChunkedAbove, c.ChunkBytes = intVar("PARTNERHUB_UPLOAD_CHUNKED_ABOVE_KB")<<10, intVar("PARTNERHUB_UPLOAD_CHUNK_KB")<<10
	if c.ChunkedAbove <= 0 || c.ChunkBytes <= 0 {
		errs = append(errs, "PARTNERHUB_UPLOAD_CHUNKED_ABOVE_KB and PARTNERHUB_UPLOAD_CHUNK_KB must be positive")
	}
	c.SPARQLEndpoints, c.WikiAPIs = list(getenv("PARTNERHUB_SPARQL_ENDPOINTS")), list(getenv("PARTNERHUB_WIKI_APIS"))
	c.DefaultSPARQL, c.DefaultWikiAPI = getenv("PARTNERHUB_DEFAULT_SPARQL_ENDPOINT"), getenv("PARTNERHUB_DEFAULT_WIKI_API")
	for _, v := range []struct {
		name, value string
		allowed     []string
		list        string
	}{{"PARTNERHUB_DEFAULT_SPARQL_ENDPOINT", c.DefaultSPARQL, c.SPARQLEndpoints, "PARTNERHUB_SPARQL_ENDPOINTS"}, {"PARTNERHUB_DEFAULT_WIKI_API", c.DefaultWikiAPI, c.WikiAPIs, "PARTNERHUB_WIKI_APIS"}} {
		if u, err := url.Parse(v.value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Sprintf("%s must be an http(s) URL, not %q", v.name, v.value))
		} else if len(v.allowed) > 0 && !slices.Contains(v.allowed, v.value) {
			errs = append(errs, fmt.Sprintf("%s %q is not in %s: add it there, or choose one of those", v.name, v.value, v.list))
		}
	}
	c.MediaHosts = list(getenv("PARTNERHUB_MEDIA_HOSTS"))
	c.MediaAllowPrivate = boolVar("PARTNERHUB_MEDIA_ALLOW_PRIVATE")
	c.MediaMaxBytes = intVar("PARTNERHUB_MEDIA_MAX_MB") << 20
	c.MediaArchiveBytes = intVar("PARTNERHUB_MEDIA_ARCHIVE_MB") << 20
	if c.MediaMaxBytes <= 0 || c.MediaArchiveBytes <= 0 {
		errs = append(errs, "PARTNERHUB_MEDIA_MAX_MB and PARTNERHUB_MEDIA_ARCHIVE_MB must be positive")
	}
	if days, err := strconv.Atoi(getenv("PARTNERHUB_MEDIA_ARCHIVE_DAYS")); err != nil || days < 1 || days > 365 {
		errs = append(errs, fmt.Sprintf("PARTNERHUB_MEDIA_ARCHIVE_DAYS must be a whole number of days from 1 to 365, not %q", getenv("PARTNERHUB_MEDIA_ARCHIVE_DAYS")))
	} else {
		c.MediaArchiveRetention = time.Duration(days) * 24 * time.Hour
	}
	c.SPARQLInFlight = int(intVar("PARTNERHUB_SPARQL_IN_FLIGHT"))
	if c.SPARQLInFlight < 1 || c.SPARQLInFlight > 20 {
		errs = append(errs, fmt.Sprintf("PARTNERHUB_SPARQL_IN_FLIGHT must be between 1 and 20, not %q", getenv("PARTNERHUB_SPARQL_IN_FLIGHT")))
	}
	if b, err := time.ParseDuration(getenv("PARTNERHUB_SPARQL_BUDGET")); err != nil || b < time.Second || b > time.Minute {
		errs = append(errs, fmt.Sprintf("PARTNERHUB_SPARQL_BUDGET must be a duration between 1s and 60s (endpoint time per minute), not %q", getenv("PARTNERHUB_SPARQL_BUDGET")))
	} else {
		c.SPARQLBudget = b
	}
	c.OwnerToken, c.OwnerSecret = getenv("PARTNERHUB_OAUTH_ACCESS_TOKEN"), getenv("PARTNERHUB_OAUTH_ACCESS_SECRET")
	if (c.OwnerToken == "") != (c.OwnerSecret == "") || (c.OwnerToken != "" && c.OAuthKey == "") {
		errs = append(errs, "an owner-only consumer needs PARTNERHUB_OAUTH_ACCESS_TOKEN, PARTNERHUB_OAUTH_ACCESS_SECRET and the consumer key and secret")
	}
	if (c.OAuthKey == "") != (c.OAuthSecret == "") {
		errs = append(errs, "set both PARTNERHUB_OAUTH_CONSUMER_KEY and PARTNERHUB_OAUTH_CONSUMER_SECRET, or neither")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Sprintf("PARTNERHUB_LOG_FORMAT must be text or json, not %q", c.LogFormat))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
}

// check refuses what the chosen processes cannot run with. It runs before
// anything is opened or started: a refused configuration starts nothing.
func (c config) check(withWeb, withWorker bool) error {
	if withWeb != withWorker && c.RedisAddr == "" {
		return errors.New("the web server and the workers share work through Redis: set PARTNERHUB_REDIS_ADDR to run them as separate processes, or use 'serve'")
	}
	if withWeb {
		return c.checkListen()
	}
	return nil
}

// checkListen refuses a public address for the two modes that have no login
// (the local user, an owner-only consumer): they would serve everyone.
func (c config) checkListen() error {
	if isLoopback(c.Addr) {
		return nil
	}
	if c.OwnerToken != "" {
		return fmt.Errorf("an owner-only OAuth consumer acts for one account without login, so it listens only on a loopback address, not %s: set PARTNERHUB_ADDR=127.0.0.1:8000 (and unset PORT), or register a normal consumer for a public installation", c.Addr)
	}
	if c.OAuthKey == "" {
		return fmt.Errorf("no OAuth consumer is configured, so the tool would serve everyone on %s as the local user %q: listen on a loopback address (PARTNERHUB_ADDR=127.0.0.1:8000, PORT unset) or configure OAuth (PARTNERHUB_OAUTH_CONSUMER_KEY)", c.Addr, c.LocalUser)
	}
	return nil
}

// list splits a comma-separated variable.
func list(v string) []string {
	var out []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}
