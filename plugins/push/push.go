package push

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

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
	opts, err := pushOptions(ctx, cfg, req, b, ev)
	if err != nil {
		return nil, err
	}
	d, err := remote.Push(ctx, b.Dir, BundleTag, dst, opts)
	if err != nil && b.Remote != nil && len(b.Remote.Missing) > 0 {
		return nil, fmt.Errorf("%w (the bundle files the local store lacks are read from the remote cache %s)", err, b.Remote.Repository)
	}
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

// pushOptions are the transfer settings of the step, telling ev the
// progress; a bundle with files in the remote cache is pushed from there.
func pushOptions(ctx context.Context, cfg config, req *specv1.RunRequest, b specv1.Input, ev sdk.Events) (remote.PushOptions, error) {
	var (
		mu    sync.Mutex
		sent  int64
		total = layoutSize(b)
	)
	plain := cfg.PlainHTTP || req.Transport != nil && req.Transport.PlainHTTP
	opts := remote.PushOptions{Options: remote.Options{PlainHTTP: plain, Concurrency: cfg.Concurrency, UserAgent: "ckpt",
		Progress: func(e remote.Event) {
			switch e.Action {
			case "skip":
				ev.Log(fmt.Sprintf("exists %s (%d bytes)", e.Desc.Digest, e.Desc.Size))
			case "mount":
				ev.Log(fmt.Sprintf("mounted %s (%d bytes) from the remote cache", e.Desc.Digest, e.Desc.Size))
			case "done":
			default:
				return
			}
			mu.Lock()
			sent += e.Desc.Size
			ev.Progress(sent, total, "bytes")
			mu.Unlock()
		}}}
	if b.Remote == nil {
		return opts, nil
	}
	return opts, fromCache(ctx, b.Remote, &opts)
}

// fromCache makes opts read the bundle files its folder lacks from the
// remote cache r, opened with the Docker config's credentials, and have
// the target's registry mount the blobs it lacks from there when it is
// the same registry.
func fromCache(ctx context.Context, r *specv1.Remote, opts *remote.PushOptions) error {
	o := opts.Options
	o.PlainHTTP, o.Progress = r.PlainHTTP, nil
	repo, err := remote.Repository(ctx, remote.Ref{Repository: r.Repository}, o)
	if err != nil {
		return fmt.Errorf("remote cache: %w", err)
	}
	opts.Fallback, opts.MountFrom = repo, []string{r.Repository}
	opts.Missing = make(map[string]ocispec.Descriptor, len(r.Missing))
	for _, f := range r.Missing {
		d, err := digest.Parse(f.Digest)
		if err != nil {
			return fmt.Errorf("remote cache: file %s: %w", f.Path, err)
		}
		opts.Missing[f.Path] = ocispec.Descriptor{MediaType: "application/octet-stream", Digest: d, Size: f.Size}
	}
	return nil
}

// layoutSize is the size of a bundle layout's blobs, in its folder or in
// the remote cache: the most a push sends (a bundle's base manifest may
// not be part of the pushed graph).
func layoutSize(b specv1.Input) int64 {
	var n int64
	blobs := filepath.Join(b.Dir, "blobs", "sha256")
	ents, _ := os.ReadDir(blobs)
	for _, e := range ents {
		if info, err := os.Stat(filepath.Join(blobs, e.Name())); err == nil { // a link: a user's file
			n += info.Size()
		}
	}
	if b.Remote != nil {
		for _, f := range b.Remote.Missing {
			if strings.HasPrefix(f.Path, "blobs/") {
				n += f.Size
			}
		}
	}
	return n
}
