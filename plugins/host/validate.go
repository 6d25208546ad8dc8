package host

import (
	"context"
	"encoding/json"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Validate asks plugin to check one step's configuration, in its process
// like a run (built-ins too). An answer without errors is remembered in
// the "validate" memo (the state folder's, and the remote one when the
// host has it), keyed by the plugin binary's digest and the whole request
// (input metadata included), so that validating or rebuilding an
// unchanged spec, here or on another runner of the cache, starts no
// process.
func (h *Host) Validate(ctx context.Context, plugin string, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
	return h.validate(ctx, plugin, req, true)
}

// ValidatePrivate is Validate for a request that holds a secret (a
// sensitive value in the step's config): its answer is remembered in the
// state folder only, never looked up in or written to the remote memo,
// whose tag would be a hash of the secret.
func (h *Host) ValidatePrivate(ctx context.Context, plugin string, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
	return h.validate(ctx, plugin, req, false)
}

func (h *Host) validate(ctx context.Context, plugin string, req *specv1.ValidateRequest, shared bool) ([]specv1.Diagnostic, error) {
	memo := h.memo("validate")
	id, key := h.validateKey(plugin, req)
	var ds []specv1.Diagnostic
	if key != "" && memo.get(ctx, key, id, shared, &ds, func() bool { return !hasErrors(ds) }) {
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
		memo.put(ctx, key, id, shared, ds)
	}
	return ds, nil
}

// validateKey is the memo key of req for plugin: its name, the digest of
// its binary (the running ckpt's for the built-ins, the locked one for an
// external plugin, which is verified before it ever runs) and the request;
// "" when the digest is unknown. id names the plugin and digest.
func (h *Host) validateKey(plugin string, req *specv1.ValidateRequest) (id specv1.PluginID, key string) {
	id.Name = plugin
	if plugin == BuiltinName {
		if b, err := h.builtin(); err == nil {
			id.Digest = b.digest
		}
	} else if e, ok := h.lock.Get(plugin); ok {
		id.Digest = e.Digest()
	}
	b, err := json.Marshal(req)
	if id.Digest == "" || err != nil {
		return id, ""
	}
	return id, plugin + "\x00" + id.Digest + "\x00" + string(b)
}

func hasErrors(ds []specv1.Diagnostic) bool {
	for _, d := range ds {
		if d.Severity != specv1.SeverityWarning {
			return true
		}
	}
	return false
}
