package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// loadKey reads the master secret from PARTNERHUB_SECRET_KEY, or from a key
// file generated once in the data directory (mode 0600).
func loadKey(cfg config) ([]byte, error) {
	if cfg.SecretKey != "" {
		k, err := parseKey(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("PARTNERHUB_SECRET_KEY: %w", err)
		}
		return k, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(cfg.DataDir, "secret.key")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write key file: %w", err)
		}
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	k, err := parseKey(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

func parseKey(s string) ([]byte, error) {
	for _, dec := range []func(string) ([]byte, error){hex.DecodeString, base64.StdEncoding.DecodeString, base64.URLEncoding.DecodeString, base64.RawStdEncoding.DecodeString, base64.RawURLEncoding.DecodeString} {
		if k, err := dec(s); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	return nil, errors.New("want 32 bytes, base64 or hex encoded (e.g. the output of: openssl rand -base64 32)")
}
