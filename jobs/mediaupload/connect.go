package mediaupload

import (
	"context"
	"log/slog"
	"net/http"

	"partnerhub/jobs/store"
	"partnerhub/jobs/vault"
	"partnerhub/jobs/wikiplan"
	"partnerhub/wikidata"
	"partnerhub/wikidata/commons"
)

// ClientConfig says how to reach Commons for the users of an installation.
type ClientConfig struct {
	APIURL                      string // default https://commons.wikimedia.org/w/api.php
	UserAgent                   string
	Tag                         string // change tag on every upload and edit; "" for none
	ConsumerKey, ConsumerSecret string
	HTTPClient                  *http.Client
	Logger                      *slog.Logger
}

// DefaultAPIURL is Wikimedia Commons' Action API.
const DefaultAPIURL = "https://commons.wikimedia.org/w/api.php"

// NewConnector builds Commons clients with a user's stored (sealed) OAuth
// tokens, the uploads' User-Agent naming the user they are made for.
func NewConnector(cfg ClientConfig, st *store.Store, tokens *vault.Vault) Connector {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	return func(ctx context.Context, userID int64) (Commons, error) {
		creds, err := wikiplan.OpenCredentials(ctx, st, tokens, cfg.ConsumerKey, cfg.ConsumerSecret, userID)
		if err != nil {
			return nil, err
		}
		u, err := st.User(ctx, userID)
		if err != nil {
			return nil, err
		}
		api, err := wikidata.NewClient(wikidata.Config{APIURL: cfg.APIURL, UserAgent: wikidata.EditUserAgent(cfg.UserAgent, u.Username, cfg.APIURL),
			Tag: cfg.Tag, HTTPClient: cfg.HTTPClient, Logger: cfg.Logger},
			creds)
		if err != nil {
			return nil, err
		}
		return commons.New(api), nil
	}
}
