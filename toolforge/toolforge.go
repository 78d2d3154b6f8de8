// Package toolforge lets Partnerhub configure itself on Wikimedia Toolforge:
// it recognises the platform from its environment and derives the settings
// an operator would otherwise have to type — the ToolsDB DSN from the
// tool's credentials, the shared Redis, a queue name no other tool can
// guess, JSON logs, Secure cookies, the front proxy to trust. Explicit
// environment variables always win; this only fills what is unset.
package toolforge

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Hosts of Toolforge's shared services.
const (
	ToolsDBHost = "tools.db.svc.wikimedia.cloud"
	RedisAddr   = "redis.svc.tools.eqiad1.wikimedia.cloud:6379"
	// ProxyRange is the Kubernetes pod network Toolforge's ingress runs in:
	// X-Forwarded-* headers are believed from there only.
	ProxyRange = "192.168.0.0/16"
)

// Detect says whether the environment is a Toolforge tool's (TOOL_DATA_DIR
// is set for tools, in webservices and jobs alike).
func Detect(getenv func(string) string) bool {
	return getenv("TOOL_DATA_DIR") != "" || getenv("TOOLFORGE_TOOL_NAME") != ""
}

// Defaults returns the settings to use on Toolforge for every variable the
// operator left unset. It returns nil when not on Toolforge.
func Defaults(getenv func(string) string, readFile func(string) ([]byte, error)) (map[string]string, error) {
	if !Detect(getenv) {
		return nil, nil
	}
	home := getenv("TOOL_DATA_DIR")
	tool := getenv("TOOLFORGE_TOOL_NAME")
	if tool == "" && home != "" {
		tool = filepath.Base(home)
	}
	out := map[string]string{
		"PARTNERHUB_LOG_FORMAT":      "json",
		"PARTNERHUB_SECURE_COOKIES":  "true",
		"PARTNERHUB_TRUSTED_PROXIES": ProxyRange,
		"PARTNERHUB_REDIS_ADDR":      RedisAddr,
	}
	if home != "" {
		out["PARTNERHUB_DATA_DIR"] = filepath.Join(home, "partnerhub-data")
	}
	if tool != "" {
		// Wikimedia's User-Agent policy wants a contact: the tool's page and
		// the address Toolforge forwards to the tool's maintainers.
		out["PARTNERHUB_USER_AGENT"] = UserAgent(tool)
	}
	if getenv("PARTNERHUB_DB_DSN") == "" {
		user, pass, err := toolsDBCredentials(getenv, readFile, home)
		if err != nil {
			return nil, err
		}
		name := getenv("PARTNERHUB_TOOLSDB_NAME")
		if name == "" {
			name = "partnerhub"
		}
		// FormatDSN escapes what a password may hold (@, /, :, ...).
		dsn := mysql.NewConfig()
		dsn.User, dsn.Passwd, dsn.Net, dsn.Addr, dsn.DBName = user, pass, "tcp", ToolsDBHost+":3306", user+"__"+name
		out["PARTNERHUB_DB_DSN"] = dsn.FormatDSN()
	}
	if getenv("PARTNERHUB_QUEUE") == "" {
		secret := getenv("PARTNERHUB_SECRET_KEY")
		if secret == "" {
			return nil, errors.New("on Toolforge, set PARTNERHUB_SECRET_KEY with 'toolforge envvars create' (the queue name on the shared Redis and the token encryption derive from it)")
		}
		out["PARTNERHUB_QUEUE"] = QueueName(tool, secret)
	}
	return out, nil
}

// UserAgent is the tool's User-Agent on Toolforge, with its contacts.
func UserAgent(tool string) string {
	return "Partnerhub/0.1 (https://" + tool + ".toolforge.org/; tools." + tool + "@toolforge.org)"
}

// QueueName is the asynq queue of a tool on the shared Redis: the same for
// its web service and its jobs (both know the secret), and unguessable for
// the other tools sharing that Redis, who can list queue names.
func QueueName(tool, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("partnerhub queue " + tool))
	return "partnerhub-" + hex.EncodeToString(mac.Sum(nil))[:24]
}

// toolsDBCredentials reads the tool's database account: the Build Service
// puts it in TOOL_TOOLSDB_USER/TOOL_TOOLSDB_PASSWORD, and every tool has it
// in $TOOL_DATA_DIR/replica.my.cnf.
func toolsDBCredentials(getenv func(string) string, readFile func(string) ([]byte, error), home string) (string, string, error) {
	if u, p := getenv("TOOL_TOOLSDB_USER"), getenv("TOOL_TOOLSDB_PASSWORD"); u != "" && p != "" {
		return u, p, nil
	}
	if home == "" {
		return "", "", errors.New("no ToolsDB credentials: TOOL_TOOLSDB_USER/PASSWORD are unset and TOOL_DATA_DIR is unknown")
	}
	path := filepath.Join(home, "replica.my.cnf")
	data, err := readFile(path)
	if err != nil {
		return "", "", fmt.Errorf("no ToolsDB credentials: %w", err)
	}
	user, pass, err := ParseMyCnf(data)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	return user, pass, nil
}

// ParseMyCnf reads user and password from the [client] section of a MySQL
// option file such as replica.my.cnf (values may be quoted).
func ParseMyCnf(data []byte) (user, password string, err error) {
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
			continue
		}
		if section != "client" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		switch k {
		case "user":
			user = v
		case "password":
			password = v
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", err
	}
	if user == "" || password == "" {
		return "", "", errors.New("no user and password in its [client] section")
	}
	return user, password, nil
}
