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
	"sync"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/plugins/builtin"
	"github.com/ckpt-dev/ckpt/plugins/host"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// stepValidator runs plugins' Validate for plan.Graph.Validate and for the
// build engine (run.Validator): built-in components in process (no plugin
// process starts), external plugins in their processes, through a host
// started on first need (or the build's host). An external plugin's answer
// without error diagnostics is remembered under .ckpt/cache/validate
// (keyed by the plugin binary's digest and the request, input metadata
// included), so that validating or rebuilding an unchanged spec starts no
// plugin. It is safe for concurrent use.
type stepValidator struct {
	dir    string
	stderr io.Writer

	mu      sync.Mutex
	builtin *sdk.Plugin
	host    *host.Host
}

func (v *stepValidator) Validate(ctx context.Context, c plan.Component, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
	if c.Plugin.Name == builtin.Name {
		return v.validateBuiltin(ctx, c, req)
	}
	mark := v.cleanMark(c, req)
	if ds, ok := readMark(mark); ok {
		return ds, nil
	}
	h, err := v.hostFor()
	if err != nil {
		return nil, err
	}
	ds, err := h.Validate(ctx, c.Plugin.Name, req)
	if err == nil && mark != "" && !hasErrors(ds) {
		writeMark(mark, ds)
	}
	return ds, err
}

// hostFor returns the host that runs external plugins, started on first
// need.
func (v *stepValidator) hostFor() (*host.Host, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.host == nil {
		h, err := host.New(host.Options{Dir: v.dir, Version: Version, Stderr: v.stderr})
		if err != nil {
			return nil, err
		}
		v.host = h
	}
	return v.host, nil
}

func hasErrors(ds []specv1.Diagnostic) bool {
	for _, d := range ds {
		if d.Severity != specv1.SeverityWarning {
			return true
		}
	}
	return false
}

// readMark returns the remembered answer in mark: an empty file is a clean
// answer, otherwise the file holds the warnings as JSON. A missing or
// unreadable mark, or one that holds errors, is no answer.
func readMark(mark string) ([]specv1.Diagnostic, bool) {
	if mark == "" {
		return nil, false
	}
	b, err := os.ReadFile(mark)
	if err != nil {
		return nil, false
	}
	if len(b) == 0 {
		return nil, true
	}
	var ds []specv1.Diagnostic
	if json.Unmarshal(b, &ds) != nil || hasErrors(ds) {
		return nil, false
	}
	return ds, true
}

// writeMark remembers an answer without errors (empty when clean), by
// rename so that a concurrent reader never sees half of it. A mark that
// cannot be written only costs a plugin start next time.
func writeMark(mark string, ds []specv1.Diagnostic) {
	var b []byte
	if len(ds) > 0 {
		var err error
		if b, err = json.Marshal(ds); err != nil {
			return
		}
	}
	if os.MkdirAll(filepath.Dir(mark), 0o755) != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(mark), ".mark-*")
	if err != nil {
		return
	}
	_, werr := f.Write(b)
	if cerr := f.Close(); werr != nil || cerr != nil || os.Rename(f.Name(), mark) != nil {
		os.Remove(f.Name())
	}
}

// cleanMark is the file that records the plugin binary c.Plugin's answer
// without errors about req, or "" when the binary's digest is unknown.
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
	v.mu.Lock()
	if v.builtin == nil {
		v.builtin = builtin.Plugin(Version)
	}
	comp := v.builtin.Component(c.Kind, c.Type)
	v.mu.Unlock()
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
