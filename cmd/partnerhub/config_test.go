package main

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultWikibaseIsChecked(t *testing.T) {
	c, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.DefaultSPARQL != "https://query.wikidata.org/sparql" || c.DefaultWikiAPI != "https://www.wikidata.org/w/api.php" {
		t.Errorf("defaults %q %q", c.DefaultSPARQL, c.DefaultWikiAPI)
	}
	for _, tt := range []struct {
		env  map[string]string
		says string
	}{
		{map[string]string{"PARTNERHUB_DEFAULT_SPARQL_ENDPOINT": "query.wikidata.org"}, "PARTNERHUB_DEFAULT_SPARQL_ENDPOINT must be an http(s) URL"},
		{map[string]string{"PARTNERHUB_DEFAULT_WIKI_API": "ftp://example.org/api.php"}, "PARTNERHUB_DEFAULT_WIKI_API must be an http(s) URL"},
		{map[string]string{"PARTNERHUB_SPARQL_ENDPOINTS": "https://sparql.example.org/q"}, `"https://query.wikidata.org/sparql" is not in PARTNERHUB_SPARQL_ENDPOINTS`},
		{map[string]string{"PARTNERHUB_WIKI_APIS": "https://wiki.example.org/w/api.php"}, `"https://www.wikidata.org/w/api.php" is not in PARTNERHUB_WIKI_APIS`},
	} {
		t.Run(tt.says, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if _, err := loadConfig(); err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("%v: %v, want %q", tt.env, err, tt.says)
			}
		})
	}
	t.Setenv("PARTNERHUB_SPARQL_ENDPOINTS", "https://wb.example.org/sparql")
	t.Setenv("PARTNERHUB_WIKI_APIS", "https://wb.example.org/w/api.php")
	t.Setenv("PARTNERHUB_DEFAULT_SPARQL_ENDPOINT", "https://wb.example.org/sparql")
	t.Setenv("PARTNERHUB_DEFAULT_WIKI_API", "https://wb.example.org/w/api.php")
	if _, err := loadConfig(); err != nil {
		t.Errorf("an allowed default Wikibase: %v", err)
	}
}

func TestMediaArchiveRetentionIsChecked(t *testing.T) {
	c, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.MediaArchiveRetention != 14*24*time.Hour {
		t.Errorf("default retention %s", c.MediaArchiveRetention)
	}
	for _, v := range []string{"0", "366", "2w", "-3"} {
		t.Setenv("PARTNERHUB_MEDIA_ARCHIVE_DAYS", v)
		if _, err := loadConfig(); err == nil || !strings.Contains(err.Error(), "PARTNERHUB_MEDIA_ARCHIVE_DAYS must be a whole number of days from 1 to 365") {
			t.Errorf("%q: %v", v, err)
		}
	}
	t.Setenv("PARTNERHUB_MEDIA_ARCHIVE_DAYS", "3")
	if c, err := loadConfig(); err != nil || c.MediaArchiveRetention != 72*time.Hour {
		t.Errorf("3 days: %v %v", c, err)
	}
}
