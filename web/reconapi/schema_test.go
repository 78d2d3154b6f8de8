package reconapi_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"partnerhub/web/reconapi"
)

// schemaBase is where a version's schemas say they are.
var schemaBase = map[string]string{
	"0.2":       "https://reconciliation-api.github.io/specs/0.2/schemas/",
	"1.0-draft": "https://reconciliation-api.github.io/specs/draft/schemas/",
}

// specDir finds ../shared/reconciliation-api/<version> beside the
// repository root (CI puts shared/ beside the clone). Without it the test
// skips locally and fails in CI.
func specDir(t *testing.T, version string) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(filepath.Dir(root), "shared", "reconciliation-api", version)
	if _, err := os.Stat(filepath.Join(dir, "schemas")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the reconciliation API's schemas are not at %s: %v", dir, err)
		}
		t.Skipf("no reconciliation API schemas at %s", dir)
	}
	return dir
}

// schemas compiles every schema of a version, each known by its $id (the
// manifest refers to the Swagger schema by its URL: it is served from the
// spec's openapi.json, never fetched).
type schemas struct {
	c   *jsonschema.Compiler
	dir string
}

func loadSchemas(t *testing.T, version string) *schemas {
	t.Helper()
	dir := specDir(t, version)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.UseLoader(refuseLoader{})
	files, err := filepath.Glob(filepath.Join(dir, "schemas", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas in %s: %v", dir, err)
	}
	for _, f := range files {
		doc := readJSON(t, f)
		obj, _ := doc.(map[string]any)
		id, _ := obj["$id"].(string)
		id = strings.TrimSuffix(id, "#")
		if id == "" {
			id = schemaBase[version] + filepath.Base(f)
		}
		// "http://json-schema.org/schema#" names no draft: use draft 7.
		if s, _ := obj["$schema"].(string); s == "http://json-schema.org/schema#" {
			delete(obj, "$schema")
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// Also under its file name, for the schema's refs by file name.
		if alt := schemaBase[version] + filepath.Base(f); alt != id {
			if err := c.AddResource(alt, doc); err != nil && !strings.Contains(err.Error(), "exists") {
				t.Logf("%s as %s: %v", f, alt, err)
			}
		}
	}
	return &schemas{c: c, dir: dir}
}

type refuseLoader struct{}

func (refuseLoader) Load(u string) (any, error) {
	return nil, errors.New("schemas are never fetched: " + u)
}

func (s *schemas) compile(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	doc := readJSON(t, filepath.Join(s.dir, "schemas", file))
	id, _ := doc.(map[string]any)["$id"].(string)
	sch, err := s.c.Compile(strings.TrimSuffix(id, "#"))
	if err != nil {
		t.Fatalf("compile %s: %v", file, err)
	}
	return sch
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// exampleSchemas maps the spec's example folders to the schema each
// example is a document of.
var exampleSchemas = map[string]string{
	"manifest":                         "manifest.json",
	"reconciliation-query-batch":       "reconciliation-query-batch.json",
	"reconciliation-result-batch":      "reconciliation-result-batch.json",
	"suggest-entities-response":        "suggest-entities-response.json",
	"suggest-properties-response":      "suggest-properties-response.json",
	"suggest-types-response":           "suggest-types-response.json",
	"data-extension-query":             "data-extension-query.json",
	"data-extension-response":          "data-extension-response.json",
	"data-extension-property-proposal": "data-extension-property-proposal.json",
}

// TestSpecExamples proves the validator: every valid example of the spec
// passes its schema and every invalid one fails it.
func TestSpecExamples(t *testing.T) {
	for _, version := range []string{"0.2", "1.0-draft"} {
		t.Run(version, func(t *testing.T) { specExamples(t, version) })
	}
}

func specExamples(t *testing.T, version string) {
	s := loadSchemas(t, version)
	var valid, invalid int
	for folder, schemaFile := range exampleSchemas {
		sch := s.compile(t, schemaFile)
		for _, kind := range []string{"valid", "invalid"} {
			files, _ := filepath.Glob(filepath.Join(s.dir, "examples", folder, kind, "*.json"))
			for _, f := range files {
				err := sch.Validate(readJSON(t, f))
				switch {
				case kind == "valid" && err != nil:
					t.Errorf("%s/%s/%s fails %s: %v", folder, kind, filepath.Base(f), schemaFile, err)
				case kind == "invalid" && err == nil:
					t.Errorf("%s/%s/%s passes %s", folder, kind, filepath.Base(f), schemaFile)
				}
				if kind == "valid" {
					valid++
				} else {
					invalid++
				}
			}
		}
	}
	// Every example folder with a schema of its own was read.
	err := filepath.WalkDir(filepath.Join(s.dir, "examples"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || filepath.Dir(p) != filepath.Join(s.dir, "examples") {
			return err
		}
		if _, ok := exampleSchemas[d.Name()]; !ok && exampleFileCount(p) > 0 {
			t.Logf("examples/%s: no schema of its own in the spec (not checked)", d.Name())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d valid and %d invalid examples", version, valid, invalid)
	if valid < 20 || invalid < 10 {
		t.Errorf("read %d valid and %d invalid examples: the spec's folders moved?", valid, invalid)
	}
}

func exampleFileCount(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			n++
		}
		return nil
	})
	return n
}

// TestAnswersMatchTheSchemas validates every kind of answer the service
// gives against the spec's schemas: the manifest, result batches by GET
// and POST (with types, limits, properties, empty results), and the
// spec's own valid query batches sent to the service.
func TestAnswersMatchTheSchemas(t *testing.T) {
	s := loadSchemas(t, "0.2")
	manifest := s.compile(t, "manifest.json")
	results := s.compile(t, "reconciliation-result-batch.json")
	queries := s.compile(t, "reconciliation-query-batch.json")
	f := newFixture(t, reconapi.Config{Rate: 1000, Burst: 1000, Version: "test"})

	res, body := f.get(t, nil)
	if res.StatusCode != 200 {
		t.Fatalf("manifest: %d %s", res.StatusCode, body)
	}
	validate(t, manifest, "manifest", body)

	batches := []string{
		`{"q0": {"query": "Hilma af Klint", "type": "Q5", "properties": [{"pid": "P569", "v": "1862"}]}, "q1": {"query": "Nobody At All"}}`,
		`{"q0": {"query": "Karl Nilsson", "type": ["Q5", "Q1900"], "type_strict": "any", "limit": 1}}`,
		`{"q0": {"properties": [{"pid": "P245", "v": ["500029340", "1"]}, {"pid": "P27", "v": {"id": "Q34", "name": "Sweden"}}]}}`,
		`{"q0": {"query": "Selma Lagerlöf", "properties": [{"pid": "P569", "v": 1858}]}}`,
	}
	// The spec's valid query batches are valid requests: the service
	// answers them (their properties are not Wikidata's: ignored).
	files, _ := filepath.Glob(filepath.Join(s.dir, "examples", "reconciliation-query-batch", "valid", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, string(b))
	}
	for _, batch := range batches {
		var doc any
		if err := json.Unmarshal([]byte(batch), &doc); err != nil {
			t.Fatal(err)
		}
		if err := queries.Validate(doc); err != nil {
			t.Fatalf("test batch %s is not a valid query batch: %v", batch, err)
		}
		for _, how := range []string{"GET", "POST"} {
			var body []byte
			if how == "GET" {
				res, body = f.get(t, url.Values{"queries": {batch}})
			} else {
				res, body = f.post(t, url.Values{"queries": {batch}})
			}
			if res.StatusCode != 200 {
				t.Errorf("%s %s: %d %s", how, batch, res.StatusCode, body)
				continue
			}
			validate(t, results, how+" "+batch, body)
		}
	}
}

// TestOtherAnswersMatchTheSchemas validates the 0.2 suggest, extension and
// property proposal answers, at the default root and a template's.
func TestOtherAnswersMatchTheSchemas(t *testing.T) {
	s := loadSchemas(t, "0.2")
	f := newFixture(t, reconapi.Config{Rate: 1000, Burst: 1000})
	f.templates["1"] = peopleTemplate
	checks := []struct {
		schema, path string
		query        url.Values
	}{
		{"suggest-entities-response.json", "/suggest/entity", url.Values{"prefix": {"Hilma"}}},
		{"suggest-entities-response.json", "/suggest/entity", url.Values{"prefix": {"Karl"}, "cursor": {"1"}}},
		{"suggest-entities-response.json", "/suggest/entity", url.Values{"prefix": {"nothing like it"}}},
		{"suggest-properties-response.json", "/suggest/property", url.Values{"prefix": {"date"}}},
		{"suggest-types-response.json", "/suggest/type", url.Values{"prefix": {"ship"}}},
		{"data-extension-response.json", "", url.Values{"extend": {`{"ids": ["Q109", "Q110", "Q404"], "properties": [{"id": "P27"}, {"id": "P27/P297"}, {"id": "P569"}, {"id": "P31", "settings": {"limit": 1}}]}`}}},
		{"data-extension-property-proposal.json", "/propose_properties", url.Values{"type": {"Q5"}}},
		{"data-extension-property-proposal.json", "/propose_properties", url.Values{"type": {"Q11446"}, "limit": {"2"}}},
	}
	for _, root := range []string{"/reconcile", "/templates/1/reconcile"} {
		for _, c := range checks {
			res, body := f.getAt(t, root+c.path, c.query)
			if res.StatusCode != 200 {
				t.Errorf("%s%s %v: %d %s", root, c.path, c.query, res.StatusCode, body)
				continue
			}
			validate(t, s.compile(t, c.schema), root+c.path+" "+c.query.Encode(), body)
		}
		res, body := f.getAt(t, root, nil)
		if res.StatusCode != 200 {
			t.Fatalf("%s manifest: %d", root, res.StatusCode)
		}
		validate(t, s.compile(t, "manifest.json"), root+" manifest", body)
	}
}

// TestAnswersMatchTheSchemasV1 validates every 1.0-draft answer: the
// manifest, match batches (ours and the spec's own valid query batches),
// suggest, extension and proposals.
func TestAnswersMatchTheSchemasV1(t *testing.T) {
	s := loadSchemas(t, "1.0-draft")
	f := newFixture(t, reconapi.Config{Rate: 1000, Burst: 1000, Version: "test"})
	f.templates["1"] = peopleTemplate
	queries := s.compile(t, "reconciliation-query-batch.json")
	extQuery := s.compile(t, "data-extension-query.json")
	for _, root := range []string{"/reconcile/v1", "/templates/1/reconcile/v1"} {
		res, body := f.getAt(t, root, nil)
		if res.StatusCode != 200 {
			t.Fatalf("%s manifest: %d %s", root, res.StatusCode, body)
		}
		validate(t, s.compile(t, "manifest.json"), root+" manifest", body)
		batches := []string{
			`{"queries": [{"type": "Q5", "conditions": [{"matchType": "name", "propertyValue": "Hilma af Klint"}, {"matchType": "property", "propertyId": "P569", "propertyValue": "1862"}]},
			  {"conditions": [{"matchType": "name", "propertyValue": "Nobody At All"}]},
			  {"limit": 1, "lang": "sv", "conditions": [{"matchType": "name", "propertyValue": "Karl Nilsson"}]},
			  {"conditions": [{"matchType": "id", "propertyValue": "Q115"}]},
			  {"conditions": [{"matchType": "property", "propertyId": "P245", "propertyValue": ["500029340"], "required": true}]}]}`,
			`{"queries": []}`,
		}
		files, _ := filepath.Glob(filepath.Join(s.dir, "examples", "reconciliation-query-batch", "valid", "*.json"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			batches = append(batches, string(b))
		}
		for _, batch := range batches {
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(batch))
			if err != nil {
				t.Fatal(err)
			}
			if err := queries.Validate(doc); err != nil {
				t.Fatalf("test batch %s is not a valid query batch: %v", batch, err)
			}
			res, body := f.postJSON(t, root+"/match", batch)
			if res.StatusCode != 200 {
				t.Errorf("%s/match %s: %d %s", root, batch, res.StatusCode, body)
				continue
			}
			validate(t, s.compile(t, "reconciliation-result-batch.json"), root+"/match "+batch, body)
		}
		for _, c := range []struct{ schema, path string }{
			{"suggest-entities-response.json", "/suggest/entity?prefix=Hilma"},
			{"suggest-properties-response.json", "/suggest/property?prefix=date"},
			{"suggest-types-response.json", "/suggest/type?prefix=ship&cursor=0"},
			{"data-extension-property-proposal.json", "/extend/propose?type=Q5&limit=4"},
		} {
			res, body := f.getAt(t, root+c.path, nil)
			if res.StatusCode != 200 {
				t.Errorf("%s%s: %d %s", root, c.path, res.StatusCode, body)
				continue
			}
			validate(t, s.compile(t, c.schema), root+c.path, body)
		}
		exts := []string{`{"ids": ["Q109", "Q404"], "properties": [{"id": "P27"}, {"id": "P27/P297"}, {"id": "P569"}, {"id": "P31", "settings": {"limit": 1}}]}`}
		files, _ = filepath.Glob(filepath.Join(s.dir, "examples", "data-extension-query", "valid", "*.json"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			exts = append(exts, string(b))
		}
		for _, ext := range exts {
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(ext))
			if err != nil {
				t.Fatal(err)
			}
			if err := extQuery.Validate(doc); err != nil {
				t.Fatalf("test extension %s is not a valid query: %v", ext, err)
			}
			res, body := f.postJSON(t, root+"/extend", ext)
			if res.StatusCode != 200 {
				t.Errorf("%s/extend %s: %d %s", root, ext, res.StatusCode, body)
				continue
			}
			validate(t, s.compile(t, "data-extension-response.json"), root+"/extend "+ext, body)
		}
	}
}

func validate(t *testing.T, sch *jsonschema.Schema, what string, body []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("%s: not JSON: %v: %s", what, err, body)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("%s: the answer fails the schema: %v\n%s", what, err, body)
	}
}
