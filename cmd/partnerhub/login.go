package main

import (
	"context"
	"errors"
	"fmt"

	"partnerhub/jobs/store"
	"partnerhub/jobs/vault"

	"partnerhub/jobs"
	"partnerhub/web"
	"partnerhub/web/wikilogin"
)

func (a *app) wikiLoginClient() (*wikilogin.Client, error) {
	return wikilogin.New(wikilogin.Config{
		WikiURL: a.cfg.OAuthWiki, IndexURL: a.cfg.OAuthIndexURL, CanonicalServer: a.cfg.OAuthIssuer,
		ConsumerKey: a.cfg.OAuthKey, ConsumerSecret: a.cfg.OAuthSecret, UserAgent: a.cfg.UserAgent,
	})
}

// wikiLogin builds the OAuth login when a consumer is configured.
func (a *app) wikiLogin() (web.WikiLogin, error) {
	if a.cfg.OAuthKey == "" {
		return nil, nil
	}
	c, err := a.wikiLoginClient()
	if err != nil {
		return nil, err
	}
	return loginAdapter{c: c, consumerKey: a.cfg.OAuthKey}, nil
}

// ownerOnly identifies the owner of an owner-only consumer with its access
// token, stores the token sealed like any user's, and serves that account as
// the local user.
func (a *app) ownerOnly(ctx context.Context, tokens *vault.Vault) (web.Authenticator, error) {
	c, err := a.wikiLoginClient()
	if err != nil {
		return nil, err
	}
	id, err := c.Identify(ctx, a.cfg.OwnerToken, a.cfg.OwnerSecret)
	if err != nil {
		return nil, fmt.Errorf("identify the owner-only consumer's account: %w", err)
	}
	u, err := a.store.UpsertUser(ctx, &jobs.User{WikiUserID: id.CentralID, Username: id.Username, Groups: id.Groups, Rights: id.Rights, EditCount: id.EditCount, Blocked: id.Blocked})
	if err != nil {
		return nil, err
	}
	ts, err1 := tokens.Seal([]byte(a.cfg.OwnerToken), web.TokenAAD(u.ID, "token"))
	ss, err2 := tokens.Seal([]byte(a.cfg.OwnerSecret), web.TokenAAD(u.ID, "secret"))
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	if err := a.store.SaveToken(ctx, store.SealedToken{UserID: u.ID, ConsumerKey: a.cfg.OAuthKey, TokenSealed: ts, SecretSealed: ss}); err != nil {
		return nil, err
	}
	a.logger.Info("single-user mode with an owner-only consumer", "username", u.Username)
	return web.LocalAuth{User: u, OwnerOnly: true}, nil
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
