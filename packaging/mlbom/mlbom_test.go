package mlbom_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/mlbom"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	"github.com/opencontainers/go-digest"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schema compiles the CycloneDX 1.6 JSON schema vendored from
// CycloneDX/specification (tag 1.6.2) with the two schemas it references.
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, f := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "schema", f))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+f, doc); err != nil {
			t.Fatal(err)
		}
	}
	c.AssertFormat()
	s, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, doc []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Fatalf("the ML-BOM does not validate against CycloneDX 1.6: %v\n%s", err, doc)
	}
}

func fileOf(path, body, mt string) mlbom.File {
	return mlbom.File{Path: path, Digest: digest.FromString(body), Size: int64(len(body)), MediaType: mt}
}

func input() mlbom.Input {
	md := &specv1.Metadata{Kind: "merge", ID: "support-assistant", Format: "mistral", Architecture: "mistral",
		DType: "bf16", License: "Apache-2.0 AND LicenseRef-MRL-0.1",
		Lineage: []specv1.Lineage{
			{Role: "base", ID: "mistral-7b-instruct-v0.3", Digest: digest.FromString("base").String(), License: "Apache-2.0", Step: "model.base"},
			{Role: "adapter", ID: "support", Digest: digest.FromString("adapter").String(), License: "LicenseRef-MRL-0.1", Step: "adapter.support"},
			{Role: "dataset", ID: "support-tickets@2026-10-01", Digest: digest.FromString("data").String(), Step: "dataset.tickets"},
			{Role: "base", ID: "mistral-7b-instruct-v0.3", Digest: digest.FromString("base").String(), License: "Apache-2.0", Step: "model.base"},
		}}
	return mlbom.Input{Name: "support-assistant", Version: "2026-11-27", Repository: "127.0.0.1:5000/models/support",
		Manifest: digest.FromString("manifest"), Metadata: md, Tool: "0.9.0",
		Files: []mlbom.File{
			fileOf("consolidated.safetensors", "weights", specv1.MediaTypeModelWeightRaw),
			fileOf("params.json", `{"dim":8}`, specv1.MediaTypeModelConfigRaw),
			fileOf("tekken.json", `{}`, specv1.MediaTypeModelConfigRaw),
			fileOf("LICENSE", "Apache License", specv1.MediaTypeModelDocRaw),
		},
		Evals: []mlbom.Eval{{Step: "eval.format", Metric: "valid_rate", Value: "0.995"}, {Step: "eval.format", Metric: "clean_rate", Value: "0.9"}},
	}
}

func TestMLBOMValidatesAndListsEveryFile(t *testing.T) {
	in := input()
	doc, err := mlbom.JSON(in)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, schema(t), doc)

	files, err := mlbom.Files(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(in.Files) {
		t.Fatalf("the ML-BOM lists %d files, the bundle has %d", len(files), len(in.Files))
	}
	for _, f := range in.Files {
		if files[f.Path] != f.Digest {
			t.Errorf("%s: sha256 in the ML-BOM %s, layer digest %s", f.Path, files[f.Path], f.Digest)
		}
	}

	var bom map[string]any
	if err := json.Unmarshal(doc, &bom); err != nil {
		t.Fatal(err)
	}
	if bom["specVersion"] != "1.6" {
		t.Fatalf("specVersion = %v", bom["specVersion"])
	}
	model := bom["metadata"].(map[string]any)["component"].(map[string]any)
	if model["type"] != "machine-learning-model" || model["modelCard"] == nil {
		t.Fatalf("subject component: %v", model)
	}
	for _, want := range []string{`"expression": "Apache-2.0 AND LicenseRef-MRL-0.1"`, `"ref": "dataset:` + digest.FromString("data").String(),
		`"type": "valid_rate"`, `"value": "0.995"`, `"architectureFamily": "mistral"`, `"name": "mistral-7b-instruct-v0.3"`,
		`pkg:oci/support@sha256%3A`} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("ML-BOM lacks %s", want)
		}
	}
	if n := strings.Count(string(doc), `"bom-ref": "base:`); n != 1 {
		t.Errorf("the repeated base model appears %d times", n)
	}
	if bytes.Contains(doc, []byte("timestamp")) {
		t.Error("ML-BOM carries a timestamp")
	}
}

func TestMLBOMDeterministic(t *testing.T) {
	a, err := mlbom.JSON(input())
	if err != nil {
		t.Fatal(err)
	}
	in := input()
	in.Files[0], in.Files[3] = in.Files[3], in.Files[0]
	in.Evals[0], in.Evals[1] = in.Evals[1], in.Evals[0]
	b, err := mlbom.JSON(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("same content in another order gives another document")
	}
	in.Files[1].Digest = digest.FromString("other weights")
	c, err := mlbom.JSON(in)
	if err != nil {
		t.Fatal(err)
	}
	serial := func(doc []byte) string {
		var v struct {
			SerialNumber string `json:"serialNumber"`
		}
		if err := json.Unmarshal(doc, &v); err != nil {
			t.Fatal(err)
		}
		return v.SerialNumber
	}
	if serial(a) == serial(c) || !strings.HasPrefix(serial(a), "urn:uuid:") {
		t.Fatalf("serial numbers %q and %q: want distinct content-derived UUIDs", serial(a), serial(c))
	}
}

// TestSchemaRefusesBrokenDocuments keeps the schema check honest: a
// component type CycloneDX does not define and a malformed hash fail.
func TestSchemaRefusesBrokenDocuments(t *testing.T) {
	doc, err := mlbom.JSON(input())
	if err != nil {
		t.Fatal(err)
	}
	s := schema(t)
	for _, bad := range [][2]string{
		{`"type": "machine-learning-model"`, `"type": "ml-model"`},
		{`"alg": "SHA-256"`, `"alg": "SHA256"`},
		{`"specVersion": "1.6"`, `"specVersion": 1.6`},
	} {
		broken := bytes.Replace(doc, []byte(bad[0]), []byte(bad[1]), 1)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(broken))
		if err != nil {
			t.Fatal(err)
		}
		if s.Validate(inst) == nil {
			t.Errorf("the schema accepts %s", bad[1])
		}
	}
}

func TestMLBOMMinimalValidates(t *testing.T) {
	doc, err := mlbom.JSON(mlbom.Input{Metadata: &specv1.Metadata{Kind: "model", ID: "m"},
		Files: []mlbom.File{fileOf("model.gguf", "x", "")}})
	if err != nil {
		t.Fatal(err)
	}
	validate(t, schema(t), doc)
}

func TestMLBOMRefuses(t *testing.T) {
	md := &specv1.Metadata{ID: "m"}
	for name, in := range map[string]mlbom.Input{
		"no metadata":   {Name: "m"},
		"no name":       {Metadata: &specv1.Metadata{}},
		"no path":       {Metadata: md, Files: []mlbom.File{{Digest: digest.FromString("x")}}},
		"twice":         {Metadata: md, Files: []mlbom.File{fileOf("a", "x", ""), fileOf("a", "y", "")}},
		"not sha256":    {Metadata: md, Files: []mlbom.File{{Path: "a", Digest: "sha512:00"}}},
		"broken digest": {Metadata: md, Files: []mlbom.File{{Path: "a", Digest: "sha256:zz"}}},
	} {
		if _, err := mlbom.JSON(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
