package mediaupload_test

import (
	"context"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/mediaupload"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/vault"
	"partnerhub/wikidata/commonstest"
)

func TestConnectorUsesTheUploadersSealedTokens(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	s := commonstest.Serve(t, commonstest.Options{ConsumerKey: ck, ConsumerSecret: cs, Accounts: []commonstest.Account{alice}})
	tokens, err := vault.New(make([]byte, vault.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
	ts, _ := tokens.Seal([]byte(alice.Token), vault.TokenAAD(u.ID, "token"))
	ss, _ := tokens.Seal([]byte(alice.Secret), vault.TokenAAD(u.ID, "secret"))
	if err := st.SaveToken(ctx, store.SealedToken{UserID: u.ID, ConsumerKey: ck, TokenSealed: ts, SecretSealed: ss}); err != nil {
		t.Fatal(err)
	}
	connect := mediaupload.NewConnector(mediaupload.ClientConfig{APIURL: s.URL(), UserAgent: "Partnerhub-test/1.0 (test@example.org)", ConsumerKey: ck, ConsumerSecret: cs}, st, tokens)
	c, err := connect(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.UserInfo(ctx)
	if err != nil || info.Name != "Alice" || !info.HasRight("upload") {
		t.Fatalf("user info %+v %v", info, err)
	}
	other := mediaupload.NewConnector(mediaupload.ClientConfig{APIURL: s.URL(), UserAgent: "Partnerhub-test/1.0 (test@example.org)", ConsumerKey: "another", ConsumerSecret: cs}, st, tokens)
	if _, err := other(ctx, u.ID); jobs.ErrorCode(err) != jobs.EFORBIDDEN || !strings.Contains(err.Error(), "another OAuth consumer") {
		t.Fatalf("tokens of another consumer: %v", err)
	}
}
