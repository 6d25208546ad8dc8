package license

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// SPDXCreated is the fixed creation time of SPDX documents: the report is
// a pure function of its inputs.
const SPDXCreated = "1970-01-01T00:00:00Z"

type spdxDoc struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreation       `json:"creationInfo"`
	DocumentDescribes []string           `json:"documentDescribes"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
	Extracted         []spdxExtracted    `json:"hasExtractedLicensingInfos,omitempty"`
}

type spdxCreation struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID           string         `json:"SPDXID"`
	Name             string         `json:"name"`
	DownloadLocation string         `json:"downloadLocation"`
	FilesAnalyzed    bool           `json:"filesAnalyzed"`
	LicenseConcluded string         `json:"licenseConcluded"`
	LicenseDeclared  string         `json:"licenseDeclared"`
	CopyrightText    string         `json:"copyrightText"`
	Checksums        []spdxChecksum `json:"checksums,omitempty"`
	Comment          string         `json:"comment,omitempty"`
	Purpose          string         `json:"primaryPackagePurpose,omitempty"`
}

type spdxChecksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

type spdxExtracted struct {
	LicenseID string   `json:"licenseId"`
	Text      string   `json:"extractedText"`
	Name      string   `json:"name,omitempty"`
	SeeAlsos  []string `json:"seeAlsos,omitempty"`
}

// SPDX returns the report as an SPDX 2.3 JSON document: one package for
// the artifact, one per lineage entry (DESCENDANT_OF for models and
// adapters, GENERATED_FROM for datasets), and the LicenseRef-* licenses as
// extracted licensing info. Deterministic: fixed creation time, namespace
// derived from the content.
func (r *Report) SPDX() ([]byte, error) {
	name := r.ID
	if name == "" {
		name = "artifact"
	}
	d := spdxDoc{SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name: "ckpt license report: " + name, DocumentNamespace: r.namespace(name),
		CreationInfo:      spdxCreation{Created: SPDXCreated, Creators: []string{"Tool: ckpt"}},
		DocumentDescribes: []string{"SPDXRef-Artifact"}}
	d.Packages = append(d.Packages, spdxPkg("SPDXRef-Artifact", name, r.License, r.Subject, "model artifact built by ckpt"))
	d.Relationships = append(d.Relationships, spdxRelationship{"SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Artifact"})
	for i, l := range r.Lineage {
		id := fmt.Sprintf("SPDXRef-Input-%d", i+1)
		d.Packages = append(d.Packages, spdxPkg(id, Label(l), l.License, l.Digest, "lineage role: "+l.Role))
		rel := "DESCENDANT_OF"
		if l.Role == "dataset" {
			rel = "GENERATED_FROM"
		}
		d.Relationships = append(d.Relationships, spdxRelationship{"SPDXRef-Artifact", rel, id})
	}
	d.Extracted = extracted(r)
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("spdx document: %w", err)
	}
	return append(b, '\n'), nil
}

func (r *Report) namespace(name string) string {
	h := sha256.New()
	b, _ := json.Marshal(struct {
		S, L string
		G    []specv1.Lineage
	}{r.Subject, r.License, r.Lineage})
	h.Write(b)
	return "https://ckpt.dev/spdxdocs/" + spdxSafe(name) + "-" + hex.EncodeToString(h.Sum(nil))[:32]
}

func spdxPkg(id, name, license, digest, comment string) spdxPackage {
	p := spdxPackage{SPDXID: id, Name: name, DownloadLocation: "NOASSERTION", LicenseConcluded: "NOASSERTION",
		LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION", Comment: comment, Purpose: "OTHER"}
	if e, err := Parse(license); err == nil {
		p.LicenseDeclared = e.String()
		p.LicenseConcluded = e.String()
	}
	if hexd, ok := strings.CutPrefix(digest, "sha256:"); ok && len(hexd) == 64 {
		p.Checksums = []spdxChecksum{{Algorithm: "SHA256", Value: hexd}}
		p.Comment += "; the SHA256 checksum is its OCI manifest digest"
	}
	return p
}

// extracted lists every LicenseRef-* of the document (SPDX 2.3 §10).
func extracted(r *Report) []spdxExtracted {
	var out []spdxExtracted
	for _, li := range r.Licenses {
		if !strings.HasPrefix(li.ID, "LicenseRef-") {
			continue
		}
		x := spdxExtracted{LicenseID: li.ID,
			Text: "The text of this license is not included; ckpt does not know it. Obtain it from the licensor."}
		if li.Terms != nil {
			x.Name = li.Terms.Name
			x.SeeAlsos = []string{li.Terms.Pointer()}
			x.Text = "The full text of the " + li.Terms.Name + " is at " + li.Terms.Pointer() + "."
		}
		out = append(out, x)
	}
	return out
}

func spdxSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, s)
}
