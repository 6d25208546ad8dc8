package push

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	"github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// BundleTag is the tag of the model manifest in a bundle's OCI layout
// (plugins/bundle.Tag; not imported: built-in plugins stay independent).
const BundleTag = "bundle"

// component is the push "registry" or push "layout" step.
type component struct{ desc specv1.Component }

// config is the decoded configuration of both push types.
type config struct {
	Bundle          string `json:"bundle"`
	Ref             string `json:"ref"`
	PlainHTTP       bool   `json:"plain_http"`
	Path            string `json:"path"`
	Tag             string `json:"tag"`
	AllowUnlicensed bool   `json:"allow_unlicensed"`
	Concurrency     int    `json:"concurrency"`
	SignKey         string `json:"sign_key"`
	SignPasswordEnv string `json:"sign_password_env"`
}

func decode(raw json.RawMessage) (config, error) {
	var c config
	if len(raw) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("push config: %w", err)
	}
	return c, nil
}

// target returns where the step pushes.
func (c component) target(cfg config) (remote.Ref, error) {
	if c.desc.Type == "layout" {
		if cfg.Path == "" {
			return remote.Ref{}, fmt.Errorf("path is required")
		}
		tag := cfg.Tag
		if tag == "" {
			tag = "latest"
		}
		return remote.Ref{Dir: cfg.Path, Reference: tag}, nil
	}
	r, err := remote.ParseRef(cfg.Ref)
	if err != nil {
		return r, err
	}
	if r.IsLayout() {
		return r, fmt.Errorf("ref %q: use push \"layout\" for layout folders", cfg.Ref)
	}
	return r, nil
}

func (c component) Describe() specv1.Component { return c.desc }

// optOut is the setting that publishes a bundle without license information.
const optOut = "allow_unlicensed = true"

// Validate checks the reference syntax and, when the bundle is built, its license.
func (c component) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	cfg, err := decode(req.Config)
	if err != nil {
		return []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: err.Error()}}
	}
	var ds []specv1.Diagnostic
	if _, err := c.target(cfg); err != nil && (cfg.Ref != "" || cfg.Path != "") {
		attr := "ref"
		if c.desc.Type == "layout" {
			attr = "path"
		}
		ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: "invalid target", Detail: err.Error(), Path: []string{attr}})
	}
	if cfg.SignPasswordEnv != "" && cfg.SignKey == "" {
		ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: "sign_password_env without sign_key",
			Detail: "sign_key names the cosign private key the password unlocks", Path: []string{"sign_password_env"}})
	}
	for _, in := range req.Inputs {
		if in.Attr == "bundle" && !cfg.AllowUnlicensed && in.Metadata.Kind != "" {
			if err := lic.RequireLicense(&in.Metadata, optOut); err != nil {
				ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: "bundle has no license",
					Detail: err.Error(), Path: []string{"bundle"}, Code: "unlicensed"})
			}
		}
	}
	return ds
}

// Run copies the bundle's model manifest, blobs and referrers to the target.
func (c component) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	cfg, err := decode(req.Config)
	if err != nil {
		return nil, err
	}
	b, err := sdk.OneInput(req, "bundle")
	if err != nil {
		return nil, err
	}
	if !cfg.AllowUnlicensed {
		if err := lic.RequireLicense(&b.Metadata, optOut); err != nil {
			return nil, fmt.Errorf("refusing to publish: %w", err)
		}
	}
	dst, err := c.target(cfg)
	if err != nil {
		return nil, err
	}
	signer, err := cfg.signer()
	if err != nil {
		return nil, err
	}
	var (
		mu    sync.Mutex
		sent  int64
		total = layoutSize(b.Dir)
	)
	plain := cfg.PlainHTTP || req.Transport != nil && req.Transport.PlainHTTP
	opts := remote.PushOptions{Options: remote.Options{PlainHTTP: plain, Concurrency: cfg.Concurrency,
		UserAgent: "ckpt",
		Progress: func(e remote.Event) {
			switch e.Action {
			case "skip":
				ev.Log(fmt.Sprintf("exists %s (%d bytes)", e.Desc.Digest, e.Desc.Size))
				mu.Lock()
				sent += e.Desc.Size
				ev.Progress(sent, total, "bytes")
				mu.Unlock()
			case "done":
				mu.Lock()
				sent += e.Desc.Size
				ev.Progress(sent, total, "bytes")
				mu.Unlock()
			}
		}}}
	d, err := remote.Push(ctx, b.Dir, BundleTag, dst, opts)
	if err != nil {
		return nil, err
	}
	ev.Log(fmt.Sprintf("pushed %s@%s", dst, d.Digest))
	out := sdk.Derive("push", b.Metadata)
	out.Outputs = map[string]string{"ref": dst.String(), "digest": d.Digest.String()}
	if signer != nil {
		if err := signPushed(ctx, dst, d.Digest, signer, opts.Options, ev); err != nil {
			return nil, err
		}
		out.Outputs["signed_by"] = signer.KeyID()
	}
	return out, nil
}

// layoutSize is the size of a layout's blobs: the most a push sends (a
// bundle's base manifest may not be part of the pushed graph).
func layoutSize(dir string) int64 {
	var n int64
	blobs := filepath.Join(dir, "blobs", "sha256")
	ents, _ := os.ReadDir(blobs)
	for _, e := range ents {
		if info, err := os.Stat(filepath.Join(blobs, e.Name())); err == nil { // a link: a user's file
			n += info.Size()
		}
	}
	return n
}
