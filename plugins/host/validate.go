package host

import (
	"context"
	"encoding/json"

	"github.com/ckpt-dev/ckpt/internal/state"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Validate asks plugin to check one step's configuration, in its process
// like a run (built-ins too). An answer without errors is remembered in
// the state folder's "validate" memo, keyed by the plugin binary's digest
// and the whole request (input metadata included), so that validating or
// rebuilding an unchanged spec starts no process.
func (h *Host) Validate(ctx context.Context, plugin string, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
	memo := state.For(h.opts.Dir).Memo("validate")
	key := h.validateKey(plugin, req)
	var ds []specv1.Diagnostic
	if key != "" && memo.Get(key, &ds) && !hasErrors(ds) {
		return ds, nil
	}
	p, err := h.proc(ctx, plugin)
	if err != nil {
		return nil, err
	}
	ds, err = p.remote.Validate(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, h.failure(p, "validate", err)
	}
	if key != "" && !hasErrors(ds) {
		_ = memo.Put(key, ds) // a memo not written only costs a start next time
	}
	return ds, nil
}

// validateKey is the memo key of req for plugin: its name, the digest of
// its binary (the running ckpt's for the built-ins, the locked one for an
// external plugin, which is verified before it ever runs) and the request;
// "" when the digest is unknown.
func (h *Host) validateKey(plugin string, req *specv1.ValidateRequest) string {
	var digest string
	if plugin == BuiltinName {
		if b, err := h.builtin(); err == nil {
			digest = b.digest
		}
	} else if e, ok := h.lock.Get(plugin); ok {
		digest = e.Digest()
	}
	b, err := json.Marshal(req)
	if digest == "" || err != nil {
		return ""
	}
	return plugin + "\x00" + digest + "\x00" + string(b)
}

func hasErrors(ds []specv1.Diagnostic) bool {
	for _, d := range ds {
		if d.Severity != specv1.SeverityWarning {
			return true
		}
	}
	return false
}
