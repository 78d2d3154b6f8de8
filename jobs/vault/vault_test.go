package vault

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	v, err := New(bytes.Repeat([]byte{1}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("oauth-access-token-0123456789abcdef")
	a, _ := v.Seal(secret, []byte("user 1"))
	b, _ := v.Seal(secret, []byte("user 1"))
	if a == b {
		t.Fatal("two seals of the same secret are equal: nonce reused")
	}
	if strings.Contains(a, string(secret)) || strings.Contains(a, "oauth-access") {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := v.Open(a, []byte("user 1"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := v.Open(a, []byte("user 2")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("other row's aad: %v", err)
	}
	other, _ := New(bytes.Repeat([]byte{2}, KeySize))
	if _, err := other.Open(a, []byte("user 1")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong key: %v", err)
	}
	tampered := a[:len(a)-2] + "AA"
	if _, err := v.Open(tampered, []byte("user 1")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("tampered: %v", err)
	}
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestKeys(t *testing.T) {
	for _, s := range []string{"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", strings.Repeat("01", 32), "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"} {
		if k, err := ParseKey(s); err != nil || len(k) != KeySize {
			t.Errorf("ParseKey(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "short", strings.Repeat("01", 16), "not base64 !!!"} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.key")
	k1, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode().Perm())
	}
	k2, err := LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatal("key not reused")
	}
	_ = os.Chmod(path, 0o644)
	if _, err := LoadOrCreateKeyFile(path); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("world-readable key file: %v", err)
	}
	bad := filepath.Join(dir, "bad.key")
	_ = os.WriteFile(bad, []byte("garbage\n"), 0o600)
	if _, err := LoadOrCreateKeyFile(bad); err == nil {
		t.Fatal("bad key file accepted")
	}
}

// FuzzOpen: arbitrary input never panics and never opens.
func FuzzOpen(f *testing.F) {
	v, _ := New(bytes.Repeat([]byte{9}, KeySize))
	good, _ := v.Seal([]byte("x"), nil)
	for _, s := range []string{"", "v1:", "v1:AAAA", good, good + "A", "v2:" + good[3:]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pt, err := v.Open(s, []byte("aad"))
		if err == nil {
			t.Fatalf("opened %q to %q with the wrong aad", s, pt)
		}
	})
}
