package wikibasetest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestRFC5849Example checks the signature of the worked example of RFC 5849 §1.2 and §3.4.1.
func TestRFC5849Example(t *testing.T) {
	// §3.4.1.1 example: base string from a POST with query, body and header parameters.
	body := "c2&a3=2+q"
	r, _ := http.NewRequest("POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", strings.NewReader(body))
	r.Host = "example.com"
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	oauth := map[string]string{"realm": "Example", "oauth_consumer_key": "9djdj82h48djs9d2", "oauth_token": "kkk9d7dh3k39sjv7",
		"oauth_signature_method": "HMAC-SHA1", "oauth_timestamp": "137131201", "oauth_nonce": "7d8f3e4a", "oauth_signature": "ignored"}
	got := signatureBaseString(r.Method, baseURI(r), requestParams(r, body, oauth))
	want := "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
	if got != want {
		t.Fatalf("base string\n got %s\nwant %s", got, want)
	}

	// §1.2 (with the errata's signature): GET photos with the access token.
	r2, _ := http.NewRequest("GET", "http://photos.example.net/photos?file=vacation.jpg&size=original", nil)
	r2.Host = "photos.example.net"
	h := `OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131202", oauth_nonce="chapoH", oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D"`
	params, ok := parseAuthorization(h)
	if !ok {
		t.Fatal("header not parsed")
	}
	f := NewHandler(Options{Users: []User{{Name: "Jane", ConsumerKey: "dpf43f3p2l4k3l03", ConsumerSecret: "kd94hf93k423kf44", Token: "nnch734d00sl2jdk", TokenSecret: "pfkkdhi9sl3r4s00"}}})
	r2.Header.Set("Authorization", h)
	if u, errText := f.authenticate(r2, ""); u == nil || u.Name != "Jane" {
		t.Fatalf("RFC example rejected: %s (sig %s)", errText, params["oauth_signature"])
	}
	// The same request with another secret must fail.
	f.users[0].TokenSecret = "wrong"
	if u, _ := f.authenticate(r2, ""); u != nil {
		t.Fatal("wrong secret accepted")
	}
	if percentEncode("a b~*") != "a%20b~%2A" || url.QueryEscape("x") != "x" {
		t.Error("percent encoding")
	}
}
