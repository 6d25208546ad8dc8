package plugintest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// knownTypes are the attribute types the host can decode.
func knownType(t specv1.Type) bool {
	switch t {
	case specv1.TypeString, specv1.TypeNumber, specv1.TypeBool, specv1.TypeListString,
		specv1.TypeListNumber, specv1.TypeMapString, specv1.TypeAny, specv1.TypePath,
		specv1.TypeStep, specv1.TypeSteps:
		return true
	}
	return false
}

// validName reports whether s is an HCL identifier.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		letter := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || (r != '-' && (r < '0' || r > '9'))) {
			return false
		}
	}
	return true
}

func (s *suite) schemaDecodes(t *testing.T) {
	d := s.comp.Describe()
	if !slices.Contains(specv1.Kinds(), d.Kind) {
		t.Errorf("kind %q is not one of %v", d.Kind, specv1.Kinds())
	}
	if !validName(d.Type) {
		t.Errorf("type %q is not a valid HCL label for references", d.Type)
	}
	b, err := json.Marshal(d.Schema)
	if err != nil {
		t.Fatalf("schema does not encode: %v", err)
	}
	var back specv1.Schema
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatalf("schema does not decode: %v", err)
	}
	checkSchema(t, d.Schema, d.Address())
}

func checkSchema(t *testing.T, s specv1.Schema, where string) {
	t.Helper()
	seen := map[string]bool{}
	for _, a := range s.Attributes {
		name := where + "." + a.Name
		if !validName(a.Name) {
			t.Errorf("%s: attribute name %q is not an HCL identifier", where, a.Name)
		}
		if seen[a.Name] {
			t.Errorf("%s: declared twice", name)
		}
		seen[a.Name] = true
		switch a.Name {
		case specv1.AttrDependsOn, specv1.AttrTimeout, specv1.AttrOnFailure:
			t.Errorf("%s: reserved for the core", name)
		}
		if !knownType(a.Type) {
			t.Errorf("%s: unknown type %q", name, a.Type)
		}
		if len(a.Kinds) > 0 && a.Type != specv1.TypeStep && a.Type != specv1.TypeSteps {
			t.Errorf("%s: kinds given on a %s attribute", name, a.Type)
		}
		for _, k := range a.Kinds {
			if !slices.Contains(specv1.Kinds(), k) {
				t.Errorf("%s: unknown kind %q", name, k)
			}
		}
	}
	for _, b := range s.Blocks {
		if !validName(b.Name) || seen[b.Name] {
			t.Errorf("%s: block name %q invalid or clashing", where, b.Name)
		}
		seen[b.Name] = true
		checkSchema(t, b.Schema, where+"."+b.Name)
	}
}

func (s *suite) invalidConfig(t *testing.T) {
	d := s.comp.Describe()
	invalid := append(defaultInvalid(d.Schema), s.c.Invalid...)
	for _, cfg := range invalid {
		req := &specv1.ValidateRequest{Kind: d.Kind, Type: d.Type, Step: d.Kind + ".conformance", Config: cfg}
		diags, err := s.remote.Validate(t.Context(), req)
		if err != nil {
			t.Fatalf("validate %s: %v", cfg, err)
		}
		if !hasError(diags) {
			t.Errorf("config %s gave no error diagnostic (got %+v)", cfg, diags)
		}
	}
}

// defaultInvalid are configs every component must reject: a config that is
// not a JSON object, and one whose first typed attribute has a value of the
// wrong JSON type. (Missing required attributes are the host's to report:
// it decodes the spec with the schema first.)
func defaultInvalid(sc specv1.Schema) []json.RawMessage {
	out := []json.RawMessage{json.RawMessage(`[]`)}
	for _, a := range sc.Attributes {
		var wrong string
		switch a.Type {
		case specv1.TypeString, specv1.TypePath, specv1.TypeStep:
			wrong = `12345`
		case specv1.TypeNumber, specv1.TypeBool, specv1.TypeListString, specv1.TypeListNumber,
			specv1.TypeMapString, specv1.TypeSteps:
			wrong = `"not-that-type"`
		default:
			continue
		}
		name, _ := json.Marshal(a.Name)
		return append(out, json.RawMessage(`{`+string(name)+`:`+wrong+`}`))
	}
	return out
}

func hasError(diags []specv1.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == specv1.SeverityError {
			return true
		}
	}
	return false
}
