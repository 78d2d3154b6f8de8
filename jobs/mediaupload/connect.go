package mediaupload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/vault"
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
		if cfg.ConsumerKey == "" {
			return nil, jobs.Errorf(jobs.EFORBIDDEN, "no OAuth consumer is configured")
		}
		sealed, err := st.Token(ctx, userID)
		if err != nil {
			return nil, err
		}
		if sealed.ConsumerKey != cfg.ConsumerKey {
			return nil, jobs.Errorf(jobs.EFORBIDDEN, "the stored authorization is for another OAuth consumer; log in again")
		}
		tok, err1 := tokens.Open(sealed.TokenSealed, vault.TokenAAD(userID, "token"))
		sec, err2 := tokens.Open(sealed.SecretSealed, vault.TokenAAD(userID, "secret"))
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("open the stored authorization: %w", err)
		}
		u, err := st.User(ctx, userID)
		if err != nil {
			return nil, err
		}
		api, err := wikidata.NewClient(wikidata.Config{APIURL: cfg.APIURL, UserAgent: wikidata.EditUserAgent(cfg.UserAgent, u.Username, cfg.APIURL),
			Tag: cfg.Tag, HTTPClient: cfg.HTTPClient, Logger: cfg.Logger},
			&wikidata.Credentials{ConsumerKey: cfg.ConsumerKey, ConsumerSecret: cfg.ConsumerSecret, Token: string(tok), TokenSecret: string(sec)})
		if err != nil {
			return nil, err
		}
		return commons.New(api), nil
	}
}
