package bundle

import (
	"os"
	"path/filepath"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// gateTexts returns what the license gates found in the shipped license
// texts of the artifact subject (its digest): the texts of the license
// reports of the gates about it, so that the bundle's report records them
// without reading the texts again.
func gateTexts(req *specv1.RunRequest, subject string) []lic.Detection {
	for _, g := range req.InputsFor(specv1.AttrGate) {
		b, err := os.ReadFile(filepath.Join(g.Dir, "license-report.json"))
		if err != nil {
			continue // not a license gate
		}
		r, err := lic.ParseReport(b)
		if err != nil || r.Subject != subject || len(r.Texts) == 0 {
			continue
		}
		return r.Texts
	}
	return nil
}
