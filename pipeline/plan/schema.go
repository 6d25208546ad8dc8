package plan

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2/ext/customdecode"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// reserved are the attributes the core handles on every step.
var reserved = []string{specv1.AttrDependsOn, specv1.AttrTimeout, specv1.AttrOnFailure}

// DecoderSpec turns a component's schema into an hcldec spec. A TypeStep or
// TypeSteps attribute decodes to its expression (a customdecode capsule), so
// that the planner reads it as a reference instead of evaluating it; paths
// decode as strings. It fails on a type it does not know or on an
// attribute named like a reserved one.
func DecoderSpec(s specv1.Schema) (hcldec.ObjectSpec, error) {
	spec := hcldec.ObjectSpec{}
	for _, a := range s.Attributes {
		t, err := CtyType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
		}
		if _, dup := spec[a.Name]; dup || slices.Contains(reserved, a.Name) {
			return nil, fmt.Errorf("attribute %q: name declared twice or reserved", a.Name)
		}
		spec[a.Name] = &hcldec.AttrSpec{Name: a.Name, Type: t, Required: a.Required}
	}
	for _, b := range s.Blocks {
		nested, err := DecoderSpec(b.Schema)
		if err != nil {
			return nil, fmt.Errorf("block %q: %w", b.Name, err)
		}
		if _, dup := spec[b.Name]; dup || slices.Contains(reserved, b.Name) {
			return nil, fmt.Errorf("block %q: name declared twice or reserved", b.Name)
		}
		if b.List {
			min := 0
			if b.Required {
				min = 1
			}
			spec[b.Name] = &hcldec.BlockListSpec{TypeName: b.Name, Nested: nested, MinItems: min}
		} else {
			spec[b.Name] = &hcldec.BlockSpec{TypeName: b.Name, Nested: nested, Required: b.Required}
		}
	}
	return spec, nil
}

// stepSpec is a component's decoder spec plus the reserved attributes.
func stepSpec(s specv1.Schema) (hcldec.ObjectSpec, error) {
	spec, err := DecoderSpec(s)
	if err != nil {
		return nil, err
	}
	spec[specv1.AttrDependsOn] = &hcldec.AttrSpec{Name: specv1.AttrDependsOn, Type: customdecode.ExpressionType}
	spec[specv1.AttrTimeout] = &hcldec.AttrSpec{Name: specv1.AttrTimeout, Type: cty.String}
	spec[specv1.AttrOnFailure] = &hcldec.AttrSpec{Name: specv1.AttrOnFailure, Type: cty.String}
	return spec, nil
}

// CtyType is the cty type an attribute of type t decodes to.
func CtyType(t specv1.Type) (cty.Type, error) {
	switch t {
	case specv1.TypeString, specv1.TypePath:
		return cty.String, nil
	case specv1.TypeNumber:
		return cty.Number, nil
	case specv1.TypeBool:
		return cty.Bool, nil
	case specv1.TypeListString:
		return cty.List(cty.String), nil
	case specv1.TypeListNumber:
		return cty.List(cty.Number), nil
	case specv1.TypeMapString:
		return cty.Map(cty.String), nil
	case specv1.TypeAny:
		return cty.DynamicPseudoType, nil
	case specv1.TypeStep, specv1.TypeSteps:
		return customdecode.ExpressionType, nil
	}
	return cty.NilType, fmt.Errorf("unknown attribute type %q", t)
}
