package cli

import (
	"context"
	"os"
	"path"
	"strings"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/packaging/sign"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// auditor audits bundles with one license detector, made on first use.
type auditor struct {
	opts   auditOptions
	policy auditPolicy
	key    *sign.Verifier // --key: verdicts from signed data only
	det    *lic.Detector
}

// texts pulls the license files (LICENSE, COPYING, NOTICE, README.md) of
// the manifest digest names in ref's repository, every blob verified, and
// identifies them. A bundle without such files has none.
func (a *auditor) texts(ctx context.Context, ref ckptremote.Ref, digest string, files []ckptremote.FileReport) ([]lic.Detection, error) {
	var include []string
	for _, f := range files {
		if f.Path != "" && lic.IsLicenseFile(path.Base(f.Path)) {
			include = append(include, globEscape(f.Path))
		}
	}
	if len(include) == 0 {
		return nil, nil
	}
	dir, err := os.MkdirTemp("", "ckpt-audit-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	at := ref
	at.Reference = digest
	if _, err := ckptremote.Pull(ctx, at, dir, ckptremote.PullOptions{Options: a.remoteOptions(), Include: include}); err != nil {
		return nil, err
	}
	if a.det == nil {
		if a.det, err = lic.NewDetector(); err != nil {
			return nil, err
		}
	}
	return a.det.DetectFolder(dir)
}

func (a *auditor) remoteOptions() ckptremote.Options {
	return ckptremote.Options{PlainHTTP: a.opts.PlainHTTP, UserAgent: "ckpt/" + Version}
}

// globEscape quotes the pattern characters of a file path for path.Match.
func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// textViolations turns what the texts say against a declared license
// into violations (license.declared_mismatch is an error).
func textViolations(declared string, ds []lic.Detection) []lic.Violation {
	var out []lic.Violation
	for _, f := range lic.Mismatch(declared, ds) {
		out = append(out, findingViolation(f))
	}
	return out
}

func findingViolation(f specv1.Finding) lic.Violation {
	return lic.Violation{Code: f.Code, Severity: f.Severity, Input: f.File, Message: f.Message}
}
