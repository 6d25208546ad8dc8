package jsoneval

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// LoadSchema compiles the JSON Schema file at path. References to other
// local files are resolved against it; nothing is fetched from the network.
func LoadSchema(path string) (*jsonschema.Schema, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", path, err)
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	s, err := compileSchema(u, b, jsonschema.SchemeURLLoader{"file": jsonschema.FileLoader{}})
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", path, err)
	}
	return s, nil
}

// ParseSchema compiles a schema from bytes; it may not reference other
// documents.
func ParseSchema(b []byte) (*jsonschema.Schema, error) {
	return compileSchema("mem:///schema.json", b, noLoader{})
}

type noLoader struct{}

func (noLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("loading %s: %w", u, errors.ErrUnsupported)
}

func compileSchema(u string, b []byte, l jsonschema.URLLoader) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(l)
	if err := c.AddResource(u, doc); err != nil {
		return nil, err
	}
	return c.Compile(u)
}

// schemaCategory maps a validation error to one category: the leaf
// violations are collected and the most basic wins, in the order
// type_mismatch, missing_required, unexpected_property, range_violation
// (which also takes enum, const, pattern, length, format, items and any
// keyword not named here).
func schemaCategory(err error) (Category, string, string) {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return CategoryRange, "", err.Error()
	}
	var leaves []*jsonschema.ValidationError
	collectLeaves(ve, &leaves)
	best, bestRank := ve, len(rankOrder())
	for _, l := range leaves {
		if r := rank(leafCategory(l)); r < bestRank {
			best, bestRank = l, r
		}
	}
	return leafCategory(best), pointer(best.InstanceLocation), strings.TrimSpace(best.Error())
}

func rankOrder() []Category {
	return []Category{CategoryTypeMismatch, CategoryMissingRequired, CategoryUnexpectedProperty, CategoryRange}
}

func rank(c Category) int {
	for i, k := range rankOrder() {
		if k == c {
			return i
		}
	}
	return len(rankOrder())
}

func collectLeaves(e *jsonschema.ValidationError, out *[]*jsonschema.ValidationError) {
	if len(e.Causes) == 0 {
		*out = append(*out, e)
		return
	}
	for _, c := range e.Causes {
		collectLeaves(c, out)
	}
}

func leafCategory(e *jsonschema.ValidationError) Category {
	switch e.ErrorKind.(type) {
	case *kind.Type:
		return CategoryTypeMismatch
	case *kind.Required, *kind.DependentRequired, *kind.Dependency:
		return CategoryMissingRequired
	case *kind.AdditionalProperties, *kind.PropertyNames, *kind.FalseSchema, *kind.AdditionalItems:
		return CategoryUnexpectedProperty
	}
	return CategoryRange
}

func pointer(loc []string) string {
	var sb strings.Builder
	for _, t := range loc {
		sb.WriteByte('/')
		sb.WriteString(escapePointer(t))
	}
	return sb.String()
}
