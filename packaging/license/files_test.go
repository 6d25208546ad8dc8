package license

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func mergedMRL() *specv1.Metadata {
	base := specv1.Lineage{Role: "base", ID: "mistral-7b-instruct-v0.3", License: "Apache-2.0", Step: "model.base",
		Digest: "sha256:" + strings.Repeat("ab", 32)}
	adapter := specv1.Lineage{Role: "adapter", ID: "support-lora", License: mrl, Step: "adapter.support"}
	m := merged(base, adapter)
	m.Notices = []string{"Contains adapters trained by the support team."}
	return m
}

func TestFilesNotice(t *testing.T) {
	files := Files(mergedMRL())
	notice := string(files["NOTICE"])
	for _, want := range []string{
		"Licensed by Mistral AI under the Mistral AI Research License",
		"support-assistant was modified from adapter.support (support-lora) (LicenseRef-MRL-0.1); it is not an official Mistral AI release.",
		"support-assistant was modified from model.base (mistral-7b-instruct-v0.3) (Apache-2.0).",
		"Contains adapters trained by the support team.",
	} {
		if !strings.Contains(notice, want) {
			t.Errorf("NOTICE lacks %q:\n%s", want, notice)
		}
	}
	license := string(files["LICENSE"])
	for _, want := range []string{
		"support-assistant is distributed under: Apache-2.0 AND LicenseRef-MRL-0.1",
		"Apache-2.0 (Apache License 2.0)\n  Full text: https://spdx.org/licenses/Apache-2.0.html",
		"LicenseRef-MRL-0.1 (Mistral AI Research License 0.1)\n  Full text: https://mistral.ai/licenses/MRL-0.1.md",
		"Applies to: adapter.support (support-lora)",
		"==== Full text of Apache-2.0 ====",
		"TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
	} {
		if !strings.Contains(license, want) {
			t.Errorf("LICENSE lacks %q:\n%s", want, license)
		}
	}
	again := Files(mergedMRL())
	if !bytes.Equal(again["NOTICE"], files["NOTICE"]) || !bytes.Equal(again["LICENSE"], files["LICENSE"]) {
		t.Error("Files is not deterministic")
	}
}

func TestFilesOtherNotices(t *testing.T) {
	tests := []struct {
		license string
		want    string // "" = no NOTICE
	}{
		{"Apache-2.0", ""},
		{"LicenseRef-MNPL-0.1", "Licensed by Mistral AI under the Mistral AI Non-Production License"},
		{"LicenseRef-Llama-3.1", "Llama 3.1 is licensed under the Llama 3.1 Community License, Copyright © Meta Platforms, Inc. All Rights Reserved."},
		{"LicenseRef-Gemma", "Gemma is provided under and subject to the Gemma Terms of Use"},
		{"LicenseRef-Unknown-1", ""},
	}
	for _, tt := range tests {
		m := &specv1.Metadata{Kind: "model", ID: "m", License: tt.license}
		files := Files(m)
		n, ok := files["NOTICE"]
		if tt.want == "" && ok {
			t.Errorf("%s: unexpected NOTICE %q", tt.license, n)
		}
		if tt.want != "" && !strings.Contains(string(n), tt.want) {
			t.Errorf("%s: NOTICE %q lacks %q", tt.license, n, tt.want)
		}
	}
	files := Files(&specv1.Metadata{Kind: "model", License: "LicenseRef-Unknown-1"})
	if !strings.Contains(string(files["LICENSE"]), "ckpt does not know this license") {
		t.Errorf("LICENSE of an unknown license: %s", files["LICENSE"])
	}
	files = Files(&specv1.Metadata{Kind: "model"})
	if !strings.Contains(string(files["LICENSE"]), "you may not assume any right") {
		t.Errorf("LICENSE without license: %s", files["LICENSE"])
	}
}

