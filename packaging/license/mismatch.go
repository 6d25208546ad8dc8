package license

import (
	"fmt"
	"sort"
	"strings"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Codes of the findings Mismatch reports.
const (
	// CodeDeclaredMismatch: a shipped text names a license the declared
	// expression does not (error).
	CodeDeclaredMismatch = "license.declared_mismatch"
	// CodeUnidentified: a license text ckpt cannot identify (warning).
	CodeUnidentified = "license.unidentified"
)

// Mismatch checks a declared SPDX expression against the licenses the
// shipped texts name: every detected license must be one of the
// expression's, else an error names the file, the declared and the
// detected license. A text nobody could identify is a warning. With no
// declaration there is nothing to contradict (see Expression); an
// expression that does not parse is an error. Findings are sorted by file.
func Mismatch(declared string, ds []Detection) []specv1.Finding {
	var out []specv1.Finding
	declared = strings.TrimSpace(declared)
	allowed := map[string]bool{}
	if declared != "" {
		e, err := Parse(declared)
		if err != nil {
			return []specv1.Finding{{Code: CodeInvalid, Severity: specv1.SeverityError,
				Message: fmt.Sprintf("the declared license does not parse: %v", err)}}
		}
		for _, id := range e.Licenses() {
			allowed[strings.ToUpper(id)] = true
		}
	}
	for _, d := range ds {
		switch {
		case d.ID == "":
			out = append(out, unidentified(d, declared))
		case declared != "" && !allowed[strings.ToUpper(d.ID)]:
			out = append(out, specv1.Finding{Code: CodeDeclaredMismatch, Severity: specv1.SeverityError, File: d.File,
				Message: fmt.Sprintf("%s is %s (%s, confidence %.2f) but the declared license is %s: fix the declaration or ship the right text",
					d.File, describe(d.ID), d.How, d.Confidence, declared)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

func unidentified(d Detection, declared string) specv1.Finding {
	msg := fmt.Sprintf("%s: ckpt cannot identify this license text", d.File)
	if d.How == HowCard {
		msg = fmt.Sprintf("%s: the model card's license field names no license ckpt can map", d.File)
	}
	if declared != "" {
		msg += "; check it against the declared " + declared
	}
	return specv1.Finding{Code: CodeUnidentified, Severity: specv1.SeverityWarning, File: d.File, Message: msg}
}

// describe names a license id with its name when ckpt knows it.
func describe(id string) string {
	if t, ok := Lookup(id); ok && t.Name != "" {
		return t.Name + " (" + t.ID + ")"
	}
	return id
}

// Expression is the conjunction of the licenses the texts name (sorted),
// "" when they name none: the license of a bundle that declares none,
// resting on its texts alone.
func Expression(ds []Detection) string {
	seen := map[string]bool{}
	var ids []string
	for _, d := range ds {
		if d.ID != "" && !seen[d.ID] {
			seen[d.ID] = true
			ids = append(ids, d.ID)
		}
	}
	sort.Strings(ids)
	return And(ids...)
}
