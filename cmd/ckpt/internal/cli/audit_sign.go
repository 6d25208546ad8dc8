package cli

import (
	"context"
	"fmt"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/packaging/sign"
	"github.com/opencontainers/go-digest"
)

// auditSigned judges b from what a.key vouches for: the signature over
// the manifest digest, the attestations about that digest (the license
// report among them) and the license texts of the signed manifest. The
// manifest's annotations and config are not read. An unsigned bundle, one
// signed with another key, or an attestation about another manifest
// fails, naming the reason.
func (a *auditor) auditSigned(ctx context.Context, ref ckptremote.Ref, b *ckptremote.Report, r *auditResult) {
	r.License, r.Lineage, r.Sources = "", nil, nil
	at := ref
	at.Reference = b.Digest
	t, _, err := ckptremote.Open(ctx, at, a.remoteOptions())
	if err != nil {
		r.Verdict, r.Error = verdictError, err.Error()
		return
	}
	v, err := sign.Verify(ctx, t, digest.Digest(b.Digest), a.key, sign.VerifyOptions{})
	if err != nil {
		r.Verdict, r.Error = verdictFail, err.Error()
		return
	}
	r.SignedBy = v.KeyID
	texts, err := a.texts(ctx, ref, b.Digest, b.Files)
	if err != nil {
		r.Verdict, r.Error = verdictError, err.Error()
		return
	}
	report, _ := v.Predicate(sign.PredicateLicenseReport)
	j, err := lic.Judge(report, b.Digest, texts, a.policy.Policy)
	if err != nil {
		r.Verdict, r.Error = verdictFail, fmt.Sprintf("signed with %s: %v", v.KeyID, err)
		return
	}
	if report != nil {
		if rep, err := lic.ParseReport(report); err == nil {
			r.Lineage = rep.Lineage
		}
	}
	r.License, r.Sources, r.Violations = j.License, []string{j.From}, j.Violations
	for _, f := range j.Findings {
		r.Violations = append(r.Violations, findingViolation(f))
	}
	r.Verdict = verdictPass
	if j.Failed() {
		r.Verdict = verdictFail
	}
}