func TestReportJSON(t *testing.T) {
	m := mergedMRL()
	digest := "sha256:" + strings.Repeat("cd", 32)
	b, err := NewReport(m, digest).JSON()
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseReport(b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != digest || r.License != m.License || len(r.Lineage) != 2 || len(r.Licenses) != 2 {
		t.Fatalf("report = %+v", r)
	}
	if r.Licenses[1].ID != mrl || !r.Licenses[1].Known || r.Licenses[1].Terms.Commercial.Allowed {
		t.Errorf("MRL entry = %+v", r.Licenses[1])
	}
	verdicts := map[string]bool{}
	for _, u := range r.Uses {
		verdicts[u.Use] = u.Allowed
	}
	want := map[string]bool{"research": true, "commercial": false, "production": false, "redistribute": true}
	for k, v := range want {
		if verdicts[k] != v {
			t.Errorf("use %s allowed = %v, want %v", k, verdicts[k], v)
		}
	}
	if got := Evaluate(r.Metadata(), Policy{Use: UseCommercial}); !Failed(got) {
		t.Error("metadata from the report passes a commercial policy")
	}
	if _, err := ParseReport([]byte(`{"version":"9"}`)); err == nil {
		t.Error("ParseReport accepted version 9")
	}
	if _, err := ParseReport([]byte(`{`)); err == nil {
		t.Error("ParseReport accepted bad JSON")
	}
}

func TestReportSPDX(t *testing.T) {
	m := mergedMRL()
	digest := "sha256:" + strings.Repeat("cd", 32)
	b, err := NewReport(m, digest).SPDX()
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := NewReport(mergedMRL(), digest).SPDX()
	if !bytes.Equal(b, b2) {
		t.Error("SPDX document is not deterministic")
	}
	var doc struct {
		SPDXVersion  string `json:"spdxVersion"`
		CreationInfo struct{ Created string }
		Namespace    string `json:"documentNamespace"`
		Packages     []struct {
			SPDXID, Name, LicenseDeclared string
			Checksums                     []struct{ Algorithm, ChecksumValue string }
		}
		Relationships []struct{ SpdxElementID, RelationshipType, RelatedSpdxElement string }
		Extracted     []struct{ LicenseID, ExtractedText string } `json:"hasExtractedLicensingInfos"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.CreationInfo.Created != SPDXCreated || !strings.HasPrefix(doc.Namespace, "https://") {
		t.Errorf("header: %+v", doc)
	}
	if len(doc.Packages) != 3 || doc.Packages[0].LicenseDeclared != "Apache-2.0 AND LicenseRef-MRL-0.1" ||
		doc.Packages[0].Checksums[0].ChecksumValue != strings.Repeat("cd", 32) || doc.Packages[2].LicenseDeclared != mrl {
		t.Errorf("packages: %+v", doc.Packages)
	}
	if len(doc.Relationships) != 3 || doc.Relationships[1].RelationshipType != "DESCENDANT_OF" {
		t.Errorf("relationships: %+v", doc.Relationships)
	}
	// SPDX 2.3: element ids match SPDXRef-[idstring]; every LicenseRef
	// used by a package is defined in hasExtractedLicensingInfos.
	idOK := regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)
	defined := map[string]bool{}
	for _, x := range doc.Extracted {
		defined[x.LicenseID] = true
	}
	for _, p := range doc.Packages {
		if !idOK.MatchString(p.SPDXID) {
			t.Errorf("package id %q", p.SPDXID)
		}
		if e, err := Parse(p.LicenseDeclared); err == nil {
			for _, id := range e.Licenses() {
				if strings.HasPrefix(id, "LicenseRef-") && !defined[id] {
					t.Errorf("%s uses %s, not defined in hasExtractedLicensingInfos", p.SPDXID, id)
				}
			}
		}
	}
	if len(doc.Extracted) != 1 || doc.Extracted[0].LicenseID != mrl || !strings.Contains(doc.Extracted[0].ExtractedText, "MRL-0.1.md") {
		t.Errorf("extracted licensing infos: %+v", doc.Extracted)
	}
}

func ExampleEvaluate() {
	m := &specv1.Metadata{Kind: "model", ID: "mistral-large-2407", License: "LicenseRef-MRL-0.1",
		Lineage: []specv1.Lineage{{Role: "base", ID: "mistral-large-2407", License: "LicenseRef-MRL-0.1", Step: "model.base"}}}
	for _, v := range Evaluate(m, Policy{Use: "commercial"}) {
		fmt.Println(v.Code, v.Input)
	}
	// Output: license.forbidden model.base (mistral-large-2407)
}

func ExampleAnd() {
	fmt.Println(And("Apache-2.0", "LicenseRef-MRL-0.1", "MIT OR ISC", "Apache-2.0"))
	// Output: Apache-2.0 AND LicenseRef-MRL-0.1 AND (MIT OR ISC)
}

// FuzzParseReport feeds untrusted report bytes (as audit reads them from a
// registry) through everything that consumes a report.
func FuzzParseReport(f *testing.F) {
	js, _ := NewReport(mergedMRL(), "sha256:"+strings.Repeat("a", 64)).JSON()
	f.Add(js)
	f.Add([]byte(`{"version":"1","license":"MIT OR","lineage":[{"role":"base"}]}`))
	f.Add([]byte(`{"version":"1","licenses":[{"id":"x","terms":null}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReport(b)
		if err != nil {
			return
		}
		m := r.Metadata()
		Evaluate(m, Policy{Use: UseCommercial, Redistribute: true})
		Files(m)
		if _, err := r.SPDX(); err != nil {
			t.Fatal(err)
		}
		if _, err := NewReport(m, r.Subject).JSON(); err != nil {
			t.Fatal(err)
		}
	})
}
