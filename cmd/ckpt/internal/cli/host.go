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

// EnvLog set to "debug" makes ckpt print debug lines on stderr: one per
// plugin process started ("debug: plugin NAME started (PATH)") and the
// remote memo's hits and misses.
const EnvLog = "CKPT_LOG"

// hostOptions are the plugin host options of the spec folder dir: the
// built-ins served by this ckpt binary (ckpt __plugin) and the plugins
// locked in dir.
func hostOptions(stdio *IO, dir string) host.Options {
	o := host.Options{Dir: dir, Version: Version, Stderr: stdio.Err}
	if os.Getenv(EnvLog) == "debug" {
		o.Debug = stdio.Err
	}
	return o
}

// newHost is the plugin host of o. One host serves a command's planning,
// validation and build, so that each plugin binary runs in one process.
func newHost(o host.Options) (*host.Host, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find ckpt binary: %w", err)
	}
	o.Self = self
	return host.New(o)
}

// hostValidator validates every step of g, built-in or external, in its
// plugin's process (host.Validate, which remembers clean answers, here and
// in the remote memo). A request holding a sensitive value is remembered
// here only (host.ValidatePrivate).
type hostValidator struct {
	h *host.Host
	g *plan.Graph
}

func (v hostValidator) Validate(ctx context.Context, c plan.Component, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
	if st := v.g.Step(req.Step); st == nil || len(st.Sensitive) > 0 {
		return v.h.ValidatePrivate(ctx, c.Plugin.Name, req)
	}
	return v.h.Validate(ctx, c.Plugin.Name, req)
}
