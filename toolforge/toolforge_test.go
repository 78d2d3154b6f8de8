package toolforge

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"partnerhub/wikidata"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func files(m map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if v, ok := m[p]; ok {
			return []byte(v), nil
		}
		return nil, os.ErrNotExist
	}
}

func TestDefaults(t *testing.T) {
	// Not on Toolforge: nothing.
	if d, err := Defaults(env(nil), files(nil)); d != nil || err != nil {
		t.Fatalf("off Toolforge: %v %v", d, err)
	}
	cnf := "[client]\nuser = 's12345'\npassword = \"p@ss=word\"\n[other]\nuser = nope\n"
	d, err := Defaults(env(map[string]string{"TOOL_DATA_DIR": "/data/project/partnerhub", "PARTNERHUB_SECRET_KEY": "k"}),
		files(map[string]string{"/data/project/partnerhub/replica.my.cnf": cnf}))
	if err != nil {
		t.Fatal(err)
	}
	// The password's "@" and "=" survive the trip through the DSN.
	cfg, err := mysql.ParseDSN(d["PARTNERHUB_DB_DSN"])
	if err != nil || cfg.User != "s12345" || cfg.Passwd != "p@ss=word" || cfg.Addr != "tools.db.svc.wikimedia.cloud:3306" || cfg.DBName != "s12345__partnerhub" {
		t.Fatalf("DSN %q: %+v %v", d["PARTNERHUB_DB_DSN"], cfg, err)
	}
	if d["PARTNERHUB_REDIS_ADDR"] != RedisAddr || d["PARTNERHUB_LOG_FORMAT"] != "json" || d["PARTNERHUB_SECURE_COOKIES"] != "true" ||
		d["PARTNERHUB_DATA_DIR"] != "/data/project/partnerhub/partnerhub-data" || d["PARTNERHUB_TRUSTED_PROXIES"] != ProxyRange {
		t.Fatalf("defaults %v", d)
	}
	if ua := d["PARTNERHUB_USER_AGENT"]; ua != "Partnerhub/0.1 (https://partnerhub.toolforge.org/; tools.partnerhub@toolforge.org)" || wikidata.CheckUserAgent(ua) != nil {
		t.Fatalf("User-Agent %q should name the tool's page and its maintainers' address", ua)
	}
	q := d["PARTNERHUB_QUEUE"]
	if !strings.HasPrefix(q, "partnerhub-") || len(q) != len("partnerhub-")+24 || q != QueueName("partnerhub", "k") || q == QueueName("partnerhub", "other") {
		t.Fatalf("queue %q", q)
	}
	// Build Service env vars win over the file; an explicit DSN wins over both.
	d, _ = Defaults(env(map[string]string{"TOOL_DATA_DIR": "/data/project/x", "TOOL_TOOLSDB_USER": "u9", "TOOL_TOOLSDB_PASSWORD": "pw", "PARTNERHUB_SECRET_KEY": "k", "PARTNERHUB_TOOLSDB_NAME": "ph"}), files(nil))
	if cfg, err := mysql.ParseDSN(d["PARTNERHUB_DB_DSN"]); err != nil || cfg.User != "u9" || cfg.Passwd != "pw" || cfg.DBName != "u9__ph" {
		t.Fatalf("env DSN %q", d["PARTNERHUB_DB_DSN"])
	}
	d, _ = Defaults(env(map[string]string{"TOOL_DATA_DIR": "/x", "PARTNERHUB_DB_DSN": "given", "PARTNERHUB_SECRET_KEY": "k"}), files(nil))
	if _, ok := d["PARTNERHUB_DB_DSN"]; ok {
		t.Fatal("an explicit DSN was replaced")
	}
	// Refusals with the reason.
	if _, err := Defaults(env(map[string]string{"TOOL_DATA_DIR": "/x", "PARTNERHUB_SECRET_KEY": "k"}), files(nil)); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no credentials: %v", err)
	}
	if _, err := Defaults(env(map[string]string{"TOOL_DATA_DIR": "/x", "PARTNERHUB_DB_DSN": "d"}), files(nil)); err == nil || !strings.Contains(err.Error(), "PARTNERHUB_SECRET_KEY") {
		t.Fatalf("no secret: %v", err)
	}
}

func TestParseMyCnf(t *testing.T) {
	for _, bad := range []string{"", "[client]\nuser=a\n", "[mysql]\nuser=a\npassword=b\n"} {
		if _, _, err := ParseMyCnf([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	u, p, err := ParseMyCnf([]byte("# comment\n[client]\nuser=s1\npassword=abc\n"))
	if err != nil || u != "s1" || p != "abc" {
		t.Fatalf("%q %q %v", u, p, err)
	}
}

func FuzzParseMyCnf(f *testing.F) {
	f.Add("[client]\nuser='a'\npassword='b'\n")
	f.Fuzz(func(t *testing.T, s string) {
		u, p, err := ParseMyCnf([]byte(s))
		if err == nil && (u == "" || p == "") {
			t.Fatal("empty credentials accepted")
		}
	})
}
