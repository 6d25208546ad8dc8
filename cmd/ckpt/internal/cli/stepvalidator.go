package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/plugins/builtin"
	"github.com/ckpt-dev/ckpt/plugins/host"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// stepValidator runs plugins' Validate for plan.Graph.Validate: built-in
// components in process (no plugin process starts), external plugins in
// their processes, through a host started on first need. A request an
// external plugin answered without any diagnostic is remembered under
// .ckpt/cache/validate (keyed by the plugin binary's digest and the
// request), so that validating or rebuilding an unchanged spec starts no
// plugin.
type stepValidator struct {
	dir    string
	stderr io.Writer

	builtin *sdk.Plugin
	host    *host.Host
}

func (v *stepValidator) Validate(ctx context.Context, c plan.Component, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
	if c.Plugin.Name == builtin.Name {
		return v.validateBuiltin(ctx, c, req)
	}
	mark := v.cleanMark(c, req)
	if mark != "" {
		if _, err := os.Stat(mark); err == nil {
			return nil, nil
		}
	}
	if v.host == nil {
		h, err := host.New(host.Options{Dir: v.dir, Version: Version, Stderr: v.stderr})
		if err != nil {
			return nil, err
		}
		v.host = h
	}
	ds, err := v.host.Validate(ctx, c.Plugin.Name, req)
	if err == nil && len(ds) == 0 && mark != "" {
		// A mark that cannot be written only costs a plugin start next time.
		if os.MkdirAll(filepath.Dir(mark), 0o755) == nil {
			_ = os.WriteFile(mark, nil, 0o644)
		}
	}
	return ds, err
}

// cleanMark is the file that records that the plugin binary c.Plugin found
// nothing wrong with req, or "" when the binary's digest is unknown.
func (v *stepValidator) cleanMark(c plan.Component, req *specv1.ValidateRequest) string {
	b, err := json.Marshal(req)
	if c.Plugin.Digest == "" || err != nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", c.Plugin.Name, c.Plugin.Digest)
	h.Write(b)
	return filepath.Join(v.dir, ".ckpt", "cache", "validate", hex.EncodeToString(h.Sum(nil)))
}

// validateBuiltin calls a built-in component's Validate; a panic in it is
// an error naming the step, not a crash of ckpt.
func (v *stepValidator) validateBuiltin(ctx context.Context, c plan.Component, req *specv1.ValidateRequest) (ds []specv1.Diagnostic, err error) {
	if v.builtin == nil {
		v.builtin = builtin.Plugin(Version)
	}
	comp := v.builtin.Component(c.Kind, c.Type)
	if comp == nil {
		return nil, fmt.Errorf("no built-in component %s", c.Address())
	}
	defer func() {
		if r := recover(); r != nil {
			ds, err = nil, fmt.Errorf("built-in %s panicked validating %s: %v", c.Address(), req.Step, r)
		}
	}()
	return comp.Validate(ctx, req), nil
}

// close stops the external plugin processes validation started.
func (v *stepValidator) close() {
	if v.host != nil {
		v.host.Close()
	}
}
