package main

import (
	"fmt"
	"os"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Finding codes of the check.
const (
	CodeMismatch = "sha256sums.mismatch"
	CodeMissing  = "sha256sums.missing"
	CodeUnlisted = "sha256sums.unlisted"
)

// verifyAgainst compares the computed entries with the expected manifest:
// a differing or missing file is an error, a file the manifest does not
// list is a warning.
func verifyAgainst(expectedPath string, got []Entry) ([]specv1.Finding, error) {
	b, err := os.ReadFile(expectedPath)
	if err != nil {
		return nil, fmt.Errorf("expected manifest: %w", err)
	}
	want, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("expected manifest %s: %w", expectedPath, err)
	}
	have := map[string]string{}
	for _, e := range got {
		have[e.Path] = e.Sum
	}
	listed := map[string]bool{}
	var fs []specv1.Finding
	for _, w := range want {
		listed[w.Path] = true
		switch sum, ok := have[w.Path]; {
		case !ok:
			fs = append(fs, specv1.Finding{Code: CodeMissing, Severity: specv1.SeverityError, File: w.Path,
				Message: "listed in the expected manifest but absent from the artifact"})
		case sum != w.Sum:
			fs = append(fs, specv1.Finding{Code: CodeMismatch, Severity: specv1.SeverityError, File: w.Path,
				Message: fmt.Sprintf("sha256 is %s, the expected manifest says %s", sum, w.Sum)})
		}
	}
	for _, e := range got {
		if !listed[e.Path] {
			fs = append(fs, specv1.Finding{Code: CodeUnlisted, Severity: specv1.SeverityWarning, File: e.Path,
				Message: "not listed in the expected manifest"})
		}
	}
	return fs, nil
}
