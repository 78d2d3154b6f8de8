package main

import (
	"fmt"
	"os"
	"path/filepath"

	"partnerhub/jobs/vault"
)

// loadKey reads the master secret from PARTNERHUB_SECRET_KEY, or from a key
// file generated once in the data directory (mode 0600).
func loadKey(cfg config) ([]byte, error) {
	if cfg.SecretKey != "" {
		k, err := vault.ParseKey(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("PARTNERHUB_SECRET_KEY: %w", err)
		}
		return k, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	return vault.LoadOrCreateKeyFile(filepath.Join(cfg.DataDir, "secret.key"))
}
