package main

import (
	"context"
	"errors"

	"partnerhub/jobs"
	"partnerhub/web"
	"partnerhub/web/wikilogin"
)

// wikiLogin builds the OAuth login when a consumer is configured.
func (a *app) wikiLogin() (web.WikiLogin, error) {
	if a.cfg.OAuthKey == "" {
		return nil, nil
	}
	c, err := wikilogin.New(wikilogin.Config{
		WikiURL: a.cfg.OAuthWiki, IndexURL: a.cfg.OAuthIndexURL, CanonicalServer: a.cfg.OAuthIssuer,
		ConsumerKey: a.cfg.OAuthKey, ConsumerSecret: a.cfg.OAuthSecret, UserAgent: a.cfg.UserAgent,
	})
	if err != nil {
		return nil, err
	}
	return loginAdapter{c: c, consumerKey: a.cfg.OAuthKey}, nil
}

// loginAdapter gives the web side the two steps it needs.
type loginAdapter struct {
	c           *wikilogin.Client
	consumerKey string
}

func (l loginAdapter) Begin(ctx context.Context) (string, string, string, error) {
	return l.c.Initiate(ctx)
}

func (l loginAdapter) Finish(ctx context.Context, rt, rs, verifier string) (*web.WikiAccount, error) {
	at, as, err := l.c.Exchange(ctx, rt, rs, verifier)
	if errors.Is(err, wikilogin.ErrDenied) {
		return nil, web.ErrLoginDenied
	}
	if err != nil {
		return nil, err
	}
	id, err := l.c.Identify(ctx, at, as)
	if err != nil {
		return nil, err
	}
	return &web.WikiAccount{
		User: jobs.User{WikiUserID: id.CentralID, Username: id.Username, Groups: id.Groups, Rights: id.Rights,
			EditCount: id.EditCount, Blocked: id.Blocked},
		ConsumerKey: l.consumerKey, AccessToken: at, AccessSecret: as,
	}, nil
}
