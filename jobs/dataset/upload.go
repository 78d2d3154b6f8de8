package dataset

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"partnerhub/jobs"
)

// SaveUpload streams an uploaded file into dir under a random name, stopping
// with a clear error as soon as it passes maxBytes. Nothing of a refused
// upload is left on disk.
func SaveUpload(r io.Reader, dir string, maxBytes int64) (path string, size int64, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("create upload directory: %w", err)
	}
	var name [16]byte
	if _, err := rand.Read(name[:]); err != nil {
		return "", 0, err
	}
	stored := filepath.Join(dir, hex.EncodeToString(name[:])+".upload")
	f, err := os.OpenFile(stored, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", 0, fmt.Errorf("store upload: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(stored)
		}
	}()
	// Read one byte past the limit to tell "exactly at the limit" from "over".
	size, err = io.Copy(f, io.LimitReader(r, maxBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", 0, tooLarge(maxBytes)
		}
		return "", 0, fmt.Errorf("receive upload: %w", err)
	}
	if size > maxBytes {
		return "", 0, tooLarge(maxBytes)
	}
	if size == 0 {
		return "", 0, jobs.Errorf(jobs.EINVALID, "The file is empty.")
	}
	if err := f.Close(); err != nil {
		return "", 0, fmt.Errorf("store upload: %w", err)
	}
	return stored, size, nil
}

func tooLarge(maxBytes int64) error {
	return jobs.Errorf(jobs.ETOOLARGE, "The file is larger than %s, the most one upload may be. Split it, or ask the tool's maintainers to raise PARTNERHUB_MAX_UPLOAD_MB.", HumanBytes(maxBytes))
}

// HumanBytes formats a byte count for people.
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
