package oauthfake

import (
	"crypto/hmac"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Verifier checks OAuth 1.0a HMAC-SHA1 requests for one consumer as a
// provider must: signature, consumer, method, timestamp window and nonce
// replay. Other fakes (such as the fake Wikibase API) use it too.
type Verifier struct {
	ConsumerKey, ConsumerSecret string
	Now                         func() time.Time

	mu     sync.Mutex
	nonces map[string]bool
}

// Verify checks r; tokenSecret looks up the secret of the request's
// oauth_token (none for a request without a token). It returns the OAuth
// parameters of the request.
func (v *Verifier) Verify(r *http.Request, tokenSecret func(token string) (string, bool)) (map[string]string, error) {
	p, err := authParams(r)
	if err != nil {
		return nil, err
	}
	if p["oauth_consumer_key"] != v.ConsumerKey {
		return nil, errors.New("unknown consumer")
	}
	if p["oauth_signature_method"] != "HMAC-SHA1" || (p["oauth_version"] != "1.0" && p["oauth_version"] != "") {
		return nil, errors.New("unsupported signature method")
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	ts, err := strconv.ParseInt(p["oauth_timestamp"], 10, 64)
	if err != nil || now().Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return nil, errors.New("timestamp out of range")
	}
	secret := ""
	if tok := p["oauth_token"]; tok != "" {
		s, ok := tokenSecret(tok)
		if !ok {
			return nil, errors.New("unknown token")
		}
		secret = s
	}
	base, err := SignatureBaseString(r)
	if err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(sign(base, v.ConsumerSecret, secret)), []byte(p["oauth_signature"])) {
		return nil, errors.New("invalid signature")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.nonces == nil {
		v.nonces = map[string]bool{}
	}
	key := p["oauth_nonce"] + "|" + p["oauth_timestamp"]
	if p["oauth_nonce"] == "" || v.nonces[key] {
		return nil, errors.New("nonce already used")
	}
	v.nonces[key] = true
	return p, nil
}
