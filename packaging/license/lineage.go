package license

import specv1 "github.com/ckpt-dev/ckpt/specs/v1"

// Entry is the lineage entry of one step input: role base for a model,
// adapter for an adapter, dataset for a dataset (else the kind), with the
// input's step address, id, digest and license.
func Entry(in specv1.Input) specv1.Lineage {
	role := in.Metadata.Kind
	if role == "model" {
		role = "base"
	}
	return specv1.Lineage{Role: role, ID: in.Metadata.ID, Digest: in.Digest, License: in.Metadata.License, Step: in.Step}
}

// Combine returns what a step made from inputs carries: the conjunction of
// their licenses (And), their lineage (each input's own lineage, or the
// input itself when it has none; duplicates removed, order kept) and their
// notices (duplicates removed, order kept).
func Combine(inputs ...specv1.Input) specv1.Metadata {
	var out specv1.Metadata
	var licenses []string
	seenL := map[specv1.Lineage]bool{}
	seenN := map[string]bool{}
	for _, in := range inputs {
		licenses = append(licenses, in.Metadata.License)
		lineage := in.Metadata.Lineage
		if len(lineage) == 0 {
			lineage = []specv1.Lineage{Entry(in)}
		}
		for _, l := range lineage {
			if !seenL[l] {
				seenL[l] = true
				out.Lineage = append(out.Lineage, l)
			}
		}
		for _, n := range in.Metadata.Notices {
			if !seenN[n] {
				seenN[n] = true
				out.Notices = append(out.Notices, n)
			}
		}
	}
	out.License = And(licenses...)
	return out
}
