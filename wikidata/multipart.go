package wikidata

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"sort"
)

// multipartBody writes params and file as multipart/form-data, the token
// last (so a cut body fails, as with a form) and the file after it, and
// returns the Content-Type.
func multipartBody(buf *bytes.Buffer, params url.Values, file *FilePart) (string, error) {
	w := multipart.NewWriter(buf)
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "token" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	keys = append(keys, "token")
	for _, k := range keys {
		for _, v := range params[k] {
			if err := w.WriteField(k, v); err != nil {
				return "", err
			}
		}
	}
	part, err := w.CreateFormFile(file.Field, file.Name)
	if err != nil {
		return "", err
	}
	if _, err := part.Write(file.Body); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return w.FormDataContentType(), nil
}
