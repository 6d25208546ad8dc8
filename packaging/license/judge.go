package license

import (
	"fmt"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Where a Judgement's license expression came from.
const (
	FromReport = "attested license report"
	FromTexts  = "license texts"
)

// Judgement is a license verdict that rests on signed data only.
type Judgement struct {
	// License is the expression judged, From where it came from.
	License string
	From    string
	// Findings hold the shipped texts against License (Mismatch).
	Findings []specv1.Finding
	// Violations are the policy's verdict on License and the lineage.
	Violations []Violation
}

// Failed reports whether a finding or a violation is an error.
func (j *Judgement) Failed() bool {
	for _, f := range j.Findings {
		if f.Severity == specv1.SeverityError {
			return true
		}
	}
	return Failed(j.Violations)
}

// Judge computes a bundle's license verdict under p from what its signer
// vouched for: report is the license report attested with the bundle's key
// (sign.Verified's PredicateLicenseReport; nil when the bundle has none)
// and ds what the texts the bundle ships say (Detector.DetectFiles over the
// layers of the signed manifest). With a report, its expression and
// lineage are judged and the texts must not contradict them; without one
// (modctl's bundles carry no license metadata) the texts alone decide. A
// report about another manifest than subject is an error. Manifest
// annotations are never read.
func Judge(report []byte, subject string, ds []Detection, p Policy) (*Judgement, error) {
	if report == nil {
		expr := Expression(ds)
		j := &Judgement{License: expr, From: FromTexts, Findings: Mismatch("", ds)}
		j.Violations = Evaluate(&specv1.Metadata{License: expr}, p)
		return j, nil
	}
	r, err := ParseReport(report)
	if err != nil {
		return nil, err
	}
	if r.Subject != "" && r.Subject != subject {
		return nil, fmt.Errorf("the attested license report is about %s, not %s", r.Subject, subject)
	}
	j := &Judgement{License: r.License, From: FromReport, Findings: Mismatch(r.License, ds)}
	j.Violations = Evaluate(r.Metadata(), p)
	return j, nil
}
