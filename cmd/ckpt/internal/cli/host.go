package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/ckpt-dev/ckpt/packaging/store"
	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/run"
	"github.com/ckpt-dev/ckpt/plugins/host"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// The concrete types a build wires together satisfy the interfaces the
// pipeline declares.
var (
	_ run.Executor   = (*host.Host)(nil)
	_ run.Store      = (*store.Store)(nil)
	_ plan.Validator = hostValidator{}
	_ plan.Validator = (*buildValidator)(nil)
	_ plan.Resolver  = (*resolver)(nil)
)

// newHost is the plugin host of the spec folder dir: the built-ins served
// by this ckpt binary (ckpt __plugin) and the plugins locked in dir. One
// host serves a command's planning, validation and build, so that each
// plugin binary runs in one process.
func newHost(stdio *IO, dir string) (*host.Host, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find ckpt binary: %w", err)
	}
	return host.New(host.Options{Self: self, Dir: dir, Version: Version, Stderr: stdio.Err})
}

// hostValidator validates every step, built-in or external, in its
// plugin's process (host.Validate, which remembers clean answers).
type hostValidator struct{ h *host.Host }

func (v hostValidator) Validate(ctx context.Context, c plan.Component, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
	return v.h.Validate(ctx, c.Plugin.Name, req)
}
