package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/packaging/sign"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// auditOptions are the flags of ckpt audit.
type auditOptions struct {
	PolicyFile string
	Key        string
	JSON       bool
	PlainHTTP  bool
}

// auditResult is one audited bundle.
type auditResult struct {
	Ref     string           `json:"ref"`
	Digest  string           `json:"digest,omitempty"`
	Format  string           `json:"format,omitempty"`
	License string           `json:"license,omitempty"`
	Lineage []specv1.Lineage `json:"lineage,omitempty"`
	// Sources say where the license and lineage were read: annotation,
	// config, report, license texts; with --key, attested license report
	// or license texts.
	Sources []string `json:"sources,omitempty"`
	// SignedBy is the key id whose signature was verified (--key).
	SignedBy   string          `json:"signedBy,omitempty"`
	Verdict    string          `json:"verdict"`
	Violations []lic.Violation `json:"violations,omitempty"`
	Choices    []string        `json:"choices,omitempty"`
	Error      string          `json:"error,omitempty"`
}

// Verdicts of ckpt audit.
const (
	verdictPass  = "pass"
	verdictFail  = "FAIL"
	verdictError = "ERROR"
)

func newAuditCmd(stdio *IO) *cobra.Command {
	var o auditOptions
	cmd := &cobra.Command{
		Use:   "audit REF...",
		Short: "Check the licenses and lineage of published bundles against a policy",
		Long: `Audit reads, for each bundle, its manifest, its config (ModelPack
descriptor.licenses), ckpt's license and lineage annotations and the attached
license report referrer, identifies the license texts the bundle ships
(LICENSE, COPYING, NOTICE, README.md front matter), evaluates the policy
and prints one row per bundle. A bundle that declares no license (modctl's
carry none) is judged by its texts; a text that contradicts the declared
license fails (license.declared_mismatch). It exits 1 when any bundle
violates the policy or cannot be read.

With --key PUB (a cosign public key), or when the policy sets
require_signature = true, the verdict rests on signed data only: the
signature over the manifest digest (cosign's format), the attestations
about that digest (the license report), and the texts of the signed
manifest; annotations and config are not trusted. An unsigned bundle, one
signed with another key, or an attestation about another manifest fails
with the reason.

REF is a registry reference (host:port/repo:tag or host:port/repo@sha256:...)
or an OCI image layout folder: oci:DIR[:TAG] or oci:DIR@sha256:..., as for
ckpt pull (without a tag: latest; in a layout, latest, else bundle, else
its only tag).
Registry credentials come from the Docker config (~/.docker/config.json).

The policy file (HCL, or JSON when it ends in .json) holds:
  use           = "research" | "commercial" | "production"   (default research)
  redistribute  = true | false
  allow         = ["LicenseRef-..."]   # accepted whatever their terms
  deny          = ["CC-BY-NC-4.0"]     # refused whatever their terms
  allow_unknown = false                # accept unknown or missing licenses
  require_signature = false            # refuse bundles --key does not verify
Without --policy, the policy is research use with unknown licenses refused.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("audit requires at least 1 REF")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAudit(cmd, stdio, o, args)
		},
	}
	cmd.Flags().StringVar(&o.PolicyFile, "policy", "", "policy file (HCL or JSON)")
	cmd.Flags().StringVar(&o.Key, "key", "", "cosign public key: judge only what it signed")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print results as JSON")
	cmd.Flags().BoolVar(&o.PlainHTTP, "plain-http", false, "use plain HTTP for registries")
	return cmd
}

func runAudit(cmd *cobra.Command, stdio *IO, o auditOptions, refs []string) error {
	p, err := loadPolicy(o.PolicyFile)
	if err != nil {
		return usagef("%w", err)
	}
	a := &auditor{opts: o, policy: p}
	if o.Key != "" {
		if a.key, err = sign.LoadPublicKeyFile(o.Key); err != nil {
			return usagef("--key: %w", err)
		}
	} else if p.RequireSignature {
		return usagef("policy %s sets require_signature: pass the signer's public key with --key", o.PolicyFile)
	}
	results := make([]auditResult, 0, len(refs))
	failed := false
	for _, ref := range refs {
		r := a.auditOne(cmd.Context(), ref)
		failed = failed || r.Verdict != verdictPass
		results = append(results, r)
	}
	if o.JSON {
		err = writeAuditJSON(stdio.Out, results)
	} else {
		err = writeAuditTable(stdio.Out, results)
	}
	if err != nil {
		return err
	}
	if failed {
		return exitCode(1, nil)
	}
	return nil
}

func (a *auditor) auditOne(ctx context.Context, ref string) auditResult {
	r := auditResult{Ref: ref}
	pr, err := ckptremote.ParseRef(ref)
	if err != nil {
		r.Verdict, r.Error = verdictError, err.Error()
		return r
	}
	b, err := ckptremote.Inspect(ctx, pr, a.remoteOptions())
	if err != nil {
		r.Verdict, r.Error = verdictError, err.Error()
		return r
	}
	r.Digest, r.Format, r.License, r.Lineage, r.Sources = b.Digest, b.Format, b.License, b.Lineage, b.LicenseSources
	if a.key != nil {
		a.auditSigned(ctx, pr, b, &r)
		return r
	}
	texts, err := a.texts(ctx, pr, b.Digest, b.Files)
	if err != nil {
		r.Verdict, r.Error = verdictError, err.Error()
		return r
	}
	m := b.Metadata()
	if m.License == "" && len(texts) > 0 {
		m.License, r.License = lic.Expression(texts), lic.Expression(texts)
		r.Sources = append(r.Sources, lic.FromTexts)
	}
	r.Violations, r.Choices = lic.Explain(m, a.policy.Policy)
	r.Violations = append(r.Violations, textViolations(b.License, texts)...)
	if b.LicenseMismatch != "" {
		r.Violations = append(r.Violations, lic.Violation{Code: "license.mismatch", Severity: specv1.SeverityWarning,
			Input: "bundle", Message: b.LicenseMismatch})
	}
	r.Verdict = verdictPass
	if lic.Failed(r.Violations) {
		r.Verdict = verdictFail
	}
	return r
}

func writeAuditJSON(w io.Writer, results []auditResult) error {
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func writeAuditTable(w io.Writer, results []auditResult) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REF\tDIGEST\tLICENSE\tLINEAGE\tVERDICT")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Ref, orDash(r.Digest), orDash(r.License),
			orDash(lineageText(r.Lineage)), verdictText(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.Error != "" {
			fmt.Fprintf(w, "%s: error: %s\n", r.Ref, r.Error)
		}
		for _, v := range r.Violations {
			fmt.Fprintf(w, "%s: %s: %s [%s]\n", r.Ref, v.Severity, v.Message, v.Code)
		}
		for _, c := range r.Choices {
			fmt.Fprintf(w, "%s: note: %s\n", r.Ref, c)
		}
	}
	return nil
}

func verdictText(r auditResult) string {
	n := len(r.Violations)
	if r.Verdict == verdictPass && n > 0 {
		return fmt.Sprintf("pass (%d warning%s)", n, plural(n))
	}
	return r.Verdict
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// lineageText renders a lineage as "base:id(license), adapter:id(license)".
func lineageText(ls []specv1.Lineage) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		name := l.ID
		if name == "" {
			name = l.Step
		}
		lc := l.License
		if lc == "" {
			lc = "no license"
		}
		parts[i] = fmt.Sprintf("%s:%s(%s)", l.Role, name, lc)
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
