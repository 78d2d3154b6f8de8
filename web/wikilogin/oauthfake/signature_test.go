package oauthfake

import (
	"net/http"
	"strings"
	"testing"
)

// The worked example of RFC 5849 §3.4.1.1, with its duplicate and encoded
// parameters, must give the RFC's base string exactly.
func TestSignatureBaseStringRFC5849Example(t *testing.T) {
	req, _ := http.NewRequest("POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", strings.NewReader("c2&a3=2+q"))
	req.Host = "example.com"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", `OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"`)
	got, err := SignatureBaseString(req)
	if err != nil {
		t.Fatal(err)
	}
	want := "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
	if got != want {
		t.Fatalf("base string\n got %s\nwant %s", got, want)
	}
}

// §1.2's example: the signature of a known base string and secrets.
func TestSignatureRFC5849Section12(t *testing.T) {
	base := "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
	if got := sign(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"); got != "tR3+Ty81lMeYAr/Fid0kMTYa/WM=" {
		t.Fatalf("signature %s", got)
	}
}

// A form parsed before the check (as an API handler does) is signed the same.
func TestSignatureBaseStringAfterParseForm(t *testing.T) {
	mk := func() *http.Request {
		r, _ := http.NewRequest("POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", strings.NewReader("c2&a3=2+q"))
		r.Host = "example.com"
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", `OAuth oauth_consumer_key="9djdj82h48djs9d2", oauth_nonce="7d8f3e4a", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_token="kkk9d7dh3k39sjv7"`)
		return r
	}
	a, _ := SignatureBaseString(mk())
	parsed := mk()
	_ = parsed.ParseForm()
	b, _ := SignatureBaseString(parsed)
	if a != b || !strings.Contains(a, "c2%3D") {
		t.Fatalf("before and after ParseForm:\n%s\n%s", a, b)
	}
}

func TestEncode(t *testing.T) {
	for in, want := range map[string]string{"abc-._~": "abc-._~", "a b": "a%20b", "Special:OAuth/initiate": "Special%3AOAuth%2Finitiate", "é": "%C3%A9", "*": "%2A"} {
		if got := encode(in); got != want {
			t.Errorf("encode(%q) = %q, want %q", in, got, want)
		}
	}
}
