package license

import (
	"errors"
	"strings"
	"testing"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

const mrl = "LicenseRef-MRL-0.1"

func mrlBase() *specv1.Metadata {
	return &specv1.Metadata{Kind: "model", ID: "mistral-large-2407", License: mrl,
		Lineage: []specv1.Lineage{{Role: "base", ID: "mistral-large-2407", License: mrl, Step: "model.base"}}}
}

// merged builds what the merge step produces: the conjunction of the
// inputs' licenses and the lineage of every input.
func merged(base, adapter specv1.Lineage) *specv1.Metadata {
	return &specv1.Metadata{Kind: "merge", ID: "support-assistant",
		License: And(base.License, adapter.License), Lineage: []specv1.Lineage{base, adapter}}
}

func errorsOf(vs []Violation) []Violation {
	var out []Violation
	for _, v := range vs {
		if v.Severity == specv1.SeverityError {
			out = append(out, v)
		}
	}
	return out
}

func TestMRLBaseRefusedForCommercialUse(t *testing.T) {
	vs := errorsOf(Evaluate(mrlBase(), Policy{Use: UseCommercial}))
	if len(vs) != 1 {
		t.Fatalf("violations = %+v, want one", vs)
	}
	v := vs[0]
	want := "model.base (mistral-large-2407) is under LicenseRef-MRL-0.1, which forbids commercial use (clause MRL-0.1 §3.2"
	if !strings.HasPrefix(v.Message, want) || v.Code != CodeForbidden || v.Input != "model.base (mistral-large-2407)" {
		t.Errorf("violation = %+v\nwant message starting %q", v, want)
	}
	if !strings.Contains(v.Clause, "§3.2") {
		t.Errorf("clause %q does not cite §3.2", v.Clause)
	}
	if vs := Evaluate(mrlBase(), Policy{Use: UseResearch}); len(vs) != 0 {
		t.Errorf("research use of an MRL model refused: %+v", vs)
	}
}

func TestMergeBoundByMRLAdapter(t *testing.T) {
	base := specv1.Lineage{Role: "base", ID: "mistral-7b-instruct-v0.3", License: "Apache-2.0", Step: "model.base"}
	adapter := specv1.Lineage{Role: "adapter", ID: "support-lora", License: mrl, Step: "adapter.support"}
	m := merged(base, adapter)
	if m.License != "Apache-2.0 AND LicenseRef-MRL-0.1" {
		t.Fatalf("merged license = %q", m.License)
	}
	for _, use := range []string{UseCommercial, UseProduction} {
		vs := errorsOf(Evaluate(m, Policy{Use: use}))
		if len(vs) != 1 || vs[0].Input != "adapter.support (support-lora)" || vs[0].License != mrl {
			t.Errorf("use %s: violations = %+v, want one naming adapter.support under MRL", use, vs)
		}
	}
	vs := Evaluate(m, Policy{Use: UseResearch, Redistribute: true})
	if Failed(vs) || len(vs) != 1 || vs[0].Code != CodeConditions || !strings.Contains(vs[0].Message, "commercial entity") {
		t.Errorf("research redistribution: %+v, want one warning about distribution by a commercial entity", vs)
	}
	// The artifact alone (lineage lost) is still bound by its expression.
	alone := &specv1.Metadata{Kind: "merge", ID: "x", License: m.License}
	vs = errorsOf(Evaluate(alone, Policy{Use: UseCommercial}))
	if len(vs) != 1 || vs[0].Input != "target (x)" {
		t.Errorf("violations = %+v, want one naming the target", vs)
	}
}

func TestUnknownLicense(t *testing.T) {
	m := &specv1.Metadata{Kind: "model", ID: "acme-7b", License: "LicenseRef-Acme-1.0",
		Lineage: []specv1.Lineage{{Role: "base", ID: "acme-7b", License: "LicenseRef-Acme-1.0", Step: "model.base"}}}
	vs := Evaluate(m, Policy{Use: UseResearch})
	if !Failed(vs) || vs[0].Code != CodeUnknown || !strings.Contains(vs[0].Message, "model.base (acme-7b)") {
		t.Fatalf("unknown license: %+v, want a license.unknown error naming model.base", vs)
	}
	vs = Evaluate(m, Policy{Use: UseResearch, AllowUnknown: true})
	if Failed(vs) || len(vs) != 1 || vs[0].Severity != specv1.SeverityWarning {
		t.Errorf("allow_unknown: %+v, want one warning", vs)
	}
	if vs := Evaluate(m, Policy{Use: UseCommercial, Allow: []string{"licenseref-acme-1.0"}}); len(vs) != 0 {
		t.Errorf("allowed by id: %+v", vs)
	}
	// A GPL id is valid SPDX but not in the table: unknown, not permissive.
	gpl := &specv1.Metadata{License: "GPL-3.0-only"}
	if vs := Evaluate(gpl, Policy{}); !Failed(vs) || vs[0].Code != CodeUnknown {
		t.Errorf("GPL-3.0-only: %+v, want unknown", vs)
	}
}

func TestMissingAndInvalid(t *testing.T) {
	vs := Evaluate(&specv1.Metadata{Kind: "model", ID: "m"}, Policy{})
	if !Failed(vs) || vs[0].Code != CodeMissing || vs[0].Input != "target (m)" {
		t.Errorf("no license: %+v", vs)
	}
	if vs := Evaluate(&specv1.Metadata{Kind: "model"}, Policy{AllowUnknown: true}); Failed(vs) {
		t.Errorf("missing with allow_unknown: %+v", vs)
	}
	m := &specv1.Metadata{Lineage: []specv1.Lineage{{Role: "adapter", Step: "adapter.a"}, {Role: "base", License: "MIT", Step: "model.b"}}}
	if vs := Evaluate(m, Policy{}); !Failed(vs) || vs[0].Input != "adapter.a" || vs[0].Code != CodeMissing {
		t.Errorf("adapter without license: %+v", vs)
	}
	vs = Evaluate(&specv1.Metadata{License: "MIT AND"}, Policy{AllowUnknown: true})
	if !Failed(vs) || vs[0].Code != CodeInvalid {
		t.Errorf("invalid expression: %+v", vs)
	}
	vs = Evaluate(&specv1.Metadata{License: "MIT"}, Policy{Use: "fun"})
	if !Failed(vs) || vs[0].Code != CodePolicy {
		t.Errorf("bad use: %+v", vs)
	}
}

func TestTermsPerUse(t *testing.T) {
	tests := []struct {
		license string
		kind    string
		p       Policy
		code    string // "" = allowed
	}{
		{"Apache-2.0", "merge", Policy{Use: UseProduction, Redistribute: true}, ""},
		{"LicenseRef-MNPL-0.1", "model", Policy{Use: UseProduction}, CodeForbidden},
		{"LicenseRef-MNPL-0.1", "model", Policy{Use: UseResearch, Redistribute: true}, ""},
		{"CC-BY-NC-4.0", "model", Policy{Use: UseCommercial}, CodeForbidden},
		{"CC-BY-NC-4.0", "model", Policy{Use: UseResearch, Redistribute: true}, ""},
		{"CC-BY-ND-4.0", "model", Policy{Use: UseCommercial, Redistribute: true}, ""},
		{"CC-BY-ND-4.0", "merge", Policy{Use: UseCommercial, Redistribute: true}, CodeForbidden},
		{"CC-BY-ND-4.0", "merge", Policy{Use: UseCommercial}, ""},
		{"LicenseRef-Llama-3.1", "merge", Policy{Use: UseProduction, Redistribute: true}, ""},
		{"LicenseRef-CreativeML-OpenRAIL-M", "model", Policy{Use: UseCommercial}, ""},
		{"MIT", "model", Policy{Use: UseCommercial, Deny: []string{"MIT"}}, CodeDenied},
		{"MIT", "model", Policy{Use: UseCommercial, Deny: []string{"MIT"}, Allow: []string{"MIT"}}, CodeDenied},
		{mrl, "model", Policy{Use: UseCommercial, Allow: []string{mrl}}, ""},
		// OR: the permissive branch wins.
		{"LicenseRef-MRL-0.1 OR Apache-2.0", "model", Policy{Use: UseCommercial}, ""},
		{"LicenseRef-MRL-0.1 OR CC-BY-NC-4.0", "model", Policy{Use: UseCommercial}, CodeForbidden},
		{"Apache-2.0 AND (MIT OR LicenseRef-MNPL-0.1)", "model", Policy{Use: UseProduction}, ""},
	}
	for _, tt := range tests {
		m := &specv1.Metadata{Kind: tt.kind, License: tt.license}
		vs := errorsOf(Evaluate(m, tt.p))
		switch {
		case tt.code == "" && len(vs) != 0:
			t.Errorf("%s (%s) %+v: refused: %+v", tt.license, tt.kind, tt.p, vs)
		case tt.code != "" && (len(vs) == 0 || vs[0].Code != tt.code):
			t.Errorf("%s (%s) %+v: got %+v, want %s", tt.license, tt.kind, tt.p, vs, tt.code)
		}
	}
}

func TestExplainSaysWhichBranch(t *testing.T) {
	m := &specv1.Metadata{ID: "x", License: "LicenseRef-MRL-0.1 OR Apache-2.0"}
	vs, picks := Explain(m, Policy{Use: UseCommercial})
	if len(vs) != 0 || len(picks) != 1 || picks[0] != "target (x): chose Apache-2.0 of LicenseRef-MRL-0.1 OR Apache-2.0" {
		t.Errorf("Explain = %+v, %q", vs, picks)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	base := specv1.Lineage{Role: "base", ID: "b", License: "Apache-2.0", Step: "model.base"}
	ad := specv1.Lineage{Role: "adapter", ID: "a", License: "LicenseRef-MRL-0.1 OR (MIT AND CC-BY-4.0)", Step: "adapter.a"}
	m := merged(base, ad)
	for b.Loop() {
		Evaluate(m, Policy{Use: UseProduction, Redistribute: true})
	}
}

func TestRequireLicense(t *testing.T) {
	err := RequireLicense(&specv1.Metadata{Kind: "bundle", ID: "x"}, "--allow-unlicensed")
	if !errors.Is(err, ErrNoLicense) || err.Error() != "x: no license information: set license on the model, adapter or dataset, or --allow-unlicensed to publish anyway" {
		t.Errorf("no license: %v", err)
	}
	if err := RequireLicense(mrlBase(), ""); err != nil {
		t.Error(err)
	}
	m := &specv1.Metadata{Lineage: []specv1.Lineage{{Role: "base", License: "MIT"}}}
	if err := RequireLicense(m, ""); err != nil {
		t.Error(err)
	}
}

func TestOrPrefersCleanBranch(t *testing.T) {
	m := &specv1.Metadata{ID: "x", License: "LicenseRef-Acme-1 OR MIT"}
	vs, picks := Explain(m, Policy{Use: UseCommercial, AllowUnknown: true})
	if len(vs) != 0 || len(picks) != 1 || !strings.Contains(picks[0], "chose MIT") {
		t.Errorf("Explain = %+v, %q; want MIT chosen without warnings", vs, picks)
	}
	m.License = "LicenseRef-Acme-1 OR CC-BY-NC-4.0"
	vs, picks = Explain(m, Policy{Use: UseCommercial, AllowUnknown: true})
	if Failed(vs) || len(vs) != 1 || vs[0].Code != CodeUnknown || !strings.Contains(picks[0], "chose LicenseRef-Acme-1") {
		t.Errorf("Explain = %+v, %q; want the unknown branch with a warning", vs, picks)
	}
}
