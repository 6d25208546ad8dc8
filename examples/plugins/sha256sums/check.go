package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// ManifestName is the file the check writes into its output.
const ManifestName = "SHA256SUMS"

// Check is check "sha256sums".
type Check struct{}

type config struct {
	Target   string   `json:"target"`
	Expected string   `json:"expected,omitempty"`
	Exclude  []string `json:"exclude,omitempty"`
}

// Describe declares the check and its configuration.
func (Check) Describe() specv1.Component {
	return specv1.Component{Kind: "check", Type: "sha256sums",
		Description: "Writes a SHA256SUMS manifest of the target artifact's files and verifies them against an expected manifest.",
		Outputs:     []string{"sha256sums", "files"},
		// A check gates the bundles built from its target.
		Capabilities: specv1.Capabilities{Gate: "target"},
		Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "target", Type: specv1.TypeStep, Required: true, Description: "The step whose artifact is summed."},
			{Name: "expected", Type: specv1.TypePath, Description: "A SHA256SUMS file the artifact's files must match."},
			{Name: "exclude", Type: specv1.TypeListString, Description: "Glob patterns (path.Match) of files to leave out."},
		}}}
}

// Validate checks the configuration.
func (Check) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	cfg, diags := decode(req.Config)
	if diags != nil {
		return diags
	}
	if cfg.Expected != "" {
		if _, err := os.Stat(cfg.Expected); err != nil {
			diags = append(diags, errDiag("expected manifest not readable", err.Error(), "expected"))
		}
	}
	return diags
}

func decode(raw json.RawMessage) (config, []specv1.Diagnostic) {
	var cfg config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return cfg, []specv1.Diagnostic{errDiag("invalid configuration", err.Error())}
	}
	var diags []specv1.Diagnostic
	if cfg.Target == "" {
		diags = append(diags, errDiag("target is required", "Set target to the step whose files are summed, e.g. merge.support.", "target"))
	}
	for i, p := range cfg.Exclude {
		if _, err := path.Match(p, ""); err != nil {
			diags = append(diags, errDiag("invalid exclude pattern", fmt.Sprintf("%q: %v", p, err), "exclude", strconv.Itoa(i)))
		}
	}
	return cfg, diags
}

func errDiag(summary, detail string, p ...string) specv1.Diagnostic {
	return specv1.Diagnostic{Severity: specv1.SeverityError, Summary: summary, Detail: detail, Path: p}
}

// Run sums the target's files, writes SHA256SUMS and verifies.
func (Check) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	cfg, diags := decode(req.Config)
	if len(diags) > 0 {
		return nil, fmt.Errorf("%s: %s", diags[0].Summary, diags[0].Detail)
	}
	in, err := sdk.OneInput(req, "target")
	if err != nil {
		return nil, err
	}
	entries, err := sumTree(ctx, in.Dir, cfg.Exclude, ev)
	if err != nil {
		return nil, err
	}
	out := Format(entries)
	if err := os.WriteFile(filepath.Join(req.OutputDir, ManifestName), out, 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", ManifestName, err)
	}
	// Derive carries the target's id, license, lineage and notices forward.
	md := sdk.Derive("check", in.Metadata)
	md.Outputs = map[string]string{"sha256sums": digest(out), "files": strconv.Itoa(len(entries))}
	if cfg.Expected != "" {
		findings, err := verifyAgainst(cfg.Expected, entries)
		if err != nil {
			return nil, err
		}
		md.Findings = findings
	}
	ev.Log(fmt.Sprintf("%d files summed from %s", len(entries), in.Step))
	return md, nil
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// sumTree hashes every regular file under dir, and every link to one (an
// input's file that refers to a user's), in lexical order.
func sumTree(ctx context.Context, dir string, exclude []string, ev sdk.Events) ([]Entry, error) {
	var files []string
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if excluded(rel, exclude) {
			return nil
		}
		info, err := os.Stat(p)
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		total += info.Size()
		files = append(files, rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list target files: %w", err)
	}
	entries := make([]Entry, 0, len(files))
	var done int64
	for _, rel := range files {
		sum, n, err := sumFile(ctx, filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		done += n
		ev.Progress(done, total, "bytes")
		entries = append(entries, Entry{Sum: sum, Path: rel})
	}
	return entries, nil
}

func excluded(rel string, patterns []string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, rel); ok {
			return true
		}
		if ok, _ := path.Match(p, path.Base(rel)); ok {
			return true
		}
	}
	return false
}

// sumFile hashes one file in 1 MiB chunks, checking ctx between them.
func sumFile(ctx context.Context, p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, fmt.Errorf("sum: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return "", n, err
		}
		k, err := f.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if err == io.EOF {
			return hex.EncodeToString(h.Sum(nil)), n, nil
		}
		if err != nil {
			return "", n, fmt.Errorf("sum %s: %w", p, err)
		}
	}
}
