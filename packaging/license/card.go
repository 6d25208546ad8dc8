package license

import "strings"

// cardRefs maps Hugging Face model-card license ids that SPDX lacks (and
// the license_name of "license: other") to ckpt's LicenseRef ids.
func cardRefs() map[string]string {
	return map[string]string{
		"mrl": "LicenseRef-MRL-0.1", "mnpl": "LicenseRef-MNPL-0.1",
		"openrail": "LicenseRef-OpenRAIL", "openrail++": "LicenseRef-OpenRAIL-PlusPlus",
		"creativeml-openrail-m": "LicenseRef-CreativeML-OpenRAIL-M", "bigscience-openrail-m": "LicenseRef-BigScience-OpenRAIL-M",
		"bigscience-bloom-rail-1.0": "LicenseRef-BigScience-BLOOM-RAIL-1.0", "bigcode-openrail-m": "LicenseRef-BigCode-OpenRAIL-M",
		"llama2": "LicenseRef-Llama-2", "llama3": "LicenseRef-Llama-3", "llama3.1": "LicenseRef-Llama-3.1",
		"llama3.2": "LicenseRef-Llama-3.2", "llama3.3": "LicenseRef-Llama-3.3", "gemma": "LicenseRef-Gemma",
	}
}

// FromCard maps a Hugging Face model card's license fields to an SPDX
// expression: "apache-2.0" → "Apache-2.0", license "other" with
// license_name "mrl" → "LicenseRef-MRL-0.1". It returns "" when the card
// names nothing ckpt can map (the license is then unknown, never assumed).
func FromCard(license, licenseName string) string {
	l := strings.ToLower(strings.TrimSpace(license))
	if l == "other" || l == "" {
		l = strings.ToLower(strings.TrimSpace(licenseName))
	}
	if ref, ok := cardRefs()[l]; ok {
		return ref
	}
	if l == "" || l == "other" || l == "unknown" {
		return ""
	}
	if e, err := Parse(l); err == nil {
		return e.String()
	}
	return ""
}
