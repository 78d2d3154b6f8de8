package jobs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// JSON documents users write (templates, their write settings) are read
// strictly: a misspelt key must be refused, not silently ignored, and a
// value of the wrong type must be explained in the document's own terms
// rather than in Go's ("cannot unmarshal string into Go struct field").

// UnknownKeys lists the keys of the JSON document data that the struct
// type t (and the structs, maps and slices of structs it holds) has no
// field for, as paths like `wikibase.endpoint` or `columns["born"].kinds`,
// sorted. json.RawMessage fields are not descended into: their owner
// checks them. Values of the wrong shape are skipped (the decoder reports them).
func UnknownKeys(data []byte, t reflect.Type) []string {
	var out []string
	unknownKeys(data, t, "", &out)
	sort.Strings(out)
	return out
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

func unknownKeys(data []byte, t reflect.Type, path string, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessageType {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return
		}
		fields := jsonFields(t)
		for key, v := range obj {
			ft, ok := fields[key]
			if !ok {
				// encoding/json matches keys case-insensitively; a
				// template means what it spells, so we do not.
				*out = append(*out, joinPath(path, key))
				continue
			}
			unknownKeys(v, ft, joinPath(path, key), out)
		}
	case reflect.Map:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return
		}
		for key, v := range obj {
			unknownKeys(v, t.Elem(), fmt.Sprintf("%s[%q]", path, key), out)
		}
	case reflect.Slice, reflect.Array:
		var list []json.RawMessage
		if json.Unmarshal(data, &list) != nil {
			return
		}
		for i, v := range list {
			unknownKeys(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out)
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonFields maps the JSON names of t's exported fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// DecodeStrict decodes one JSON value from data into v and says what was
// wrong in sentences users can act on: unknown keys (checked against v's
// type) and the first value of the wrong type are problems returned for
// the caller to report with its own; malformed JSON is an error.
func DecodeStrict(data []byte, v any, what string) (problems []string, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	decErr := dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case decErr == nil:
		if _, err := dec.Token(); err != io.EOF {
			return nil, Errorf(EINVALID, "%s has more data after its JSON object.", what)
		}
	case errors.As(decErr, &typeErr) && typeErr.Field != "":
		// encoding/json fills what it can and reports the first mismatch.
		problems = append(problems, TypeProblem(typeErr))
	default:
		return nil, Errorf(EINVALID, "%s is not valid JSON: %s.", what, SyntaxProblem(data, decErr))
	}
	for _, k := range UnknownKeys(data, reflect.TypeOf(v)) {
		problems = append(problems, fmt.Sprintf("unknown key %s (check its spelling)", k))
	}
	return problems, nil
}

// TypeProblem says in words which value has the wrong type.
func TypeProblem(e *json.UnmarshalTypeError) string {
	want := describeType(e.Type)
	if n, ok := strings.CutPrefix(e.Value, "number "); ok {
		return fmt.Sprintf("%s: %s is not usable here (want %s)", e.Field, n, want)
	}
	return fmt.Sprintf("%s must be %s, not %s", e.Field, want, withArticle(e.Value))
}

func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "text in quotes"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.String {
			return `a list of texts, like ["en", "sv"]`
		}
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object { … }"
	}
	return "another kind of value"
}

func withArticle(jsonKind string) string {
	switch jsonKind {
	case "string":
		return "a text"
	case "number":
		return "a number"
	case "bool":
		return "true or false"
	case "array":
		return "a list"
	case "object":
		return "an object"
	}
	return jsonKind
}

// SyntaxProblem says where malformed JSON goes wrong, by line and column.
func SyntaxProblem(data []byte, err error) string {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF) && len(bytes.TrimSpace(data)) == 0:
		return "it is empty"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "it ends before the JSON is complete (a missing } or ])"
	case errors.As(err, &se):
		line, col := lineCol(data, se.Offset)
		msg := strings.TrimPrefix(se.Error(), "json: ")
		return fmt.Sprintf("line %d, column %d: %s", line, col, msg)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "it must be a JSON object { … }, not " + withArticle(te.Value)
	}
	return "it could not be read"
}

func lineCol(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, max(col-1, 1)
}
