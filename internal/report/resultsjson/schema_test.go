package resultsjson

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/docketqa-gate/docketqa-gate/internal/report/internal/reporttest"
)

// schemaPath is the published JSON Schema, relative to this package.
var schemaPath = filepath.Join("..", "..", "..", "schemas", "results.v1.schema.json")

// compileSchema compiles the published schema with format assertions on,
// so "started" must really be a date-time.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatalf("open the schema: %v", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("parse the schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("results.v1.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("results.v1.schema.json")
	if err != nil {
		t.Fatalf("compile the schema: %v", err)
	}
	return s
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

// TestOutputMatchesSchema validates what Write produces for every shared
// result set, and every golden file, against the published schema.
func TestOutputMatchesSchema(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	for _, tc := range reporttest.Cases() {
		var buf bytes.Buffer
		if err := Write(&buf, reporttest.Judge(tc.Set)); err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(decode(t, buf.Bytes())); err != nil {
			t.Errorf("%s: output does not match the schema: %v", tc.Name, err)
		}
	}
	goldens, err := filepath.Glob(filepath.Join("testdata", "*.golden.json"))
	if err != nil || len(goldens) < len(reporttest.Cases()) {
		t.Fatalf("golden files %q, %v; want one per case", goldens, err)
	}
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(decode(t, b)); err != nil {
			t.Errorf("%s does not match the schema: %v", g, err)
		}
	}
}

// TestSchemaRejectsBrokenDocuments proves the schema can fail: each
// mutation of a valid document breaks a documented rule.
func TestSchemaRejectsBrokenDocuments(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	valid, err := os.ReadFile(filepath.Join("testdata", "rerun_failed.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(decode(t, valid)); err != nil {
		t.Fatalf("the base document is invalid: %v", err)
	}
	cases := []struct{ name, old, new string }{
		{"other schema version", `"schema_version": 1`, `"schema_version": 2`},
		{"unknown verdict", `"verdict": "failed"`, `"verdict": "green"`},
		{"missing field", `"elapsed_seconds": 252.345,`, ``},
		{"negative count", `"total": 4`, `"total": -1`},
		{"started not a date", `"started": "2025-03-14T09:26:53Z"`, `"started": "yesterday"`},
		{"run id zero", `"run_id": 9904`, `"run_id": 0`},
		{"string for a number", `"duration_seconds": 42`, `"duration_seconds": "42"`},
	}
	for _, tc := range cases {
		doc := strings.Replace(string(valid), tc.old, tc.new, 1)
		if doc == string(valid) {
			t.Fatalf("%s: %q not found in the base document", tc.name, tc.old)
		}
		if err := s.Validate(decode(t, []byte(doc))); err == nil {
			t.Errorf("%s: the schema accepts it", tc.name)
		}
	}
	// Fields added within a major version must not break validation.
	added := strings.Replace(string(valid), `"schema_version": 1,`, `"schema_version": 1, "new_field": true,`, 1)
	if err := s.Validate(decode(t, []byte(added))); err != nil {
		t.Errorf("an added field breaks validation, which the compatibility promise allows: %v", err)
	}
}

// TestSchemaDocumentsEveryField keeps the schema complete: every key the
// gate writes is declared, and every declared key of an object is required,
// since the document always carries every field.
func TestSchemaDocumentsEveryField(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	schema := decode(t, b).(map[string]any)
	defs, _ := schema["$defs"].(map[string]any)
	// resolve follows one local $ref.
	resolve := func(n map[string]any) map[string]any {
		if ref, ok := n["$ref"].(string); ok {
			d, _ := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			return d
		}
		return n
	}
	// objectSchema finds the object alternative of a node (or of its oneOf).
	var objectSchema func(n map[string]any) map[string]any
	objectSchema = func(n map[string]any) map[string]any {
		n = resolve(n)
		if _, ok := n["properties"]; ok {
			return n
		}
		alts, _ := n["oneOf"].([]any)
		for _, a := range alts {
			if o := objectSchema(a.(map[string]any)); o != nil {
				return o
			}
		}
		return nil
	}
	var walk func(path string, v any, n map[string]any)
	walk = func(path string, v any, n map[string]any) {
		switch v := v.(type) {
		case map[string]any:
			o := objectSchema(n)
			if o == nil {
				t.Errorf("%s: an object, but the schema declares no properties", path)
				return
			}
			props := o["properties"].(map[string]any)
			required, _ := o["required"].([]any)
			for k := range props {
				if !slices.Contains(required, any(k)) {
					t.Errorf("%s.%s: declared but not required", path, k)
				}
			}
			for k, child := range v {
				p, ok := props[k].(map[string]any)
				if !ok {
					t.Errorf("%s.%s: written by the gate but not in the schema", path, k)
					continue
				}
				walk(path+"."+k, child, p)
			}
		case []any:
			items, _ := resolve(n)["items"].(map[string]any)
			for _, child := range v {
				walk(path+"[]", child, items)
			}
		}
	}
	for _, tc := range reporttest.Cases() {
		var buf bytes.Buffer
		if err := Write(&buf, reporttest.Judge(tc.Set)); err != nil {
			t.Fatal(err)
		}
		walk(tc.Name, decode(t, buf.Bytes()), schema)
	}
}
