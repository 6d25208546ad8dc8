package license

import (
	"encoding/json"
	"fmt"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// ReportVersion is the version of the license report format.
const ReportVersion = "1"

// Report is the license report of one artifact (artifactType
// specv1.ArtifactTypeLicenseReport): its expression, the terms of every
// license in its lineage, the lineage itself and, for every intended use,
// whether the licenses allow it and which inputs forbid it.
type Report struct {
	Version string `json:"version"`
	// Subject is the bundle's manifest digest (may be empty).
	Subject  string           `json:"subject,omitempty"`
	Kind     string           `json:"kind,omitempty"`
	ID       string           `json:"id,omitempty"`
	License  string           `json:"license,omitempty"`
	Lineage  []specv1.Lineage `json:"lineage,omitempty"`
	Notices  []string         `json:"notices,omitempty"`
	Licenses []Info           `json:"licenses"`
	// Uses holds, for research, commercial, production and redistribution,
	// the verdict under the zero policy with that use.
	Uses []UseVerdict `json:"uses"`
	// Texts are the licenses the shipped LICENSE, COPYING, NOTICE and
	// README.md texts name (Detector), when they were read.
	Texts []Detection `json:"texts,omitempty"`
}

// Info is one license of the report.
type Info struct {
	ID    string `json:"id"`
	Known bool   `json:"known"`
	// Terms is nil for an unknown license.
	Terms *Terms `json:"terms,omitempty"`
	// Inputs are the lineage entries under this license.
	Inputs []string `json:"inputs,omitempty"`
}

// UseVerdict says whether an intended use is allowed.
type UseVerdict struct {
	Use        string      `json:"use"`
	Allowed    bool        `json:"allowed"`
	Violations []Violation `json:"violations,omitempty"`
	// Choices say which branch of each OR expression was chosen.
	Choices []string `json:"choices,omitempty"`
}

// NewReport builds the license report of m (subject: the bundle's manifest
// digest, may be empty).
func NewReport(m *specv1.Metadata, subject string) *Report {
	r := &Report{Version: ReportVersion, Subject: subject, Kind: m.Kind, ID: m.ID, License: m.License,
		Lineage: m.Lineage, Notices: m.Notices, Licenses: []Info{}}
	for _, u := range usedLicenses(m) {
		li := Info{ID: u.id, Inputs: u.inputs}
		if t, ok := Lookup(u.id); ok {
			li.Known, li.Terms = true, &t
		}
		r.Licenses = append(r.Licenses, li)
	}
	for _, p := range []Policy{{Use: UseResearch}, {Use: UseCommercial}, {Use: UseProduction},
		{Use: UseResearch, Redistribute: true}} {
		name := p.Use
		if p.Redistribute {
			name = "redistribute"
		}
		vs, picks := Explain(m, p)
		r.Uses = append(r.Uses, UseVerdict{Use: name, Allowed: !Failed(vs), Violations: vs, Choices: picks})
	}
	return r
}

// Metadata returns the license-relevant part of the artifact the report
// describes (kind, id, license, lineage, notices).
func (r *Report) Metadata() *specv1.Metadata {
	return &specv1.Metadata{Kind: r.Kind, ID: r.ID, License: r.License, Lineage: r.Lineage, Notices: r.Notices}
}

// JSON encodes the report, indented, deterministically.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("license report: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseReport decodes a report written by Report.JSON.
func ParseReport(b []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("license report: %w", err)
	}
	if r.Version != ReportVersion {
		return nil, fmt.Errorf("license report: version %q, want %q", r.Version, ReportVersion)
	}
	return &r, nil
}
