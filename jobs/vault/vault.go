// Package vault encrypts secrets at rest, such as users' OAuth access
// tokens: AES-256-GCM with a random nonce per secret, and additional data
// binding each ciphertext to its row, so a ciphertext copied elsewhere does
// not open. A wrong key fails loudly; it never yields garbage.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeySize is the length of a key in bytes.
const KeySize = 32

const prefix = "v1:"

// ErrDecrypt means a sealed value did not open: wrong key, wrong row, or
// tampered with.
var ErrDecrypt = errors.New("vault: cannot decrypt (wrong key, wrong row, or tampered data)")

// Vault seals and opens secrets with one key.
type Vault struct{ aead cipher.AEAD }

// New builds a vault from a 32-byte key.
func New(key []byte) (*Vault, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("vault: key must be %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Vault{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad, as "v1:" + base64(nonce | ciphertext).
func (v *Vault) Seal(plaintext, aad []byte) (string, error) {
	nonce := make([]byte, v.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := v.aead.Seal(nonce, nonce, plaintext, aad)
	return prefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal produced with the same key and aad.
func (v *Vault) Open(sealed string, aad []byte) ([]byte, error) {
	body, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, ErrDecrypt
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < v.aead.NonceSize()+v.aead.Overhead() {
		return nil, ErrDecrypt
	}
	n := v.aead.NonceSize()
	pt, err := v.aead.Open(nil, raw[:n], raw[n:], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// ParseKey reads a key given as base64 (standard or URL, padded or not) or
// hex.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		hex.DecodeString, base64.StdEncoding.DecodeString, base64.URLEncoding.DecodeString,
		base64.RawStdEncoding.DecodeString, base64.RawURLEncoding.DecodeString,
	} {
		if k, err := dec(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("want %d bytes, base64 or hex encoded (e.g. the output of: openssl rand -base64 32)", KeySize)
}

// LoadOrCreateKeyFile reads the key in path, or creates the file with a new
// random key (mode 0600) when it does not exist. A file others can read, or
// one that holds no valid key, is an error: the tool must not start with a
// key that is exposed or that would decrypt nothing.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k := make([]byte, KeySize)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create key file: %w", err)
		}
		if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("write key file: %w", err)
		}
		return k, f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s is readable by others (mode %v); run: chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	k, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// TokenAAD is the additional data a user's sealed OAuth token (part "token"
// or "secret") is bound to, so it opens only for that user's row.
func TokenAAD(userID int64, part string) []byte {
	return []byte(fmt.Sprintf("partnerhub oauth %s user %d", part, userID))
}
